"""The X.509 core: build, load, parse, tamper with and show certificates.

Layer 1 (see :mod:`pkiviz`): imports only base and x509 itself.
"""
