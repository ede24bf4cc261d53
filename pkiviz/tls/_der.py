"""Decode a DER X.501 ``Name`` into an :class:`x509.Name`.

TLS CertificateRequest messages carry bare distinguished names
(``certificate_authorities``, RFC 8446 4.2.4 / RFC 5246 7.4.4) and
cryptography has no public loader for a lone Name, so this module reads the
few DER shapes a Name uses: SEQUENCE OF SET OF SEQUENCE { OID, string }.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.name import _ASN1Type

from pkiviz.tls._wire import HandshakeParseError

_STRING_TAGS = {
    0x0C: _ASN1Type.UTF8String,
    0x13: _ASN1Type.PrintableString,
    0x14: _ASN1Type.T61String,
    0x16: _ASN1Type.IA5String,
    0x1C: _ASN1Type.UniversalString,
    0x1E: _ASN1Type.BMPString,
}


def _tlv(data: bytes, pos: int, what: str) -> tuple[int, bytes, int]:
    if pos + 2 > len(data):
        raise HandshakeParseError(f"{what}: truncated DER")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise HandshakeParseError(f"{what}: bad DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise HandshakeParseError(f"{what}: DER value runs past the end")
    return tag, data[pos : pos + length], pos + length


def _oid(content: bytes) -> str:
    if not content:
        raise HandshakeParseError("distinguished name: empty OID")
    first = content[0]
    arcs = [min(first // 40, 2), first - 40 * min(first // 40, 2)]
    value = 0
    for byte in content[1:]:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(str(a) for a in arcs)


def _decode(tag: int, content: bytes) -> str:
    if tag == 0x1E:
        return content.decode("utf-16-be")
    if tag == 0x1C:
        return content.decode("utf-32-be")
    if tag == 0x14:
        return content.decode("latin-1")
    return content.decode("utf-8")


def parse_name(der: bytes) -> x509.Name:
    """Parse a DER-encoded distinguished name.

    Args:
        der: the Name's DER bytes.

    Returns:
        The name.

    Raises:
        HandshakeParseError: the bytes are not a DER Name.
    """
    what = "distinguished name"
    tag, seq, end = _tlv(der, 0, what)
    if tag != 0x30 or end != len(der):
        raise HandshakeParseError(f"{what}: not a DER SEQUENCE")
    rdns: list[x509.RelativeDistinguishedName] = []
    pos = 0
    try:
        while pos < len(seq):
            tag, rdn, pos = _tlv(seq, pos, what)
            if tag != 0x31:
                raise HandshakeParseError(f"{what}: expected a SET, got tag 0x{tag:02x}")
            attrs: list[x509.NameAttribute[str]] = []
            apos = 0
            while apos < len(rdn):
                tag, atv, apos = _tlv(rdn, apos, what)
                otag, oid, vpos = _tlv(atv, 0, what)
                vtag, value, _ = _tlv(atv, vpos, what)
                if tag != 0x30 or otag != 0x06:
                    raise HandshakeParseError(f"{what}: malformed AttributeTypeAndValue")
                attrs.append(
                    x509.NameAttribute(
                        x509.ObjectIdentifier(_oid(oid)),
                        _decode(vtag, value),
                        _STRING_TAGS.get(vtag, _ASN1Type.UTF8String),
                    )
                )
            rdns.append(x509.RelativeDistinguishedName(attrs))
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, HandshakeParseError):
            raise
        raise HandshakeParseError(f"{what}: {exc}") from None
    return x509.Name(rdns)
