"""The second capture path, with no private API: a loopback tap and the key log.

:class:`Tap` is a TCP relay on 127.0.0.1 between a client and a server that
records the bytes going each way (a :class:`Flow`). :func:`decrypt_flow`
splits them into TLS records, decrypts the protected ones with the secrets
the client (or server) wrote to its NSS key log (``SSLContext.keylog_filename``)
using :mod:`pkiviz.tls.keyschedule`, reassembles handshake messages and hands
the result to :func:`~pkiviz.tls.handshake.handshake_from_records` - the same
parser the message-callback path uses. Tests check both paths agree.
"""

from __future__ import annotations

import contextlib
import dataclasses
import selectors
import socket
import time
from typing import Literal

from pkiviz import _serving
from pkiviz.errors import InputError
from pkiviz.tls import keyschedule, messages
from pkiviz.tls.handshake import Handshake, RawRecord, handshake_from_records

Direction = Literal["client", "server"]  # who sent the bytes


@dataclasses.dataclass(frozen=True)
class Flow:
    """The bytes one relayed connection carried, in arrival order.

    Attributes:
        chunks: ``(sender, bytes)`` pairs as the relay read them.
    """

    chunks: tuple[tuple[Direction, bytes], ...]

    def stream(self, sender: Direction) -> bytes:
        """Everything ``sender`` sent, concatenated."""
        return b"".join(data for who, data in self.chunks if who == sender)


class Tap(_serving.Serving[Flow]):
    """A loopback TCP relay that records both directions of each connection.

    :meth:`wait` blocks until that many relayed connections have finished
    (see :class:`~pkiviz._serving.Serving`).

    Args:
        upstream: ``(host, port)`` of the real server.
        timeout: seconds of silence after which a relayed connection is dropped.
    """

    thread_name = "pkiviz-tls-tap"
    role = "tap"
    results = "relayed connections"

    def __init__(self, upstream: tuple[str, int], *, timeout: float = 5.0) -> None:
        super().__init__(timeout=timeout)
        self.upstream = upstream
        #: Why connecting to ``upstream`` failed, once per relayed connection that could not.
        self.upstream_errors: list[OSError] = []

    def _handle(self, client: socket.socket) -> Flow:
        chunks: list[tuple[Direction, bytes]] = []
        try:
            server = socket.create_connection(self.upstream, timeout=self.timeout)
        except OSError as exc:
            self.upstream_errors.append(exc)
            client.close()
            return Flow(())
        peers = {client: server, server: client}
        senders: dict[socket.socket, Direction] = {client: "client", server: "server"}
        open_ends = {client, server}
        with client, server, selectors.DefaultSelector() as sel:
            for s in (client, server):
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
            deadline = time.monotonic() + self.timeout
            while open_ends and not self._stop.is_set() and time.monotonic() < deadline:
                for key, _ in sel.select(0.05):
                    src: socket.socket = key.fileobj  # type: ignore[assignment]
                    try:
                        data = src.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        chunks.append((senders[src], data))
                        try:
                            peers[src].setblocking(True)
                            peers[src].settimeout(self.timeout)
                            peers[src].sendall(data)
                            peers[src].setblocking(False)
                        except OSError:
                            open_ends.clear()
                        deadline = time.monotonic() + self.timeout
                    else:
                        sel.unregister(src)
                        open_ends.discard(src)
                        with contextlib.suppress(OSError):
                            peers[src].shutdown(socket.SHUT_WR)
        return Flow(tuple(chunks))


