"""Just enough DER to read and re-assemble the few structures cryptography will not build for us.

cryptography's OCSP response builder stamps ``producedAt`` with the wall clock
and signs ECDSA with a random nonce, so the same inputs would give different
bytes on every run. :mod:`pkiviz.revocation.ocsp` therefore takes the response
apart here, replaces ``producedAt`` and the signature, and puts it back
together. Only definite-length DER is handled; that is all DER allows.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

#: Universal tags used below.
SEQUENCE = 0x30
BIT_STRING = 0x03
OCTET_STRING = 0x04
GENERALIZED_TIME = 0x18


@dataclasses.dataclass(frozen=True)
class Tlv:
    """One DER element.

    Attributes:
        tag: the identifier octet (single-byte tags only).
        content: the value octets.
    """

    tag: int
    content: bytes

    def encode(self) -> bytes:
        """Return the element's DER encoding."""
        return encode(self.tag, self.content)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode(tag: int, content: bytes) -> bytes:
    """Encode one element.

    Args:
        tag: the identifier octet.
        content: the value octets.

    Returns:
        tag, length and content.
    """
    return bytes([tag]) + _length(len(content)) + content


def read(data: bytes, offset: int = 0) -> tuple[Tlv, int]:
    """Read the element that starts at ``offset``.

    Args:
        data: DER bytes.
        offset: where the element starts.

    Returns:
        The element and the offset just past it.

    Raises:
        ValueError: if the bytes are not a well-formed DER element.
    """
    if offset + 2 > len(data):
        raise ValueError("truncated DER element")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte DER tags are not supported")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise ValueError("truncated DER element")
    return Tlv(tag, data[pos:end]), end


def children(content: bytes) -> list[Tlv]:
    """Split the content of a constructed element into its elements.

    Args:
        content: the value octets of a SEQUENCE or an explicit tag.

    Returns:
        The elements in order.

    Raises:
        ValueError: if the content is not a sequence of DER elements.
    """
    out: list[Tlv] = []
    pos = 0
    while pos < len(content):
        element, pos = read(content, pos)
        out.append(element)
    return out


def parse_one(data: bytes) -> Tlv:
    """Parse bytes that must hold exactly one element.

    Args:
        data: DER bytes.

    Returns:
        The element.

    Raises:
        ValueError: if anything trails the element or it is malformed.
    """
    element, end = read(data)
    if end != len(data):
        raise ValueError("trailing bytes after DER element")
    return element


def generalized_time(when: _dt.datetime) -> bytes:
    """Encode an aware datetime as a DER GeneralizedTime (whole seconds, UTC).

    Args:
        when: the instant.

    Returns:
        The encoded element.
    """
    utc = when.astimezone(_dt.timezone.utc)
    return encode(GENERALIZED_TIME, utc.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


def bit_string(value: bytes) -> bytes:
    """Encode bytes as a DER BIT STRING with no unused bits.

    Args:
        value: the bits, whole octets.

    Returns:
        The encoded element.
    """
    return encode(BIT_STRING, b"\x00" + value)


def spki_key_bits(spki_der: bytes) -> bytes:
    """Return the subjectPublicKey bits of a SubjectPublicKeyInfo (RFC 5280 4.1).

    This is what an OCSP CertID's issuerKeyHash and a responder's byKey ID hash
    (RFC 6960 4.1.1, 4.2.1): the BIT STRING's value without tag, length and
    unused-bits octet.

    Args:
        spki_der: DER of a SubjectPublicKeyInfo.

    Returns:
        The key bits.

    Raises:
        ValueError: if the bytes are not a SubjectPublicKeyInfo.
    """
    parts = children(parse_one(spki_der).content)
    if len(parts) != 2 or parts[1].tag != BIT_STRING:
        raise ValueError("not a SubjectPublicKeyInfo")
    return parts[1].content[1:]
