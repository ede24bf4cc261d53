"""Four local HTTPS servers that differ only in what they ask of the client.

Used to show, with the real ``curl -v`` and ``openssl s_client``, how to tell
from outside whether a server wants a client certificate
(:mod:`pkiviz.net.detect`):

================  =================================================================
``https``         plain HTTPS (Python's ssl): no CertificateRequest at all
``mtls-unnamed``  mTLS required (Python's ssl): a CertificateRequest naming no CAs,
                  because Python's ssl module has no way to name them
``mtls-named``    mTLS required (pyOpenSSL): the CertificateRequest names the
                  client-authentication root, as ``openssl s_server -Verify 1
                  -CAfile client-root.pem`` or nginx do
``optional``      a certificate asked for in the handshake but not required there
                  (pyOpenSSL, names the CA); without one the handshake succeeds and
                  the server answers ``HTTP/1.1 400 Bad Request``, "No required SSL
                  certificate was sent"
================  =================================================================

``optional`` is optional at the TLS layer only. For a client without a
certificate it answers as nginx does with ``ssl_verify_client on``: nginx asks
for the certificate without ``SSL_VERIFY_FAIL_IF_NO_PEER_CERT``, so the
handshake completes without one, and refuses the *HTTP request* instead (its
``NGX_HTTPS_NO_CERT`` page, status 400). nginx's ``ssl_verify_client optional``
asks the same way but lets the request through, with ``$ssl_client_verify``
set to ``NONE``, for the configuration or the application to decide. Unlike
nginx, which also completes the handshake with a certificate that fails
verification (and answers "The SSL certificate error"), this server refuses
such a certificate in the handshake, as OpenSSL does by default.

:class:`OpenSSLServer` is the pyOpenSSL server (pyOpenSSL can call
``SSL_CTX_add_client_CA``; Python's ssl cannot). Like
:class:`pkiviz.net.live.Server` it serves one connection at a time from a
daemon thread named ``pkiviz-tls-...``, bounds every socket operation with a
timeout, and half-closes and drains before closing so that its alert is not
lost to a TCP reset.
"""

from __future__ import annotations

import dataclasses
import socket
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, Protocol

from OpenSSL import SSL

from pkiviz import _serving
from pkiviz.net.live import HTTP_RESPONSE, Server, Version, server_context
from pkiviz.x509.example import RunningExample
from pkiviz.x509.factory import Issued, use_private_key

Kind = Literal["https", "mtls-unnamed", "mtls-named", "optional"]

#: The servers, in the order the book shows them, with a one-line description.
KINDS: dict[Kind, str] = {
    "https": "plain HTTPS",
    "mtls-unnamed": "mTLS required, no CA names (Python's ssl)",
    "mtls-named": "mTLS required, names its CA (pyOpenSSL)",
    "optional": "asks in TLS, refuses in HTTP without one (400)",
}

