"""Decode a DER X.501 ``Name`` into an :class:`x509.Name`.

TLS CertificateRequest messages carry bare distinguished names
(``certificate_authorities``, RFC 8446 4.2.4 / RFC 5246 7.4.4) and
cryptography has no public loader for a lone Name, so this module walks the
few DER shapes a Name uses - SEQUENCE OF SET OF SEQUENCE { OID, string } -
with :mod:`pkiviz.x509.der` (each fault a :class:`HandshakeParseError` that says
where), then hands cryptography the Name inside the smallest structure it
does load publicly: a CRL whose issuer is that Name (its signature is never
checked). That keeps each value's string type, so the parsed Name re-encodes
to the same bytes. A value cryptography refuses (a PrintableString with ``@``,
a T61String beyond ASCII) is kept with cryptography's default string type.
"""

from __future__ import annotations

from cryptography import x509

from pkiviz.tls._wire import HandshakeParseError
from pkiviz.x509 import der

_WHAT = "distinguished name"

#: ecdsa-with-SHA256 as an AlgorithmIdentifier, and a thisUpdate: what a CRL needs around a Name.
_ALGORITHM = der.sequence(der.object_identifier("1.2.840.10045.4.3.2"))
_THIS_UPDATE = der.encode_tlv(0x17, b"700101000000Z")  # UTCTime


def _with_string_types(data: bytes) -> x509.Name | None:
    """The Name in ``data`` with its values' string types; ``None`` if cryptography refuses it."""
    tbs = der.sequence(_ALGORITHM, data, _THIS_UPDATE)
    try:
        return x509.load_der_x509_crl(der.sequence(tbs, _ALGORITHM, der.bit_string(b""))).issuer
    except ValueError:
        return None


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
    except ValueError as exc:  # pkiviz.x509.der's InputError, UnicodeDecodeError, x509 checks
        text = str(exc)
        raise HandshakeParseError(text if text.startswith(_WHAT) else f"{_WHAT}: {text}") from None
    return _with_string_types(data) or x509.Name(rdns)
