"""A loopback listening socket whose accept loop can be woken up to stop at once.

Shared by :class:`pkiviz.tls.live.Server` and :class:`pkiviz.tls.wire.Tap`:
``accept()`` waits on the listener *and* a socketpair, so ``close()`` returns
immediately instead of waiting for a polling timeout.
"""

from __future__ import annotations

import contextlib
import selectors
import socket


class Listener:
    """A TCP listener on 127.0.0.1 (or ``host``) with a wake-up channel.

    Args:
        host: address to bind (port chosen by the kernel).
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._wake_r, self._wake_w = socket.socketpair()
        try:
            self._sock.bind((host, 0))
            self._sock.listen(8)
            self._sock.setblocking(False)
            self._sel = selectors.DefaultSelector()
            self._sel.register(self._sock, selectors.EVENT_READ)
            self._sel.register(self._wake_r, selectors.EVENT_READ)
        except OSError:
            self.close()
            raise
        self._stopped = False

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)``."""
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def accept(self) -> socket.socket | None:
        """Wait for a connection; ``None`` once :meth:`wake` was called."""
        while not self._stopped:
            for key, _ in self._sel.select():
                if key.fileobj is self._wake_r:
                    self._stopped = True
                    return None
                try:
                    conn, _ = self._sock.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(True)
                return conn
        return None

    def wake(self) -> None:
        """Make :meth:`accept` return ``None`` (from any thread)."""
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def close(self) -> None:
        """Close every socket."""
        sel = getattr(self, "_sel", None)
        if sel is not None:
            sel.close()
        for s in (self._sock, self._wake_r, self._wake_w):
            s.close()
