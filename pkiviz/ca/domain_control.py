"""Domain control, checked for real before issuing: an ACME HTTP-01 challenge on 127.0.0.1.

How a DV certificate is earned (RFC 8555 8.3): the CA hands the applicant a
random *token*; the applicant's web server must serve the *key
authorization* - ``token + "." + base64url(SHA-256 JWK thumbprint of the
applicant's account key)`` (RFC 8555 8.1, RFC 7638) - at
``http://DOMAIN/.well-known/acme-challenge/TOKEN``. The CA fetches that URL
itself and issues only if the body matches. Only someone who controls what
the domain serves can pass.

Here the applicant's server (:class:`ChallengeServer`) is a real HTTP server
on 127.0.0.1 with an ephemeral port, and :func:`check_http01` plays the CA:
it fetches from that address with the ``Host`` header set to the domain (as
if DNS had resolved the name to it) within a bounded time and size. Real
ACME always uses port 80 and follows redirects; this check does neither.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from pkiviz import _loopback
from pkiviz.revocation._common import html_table
from pkiviz.revocation.fetch import fetch
from pkiviz.x509.factory import Issued
from pkiviz.x509.keys import PrivateKey, PublicKey
from pkiviz.x509.spec import CertSpec

WELL_KNOWN = "/.well-known/acme-challenge/"

Serve = Literal["correct", "wrong_content", "wrong_token", "nothing", "down"]
CheckOutcome = Literal[
    "valid",
    "wrong_content",
    "not_found",
    "http_error",
    "unreachable",
    "timed_out",
    "too_large",
    "refused",
]


_FETCH_OUTCOMES: dict[str, CheckOutcome] = {
    "refused": "refused",
    "unreachable": "unreachable",
    "timed_out": "timed_out",
    "too_large": "too_large",
}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")


def jwk_thumbprint(public_key: PublicKey) -> str:
    """The RFC 7638 JWK thumbprint of an account key, base64url without padding.

    Args:
        public_key: an EC (P-256/P-384), RSA or Ed25519 public key.

    Returns:
        base64url(SHA-256 of the canonical JWK).
    """
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        size = (public_key.curve.key_size + 7) // 8
        numbers = public_key.public_numbers()
        jwk = {
            "crv": {256: "P-256", 384: "P-384", 521: "P-521"}[public_key.curve.key_size],
            "kty": "EC",
            "x": _b64url(numbers.x.to_bytes(size, "big")),
            "y": _b64url(numbers.y.to_bytes(size, "big")),
        }
    elif isinstance(public_key, rsa.RSAPublicKey):
        rsa_numbers = public_key.public_numbers()
        jwk = {
            "e": _b64url(_int_bytes(rsa_numbers.e)),
            "kty": "RSA",
            "n": _b64url(_int_bytes(rsa_numbers.n)),
        }
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        from cryptography.hazmat.primitives import serialization

        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}
    else:
        raise TypeError(f"unsupported account key type {type(public_key).__name__}")
    canonical = json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return _b64url(hashlib.sha256(canonical).digest())


@dataclasses.dataclass(frozen=True)
class Http01Challenge:
    """The CA's challenge for one domain.

    Attributes:
        domain: the name the applicant wants in the certificate.
        token: the CA's random token (base64url, at least 128 bits).
        thumbprint: the applicant's account key thumbprint.
    """

    domain: str
    token: str
    thumbprint: str

    @property
    def key_authorization(self) -> str:
        """What the applicant's server must serve: ``token.thumbprint``."""
        return f"{self.token}.{self.thumbprint}"

    @property
    def path(self) -> str:
        """``/.well-known/acme-challenge/<token>``."""
        return WELL_KNOWN + self.token

    @property
    def url(self) -> str:
        """The URL the CA fetches (on port 80 in real ACME)."""
        return f"http://{self.domain}{self.path}"


def new_challenge(
    domain: str, account_key: PrivateKey, *, token: str | None = None
) -> Http01Challenge:
    """Make an HTTP-01 challenge, as the CA does when an order is placed.

    Args:
        domain: the domain to prove control of.
        account_key: the applicant's ACME account key.
        token: the token; default: 128 random bits (``secrets``), as RFC 8555
            8.1 requires. Pass one for a reproducible page.

    Returns:
        The challenge.
    """
    chosen = token if token is not None else secrets.token_urlsafe(16)
    return Http01Challenge(domain, chosen, jwk_thumbprint(account_key.public_key()))


class _Server(_loopback.QuietServer):
    site: ChallengeServer


class _Handler(_loopback.QuietHandler):
    server: _Server
    timeout = 5.0

    def do_GET(self) -> None:
        site = self.server.site
        site.requests.append(self.path)
        body = site.body_for(self.path)
        if body is None:
            self.send_body(404, b"not found\n", "application/octet-stream")
        else:
            self.send_body(200, body, "application/octet-stream")


