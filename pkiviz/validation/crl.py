"""Revocation from the CRLs given (RFC 5280 5, 6.3); OCSP is reported as not checked.

For each certificate on the path below the anchor, the CRLs whose issuer name
equals its issuer name are considered. A CRL is used only if its issuer's
certificate (the next one up the path) may sign CRLs (keyUsage cRLSign, when
keyUsage is present), its signature verifies, it is current at the validation
time, and it carries a non-critical CRL number and no critical extension
pkiviz cannot process. An unusable CRL fails the check: the status is unknown.
A certificate for which no CRL was given is "skipped": nobody was asked.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator

from cryptography import x509
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID

from pkiviz.validation.context import Context
from pkiviz.validation.facts import (
    CertFacts,
    crl_extensions,
    crl_is_revoked,
    oid_label,
    verify_crl_signature,
)
from pkiviz.validation.report import Check

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
        return f"the CRL expired on {next_update:%Y-%m-%d} (its nextUpdate)"
    return None


def revocation(ctx: Context) -> Iterator[Check]:
    """No certificate on the path is revoked by the CRLs given (RFC 5280 6.3)."""
    rfc = "RFC 5280 6.3"
    if not ctx.crls:
        if ctx.ocsp_responses:
            yield ctx.skip(
                "revocation",
                None,
                f"{len(ctx.ocsp_responses)} OCSP response(s) were given, but pkiviz does not "
                "check OCSP yet, so revocation was not checked",
                "RFC 6960",
            )
        else:
            yield ctx.skip(
                "revocation",
                None,
                "no CRL or OCSP response was given, so revocation was not checked",
                rfc,
            )
        return
    path = ctx.path
    last = len(path) - 1 if ctx.anchored else len(path)
    for i in range(last):
        cert = path[i]
        if i + 1 >= len(path):
            yield ctx.skip("revocation", i, "its issuer is unknown, so no CRL applies", rfc)
            continue
        issuer = path[i + 1]
        relevant = [crl for crl in ctx.crls if crl.issuer == cert.issuer]
        if not relevant:
            yield ctx.skip(
                "revocation", i, f"no CRL from {issuer.label} was given, so not checked", rfc
            )
            continue
        verdict: Check | None = None
        for crl in relevant:
            problem = crl_problem(crl, issuer, ctx.at)
            if problem:
                verdict = verdict or ctx.fail(
                    "revocation", i, f"revocation status unknown: {problem}", rfc
                )
                continue
            listed = crl_is_revoked(crl, cert.serial)
            if isinstance(listed, str):
                verdict = ctx.fail("revocation", i, f"revocation status unknown: {listed}", rfc)
            elif listed:
                yield ctx.fail("revocation", i, _revoked_message(crl, cert), rfc)
                verdict = None
                break
            else:
                verdict = ctx.ok(
                    "revocation",
                    i,
                    f"not on the CRL {issuer.label} issued on {crl.last_update_utc:%Y-%m-%d}",
                    rfc,
                )
                break
        if verdict is not None:
            yield verdict


def _revoked_message(crl: x509.CertificateRevocationList, cert: CertFacts) -> str:
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial)
    when = f" on {entry.revocation_date_utc:%Y-%m-%d}" if entry is not None else ""
    reason = ""
    if entry is not None:
        try:
            ext = entry.extensions.get_extension_for_oid(CRLEntryExtensionOID.CRL_REASON)
            reason = f" (reason: {ext.value.reason.value})"  # type: ignore[attr-defined]
        except (x509.ExtensionNotFound, ValueError):
            reason = ""
    source = crl.issuer.rfc4514_string()
    return f"REVOKED{when}{reason}: serial {cert.serial:#x} is on the CRL from {source}"
