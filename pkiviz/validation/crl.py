"""Judging one CRL (RFC 5280 5, 6.3); the ``revocation`` check itself is in :mod:`.revocation`.

A CRL is used for a certificate only if its issuer name is the certificate's
issuer name, its issuer's certificate (the next one up the path) may sign CRLs
(keyUsage cRLSign, when keyUsage is present), its signature verifies, it is
current at the validation time, and it carries a non-critical CRL number and
no critical extension pkiviz cannot process. Otherwise it is *unusable*: the
status it would give is unknown.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from pkiviz.revocation._common import reason_name
from pkiviz.validation.facts import (
    CertFacts,
    crl_extensions,
    crl_is_revoked,
    oid_label,
    verify_crl_signature,
)

#: CRL extensions pkiviz understands (RFC 5280 5.2).
KNOWN_CRL_EXTENSIONS = frozenset(
    {
        ExtensionOID.CRL_NUMBER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    }
)


def crl_problem(
    crl: x509.CertificateRevocationList, issuer: CertFacts, at: _dt.datetime
) -> str | None:
    """Why ``crl`` cannot be used to judge certificates issued by ``issuer``, or ``None``.

    Args:
        crl: the CRL.
        issuer: the certificate of the CA whose CRL it claims to be.
        at: validation time.

    Returns:
        A reason, or ``None`` if the CRL is usable.
    """
    ku = issuer.ext(x509.KeyUsage)
    if ku is not None and not ku.value.crl_sign:
        return (
            f"{issuer.label} has keyUsage without cRLSign, so it may not sign CRLs "
            "(RFC 5280 4.2.1.3)"
        )
    problem = verify_crl_signature(crl, issuer)
    if problem:
        return problem
    extensions, error = crl_extensions(crl)
    if error:
        return error
    number = extensions.get(ExtensionOID.CRL_NUMBER)
    if number is None:
        return "the CRL has no CRL number, which conforming CRLs must carry (RFC 5280 5.2.3)"
    if number.critical:
        return "the CRL number extension is marked critical; it must not be (RFC 5280 5.2.3)"
    for oid, ext in extensions.items():
        if ext.critical and oid not in KNOWN_CRL_EXTENSIONS:
            return f"the CRL has a critical extension pkiviz cannot process: {oid_label(oid)}"
    this_update = crl.last_update_utc
    next_update = crl.next_update_utc
    if this_update > at:
        return f"the CRL is dated {this_update:%Y-%m-%d}, after the validation time"
    if next_update is not None and next_update < at:
        return (
            f"the CRL is stale: it expired on {next_update:%Y-%m-%d} (its nextUpdate), "
            "so it says nothing about now"
        )
    return None


def judge_crl(
    crl: x509.CertificateRevocationList, cert: CertFacts, issuer: CertFacts, at: _dt.datetime
) -> tuple[Literal["good", "revoked", "unusable"], str]:
    """What one CRL says about ``cert``, or why it cannot be used.

    Args:
        crl: a CRL whose issuer name is ``cert``'s issuer name.
        cert: the certificate asked about.
        issuer: the certificate of the CA that issued ``cert``.
        at: validation time.

    Returns:
        (finding, plain-English detail).
    """
    problem = crl_problem(crl, issuer, at)
    if problem:
        return "unusable", problem
    listed = crl_is_revoked(crl, cert.serial)
    if isinstance(listed, str):
        return "unusable", listed
    if listed:
        return "revoked", revoked_message(crl, cert)
    return "good", f"serial {cert.serial:#x} is not on the CRL from {issuer.label}"


def revoked_message(crl: x509.CertificateRevocationList, cert: CertFacts) -> str:
    """``"REVOKED on <date> (reason: ...): serial ... is on the CRL from ..."``."""
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial)
    when = f" on {entry.revocation_date_utc:%Y-%m-%d}" if entry is not None else ""
    reason = ""
    if entry is not None:
        try:
            ext = entry.extensions.get_extension_for_oid(CRLEntryExtensionOID.CRL_REASON)
            reason = f" (reason: {reason_name(ext.value.reason)})"  # type: ignore[attr-defined]
        except (x509.ExtensionNotFound, ValueError):
            reason = ""
    source = crl.issuer.rfc4514_string()
    return f"REVOKED{when}{reason}: serial {cert.serial:#x} is on the CRL from {source}"
