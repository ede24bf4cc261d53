"""The Break-it lab: its catalogue, the breakages, the scenario server, verdicts.

Layer 8 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck, draw and lab itself.
"""
