"""The ``revocation`` check: CRLs, OCSP responses and staples, given or fetched, and a policy.

For each certificate on the path below the trust anchor the check collects
*answers* and judges each one:

1. the OCSP staple (the leaf only), if one is given;
2. the OCSP responses given whose certID names this certificate;
3. the CRLs given from its issuer;
4. with ``fetch_revocation=True``, and only if 1-3 settled nothing: OCSP from
   the responder in its Authority Information Access, then the CRL from its
   CRL distribution point, through the ``fetcher`` the caller passed (this
   module opens no socket; :func:`pkiviz.revocation.fetch.fetch` is the real
   one, loopback only unless ``allow_network=True``); every fetch bounded in
   time and size.

Each answer is *good*, *revoked*, *unusable* (it arrived but cannot be
trusted: stale, signed by the wrong key, malformed, a CRL without a CRL
number...) or *no answer* (nothing usable came: the responder is down, too
slow, answers HTTP 503 or an HTML page, says tryLater or "unknown", or the
certificate names no URL). The verdict for the certificate:

==============================  ==========================================
an answer says revoked          fail: REVOKED
a usable answer says good       pass
an answer is unusable           fail, under either policy: a stale or
                                forged answer is not the same as silence
no answer could be had          ``"soft"``: pass, saying "could not check,
                                soft-fail"; ``"hard"``: fail
nothing was consulted           ``"soft"``: skipped; ``"hard"``: fail
==============================  ==========================================

``"soft"`` is what browsers that check at all do when the responder does not
answer; ``"hard"`` is what a client that must know does. The policy is named
in every message it decides.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterator
from typing import Literal

from cryptography import x509
from cryptography.x509 import ocsp

from pkiviz.revocation._common import when_text
from pkiviz.revocation.fetcher import Fetched, crl_from, crl_url_of, ocsp_from, ocsp_url_of
from pkiviz.revocation.ocsp_check import OcspResult, check_ocsp
from pkiviz.validation.context import Context
from pkiviz.validation.crl import judge_crl
from pkiviz.validation.facts import CertFacts
from pkiviz.validation.report import Check

Finding = Literal["good", "revoked", "unusable", "no_answer"]
Mechanism = Literal["CRL", "OCSP", "staple"]

_RFC = {"CRL": "RFC 5280 6.3", "OCSP": "RFC 6960 3.2", "staple": "RFC 6066 8"}
_NO_ANSWER_RFC = "RFC 5280 6.3.3"
_NAME = "revocation"


@dataclasses.dataclass(frozen=True)
class Answer:
    """One revocation answer about one certificate, and what pkiviz made of it.

    Attributes:
        mechanism: ``"CRL"``, ``"OCSP"`` or ``"staple"`` (OCSP in the handshake).
        source: ``"given"``, or the URL it was fetched from.
        finding: ``"good"``, ``"revoked"``, ``"unusable"`` or ``"no_answer"``.
        detail: one plain-English sentence.
        this_update: thisUpdate of the CRL or OCSP answer, if one was read.
        next_update: its nextUpdate.
    """

    mechanism: Mechanism
    source: str
    finding: Finding
    detail: str
    this_update: _dt.datetime | None = None
    next_update: _dt.datetime | None = None

    @property
    def label(self) -> str:
        """``"CRL given"``, ``"OCSP from http://..."``, ``"OCSP staple"``..."""
        if self.mechanism == "staple":
            return "OCSP staple"
        if self.source == "given":
            return f"{self.mechanism} given"
        if not self.source:
            return self.mechanism
        return f"{self.mechanism} from {self.source}"

    @property
    def freshness(self) -> str:
        """``"thisUpdate ..., nextUpdate ..."``, or ``""`` if nothing was read."""
        if self.this_update is None:
            return ""
        return f"thisUpdate {when_text(self.this_update)}, nextUpdate {when_text(self.next_update)}"

    def __str__(self) -> str:
        where = self.label + (f"; {self.freshness}" if self.freshness else "")
        return f"{self.detail} [{where}]"


def revocation(ctx: Context) -> Iterator[Check]:
    """No certificate on the path is revoked, as far as the answers had show (RFC 5280 6.3)."""
    inputs = ctx.revocation
    if not inputs.anything and inputs.policy == "soft":
        yield ctx.skip(
            _NAME,
            None,
            "no CRL or OCSP response was given, so revocation was not checked",
            "RFC 5280 6.3",
        )
        return
    path = ctx.path
    last = len(path) - 1 if ctx.anchored else len(path)
    used: set[int] = set()
    for i in range(last):
        if i + 1 >= len(path):
            yield ctx.skip(
                _NAME, i, "its issuer is unknown, so no revocation answer applies", "RFC 5280 6.3"
            )
            continue
        cert, issuer = path[i], path[i + 1]
        answers = list(_given(ctx, i, cert, issuer, used))
        if inputs.fetch and not any(a.finding in ("good", "revoked") for a in answers):
            answers.extend(_fetched(ctx, cert, issuer))
        yield _verdict(ctx, i, issuer, answers)
    for k, response in enumerate(inputs.ocsp_responses):
        if k not in used:
            yield ctx.skip(
                _NAME,
                None,
                f"OCSP response #{k + 1} is about {_about(response)}, not about a certificate "
                "on this path, so it was ignored",
                "RFC 6960 4.1.1",
            )


# -- gathering answers -------------------------------------------------------


def _given(
    ctx: Context, i: int, cert: CertFacts, issuer: CertFacts, used: set[int]
) -> Iterator[Answer]:
    inputs = ctx.revocation
    if i == 0 and inputs.staple is not None:
        result = check_ocsp(inputs.staple, cert.cert, issuer.cert, at=ctx.at)
        yield _ocsp_answer(result, "staple", "given")
    for k, response in enumerate(inputs.ocsp_responses):
        result = check_ocsp(response, cert.cert, issuer.cert, at=ctx.at)
        if result.problem in ("malformed", "responder_error"):
            if i != 0:  # no readable certID: counted once, against the leaf
                continue
        elif not result.cert_id_matches:
            continue
        used.add(k)
        yield _ocsp_answer(result, "OCSP", "given")
    for crl in inputs.crls:
        if crl.issuer == cert.issuer:
            yield _crl_answer(crl, cert, issuer, ctx.at, "given")


def _fetched(ctx: Context, cert: CertFacts, issuer: CertFacts) -> Iterator[Answer]:
    inputs = ctx.revocation
    fetcher = inputs.fetcher
    if fetcher is None:  # pragma: no cover - validate() refuses fetch without a fetcher
        raise ValueError("fetching revocation needs a fetcher")
    timeout, max_bytes, network = inputs.timeout, inputs.max_bytes, inputs.allow_network
    ocsp_url = ocsp_url_of(cert.cert)
    if ocsp_url is None:
        yield Answer("OCSP", "", "no_answer", "the certificate names no OCSP responder")
    else:
        key = ("ocsp", ocsp_url, cert.fingerprint, issuer.fingerprint)
        got = inputs.cache.get(key)
        if not isinstance(got, Fetched):
            got = ocsp_from(
                fetcher,
                cert.cert,
                issuer.cert,
                url=ocsp_url,
                timeout=timeout,
                max_bytes=max_bytes,
                allow_network=network,
            )
            inputs.cache[key] = got
        if got.ocsp_response is None:
            yield Answer("OCSP", ocsp_url, "no_answer", f"{got.outcome}: {got.message}")
        else:
            answer = _ocsp_answer(
                check_ocsp(got.ocsp_response, cert.cert, issuer.cert, at=ctx.at), "OCSP", ocsp_url
            )
            yield answer
            if answer.finding in ("good", "revoked"):
                return
    crl_url = crl_url_of(cert.cert)
    if crl_url is None:
        yield Answer("CRL", "", "no_answer", "the certificate names no CRL distribution point")
        return
    crl_key = ("crl", crl_url)
    got = inputs.cache.get(crl_key)
    if not isinstance(got, Fetched):
        got = crl_from(
            fetcher, crl_url, timeout=timeout, max_bytes=max_bytes, allow_network=network
        )
        inputs.cache[crl_key] = got
    if got.crl is None:
        yield Answer("CRL", crl_url, "no_answer", f"{got.outcome}: {got.message}")
    elif got.crl.issuer != cert.issuer:
        yield Answer(
            "CRL",
            crl_url,
            "unusable",
            f"the CRL served there is from {got.crl.issuer.rfc4514_string()}, "
            f"not from the certificate's issuer {issuer.label}",
        )
    else:
        yield _crl_answer(got.crl, cert, issuer, ctx.at, crl_url)


def _crl_answer(
    crl: x509.CertificateRevocationList,
    cert: CertFacts,
    issuer: CertFacts,
    at: _dt.datetime,
    source: str,
) -> Answer:
    finding, detail = judge_crl(crl, cert, issuer, at)
    return Answer("CRL", source, finding, detail, crl.last_update_utc, crl.next_update_utc)


def _ocsp_answer(result: OcspResult, mechanism: Mechanism, source: str) -> Answer:
    when = (result.this_update, result.next_update)
    signer = result.signer or "an unnamed responder"
    if result.status == "good":
        says = f"the response signed by {signer} says good"
        return Answer(mechanism, source, "good", says, *when)
    if result.status == "revoked":
        on = f" on {result.revocation_time:%Y-%m-%d}" if result.revocation_time else ""
        reason = f" (reason: {result.reason})" if result.reason else ""
        return Answer(
            mechanism,
            source,
            "revoked",
            f"REVOKED{on}{reason}: the response signed by {signer} says so",
            *when,
        )
    if result.status == "unknown":
        return Answer(
            mechanism,
            source,
            "no_answer",
            f"the responder ({signer}) says 'unknown': it does not know this certificate",
            *when,
        )
    if result.problem == "responder_error":
        return Answer(mechanism, source, "no_answer", result.message)
    return Answer(mechanism, source, "unusable", result.message, *when)


def _about(response: bytes | ocsp.OCSPResponse) -> str:
    try:
        parsed = (
            response
            if isinstance(response, ocsp.OCSPResponse)
            else ocsp.load_der_ocsp_response(bytes(response))
        )
        serials = ", ".join(f"{s.serial_number:#x}" for s in parsed.responses)
    except ValueError:  # pragma: no cover - malformed responses are counted against the leaf
        return "something unreadable"
    return f"serial {serials or 'nothing'}"


# -- the verdict -------------------------------------------------------------


def _verdict(ctx: Context, i: int, issuer: CertFacts, answers: list[Answer]) -> Check:
    policy = ctx.revocation.policy
    revoked = next((a for a in answers if a.finding == "revoked"), None)
    if revoked is not None:
        return ctx.fail(_NAME, i, str(revoked), _RFC[revoked.mechanism])
    good = next((a for a in answers if a.finding == "good"), None)
    if good is not None:
        others = [a for a in answers if a is not good and a.finding != "good"]
        extra = "; also: " + "; ".join(str(a) for a in others) if others else ""
        return ctx.ok(_NAME, i, f"good: {good}{extra}", _RFC[good.mechanism])
    unusable = next((a for a in answers if a.finding == "unusable"), None)
    if unusable is not None:
        return ctx.fail(
            _NAME,
            i,
            f"revocation status unknown: {unusable} - rejected under either policy: an "
            "answer that arrived but cannot be trusted is not the same as no answer",
            _RFC[unusable.mechanism],
        )
    if answers:
        tried = "could not check: " + "; ".join(str(a) for a in answers)
        if policy == "soft":
            return ctx.ok(
                _NAME,
                i,
                f"{tried}. Soft-fail (revocation_policy='soft'): accepted without a "
                "revocation answer, as browsers do",
                _NO_ANSWER_RFC,
            )
        return ctx.fail(
            _NAME,
            i,
            f"{tried}. Hard-fail (revocation_policy='hard'): rejected, since no revocation "
            "answer could be had",
            _NO_ANSWER_RFC,
        )
    nothing = (
        f"not checked: no CRL from {issuer.label} and no OCSP response about it was given, "
        "and fetching is off"
    )
    if policy == "soft":
        return ctx.skip(_NAME, i, nothing, "RFC 5280 6.3")
    return ctx.fail(
        _NAME,
        i,
        f"{nothing}. Hard-fail (revocation_policy='hard'): rejected without a revocation answer",
        _NO_ANSWER_RFC,
    )
