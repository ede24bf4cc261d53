"""A recorded connection as a pcapng file that Wireshark and tshark open and decrypt.

A :class:`~pkiviz.net.wire.Flow` holds the bytes each side sent, in order. This
module wraps them in the frames a loopback capture would show - Ethernet, IPv4
and TCP on 127.0.0.1, with the three-way handshake (SYN, SYN-ACK, ACK), every
data segment with correct sequence and acknowledgement numbers, and the close
(FIN, FIN, ACK) - and writes a pcapng file (draft-ietf-opsawg-pcapng):

* a Section Header Block, one Interface Description Block (LINKTYPE_ETHERNET),
* a Decryption Secrets Block holding the NSS key log (secrets type
  ``0x544c534b``, "TLSK"), so Wireshark decrypts the TLS records with no
  separate key log file,
* one Enhanced Packet Block per frame.

Nothing is random and nothing reads the clock: the timestamps start at ``at``
(default the book clock) and advance by ``step`` per frame, the initial
sequence numbers are fixed, and the same flow gives the same bytes on every run.
A file that embeds a key log is a secret (anyone holding it reads the traffic):
:meth:`Pcapng.write_to_path` creates it with mode 0600.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import ipaddress
import os
import stat
import struct
import tempfile
from pathlib import Path

from pkiviz import clock
from pkiviz.errors import InputError
from pkiviz.net.wire import Direction, Flow
from pkiviz.table import Table

#: pcapng block types (draft-ietf-opsawg-pcapng 4.1).
SHB, IDB, EPB, DSB = 0x0A0D0D0A, 0x00000001, 0x00000006, 0x0000000A
#: The Decryption Secrets Block's secrets type for an NSS key log ("TLSK").
TLS_KEY_LOG = 0x544C534B
#: LINKTYPE_ETHERNET (tcpdump.org link-layer header types).
LINKTYPE_ETHERNET = 1
#: The largest TCP payload one IPv4 packet carries with no options (65535 - 20 - 20).
MSS = 65495

_MAC = {"client": bytes.fromhex("020000000001"), "server": bytes.fromhex("020000000002")}
_ISN = {"client": 0x10000000, "server": 0x20000000}  # fixed initial sequence numbers
_FLAGS = {"FIN": 0x01, "SYN": 0x02, "PSH": 0x08, "ACK": 0x10}


@dataclasses.dataclass(frozen=True)
class Packet:
    """One synthesized TCP segment, as a capture tool lists it.

    Attributes:
        number: frame number, from 1.
        time: when it was "captured" (synthetic, from ``at`` and ``step``).
        sender: ``"client"`` or ``"server"``.
        flags: TCP flags, e.g. ``"SYN"``, ``"PSH, ACK"``.
        seq: the absolute sequence number.
        ack: the absolute acknowledgement number (0 when ACK is not set).
        length: TCP payload bytes.
    """

    number: int
    time: _dt.datetime
    sender: Direction
    flags: str
    seq: int
    ack: int
    length: int


@dataclasses.dataclass(frozen=True)
class Pcapng:
    """A pcapng file made from a flow. Build with :func:`flow_to_pcapng`.

    Attributes:
        data: the file's bytes.
        packets: the frames it holds, in order.
        client: the client's ``(address, port)``.
        server: the server's ``(address, port)``.
        has_keylog: whether a Decryption Secrets Block carries the key log.
    """

    data: bytes = dataclasses.field(repr=False)
    packets: tuple[Packet, ...]
    client: tuple[str, int]
    server: tuple[str, int]
    has_keylog: bool

    def bytes(self) -> bytes:
        """Return the file's bytes."""
        return self.data

    def write_to_path(self, path: str | os.PathLike[str]) -> Path:
        """Write the file; with an embedded key log it is a secret, created 0600.

        Args:
            path: where to write.

        Returns:
            The path written.

        Raises:
            InputError: the path cannot be written (it names the path).
        """
        return write_file(path, self.data, secret=self.has_keylog, what="pcapng file")

    def table(self) -> Table:
        """The frames as a capture tool lists them (relative sequence numbers)."""
        rows = []
        for p in self.packets:
            other: Direction = "server" if p.sender == "client" else "client"
            seq = (p.seq - _ISN[p.sender]) % 2**32
            ack = (p.ack - _ISN[other]) % 2**32 if "ACK" in p.flags else 0
            rows.append((str(p.number), p.sender, p.flags, str(seq), str(ack), str(p.length)))
        caption = (
            f"{self.client[0]}:{self.client[1]} -> {self.server[0]}:{self.server[1]}, "
            f"{len(self.packets)} frames, key log "
            + ("embedded (Decryption Secrets Block)" if self.has_keylog else "not included")
        )
        return Table(("no.", "from", "flags", "seq", "ack", "bytes"), tuple(rows), caption)

    def __str__(self) -> str:
        return self.table().text()

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def check_output_path(path: str | os.PathLike[str], *, what: str) -> Path:
    """Refuse a path pkiviz must not write to, before anything is written.

    Only a new file or an existing regular file is accepted: a symbolic link, a
    FIFO, a device, a socket or a directory is refused (``lstat``, so nothing is
    opened, followed or blocked on), and the directory must take a new file (a
    private temporary file is created there and removed at once). Nothing at
    ``path`` is created, changed or removed.

    Args:
        path: the user's path.
        what: what the file is, for the error message.

    Returns:
        The path.

    Raises:
        InputError: an empty path, not a regular file, or a directory that
            cannot take the file; the message names the path.
    """
    if os.fspath(path) == "":
        raise InputError(f"the {what} path is empty")
    target = Path(path)
    try:
        info: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise InputError(f"{target}: cannot write the {what}: {exc.strerror or exc}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{target}: cannot write the {what}: {_kind(info.st_mode)}, not a regular file"
        )
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        # The error is about the directory (a missing one, no permission, or /proc, which
        # takes no new file and says ENOENT), not about the file itself.
        raise InputError(
            f"{target}: cannot write the {what}: its directory {target.parent} cannot take a "
            f"new file ({exc.strerror or exc})"
        ) from None
    return target


