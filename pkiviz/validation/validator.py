"""``validate()``: build a path, run every check on it, return a :class:`Report`.

It never raises on a bad certificate: a broken certificate becomes a failed
check with an explanation. It raises only for programmer misuse (an unknown
profile or purpose, something that is not a certificate).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import itertools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from pkiviz import clock
from pkiviz.validation.checks import CHECKS
from pkiviz.validation.context import Context, CTInputs, RevocationInputs
from pkiviz.validation.facts import CertFacts, facts_of
from pkiviz.validation.hostname import PeerName
from pkiviz.validation.inputs import CertLike, Inputs
from pkiviz.validation.path import LIMITS, Limits, PathBuilder, Tried
from pkiviz.validation.policy import CTPolicy, Profile, RevocationPolicy
from pkiviz.validation.report import Candidate, Check, Finding, Report, Status

if TYPE_CHECKING:
    from pkiviz.ct.known_logs import KnownLogs
    from pkiviz.ct.sct import SCT
    from pkiviz.revocation.fetcher import Fetcher


#: Short EKU names accepted by ``extended_key_usage=``.
EKU_BY_NAME: dict[str, x509.ObjectIdentifier] = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "serverAuth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "clientAuth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "any": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}

_NOT_APPLICABLE = {
    "revocation": "nothing to check",
    "name-constraints": "no certificate on the path carries nameConstraints",
    "policy": "no certificate on the path carries policyConstraints",
    "path-length": "the path has no issuer",
    "basic-constraints": "the path has no issuer",
    "extended-key-usage": "no EKU to check",
}

_RULE_ERRORS = (ValueError, TypeError, AttributeError, IndexError, KeyError, UnicodeError)


def _eku_oids(
    purpose: str, override: Iterable[str | x509.ObjectIdentifier] | None
) -> tuple[x509.ObjectIdentifier, ...]:
    if override is None:
        return (
            ExtendedKeyUsageOID.SERVER_AUTH
            if purpose == "server"
            else ExtendedKeyUsageOID.CLIENT_AUTH,
        )
    out = []
    for item in override:
        if isinstance(item, x509.ObjectIdentifier):
            out.append(item)
        elif item in EKU_BY_NAME:
            out.append(EKU_BY_NAME[item])
        else:
            out.append(x509.ObjectIdentifier(item))
    if not out:
        raise ValueError("extended_key_usage must name at least one purpose")
    return tuple(out)


def validate(
    leaf: CertLike,
    *,
    intermediates: Sequence[CertLike] = (),
    trust_anchors: Sequence[CertLike] = (),
    peer_name: str | PeerName | None = None,
    at: _dt.datetime | None = None,
    purpose: Literal["server", "client"] = "server",
    crls: Sequence[x509.CertificateRevocationList] = (),
    ocsp_responses: Sequence[bytes | ocsp.OCSPResponse] = (),
    ocsp_staple: bytes | ocsp.OCSPResponse | None = None,
    fetch_revocation: bool = False,
    fetcher: Fetcher | None = None,
    allow_network: bool = False,
    revocation_policy: RevocationPolicy = "soft",
    revocation_timeout: float = 2.0,
    revocation_max_bytes: int = 1 << 20,
    profile: Literal["browser", "webpki", "rfc5280"] | Profile = "browser",
    max_chain_depth: int | None = None,
    extended_key_usage: Iterable[str | x509.ObjectIdentifier] | None = None,
    key_usage: Sequence[str] = (),
    limits: Limits = LIMITS,
    ct_policy: CTPolicy | None = None,
    ct_logs: KnownLogs | None = None,
    scts: bytes | Sequence[SCT] = (),
) -> Report:
    """Validate ``leaf`` for ``purpose`` and explain every step.

    Args:
        leaf: the end-entity certificate (or a pkiviz ``Issued``).
        intermediates: untrusted certificates that may help build the path.
        trust_anchors: the certificates you trust.
        peer_name: the DNS name, IP literal or email to match; a
            :class:`PeerName` makes the kind explicit. ``None`` skips the check.
        at: the validation time (default: now; the book passes its clock,
            :data:`pkiviz.clock.BOOK_CLOCK`).
        purpose: ``"server"`` (EKU serverAuth) or ``"client"`` (clientAuth).
        crls: CRLs to check revocation against.
        ocsp_responses: OCSP responses (DER bytes or parsed), each checked with
            :func:`pkiviz.revocation.check_ocsp` against the certificate its
            certID names; an unreadable one counts against the leaf.
        ocsp_staple: the OCSP response the server stapled (about the leaf).
        fetch_revocation: when the answers given settle nothing, fetch OCSP,
            then the CRL, from the URLs in each certificate, through ``fetcher``.
        fetcher: what fetches, needed with ``fetch_revocation``: the validator
            opens no socket itself. :func:`pkiviz.revocation.fetch.fetch` is
            plain HTTP; any :class:`~pkiviz.revocation.fetcher.Fetcher` will do.
        allow_network: let fetching leave 127.0.0.0/8 (default: loopback only);
            passed to the fetcher.
        revocation_policy: without a revocation answer, ``"soft"`` accepts (as
            browsers do, and says so) and ``"hard"`` rejects. A stale, forged
            or malformed answer is rejected under both.
        revocation_timeout: bound on each fetch, in seconds.
        revocation_max_bytes: bound on each fetched body.
        profile: ``"browser"`` (what a browser-grade client enforces; CA
            issuance rules it does not enforce become ``Report.findings``),
            ``"webpki"`` (the CA/B Forum BRs, issuance rules enforced) or
            ``"rfc5280"``, or a custom :class:`~pkiviz.validation.policy.Profile`
            (``dataclasses.replace`` one).
        max_chain_depth: most intermediates (not counting self-issued ones);
            ``None`` uses the profile's default of 8.
        extended_key_usage: EKUs that satisfy the purpose, overriding it
            (names such as ``"server_auth"`` or dotted OIDs).
        key_usage: keyUsage bits (``"digitalSignature"``) the leaf must
            assert if it carries keyUsage.
        limits: work bounds for path building.
        ct_policy: ``"chrome"`` or ``"apple"`` turns the ``certificate-transparency``
            check on (default ``None``: skipped, as RFC 5280 has no CT); see
            :mod:`pkiviz.validation.rules_ct` for why this is an argument and not
            a profile. It reads SCTs embedded in the leaf, ``scts`` and any in
            ``ocsp_staple``.
        ct_logs: the client's CT log list (default: :func:`pkiviz.ct.bundled_logs`).
        scts: SCTs delivered in the TLS ``signed_certificate_timestamp``
            extension: the TLS-encoded list as received (a malformed one fails
            the check), or parsed :class:`~pkiviz.ct.SCT` s.

    Returns:
        The :class:`Report`.

    Raises:
        ValueError: for an unknown profile, purpose, revocation or CT policy, a
            negative depth, a timeout that is not positive, or
            ``fetch_revocation=True`` without a ``fetcher``.
        TypeError: if a certificate argument is not a certificate.
    """
    return validate_inputs(
        Inputs(
            leaf,
            intermediates=intermediates,
            trust_anchors=trust_anchors,
            peer_name=peer_name,
            at=at,
            purpose=purpose,
            crls=crls,
            ocsp_responses=ocsp_responses,
            ocsp_staple=ocsp_staple,
            fetch_revocation=fetch_revocation,
            fetcher=fetcher,
            allow_network=allow_network,
            revocation_policy=revocation_policy,
            revocation_timeout=revocation_timeout,
            revocation_max_bytes=revocation_max_bytes,
            profile=profile,
            max_chain_depth=max_chain_depth,
            extended_key_usage=extended_key_usage,
            key_usage=key_usage,
            limits=limits,
            ct_policy=ct_policy,
            ct_logs=ct_logs,
            scts=scts,
        )
    )


def validate_inputs(inputs: Inputs) -> Report:
    """Validate what ``inputs`` holds: :func:`validate` for a caller holding an :class:`Inputs`.

    ``validate(leaf, **kw)`` is ``validate_inputs(Inputs(leaf, **kw))``.

    Args:
        inputs: everything the validation is given.

    Returns:
        The :class:`Report`; its ``inputs`` are these, with ``at`` set to the
        time used when it was ``None``.

    Raises:
        ValueError: if ``extended_key_usage`` names no purpose.
    """
    purpose = inputs.purpose
    ct = CTInputs(inputs.ct_policy, inputs.ct_logs, inputs.scts)  # type: ignore[arg-type]
    revocation = RevocationInputs(
        crls=tuple(inputs.crls),
        ocsp_responses=tuple(inputs.ocsp_responses),
        staple=inputs.ocsp_staple,
        fetch=inputs.fetch_revocation,
        fetcher=inputs.fetcher,
        allow_network=inputs.allow_network,
        timeout=inputs.revocation_timeout,
        max_bytes=inputs.revocation_max_bytes,
        policy=inputs.revocation_policy,
    )
    chosen_profile = inputs.chosen_profile
    max_chain_depth = inputs.max_chain_depth
    depth = chosen_profile.max_chain_depth if max_chain_depth is None else max_chain_depth
    if inputs.at is None:
        when = clock.wall_clock()
        inputs = dataclasses.replace(inputs, at=when)
    else:
        when = inputs.at
    limits = inputs.limits
    key_usage = inputs.key_usage
    leaf_facts = facts_of(inputs.leaf_certificate)
    pool = inputs.intermediate_certificates  # facts built as path building reaches them
    anchors = inputs.anchor_certificates
    peer = inputs.peer
    eku = _eku_oids(purpose, inputs.extended_key_usage)

    evaluated: dict[tuple[str, ...], tuple[list[Check], list[Finding]]] = {}
    builder: PathBuilder

    def context(path: tuple[CertFacts, ...], anchored: bool, note: str) -> Context:
        return Context(
            path=path,
            anchored=anchored,
            chain_note=note,
            at=when,
            peer=peer,
            purpose=purpose,
            eku=eku,
            key_usage=tuple(key_usage),
            profile=chosen_profile,
            revocation=revocation,
            max_depth=depth,
            anchor_count=len(anchors),
            signature=builder.signature,
            ct=ct,
        )

    def evaluate(path: tuple[CertFacts, ...]) -> tuple[int, str]:
        ctx = context(path, True, "")
        checks = run_checks(ctx)
        evaluated[tuple(c.fingerprint for c in path)] = checks, ctx.findings
        failures = [c for c in checks if c.failed]
        first = failures[0] if failures else None
        reason = f"{first.check}: {first.message}" if first else ""
        return len(failures), reason

    builder = PathBuilder(
        leaf_facts, pool, anchors, evaluate=evaluate, at=when, max_depth=depth, limits=limits
    )
    found = builder.build()
    chosen: Tried = found or builder.best or Tried((leaf_facts,), False, 0, "no path")
    key = tuple(c.fingerprint for c in chosen.path)
    if chosen.complete and key in evaluated:
        checks, findings = evaluated[key]
    else:
        note = chosen.reason
        if builder.gave_up and builder.gave_up not in note:
            note += f"; {builder.gave_up}"
        ctx = context(chosen.path, False, note)
        checks = run_checks(ctx)
        findings = ctx.findings
    reported = tuple(checks)
    candidates = []
    signatures = builder.signatures
    for t in builder.tried:
        fingerprints = tuple(c.fingerprint for c in t.path)
        links = tuple(
            _link(signatures.get(pair, _UNVERIFIED)) for pair in itertools.pairwise(fingerprints)
        )
        if t.complete and fingerprints in evaluated:
            ran = tuple(evaluated[fingerprints][0])
        else:  # the reported path when no anchor was reached; else the builder ran none
            ran = reported if fingerprints == key else ()
        candidates.append(
            Candidate(
                subjects=tuple(c.label for c in t.path),
                fingerprints=fingerprints,
                complete=t.complete,
                valid=t.valid,
                reason=t.reason,
                checks=ran,
                links=links,
            )
        )
    return Report(
        checks=reported,
        path=tuple(c.cert for c in chosen.path),
        candidates=tuple(candidates),
        peer_name=None if peer is None else peer.value,
        purpose=purpose,
        profile=chosen_profile.name,
        at=when,
        findings=tuple(findings),
        inputs=inputs,
    )


_UNVERIFIED = "not verified by the path builder"
_VERIFIES: tuple[Status, str] = ("pass", "the signature verifies")


def _link(problem: str | None) -> tuple[Status, str]:
    """A link's signature as the path builder found it (see ``Candidate.links``)."""
    if problem is None:
        return _VERIFIES
    return ("skipped", problem) if problem is _UNVERIFIED else ("fail", problem)


def run_checks(ctx: Context) -> list[Check]:
    """Run every check of the table on one path, in table order.

    Args:
        ctx: the path and inputs.

    Returns:
        The checks; a check that yields nothing gets one "skipped" row.
    """
    out: list[Check] = []
    for info in CHECKS:
        try:
            produced = list(info.rule(ctx))
        except _RULE_ERRORS as exc:
            produced = [
                Check(
                    info.name,
                    "fail",
                    f"could not be evaluated ({type(exc).__name__}: {exc})",
                    info.rfc,
                    None,
                )
            ]
        if not produced:
            why = _NOT_APPLICABLE.get(info.name, "not applicable to this path")
            produced = [Check(info.name, "skipped", why, info.rfc, None)]
        out.extend(produced)
    return out
