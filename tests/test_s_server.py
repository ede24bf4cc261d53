"""pkiviz.net.s_server: the real openssl s_server, for one connection, always killed."""

from __future__ import annotations

import socket

import pytest
from openssl_server import needs_openssl

from pkiviz.errors import InputError
from pkiviz.net.detect import s_client_lines
from pkiviz.net.s_server import s_server
from pkiviz.net.tools import run_tool
from pkiviz.x509.example import running_example

EXAMPLE = running_example()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("s_server")
    EXAMPLE.write_to(d)
    return d


def _args(*extra: str) -> list[str]:
    return ["-cert", "server.pem", "-key", "server.key", "-cert_chain", "intermediate.pem", *extra]


def _s_client(port: int, files) -> tuple[str, ...]:
    run = run_tool(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", EXAMPLE.hostname,
         "-CAfile", "root.pem"],
        cwd=files, input_bytes=b"", timeout=10,
    )  # fmt: skip
    return s_client_lines(run.stdout, run.stderr)


@needs_openssl
def test_verify_1_with_cafile_names_the_client_root(files):
    with s_server(*_args("-CAfile", "client-root.pem", "-Verify", "1"), cwd=files) as port:
        lines = _s_client(port, files)
    assert "Acceptable client certificate CA names" in lines
    assert "  C = US, O = Example Trust Co, CN = Example Trust Client Auth Root CA" in lines


@needs_openssl
def test_control_without_verify_no_request(files):
    with s_server(*_args(), cwd=files) as port:
        lines = _s_client(port, files)
    assert "No client certificate CA names sent" in lines
    assert not any(line.startswith("Requested Signature Algorithms") for line in lines)


@needs_openssl
def test_the_server_is_killed_when_the_block_ends(files):
    with s_server(*_args(), cwd=files) as port, socket.create_connection(("127.0.0.1", port)):
        pass  # control: inside the block it accepts
    with s_server(*_args(), cwd=files) as port:
        pass  # nobody connected: -naccept 1 alone would keep it listening
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


@needs_openssl
def test_a_server_that_cannot_start_is_an_input_error(files):
    with (
        pytest.raises(InputError, match="did not start"),
        s_server("-cert", "missing.pem", cwd=files),
    ):
        pass


@needs_openssl
def test_a_port_taken_before_s_server_binds_it_is_retried(files, monkeypatch):
    # free_port() only says a port was free a moment ago; another program can bind it
    # first. Here it does, for the first port handed out: s_server must use another.
    from pkiviz._loopback import free_port
    from pkiviz.net import s_server as module

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        ports = iter([taken, free_port()])
        monkeypatch.setattr(module, "free_port", lambda: next(ports))
        with s_server(*_args(), cwd=files) as port:
            assert port != taken
            assert "No client certificate CA names sent" in _s_client(port, files)
        # Control: a port that stays taken is still reported, with openssl's reason.
        monkeypatch.setattr(module, "free_port", lambda: taken)
        with (
            pytest.raises(InputError, match=r"did not start: .*Address already in use"),
            s_server(*_args(), cwd=files),
        ):
            pass