def write_file(path: str | os.PathLike[str], data: bytes, *, secret: bool, what: str) -> Path:
    """Write ``data`` to a path a user named; a secret is written with mode 0600.

    The bytes go to a new temporary file in the same directory (created 0600,
    ``O_EXCL``), which then replaces ``path`` (``os.replace``): a symbolic link's
    target, a FIFO or a device is never opened, and a failed write leaves an
    existing file as it was.

    Args:
        path: the user's path.
        data: the bytes.
        secret: keep the file 0600 (key logs, captures that embed one); otherwise 0644.
        what: what the file is, for the error message.

    Returns:
        The path written.

    Raises:
        InputError: the path cannot be written (empty, a missing directory, no
            permission, not a regular file: a directory, a symbolic link, a
            FIFO, a device); the message names the path.
    """
    target = check_output_path(path, what=what)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            if not secret:
                os.fchmod(handle.fileno(), 0o644)
            handle.write(data)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise InputError(f"{target}: cannot write the {what}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return target


# --- blocks -----------------------------------------------------------------------


def _pad(data: bytes) -> bytes:
    return data + b"\x00" * (-len(data) % 4)


def _block(kind: int, body: bytes) -> bytes:
    total = 12 + len(body)
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + _pad(value)


def _section_header() -> bytes:
    options = _option(4, b"pkiviz") + _option(0, b"")  # shb_userappl, opt_endofopt
    return _block(SHB, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + options)


def _interface() -> bytes:
    # if_name "lo", if_tsresol 6 (microseconds, also the default), opt_endofopt
    options = _option(2, b"lo") + _option(9, b"\x06") + _option(0, b"")
    return _block(IDB, struct.pack("<HHI", LINKTYPE_ETHERNET, 0, 262144) + options)


def _secrets(keylog: str) -> bytes:
    secrets = keylog.encode("ascii")
    return _block(DSB, struct.pack("<II", TLS_KEY_LOG, len(secrets)) + _pad(secrets))


def _packet(when: _dt.datetime, frame: bytes) -> bytes:
    micros = int((when - _EPOCH) / _dt.timedelta(microseconds=1))
    header = struct.pack("<IIIII", 0, micros >> 32, micros & 0xFFFFFFFF, len(frame), len(frame))
    return _block(EPB, header + _pad(frame))


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


# --- frames -----------------------------------------------------------------------


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(
    src: tuple[bytes, int, bytes],
    dst: tuple[bytes, int, bytes],
    ident: int,
    seq: int,
    ack: int,
    flags: int,
    payload: bytes,
) -> bytes:
    (src_ip, src_port, src_mac), (dst_ip, dst_port, dst_mac) = src, dst
    tcp = struct.pack("!HHIIBBHHH", src_port, dst_port, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    checksum = _checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", checksum) + tcp[18:]
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), ident, 0x4000, 64, 6, 0,
        src_ip, dst_ip,
    )  # fmt: skip
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp + payload


