"""A tiny DER encoder and reader: just what :mod:`pkiviz.signature` needs.

Encoding (X.690 section 8 and 10): definite lengths, the short form below 128
and the long form above it, and the handful of types the signature chapter
builds by hand - a Certificate ``SEQUENCE { tbs, signatureAlgorithm, BIT
STRING }`` (RFC 5280 4.1.1) and a DigestInfo (RFC 8017 9.2).

Reading: :func:`read_tlv` walks one tag-length-value at an offset and
:func:`children` lists the elements inside a constructed one, with their
offsets, so a caller can name byte ranges. Only low tag numbers (< 31) are
handled; X.509 needs no others.
"""

from __future__ import annotations

import dataclasses

SEQUENCE = 0x30
OCTET_STRING = 0x04
BIT_STRING = 0x03
NULL = 0x05
OID = 0x06
INTEGER = 0x02


def encode_length(length: int) -> bytes:
    """Encode a DER length (X.690 8.1.3).

    Args:
        length: the number of content octets.

    Returns:
        One octet below 128, else ``0x80 | n`` followed by ``n`` big-endian octets.

    Raises:
        ValueError: for a negative length.
    """
    if length < 0:
        raise ValueError("a length cannot be negative")
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    """Encode one element: tag octet, length, content.

    Args:
        tag: the identifier octet, e.g. ``0x30`` for SEQUENCE.
        content: the content octets (already encoded for constructed types).

    Returns:
        The DER encoding.
    """
    return bytes([tag]) + encode_length(len(content)) + content


def sequence(*elements: bytes) -> bytes:
    """Encode ``SEQUENCE { elements... }`` from already-encoded elements."""
    return tlv(SEQUENCE, b"".join(elements))


def bit_string(data: bytes) -> bytes:
    """Encode a BIT STRING whose length is a whole number of octets (no unused bits)."""
    return tlv(BIT_STRING, b"\x00" + data)


def octet_string(data: bytes) -> bytes:
    """Encode an OCTET STRING."""
    return tlv(OCTET_STRING, data)


def null() -> bytes:
    """Encode NULL."""
    return tlv(NULL, b"")


def object_identifier(dotted: str) -> bytes:
    """Encode an OBJECT IDENTIFIER from its dotted form (X.690 8.19).

    Args:
        dotted: e.g. ``"2.16.840.1.101.3.4.2.1"``.

    Returns:
        The DER encoding.

    Raises:
        ValueError: if ``dotted`` is not a valid OID.
    """
    try:
        arcs = [int(part) for part in dotted.split(".")]
    except ValueError:
        raise ValueError(f"not a dotted OID: {dotted!r}") from None
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40) or min(arcs) < 0:
        raise ValueError(f"not a valid OID: {dotted!r}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def decode_oid(content: bytes) -> str:
    """Decode the content octets of an OBJECT IDENTIFIER to its dotted form.

    Args:
        content: the content octets (no tag or length).

    Returns:
        The dotted string.

    Raises:
        ValueError: if the encoding is truncated or empty.
    """
    if not content or content[-1] & 0x80:
        raise ValueError("truncated OBJECT IDENTIFIER")
    arcs: list[int] = []
    value = 0
    for octet in content:
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


@dataclasses.dataclass(frozen=True)
class Element:
    """One DER element found in a byte string.

    Attributes:
        tag: the identifier octet.
        start: offset of the tag octet.
        content_start: offset of the first content octet.
        end: offset just past the last content octet.
    """

    tag: int
    start: int
    content_start: int
    end: int

    def content(self, data: bytes) -> bytes:
        """The content octets of this element within ``data``."""
        return data[self.content_start : self.end]

    @property
    def constructed(self) -> bool:
        """Whether the element holds further elements (bit 6 of the tag)."""
        return bool(self.tag & 0x20)


def read_tlv(data: bytes, offset: int = 0) -> Element:
    """Read the element that starts at ``offset``.

    Args:
        data: the DER bytes.
        offset: where the tag octet is.

    Returns:
        The element's tag and offsets.

    Raises:
        ValueError: on a high tag number, an indefinite or overlong length,
            or an element that runs past the end of ``data``.
    """
    if offset + 2 > len(data):
        raise ValueError(f"truncated DER at offset {offset}")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise ValueError(f"high tag numbers are not supported (offset {offset})")
    first = data[offset + 1]
    pos = offset + 2
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise ValueError(f"indefinite length is not DER (offset {offset})")
    else:
        count = first & 0x7F
        if pos + count > len(data):
            raise ValueError(f"truncated length at offset {offset}")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise ValueError(f"element at offset {offset} runs past the end of the data")
    return Element(tag=tag, start=offset, content_start=pos, end=pos + length)


def children(data: bytes, parent: Element) -> tuple[Element, ...]:
    """List the elements directly inside a constructed element.

    Args:
        data: the DER bytes ``parent`` was read from.
        parent: a constructed element.

    Returns:
        Its children in order.

    Raises:
        ValueError: if the content is not a whole number of elements.
    """
    out: list[Element] = []
    pos = parent.content_start
    while pos < parent.end:
        child = read_tlv(data, pos)
        if child.end > parent.end:
            raise ValueError(f"element at offset {pos} runs past its parent")
        out.append(child)
        pos = child.end
    return tuple(out)