class _Decoder:
    """Walks a flow's records in order, decrypting with the key log."""

    def __init__(self, keylog: dict[tuple[str, bytes], bytes]) -> None:
        self.keylog = keylog
        self.records: list[RawRecord] = []
        self.application: list[tuple[Direction, bytes]] = []
        self.buffers: dict[Direction, bytes] = {"client": b"", "server": b""}
        self.hs_buffers: dict[Direction, bytes] = {"client": b"", "server": b""}
        self.ciphers: dict[Direction, keyschedule.RecordCipher | None] = {
            "client": None,
            "server": None,
        }
        self.epoch: dict[Direction, str] = {"client": "handshake", "server": "handshake"}
        self.client_random: bytes | None = None
        self.server_random: bytes | None = None
        self.suite: str | None = None
        self.tls13 = True

    def feed(self, sender: Direction, data: bytes) -> None:
        buf = self.buffers[sender] + data
        while len(buf) >= 5:
            length = int.from_bytes(buf[3:5], "big")
            if len(buf) < 5 + length:
                break
            header, fragment, buf = buf[:5], buf[5 : 5 + length], buf[5 + length :]
            self._record(sender, header, fragment)
        self.buffers[sender] = buf

    def _record(self, sender: Direction, header: bytes, fragment: bytes) -> None:
        outer = header[0]
        if outer not in (20, 21, 22, 23):
            raise InputError(f"{sender} sent a record of content type {outer}: not TLS")
        content_type, plaintext = outer, fragment
        if outer == 20:
            self.records.append((sender, 20, fragment, outer))
            if not self.tls13:
                self.ciphers[sender] = self._tls12_cipher(sender)
            return
        cipher = self.ciphers[sender]
        if outer == 23 and self.tls13 and cipher is None:
            stage = "HANDSHAKE" if self.epoch[sender] == "handshake" else "TRAFFIC"
            cipher = self.ciphers[sender] = self._tls13_cipher(sender, stage)
        if cipher is not None:
            content_type, plaintext = cipher.open(header, fragment)
        if content_type == 21:
            for i in range(0, len(plaintext) - 1, 2):
                self.records.append((sender, 21, plaintext[i : i + 2], outer))
        elif content_type == 23 and cipher is not None:
            self.application.append((sender, plaintext))
        elif content_type == 22:
            whole, rest = messages.split_handshake(self.hs_buffers[sender] + plaintext)
            self.hs_buffers[sender] = rest
            for raw in whole:
                self._handshake(sender, raw, outer)

    def _handshake(self, sender: Direction, raw: bytes, outer: int) -> None:
        self.records.append((sender, 22, raw, outer))
        kind = raw[0]
        if kind == 1 and self.client_random is None:
            self.client_random = raw[6:38]
        elif kind == 2:
            msg = messages.parse_message(sender, 22, raw)
            assert isinstance(msg.body, messages.ServerHello)
            if not msg.body.hello_retry_request:
                self.server_random = msg.body.random
                self.suite = msg.body.cipher_suite
                self.tls13 = msg.body.selected_version == "TLSv1.3"
        elif kind == 20 and self.tls13 and self.epoch[sender] == "handshake":
            self.epoch[sender] = "application"
            self.ciphers[sender] = None  # application keys, derived when first needed

    def _secret(self, label: str) -> bytes:
        if self.client_random is None:
            raise InputError("encrypted records before any ClientHello")
        try:
            return self.keylog[(label, self.client_random)]
        except KeyError:
            raise InputError(
                f"the key log has no {label} for client random {self.client_random.hex()[:16]}..."
            ) from None

    def _tls13_cipher(self, sender: Direction, stage: str) -> keyschedule.RecordCipher:
        if self.suite is None:
            raise InputError("encrypted records before the ServerHello")
        if stage == "HANDSHAKE":
            label = f"{sender.upper()}_HANDSHAKE_TRAFFIC_SECRET"
        else:
            label = f"{sender.upper()}_TRAFFIC_SECRET_0"
        key, iv = keyschedule.traffic_keys(self._secret(label), self.suite)
        return keyschedule.RecordCipher(self.suite, key, iv, tls13=True)

    def _tls12_cipher(self, sender: Direction) -> keyschedule.RecordCipher:
        if self.suite is None or self.server_random is None or self.client_random is None:
            raise InputError("ChangeCipherSpec before the hellos")
        client, server = keyschedule.tls12_key_block(
            self._secret("CLIENT_RANDOM"), self.client_random, self.server_random, self.suite
        )
        key, iv = client if sender == "client" else server
        return keyschedule.RecordCipher(self.suite, key, iv, tls13=False)


def decrypt_flow(flow: Flow, keylog: str) -> Handshake:
    """Decrypt a relayed connection into a handshake (``perspective="wire"``).

    Args:
        flow: what a :class:`Tap` recorded.
        keylog: the NSS key log text written by either end.

    Returns:
        The handshake, every message decrypted and parsed.

    Raises:
        InputError: the bytes are not TLS, a secret is missing, or a record
            does not authenticate.
    """
    decoder = _Decoder(keyschedule.parse_keylog(keylog))
    for sender, data in flow.chunks:
        decoder.feed(sender, data)
    return handshake_from_records(decoder.records, perspective="wire")


def application_data(flow: Flow, keylog: str) -> tuple[tuple[Direction, bytes], ...]:
    """Decrypt a relayed connection's application data, record by record.

    Args:
        flow: what a :class:`Tap` recorded.
        keylog: the NSS key log text written by either end.

    Returns:
        ``(sender, plaintext)`` for each application-data record, in order.

    Raises:
        InputError: as :func:`decrypt_flow`.
    """
    decoder = _Decoder(keyschedule.parse_keylog(keylog))
    for sender, data in flow.chunks:
        decoder.feed(sender, data)
    return tuple(decoder.application)
