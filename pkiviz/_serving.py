"""One loopback connection at a time on the shared server loop: what the TLS servers share.

:class:`Serving` is what :class:`pkiviz.net.live.Server`,
:class:`pkiviz.net.detect_servers.OpenSSLServer`, :class:`pkiviz.net.wire.Tap`,
:class:`pkiviz.net.glassbox_run.OpenSSL4Server` and the stapling server of
:mod:`pkiviz.revocation.stapling` have in common: a listening socket on
127.0.0.1 served by :func:`pkiviz._loopback.serve` (the one server loop, which
the HTTP servers use too), each connection handed to ``_handle`` on the
serving thread with one result kept per connection, :meth:`Serving.wait` for
those results, and a :meth:`Serving.close` that shuts the loop down, joins the
thread and closes the listening socket. A subclass says only what one
connection is worth.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from typing import Any, Generic, TypeVar

from pkiviz import _loopback

#: Bytes asked for in one read.
MAX_READ = 1 << 16

T = TypeVar("T")
S = TypeVar("S", bound="Serving[Any]")


class _OneAtATime(socketserver.TCPServer):
    """Hands each accepted connection to its :class:`Serving`, on the serving thread."""

    request_queue_size = 8

    def __init__(self, address: tuple[str, int], owner: Serving[Any]) -> None:
        self.owner = owner
        super().__init__(address, socketserver.BaseRequestHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        """Let the owner's ``_handle`` have the socket; it closes it."""
        request.setblocking(True)
        self.owner.accepted(request)


class Serving(Generic[T]):
    """A context manager serving 127.0.0.1 (or ``host``) from a daemon thread.

    Subclasses set :attr:`thread_name`, :attr:`role` and :attr:`results`
    and implement ``_handle(conn)``, which returns the connection's result
    and owns (closes) the socket. An exception out of ``_handle`` is kept and
    raised by :meth:`wait`; the thread goes on serving.

    Args:
        host: address to listen on: 127.0.0.1, the only one the loop serves.
        timeout: seconds allowed for each socket operation; :meth:`wait` and
            :meth:`close` allow 5 more.
    """

    #: The serving thread's name.
    thread_name = "pkiviz-tls-server"
    #: What the object is called in errors ("the server is not running").
    role = "server"
    #: What a result is called in errors ("1 of 2 handshakes").
    results = "connections"

    def __init__(self, *, host: str = "127.0.0.1", timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._host = host
        self._running: _loopback.Running | None = None
        #: Set by :meth:`close` before the loop is shut down, for a ``_handle`` that loops.
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._results: list[T] = []
        self._errors: list[BaseException] = []

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` it listens on."""
        if self._running is None:
            raise RuntimeError(f"the {self.role} is not running; use it as a context manager")
        return self._running.server_address

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.address[1]

    def _collected(self) -> tuple[T, ...]:
        with self._cond:
            return tuple(self._results)

    def __enter__(self: S) -> S:
        server = _OneAtATime((self._host, 0), self)
        self._running = _loopback.serve(
            server, name=self.thread_name, join_timeout=self.timeout + 5
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving, join the thread and close the listening socket; safe to call twice."""
        self._stop.set()
        running, self._running = self._running, None
        if running is not None:
            running.close()

    def wait(self, count: int = 1, timeout: float | None = None) -> tuple[T, ...]:
        """Block until ``count`` connections have been served.

        Args:
            count: how many.
            timeout: seconds to wait at most (default: the timeout + 5).

        Returns:
            The first ``count`` results.

        Raises:
            TimeoutError: fewer were served in time.
            RuntimeError: the serving thread hit an unexpected error.
        """
        limit = self.timeout + 5 if timeout is None else timeout
        with self._cond:
            self._cond.wait_for(lambda: len(self._results) >= count or self._errors, limit)
            if self._errors:
                raise RuntimeError(f"{self.role} thread failed: {self._errors[0]!r}")
            if len(self._results) < count:
                raise TimeoutError(f"{len(self._results)} of {count} {self.results} in {limit} s")
            return tuple(self._results[:count])

    def accepted(self, conn: socket.socket) -> None:
        """Handle one accepted connection and keep its result (called on the serving thread)."""
        try:
            result = self._handle(conn)
        except BaseException as exc:  # report, never kill the thread silently
            with self._cond:
                self._errors.append(exc)
                self._cond.notify_all()
            return
        with self._cond:
            self._results.append(result)
            self._cond.notify_all()

    def _handle(self, conn: socket.socket) -> T:
        raise NotImplementedError


def drain(sock: socket.socket, timeout: float) -> None:
    """Half-close, then read until the peer closes, so an alert is not lost to a TCP reset.

    Closing a socket with unread bytes (say, the client's request sent after
    its half of a handshake the server then rejects) makes the kernel send a
    reset, and the peer may lose the alert still in its receive buffer.
    """
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(timeout)
        while sock.recv(MAX_READ):
            pass
    except OSError:
        pass
