"""Live TLS on 127.0.0.1: a capturing server, a capturing client, one handshake.

This is pkiviz's live-TLS module: it opens sockets, runs threads and is the
only part of the TLS package that reads the wall clock. Everything it
captures becomes a :class:`~pkiviz.tls.handshake.Handshake` (pure data) that
the rest of pkiviz reads.

* :class:`Server` - a context manager serving TLS on 127.0.0.1 (any client:
  Python's ssl, ``curl``, ``openssl s_client``), capturing each connection's
  handshake. Every socket has a timeout; the thread is a daemon joined on exit.
* :func:`connect` - a client handshake that captures what it sent and received.
* :func:`run_handshake` / :func:`live_handshake` - both at once, optionally
  through a :class:`~pkiviz.net.wire.Tap` so the same handshake is also
  decrypted from the bytes on the wire with the key log.
* :func:`resumed_handshake` - two connections, the second resuming the
  first one's session (an abbreviated handshake: no Certificate, no signature).

Capture uses CPython's message callback (:mod:`pkiviz.net._msgcallback`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import socket
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Literal

from pkiviz import _serving, clock
from pkiviz.errors import InputError
from pkiviz.net import _msgcallback
from pkiviz.tls.handshake import Handshake, Perspective, RawRecord, handshake_from_records
from pkiviz.x509.example import RunningExample, running_example
from pkiviz.x509.factory import Issued

Version = Literal["1.2", "1.3"]

HTTP_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"
_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
_MAX_READ = _serving.MAX_READ


def now() -> _dt.datetime:
    """The wall clock, for checking live certificates (the one read in pkiviz.tls)."""
    return clock.wall_clock()


def server_context(
    server: Issued,
    *,
    version: Version | None = None,
    client_ca: Issued | None = None,
    require_client_cert: bool = True,
    groups: str | None = None,
) -> ssl.SSLContext:
    """A server SSLContext for a factory certificate.

    Args:
        server: the server's certificate (its chain and key are loaded).
        version: pin TLS ``"1.2"`` or ``"1.3"``; ``None`` allows both.
        client_ca: ask for a client certificate issued under this CA (mTLS).
        require_client_cert: with ``client_ca``, fail the handshake if the
            client sends none (``CERT_REQUIRED``) rather than ``CERT_OPTIONAL``.
        groups: restrict key-exchange groups to one curve (e.g.
            ``"prime256v1"``); a client whose first key share is another group
            gets a HelloRetryRequest in TLS 1.3.

    Returns:
        The context.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _pin(ctx, version)
    server.configure_cert(ctx)
    if client_ca is not None:
        client_ca.configure_trust(ctx)
        ctx.verify_mode = ssl.CERT_REQUIRED if require_client_cert else ssl.CERT_OPTIONAL
    if groups is not None:
        ctx.set_ecdh_curve(groups)
    return ctx


def client_context(
    trust: Issued | None,
    *,
    version: Version | None = None,
    client: Issued | None = None,
) -> ssl.SSLContext:
    """A client SSLContext trusting a factory root.

    Args:
        trust: the trust anchor; ``None`` disables verification (CERT_NONE),
            which is what a prober does so it sees every server.
        version: pin TLS ``"1.2"`` or ``"1.3"``; ``None`` allows both.
        client: a client certificate to present if asked (mTLS).

    Returns:
        The context.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _pin(ctx, version)
    if trust is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        trust.configure_trust(ctx)
    if client is not None:
        client.configure_cert(ctx)
    return ctx


def _pin(ctx: ssl.SSLContext, version: Version | None) -> None:
    if version is None:
        return
    if version not in _VERSIONS:
        raise ValueError(f"version must be '1.2' or '1.3', not {version!r}")
    ctx.minimum_version = ctx.maximum_version = _VERSIONS[version]


def describe_error(exc: BaseException) -> str:
    """One line for a failed handshake: the OpenSSL reason and verify message."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _to_records(
    events: tuple[_msgcallback.Event, ...], side: Literal["client", "server"]
) -> list[RawRecord]:
    other: Literal["client", "server"] = "server" if side == "client" else "client"
    return [
        (side if e.direction == "write" else other, e.content_type, e.data, e.outer_type)
        for e in events
    ]


