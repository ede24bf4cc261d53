"""A server on 127.0.0.1 in a background thread that always shuts down: the one copy of it.

Used by the applicant's web site of :mod:`pkiviz.ca.domain_control`, the CRL
and OCSP :class:`~pkiviz.revocation.responder.Responder` and ``pkiviz serve``
(:mod:`pkiviz.lab.serve`)::

    with serve(Site((HOST, 0), Handler), name="pkiviz-site", join_timeout=6) as running:
        fetch(f"http://127.0.0.1:{running.port}/")
    # shut down, thread joined, every socket closed

* :class:`QuietServer` - a threading TCP server that joins its handler
  threads on close and keeps quiet about clients that hang up.
* :class:`QuietHandler` - an HTTP/1.0 request handler that logs nothing.
* :func:`serve` - serve a bound server from a daemon thread;
  :func:`refuse` - reserve a port that refuses connections (a server "down");
  :func:`free_port` - a port that was free a moment ago, for a program pkiviz starts.
* :class:`Service` - ``with`` for the classes built on them: ``start()``,
  then ``close()`` however the block ends.
"""

from __future__ import annotations

import http.server
import socket
import socketserver
import threading
from typing import TypeVar

HOST = "127.0.0.1"

#: How often the serving thread looks for a shutdown request, seconds.
POLL_INTERVAL = 0.05

S = TypeVar("S", bound="Service")


class QuietServer(socketserver.ThreadingTCPServer):
    """A threading TCP server whose ``server_close()`` joins its handler threads."""

    daemon_threads = False  # server_close() joins the handler threads
    block_on_close = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet: clients hanging up or refusing the server are part of the lessons."""


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """An HTTP request handler that does not log to stderr."""

    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Do not log to stderr."""

    def send_body(self, status: int, body: bytes, content_type: str) -> None:
        """Answer with ``status`` and ``body``."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Running:
    """A port on 127.0.0.1 that is served (:func:`serve`) or refuses connections (:func:`refuse`).

    A context manager; :meth:`close` (or the end of the ``with`` block) shuts
    the server down, joins its thread and closes every socket. The address
    stays readable after the close (URLs pointing there then fail, as they should).

    Attributes:
        server_address: ``(host, port)``, as :mod:`socketserver` names it.
    """

    def __init__(
        self,
        server_address: tuple[str, int],
        *,
        server: socketserver.BaseServer | None = None,
        thread: threading.Thread | None = None,
        placeholder: socket.socket | None = None,
        join_timeout: float = 0.0,
    ) -> None:
        self.server_address = server_address
        self._server = server
        self._thread = thread
        self._placeholder = placeholder
        self._join_timeout = join_timeout

    @property
    def port(self) -> int:
        """The port."""
        return self.server_address[1]

    def close(self) -> None:
        """Stop serving and close every socket; safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            if self._thread is not None:
                self._thread.join(timeout=self._join_timeout)
                self._thread = None
            server.server_close()
        placeholder, self._placeholder = self._placeholder, None
        if placeholder is not None:
            placeholder.close()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for tests and examples)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve(server: socketserver.TCPServer, *, name: str, join_timeout: float) -> Running:
    """Serve a bound, listening server on 127.0.0.1 from a daemon thread.

    Args:
        server: the server; it must be bound to 127.0.0.1.
        name: the thread's name, to which ``-<port>`` is added.
        join_timeout: seconds :meth:`Running.close` waits for the thread.

    Returns:
        The running server; it owns ``server`` from now on.

    Raises:
        ValueError: the server is bound to another address (it is closed).
    """
    host, port = server.server_address[:2]
    if host != HOST:
        server.server_close()
        raise ValueError(f"a loopback server must be bound to {HOST}, not {host!r}")
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": POLL_INTERVAL},
        name=f"{name}-{port}",
        daemon=True,
    )
    thread.start()
    return Running((HOST, int(port)), server=server, thread=thread, join_timeout=join_timeout)


def refuse() -> Running:
    """Reserve a port on 127.0.0.1 that refuses connections: bound, not listening.

    No other program can take the port while URLs point at it.

    Returns:
        The reservation (its ``port``); :meth:`Running.close` releases it.
    """
    placeholder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    placeholder.bind((HOST, 0))
    return Running((HOST, int(placeholder.getsockname()[1])), placeholder=placeholder)


class Service:
    """A context manager that calls :meth:`start` on entry and :meth:`close` on exit.

    A subclass's :meth:`start` sets ``_running`` (from :func:`serve` or :func:`refuse`);
    :meth:`close`, :attr:`port` and :meth:`started` read it.

    Attributes:
        role: what it is, for the error when it is used before it starts.
        usage: how to start it, for the same error.
    """

    role = "service"
    usage = "with ... as s:"
    _running: Running | None = None

    def start(self: S) -> S:
        """Start serving.

        Returns:
            ``self``.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Stop serving and close every socket; safe to call twice."""
        if self._running is not None:
            self._running.close()

    def started(self) -> Running:
        """The running server.

        Raises:
            RuntimeError: if it has not been started.
        """
        if self._running is None:
            raise RuntimeError(f"start the {self.role} first: use it as `{self.usage}`")
        return self._running

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.started().port

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
