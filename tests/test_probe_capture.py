"""``pkiviz probe --keylog FILE --pcap FILE``: the probe's secrets and its connection, written.

Against a pkiviz server on 127.0.0.1: the key log holds the connection's secrets
(mode 0600), the pcapng decrypts in tshark with no other file, and a path that
cannot be written is refused by name before anything is sent. Each failure has its
passing control beside it.
"""

from __future__ import annotations

import json
import shutil
import socket
import stat
import subprocess
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
