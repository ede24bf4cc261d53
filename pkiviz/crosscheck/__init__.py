"""pkiviz's verdicts beside cryptography's and OpenSSL's: verifier adapters, differential
chains and the x509-limbo runner.

Layer 6 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net and
crosscheck itself.
"""
