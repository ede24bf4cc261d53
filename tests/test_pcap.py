"""pcapng from a loopback capture: tshark decrypts it to pkiviz's own plaintext.

A real TLS connection on 127.0.0.1 is relayed through :class:`~pkiviz.net.wire.Tap`,
written as pcapng with its key log in a Decryption Secrets Block, and read back
by Wireshark's tshark. The controls: without the key log tshark sees neither the
HTTP request nor the encrypted handshake messages.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from pkiviz import clock
from pkiviz.errors import InputError
from pkiviz.net import wire
from pkiviz.net.live import Server, client_context, connect, server_context
from pkiviz.net.pcap import MSS, Pcapng, flow_to_pcapng, write_file
from pkiviz.x509.example import running_example

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(
    TSHARK is None, reason="tshark is not installed (Debian: apt-get install tshark)"
)
EXAMPLE = running_example(live=True)
HTTP_GET = b"GET / HTTP/1.1\r\nHost: login.example.com\r\nConnection: close\r\n\r\n"


def _capture(version: str, tmp_path: Path) -> tuple[wire.Flow, str]:
    ctx = client_context(EXAMPLE.root, version=version)  # type: ignore[arg-type]
    keylog = tmp_path / f"keylog-{version}.txt"
    ctx.keylog_filename = str(keylog)
    with Server(server_context(EXAMPLE.server)) as srv, wire.Tap(srv.address) as tap:
        hs = connect(ctx, *tap.address, server_hostname=EXAMPLE.hostname, request=HTTP_GET)
        (flow,) = tap.wait(1)
        srv.wait(1)
    assert hs.completed
    return flow, keylog.read_text("ascii")


@pytest.fixture(scope="module", params=["1.3", "1.2"])
def captured(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, wire.Flow, str]:
    version: str = request.param
    flow, keylog = _capture(version, tmp_path_factory.mktemp(f"tls{version}"))
    return version, flow, keylog


def _tshark(path: Path, *args: str) -> str:
    assert TSHARK is not None
    done = subprocess.run(
        [TSHARK, "-r", str(path), *args], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def _followed(path: Path, *args: str) -> list[tuple[bool, bytes]]:
    """tshark's decrypted TLS stream: ``(indented, bytes)`` per record, in order."""
    out = _tshark(path, *args, "-q", "-z", "follow,tls,raw,0")
    lines = out.splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("=" * 20)]
    body = lines[rules[0] + 1 : rules[-1]]
    return [
        (line.startswith("\t"), bytes.fromhex(line.strip()))
        for line in body
        if line.strip() and all(c in "0123456789abcdef" for c in line.strip())
    ]


def _blocks(data: bytes) -> list[bytes]:
    out, at = [], 0
    while at < len(data):
        total = int.from_bytes(data[at + 4 : at + 8], "little")
        out.append(data[at : at + total])
        at += total
    return out


def _handshake_types(path: Path, *args: str) -> list[int]:
    out = _tshark(path, *args, "-T", "fields", "-e", "tls.handshake.type")
    return [int(t) for line in out.splitlines() for t in line.split(",") if t]


def _pkiviz_types(flow: wire.Flow, keylog: str) -> list[int]:
    return [m.raw[0] for m in wire.decrypt_flow(flow, keylog) if m.is_handshake]


# --- tshark ------------------------------------------------------------------------


