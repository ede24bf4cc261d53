"""``pkiviz probe --keylog FILE --pcap FILE``: the probe's secrets and its connection, written.

Against a pkiviz server on 127.0.0.1: the key log holds the connection's secrets
(mode 0600), the pcapng decrypts in tshark with no other file, and a path that
cannot be written is refused by name before anything is sent. Each failure has its
passing control beside it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pkiviz.cli import main
from pkiviz.net.live import Server, server_context
from pkiviz.net.probe import probe
from pkiviz.tls import keyschedule
from pkiviz.x509.example import running_example

EXAMPLE = running_example(live=True)
HOST = EXAMPLE.hostname
TSHARK = shutil.which("tshark")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    EXAMPLE.write_to(tmp_path / "ex")
    return tmp_path / "ex" / "root.pem"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_keylog_and_pcap_are_written(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    keylog, pcap = tmp_path / "keys.txt", tmp_path / "probe.pcapng"
    with Server(server_context(EXAMPLE.server, version=version)) as srv:  # type: ignore[arg-type]
        argv = ["probe", f"127.0.0.1:{srv.port}", "--servername", HOST, "--trust", str(root)]
        status, out, _ = _run(
            [*argv, "--keylog", str(keylog), "--pcap", str(pcap), "--json"], capsys
        )
    assert status == 0
    data = json.loads(out)
    assert (data["keylog_file"], data["pcap_file"]) == (str(keylog), str(pcap))
    assert _mode(keylog) == 0o600 and _mode(pcap) == 0o600
    secrets = keyschedule.parse_keylog(keylog.read_text("ascii"))
    labels = {label for label, _ in secrets}
    if version == "1.3":
        assert {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"} <= labels
    else:
        assert labels == {"CLIENT_RANDOM"}
    # The key log is embedded in the pcapng, and it is the one connection's.
    (client_random,) = {random for _, random in secrets}
    body = pcap.read_bytes()
    assert body[:4] == bytes.fromhex("0a0d0d0a") and client_random.hex().encode() in body
    assert client_random in body  # the ClientHello's random, in the clear
    # Control: the same probe without the options writes nothing and says so.
    with Server(server_context(EXAMPLE.server, version=version)) as srv:  # type: ignore[arg-type]
        argv = ["probe", f"127.0.0.1:{srv.port}", "--servername", HOST, "--trust", str(root)]
        status, out, _ = _run([*argv, "--json"], capsys)
    assert status == 0
    assert (json.loads(out)["keylog_file"], json.loads(out)["pcap_file"]) == (None, None)


@pytest.mark.skipif(TSHARK is None, reason="tshark is not installed (apt-get install tshark)")
def test_tshark_decrypts_the_probes_pcap(root: Path, tmp_path: Path) -> None:
    pcap = tmp_path / "probe.pcapng"
    with Server(server_context(EXAMPLE.server)) as srv:
        result = probe("127.0.0.1", srv.port, servername=HOST, trust=[root], pcap=pcap, timeout=5.0)
    assert result.ok and result.pcap is not None and result.keylog_file is None
    assert f"pcapng: {pcap} ({len(result.pcap.packets)} frames" in result.text()
    assert TSHARK is not None
    fields = [TSHARK, "-r", str(pcap), "-T", "fields", "-e", "tls.handshake.type"]
    types = subprocess.run(fields, capture_output=True, text=True, check=True, timeout=60).stdout
    seen = {int(t) for line in types.split() for t in line.split(",")}
    # Certificate (11) and CertificateVerify (15) are encrypted in TLS 1.3: tshark read them
    # with the embedded key log, and they match what the probe captured.
    assert {11, 15} <= seen
    assert [m.raw[0] for m in result.handshake if m.is_handshake][:2] == [1, 2]
    names = [TSHARK, "-r", str(pcap), "-T", "fields", "-e", "x509sat.uTF8String"]
    subjects = subprocess.run(names, capture_output=True, text=True, check=True, timeout=60)
    assert HOST in subjects.stdout


@pytest.mark.parametrize("option", ["--keylog", "--pcap"])
def test_an_unwritable_path_is_refused_by_name_before_connecting(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    port = _free_port()  # nothing listens: a connection attempt would say "refused"
    bad = tmp_path / "no-such-dir" / "out"
    argv = ["probe", f"127.0.0.1:{port}", "--servername", HOST, "--trust", str(root)]
    status, out, err = _run([*argv, option, str(bad), "--json"], capsys)
    what = "key log" if option == "--keylog" else "pcapng file"
    assert status == 2
    assert f"{bad}: cannot write the {what}" in err
    assert f"{bad}: cannot write the {what}" in json.loads(out)["error"]
    # Control: a writable path gets as far as the connection, which is refused.
    good = tmp_path / "out"
    status, _, err = _run([*argv, option, str(good)], capsys)
    assert status == 2 and "connection refused" in err
    assert not (option == "--pcap" and good.exists())  # no empty capture left behind


def test_a_refused_connection_reads_the_same_through_the_recorder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    direct = _run(["probe", f"127.0.0.1:{port}"], capsys)
    recorded = _run(["probe", f"127.0.0.1:{port}", "--pcap", str(tmp_path / "c.pcapng")], capsys)
    assert direct[0] == recorded[0] == 2
    assert direct[2] == recorded[2] == f"pkiviz: error: 127.0.0.1:{port}: connection refused\n"


def test_an_existing_key_log_becomes_0600(root: Path, tmp_path: Path) -> None:
    keylog = tmp_path / "keys.txt"
    keylog.write_text("old contents\n")
    keylog.chmod(0o644)
    with Server(server_context(EXAMPLE.server)) as srv:
        probe("127.0.0.1", srv.port, servername=HOST, trust=[root], keylog=keylog)
    assert _mode(keylog) == 0o600
    assert "old contents" not in keylog.read_text()  # truncated: one probe, one key log
    assert keyschedule.parse_keylog(keylog.read_text())


def test_the_relay_outlasts_a_wait_longer_than_the_timeout(root: Path, tmp_path: Path) -> None:
    # The probe listens 1.5 s after the handshake with a 1 s timeout; the relay in front
    # of it must not drop the quiet connection first (which would read as a close).
    ended = {}
    for name, pcap in (("recorded", tmp_path / "c.pcapng"), ("direct", None)):
        with Server(server_context(EXAMPLE.server)) as srv:
            result = probe(
                "127.0.0.1", srv.port, servername=HOST, trust=[root], timeout=1.0, wait=1.5,
                pcap=pcap,
            )  # fmt: skip
        assert result.listening is not None
        ended[name] = result.listening.ended
    assert ended == {"recorded": "quiet", "direct": "quiet"}  # control: the direct probe


# --- what a --keylog / --pcap path may be --------------------------------------------

PKIVIZ = [sys.executable, "-m", "pkiviz"]


def _special(kind: str, tmp_path: Path) -> Path:
    """A path in tmp_path that is not a regular file (never a real /dev node)."""
    path = tmp_path / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        target = tmp_path / "precious.txt"
        target.write_text("precious\n")
        target.chmod(0o644)
        path.symlink_to(target)
    elif kind == "chardev":
        try:
            os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
        except (PermissionError, AttributeError) as exc:
            pytest.skip(f"cannot create a character device in tmp_path (mknod: {exc})")
    else:
        path.mkdir()
    return path


@pytest.mark.parametrize("option", ["--keylog", "--pcap"])
@pytest.mark.parametrize("kind", ["fifo", "symlink", "chardev", "directory"])
def test_a_path_that_is_not_a_regular_file_is_refused_untouched(
    tmp_path: Path, option: str, kind: str
) -> None:
    # In a subprocess with a timeout: opening a FIFO for writing blocks, and a device
    # or a symlink's target must be neither truncated, chmodded nor deleted.
    port = _free_port()  # nothing listens: a probe that got as far as connecting is refused
    path = _special(kind, tmp_path)
    before = os.lstat(path)
    argv = [*PKIVIZ, "probe", f"127.0.0.1:{port}", option, str(path)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    what = "key log" if option == "--keylog" else "pcapng file"
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{path}: cannot write the {what}: " in proc.stderr
    assert "not a regular file" in proc.stderr and "connection refused" not in proc.stderr
    after = os.lstat(path)  # still there, same kind, same mode
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    if kind == "symlink":
        target = tmp_path / "precious.txt"
        assert target.read_text() == "precious\n" and _mode(target) == 0o644
    # Control: a fresh path beside it gets as far as the connection, which is refused.
    fresh = tmp_path / "fresh.out"
    argv = [*PKIVIZ, "probe", f"127.0.0.1:{port}", option, str(fresh)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "connection refused" in proc.stderr
    assert not fresh.exists()


@pytest.mark.parametrize("option", ["--keylog", "--pcap"])
def test_an_existing_file_survives_a_failed_probe_and_is_replaced_by_a_good_one(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    precious = tmp_path / "precious.out"
    precious.write_text("precious\n")
    precious.chmod(0o644)
    status, _, err = _run(["probe", f"127.0.0.1:{_free_port()}", option, str(precious)], capsys)
    assert status == 2 and "connection refused" in err
    assert precious.read_text() == "precious\n" and _mode(precious) == 0o644
    # Control: a probe that succeeds overwrites it, mode 0600.
    with Server(server_context(EXAMPLE.server)) as srv:
        argv = ["probe", f"127.0.0.1:{srv.port}", "--servername", HOST, "--trust", str(root)]
        status, _, _ = _run([*argv, option, str(precious)], capsys)
    assert status == 0 and _mode(precious) == 0o600
    assert "precious" not in precious.read_bytes().decode("ascii", "replace")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ex", "precious.out"]  # no temp left


def test_one_file_for_both_the_key_log_and_the_pcap_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _free_port()
    both = tmp_path / "both"
    for other in (str(both), str(tmp_path / "." / "both")):
        status, _, err = _run(["probe", f"127.0.0.1:{port}", "--keylog", str(both),
                               "--pcap", other], capsys)  # fmt: skip
        assert status == 2 and "--keylog and --pcap name the same one" in err
    # Control: two files get as far as the connection.
    argv = ["probe", f"127.0.0.1:{port}", "--keylog", str(both), "--pcap", str(tmp_path / "p")]
    status, _, err = _run(argv, capsys)
    assert status == 2 and "connection refused" in err


@pytest.mark.parametrize("option", ["--keylog", "--pcap"])
def test_an_empty_or_unwritable_path_is_named_not_reported_as_a_connection_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    port = _free_port()
    what = "key log" if option == "--keylog" else "pcapng file"
    status, _, err = _run(["probe", f"127.0.0.1:{port}", option, ""], capsys)
    assert status == 2 and err == f"pkiviz: error: the {what} path is empty\n"
    bad = [tmp_path / "a-file" / "out"]  # a file where a directory should be
    (tmp_path / "a-file").write_text("")
    if Path("/proc/version").is_file():  # a regular file in a directory nothing is created in
        bad.append(Path("/proc/version"))
    for path in bad:
        status, _, err = _run(["probe", f"127.0.0.1:{port}", option, str(path)], capsys)
        assert status == 2 and err.startswith(f"pkiviz: error: {path}: cannot write the {what}")
        assert "cannot connect" not in err
    # Control: a writable path gets as far as the connection, which is refused.
    status, _, err = _run(["probe", f"127.0.0.1:{port}", option, str(tmp_path / "ok")], capsys)
    assert status == 2 and "connection refused" in err


@contextlib.contextmanager
def _not_tls() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that answers its one connection in plain HTTP."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                conn.recv(4096)
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()
        thread.join(15)


def test_no_tls_handshake_writes_nothing_and_says_so(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keylog, pcap = tmp_path / "keys.txt", tmp_path / "c.pcapng"
    with _not_tls() as port:
        argv = ["probe", f"127.0.0.1:{port}", "--keylog", str(keylog), "--pcap", str(pcap)]
        status, _, err = _run(argv, capsys)
    assert status == 2 and "no TLS handshake" in err
    assert f"(nothing written to {keylog} or {pcap})" in err
    assert not keylog.exists() and not pcap.exists()
    # Control: a TLS server, and both are written.
    with Server(server_context(EXAMPLE.server)) as srv:
        argv = ["probe", f"127.0.0.1:{srv.port}", "--servername", HOST, "--trust", str(root)]
        status, _, _ = _run([*argv, "--keylog", str(keylog), "--pcap", str(pcap)], capsys)
    assert status == 0 and keyschedule.parse_keylog(keylog.read_text("ascii"))
    assert pcap.read_bytes()[:4] == bytes.fromhex("0a0d0d0a")
