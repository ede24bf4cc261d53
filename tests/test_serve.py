"""`pkiviz serve`: the real curl against every catalogue scenario, served on 127.0.0.1.

``valid`` is the control (HTTP 200); each broken entry must make curl fail
with the exit status and words the catalogue records. The mTLS and CRL
entries have their own controls: the same server accepts a client that has
a certificate, and curl without the CRL does not notice the revocation.
"""

from __future__ import annotations

import dataclasses
import os
import re
import selectors
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from openssl_server import needs_openssl

from pkiviz._loopback import free_port
from pkiviz.cli import main
from pkiviz.errors import InputError
from pkiviz.lab.catalogue import CATALOGUE, Breakage, get
from pkiviz.lab.serve import ScenarioServer
from pkiviz.net.tools import ToolRun, run_tool

ENTRIES = [pytest.param(entry, id=entry.id) for entry in CATALOGUE]
REPO = Path(__file__).resolve().parents[1]


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _serve_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("pkiviz-serve", "pkiviz-resp"))]


@pytest.fixture
def no_leaks() -> Iterator[None]:
    before_fds = _fds()
    before_threads = set(threading.enumerate())
    yield
    assert not _serve_threads()
    assert set(threading.enumerate()) <= before_threads
    assert _fds() <= before_fds


def _curl(server: ScenarioServer, *extra: str) -> ToolRun:
    argv = server.curl_argv
    return run_tool((argv[0], "--max-time", "10", "--silent", "--show-error", *extra, *argv[1:]))


@pytest.mark.parametrize("entry", ENTRIES)
def test_curl_against_each_scenario(entry: Breakage, no_leaks: None) -> None:
    server = ScenarioServer(entry.id)
    if entry.serve_note is not None:
        with pytest.raises(InputError, match=f"{entry.id} cannot be served") as info:
            server.start()
        assert "key values mismatch" in str(info.value) and "\n" not in str(info.value)
        return
    with server:
        run = _curl(server)
        assert run.returncode == entry.curl_exit, run.text()
        if entry.curl_error is None:
            assert run.stdout == server.page()
            assert entry.id == "valid" or entry.note, "say why curl accepts"
        else:
            assert entry.curl_error in run.stderr, run.text()
            assert server.requests == 0


def test_mtls_control_a_client_with_a_certificate_gets_in(tmp_path: Path, no_leaks: None) -> None:
    get("valid").scenario().write_to(tmp_path)  # the client's files
    with ScenarioServer("client-certificate-missing") as server:
        assert "Client certificate: required" in server.text()
        assert not (server.directory / "client.pem").exists()
        run = _curl(
            server, "--cert", str(tmp_path / "client.pem"), "--key", str(tmp_path / "client.key")
        )
        assert run.ok, run.text()
        assert run.stdout == server.page()
        assert _curl(server).returncode == get("client-certificate-missing").curl_exit


def test_revoked_control_curl_without_the_crl_does_not_notice(no_leaks: None) -> None:
    with ScenarioServer("revoked") as server:
        assert "--crlfile" in server.curl_argv
        argv = list(server.curl_argv)
        index = argv.index("--crlfile")
        del argv[index : index + 2]
        run = run_tool((argv[0], "--max-time", "10", "-sS", *argv[1:]))
        assert run.ok, run.text()
        # The CRL is served over HTTP on 127.0.0.1 and lists the leaf.
        assert server.crl_url is not None and server.crl_url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(server.crl_url, timeout=10) as response:
            crl = x509.load_der_x509_crl(response.read())
        leaf = x509.load_pem_x509_certificate((server.directory / "server.pem").read_bytes())
        assert crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None
    assert get("valid").scenario().crls == ()


def test_files_are_private_and_removed_at_exit(no_leaks: None) -> None:
    with ScenarioServer("expired") as server:
        directory = server.directory
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert stat.S_IMODE((directory / "server.key").stat().st_mode) == 0o600
        assert server.trust_file == directory / "root.pem"
        assert server.url == f"https://login.example.com:{server.port}/"
        expected = (
            f"curl --resolve login.example.com:{server.port}:127.0.0.1 "
            f"--cacert {directory}/root.pem https://login.example.com:{server.port}/"
        )
        assert server.curl_command == expected
        assert server.curl_command in server.text()
        assert server.crl_url is None
    assert not directory.exists()


def _commands(text: str, first: str) -> list[list[str]]:
    """The printed command lines starting with ``first``, split as a shell would."""
    return [
        shlex.split(line.strip().removesuffix(" </dev/null"))
        for line in text.splitlines()
        if line.startswith(f"  {first} ")
    ]


def _s_client(argv: list[str]) -> ToolRun:
    return run_tool(argv, input_bytes=b"")