@needs_tshark
def test_tshark_decrypts_to_pkivizs_plaintext(
    captured: tuple[str, wire.Flow, str], tmp_path: Path
) -> None:
    version, flow, keylog = captured
    path = flow_to_pcapng(flow, keylog=keylog).write_to_path(tmp_path / "with-keys.pcapng")
    ours = wire.application_data(flow, keylog)
    assert ours[0] == ("client", HTTP_GET)
    assert ours[1][0] == "server" and ours[1][1].startswith(b"HTTP/1.1 200 OK")
    theirs = _followed(path)
    assert [data for _, data in theirs] == [data for _, data in ours]
    # tshark marks one side's records by indenting them: the same split as pkiviz's senders.
    client_mark = theirs[0][0]
    assert [mark == client_mark for mark, _ in theirs] == [s == "client" for s, _ in ours]
    # The handshake, message by message: tshark's decrypted types equal pkiviz's.
    assert _handshake_types(path) == _pkiviz_types(flow, keylog)
    uri = _tshark(path, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri")
    assert uri.split() == ["/"]
    if version == "1.3":  # EncryptedExtensions, Certificate, CertificateVerify, Finished
        assert {8, 11, 15, 20} <= set(_handshake_types(path))


@needs_tshark
def test_without_the_key_log_tshark_cannot_see_the_request(
    captured: tuple[str, wire.Flow, str], tmp_path: Path
) -> None:
    version, flow, keylog = captured
    path = flow_to_pcapng(flow).write_to_path(tmp_path / "no-keys.pcapng")
    assert _tshark(path, "-Y", "http.request").strip() == ""
    assert _followed(path) == []
    if version == "1.3":  # only the two hellos travel in the clear
        assert _handshake_types(path) == [1, 2]
    # Control: the same file with the key log given on the command line decrypts.
    keyfile = tmp_path / "keylog.txt"
    keyfile.write_text(keylog)
    option = ("-o", f"tls.keylog_file:{keyfile}")
    assert _tshark(path, *option, "-Y", "http.request", "-T", "fields", "-e", "http.request.uri")
    assert [d for _, d in _followed(path, *option)] == [
        d for _, d in wire.application_data(flow, keylog)
    ]


@needs_tshark
def test_tshark_reads_the_tcp_handshake_sequence_numbers_and_timestamps(
    captured: tuple[str, wire.Flow, str], tmp_path: Path
) -> None:
    _, flow, keylog = captured
    pcap = flow_to_pcapng(flow, keylog=keylog)
    path = pcap.write_to_path(tmp_path / "c.pcapng")
    fields = ("frame.time_epoch", "tcp.flags.str", "tcp.seq_raw", "tcp.ack_raw", "tcp.len")
    out = _tshark(
        path, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
        "-T", "fields", *[a for f in fields for a in ("-e", f)],
        "-e", "tcp.checksum.status", "-e", "ip.checksum.status",
    )  # fmt: skip
    rows = [line.split("\t") for line in out.splitlines()]
    assert len(rows) == len(pcap.packets) == len(flow.chunks) + 6
    for row, packet in zip(rows, pcap.packets, strict=True):
        assert float(row[0]) == pytest.approx(packet.time.timestamp())
        assert int(row[2]) == packet.seq and int(row[3]) == packet.ack
        assert int(row[4]) == packet.length
        assert row[5:7] == ["1", "1"]  # checksum status 1: good (0 bad, 2 unverified)
    # tshark's TCP analysis finds no retransmission, lost segment or out-of-order ack.
    assert _tshark(path, "-Y", "tcp.analysis.flags") == ""
    # Control: the same file with one data frame repeated is flagged as a retransmission.
    blocks = _blocks(path.read_bytes())
    repeated = tmp_path / "repeated.pcapng"
    repeated.write_bytes(b"".join(blocks[:7] + blocks[6:]))  # SHB IDB DSB SYN SYN-ACK ACK data
    assert "Retransmission" in _tshark(repeated, "-Y", "tcp.analysis.flags")
    assert float(rows[0][0]) == clock.BOOK_CLOCK.timestamp()
    assert [p.flags for p in pcap.packets[:3]] == ["SYN", "SYN, ACK", "ACK"]
    assert [p.flags for p in pcap.packets[-3:]] == ["FIN, ACK", "FIN, ACK", "ACK"]


# --- the file itself -------------------------------------------------------------------


def test_same_flow_same_bytes(captured: tuple[str, wire.Flow, str]) -> None:
    _, flow, keylog = captured
    assert flow_to_pcapng(flow, keylog=keylog).data == flow_to_pcapng(flow, keylog=keylog).data
    # Control: time and key log are inputs, so changing either changes the file.
    later = clock.BOOK_CLOCK + dt.timedelta(seconds=1)
    assert flow_to_pcapng(flow, at=later).data != flow_to_pcapng(flow).data
    assert flow_to_pcapng(flow, keylog=keylog).data != flow_to_pcapng(flow).data


def test_blocks_and_secrets_type() -> None:
    flow = wire.Flow((("client", b"\x16" * 10), ("server", b"\x17" * (MSS + 5))))
    pcap = flow_to_pcapng(flow, keylog="CLIENT_RANDOM " + "00" * 32 + " " + "11" * 48 + "\n")
    data = pcap.data
    assert data[:4] == bytes.fromhex("0a0d0d0a") and data[8:12] == bytes.fromhex("4d3c2b1a")
    assert b"TLSK"[::-1] in data  # secrets type 0x544c534b, little-endian
    assert b"CLIENT_RANDOM " in data
    # The long chunk is split at the MSS; the sequence numbers follow the bytes.
    lengths = [p.length for p in pcap.packets]
    assert lengths == [0, 0, 0, 10, MSS, 5, 0, 0, 0]
    assert pcap.packets[5].seq == pcap.packets[4].seq + MSS
    assert "key log embedded" in str(pcap) and "<table" in pcap._repr_html_()
    # Control: without a key log there is no Decryption Secrets Block.
    assert b"TLSK"[::-1] not in flow_to_pcapng(flow).data


def test_a_file_with_keys_is_written_0600(tmp_path: Path) -> None:
    flow = wire.Flow((("client", b"hello"),))
    secret = flow_to_pcapng(flow, keylog="").write_to_path(tmp_path / "k.pcapng")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # Control: without a key log the capture holds only ciphertext, written 0644.
    plain = flow_to_pcapng(flow).write_to_path(tmp_path / "p.pcapng")
    assert stat.S_IMODE(plain.stat().st_mode) & 0o077 != 0


def test_an_unwritable_path_is_refused_by_name(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "out.pcapng"
    with pytest.raises(InputError, match=f"{target}: cannot write the pcapng file"):
        flow_to_pcapng(wire.Flow(())).write_to_path(target)
    with pytest.raises(InputError, match="cannot write the key log"):
        write_file(tmp_path, b"x", secret=True, what="key log")  # a directory in the way
    assert write_file(tmp_path / "ok", b"x", secret=True, what="key log").read_bytes() == b"x"


def test_bad_arguments() -> None:
    flow = wire.Flow(())
    with pytest.raises(ValueError, match="client address must be IPv4"):
        flow_to_pcapng(flow, client=("::1", 5))
    with pytest.raises(ValueError, match="server port must be 1-65535"):
        flow_to_pcapng(flow, server=("127.0.0.1", 0))
    with pytest.raises(InputError, match="not ASCII"):
        flow_to_pcapng(flow, keylog="é")
    assert isinstance(flow_to_pcapng(flow), Pcapng)


def test_a_symlink_or_fifo_is_refused_and_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.write_bytes(b"precious")
    target.chmod(0o644)
    link, fifo = tmp_path / "link", tmp_path / "fifo"
    link.symlink_to(target)
    os.mkfifo(fifo)  # writing would block forever: lstat refuses it without opening it
    for path, kind in ((link, "a symbolic link"), (fifo, "a FIFO")):
        with pytest.raises(InputError, match=f"{path}: cannot write the key log: {kind}"):
            write_file(path, b"x", secret=True, what="key log")
    assert target.read_bytes() == b"precious" and stat.S_IMODE(target.stat().st_mode) == 0o644
    with pytest.raises(InputError, match="the key log path is empty"):
        write_file("", b"x", secret=True, what="key log")
    # Control: the regular file itself is replaced, 0600, and no temporary file is left.
    assert write_file(target, b"x", secret=True, what="key log").read_bytes() == b"x"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "link", "precious"]