#: What nginx answers (``ssl_verify_client on``) to a request on a connection
#: whose handshake completed without a client certificate.
NO_CERT_BODY = (
    b"<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n"
    b"<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n"
    b"<center>No required SSL certificate was sent</center>\r\n</body>\r\n</html>\r\n"
)
NO_CERT_RESPONSE = (
    b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n"
    b"Content-Length: " + str(len(NO_CERT_BODY)).encode() + b"\r\n"
    b"Connection: close\r\n\r\n" + NO_CERT_BODY
)
_VERSIONS = {"1.2": SSL.TLS1_2_VERSION, "1.3": SSL.TLS1_3_VERSION}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What :class:`OpenSSLServer` saw on one connection.

    Attributes:
        completed: whether its handshake completed.
        error: OpenSSL's reason if it failed (e.g. ``"peer did not return a certificate"``).
        client_certificate: the client certificate's subject (RFC 4514), if one was sent.
        status: the HTTP status it answered with, ``None`` if it answered nothing.
    """

    completed: bool
    error: str | None
    client_certificate: str | None
    status: int | None


class OpenSSLServer(_serving.Serving[Outcome]):
    """An HTTPS server on 127.0.0.1 built on pyOpenSSL, which can name acceptable client CAs.

    :meth:`wait` blocks until that many connections are served (see
    :class:`~pkiviz._serving.Serving`).

    Args:
        server: the server's certificate (its intermediates are sent too).
        client_ca: the CA client certificates must chain to; ``None``: no mTLS.
        name_cas: put ``client_ca``'s name in the CertificateRequest.
        require_client_cert: fail the handshake without a client certificate;
            ``False`` asks without requiring one and answers HTTP 400 without one.
        version: pin ``"1.2"`` or ``"1.3"``; ``None`` allows both.
        timeout: seconds allowed for each socket operation.
    """

    thread_name = "pkiviz-tls-openssl-server"

    def __init__(
        self,
        server: Issued,
        *,
        client_ca: Issued | None = None,
        name_cas: bool = True,
        require_client_cert: bool = True,
        version: Version | None = None,
        timeout: float = 5.0,
    ) -> None:
        super().__init__(timeout=timeout)
        self.require_client_cert = require_client_cert
        self._context = _context(server, client_ca, name_cas, require_client_cert, version)

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """One outcome per connection served so far."""
        return self._collected()

    def _handle(self, conn: socket.socket) -> Outcome:
        bound_timeout(conn, self.timeout)
        tls = SSL.Connection(self._context, conn)
        tls.set_accept_state()
        completed, error, subject, status = False, None, None, None
        try:
            tls.do_handshake()
            completed = True
            peer = tls.get_peer_certificate(as_cryptography=True)
            subject = peer.subject.rfc4514_string() if peer is not None else None
            request = tls.recv(_serving.MAX_READ)
            if request:
                missing = peer is None and not self.require_client_cert
                tls.sendall(NO_CERT_RESPONSE if missing else HTTP_RESPONSE)
                status = 400 if missing else 200
            tls.shutdown()
        except SSL.WantReadError:
            error = "timed out"
        except (SSL.Error, OSError) as exc:
            error = error_reason(exc)
        finally:
            _serving.drain(conn, min(self.timeout, 1.0))
            conn.close()
        return Outcome(completed, error, subject, status)


def _context(
    server: Issued,
    client_ca: Issued | None,
    name_cas: bool,
    require: bool,
    version: Version | None,
) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
    if version is not None:
        if version not in _VERSIONS:
            raise ValueError(f"version must be '1.2' or '1.3', not {version!r}")
        ctx.set_min_proto_version(_VERSIONS[version])
        ctx.set_max_proto_version(_VERSIONS[version])
    ctx.use_certificate(server.certificate)
    use_private_key(ctx, server.private_key)
    for issuer in server.intermediates:
        ctx.add_extra_chain_cert(issuer.certificate)
    if client_ca is not None:
        with client_ca.pem.tempfile() as path:
            ctx.load_verify_locations(str(path))
        if name_cas:
            ctx.add_client_ca(client_ca.certificate)
        mode = SSL.VERIFY_PEER | (SSL.VERIFY_FAIL_IF_NO_PEER_CERT if require else 0)
        ctx.set_verify(mode)
    return ctx


def bound_timeout(sock: socket.socket, timeout: float) -> None:
    """Blocking socket whose reads and writes give up after ``timeout`` (SO_RCVTIMEO).

    pyOpenSSL does its own I/O on the file descriptor, so a Python-level
    ``settimeout`` (which makes the descriptor non-blocking) would turn every
    read into a WantReadError; a kernel timeout keeps it blocking but bounded.
    """
    sock.setblocking(True)
    seconds = int(timeout)
    tv = struct.pack("ll", seconds, int((timeout - seconds) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)


def error_reason(exc: BaseException) -> str:
    """The one-line reason a connection failed: OpenSSL's reason string for a pyOpenSSL error."""
    if isinstance(exc, SSL.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        entry = exc.args[0][0]
        return str(entry[-1]) if isinstance(entry, tuple) else str(entry)
    return str(exc) or type(exc).__name__


class Running(Protocol):
    """A running detection server: what the tools need to reach it."""

    @property
    def port(self) -> int:
        """The port it listens on."""
        ...


@contextmanager
def detection_server(
    kind: Kind,
    example: RunningExample,
    *,
    version: Version | None = None,
    timeout: float = 5.0,
) -> Iterator[Running]:
    """Start one of the :data:`KINDS` serving ``login.example.com`` on 127.0.0.1.

    Args:
        kind: which server.
        example: the certificates (server chain; client-authentication root).
        version: pin ``"1.2"`` or ``"1.3"``; ``None`` allows both.
        timeout: seconds per socket operation.

    Yields:
        The running server (``.port``); it is stopped when the block ends.

    Raises:
        ValueError: an unknown kind.
    """
    if kind == "https":
        with Server(server_context(example.server, version=version), timeout=timeout) as srv:
            yield srv
    elif kind == "mtls-unnamed":
        ctx = server_context(example.server, version=version, client_ca=example.client_root)
        with Server(ctx, timeout=timeout) as srv:
            yield srv
    elif kind in ("mtls-named", "optional"):
        with OpenSSLServer(
            example.server,
            client_ca=example.client_root,
            require_client_cert=kind == "mtls-named",
            version=version,
            timeout=timeout,
        ) as osrv:
            yield osrv
    else:
        raise ValueError(f"unknown server kind {kind!r}; choose from {list(KINDS)}")
