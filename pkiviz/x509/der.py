"""DER, read and written: tag-length-value triples, OIDs, and the names of well-known OIDs.

DER (ITU-T X.690 section 10) encodes every value as a TLV: identifier
octets (class, constructed bit, tag number), a length (short form below 128,
long form ``0x80 | n`` followed by ``n`` big-endian octets), then the
contents. This module reads that structure and writes the few types pkiviz
builds by hand; it never interprets a certificate.

* Reading: :func:`read_tlv`, :func:`read_single` and :func:`children` give
  each value's position as a :class:`TLV`; :func:`decode_oid` reads an
  OBJECT IDENTIFIER. :mod:`pkiviz.x509.bytemap` uses them to name the bytes of a
  certificate, :mod:`pkiviz.x509.anatomy` to reach fields cryptography will not
  show, :mod:`pkiviz.x509.signature` to find the signed bytes.
* Writing: :func:`encode_length`, :func:`encode_tlv` and the constructors
  :func:`sequence`, :func:`bit_string`, :func:`octet_string`, :func:`null`,
  :func:`object_identifier` and :func:`generalized_time` - enough for a
  Certificate ``SEQUENCE { tbs, signatureAlgorithm, BIT STRING }`` (RFC 5280
  4.1.1), a DigestInfo (RFC 8017 9.2) and an OCSP response re-stamped with
  a fixed ``producedAt`` (:mod:`pkiviz.revocation.ocsp`).

Only definite, minimal lengths and minimal tag numbers are accepted (X.690
8.1.2, 10.1), as DER requires. Malformed input raises
:class:`~pkiviz.errors.InputError` naming the offset.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

from pkiviz.errors import InputError
from pkiviz.vocabulary import OID_NAMES

#: Universal tag numbers (X.680 8.4) that certificates use.
UNIVERSAL_TAGS: dict[int, str] = {
    1: "BOOLEAN",
    2: "INTEGER",
    3: "BIT STRING",
    4: "OCTET STRING",
    5: "NULL",
    6: "OBJECT IDENTIFIER",
    10: "ENUMERATED",
    12: "UTF8String",
    16: "SEQUENCE",
    17: "SET",
    19: "PrintableString",
    20: "TeletexString",
    22: "IA5String",
    23: "UTCTime",
    24: "GeneralizedTime",
    26: "VisibleString",
    28: "UniversalString",
    30: "BMPString",
}

_CLASSES = ("universal", "application", "context", "private")

#: Identifier octets (X.690 8.1.2) of the universal types the encoder writes.
INTEGER = 0x02
BIT_STRING = 0x03
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
GENERALIZED_TIME = 0x18
SEQUENCE = 0x30
SET = 0x31

#: Names of OIDs that appear in certificates: one table, in :mod:`pkiviz.vocabulary`.


def oid_name(dotted: str) -> str:
    """Name an OID if it is well known, else return it dotted.

    Args:
        dotted: an OID such as ``"2.5.29.17"``.

    Returns:
        ``"subjectAltName"``, or ``dotted`` itself for an OID not in :data:`OID_NAMES`.
    """
    return OID_NAMES.get(dotted, dotted)


@dataclasses.dataclass(frozen=True)
class TLV:
    """Where one DER value sits in a byte string.

    Attributes:
        tag_class: ``"universal"``, ``"application"``, ``"context"`` or ``"private"``.
        constructed: whether the contents are themselves TLVs.
        number: the tag number (16 for SEQUENCE, 0 for ``[0]``...).
        start: offset of the identifier octet.
        header_length: identifier plus length octets.
        length: number of content octets.
    """

    tag_class: str
    constructed: bool
    number: int
    start: int
    header_length: int
    length: int

    @property
    def content_start(self) -> int:
        """Offset of the first content octet."""
        return self.start + self.header_length

    @property
    def end(self) -> int:
        """Offset just past the last content octet."""
        return self.content_start + self.length

    @property
    def tag_name(self) -> str:
        """``"SEQUENCE"``, ``"INTEGER"``, ``"[3]"``, ``"[APPLICATION 2]"``..."""
        if self.tag_class == "universal":
            return UNIVERSAL_TAGS.get(self.number, f"[UNIVERSAL {self.number}]")
        if self.tag_class == "context":
            return f"[{self.number}]"
        return f"[{self.tag_class.upper()} {self.number}]"

    @property
    def identifier(self) -> int:
        """The first identifier octet: ``0x30`` for SEQUENCE, ``0xA3`` for ``[3]`` EXPLICIT...

        For a tag number of 31 or more this is the octet that announces the
        high tag number form (low five bits all set).
        """
        constructed = 0x20 if self.constructed else 0
        return (_CLASSES.index(self.tag_class) << 6) | constructed | min(self.number, 0x1F)

    def is_universal(self, number: int) -> bool:
        """Whether this is the universal tag ``number`` (e.g. 16 for SEQUENCE)."""
        return self.tag_class == "universal" and self.number == number

    def is_context(self, number: int) -> bool:
        """Whether this is the context-specific tag ``[number]``."""
        return self.tag_class == "context" and self.number == number

    def content(self, data: bytes) -> bytes:
        """The content octets of this TLV within ``data``."""
        return data[self.content_start : self.end]

    def encoded(self, data: bytes) -> bytes:
        """The whole TLV - identifier, length and contents - within ``data``."""
        return data[self.start : self.end]


def read_tlv(data: bytes, offset: int = 0, *, end: int | None = None, what: str = "DER") -> TLV:
    """Read the TLV that starts at ``offset``.

    Args:
        data: the DER bytes.
        offset: where the identifier octet is.
        end: the TLV must end at or before this offset (default: end of data).
        what: names the input in error messages.

    Returns:
        The TLV's position and tag.

    Raises:
        InputError: truncated header or contents, a tag number in a longer
            form than needed (X.690 8.1.2), an indefinite or non-minimal
            length (X.690 10.1), or a length that overruns ``end``.
    """
    limit = len(data) if end is None else end
    if offset >= limit:
        raise InputError(f"{what}: truncated DER: expected a tag at offset {offset}")
    first = data[offset]
    tag_class = _CLASSES[first >> 6]
    constructed = bool(first & 0x20)
    number = first & 0x1F
    pos = offset + 1
    if number == 0x1F:  # high tag number form, X.690 8.1.2.4
        number = 0
        while True:
            if pos >= limit:
                raise InputError(f"{what}: truncated DER: tag at offset {offset} is cut off")
            octet = data[pos]
            if number == 0 and octet == 0x80:
                raise InputError(f"{what}: tag number at offset {offset} has a leading zero")
            pos += 1
            number = (number << 7) | (octet & 0x7F)
            if not octet & 0x80:
                break
        if number < 0x1F:
            raise InputError(
                f"{what}: tag number {number} at offset {offset} needs no high tag number "
                "form (X.690 8.1.2.2)"
            )
    if pos >= limit:
        raise InputError(f"{what}: truncated DER: no length after the tag at offset {offset}")
    first_len = data[pos]
    pos += 1
    if first_len < 0x80:
        length = first_len
    elif first_len == 0x80:
        raise InputError(
            f"{what}: indefinite length at offset {offset} is BER, not DER (X.690 10.1)"
        )
    else:
        count = first_len & 0x7F
        if pos + count > limit:
            raise InputError(f"{what}: truncated DER: length at offset {offset} is cut off")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80 or data[pos - count] == 0:
            raise InputError(f"{what}: non-minimal length encoding at offset {offset} (X.690 10.1)")
    if pos + length > limit:
        need = f"{length} bytes" if length < 10**15 else f"about 2**{length.bit_length() - 1} bytes"
        raise InputError(
            f"{what}: truncated DER: the value at offset {offset} needs {need}, "
            f"only {max(limit - pos, 0)} present"
        )
    return TLV(tag_class, constructed, number, offset, pos - offset, length)


def read_single(data: bytes, *, what: str = "DER") -> TLV:
    """Read a TLV that must span all of ``data``.

    Args:
        data: DER bytes holding exactly one value.
        what: names the input in error messages.

    Returns:
        The outer TLV.

    Raises:
        InputError: if the value is malformed or bytes follow it.
    """
    tlv = read_tlv(data, 0, what=what)
    if tlv.end != len(data):
        extra = len(data) - tlv.end
        raise InputError(
            f"{what}: {extra} trailing byte{'s' if extra > 1 else ''} after the DER value "
            f"(which ends at offset {tlv.end})"
        )
    return tlv


def children(data: bytes, parent: TLV, *, what: str = "DER") -> tuple[TLV, ...]:
    """Read the TLVs inside a constructed TLV.

    Args:
        data: the DER bytes ``parent`` was read from.
        parent: a constructed TLV (SEQUENCE, SET, ``[n]`` EXPLICIT...).
        what: names the input in error messages.

    Returns:
        The child TLVs in order; together they exactly fill ``parent``'s contents.

    Raises:
        InputError: if ``parent`` is primitive or a child is malformed.
    """
    if not parent.constructed:
        raise InputError(
            f"{what}: {parent.tag_name} at offset {parent.start} is primitive, not constructed"
        )
    out: list[TLV] = []
    pos = parent.content_start
    while pos < parent.end:
        child = read_tlv(data, pos, end=parent.end, what=what)
        out.append(child)
        pos = child.end
    return tuple(out)


def spans(
    data: bytes, start: int, end: int, *, what: str = "DER"
) -> list[tuple[int, int, int, int]]:
    """The TLVs that exactly fill ``data[start:end]``, as plain offsets (a hot-path reader).

    Accepts and rejects exactly what reading them one by one with :func:`read_tlv`
    does: identifiers in the low tag number form with a short length or a minimal
    one- or two-octet long length are read inline; anything else (a high tag
    number, a longer length, an error) is handed to :func:`read_tlv` itself.

    Args:
        data: the DER bytes.
        start: offset of the first TLV.
        end: offset the last TLV must end at.
        what: names the input in error messages.

    Returns:
        For each TLV: (first identifier octet, start, content start, end).

    Raises:
        InputError: as :func:`read_tlv`.
    """
    out: list[tuple[int, int, int, int]] = []
    pos = start
    while pos < end:
        first = data[pos]
        p = pos + 1
        body = stop = -1
        if first & 0x1F != 0x1F and p < end:
            n = data[p]
            if n < 0x80:
                body = p + 1
                stop = body + n
            elif n == 0x81 and p + 2 <= end and data[p + 1] >= 0x80:
                body = p + 2
                stop = body + data[p + 1]
            elif n == 0x82 and p + 3 <= end and data[p + 1]:
                body = p + 3
                stop = body + (data[p + 1] << 8 | data[p + 2])
        if 0 <= stop <= end:
            out.append((first, pos, body, stop))
            pos = stop
        else:
            tlv = read_tlv(data, pos, end=end, what=what)
            out.append((first, pos, tlv.content_start, tlv.end))
            pos = tlv.end
    return out


def decode_oid(content: bytes) -> str:
    """Decode the contents of an OBJECT IDENTIFIER (X.690 8.19) to dotted form.

    Args:
        content: the content octets (no tag or length).

    Returns:
        The dotted OID, e.g. ``"2.5.29.17"``.

    Raises:
        InputError: if the encoding is empty or cut off.
    """
    if not content or content[-1] & 0x80:
        raise InputError(f"malformed OBJECT IDENTIFIER {content.hex()!r}")
    arcs: list[int] = []
    value = 0
    for octet in content:
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def encode_length(length: int) -> bytes:
    """Encode a DER length (X.690 8.1.3, minimal form).

    Args:
        length: a non-negative content length.

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