def test_cli_printout_gives_probe_and_s_client_commands_that_work(
    capsys: pytest.CaptureFixture[str], no_leaks: None
) -> None:
    with ScenarioServer("valid") as server:
        text = server.text(clients=True)
        # The chapter shows text(); its output stays what it was.
        assert "pkiviz probe" not in server.text() and "s_client" not in server.text()
        [probe] = _commands(text, "pkiviz probe")
        assert probe == [
            "pkiviz", "probe", f"127.0.0.1:{server.port}", "--servername", "login.example.com",
            "--trust", str(server.trust_file),
        ]  # fmt: skip
        assert main(probe[1:]) == 0, capsys.readouterr()
        assert "): VALID" in capsys.readouterr().out
        # Control: the README's command, without --servername, fails the hostname check.
        assert main([*probe[1:3], *probe[5:]]) == 1
        assert "hostname" in capsys.readouterr().out
        [s_client] = _commands(text, "openssl s_client")
        assert s_client[:4] == ["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}"]
        assert "-servername" in s_client and "-CAfile" in s_client
        if shutil.which("openssl") is None:
            return
        run = _s_client(s_client)
        assert run.ok and "Verify return code: 0 (ok)" in run.stdout, run.text()


@needs_openssl
@pytest.mark.parametrize(
    ("name", "words"),
    [("wrong-host", "hostname mismatch"), ("revoked", "certificate revoked")],
)
def test_printed_commands_refuse_the_broken_scenarios(
    name: str, words: str, capsys: pytest.CaptureFixture[str], no_leaks: None
) -> None:
    with ScenarioServer(name) as server:
        text = server.text(clients=True)
        [s_client] = _commands(text, "openssl s_client")
        run = _s_client(s_client)
        assert not run.ok and words in run.text(), run.text()
        [probe] = _commands(text, "pkiviz probe")
        assert main(probe[1:]) == 1
        out = capsys.readouterr().out
        assert ("REVOKED" in out) == (name == "revoked"), out
        if name == "revoked":  # control: the same probe without the CRL finds nothing wrong
            without = probe[: probe.index("--crl")] + probe[probe.index("--crl") + 2 :]
            assert main(without[1:]) == 0
            capsys.readouterr()
    assert ("--crl" in text) == (name == "revoked")


def test_mtls_printout_says_how_to_get_a_client_certificate_and_it_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_leaks: None
) -> None:
    with ScenarioServer("client-certificate-missing") as server:
        text = server.text(clients=True)
        assert "'pkiviz scenario valid DIR' writes DIR/client.pem and DIR/client.key" in text
        assert "With the client certificate" not in text
        [probe] = _commands(text, "pkiviz probe")
        assert main(probe[1:]) == 1  # control: no certificate, refused
        assert "no client certificate sent" in capsys.readouterr().out
        # Follow the printed advice, through the CLI.
        assert main(["scenario", "valid", str(tmp_path)]) == 0
        cert, key = str(tmp_path / "client.pem"), str(tmp_path / "client.key")
        assert main([*probe[1:], "--cert", cert, "--key", key]) == 0
        assert "ACCEPTED" in capsys.readouterr().out


def test_a_scenario_with_client_files_prints_the_commands_with_them(
    capsys: pytest.CaptureFixture[str], no_leaks: None
) -> None:
    server = ScenarioServer("valid")  # the same files, but the server now requires a certificate
    server.scenario = dataclasses.replace(server.scenario, require_client_cert=True)
    with server:
        text = server.text(clients=True)
        head, _, tail = text.partition("With the client certificate:")
        assert tail and "pkiviz scenario valid" not in text
        [curl] = _commands(tail, "curl")
        [probe] = _commands(tail, "pkiviz probe")
        [s_client] = _commands(tail, "openssl s_client")
        for argv in (curl, probe):
            assert argv[argv.index("--cert") + 1] == str(server.directory / "client.pem")
        assert main(probe[1:]) == 0 and "ACCEPTED" in capsys.readouterr().out
        [bare] = _commands(head, "pkiviz probe")
        assert main(bare[1:]) == 1  # control: the same probe without the certificate
        capsys.readouterr()
        run = run_tool(["curl", "--max-time", "10", "-sS", *curl[1:]])
        assert run.ok and run.stdout == server.page(), run.text()
        if shutil.which("openssl") is None:
            return
        run = _s_client(s_client)
        assert run.ok and "Verify return code: 0 (ok)" in run.stdout, run.text()


def test_context_manager_shuts_down_on_error(no_leaks: None) -> None:
    with pytest.raises(RuntimeError, match="boom"), ScenarioServer("valid") as server:
        port = server.port
        raise RuntimeError("boom")
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more
    server.close()  # twice is fine


def test_only_loopback(no_leaks: None) -> None:
    with ScenarioServer("valid") as server:
        assert server.started().server_address[0] == "127.0.0.1"


