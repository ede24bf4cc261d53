"""Revocation: CRLs and OCSP built, served, fetched, stapled and checked.

* :mod:`~pkiviz.revocation.crl` - build and sign CRLs.
* :mod:`~pkiviz.revocation.ocsp` - build OCSP requests and responses;
  :func:`check_ocsp` checks a response and explains the verdict.
* :mod:`~pkiviz.revocation.responder` - a real HTTP CRL/OCSP server on 127.0.0.1.
* :mod:`~pkiviz.revocation.fetch` - bounded, loopback-only fetching.
* :mod:`~pkiviz.revocation.stapling` - a real TLS handshake with a stapled response.

Only :mod:`crl` and :mod:`ocsp` are imported here; the socket modules load
when used.

Layer 2 (see :mod:`pkiviz`): imports only base, x509 and revocation itself.
"""

from __future__ import annotations

from pkiviz.revocation.crl import BuiltCrl, RevokedEntry, build_crl, entries_of
from pkiviz.revocation.ocsp import (
    BuiltOcspRequest,
    BuiltOcspResponse,
    build_ocsp_error,
    build_ocsp_request,
    build_ocsp_response,
    issue_ocsp_responder,
)
from pkiviz.revocation.ocsp_check import OcspCheck, OcspResult, check_ocsp

__all__ = [
    "BuiltCrl",
    "BuiltOcspRequest",
    "BuiltOcspResponse",
    "OcspCheck",
    "OcspResult",
    "RevokedEntry",
    "build_crl",
    "build_ocsp_error",
    "build_ocsp_request",
    "build_ocsp_response",
    "check_ocsp",
    "entries_of",
    "issue_ocsp_responder",
]
