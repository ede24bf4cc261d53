"""Check an OCSP response for one certificate, explaining every step; never raises on bad data.

:func:`check_ocsp` runs the checks a client runs on an OCSP answer (RFC 6960
3.2, 4.2.2.2) and returns an :class:`OcspResult`:

1. *parse* - the bytes are a DER OCSPResponse;
2. *responder status* - responseStatus is successful (not tryLater, ...);
3. *certID* - one of the answers is about this certificate: this serial
   number, this issuer's name and key hashes;
4. *signature* - the response is signed by the issuer itself, or by a
   delegated responder that the issuer certified with EKU OCSPSigning;
5. *freshness* - thisUpdate <= at <= nextUpdate, thisUpdate allowed up to
   :data:`CLOCK_SKEW` after ``at``;
6. *nonce* - if the caller sent a nonce, the response does not carry another.

``status`` is what the response says (``good`` / ``revoked`` / ``unknown``)
only when every check passed; otherwise it is ``"error"`` and ``problem``
names the first failed check. A stale "good" or a forged "good" is not good.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from pkiviz import clock
from pkiviz.revocation._common import (
    cert_id_hashes,
    certificate_of,
    html_table,
    key_bits,
    reason_name,
    signature_ok,
    when_text,
)
from pkiviz.x509.anatomy import serial_hex
from pkiviz.x509.factory import Issued
from pkiviz.x509.parse import serial_number

StatusName = Literal["good", "revoked", "unknown", "error"]
Problem = Literal[
    "malformed",
    "responder_error",
    "cert_id_mismatch",
    "unknown_signer",
    "unauthorized_signer",
    "bad_signature",
    "not_yet_valid",
    "stale",
    "nonce_mismatch",
]
SignatureVerdict = Literal[
    "issuer", "delegated", "unknown_signer", "unauthorized_signer", "bad_signature", "not_checked"
]
Freshness = Literal["fresh", "no_next_update", "stale", "not_yet_valid", "not_checked"]
NonceVerdict = Literal["matched", "mismatch", "not_echoed", "not_requested"]

#: How far thisUpdate may lie after the checking time and still count as fresh. A live
#: answer is signed after the client read its clock, on another machine's clock, and
#: thisUpdate has whole seconds: an answer fetched at 12:00:00.9 and signed at
#: 12:00:01.0 is "one second in the future". Clients allow for that: OpenSSL 5 minutes
#: (``openssl ocsp -validity_period``, ``OCSP_check_validity``), Firefox a day
#: (mozilla::pkix). pkiviz takes OpenSSL's; ``check_ocsp(clock_skew=...)`` changes it.
CLOCK_SKEW = _dt.timedelta(minutes=5)

_RESPONDER_ERRORS = {
    ocsp.OCSPResponseStatus.MALFORMED_REQUEST: "the responder could not parse the request",
    ocsp.OCSPResponseStatus.INTERNAL_ERROR: "the responder had an internal error",
    ocsp.OCSPResponseStatus.TRY_LATER: "the responder is busy: try later",
    ocsp.OCSPResponseStatus.SIG_REQUIRED: "the responder wants signed requests",
    ocsp.OCSPResponseStatus.UNAUTHORIZED: "the responder does not answer for this CA",
}


@dataclasses.dataclass(frozen=True)
class OcspCheck:
    """One step of :func:`check_ocsp`.

    Attributes:
        name: short name of the step (``"signature"``, ``"freshness"``...).
        passed: True, False, or None when it could not run or is only a note.
        detail: plain-English explanation.
        rfc: where the rule is written.
    """

    name: str
    passed: bool | None
    detail: str
    rfc: str


@dataclasses.dataclass(frozen=True)
class OcspResult:
    """What an OCSP response says about a certificate, and whether to believe it.

    Attributes:
        status: the answer to rely on: ``"good"``, ``"revoked"``, ``"unknown"``,
            or ``"error"`` when any check failed.
        problem: the first failed check, ``None`` when all passed.
        message: one plain-English sentence.
        asserted: what the response claims, checked or not (``None`` if there
            is no readable answer about this certificate).
        reason: revocationReason name if revoked (e.g. ``"key_compromise"``).
        revocation_time: revocationTime if revoked.
        this_update: thisUpdate of the matching answer.
        next_update: nextUpdate of the matching answer.
        produced_at: producedAt of the response.
        freshness: ``"fresh"``, ``"no_next_update"``, ``"stale"``,
            ``"not_yet_valid"`` or ``"not_checked"``.
        signature: who signed it, or what is wrong with the signature.
        signer: the signer's subject (or key hash), if known.
        cert_id_matches: whether an answer is about this certificate.
        nonce: ``"matched"``, ``"mismatch"``, ``"not_echoed"``, ``"not_requested"``.
        responder_status: responseStatus, e.g. ``"successful"``, ``"try_later"``.
        checks: every step, in order.
        at: the instant the response was judged at.
    """

    status: StatusName
    problem: Problem | None
    message: str
    asserted: Literal["good", "revoked", "unknown"] | None
    reason: str | None
    revocation_time: _dt.datetime | None
    this_update: _dt.datetime | None
    next_update: _dt.datetime | None
    produced_at: _dt.datetime | None
    freshness: Freshness
    signature: SignatureVerdict
    signer: str | None
    cert_id_matches: bool
    nonce: NonceVerdict
    responder_status: str
    checks: tuple[OcspCheck, ...]
    at: _dt.datetime

    @property
    def ok(self) -> bool:
        """Whether every check passed (the answer may still be ``revoked``)."""
        return self.problem is None

    @property
    def signature_verified(self) -> bool:
        """Whether the issuer or an authorised delegated responder signed it."""
        return self.signature in ("issuer", "delegated")

    def __str__(self) -> str:
        lines = [f"OCSP: {self.status} - {self.message}"]
        for check in self.checks:
            mark = {True: "ok  ", False: "FAIL", None: "note"}[check.passed]
            lines.append(f"  [{mark}] {check.name}: {check.detail} ({check.rfc})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [("status", self.status), ("verdict", self.message)]
        rows += [
            (f"{'✔' if c.passed else '✘' if c.passed is False else '•'} {c.name}", c.detail)
            for c in self.checks
        ]
        return html_table(f"OCSP check at {when_text(self.at)}", rows)


@dataclasses.dataclass
class _Draft:
    """Mutable scratch state while checking; frozen into an OcspResult at the end."""

    at: _dt.datetime
    clock_skew: _dt.timedelta = CLOCK_SKEW
    checks: list[OcspCheck] = dataclasses.field(default_factory=list)
    problems: list[tuple[Problem, str]] = dataclasses.field(default_factory=list)
    asserted: Literal["good", "revoked", "unknown"] | None = None
    reason: str | None = None
    revocation_time: _dt.datetime | None = None
    this_update: _dt.datetime | None = None
    next_update: _dt.datetime | None = None
    produced_at: _dt.datetime | None = None
    freshness: Freshness = "not_checked"
    signature: SignatureVerdict = "not_checked"
    signer: str | None = None
    cert_id_matches: bool = False
    nonce: NonceVerdict = "not_requested"
    responder_status: str = "none"

    def check(
        self, name: str, passed: bool | None, detail: str, rfc: str, problem: Problem | None = None
    ) -> None:
        self.checks.append(OcspCheck(name, passed, detail, rfc))
        if passed is False and problem is not None:
            self.problems.append((problem, detail))

    def result(self) -> OcspResult:
        if self.problems:
            problem: Problem | None = self.problems[0][0]
            status: StatusName = "error"
            message = self.problems[0][1]
        else:
            problem = None
            assert self.asserted is not None
            status = self.asserted
            message = {
                "good": "the CA's responder says this certificate is good (not revoked)",
                "revoked": "the CA's responder says this certificate is REVOKED"
                + (f" ({self.reason})" if self.reason else ""),
                "unknown": "the responder does not know this certificate",
            }[self.asserted]
        return OcspResult(
            status=status,
            problem=problem,
            message=message,
            asserted=self.asserted,
            reason=self.reason,
            revocation_time=self.revocation_time,
            this_update=self.this_update,
            next_update=self.next_update,
            produced_at=self.produced_at,
            freshness=self.freshness,
            signature=self.signature,
            signer=self.signer,
            cert_id_matches=self.cert_id_matches,
            nonce=self.nonce,
            responder_status=self.responder_status,
            checks=tuple(self.checks),
            at=self.at,
        )


def _parse(response: bytes | ocsp.OCSPResponse) -> ocsp.OCSPResponse | str:
    if isinstance(response, ocsp.OCSPResponse):
        return response
    if not response:
        return "the response is empty (0 bytes)"
    try:
        return ocsp.load_der_ocsp_response(bytes(response))
    except ValueError as exc:
        head = bytes(response[:16])
        hint = ""
        if head.lstrip().startswith(b"<"):
            hint = " - it looks like HTML, e.g. an error page"
        elif head.startswith(b"-----BEGIN"):
            hint = " - it is PEM; OCSP responses travel as DER"
        detail = hint or f" ({str(exc)[:80]})"
        return f"these {len(response)} bytes are not a DER OCSPResponse{detail}"


def _singles(resp: ocsp.OCSPResponse) -> list[ocsp.OCSPSingleResponse]:
    return list(resp.responses)


def _hash_name(algorithm: hashes.HashAlgorithm) -> str:
    return algorithm.name


def _matching_single(
    d: _Draft, resp: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate
) -> ocsp.OCSPSingleResponse | None:
    singles = _singles(resp)
    for single in singles:
        try:
            name_hash, key_hash = cert_id_hashes(issuer, _hash_name(single.hash_algorithm))
        except (ValueError, UnsupportedAlgorithm):
            continue
        if (
            single.serial_number == serial_number(cert)
            and single.issuer_name_hash == name_hash
            and single.issuer_key_hash == key_hash
        ):
            d.cert_id_matches = True
            d.check(
                "certID",
                True,
                f"an answer is about serial {serial_hex(serial_number(cert))} issued by "
                f"{issuer.subject.rfc4514_string()}",
                "RFC 6960 4.1.1",
            )
            return single
    same_serial = [s for s in singles if s.serial_number == serial_number(cert)]
    if same_serial:
        detail = (
            f"the response answers for serial {serial_hex(serial_number(cert))} but under another "
            f"issuer's name/key hash, not {issuer.subject.rfc4514_string()}"
        )
    else:
        listed = ", ".join(serial_hex(s.serial_number) for s in singles) or "nothing"
        detail = (
            f"the response is about serial {listed}, not this certificate "
            f"(serial {serial_hex(serial_number(cert))})"
        )
    d.check("certID", False, detail, "RFC 6960 4.1.1", "cert_id_mismatch")
    return None


def _responder_label(resp: ocsp.OCSPResponse) -> str:
    if resp.responder_name is not None:
        return resp.responder_name.rfc4514_string()
    return f"key hash {(resp.responder_key_hash or b'').hex()}"


def _is_responder(resp: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if resp.responder_name is not None:
        return resp.responder_name == cert.subject
    import hashlib

    return resp.responder_key_hash == hashlib.sha1(key_bits(cert)).digest()


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _signature_hash(resp: ocsp.OCSPResponse) -> hashes.HashAlgorithm | None:
    try:
        return resp.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None


def _check_signature(d: _Draft, resp: ocsp.OCSPResponse, issuer: x509.Certificate) -> None:
    rfc = "RFC 6960 4.2.2.2"
    d.signer = _responder_label(resp)
    signer: x509.Certificate | None = None
    delegated = False
    if _is_responder(resp, issuer):
        signer = issuer
    else:
        for candidate in resp.certificates:
            if _is_responder(resp, candidate):
                signer, delegated = candidate, True
                break
    if signer is None:
        d.signature = "unknown_signer"
        d.check(
            "signature",
            False,
            f"signed by {d.signer}, which is neither the issuer "
            f"({issuer.subject.rfc4514_string()}) nor a certificate included in the response",
            rfc,
            "unknown_signer",
        )
        return
    if delegated:
        reasons = []
        if not _issued_by(signer, issuer):
            reasons.append("it was not issued (signed) by the certificate's issuer")
        try:
            ekus = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            has_ocsp = ExtendedKeyUsageOID.OCSP_SIGNING in ekus
        except x509.ExtensionNotFound:
            has_ocsp = False
        if not has_ocsp:
            reasons.append("it lacks extended key usage OCSPSigning")
        if not signer.not_valid_before_utc <= d.at <= signer.not_valid_after_utc:
            reasons.append("it is outside its validity period")
        if reasons:
            d.signature = "unauthorized_signer"
            d.check(
                "signature",
                False,
                f"signed by {d.signer}, but that responder is not authorised: "
                + "; ".join(reasons),
                rfc,
                "unauthorized_signer",
            )
            return
    if not signature_ok(
        signer.public_key(), resp.signature, resp.tbs_response_bytes, _signature_hash(resp)
    ):
        d.signature = "bad_signature"
        d.check(
            "signature",
            False,
            f"the signature does not verify with the public key of {d.signer}: "
            "it was made with another key, or the response was altered",
            rfc,
            "bad_signature",
        )
        return
    d.signature = "delegated" if delegated else "issuer"
    who = (
        f"the delegated responder {d.signer} (issued by the CA, EKU OCSPSigning)"
        if delegated
        else f"the issuing CA {d.signer} itself"
    )
    d.check("signature", True, f"signed by {who}; the signature verifies", rfc)


def _check_freshness(d: _Draft) -> None:
    rfc = "RFC 6960 4.2.2.1, 3.2"
    at = d.at
    assert d.this_update is not None
    ahead = d.this_update - at
    if ahead > d.clock_skew:
        d.freshness = "not_yet_valid"
        d.check(
            "freshness",
            False,
            f"thisUpdate {when_text(d.this_update)} is after {when_text(at)}: "
            "the response claims to come from the future"
            + (
                f" (more than the {_duration(d.clock_skew)} allowed for clock skew)"
                if d.clock_skew
                else ""
            ),
            rfc,
            "not_yet_valid",
        )
    elif d.next_update is None:
        d.freshness = "no_next_update"
        d.check(
            "freshness",
            None,
            f"no nextUpdate: the responder says newer information is always available; "
            f"this answer dates from {when_text(d.this_update)}",
            rfc,
        )
    elif at > d.next_update:
        d.freshness = "stale"
        d.check(
            "freshness",
            False,
            f"stale: nextUpdate {when_text(d.next_update)} has passed at {when_text(at)}; "
            "an old answer proves nothing about now",
            rfc,
            "stale",
        )
    elif ahead > _dt.timedelta(0):
        d.freshness = "fresh"
        d.check(
            "freshness",
            True,
            f"fresh: thisUpdate {when_text(d.this_update)} is {_duration(ahead)} after "
            f"{when_text(at)}, within the {_duration(d.clock_skew)} allowed for clock skew "
            "(the answer was signed after the checking time was read, on another clock); "
            f"nextUpdate {when_text(d.next_update)}",
            rfc,
        )
    else:
        d.freshness = "fresh"
        d.check(
            "freshness",
            True,
            f"fresh: {when_text(d.this_update)} <= {when_text(at)} <= {when_text(d.next_update)}",
            rfc,
        )


def _duration(span: _dt.timedelta) -> str:
    """``"1 second"``, ``"5 minutes"``, ``"1 day"``: the largest unit it is a whole number of."""
    seconds = int(span.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _check_nonce(d: _Draft, resp: ocsp.OCSPResponse, nonce: bytes | None) -> None:
    if nonce is None:
        return
    rfc = "RFC 8954, RFC 6960 4.4.1"
    try:
        echoed: bytes | None = resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        echoed = None
    if echoed is None:
        d.nonce = "not_echoed"
        d.check(
            "nonce",
            None,
            "the responder did not echo the nonce (common: CAs pre-produce responses); "
            "freshness rests on thisUpdate/nextUpdate alone",
            rfc,
        )
    elif echoed == nonce:
        d.nonce = "matched"
        d.check("nonce", True, "the response echoes the request's nonce", rfc)
    else:
        d.nonce = "mismatch"
        d.check(
            "nonce",
            False,
            "the response carries a different nonce: it answers another request (a replay?)",
            rfc,
            "nonce_mismatch",
        )


def check_ocsp(
    response: bytes | ocsp.OCSPResponse,
    cert: Issued | x509.Certificate,
    issuer: Issued | x509.Certificate,
    *,
    at: _dt.datetime,
    nonce: bytes | None = None,
    clock_skew: _dt.timedelta = CLOCK_SKEW,
) -> OcspResult:
    """Check an OCSP response about ``cert``; never raises on bad data.

    Args:
        response: DER bytes as a responder sends them, or a parsed response.
        cert: the certificate whose status is asked.
        issuer: the CA that issued ``cert``; the response must be signed by
            it or by a responder certificate it issued with EKU OCSPSigning.
        at: the instant to judge freshness at.
        nonce: the nonce sent in the request, if any.
        clock_skew: how far thisUpdate may lie after ``at`` (:data:`CLOCK_SKEW`;
            ``timedelta(0)`` for none).

    Returns:
        The verdict with every check. ``status`` is ``"error"`` unless every
        check passed; ``problem`` then names the first one that failed.

    Raises:
        ValueError: if ``clock_skew`` is negative.
    """
    if clock_skew < _dt.timedelta(0):
        raise ValueError("clock_skew must not be negative")
    d = _Draft(at=clock.as_utc(at), clock_skew=clock_skew)
    leaf, ca = certificate_of(cert), certificate_of(issuer)
    parsed = _parse(response)
    if isinstance(parsed, str):
        d.check("parse", False, parsed, "RFC 6960 4.2.1", "malformed")
        return d.result()
    try:
        return _check_parsed(d, parsed, leaf, ca, nonce)
    except (ValueError, UnsupportedAlgorithm) as exc:
        # cryptography parses lazily: a response can load and still fail on access.
        d.check(
            "parse",
            False,
            f"the response is not well-formed ({exc})",
            "RFC 6960 4.2.1",
            "malformed",
        )
        return d.result()


def _check_parsed(
    d: _Draft,
    resp: ocsp.OCSPResponse,
    leaf: x509.Certificate,
    ca: x509.Certificate,
    nonce: bytes | None,
) -> OcspResult:
    d.check("parse", True, "a DER OCSPResponse", "RFC 6960 4.2.1")
    d.responder_status = resp.response_status.name.lower()
    if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        d.check(
            "responder status",
            False,
            f"responseStatus {d.responder_status}: "
            f"{_RESPONDER_ERRORS.get(resp.response_status, 'unsuccessful')}; "
            "the response carries no answer and no signature",
            "RFC 6960 4.2.1",
            "responder_error",
        )
        return d.result()
    d.check("responder status", True, "successful", "RFC 6960 4.2.1")
    d.produced_at = resp.produced_at_utc
    single = _matching_single(d, resp, leaf, ca)
    if single is not None:
        d.asserted = single.certificate_status.name.lower()  # type: ignore[assignment]
        d.this_update = single.this_update_utc
        d.next_update = single.next_update_utc
        d.revocation_time = single.revocation_time_utc
        d.reason = reason_name(single.revocation_reason)
    _check_signature(d, resp, ca)
    if single is not None:
        _check_freshness(d)
    _check_nonce(d, resp, nonce)
    return d.result()


__all__ = ["OcspCheck", "OcspResult", "check_ocsp"]