def test_bad_input(no_leaks: None) -> None:
    with pytest.raises(InputError, match="unknown scenario 'nope'"):
        ScenarioServer("nope")
    with pytest.raises(InputError, match="between 0 and 65535"):
        ScenarioServer("valid", port=70000)
    with pytest.raises(RuntimeError, match="start the server first"):
        _ = ScenarioServer("valid").port
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(InputError, match="cannot listen"):
            ScenarioServer("valid", port=busy.getsockname()[1]).start()


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["serve", "nope"], "unknown scenario 'nope'"),
        (["serve", "chain-out-of-order"], "chain-out-of-order cannot be served"),
        (["serve", "chain-out-of-order"], "(key values mismatch), as nginx would; "),
    ],
)
def test_cli_errors_are_one_line(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str], no_leaks: None
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1


def test_the_refusal_says_what_to_run_instead_and_that_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], no_leaks: None
) -> None:
    assert main(["serve", "chain-out-of-order"]) == 2
    err = capsys.readouterr().err.strip()
    scenario, validate = re.findall(r"'(pkiviz [^']*)'", err)
    assert scenario == "pkiviz scenario chain-out-of-order DIR"
    assert validate == (
        "pkiviz validate DIR/chain.pem --trust DIR/root.pem --host login.example.com"
    )
    # Follow it: the files exist, and validate shows the catalogue's failure.
    directory = str(tmp_path / "coo")
    assert main(shlex.split(scenario.replace("DIR", directory))[1:]) == 0
    assert main(shlex.split(validate.replace("DIR", directory))[1:]) == 1
    assert "\nINVALID: hostname" in capsys.readouterr().out
    assert get("chain-out-of-order").expected_check == "hostname"
    # Control: the same commands on the valid scenario say VALID.
    valid = str(tmp_path / "valid")
    assert (
        main(shlex.split(scenario.replace("chain-out-of-order", "valid").replace("DIR", valid))[1:])
        == 0
    )
    assert main(shlex.split(validate.replace("DIR", valid))[1:]) == 0
    assert "\nVALID" in capsys.readouterr().out


def _read_until(proc: subprocess.Popen[bytes], marker: str) -> str:
    """Read the child's stdout until a line starting with ``marker`` (bounded by a timeout)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while not any(line.startswith(marker) for line in seen.decode().splitlines()):
            if not selector.select(timeout=60):
                raise AssertionError(f"no {marker!r} line; got {seen!r}")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AssertionError(f"exited early; got {seen!r}")
            seen += chunk
    return seen.decode()


#: Runs ``pkiviz serve`` with SIGHUP left to its default action (the bug), for the control.
_WITHOUT_SIGHUP = (
    "import signal, sys; import pkiviz.cli.serve as s; "
    "s._STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM); "
    "from pkiviz.cli import main; sys.exit(main(sys.argv[1:]))"
)


def _serve(port: int, *, handle_sighup: bool = True) -> subprocess.Popen[bytes]:
    start = ["-m", "pkiviz"] if handle_sighup else ["-c", _WITHOUT_SIGHUP]
    return subprocess.Popen(
        [sys.executable, *start, "serve", "valid", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )


def test_control_without_a_sighup_handler_the_key_would_stay_behind() -> None:
    proc = _serve(free_port(), handle_sighup=False)
    directory = None
    try:
        out = _read_until(proc, "Stop with Ctrl-C")
        directory = Path(out.split("Files: ", 1)[1].split(" (removed", 1)[0])
        assert (directory / "server.key").exists()
        proc.send_signal(signal.SIGHUP)
        proc.communicate(timeout=30)
        assert proc.returncode == -signal.SIGHUP
        assert (directory / "server.key").exists()  # what the handler prevents
    finally:
        if proc.poll() is None:  # pragma: no cover - only if the test failed above
            proc.kill()
            proc.communicate()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"]
)
def test_cli_serves_until_signalled(sig: signal.Signals) -> None:
    port = free_port()
    proc = _serve(port)
    try:
        out = _read_until(proc, "Stop with Ctrl-C")
        assert f"URL:   https://login.example.com:{port}/" in out
        assert f"  pkiviz probe 127.0.0.1:{port} --servername login.example.com" in out
        trust = next(line for line in out.splitlines() if line.startswith("Trust: "))
        directory = Path(trust.removeprefix("Trust: ")).parent
        command = next(line.strip() for line in out.splitlines() if line.startswith("  curl "))
        run = run_tool(["curl", "--max-time", "10", "-sS", *command.split()[1:]])
        assert run.ok and "scenario valid" in run.stdout, run.text()
        proc.send_signal(sig)
        _, err_bytes = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover - only if the test failed above
            proc.kill()
            proc.communicate()
    err = err_bytes.decode()
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err and "stopped" in err
    assert not directory.exists()