def _flag_names(flags: int) -> str:
    return ", ".join(name for name, bit in _FLAGS.items() if flags & bit)


def _endpoint(value: tuple[str, int], what: str) -> tuple[str, int]:
    host, port = value
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise ValueError(f"{what} address must be IPv4, got {host!r}") from None
    if not 0 < port < 65536:
        raise ValueError(f"{what} port must be 1-65535, got {port}")
    return str(address), port


def flow_to_pcapng(
    flow: Flow,
    *,
    keylog: str | None = None,
    client: tuple[str, int] = ("127.0.0.1", 50000),
    server: tuple[str, int] = ("127.0.0.1", 443),
    at: _dt.datetime = clock.BOOK_CLOCK,
    step: _dt.timedelta = _dt.timedelta(milliseconds=1),
) -> Pcapng:
    """Turn a recorded flow into a pcapng file, with the key log embedded if given.

    The client opens (SYN, SYN-ACK, ACK), the chunks follow in recorded order
    as PSH-ACK segments of at most :data:`MSS` bytes, each acknowledging all
    the other side has sent, and the client closes first (FIN-ACK, FIN-ACK, ACK).
    The default server port, 443, is the one Wireshark dissects as TLS unasked.

    Args:
        flow: what a :class:`~pkiviz.net.wire.Tap` recorded.
        keylog: NSS key log text to embed as a Decryption Secrets Block.
        client: the client's IPv4 address and port.
        server: the server's IPv4 address and port.
        at: the first frame's timestamp (time is injected; nothing reads the clock).
        step: the time between frames.

    Returns:
        The :class:`Pcapng`.

    Raises:
        ValueError: an address is not IPv4, a port is out of range, or ``step``
            is negative.
        InputError: the key log is not ASCII text.
    """
    client, server = _endpoint(client, "client"), _endpoint(server, "server")
    at = clock.as_utc(at)
    if step < _dt.timedelta(0):
        raise ValueError("step must not be negative")
    ends: dict[Direction, tuple[bytes, int, bytes]] = {
        "client": (ipaddress.IPv4Address(client[0]).packed, client[1], _MAC["client"]),
        "server": (ipaddress.IPv4Address(server[0]).packed, server[1], _MAC["server"]),
    }
    seq = dict(_ISN)
    ident = {"client": 1, "server": 1}
    frames: list[bytes] = []
    packets: list[Packet] = []

    def emit(sender: Direction, flags: int, payload: bytes = b"") -> None:
        other: Direction = "server" if sender == "client" else "client"
        ack = seq[other] if flags & _FLAGS["ACK"] else 0
        when = at + step * len(packets)
        frames.append(
            _frame(ends[sender], ends[other], ident[sender], seq[sender], ack, flags, payload)
        )
        names = _flag_names(flags)
        packets.append(
            Packet(len(packets) + 1, when, sender, names, seq[sender], ack, len(payload))
        )
        ident[sender] = (ident[sender] + 1) & 0xFFFF
        consumed = len(payload) + (1 if flags & (_FLAGS["SYN"] | _FLAGS["FIN"]) else 0)
        seq[sender] = (seq[sender] + consumed) % 2**32

    syn, ack_flag = _FLAGS["SYN"], _FLAGS["ACK"]
    emit("client", syn)
    emit("server", syn | ack_flag)
    emit("client", ack_flag)
    for sender, data in flow.chunks:
        for start in range(0, len(data), MSS):
            emit(sender, _FLAGS["PSH"] | ack_flag, data[start : start + MSS])
    emit("client", _FLAGS["FIN"] | ack_flag)
    emit("server", _FLAGS["FIN"] | ack_flag)
    emit("client", ack_flag)

    blocks = [_section_header(), _interface()]
    if keylog is not None:
        try:
            blocks.append(_secrets(keylog))
        except UnicodeEncodeError:
            raise InputError("the key log is not ASCII text (NSS key log format)") from None
    blocks += [_packet(p.time, frame) for p, frame in zip(packets, frames, strict=True)]
    return Pcapng(b"".join(blocks), tuple(packets), client, server, keylog is not None)
