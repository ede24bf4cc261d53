"""The ``certificate-transparency`` check: enough valid SCTs, from enough logs, for a browser.

RFC 5280 knows nothing of Certificate Transparency, so the check is **off by
default** and says so (skipped). It runs when the caller names a policy:
``validate(..., ct_policy="chrome")`` or ``"apple"`` (``pkiviz validate --ct
chrome``). The switch is a call-time input beside the revocation inputs, not a
:class:`~pkiviz.validation.policy.Profile` field, for two reasons: Chrome and
Safari enforce CT only for chains to a root in their own root store, never for
a root the user added (a private CA, like every CA in this book), and
:func:`~pkiviz.validation.validate` cannot tell the two apart from the trust
anchors it is handed, so a profile that turned it on would reject every
private chain; and the check needs inputs only the caller has (the client's
log list, the SCTs the server sent in its handshake), as revocation does.

What it consults, each SCT verified by hand (:mod:`pkiviz.ct.verify`):

* SCTs **embedded** in the leaf (RFC 6962 3.3), which need the issuer's key
  hash: the next certificate of the path (without one they cannot be checked);
* SCTs **delivered in the TLS extension** ``signed_certificate_timestamp``
  (``scts=``: the TLS-encoded list, or parsed SCTs);
* SCTs in a **stapled OCSP response** (``ocsp_staple=``), in the single
  response's extension 1.3.6.1.4.1.11129.2.4.5. Chrome counted them before
  version 148 and ignores them since (``ocsp_counts`` in
  :func:`pkiviz.ct.policy.chrome_policy`); Apple counts them.

Then it counts them with the stated policy (:mod:`pkiviz.ct.policy`, which
cites Chrome's CT policy and Apple's): distinct known logs, distinct
operators, by certificate lifetime. The message names the verdict and lists
every SCT (where it came from, its log, its time, verified or why not).

It never raises on a bad SCT list. A malformed list delivered via TLS or in the
stapled OCSP response is ignored, as Chromium ignores it: the message notes it
and the other SCTs are judged without it. A malformed *embedded* list fails the
check outright (the certificate itself carries it, and no SCT of it can be read).
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Iterator

from cryptography import x509
from cryptography.x509 import ocsp

from pkiviz.ct.known_logs import bundled_logs
from pkiviz.ct.policy import APPLE_POLICY_URL, CHROME_POLICY_URL, apple_policy, chrome_policy
from pkiviz.ct.sct import SCT, VERSION_V1, embedded_scts, parse_sct_list
from pkiviz.ct.verify import SCTCheck, verify_delivered_scts, verify_embedded_scts
from pkiviz.errors import PkivizError
from pkiviz.validation.context import Context
from pkiviz.validation.report import Check
from pkiviz.vocabulary import OCSP_SCT_OID
from pkiviz.x509.der import read_tlv

NAME = "certificate-transparency"
RFC = "RFC 6962 3.2, 3.3"


#: Why the check is skipped unless a policy is asked for.
OFF = (
    "off: RFC 5280 does not require Certificate Transparency; Chrome and Safari require it "
    "only for certificates chaining to publicly trusted roots (ask for ct_policy='chrome' or "
    "'apple', or pkiviz validate --ct chrome|apple)"
)

_SOURCES = {"chrome": ("Chrome", CHROME_POLICY_URL), "apple": ("Apple", APPLE_POLICY_URL)}
_PARSE_ERRORS = (PkivizError, ValueError, TypeError)


def _describe(check: SCTCheck, policy: str) -> str:
    if check.sct.version != VERSION_V1:  # its log id and time are not v1's fields: not shown
        return f"{check.sct.source} SCT of unsupported version {check.sct.version}: " + (
            f"{check.status} ({check.reason})"
        )
    log = check.log_name or f"unknown log {base64.b64encode(check.log_id).decode()[:12]}..."
    when = check.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC")
    text = f"{check.sct.source} SCT from {log} at {when}: {check.status}"
    if not check.ok:
        text += f" ({check.reason})"
    elif check.sct.source == "ocsp" and policy == "chrome":
        text += " (not counted: Chrome 148 and later ignore SCTs in OCSP responses)"
    return text


def _staple_scts(staple: bytes | ocsp.OCSPResponse) -> tuple[SCT, ...]:
    """The SCTs in a stapled OCSP response (none if it has no SCT extension or is unreadable).

    Raises:
        PkivizError, ValueError: the SCT extension is there but malformed.
    """
    try:
        response = (
            staple if isinstance(staple, ocsp.OCSPResponse) else ocsp.load_der_ocsp_response(staple)
        )
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            return ()
    except ValueError:
        return ()  # an unreadable staple is the revocation check's failure
    for ext in response.single_extensions:
        if ext.oid.dotted_string != OCSP_SCT_OID:
            continue
        value = ext.value
        raw = value.value if isinstance(value, x509.UnrecognizedExtension) else value.public_bytes()
        inner = read_tlv(raw, what="OCSP SCT list extension")
        if not inner.is_universal(4) or inner.end != len(raw):
            raise ValueError("the OCSP SCT list extension is not one OCTET STRING")
        return parse_sct_list(inner.content(raw), source="ocsp")
    return ()


def certificate_transparency(ctx: Context) -> Iterator[Check]:
    """Count the leaf's valid SCTs against the CT policy the caller asked for.

    Args:
        ctx: the path and inputs (``ctx.ct``; the staple from ``ctx.revocation``).

    Yields:
        One check about the leaf: skipped when no policy is asked for, else
        pass or fail with the policy's reason and every SCT's verdict.
    """
    policy = ctx.ct.policy
    if policy is None:
        yield ctx.skip(NAME, 0, OFF, RFC)
        return
    who, url = _SOURCES[policy]
    rfc = f"{RFC}; {who} CT policy ({url})"
    logs = bundled_logs() if ctx.ct.logs is None else ctx.ct.logs
    leaf = ctx.leaf.cert
    checks: list[SCTCheck] = []
    notes: list[str] = []
    try:
        if len(ctx.path) > 1:
            checks += verify_embedded_scts(leaf, ctx.path[1].cert, logs=logs, at=ctx.at)
        elif embedded_scts(leaf):
            notes.append(
                "embedded SCTs not verified: they sign the issuer's key hash, and the path "
                "has no issuer certificate"
            )
    except _PARSE_ERRORS as exc:
        yield ctx.fail(NAME, 0, f"the embedded SCT list is malformed: {exc}", rfc)
        return
    delivered = ctx.ct.scts
    try:
        if isinstance(delivered, bytes):
            tls = parse_sct_list(delivered, source="tls") if delivered else ()
        else:
            tls = tuple(dataclasses.replace(s, source="tls") for s in delivered)
    except _PARSE_ERRORS as exc:  # as Chromium: an unreadable delivered list is ignored
        tls = ()
        notes.append(f"the SCT list delivered via TLS is malformed: {exc}; ignored")
    staple = ctx.revocation.staple
    try:
        stapled = () if staple is None else _staple_scts(staple)
    except _PARSE_ERRORS as exc:
        stapled = ()
        notes.append(f"the SCT list in the stapled OCSP response is malformed: {exc}; ignored")
    if tls or stapled:
        checks += verify_delivered_scts((*tls, *stapled), leaf, logs=logs, at=ctx.at)
    judge = chrome_policy if policy == "chrome" else apple_policy
    verdict = judge(
        checks,
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        at=ctx.at,
        logs=logs,
    )
    head = f"{who} CT policy {'met' if verdict.compliant else 'not met'}: {verdict.reason}"
    listed = "; ".join(_describe(c, policy) for c in checks) or (
        "none (no SCT embedded, delivered via TLS or stapled)"
    )
    message = f"{head}. SCTs: {listed}" + "".join(f"; {n}" for n in notes)
    yield (ctx.ok if verdict.compliant else ctx.fail)(NAME, 0, message, rfc)


__all__ = ["NAME", "OCSP_SCT_OID", "OFF", "certificate_transparency"]
