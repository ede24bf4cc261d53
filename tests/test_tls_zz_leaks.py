"""After live TLS work, no threads, sockets or child processes are left behind.

Self-contained (runs its own scenarios) so it holds in any test order; the
file name sorts it after the other TLS tests so it also sees their leftovers
when the suite runs in the default order.
"""

from __future__ import annotations

import gc
import os
import shutil
import socket
import subprocess
import threading

import pytest

from pkiviz.errors import InputError
from pkiviz.net import impostor
from pkiviz.net.live import Server, live_handshake, server_context
from pkiviz.net.probe import probe
from pkiviz.x509.example import running_example

EXAMPLE = running_example(live=True)


def snapshot() -> tuple[set[str], int, int]:
    gc.collect()
    threads = {t.name for t in threading.enumerate() if t.name.startswith("pkiviz-tls")}
    fds = len(os.listdir("/proc/self/fd"))
    sockets = sum(1 for o in gc.get_objects() if isinstance(o, socket.socket) and o.fileno() != -1)
    return threads, fds, sockets


def children() -> list[str]:
    """Child processes that the TLS tests start (curl, openssl) still alive."""
    path = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
    with open(path) as f:
        pids = f.read().split()
    names = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            continue
    return [n for n in names if n in ("curl", "openssl")]


def exercise(tmp_path) -> None:
    scenarios = [{}, {"version": "1.2"}, {"mtls": True}, {"hello_retry": True}, {"wire": True},
                 {"mtls": True, "send_client_cert": False, "wire": True}]  # fmt: skip
    for options in scenarios:
        live_handshake(example=EXAMPLE, **options)
    impostor.impostor_handshake()
    with Server(server_context(EXAMPLE.server)) as srv:
        port = srv.port
        probe("127.0.0.1", port, servername=EXAMPLE.hostname, trust=[])
    with pytest.raises(InputError):
        probe("127.0.0.1", port, timeout=1)  # closed now: refused
    if shutil.which("curl"):
        root = EXAMPLE.root.pem.write_to_path(tmp_path / "root.pem")
        with Server(server_context(EXAMPLE.server)) as srv:
            subprocess.run(
                ["curl", "-sS", "--max-time", "10", "--cacert", str(root), "--resolve",
                 f"{EXAMPLE.hostname}:{srv.port}:127.0.0.1",
                 f"https://{EXAMPLE.hostname}:{srv.port}/"],
                capture_output=True, timeout=20, check=False,
            )  # fmt: skip
            srv.wait(1)


def test_earlier_tls_tests_left_nothing_running():
    threads, _, _ = snapshot()
    assert threads == set()
    assert children() == []


def test_no_threads_sockets_or_children_leak(tmp_path):
    exercise(tmp_path)  # warm up: imports, caches, lazily created objects
    before = snapshot()
    exercise(tmp_path)
    exercise(tmp_path)
    after = snapshot()
    assert after[0] == set(), f"threads left running: {after[0]}"
    assert after[1] == before[1], f"file descriptors: {before[1]} -> {after[1]}"
    assert after[2] == before[2], f"open socket objects: {before[2]} -> {after[2]}"
    assert children() == []


def test_control_a_leaked_socket_is_detected():
    before = snapshot()
    leaked = socket.socket()
    try:
        after = snapshot()
        assert after[1] == before[1] + 1 and after[2] == before[2] + 1
    finally:
        leaked.close()
    assert snapshot()[1:] == before[1:]
