"""Certificate path validation that explains itself.

``validate(leaf, intermediates=..., trust_anchors=..., peer_name=...)`` returns
a :class:`Report` of ordered :class:`Check` results instead of raising: each
says which certificate, pass/fail/skipped, why in plain English, and which
RFC or CA/B Forum rule. The checks are one table, :data:`CHECKS`
(:func:`check_table` for printing).

Modules: :mod:`.report` (results), :mod:`.checks` (the table), :mod:`.path`
(path building), :mod:`.hostname` (peer names), :mod:`.constraints` (name
constraints), :mod:`.policy` (profiles, algorithms), :mod:`.revocation`
(CRLs, OCSP, staples, soft/hard-fail) and :mod:`.crl` (one CRL),
:mod:`.facts` (the one place cryptography's exceptions are caught),
:mod:`.inputs` (:class:`Inputs`, what a validation is given, kept by the
report), :mod:`.validator` (``validate``, ``validate_inputs``).

Layer 3 (see :mod:`pkiviz`): imports only base, x509, revocation, ct and validation itself.
"""

from __future__ import annotations

from pkiviz.validation.checks import CHECK_NAMES, CHECKS, CheckInfo, check_table
from pkiviz.validation.hostname import PeerName
from pkiviz.validation.inputs import Inputs
from pkiviz.validation.path import LIMITS, Limits
from pkiviz.validation.policy import PROFILES, Profile
from pkiviz.validation.report import Candidate, CertRef, Check, Report
from pkiviz.validation.validator import validate, validate_inputs

__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "LIMITS",
    "PROFILES",
    "Candidate",
    "CertRef",
    "Check",
    "CheckInfo",
    "Inputs",
    "Limits",
    "PeerName",
    "Profile",
    "Report",
    "check_table",
    "validate",
    "validate_inputs",
]
