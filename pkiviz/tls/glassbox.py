"""A glass-box TLS 1.3 client: every step of a real handshake, kept as data (sans-IO).

:class:`Client` speaks TLS 1.3 to a real server, but opens no socket: it
hands out the bytes to send (:meth:`Client.start`, :meth:`Client.receive`)
and keeps everything it computed. When the server closes,
:meth:`Client.result` returns a :class:`GlassBox`: the ClientHello it built,
its key share and the shared secret, every secret of the key schedule
(:mod:`~pkiviz.tls.glassbox_schedule`) with its inputs and label, each
protected record's nonce, additional data and tag
(:mod:`~pkiviz.tls.glassbox_records`), the decrypted EncryptedExtensions,
Certificate, CertificateVerify and Finished, the Finished MACs it checked and
sent, the chain's validation report, and one HTTP request and response.
:mod:`pkiviz.net.glassbox_run` drives it over a socket.

It is a teaching client, not a general one. It offers one cipher suite
(TLS_AES_128_GCM_SHA256), one key share (``x25519`` or ``X25519MLKEM768``) and
four signature schemes (ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, mldsa44,
mldsa65), and refuses with :class:`Unsupported` whatever else a server asks:
a HelloRetryRequest, another version, suite or group, a CertificateRequest.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import html
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import mldsa

from pkiviz import clock, vocabulary
from pkiviz.errors import PkivizError
from pkiviz.tls import glassbox_schedule as ks
from pkiviz.tls.glassbox_hello import SCHEMES, SUITE, SUITE_CODE, client_hello, server_hello_fields
from pkiviz.tls.glassbox_kex import (
    ClientShare,
    SharedSecret,
    client_share,
    seed_bytes,
    shared_secret,
)
from pkiviz.tls.glassbox_records import ProtectedRecord, open_record, seal
from pkiviz.tls.messages import (
    HRR_RANDOM,
    Alert,
    Certificate,
    CertificateVerify,
    Message,
    parse_message,
    split_handshake,
)
from pkiviz.tls.signatures import CONTEXTS, tls13_signed_content, verify_signature
from pkiviz.validation import Report, validate

#: TLS SignatureScheme names (draft-ietf-tls-mldsa), not X.509 OIDs: their own registry.
_MLDSA = {"mldsa44": mldsa.MLDSA44PublicKey, "mldsa65": mldsa.MLDSA65PublicKey}

#: What the client may break on purpose, to watch the server refuse it.
Tamper = Literal["finished", "ciphertext"]


class GlassBoxError(PkivizError):
    """The glass-box client stopped: the server or its certificates failed it."""


class Unsupported(GlassBoxError):
    """The server chose something the teaching client does not implement.

    Attributes:
        feature: what, e.g. ``"HelloRetryRequest"`` or ``"client authentication"``.
    """

    def __init__(self, feature: str, detail: str) -> None:
        super().__init__(f"{feature}: {detail} (the glass-box client does not implement it)")
        self.feature = feature


class ServerAlert(GlassBoxError):
    """The server sent an alert before finishing its side of the handshake.

    Attributes:
        alert: the alert.
    """

    def __init__(self, alert: Alert) -> None:
        super().__init__(f"the server sent alert {alert.description} ({alert.code})")
        self.alert = alert


class Incomplete(GlassBoxError):
    """The server fell silent, closed before its Finished, or did not finish in time."""


class VerificationFailed(GlassBoxError):
    """The server's chain, CertificateVerify or Finished does not verify.

    Attributes:
        report: the chain's validation report, when the chain failed.
    """

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


@dataclasses.dataclass(frozen=True)
class CertificateVerifyCheck:
    """The server's CertificateVerify, checked by the client (RFC 8446 4.4.3).

    Attributes:
        scheme: the signature scheme.
        transcript_hash: Transcript-Hash(ClientHello..Certificate).
        signed_content: 64 spaces, the context string, 0x00, the transcript hash.
        signature: the signature.
        verified: whether it verifies with the leaf certificate's key.
        reason: one line saying why.
    """

    scheme: str
    transcript_hash: bytes = dataclasses.field(repr=False)
    signed_content: bytes = dataclasses.field(repr=False)
    signature: bytes = dataclasses.field(repr=False)
    verified: bool
    reason: str

    def _repr_html_(self) -> str:
        mark = "✓" if self.verified else "✗"
        return (
            f"<p>{mark} <b>CertificateVerify</b> {html.escape(self.scheme)}, "
            f"{len(self.signature)}-byte signature over <code>20 x 64 || 'TLS 1.3, server "
            f"CertificateVerify' || 00 || {self.transcript_hash.hex()[:16]}...</code>: "
            f"{html.escape(self.reason)}</p>"
        )


def check_certificate_verify(
    leaf: x509.Certificate, scheme: str, signature: bytes, transcript_hash: bytes
) -> CertificateVerifyCheck:
    """Verify a server CertificateVerify by hand (ECDSA/RSA-PSS via cryptography, ML-DSA too).

    Args:
        leaf: the server's certificate.
        scheme: the scheme name it used.
        signature: the signature.
        transcript_hash: Transcript-Hash(ClientHello..Certificate).

    Returns:
        The check.
    """
    content = tls13_signed_content(CONTEXTS["server"], transcript_hash)
    key = leaf.public_key()
    if scheme in _MLDSA:
        ok, reason = _verify_mldsa(key, scheme, signature, content)
    else:
        ok, reason = verify_signature(key, scheme, signature, content, tls13=True)
    return CertificateVerifyCheck(scheme, transcript_hash, content, signature, ok, reason)


def _verify_mldsa(key: object, scheme: str, signature: bytes, content: bytes) -> tuple[bool, str]:
    """Pure ML-DSA (FIPS 204) with an empty context string, as draft-ietf-tls-mldsa signs."""
    if not isinstance(key, mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey) or not isinstance(
        key, _MLDSA[scheme]
    ):
        return False, f"{scheme} signature but the certificate key is {type(key).__name__}"
    if not vocabulary.verify_signature(key, signature, content):
        return False, f"the {scheme} signature does not verify over these bytes"
    return True, f"valid {scheme} signature by the certificate's {scheme} key"


def _transcript_hash(messages: list[bytes]) -> bytes:
    return hashlib.sha256(b"".join(messages)).digest()


@dataclasses.dataclass(frozen=True)
class GlassBox:
    """One glass-box TLS 1.3 connection, every step as data.

    Attributes:
        server_name: the SNI name (and the name the chain is validated for).
        client_random: the ClientHello random (derived from the seed).
        server_random: the ServerHello random.
        share: the client's key share, private keys included.
        shared: the shared secret and its parts.
        schedule: every derivation of the key schedule, in order.
        messages: every handshake message and alert, parsed, in order
            (NewSessionTicket included).
        records: every protected record either side sent, in order.
        certificate_verify: the server's CertificateVerify, checked.
        finished: the server's Finished MAC (checked), then the client's (sent).
        chain_report: the validation report of the server's chain (``None``
            when no trust anchor was given).
        request: the HTTP request sent over application data.
        response: the server's answer (``None`` if it answered nothing).
        alert: the alert the server ended with (``close_notify`` normally).
        tamper: what the client broke on purpose, if anything.
    """

    server_name: str
    client_random: bytes = dataclasses.field(repr=False)
    server_random: bytes = dataclasses.field(repr=False)
    share: ClientShare = dataclasses.field(repr=False)
    shared: SharedSecret = dataclasses.field(repr=False)
    schedule: ks.KeySchedule = dataclasses.field(repr=False)
    messages: tuple[Message, ...] = dataclasses.field(repr=False)
    records: tuple[ProtectedRecord, ...] = dataclasses.field(repr=False)
    certificate_verify: CertificateVerifyCheck = dataclasses.field(repr=False)
    finished: tuple[ks.FinishedMac, ks.FinishedMac] = dataclasses.field(repr=False)
    chain_report: Report | None = dataclasses.field(repr=False)
    request: bytes = dataclasses.field(repr=False)
    response: bytes | None = dataclasses.field(repr=False)
    alert: Alert | None
    tamper: str | None

    @property
    def group(self) -> str:
        """The key exchange group."""
        return self.share.group

    @property
    def suite(self) -> str:
        """The cipher suite (always TLS_AES_128_GCM_SHA256)."""
        return SUITE

    def message(self, type: str) -> Message:
        """The first message of that type (e.g. ``"EncryptedExtensions"``).

        Raises:
            KeyError: none was exchanged.
        """
        for m in self.messages:
            if m.type == type:
                return m
        raise KeyError(type)

    @property
    def server_certificates(self) -> tuple[x509.Certificate, ...]:
        """The chain the server sent, leaf first."""
        body = self.message("Certificate").body
        return tuple(getattr(body, "certificates", ()))

    def keylog(self) -> str:
        """The NSS key log lines the client can write for this connection."""
        return self.schedule.keylog(self.client_random)

    def text(self) -> str:
        """A few lines: group, secrets, verdicts, the response's first line."""
        answer = (self.response or b"").split(b"\r\n", 1)[0].decode("latin-1") or "no response"
        lines = [
            f"{self.server_name}: TLS 1.3, {self.suite}, {self.group}",
            f"shared secret {self.shared.value.hex()[:32]}... ({len(self.shared.value)} bytes)",
            f"{len(self.schedule)} key-schedule steps; {len(self.records)} protected records",
            f"CertificateVerify: {self.certificate_verify.reason}",
            f"server Finished matches: {self.finished[0].matches}",
            f"response: {answer}; final alert: {self.alert.description if self.alert else None}",
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.text()) + "</pre>"


