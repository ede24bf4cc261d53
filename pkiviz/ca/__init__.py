"""The certificate authority's world: validation levels, domain control, an offline root.

* :mod:`~pkiviz.ca.validation_levels` - DV, OV and EV as data, and the specs
  they produce for ``login.example.com``.
* :mod:`~pkiviz.ca.domain_control` - an ACME-style HTTP-01 check, run for
  real on 127.0.0.1 before issuing.
* :mod:`~pkiviz.ca.hierarchy` - a root used only at key ceremonies, a revoked
  intermediate, and separate server- and client-auth hierarchies.

Layer 9 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck, draw, lab and ca itself.
"""

from __future__ import annotations
