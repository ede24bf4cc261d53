"""pkiviz._loopback: a served port answers and is gone after close; a refused port refuses."""

from __future__ import annotations

import socket
import threading
import urllib.request

import pytest

from pkiviz import _loopback


class _Hello(_loopback.QuietHandler):
    def do_GET(self) -> None:
        self.send_body(200, b"hello\n", "text/plain")


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_serve_answers_then_closes_everything() -> None:
    server = _loopback.QuietServer((_loopback.HOST, 0), _Hello)
    with _loopback.serve(server, name="pkiviz-test-loopback", join_timeout=5) as running:
        url = f"http://127.0.0.1:{running.port}/"
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(url, timeout=5) as answer:
            assert answer.read() == b"hello\n"
        assert any(t.name.startswith("pkiviz-test-loopback-") for t in threading.enumerate())
    assert running.server_address == ("127.0.0.1", running.port)  # still readable
    assert _refused(running.port)
    assert not any(t.name.startswith("pkiviz-test-loopback-") for t in threading.enumerate())
    running.close()  # twice is fine


def test_refuse_reserves_a_port_that_refuses() -> None:
    with _loopback.refuse() as running:
        assert _refused(running.port)


def test_only_loopback_is_served() -> None:
    server = _loopback.QuietServer(("0.0.0.0", 0), _Hello, bind_and_activate=False)
    with pytest.raises(ValueError, match=r"must be bound to 127\.0\.0\.1"):
        _loopback.serve(server, name="pkiviz-test-loopback", join_timeout=5)
    assert server.socket.fileno() == -1  # closed, never bound


class _Demo(_loopback.Service):
    role = "demo"
    usage = "with _Demo() as d:"

    def start(self) -> _Demo:
        self._running = _loopback.serve(
            _loopback.QuietServer((_loopback.HOST, 0), _loopback.QuietHandler),
            name="pkiviz-test-demo",
            join_timeout=5,
        )
        return self


def test_a_service_used_before_it_starts_says_how_to_start_it() -> None:
    demo = _Demo()
    with pytest.raises(
        RuntimeError, match=r"^start the demo first: use it as `with _Demo\(\) as d:`$"
    ):
        _ = demo.port
    demo.close()  # closing what never started is harmless
    # control: started, it has a port, refuses once closed, and closes twice safely
    with _Demo() as started:
        port = started.port
        assert started.started().server_address == (_loopback.HOST, port)
    assert _refused(port)
    started.close()
