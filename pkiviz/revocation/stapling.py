"""OCSP stapling in a real TLS handshake on 127.0.0.1, and what Must-Staple changes.

Stapling (RFC 6066 section 8, "status_request"; in TLS 1.3 the response rides
in the Certificate message, RFC 8446 4.4.2.1): the *server* fetches its own
OCSP response from the CA ahead of time and sends it inside the handshake, so
the client learns the revocation status without contacting the CA - faster,
and the CA does not learn who visits which site.

Python's :mod:`ssl` cannot staple, so :func:`staple_handshake` runs both ends
with pyOpenSSL (``Context.set_ocsp_server_callback`` /
``set_ocsp_client_callback``, ``Connection.request_ocsp``) over a loopback TCP
connection, with a deadline on every wait, and reports what the client saw:
the stapled bytes and :func:`~pkiviz.revocation.ocsp.check_ocsp`'s verdict.

**Must-Staple** is the TLS Feature extension (RFC 7633) with
``status_request``: the certificate itself says "a handshake without a staple
is an attack". Real clients differ, and it is honest to say so:

* Firefox enforces it: no valid staple means a hard failure
  (``MOZILLA_PKIX_ERROR_REQUIRED_TLS_FEATURE_MISSING``; preference
  ``security.ssl.enable_ocsp_must_staple``).
* Chrome and other Chromium browsers ignore Must-Staple and do not fetch OCSP
  for ordinary certificates; they rely on their own pushed revocation lists.
* The OpenSSL library only asks for a staple when told to (``s_client
  -status`` prints it) and enforces nothing itself; ``curl --cert-status``
  demands a good staple for every certificate, Must-Staple or not.
* Other clients (Safari, most libraries and command-line tools) are not
  known to enforce it; check the version you care about.

Must-Staple has faded with OCSP itself: the CA/Browser Forum made OCSP
optional for publicly trusted certificates, and Let's Encrypt stopped
honouring Must-Staple and shut its OCSP service down in 2025. The mechanism
is still the clearest way to see why a soft-failing revocation check is
weak, which is why the book shows it.

``enforce=True`` makes the client here behave like Firefox: it aborts the
handshake when a Must-Staple certificate arrives without a valid staple (and
also when any staple says "revoked" or fails its checks). With
``enforce=False`` the handshake completes and the result reports the
violation. This module is live code: it reads the wall clock unless given
``at=``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import select
import socket
import time
from collections.abc import Callable
from typing import Literal, NamedTuple, TypeVar

from cryptography import x509

from pkiviz import _serving, clock
from pkiviz.revocation._common import html_table
from pkiviz.revocation.ocsp_check import OcspResult, check_ocsp
from pkiviz.x509.factory import Issued, use_private_key

Verdict = Literal[
    "ok", "no_staple", "must_staple_violated", "bad_staple", "revoked", "handshake_failed"
]

_T = TypeVar("_T")


class _Judged(NamedTuple):
    verdict: Verdict
    message: str
    check: OcspResult | None
    must_staple: bool


@dataclasses.dataclass
class _Seen:
    """What the client callback saw (mutable scratch, filled during the handshake)."""

    stapled: bytes | None = None
    judged: _Judged | None = None


@dataclasses.dataclass(frozen=True)
class StapleResult:
    """What the client saw in one handshake.

    Attributes:
        verdict: ``"ok"`` (a valid staple, status good), ``"revoked"``,
            ``"bad_staple"`` (stale, forged, about another certificate...),
            ``"no_staple"`` (none sent; the certificate does not demand one),
            ``"must_staple_violated"`` (none sent, or a bad one, for a
            Must-Staple certificate), ``"handshake_failed"``.
        message: one plain-English sentence.
        handshake_completed: whether the TLS handshake finished.
        requested: whether the client asked for a staple (status_request).
        stapled: the stapled OCSP response bytes, ``None`` if none arrived.
        check: :func:`check_ocsp` on the staple, if one arrived.
        must_staple: whether the server certificate carries the TLS Feature
            status_request (RFC 7633).
        tls_version: the negotiated protocol, e.g. ``"TLSv1.3"``.
        error: the TLS error, if the handshake failed.
        at: the instant the staple was judged at.
    """

    verdict: Verdict
    message: str
    handshake_completed: bool
    requested: bool
    stapled: bytes | None
    check: OcspResult | None
    must_staple: bool
    tls_version: str | None
    error: str | None
    at: _dt.datetime

    def _rows(self) -> list[tuple[str, str]]:
        return [
            ("verdict", self.verdict),
            ("message", self.message),
            ("handshake completed", "yes" if self.handshake_completed else "no"),
            ("TLS version", self.tls_version or "-"),
            ("client asked for a staple", "yes" if self.requested else "no"),
            ("staple received", f"{len(self.stapled)} bytes" if self.stapled else "none"),
            ("staple check", self.check.message if self.check else "-"),
            ("certificate demands a staple (Must-Staple)", "yes" if self.must_staple else "no"),
        ]

    def __str__(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v in self._rows())

    def _repr_html_(self) -> str:
        return html_table("OCSP stapling", self._rows())


def has_must_staple(cert: x509.Certificate) -> bool:
    """Whether a certificate carries the TLS Feature extension with status_request (RFC 7633).

    Args:
        cert: the certificate.

    Returns:
        True for a Must-Staple certificate.
    """
    try:
        features = cert.extensions.get_extension_for_class(x509.TLSFeature).value
    except x509.ExtensionNotFound:
        return False
    return x509.TLSFeatureType.status_request in features


def _wait(sock: socket.socket, *, write: bool, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    if write:
        _, ready, _ = select.select([], [sock], [], remaining)
    else:
        ready, _, _ = select.select([sock], [], [], remaining)
    if not ready:
        raise TimeoutError


def _drive(op: Callable[[], _T], sock: socket.socket, deadline: float) -> _T:
    """Run a non-blocking pyOpenSSL operation to completion or until the deadline."""
    from OpenSSL import SSL

    while True:
        try:
            return op()
        except SSL.WantReadError:
            _wait(sock, write=False, deadline=deadline)
        except SSL.WantWriteError:
            _wait(sock, write=True, deadline=deadline)


def _judge(
    stapled: bytes | None, chain: list[x509.Certificate], trust: Issued, at: _dt.datetime
) -> _Judged:
    leaf = chain[0] if chain else None
    must = leaf is not None and has_must_staple(leaf)
    if not stapled:
        if must:
            return _Judged(
                "must_staple_violated",
                "no staple, but the certificate says it must always come with one (RFC 7633): "
                "a Must-Staple-aware client (Firefox) refuses the connection",
                None,
                must,
            )
        return _Judged(
            "no_staple",
            "no staple; the client must ask the CA itself (OCSP or CRL) or go without",
            None,
            must,
        )
    assert leaf is not None
    issuer = next(
        (c for c in chain[1:] if c.subject == leaf.issuer),
        trust.certificate if trust.certificate.subject == leaf.issuer else None,
    )
    if issuer is None:
        return _Judged(
            "bad_staple",
            "a staple arrived, but the leaf's issuer was not sent, so it cannot be checked",
            None,
            must,
        )
    result = check_ocsp(stapled, leaf, issuer, at=at)
    if result.status == "revoked":
        return _Judged(
            "revoked", f"the stapled response says REVOKED: {result.message}", result, must
        )
    if not result.ok:
        verdict: Verdict = "must_staple_violated" if must else "bad_staple"
        return _Judged(verdict, f"the staple cannot be relied on: {result.message}", result, must)
    return _Judged("ok", f"a valid staple: {result.message}", result, must)


class _StapleServer(_serving.Serving[str | None]):
    """The stapling server on the shared loopback loop: each connection to ``serve_one``."""

    thread_name = "pkiviz-staple-server"
    results = "handshakes"

    def __init__(self, serve_one: Callable[[socket.socket], str | None], *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.serve_one = serve_one

    def _handle(self, conn: socket.socket) -> str | None:
        return self.serve_one(conn)


def staple_handshake(
    server: Issued,
    trust: Issued,
    *,
    staple: bytes | None,
    request_status: bool = True,
    enforce: bool = False,
    at: _dt.datetime | None = None,
    tls_version: Literal["1.2", "1.3"] | None = None,
    timeout: float = 5.0,
) -> StapleResult:
    """Run one TLS handshake on 127.0.0.1 in which the server may staple an OCSP response.

    Args:
        server: the server certificate and key; its intermediates are sent too.
        trust: the root the client trusts.
        staple: the DER OCSP response the server staples, ``None`` for none.
        request_status: whether the client asks for a staple (a client that
            does not ask never gets one).
        enforce: abort the handshake, as Firefox does, when a Must-Staple
            certificate arrives without a valid staple, or any staple is
            revoked or invalid.
        at: when to judge the staple's freshness; default: the wall clock.
        tls_version: pin ``"1.2"`` or ``"1.3"``; default: the best both know.
        timeout: bound on the whole handshake, seconds.

    Returns:
        What the client saw.
    """
    from OpenSSL import SSL, crypto

    when = clock.as_utc(at) if at is not None else clock.wall_clock()
    deadline = time.monotonic() + timeout
    seen = _Seen()

    def server_callback(conn: SSL.Connection, data: object) -> bytes:
        return staple or b""

    def client_callback(conn: SSL.Connection, ocsp_data: bytes, data: object) -> bool:
        chain = list(conn.get_peer_cert_chain(as_cryptography=True) or [])
        seen.stapled = bytes(ocsp_data) or None
        seen.judged = _judge(seen.stapled, chain, trust, when)
        return not enforce or seen.judged.verdict in ("ok", "no_staple")

    server_ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    server_ctx.use_certificate(server.certificate)
    use_private_key(server_ctx, server.private_key)
    for extra in server.intermediates:
        server_ctx.add_extra_chain_cert(extra.certificate)
    server_ctx.set_ocsp_server_callback(server_callback)

    client_ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    client_ctx.set_verify(SSL.VERIFY_PEER, lambda *args: bool(args[-1]))
    store = client_ctx.get_cert_store()
    assert store is not None
    store.add_cert(crypto.X509.from_cryptography(trust.certificate))
    if tls_version is not None:
        version = SSL.TLS1_3_VERSION if tls_version == "1.3" else SSL.TLS1_2_VERSION
        client_ctx.set_min_proto_version(version)
        client_ctx.set_max_proto_version(version)
    if request_status:
        client_ctx.set_ocsp_client_callback(client_callback)

    def serve(accepted: socket.socket) -> str | None:
        with accepted:
            accepted.setblocking(False)
            conn = SSL.Connection(server_ctx, accepted)
            conn.set_accept_state()
            try:
                _drive(conn.do_handshake, accepted, deadline)
                _drive(lambda: conn.send(b"ok"), accepted, deadline)
            except (SSL.Error, OSError, TimeoutError) as exc:
                return f"{type(exc).__name__}: {exc}"
        return None

    client_sock: socket.socket | None = None
    with _StapleServer(serve, timeout=timeout) as listening:
        try:
            client_sock = socket.create_connection(listening.address, timeout=timeout)
            client_sock.setblocking(False)
            conn = SSL.Connection(client_ctx, client_sock)
            conn.set_connect_state()
            host = server.spec.dns_names[0] if server.spec.dns_names else "localhost"
            conn.set_tlsext_host_name(host.encode("idna"))
            if request_status:
                conn.request_ocsp()
            error: str | None = None
            completed = False
            negotiated: str | None = None
            try:
                _drive(conn.do_handshake, client_sock, deadline)
                _drive(lambda: conn.recv(2), client_sock, deadline)
                completed = True
                negotiated = conn.get_protocol_version_name()
            except (SSL.Error, OSError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        finally:
            if client_sock is not None:
                client_sock.close()

    judged = seen.judged
    if judged is None:  # the client did not ask, or the handshake failed before the callback
        if has_must_staple(server.certificate):
            judged = _Judged(
                "must_staple_violated",
                "no staple (the client did not ask for one), but the certificate demands "
                "one (RFC 7633)",
                None,
                True,
            )
        else:
            judged = _judge(None, [], trust, when)
    verdict, message, check, must = judged
    if not completed:
        if enforce and verdict not in ("ok", "no_staple"):
            message = f"handshake aborted by the client: {message}"
        else:
            verdict, message = "handshake_failed", f"the TLS handshake failed: {error}"
    return StapleResult(
        verdict=verdict,
        message=message,
        handshake_completed=completed,
        requested=request_status,
        stapled=seen.stapled,
        check=check,
        must_staple=must,
        tls_version=negotiated,
        error=error,
        at=when,
    )


__all__ = ["StapleResult", "Verdict", "has_must_staple", "staple_handshake"]