class Client:
    """The glass-box client's state machine (no I/O: bytes in, bytes out).

    Use it through :func:`pkiviz.net.glassbox_run.connect`, or by hand::

        client = Client("login.example.com")
        sock.sendall(client.start())
        while not client.closed:
            sock.sendall(client.receive(sock.recv(65536)))
        box = client.result()

    Args:
        server_name: the SNI name.
        group: ``"x25519"`` or ``"X25519MLKEM768"``.
        seed: the label the client random and key share are derived from.
        trust: trust anchors for the server's chain; empty skips validation.
        at: the time the chain is validated at (default: the book clock).
        profile: the validator's profile: ``"browser"`` (the default: what
            browser-grade clients enforce), ``"webpki"`` (that plus the CA/B Forum's
            issuance rules) or ``"rfc5280"`` (the only one that accepts ML-DSA
            certificates today).
        request: the bytes sent as application data once the handshake is done.
        tamper: ``"finished"`` computes the client Finished over a wrong
            transcript hash; ``"ciphertext"`` flips a byte of its encrypted
            record. Either way the server should answer with an alert.
        send_key_share: ``False`` sends no key share (to provoke a HelloRetryRequest).
    """

    def __init__(
        self,
        server_name: str,
        *,
        group: str = "x25519",
        seed: str = "glass-box client",
        trust: tuple[x509.Certificate, ...] = (),
        at: _dt.datetime = clock.BOOK_CLOCK,
        profile: Literal["browser", "webpki", "rfc5280"] = "browser",
        request: bytes | None = None,
        tamper: Tamper | None = None,
        send_key_share: bool = True,
    ) -> None:
        if tamper not in (None, "finished", "ciphertext"):
            raise ValueError(f"tamper must be 'finished', 'ciphertext' or None, not {tamper!r}")
        self.server_name = server_name
        self.share = client_share(group, seed=seed)
        self.client_random = seed_bytes(seed, "glassbox-client-random", 32)
        self.trust, self.at, self.profile, self.tamper = trust, at, profile, tamper
        self.send_key_share = send_key_share
        self.request = request or (
            f"GET / HTTP/1.1\r\nHost: {server_name}\r\nConnection: close\r\n\r\n".encode()
        )
        self.closed = False
        self._buffer = b""
        self._hs_buffer = b""
        self._transcript: list[bytes] = []
        self._messages: list[Message] = []
        self._records: list[ProtectedRecord] = []
        self._state = "start"
        self._seq = {"server": 0, "client": 0}
        self._epoch = {"server": "plaintext", "client": "plaintext"}
        self._response = b""
        self._alert: Alert | None = None
        self._server_random = b""
        self._shared: SharedSecret | None = None
        self._schedule: ks.KeySchedule | None = None
        self._cv: CertificateVerifyCheck | None = None
        self._finished: list[ks.FinishedMac] = []
        self._report: Report | None = None

    # --- the two calls a driver makes -------------------------------------------

    def start(self) -> bytes:
        """The first flight: the ClientHello in a plaintext record."""
        if self._state != "start":
            raise RuntimeError("start() is called once")
        hello = client_hello(self.share, self.client_random, self.server_name,
                             send_key_share=self.send_key_share)  # fmt: skip
        self._handshake_message("client", hello, encrypted=False)
        self._state = "wait_server_hello"
        return b"\x16\x03\x01" + len(hello).to_bytes(2, "big") + hello

    def receive(self, data: bytes) -> bytes:
        """Take bytes from the server; return the bytes to send back (maybe none).

        An empty ``data`` means the server closed the connection.

        Raises:
            Unsupported: the server chose something the client does not implement.
            ServerAlert: the server refused before finishing its handshake.
            VerificationFailed: the chain, CertificateVerify or Finished failed.
        """
        if not data:
            self.closed = True
            return b""
        self._buffer += data
        out = b""
        while len(self._buffer) >= 5 and not self.closed:
            length = int.from_bytes(self._buffer[3:5], "big")
            if len(self._buffer) < 5 + length:
                break
            header, fragment = self._buffer[:5], self._buffer[5 : 5 + length]
            self._buffer = self._buffer[5 + length :]
            out += self._record(header, fragment)
        return out

    @property
    def handshake_done(self) -> bool:
        """Whether the handshake got past the server's Finished (:meth:`result` answers)."""
        return self._schedule is not None and self._cv is not None and len(self._finished) >= 2

    @property
    def state(self) -> str:
        """Where the state machine is, e.g. ``"wait_server_hello"`` or ``"connected"``."""
        return self._state

    def result(self) -> GlassBox:
        """Everything the connection computed.

        Raises:
            Incomplete: the handshake did not get past the server's Finished
                (the server closed first).
        """
        if not self.handshake_done:
            raise Incomplete(f"the server closed before its Finished (state {self._state})")
        assert self._schedule is not None and self._cv is not None
        assert self._shared is not None
        return GlassBox(
            self.server_name, self.client_random, self._server_random, self.share, self._shared,
            self._schedule, tuple(self._messages), tuple(self._records), self._cv,
            (self._finished[0], self._finished[1]), self._report, self.request,
            self._response or None, self._alert, self.tamper,
        )  # fmt: skip

    # --- records ------------------------------------------------------------------

    def _keys(self, sender: str) -> tuple[bytes, bytes]:
        assert self._schedule is not None
        prefix = f"{sender}_{self._epoch[sender]}"
        return self._schedule[f"{prefix}_write_key"], self._schedule[f"{prefix}_write_iv"]

    def _record(self, header: bytes, fragment: bytes) -> bytes:
        outer = header[0]
        if outer == 20:  # middlebox-compatibility ChangeCipherSpec: not protected, ignored
            return b""
        if outer == 23 and self._epoch["server"] != "plaintext":
            key, iv = self._keys("server")
            rec = open_record("server", self._epoch["server"], key, iv, self._seq["server"],
                              header, fragment)  # fmt: skip
            self._seq["server"] += 1
            self._records.append(rec)
            return self._content(rec.content_type, rec.plaintext, encrypted=True)
        if outer in (21, 22) and self._epoch["server"] == "plaintext":
            return self._content(outer, fragment, encrypted=False)
        raise GlassBoxError(f"unexpected record type {outer} in state {self._state}")

    def _content(self, content_type: int, data: bytes, *, encrypted: bool) -> bytes:
        if content_type == 21:
            msg = parse_message("server", 21, data[:2], encrypted=encrypted)
            self._messages.append(msg)
            assert isinstance(msg.body, Alert)
            self._alert = msg.body
            self.closed = True
            if len(self._finished) < 1:
                raise ServerAlert(msg.body)
            return b""
        if content_type == 23:
            if self._state != "connected":
                raise GlassBoxError("application data before the handshake finished")
            self._response += data
            return b""
        whole, self._hs_buffer = split_handshake(self._hs_buffer + data)
        return b"".join(self._server_message(raw, encrypted) for raw in whole)

    def _handshake_message(self, sender: str, raw: bytes, *, encrypted: bool) -> Message:
        msg = parse_message("client" if sender == "client" else "server", 22, raw,
                            encrypted=encrypted)  # fmt: skip
        self._messages.append(msg)
        if msg.type != "NewSessionTicket":
            self._transcript.append(raw)
        return msg

    def _send(self, content_type: int, plaintext: bytes) -> bytes:
        key, iv = self._keys("client")
        rec = seal("client", self._epoch["client"], key, iv, self._seq["client"], content_type,
                   plaintext)  # fmt: skip
        self._seq["client"] += 1
        if self.tamper == "ciphertext" and content_type == 22:
            flipped = bytes([rec.ciphertext[0] ^ 0x01]) + rec.ciphertext[1:]
            rec = dataclasses.replace(rec, ciphertext=flipped)
        self._records.append(rec)
        return rec.wire

    # --- handshake messages -------------------------------------------------------

    def _server_message(self, raw: bytes, encrypted: bool) -> bytes:
        kind = raw[0]
        expected = {
            "wait_server_hello": 2, "wait_encrypted_extensions": 8, "wait_certificate": 11,
            "wait_certificate_verify": 15, "wait_finished": 20,
        }  # fmt: skip
        if self._state == "connected" and kind == 4:  # NewSessionTicket: kept, not used
            self._handshake_message("server", raw, encrypted=encrypted)
            return b""
        if kind == 13:
            raise Unsupported("client authentication", "the server sent a CertificateRequest")
        if expected.get(self._state) != kind:
            raise GlassBoxError(f"unexpected handshake message type {kind} in {self._state}")
        msg = self._handshake_message("server", raw, encrypted=encrypted)
        if kind == 2:
            self._server_hello(raw)
        elif kind == 8:
            self._state = "wait_certificate"
        elif kind == 11:
            self._certificate(msg)
        elif kind == 15:
            self._certificate_verify(msg)
        else:
            return self._server_finished(raw)
        return b""

    def _server_hello(self, raw: bytes) -> None:
        random, suite, version, group, server_share = server_hello_fields(raw)
        if random == HRR_RANDOM:
            raise Unsupported("HelloRetryRequest", "the server asked for another key share")
        if version != 0x0304:
            raise Unsupported("TLS version", f"the server chose {version!r}, not TLS 1.3")
        if suite != SUITE_CODE:
            raise Unsupported("cipher suite", f"the server chose 0x{suite:04x}")
        if group != self.share.code:
            raise Unsupported("group", f"the server chose group {group!r}")
        self._server_random = random
        self._shared = shared_secret(self.share, server_share)
        hello_hash = _transcript_hash(self._transcript)
        self._schedule = ks.handshake_schedule(self._shared.value, hello_hash)
        self._epoch = {"server": "handshake", "client": "handshake"}
        self._state = "wait_encrypted_extensions"

    def _certificate(self, msg: Message) -> None:
        assert isinstance(msg.body, Certificate)
        chain = msg.body.certificates
        if not chain:
            raise VerificationFailed("the server sent an empty Certificate")
        if self.trust:
            report = validate(chain[0], intermediates=chain[1:], trust_anchors=self.trust,
                              peer_name=self.server_name, at=self.at,
                              profile=self.profile)  # fmt: skip
            self._report = report
            if not report.valid:
                first = report.first_failure
                why = f"{first.check}: {first.message}" if first else "no valid path"
                raise VerificationFailed(f"the server's chain does not validate ({why})", report)
        self._state = "wait_certificate_verify"

    def _certificate_verify(self, msg: Message) -> None:
        assert isinstance(msg.body, CertificateVerify)
        scheme = msg.body.scheme
        if scheme not in SCHEMES.values():
            raise Unsupported("signature scheme", f"the server signed with {scheme}")
        leaf = self._chain_leaf()
        covered = _transcript_hash(self._transcript[:-1])
        self._cv = check_certificate_verify(leaf, scheme, msg.body.signature, covered)
        if not self._cv.verified:
            raise VerificationFailed(f"CertificateVerify: {self._cv.reason}")
        self._state = "wait_finished"

    def _chain_leaf(self) -> x509.Certificate:
        for m in self._messages:
            if isinstance(m.body, Certificate) and m.sender == "server":
                return m.body.certificates[0]
        raise GlassBoxError("CertificateVerify before Certificate")

    def _server_finished(self, raw: bytes) -> bytes:
        assert self._schedule is not None
        covered = _transcript_hash(self._transcript[:-1])
        mac = ks.finished_mac("server", self._schedule["server_handshake_finished_key"],
                              covered, raw[4:])  # fmt: skip
        self._finished.append(mac)
        if not mac.matches:
            raise VerificationFailed("the server's Finished does not match the transcript")
        done_hash = _transcript_hash(self._transcript)
        self._schedule = ks.application_schedule(self._schedule, done_hash)
        self._epoch["server"] = "application"
        self._seq["server"] = 0
        # the client's Finished covers the transcript up to the server's Finished
        mac_input = done_hash
        if self.tamper == "finished":
            mac_input = bytes([done_hash[0] ^ 0x01]) + done_hash[1:]
        mine = ks.finished_mac("client", self._schedule["client_handshake_finished_key"], mac_input)
        self._finished.append(mine)
        finished = b"\x14" + len(mine.verify_data).to_bytes(3, "big") + mine.verify_data
        self._handshake_message("client", finished, encrypted=True)
        out = self._send(22, finished)
        self._epoch["client"] = "application"
        self._seq["client"] = 0
        self._state = "connected"
        if self.tamper is None:
            out += self._send(23, self.request)
        return out


__all__ = [
    "SCHEMES",
    "SUITE",
    "CertificateVerifyCheck",
    "Client",
    "GlassBox",
    "GlassBoxError",
    "Incomplete",
    "ServerAlert",
    "Tamper",
    "Unsupported",
    "VerificationFailed",
    "check_certificate_verify",
    "client_hello",
]