def build_handshake(
    events: tuple[_msgcallback.Event, ...],
    side: Literal["client", "server"],
    completed: bool,
    error: str | None,
) -> Handshake:
    """The :class:`Handshake` one side saw, from the records its message callback captured."""
    perspective: Perspective = side
    return handshake_from_records(
        _to_records(events, side), perspective=perspective, completed=completed, error=error
    )


class Server(_serving.Serving[Handshake]):
    """A TLS server on 127.0.0.1 that captures every handshake it takes part in.

    Each connection: handshake; if it succeeds, read one request and answer
    with a tiny HTTP response (so ``curl`` is happy), then close. Connections
    are served one at a time. Use as a context manager::

        with Server(server_context(example.server)) as srv:
            connect(client_ctx, *srv.address, server_hostname="login.example.com")
            (hs,) = srv.wait(1)

    :meth:`wait` blocks until that many handshakes are captured (see
    :class:`~pkiviz._serving.Serving`).

    Args:
        context: the server context (its message callback is taken over).
        host: address to listen on.
        timeout: seconds allowed for each socket operation.
        response: bytes sent back after a request, ``None`` to send nothing.
    """

    thread_name = "pkiviz-tls-server"
    results = "handshakes"

    def __init__(
        self,
        context: ssl.SSLContext,
        *,
        host: str = "127.0.0.1",
        timeout: float = 5.0,
        response: bytes | None = HTTP_RESPONSE,
    ) -> None:
        super().__init__(host=host, timeout=timeout)
        self.context = context
        self.response = response
        self._recorder: _msgcallback.Recorder | None = None

    @property
    def handshakes(self) -> tuple[Handshake, ...]:
        """The handshakes captured so far, oldest first."""
        return self._collected()

    def __enter__(self) -> Server:
        self._recorder = _msgcallback.attach(self.context)
        return super().__enter__()

    def close(self) -> None:
        """Stop serving, join the thread and close the listening socket."""
        super().close()
        _msgcallback.detach(self.context)

    def _handle(self, conn: socket.socket) -> Handshake:
        assert self._recorder is not None
        conn.settimeout(self.timeout)
        tls: ssl.SSLSocket | None = None
        completed, error = False, None
        try:
            tls = self.context.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            tls.do_handshake()
            completed = True
            request = tls.recv(_MAX_READ)
            if request and self.response is not None:
                tls.sendall(self.response)
        except (OSError, ssl.SSLError) as exc:
            error = describe_error(exc)
        finally:
            events = self._recorder.take(tls) if tls is not None else ()
            if error is not None:
                _serving.drain(tls or conn, min(self.timeout, 1.0))
            (tls or conn).close()
            conn.close()
        return build_handshake(events, "server", completed, error)


def connect(
    context: ssl.SSLContext,
    host: str,
    port: int,
    *,
    server_hostname: str | None = None,
    timeout: float = 5.0,
    request: bytes | None = None,
    linger: float | None = None,
    session: ssl.SSLSession | None = None,
) -> Handshake:
    """Connect, handshake, send a request, read once, and return the capture.

    A failed handshake (or a server alert after it) is captured too: the
    returned handshake has ``completed=False`` or an ``error``.

    Args:
        context: the client context (its message callback is used while connecting).
        host: server address.
        port: server port.
        server_hostname: SNI and the name to check; default ``host``.
        timeout: seconds for connecting and for each read/write.
        request: bytes to send after the handshake (then one read, which
            also collects TLS 1.3 NewSessionTickets or a late alert); default
            a minimal HTTP GET; ``b""`` sends nothing.
        linger: with nothing to send, wait this many seconds for whatever the
            server sends unasked (TLS 1.3 tickets, a late alert); ``None``
            reads nothing.
        session: offer to resume this session (from an earlier connection's
            ``SSLSocket.session``, made with the same context); see
            :func:`resumed_handshake`.

    Returns:
        The client's view of the handshake.

    Raises:
        OSError: the TCP connection could not be made (refused, unreachable, timeout).
    """
    return _connect(
        context,
        host,
        port,
        server_hostname=server_hostname,
        timeout=timeout,
        request=request,
        linger=linger,
        session=session,
        keep_session=False,
    )[0]