class ChallengeServer(_loopback.Service):
    """The applicant's web server on 127.0.0.1, answering (or failing) a challenge.

    Args:
        challenge: the CA's challenge.
        serve: ``"correct"`` serves the key authorization; ``"wrong_content"``
            serves something else at the right path; ``"wrong_token"`` serves
            the right content under another token; ``"nothing"`` answers 404;
            ``"down"`` accepts no connections at all.
    """

    role = "server"
    usage = "with ChallengeServer(c) as s:"

    def __init__(self, challenge: Http01Challenge, *, serve: Serve = "correct") -> None:
        self.challenge = challenge
        self.serve = serve
        self.requests: list[str] = []

    def body_for(self, path: str) -> bytes | None:
        """The body served at ``path`` (``None`` means 404)."""
        good = self.challenge.key_authorization.encode("ascii")
        if self.serve == "correct" and path == self.challenge.path:
            return good
        if self.serve == "wrong_content" and path == self.challenge.path:
            return b"hello from the wrong server\n"
        if self.serve == "wrong_token" and path == WELL_KNOWN + "someone-elses-token":
            return good
        return None

    def start(self) -> ChallengeServer:
        """Serve on an ephemeral port; when ``"down"``, reserve a port that refuses connections.

        Returns:
            ``self``.
        """
        if self.serve == "down":
            self._running = _loopback.refuse()
            return self
        server = _Server((_loopback.HOST, 0), _Handler)
        server.site = self
        self._running = _loopback.serve(server, name="pkiviz-acme-site", join_timeout=6)
        return self

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>`` - where the CA's "DNS lookup" of the domain points."""
        return f"{_loopback.HOST}:{self.port}"


@dataclasses.dataclass(frozen=True)
class DomainCheck:
    """The CA's verdict on one HTTP-01 challenge.

    Attributes:
        domain: the domain.
        url: what was fetched.
        outcome: ``"valid"`` or why not.
        message: one plain-English sentence.
        expected: the key authorization.
        received: what the server returned (decoded, trimmed), if anything.
    """

    domain: str
    url: str
    outcome: CheckOutcome
    message: str
    expected: str
    received: str | None = None

    @property
    def ok(self) -> bool:
        """Whether control of the domain was shown."""
        return self.outcome == "valid"

    def __str__(self) -> str:
        return f"{self.outcome}: {self.message}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the text rendering as a notebook's plain-text output."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return html_table(
            f"HTTP-01 check for {self.domain}",
            [
                ("outcome", self.outcome),
                ("message", self.message),
                ("fetched", self.url),
                ("expected", self.expected),
                ("received", "-" if self.received is None else self.received),
            ],
        )


def check_http01(
    challenge: Http01Challenge,
    *,
    address: str,
    timeout: float = 2.0,
    max_bytes: int = 8192,
) -> DomainCheck:
    """Fetch the challenge URL, as the CA does, and compare; never raises for network trouble.

    Args:
        challenge: the challenge.
        address: ``127.0.0.1:<port>`` the domain "resolves" to.
        timeout: bound on the fetch, seconds.
        max_bytes: bound on the body.

    Returns:
        The verdict.
    """
    url = f"http://{address}{challenge.path}"
    expected = challenge.key_authorization
    got = fetch(url, host_header=challenge.domain, timeout=timeout, max_bytes=max_bytes)
    shown = f"http://{challenge.domain}{challenge.path} (at {address})"
    if got.outcome == "http_error":
        outcome: CheckOutcome = "not_found" if got.http_status == 404 else "http_error"
        return DomainCheck(
            challenge.domain,
            shown,
            outcome,
            f"{shown} answered HTTP {got.http_status}: the file is not there",
            expected,
        )
    if got.outcome != "fetched":
        outcome = _FETCH_OUTCOMES.get(got.outcome, "unreachable")
        return DomainCheck(challenge.domain, shown, outcome, got.message, expected)
    # RFC 8555 8.3: the body, with trailing whitespace removed, must equal the key authorization.
    received = got.body.decode("utf-8", errors="replace").rstrip()
    if received != expected:
        return DomainCheck(
            challenge.domain,
            shown,
            "wrong_content",
            "the server answered, but not with the key authorization: whoever runs it "
            "did not get the token from the applicant's ACME account",
            expected,
            received,
        )
    return DomainCheck(
        challenge.domain,
        shown,
        "valid",
        f"{challenge.domain} served the key authorization: the applicant controls it",
        expected,
        received,
    )


@dataclasses.dataclass(frozen=True)
class IssuanceDecision:
    """What the CA did after the domain check.

    Attributes:
        check: the domain-control verdict.
        issued: the certificate, or ``None`` if the CA refused.
        message: one plain-English sentence.
    """

    check: DomainCheck
    issued: Issued | None
    message: str

    def __str__(self) -> str:
        return self.message


def issue_if_controlled(
    ca: Issued,
    challenge: Http01Challenge,
    *,
    address: str,
    spec: CertSpec | None = None,
    timeout: float = 2.0,
) -> IssuanceDecision:
    """Check domain control, then issue a DV certificate only if it passed.

    Args:
        ca: the issuing CA.
        challenge: the challenge for the domain.
        address: where the domain "resolves" (the applicant server's address).
        spec: what to issue; default a DV server certificate for the domain.
        timeout: bound on the check, seconds.

    Returns:
        The check and, if it passed, the certificate.
    """
    check = check_http01(challenge, address=address, timeout=timeout)
    if not check.ok:
        return IssuanceDecision(
            check,
            None,
            f"not issued: domain control of {challenge.domain} was not shown ({check.outcome})",
        )
    if spec is None:
        from pkiviz.ca.validation_levels import spec_for

        spec = spec_for("dv", challenge.domain)
    issued = ca.issue(spec)
    return IssuanceDecision(check, issued, f"issued: {issued.name}, after {check.message}")


__all__ = [
    "WELL_KNOWN",
    "ChallengeServer",
    "DomainCheck",
    "Http01Challenge",
    "IssuanceDecision",
    "check_http01",
    "issue_if_controlled",
    "jwk_thumbprint",
    "new_challenge",
]
