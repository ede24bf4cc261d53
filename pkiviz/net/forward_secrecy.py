"""Forward secrecy for real: a recorded session decrypted later with nothing but the server's key.

:func:`record` runs one HTTPS request from Python's ssl client to the
OpenSSL 4 server of :mod:`pkiviz.net.glassbox_run` through a loopback
:class:`~pkiviz.net.wire.Tap`, which keeps the bytes each side sent.
:func:`decrypt_with_server_key` then plays the eavesdropper who recorded
those bytes and later stole the server's RSA private key:

* TLS 1.2 with RSA key transport (TLS_RSA_WITH_AES_128_GCM_SHA256): the
  client encrypted the premaster secret to the server's RSA key in its
  ClientKeyExchange. Decrypt it with the key, derive the master secret with
  the TLS 1.2 PRF (RFC 5246 8.1, or RFC 7627's extended master secret over
  the session hash), expand the key block and open every record. The
  whole conversation is read.
* TLS 1.3 (or TLS 1.2 ECDHE): the premaster is an ephemeral (EC)DH secret.
  The RSA key only signed; the private halves of the key shares were never
  written down. There is nothing to decrypt with: :attr:`Decryption.missing`
  says what is missing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import socket
import ssl
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pkiviz.errors import InputError
from pkiviz.net.glassbox_run import OpenSSL4Server, ServerSide
from pkiviz.net.wire import Direction, Flow, Tap
from pkiviz.tls import keyschedule
from pkiviz.tls._wire import Reader
from pkiviz.tls.messages import split_handshake
from pkiviz.tls.names import CIPHER_SUITES, GROUPS
from pkiviz.x509.example import HOSTNAME
from pkiviz.x509.factory import Issued

#: TLS 1.2 RSA key transport with AES-128-GCM (no forward secrecy).
RSA_SUITE = "AES128-GCM-SHA256"


@dataclasses.dataclass(frozen=True)
class Recording:
    """A session recorded on the wire, and the server's own account of it.

    Attributes:
        version: ``"1.2"`` or ``"1.3"``.
        flow: the bytes each side sent, as the tap saw them.
        server: what the server saw (its key log is the ground truth, never
            given to the decryption).
        response: what the client received in plaintext.
    """

    version: str
    flow: Flow = dataclasses.field(repr=False)
    server: ServerSide
    response: bytes = dataclasses.field(repr=False)


def record(
    server: Issued,
    *,
    version: Literal["1.2", "1.3"],
    ciphers: str | None = None,
    server_name: str = HOSTNAME,
    timeout: float = 5.0,
) -> Recording:
    """Record one HTTPS request to an OpenSSL 4 server on 127.0.0.1 through a tap.

    Args:
        server: the server's certificate and key (RSA for key transport).
        version: ``"1.2"`` or ``"1.3"``.
        ciphers: the TLS 1.2 cipher list; default RSA key transport
            (:data:`RSA_SUITE`) for 1.2.
        server_name: the SNI and Host name.
        timeout: seconds per socket operation.

    Returns:
        The recording.
    """
    if ciphers is None and version == "1.2":
        ciphers = RSA_SUITE
    chain = (server.certificate, *(i.certificate for i in server.intermediates))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # the eavesdropper's lesson
    pinned = ssl.TLSVersion.TLSv1_2 if version == "1.2" else ssl.TLSVersion.TLSv1_3
    ctx.minimum_version = ctx.maximum_version = pinned
    if ciphers is not None and version == "1.2":
        ctx.set_ciphers(ciphers)
    with (
        OpenSSL4Server(chain, server.private_key, version=version, ciphers=ciphers,
                       timeout=timeout) as srv,
        Tap(srv.address, timeout=timeout) as tap,
    ):  # fmt: skip
        response = b""
        with (
            socket.create_connection(tap.address, timeout=timeout) as raw,
            ctx.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            tls.sendall(b"GET / HTTP/1.1\r\nHost: " + server_name.encode() + b"\r\n\r\n")
            while chunk := _read(tls):
                response += chunk
        (flow,) = tap.wait(1)
        (side,) = srv.wait(1)
    return Recording(version, flow, side, response)


def _read(tls: ssl.SSLSocket) -> bytes:
    try:
        return tls.recv(1 << 16)
    except (ssl.SSLError, OSError):
        return b""


@dataclasses.dataclass(frozen=True)
class Decryption:
    """What the server's private key alone recovers from a recording.

    Attributes:
        client_random: the ClientHello random (names the session in a key log).
        version: the negotiated version (``"TLSv1.2"``, ``"TLSv1.3"``).
        suite: the cipher suite.
        key_exchange: ``"RSA key transport"`` or the ephemeral group.
        encrypted_premaster: the ClientKeyExchange body (RSA key transport).
        premaster: the premaster secret, decrypted with the key.
        master_secret: the master secret derived from it.
        extended_master_secret: whether RFC 7627's session hash was used.
        plaintext: ``(sender, bytes)`` of each application-data record opened.
        missing: why nothing could be decrypted (``None`` when it could).
    """

    client_random: bytes = dataclasses.field(repr=False)
    version: str
    suite: str
    key_exchange: str
    encrypted_premaster: bytes | None = dataclasses.field(repr=False)
    premaster: bytes | None = dataclasses.field(repr=False)
    master_secret: bytes | None = dataclasses.field(repr=False)
    extended_master_secret: bool
    plaintext: tuple[tuple[Direction, bytes], ...] = dataclasses.field(repr=False)
    missing: str | None

    @property
    def decrypted(self) -> bool:
        """Whether any application data was read."""
        return bool(self.plaintext)

    def keylog(self) -> str:
        """The ``CLIENT_RANDOM`` key log line the eavesdropper can now write (TLS 1.2)."""
        if self.master_secret is None:
            return ""
        return f"CLIENT_RANDOM {self.client_random.hex()} {self.master_secret.hex()}\n"

    def text(self) -> str:
        """A few lines: what was used, what was read or what is missing."""
        head = f"{self.version} {self.suite} ({self.key_exchange})"
        if self.missing is not None:
            return f"{head}\nnot decrypted: {self.missing}"
        lines = [head, f"premaster {self.premaster.hex() if self.premaster else ''}"]
        lines += [f"{who}: {data[:60]!r}" for who, data in self.plaintext]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.text()) + "</pre>"


def _records(stream: bytes) -> list[tuple[bytes, bytes]]:
    out = []
    while len(stream) >= 5:
        length = int.from_bytes(stream[3:5], "big")
        out.append((stream[:5], stream[5 : 5 + length]))
        stream = stream[5 + length :]
    return out


def _plain_handshake(records: list[tuple[bytes, bytes]]) -> list[bytes]:
    """The handshake messages of the plaintext records before ChangeCipherSpec."""
    data = b""
    for header, fragment in records:
        if header[0] != 22:
            break
        data += fragment
    whole, _ = split_handshake(data)
    return whole


def _server_hello(raw: bytes) -> tuple[bytes, int, dict[int, bytes]]:
    r = Reader(raw[4:], "ServerHello")
    r.uint(2, "legacy_version")
    random = r.take(32, "random")
    r.vector(1, "session_id")
    suite = r.uint(2, "cipher_suite")
    r.uint(1, "compression")
    exts: dict[int, bytes] = {}
    if r.remaining:
        block = r.sub(2, "extensions")
        while block.remaining:
            code = block.uint(2, "extension type")
            exts[code] = block.vector(2, "extension data")
    return random, suite, exts


def _nothing(random: bytes, version: str, suite: str, kx: str, missing: str) -> Decryption:
    return Decryption(random, version, suite, kx, None, None, None, False, (), missing)


def _check_server_key(s_msgs: list[bytes], key: rsa.RSAPrivateKey) -> None:
    """Refuse a key whose public half is not the leaf's in the recorded Certificate.

    RSA PKCS#1 v1.5 decryption uses implicit rejection: a wrong key returns a
    random premaster instead of raising, so the mistake would surface only as
    records that do not authenticate. The Certificate travels in the clear in
    TLS 1.2, so the key is compared with it first.

    Raises:
        InputError: no Certificate message, or the key is not the server's.
    """
    cert_msg = next((m for m in s_msgs if m[0] == 11), None)
    if cert_msg is None:
        raise InputError("the recording has no server Certificate to check the key against")
    r = Reader(cert_msg[4:], "Certificate")
    leaf_der = r.sub(3, "certificate_list").vector(3, "leaf certificate")
    try:
        leaf = x509.load_der_x509_certificate(leaf_der)
        theirs = leaf.public_key().public_bytes(*_SPKI)
    except ValueError as exc:
        raise InputError(f"the recorded server certificate does not parse: {exc}") from None
    if key.public_key().public_bytes(*_SPKI) != theirs:
        raise InputError(
            "this is not the server's key: its public key differs from the one in the "
            f"recorded Certificate ({leaf.subject.rfc4514_string()})"
        )


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def decrypt_with_server_key(flow: Flow, key: rsa.RSAPrivateKey) -> Decryption:
    """Decrypt a recorded session with nothing but the server's RSA private key.

    Args:
        flow: what the tap recorded.
        key: the server's private key.

    Returns:
        What the key recovers; for an ephemeral key exchange, nothing, and why.

    Raises:
        InputError: the recording is not a TLS session pkiviz can read, or
            (RSA key transport) ``key`` is not the key of the recorded server
            certificate.
    """
    client = _records(flow.stream("client"))
    server = _records(flow.stream("server"))
    c_msgs, s_msgs = _plain_handshake(client), _plain_handshake(server)
    if not c_msgs or c_msgs[0][0] != 1 or not s_msgs or s_msgs[0][0] != 2:
        raise InputError("the recording does not start with a ClientHello and a ServerHello")
    client_random = c_msgs[0][6:38]
    server_random, code, exts = _server_hello(s_msgs[0])
    suite = CIPHER_SUITES.get(code, f"0x{code:04x}")
    if 43 in exts:  # supported_versions: TLS 1.3
        group = GROUPS.get(int.from_bytes(exts[51][:2], "big"), "?") if 51 in exts else "?"
        missing = (
            f"the {group} shared secret: both key shares were ephemeral and their private halves "
            "were never stored; the server's RSA key only signed the CertificateVerify, and even "
            "the Certificate travelled encrypted"
        )
        return _nothing(client_random, "TLSv1.3", suite, f"{group} (ephemeral)", missing)
    if "_RSA_WITH_" not in suite or suite.startswith(("TLS_ECDHE", "TLS_DHE")):
        missing = "the ephemeral (EC)DHE secret: the RSA key only signed the ServerKeyExchange"
        return _nothing(client_random, "TLSv1.2", suite, "ECDHE (ephemeral)", missing)
    cke = next((m for m in c_msgs if m[0] == 16), None)
    if cke is None:
        raise InputError("the recording has no ClientKeyExchange")
    _check_server_key(s_msgs, key)
    encrypted = Reader(cke[4:], "ClientKeyExchange").vector(2, "EncryptedPreMasterSecret")
    try:
        premaster = key.decrypt(encrypted, padding.PKCS1v15())
    except ValueError:
        raise InputError("the ClientKeyExchange does not decrypt with this RSA key") from None
    hash_name = "sha384" if suite.endswith("SHA384") else "sha256"
    ems = 23 in exts
    if ems:  # RFC 7627: over the session hash, ClientHello..ClientKeyExchange
        first_flight = [m for m in s_msgs if m[0] in (2, 11, 12, 13, 14)]  # not NewSessionTicket
        transcript = [c_msgs[0], *first_flight, *c_msgs[1 : c_msgs.index(cke) + 1]]
        seed = hashlib.new(hash_name, b"".join(transcript)).digest()
        master = keyschedule.tls12_prf(premaster, b"extended master secret", seed, 48, hash_name)
    else:
        seed = client_random + server_random
        master = keyschedule.tls12_prf(premaster, b"master secret", seed, 48, hash_name)
    (ck, civ), (sk, siv) = keyschedule.tls12_key_block(master, client_random, server_random, suite)
    plaintext: list[tuple[Direction, bytes]] = []
    for sender, records, k, iv in (("client", client, ck, civ), ("server", server, sk, siv)):
        cipher = keyschedule.RecordCipher(suite, k, iv, tls13=False)
        started = False
        for header, fragment in records:
            if header[0] == 20:
                started = True
                continue
            if started:
                content_type, data = cipher.open(header, fragment)
                if content_type == 23:
                    plaintext.append((sender, data))  # type: ignore[arg-type]
    return Decryption(
        client_random, "TLSv1.2", suite, "RSA key transport", encrypted, premaster, master,
        extended_master_secret=ems, plaintext=tuple(plaintext), missing=None,
    )  # fmt: skip


__all__ = ["RSA_SUITE", "Decryption", "Recording", "decrypt_with_server_key", "record"]
