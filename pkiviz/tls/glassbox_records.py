"""TLS 1.3 record protection (RFC 8446 5.2-5.3) one record at a time, every input kept.

A protected record is ``header || AEAD(key, nonce, inner plaintext, aad=header)``:

* the header is 5 bytes: outer type 23 (application_data), legacy version
  0x0303, and the length of what follows; it is the additional data;
* the nonce is the write IV XOR the 64-bit sequence number, left-padded to 12 bytes;
* the inner plaintext is the content, its real content type (one byte), and
  optional zero padding;
* the last 16 bytes are the GCM tag.

:func:`seal` and :func:`open_record` return a :class:`ProtectedRecord` holding
all of it, so a reader can redo the decryption by hand.
"""

from __future__ import annotations

import dataclasses
import html

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pkiviz.errors import InputError

TAG_LEN = 16
CONTENT_NAMES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}


class RecordAuthError(InputError):
    """A protected record does not authenticate under the key, nonce and header used."""


@dataclasses.dataclass(frozen=True)
class ProtectedRecord:
    """One encrypted record and everything that went into protecting it.

    Attributes:
        sender: ``"client"`` or ``"server"``.
        epoch: ``"handshake"`` or ``"application"`` (which traffic keys).
        seq: the sequence number within that epoch and direction.
        key: the write key.
        iv: the write IV.
        nonce: iv XOR seq (12 bytes).
        header: the 5-byte record header, also the additional data.
        ciphertext: the encrypted inner plaintext (without the tag).
        tag: the 16-byte GCM tag.
        content_type: the inner (real) content type.
        plaintext: the content (without content type and padding).
    """

    sender: str
    epoch: str
    seq: int
    key: bytes = dataclasses.field(repr=False)
    iv: bytes = dataclasses.field(repr=False)
    nonce: bytes = dataclasses.field(repr=False)
    header: bytes = dataclasses.field(repr=False)
    ciphertext: bytes = dataclasses.field(repr=False)
    tag: bytes = dataclasses.field(repr=False)
    content_type: int
    plaintext: bytes = dataclasses.field(repr=False)

    @property
    def additional_data(self) -> bytes:
        """The AEAD additional data: the record header."""
        return self.header

    @property
    def wire(self) -> bytes:
        """The record as sent: header, ciphertext, tag."""
        return self.header + self.ciphertext + self.tag

    @property
    def content_name(self) -> str:
        """``"handshake"``, ``"application_data"``, ``"alert"``..."""
        return CONTENT_NAMES.get(self.content_type, f"unknown({self.content_type})")

    def text(self) -> str:
        """One line: who, epoch, seq, nonce, inner type, sizes."""
        return (
            f"{self.sender} {self.epoch} #{self.seq}: nonce {self.nonce.hex()}, aad "
            f"{self.header.hex()}, {len(self.ciphertext)} bytes + tag {self.tag.hex()[:8]}... "
            f"-> {self.content_name} ({len(self.plaintext)} bytes)"
        )

    def _repr_html_(self) -> str:
        rows = (
            ("write IV", self.iv.hex()),
            ("sequence number", str(self.seq)),
            ("nonce = IV XOR seq", self.nonce.hex()),
            ("additional data (header)", self.header.hex()),
            ("ciphertext", f"{self.ciphertext[:24].hex()}... ({len(self.ciphertext)} bytes)"),
            ("tag", self.tag.hex()),
            ("inner content type", self.content_name),
        )
        body = "".join(
            f"<tr><th>{k}</th><td><code>{html.escape(v)}</code></td></tr>" for k, v in rows
        )
        return f"<p><b>{self.sender} record, {self.epoch} keys</b></p><table>{body}</table>"


def nonce(iv: bytes, seq: int) -> bytes:
    """RFC 8446 5.3: the per-record nonce, ``iv XOR (seq as 64 bits, left-padded to len(iv))``."""
    padded = seq.to_bytes(len(iv), "big")
    return bytes(a ^ b for a, b in zip(iv, padded, strict=True))


def seal(
    sender: str, epoch: str, key: bytes, iv: bytes, seq: int, content_type: int, plaintext: bytes
) -> ProtectedRecord:
    """Encrypt one record.

    Args:
        sender: who sends it.
        epoch: which keys (for display).
        key: the write key.
        iv: the write IV.
        seq: the record's sequence number.
        content_type: the real content type (22 handshake, 23 data, 21 alert).
        plaintext: the content.

    Returns:
        The protected record; its :attr:`~ProtectedRecord.wire` is what to send.
    """
    inner = plaintext + bytes([content_type])
    header = bytes([23, 3, 3]) + (len(inner) + TAG_LEN).to_bytes(2, "big")
    n = nonce(iv, seq)
    sealed = AESGCM(key).encrypt(n, inner, header)
    return ProtectedRecord(sender, epoch, seq, key, iv, n, header, sealed[:-TAG_LEN],
                           sealed[-TAG_LEN:], content_type, plaintext)  # fmt: skip


def open_record(
    sender: str, epoch: str, key: bytes, iv: bytes, seq: int, header: bytes, fragment: bytes
) -> ProtectedRecord:
    """Decrypt one record.

    Args:
        sender: who sent it.
        epoch: which keys (for display).
        key: the peer's write key.
        iv: the peer's write IV.
        seq: the record's sequence number.
        header: the 5-byte header as received.
        fragment: the body (ciphertext and tag).

    Returns:
        The record with its plaintext and real content type.

    Raises:
        RecordAuthError: the tag does not verify (wrong key, nonce, header or bytes).
    """
    n = nonce(iv, seq)
    try:
        inner = AESGCM(key).decrypt(n, fragment, header)
    except InvalidTag:
        raise RecordAuthError(
            f"{sender} record {seq} ({epoch} keys) does not authenticate"
        ) from None
    stripped = inner.rstrip(b"\x00")
    if not stripped:
        raise RecordAuthError(f"{sender} record {seq} has no inner content type")
    return ProtectedRecord(sender, epoch, seq, key, iv, n, header, fragment[:-TAG_LEN],
                           fragment[-TAG_LEN:], stripped[-1], stripped[:-1])  # fmt: skip


__all__ = ["ProtectedRecord", "RecordAuthError", "nonce", "open_record", "seal"]
