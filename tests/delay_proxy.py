"""A TCP relay on 127.0.0.1 that delays every chunk, each way: a slow network, on loopback.

Not a test module. ``with DelayProxy(("127.0.0.1", port), delay=0.2) as proxy:``
listens on ``proxy.port`` and relays each connection to the target, holding
every chunk it reads for ``delay`` seconds before passing it on (a latency,
not a bandwidth limit: chunks read meanwhile are delayed from when they were
read, in order). A half-close is passed on after the same delay. At most
``max_connections`` connections at a time; every socket has a timeout; every
thread is joined on exit.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time

HOST = "127.0.0.1"
_END = b""


class DelayProxy:
    """Relay TCP connections to ``target`` with ``delay`` seconds added each way."""

    def __init__(
        self,
        target: tuple[str, int],
        *,
        delay: float = 0.2,
        max_connections: int = 4,
        timeout: float = 10.0,
    ) -> None:
        if target[0] != HOST:
            raise ValueError(f"the proxy relays to {HOST} only, not {target[0]!r}")
        self.target = target
        self.delay = delay
        self.timeout = timeout
        self._slots = threading.BoundedSemaphore(max_connections)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind((HOST, 0))
        self._listener.listen(max_connections)
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, name="delay-proxy", daemon=True)

    @property
    def port(self) -> int:
        """The port to connect to instead of the target's."""
        return int(self._listener.getsockname()[1])

    def __enter__(self) -> DelayProxy:
        self._accepter.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._accepter.join(self.timeout)
        for thread in self._threads:
            thread.join(self.timeout)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self._slots.acquire(timeout=self.timeout):
                client.close()
                continue
            thread = threading.Thread(target=self._relay, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _relay(self, client: socket.socket) -> None:
        try:
            with client, socket.create_connection(self.target, timeout=self.timeout) as server:
                client.settimeout(self.timeout)
                pumps = [
                    threading.Thread(target=self._pump, args=(a, b), daemon=True)
                    for a, b in ((client, server), (server, client))
                ]
                for p in pumps:
                    p.start()
                for p in pumps:
                    p.join(self.timeout + self.delay * 10)
        except OSError:
            pass
        finally:
            self._slots.release()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        """Read from ``source``; a second thread writes each chunk ``delay`` s after its read."""
        held: queue.Queue[tuple[float, bytes]] = queue.Queue()
        writer = threading.Thread(target=self._deliver, args=(held, sink), daemon=True)
        writer.start()
        try:
            while not self._stop.is_set():
                try:
                    chunk = source.recv(65536)
                except TimeoutError:
                    continue
                held.put((time.monotonic() + self.delay, chunk))
                if not chunk:
                    break
        except OSError:
            held.put((time.monotonic() + self.delay, _END))
        writer.join(self.timeout + self.delay * 10)

    def _deliver(self, held: queue.Queue[tuple[float, bytes]], sink: socket.socket) -> None:
        while True:
            try:
                due, chunk = held.get(timeout=self.timeout)
            except queue.Empty:
                return
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                if chunk is _END or not chunk:
                    with contextlib.suppress(OSError):
                        sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(chunk)
            except OSError:
                return