def encode_tlv(identifier: int, content: bytes) -> bytes:
    """Encode one TLV with a single-octet identifier.

    Args:
        identifier: the identifier octet, e.g. ``0x30`` for SEQUENCE.
        content: the contents.

    Returns:
        Identifier, minimal length and contents.
    """
    return bytes([identifier]) + encode_length(len(content)) + content


def sequence(*elements: bytes) -> bytes:
    """Encode ``SEQUENCE { elements... }`` from already-encoded elements."""
    return encode_tlv(SEQUENCE, b"".join(elements))


def bit_string(data: bytes) -> bytes:
    """Encode a BIT STRING whose length is a whole number of octets (no unused bits)."""
    return encode_tlv(BIT_STRING, b"\x00" + data)


def octet_string(data: bytes) -> bytes:
    """Encode an OCTET STRING."""
    return encode_tlv(OCTET_STRING, data)


def null() -> bytes:
    """Encode NULL."""
    return encode_tlv(NULL, b"")


def object_identifier(dotted: str) -> bytes:
    """Encode an OBJECT IDENTIFIER from its dotted form (X.690 8.19).

    Args:
        dotted: e.g. ``"2.16.840.1.101.3.4.2.1"``.

    Returns:
        The DER encoding, tag and length included.

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
    return encode_tlv(OID, bytes(body))


def generalized_time(when: _dt.datetime) -> bytes:
    """Encode a GeneralizedTime in UTC, whole seconds (X.690 11.7, RFC 5280 4.1.2.5.2).

    Args:
        when: an aware datetime; fractions of a second are dropped.

    Returns:
        The DER encoding, e.g. ``YYYYMMDDHHMMSSZ`` with tag and length.

    Raises:
        ValueError: for a naive datetime, whose instant is unknown.
    """
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("a GeneralizedTime needs an aware datetime")
    utc = when.astimezone(_dt.UTC)
    text = f"{utc.year:04d}{utc:%m%d%H%M%S}Z"
    return encode_tlv(GENERALIZED_TIME, text.encode("ascii"))
