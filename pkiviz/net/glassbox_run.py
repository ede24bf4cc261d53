"""The glass-box client on a socket, against a real OpenSSL server on 127.0.0.1.

* :class:`OpenSSL4Server` - a pyOpenSSL server (on the OpenSSL 4 that the
  cryptography wheel bundles, so it speaks X25519MLKEM768 and ML-DSA) that
  writes its NSS key log through pyOpenSSL's keylog callback, answers one
  ``GET`` with a small fixed page and records what it saw (:class:`ServerSide`).
* :func:`connect` - drive a :class:`~pkiviz.tls.glassbox.Client` over TCP.
* :func:`glassbox_session` - both at once: serve ``login.example.com``,
  connect, and return the client's :class:`~pkiviz.tls.glassbox.GlassBox`
  beside the server's key log (:class:`Session`).

Live by nature: the server's key share and random are fresh on every run, so
the secrets differ from run to run; the client's side (its random and key
share) is derived from a seed and the same every time.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from OpenSSL import SSL

from pkiviz import _serving, clock
from pkiviz.net.detect_servers import bound_timeout, error_reason
from pkiviz.tls.glassbox import Client, GlassBox, Incomplete, Tamper
from pkiviz.tls.keyschedule import parse_keylog
from pkiviz.x509.example import RunningExample, running_example
from pkiviz.x509.factory import use_private_key

BODY = b"Hello from a real OpenSSL server, through the glass box.\n"
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
    + str(len(BODY)).encode() + b"\r\nConnection: close\r\n\r\n" + BODY
)  # fmt: skip
_VERSIONS = {"1.2": SSL.TLS1_2_VERSION, "1.3": SSL.TLS1_3_VERSION}


@dataclasses.dataclass(frozen=True)
class ServerSide:
    """What the OpenSSL server saw on one connection.

    Attributes:
        completed: whether its handshake completed (it accepted the client's Finished).
        error: OpenSSL's reason when it failed, e.g. ``"bad record mac"``.
        request: the application data it read.
        keylog: the NSS key log lines it wrote for the connection.
        group: the key exchange group it negotiated.
        version: the protocol version.
    """

    completed: bool
    error: str | None
    request: bytes = dataclasses.field(repr=False)
    keylog: str = dataclasses.field(repr=False)
    group: str | None
    version: str | None

    def secrets(self, client_random: bytes) -> dict[str, bytes]:
        """``{NSS label: secret}`` the server logged for that client random."""
        return {
            label: secret
            for (label, random), secret in parse_keylog(self.keylog).items()
            if random == client_random
        }


class OpenSSL4Server(_serving.Serving[ServerSide]):
    """A pyOpenSSL server on 127.0.0.1 that logs its keys; one connection at a time.

    Args:
        chain: the server's certificate, then its intermediates.
        key: the server's private key (any type OpenSSL 4 loads, ML-DSA included).
        version: pin ``"1.2"`` or ``"1.3"``; ``None`` allows both.
        ciphers: a TLS 1.2 cipher list (e.g. ``"AES128-GCM-SHA256"``).
        request_client_cert: send a CertificateRequest (to watch the client refuse).
        timeout: seconds per socket operation.
    """

    thread_name = "pkiviz-tls-glassbox-server"

    def __init__(
        self,
        chain: Sequence[x509.Certificate],
        key: Any,
        *,
        version: str | None = None,
        ciphers: str | None = None,
        request_client_cert: bool = False,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(timeout=timeout)
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._context = self._make_context(chain, key, version, ciphers, request_client_cert)

    def _make_context(
        self, chain: Sequence[x509.Certificate], key: Any, version: str | None,
        ciphers: str | None, request_client_cert: bool,
    ) -> SSL.Context:  # fmt: skip
        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        if version is not None:
            ctx.set_min_proto_version(_VERSIONS[version])
            ctx.set_max_proto_version(_VERSIONS[version])
        if ciphers is not None:
            ctx.set_cipher_list(ciphers.encode())
        ctx.use_certificate(chain[0])
        use_private_key(ctx, key)
        for issuer in chain[1:]:
            ctx.add_extra_chain_cert(issuer)
        if request_client_cert:
            ctx.set_verify(SSL.VERIFY_PEER, lambda *args: True)
        ctx.set_keylog_callback(self._keylog)
        return ctx

    def _keylog(self, conn: SSL.Connection, line: bytes) -> None:
        with self._lock:
            self._lines.append(line.decode("ascii") + "\n")

    def _handle(self, conn: socket.socket) -> ServerSide:
        bound_timeout(conn, self.timeout)
        tls = SSL.Connection(self._context, conn)
        tls.set_accept_state()
        completed, error, request = False, None, b""
        try:
            tls.do_handshake()
            completed = True
            request = tls.recv(_serving.MAX_READ)
            if request.startswith(b"GET "):
                tls.sendall(RESPONSE)
            tls.shutdown()
        except SSL.WantReadError:
            error = "timed out"
        except (SSL.Error, OSError) as exc:
            error = error_reason(exc)
        finally:
            group = tls.get_group_name()
            version = tls.get_protocol_version_name()
            _serving.drain(conn, min(self.timeout, 1.0))
            conn.close()
        with self._lock:
            keylog, self._lines = "".join(self._lines), []
        return ServerSide(completed, error, request, keylog, group, version)


def connect(
    host: str,
    port: int,
    server_name: str,
    *,
    timeout: float = 5.0,
    deadline: float | None = None,
    **options: Any,
) -> GlassBox:
    """Run the glass-box client against ``host:port``.

    Args:
        host: address to connect to.
        port: its port.
        server_name: the SNI name.
        timeout: seconds per socket operation.
        deadline: seconds for the whole exchange (default ``4 * timeout``), so a
            server that drips its answer a byte at a time cannot keep it alive.
        **options: :class:`~pkiviz.tls.glassbox.Client` options (``group``,
            ``seed``, ``trust``, ``at``, ``request``, ``tamper``...).

    Returns:
        The connection, every step as data.

    Raises:
        GlassBoxError: the server refused, or failed a check (see its
            subclasses); :class:`~pkiviz.tls.glassbox.Incomplete` when it said
            nothing within ``timeout``, closed before its Finished, or did not
            finish within ``deadline``.
    """
    total = 4 * timeout if deadline is None else deadline
    client = Client(server_name, **options)
    end = time.monotonic() + total
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(client.start())
        while not client.closed:
            left = end - time.monotonic()
            if left <= 0:
                raise Incomplete(
                    f"{host}:{port}: the exchange did not finish within {total:g} s "
                    f"(state {client.state})"
                )
            sock.settimeout(min(timeout, left))
            try:
                data = sock.recv(_serving.MAX_READ)
            except TimeoutError:
                if time.monotonic() >= end:
                    continue  # reported as the deadline above
                if client.handshake_done:  # the response is read until the server is quiet
                    break
                raise Incomplete(
                    f"{host}:{port}: no answer within {timeout:g} s (state {client.state})"
                ) from None
            except ConnectionResetError:
                data = b""
            out = client.receive(data)
            if out:
                sock.sendall(out)
    return client.result()


@dataclasses.dataclass(frozen=True)
class Session:
    """A glass-box connection and the real server's view of it.

    Attributes:
        client: what the glass-box client computed.
        server: what the OpenSSL server saw and logged.
    """

    client: GlassBox
    server: ServerSide

    def keylog_comparison(self) -> tuple[tuple[str, bytes, bytes | None], ...]:
        """``(label, client's secret, server's secret)`` for each key log label."""
        logged = self.server.secrets(self.client.client_random)
        return tuple(
            (label, secret, logged.get(label))
            for label, secret in self.client.schedule.keylog_secrets().items()
        )

    @property
    def secrets_match(self) -> bool:
        """Whether every secret the client derived equals the one the server logged."""
        return all(mine == theirs for _, mine, theirs in self.keylog_comparison())

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{label}</td><td><code>{mine.hex()[:24]}...</code></td>"
            f"<td>{'✓ same' if mine == theirs else '✗ differs'}</td></tr>"
            for label, mine, theirs in self.keylog_comparison()
        )
        head = "<tr><th>key log label</th><th>glass-box client</th><th>server's key log</th></tr>"
        return self.client._repr_html_() + f"<table>{head}{rows}</table>"


def glassbox_session(
    *,
    group: str = "x25519",
    example: RunningExample | None = None,
    tamper: Tamper | None = None,
    at: _dt.datetime = clock.BOOK_CLOCK,
    timeout: float = 5.0,
    **options: Any,
) -> Session:
    """Serve ``login.example.com`` with OpenSSL 4 on 127.0.0.1 and connect the glass-box client.

    Args:
        group: ``"x25519"`` or ``"X25519MLKEM768"``.
        example: the certificates (default: the running example, P-256).
        tamper: break the client's Finished (``"finished"``) or its record
            (``"ciphertext"``) to watch the server refuse it.
        at: the time the chain is validated at.
        timeout: seconds per socket operation.
        **options: further :class:`~pkiviz.tls.glassbox.Client` options.

    Returns:
        The client's connection and the server's side of it.
    """
    ex = example or running_example()
    chain = (ex.server.certificate, *(i.certificate for i in ex.server.intermediates))
    with OpenSSL4Server(chain, ex.server.private_key, timeout=timeout) as srv:
        box = connect(
            *srv.address, ex.hostname, timeout=timeout, group=group, tamper=tamper,
            trust=(ex.root.certificate,), at=at, **options,
        )  # fmt: skip
        (server,) = srv.wait(1)
    return Session(box, server)


__all__ = ["BODY", "OpenSSL4Server", "ServerSide", "Session", "connect", "glassbox_session"]
