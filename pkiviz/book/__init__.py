"""The book's tooling: chapter parts, the runner, terms, glossary, exercises.

Layer 11 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck, draw, lab, ca, widgets and book itself.
"""