def _connect(
    context: ssl.SSLContext,
    host: str,
    port: int,
    *,
    server_hostname: str | None,
    timeout: float,
    request: bytes | None,
    linger: float | None,
    session: ssl.SSLSession | None,
    keep_session: bool,
) -> tuple[Handshake, ssl.SSLSession | None, bool]:
    """:func:`connect`, also returning the session to resume and whether this one resumed.

    The session is read only with ``keep_session``: reading ``SSLSocket.session``
    makes CPython copy it through a DER buffer capped at 65,280 bytes, and the
    session holds the server's certificate, so a server with a larger one makes
    that read fail (``ValueError: i2d() failed``). Then there is no session to
    resume (``None``), and the handshake itself is unaffected.
    """
    name = server_hostname if server_hostname is not None else host
    if request is None:
        request = f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode()
    recorder = _msgcallback.attach(context)
    resumable: ssl.SSLSession | None = None
    reused = False
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
        tls: ssl.SSLSocket | None = None
        completed, error = False, None
        try:
            raw.settimeout(timeout)
            tls = context.wrap_socket(
                raw, server_hostname=name or None, do_handshake_on_connect=False, session=session
            )
            tls.do_handshake()
            completed = True
            if request:
                tls.sendall(request)
                tls.recv(_MAX_READ)  # NewSessionTickets and the answer (or an alert)
            elif linger is not None:
                tls.settimeout(linger)
                with suppress(TimeoutError):
                    tls.recv(_MAX_READ)
            reused = bool(tls.session_reused)
            if keep_session:
                resumable = _session_of(tls)
        except (OSError, ssl.SSLError) as exc:
            error = describe_error(exc)
        finally:
            events = recorder.take(tls) if tls is not None else ()
            (tls or raw).close()
            raw.close()
    finally:
        _msgcallback.detach(context)
    return build_handshake(events, "client", completed, error), resumable, reused


def _session_of(tls: ssl.SSLSocket) -> ssl.SSLSession | None:
    """The socket's session to resume, or ``None`` if CPython cannot copy it (too large)."""
    try:
        return tls.session
    except ValueError:  # "i2d() failed": the session's DER is over CPython's 0xFF00-byte cap
        return None


@dataclasses.dataclass(frozen=True)
class Session:
    """One live handshake seen from both ends (and, optionally, from the wire).

    Attributes:
        client: what the client captured.
        server: what the server captured.
        wire: the same handshake decrypted from the relayed bytes with the
            client's key log, if requested.
        at: when it happened (wall clock).
    """

    client: Handshake
    server: Handshake
    wire: Handshake | None
    at: _dt.datetime

    def _repr_html_(self) -> str:
        return self.client._repr_html_()

    def text(self) -> str:
        """The client's view as text."""
        return self.client.text()


@contextmanager
def _keylog(context: ssl.SSLContext, enabled: bool) -> Iterator[Path | None]:
    if not enabled:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="pkiviz-keylog-") as tmp:
        os.chmod(tmp, 0o700)
        path = Path(tmp) / "keylog.txt"
        context.keylog_filename = str(path)
        try:
            yield path
        finally:
            context.keylog_filename = None  # type: ignore[assignment]


def run_handshake(
    server_ctx: ssl.SSLContext,
    client_ctx: ssl.SSLContext,
    *,
    server_hostname: str,
    wire: bool = False,
    timeout: float = 5.0,
) -> Session:
    """Run one handshake between two contexts on 127.0.0.1 and capture it.

    Args:
        server_ctx: the server's context.
        client_ctx: the client's context.
        server_hostname: the name the client asks for and checks.
        wire: also relay the bytes through a :class:`~pkiviz.net.wire.Tap`
            and decrypt them with the client's key log (no private API).
        timeout: seconds per socket operation.

    Returns:
        The session.
    """
    from pkiviz.net import wire as wire_mod

    at = now()
    with ExitStack() as stack:
        server = stack.enter_context(Server(server_ctx, timeout=timeout))
        host, port = server.address
        tap = None
        if wire:
            tap = stack.enter_context(wire_mod.Tap(server.address, timeout=timeout))
            host, port = tap.address
        keylog = stack.enter_context(_keylog(client_ctx, wire))
        client = connect(client_ctx, host, port, server_hostname=server_hostname, timeout=timeout)
        (server_hs,) = server.wait(1)
        wire_hs = None
        if tap is not None and keylog is not None:
            (flow,) = tap.wait(1)
            wire_hs = wire_mod.decrypt_flow(flow, keylog.read_text("ascii"))
    return Session(client, server_hs, wire_hs, at)


