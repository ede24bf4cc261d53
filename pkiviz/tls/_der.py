"""Decode a DER X.501 ``Name`` into an :class:`x509.Name`.

TLS CertificateRequest messages carry bare distinguished names
(``certificate_authorities``, RFC 8446 4.2.4 / RFC 5246 7.4.4) and
cryptography has no public loader for a lone Name, so this module walks the
few DER shapes a Name uses - SEQUENCE OF SET OF SEQUENCE { OID, string } -
with :mod:`pkiviz.der`, and keeps each value's string type so the parsed
Name re-encodes to the same bytes.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.name import _ASN1Type

from pkiviz import der
from pkiviz.tls._wire import HandshakeParseError

_STRING_TAGS = {
    0x0C: _ASN1Type.UTF8String,
    0x13: _ASN1Type.PrintableString,
    0x14: _ASN1Type.T61String,
    0x16: _ASN1Type.IA5String,
    0x1C: _ASN1Type.UniversalString,
    0x1E: _ASN1Type.BMPString,
}

_WHAT = "distinguished name"


def _decode(tag: int, content: bytes) -> str:
    if tag == 0x1E:
        return content.decode("utf-16-be")
    if tag == 0x1C:
        return content.decode("utf-32-be")
    if tag == 0x14:
        return content.decode("latin-1")
    return content.decode("utf-8")


def _attribute(data: bytes, atv: der.TLV) -> x509.NameAttribute[str]:
    parts = der.children(data, atv, what=_WHAT) if atv.identifier == der.SEQUENCE else ()
    if len(parts) != 2 or parts[0].identifier != der.OID:
        raise HandshakeParseError(f"{_WHAT}: malformed AttributeTypeAndValue")
    oid, value = parts
    return x509.NameAttribute(
        x509.ObjectIdentifier(der.decode_oid(oid.content(data))),
        _decode(value.identifier, value.content(data)),
        _STRING_TAGS.get(value.identifier, _ASN1Type.UTF8String),
    )


def parse_name(data: bytes) -> x509.Name:
    """Parse a DER-encoded distinguished name.

    Args:
        data: the Name's DER bytes.

    Returns:
        The name.

    Raises:
        HandshakeParseError: the bytes are not a DER Name.
    """
    try:
        top = der.read_single(data, what=_WHAT)
        if top.identifier != der.SEQUENCE:
            raise HandshakeParseError(f"{_WHAT}: not a DER SEQUENCE")
        rdns: list[x509.RelativeDistinguishedName] = []
        for rdn in der.children(data, top, what=_WHAT):
            if rdn.identifier != der.SET:
                raise HandshakeParseError(
                    f"{_WHAT}: expected a SET, got tag 0x{rdn.identifier:02x}"
                )
            attrs = [_attribute(data, atv) for atv in der.children(data, rdn, what=_WHAT)]
            rdns.append(x509.RelativeDistinguishedName(attrs))
    except HandshakeParseError:
        raise
    except ValueError as exc:  # pkiviz.der's InputError, UnicodeDecodeError, x509 checks
        text = str(exc)
        raise HandshakeParseError(text if text.startswith(_WHAT) else f"{_WHAT}: {text}") from None
    return x509.Name(rdns)
