"""One loopback connection at a time from a daemon thread: the loop the TLS servers share.

:class:`Serving` is what :class:`pkiviz.tls.live.Server`,
:class:`pkiviz.tls.detect_servers.OpenSSLServer` and :class:`pkiviz.tls.wire.Tap`
have in common: a :class:`~pkiviz.tls._listener.Listener` on 127.0.0.1, a
daemon thread that hands each connection to ``_handle`` and keeps one result
per connection, :meth:`Serving.wait` for those results, and a
:meth:`Serving.close` that wakes the thread, joins it and closes the listening
socket. A subclass says only what one connection is worth.
"""

from __future__ import annotations

import socket
import threading
from typing import Any, Generic, TypeVar

from pkiviz.tls import _listener

#: Bytes asked for in one read.
MAX_READ = 1 << 16

T = TypeVar("T")
S = TypeVar("S", bound="Serving[Any]")


class Serving(Generic[T]):
    """A context manager serving 127.0.0.1 (or ``host``) from a daemon thread.

    Subclasses set :attr:`thread_name`, :attr:`role` and :attr:`results`
    and implement ``_handle(conn)``, which returns the connection's result
    and owns (closes) the socket. An exception out of ``_handle`` is kept and
    raised by :meth:`wait`; the thread goes on serving.

    Args:
        host: address to listen on.
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
        self._listener: _listener.Listener | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._results: list[T] = []
        self._errors: list[BaseException] = []

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` it listens on."""
        if self._listener is None:
            raise RuntimeError(f"the {self.role} is not running; use it as a context manager")
        return self._listener.address

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self.address[1]

    def _collected(self) -> tuple[T, ...]:
        with self._cond:
            return tuple(self._results)

    def __enter__(self: S) -> S:
        self._listener = _listener.Listener(self._host)
        self._thread = threading.Thread(target=self._serve, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving, join the thread and close the listening socket; safe to call twice."""
        self._stop.set()
        if self._listener is not None:
            self._listener.wake()
        if self._thread is not None:
            self._thread.join(self.timeout + 5)
            self._thread = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

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

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            conn = self._listener.accept()
            if conn is None:
                break
            try:
                result = self._handle(conn)
            except BaseException as exc:  # report, never kill the thread silently
                with self._cond:
                    self._errors.append(exc)
                    self._cond.notify_all()
                continue
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