def live_handshake(
    *,
    key: str = "ec-p256",
    example: RunningExample | None = None,
    version: Version | None = "1.3",
    mtls: bool = False,
    send_client_cert: bool = True,
    hello_retry: bool = False,
    wire: bool = False,
    timeout: float = 5.0,
) -> Session:
    """The running example, live: ``login.example.com`` on 127.0.0.1, captured.

    Args:
        key: leaf key type (``"ec-p256"``, ``"rsa-2048"``, ``"ed25519"``, ...).
        example: reuse these live certificates (else fresh ones of type ``key``).
        version: ``"1.3"``, ``"1.2"`` or ``None`` (let them negotiate).
        mtls: the server asks for a client certificate (and requires one).
        send_client_cert: with ``mtls``, whether the client has one to send.
        hello_retry: restrict the server to P-256 so the client's first key
            share (X25519) is refused with a HelloRetryRequest (TLS 1.3).
        wire: also capture from the wire via the key log (see :func:`run_handshake`).
        timeout: seconds per socket operation.

    Returns:
        The session.
    """
    if example is None:
        try:
            example = running_example(key=key, live=True)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    server_ctx = server_context(
        example.server,
        version=version,
        client_ca=example.client_root if mtls else None,
        groups="prime256v1" if hello_retry else None,
    )
    client_ctx = client_context(
        example.root, version=version, client=example.client if send_client_cert else None
    )
    return run_handshake(
        server_ctx, client_ctx, server_hostname=example.hostname, wire=wire, timeout=timeout
    )


@dataclasses.dataclass(frozen=True)
class Resumption:
    """A full handshake and a second one that offered to resume its session.

    Attributes:
        full: the client's capture of the first, full handshake.
        resumed: the client's capture of the second connection, which offered
            the first one's session (a TLS 1.3 PSK from a NewSessionTicket, a
            TLS 1.2 session ticket).
        reused: whether the server accepted, so the second handshake was
            abbreviated (``SSLSocket.session_reused``).
        at: when it happened (wall clock).
    """

    full: Handshake
    resumed: Handshake
    reused: bool
    at: _dt.datetime


def resumed_handshake(
    *,
    example: RunningExample | None = None,
    version: Version = "1.3",
    same_server: bool = True,
    timeout: float = 5.0,
) -> Resumption:
    """Two live connections to ``login.example.com``, the second resuming the first.

    The client connects, completes a full handshake, reads the server's
    session ticket, then connects again offering that session. A server with
    the same context (the same ticket keys) accepts it, and the second
    handshake carries no Certificate and no CertificateVerify (TLS 1.2: no
    ServerKeyExchange either).

    Args:
        example: reuse these live certificates (else fresh ones).
        version: ``"1.3"`` or ``"1.2"``.
        same_server: ``False`` sends the second connection to another server
            (another context, so other ticket keys): the negative control, a
            full handshake again.
        timeout: seconds per socket operation.

    Returns:
        The two captures and whether the second resumed.
    """
    if example is None:
        example = running_example(live=True)
    client_ctx = client_context(example.root, version=version)
    at = now()
    with ExitStack() as stack:
        first = stack.enter_context(
            Server(server_context(example.server, version=version), timeout=timeout)
        )
        second = first
        if not same_server:
            other = server_context(example.server, version=version)
            second = stack.enter_context(Server(other, timeout=timeout))
        full, session, _ = _connect(
            client_ctx, *first.address, server_hostname=example.hostname, timeout=timeout,
            request=None, linger=None, session=None, keep_session=True,
        )  # fmt: skip
        if session is None:
            why = full.error or "Python's ssl cannot copy a session over 65,280 bytes"
            raise InputError(f"the first handshake gave no session to resume: {why}")
        resumed, _, reused = _connect(
            client_ctx, *second.address, server_hostname=example.hostname, timeout=timeout,
            request=None, linger=None, session=session, keep_session=False,
        )  # fmt: skip
        if same_server:
            first.wait(2)
        else:
            first.wait(1)
            second.wait(1)
    return Resumption(full, resumed, reused, at)
