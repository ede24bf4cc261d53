"""Signature one, shown for real: the CA's signature over a certificate.

A certificate is three things in a row (RFC 5280 4.1.1): the *TBSCertificate*
("to be signed": every field - serial, issuer, validity, subject, public key,
extensions), the signature algorithm, and the signature value. The issuer
signs the TBSCertificate bytes exactly as they appear in the DER; a verifier
takes those same bytes from the certificate it received and checks the
signature with the issuer's public key (RFC 5280 4.1.1.3).

* :func:`signature_one` opens that check up: the signed bytes, the hash the
  verifier computes itself, the signature value, the verdict (which never
  raises), and how the check works for the scheme at hand:

  - RSA PKCS#1 v1.5 (:class:`RsaRecovery`): the one scheme in which the hash
    really comes back out of the signature. ``s^e mod n`` gives the block
    ``00 01 FF..FF 00 || DigestInfo`` (RFC 8017 8.2.2, 9.2).
  - RSA-PSS (:class:`PssRecovery`): ``s^e mod n`` gives a masked, salted block
    whose *structure* is checked (RFC 8017 9.1.2); the hash is not in it.
  - ECDSA (:class:`EcdsaCheck`): nothing to decrypt. The signature is two
    numbers (r, s); the verifier computes a curve point from the hash and
    the public key and checks that its x-coordinate equals r (FIPS 186-5
    6.4.2, SEC 1 4.1.4).
  - Ed25519 (:class:`Ed25519Check`): the signature is (R, S); the verifier
    hashes R, the public key and the whole message with SHA-512 itself and
    checks ``[S]B = R + [k]A`` (RFC 8032 5.1.7).

  The curve arithmetic here is plain Python ints, written to be read, not
  used: cryptography's verdict is the one that counts, and the two are
  compared.

* :func:`tamper` changes one field of a certificate, keeps the CA's original
  signature, and shows that the changed bytes no longer verify.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import hashlib
import html
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from pkiviz import _der_encode as der
from pkiviz.factory import Blob, Issued, build
from pkiviz.keys import PublicKey
from pkiviz.table import Table

# --- names -------------------------------------------------------------------

SIGNATURE_ALGORITHMS: dict[str, str] = {
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.3.101.112": "Ed25519",
}
"""Signature algorithm OIDs (RFC 4055, RFC 5758, RFC 8410) and their ASN.1 names."""

DIGEST_OIDS: dict[str, str] = {
    "sha1": "1.3.14.3.2.26",
    "sha224": "2.16.840.1.101.3.4.2.4",
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}
"""Hash algorithm OIDs as they appear in a DigestInfo (RFC 8017 9.2, note 1)."""

_DIGEST_NAMES = {oid: name for name, oid in DIGEST_OIDS.items()}

_EXTENSION_NAMES = {
    "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.15": "keyUsage",
    "2.5.29.17": "subjectAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.32": "certificatePolicies",
    "2.5.29.35": "authorityKeyIdentifier",
    "2.5.29.37": "extKeyUsage",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
    "1.3.6.1.5.5.7.1.24": "tlsFeature",
    "1.3.6.1.4.1.11129.2.4.2": "signedCertificateTimestampList",
}

_TBS_FIELDS = (
    "serialNumber",
    "signature",
    "issuer",
    "validity",
    "subject",
    "subjectPublicKeyInfo",
)
_TBS_TAGGED = {0xA1: "issuerUniqueID", 0xA2: "subjectUniqueID", 0xA3: "extensions"}


def hash_label(name: str | None) -> str:
    """Turn cryptography's hash name into the usual label: ``"sha256"`` -> ``"SHA-256"``."""
    if name is None:
        return "-"
    return name.upper().replace("SHA", "SHA-", 1) if name.startswith("sha") else name


def describe_key(key: object) -> str:
    """A short description of a public key: ``"RSA-2048"``, ``"EC P-256"``, ``"Ed25519"``.

    Args:
        key: a cryptography public key.

    Returns:
        The description; the class name for key types pkiviz does not know.
    """
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = _CURVES.get(key.curve.name)
        return f"EC {curve.name if curve else key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    return type(key).__name__


# --- byte ranges and hex -----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Span:
    """A named element of a DER encoding, by offsets.

    Attributes:
        name: the ASN.1 field name, e.g. ``"subject"`` or
            ``"extension subjectAltName"``.
        start: offset of its tag octet.
        content_start: offset of its first content octet.
        end: offset just past it.
    """

    name: str
    start: int
    content_start: int
    end: int

    @property
    def length(self) -> int:
        """Its encoded length, tag and length octets included."""
        return self.end - self.start

    def __str__(self) -> str:
        return f"{self.name} [{self.start}, {self.end}) {self.length} bytes"


@dataclasses.dataclass(frozen=True)
class HexDump:
    """Bytes shown as a hex dump, with some ranges marked. Build with :func:`hexdump`.

    Attributes:
        data: the bytes.
        start: the offset printed for ``data[0]``.
        marks: ranges ``(start, end)`` to highlight, in the same offsets.
        width: bytes per row.
    """

    data: bytes
    start: int = 0
    marks: tuple[tuple[int, int], ...] = ()
    width: int = 16

    def _marked(self, offset: int) -> bool:
        return any(a <= offset < b for a, b in self.marks)

    def rows(self) -> list[tuple[int, bytes]]:
        """The rows as ``(offset, bytes)``."""
        return [
            (self.start + i, self.data[i : i + self.width])
            for i in range(0, len(self.data), self.width)
        ]

    def __str__(self) -> str:
        lines: list[str] = []
        for offset, row in self.rows():
            lines.append(f"{offset:04x}  " + " ".join(f"{b:02x}" for b in row))
            under = ["^^" if self._marked(offset + i) else "  " for i in range(len(row))]
            if "^^" in under:
                lines.append("      " + " ".join(under).rstrip())
        return "\n".join(lines)

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        lines: list[str] = []
        for offset, row in self.rows():
            cells = [
                f"<mark>{b:02x}</mark>" if self._marked(offset + i) else f"{b:02x}"
                for i, b in enumerate(row)
            ]
            lines.append(f"{offset:04x}  " + " ".join(cells))
        return "<pre>" + "\n".join(lines) + "</pre>"


def hexdump(
    data: bytes, *, start: int = 0, marks: Sequence[tuple[int, int]] = (), width: int = 16
) -> HexDump:
    """Show bytes as a hex dump.

    Args:
        data: the bytes.
        start: the offset to print for ``data[0]``.
        marks: ``(start, end)`` ranges to highlight, in printed offsets.
        width: bytes per row.

    Returns:
        A :class:`HexDump`, which renders itself.
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    return HexDump(bytes(data), start, tuple(marks), width)


def _hex(data: bytes, per_line: int = 32, indent: str = "") -> str:
    chunks = [data[i : i + per_line].hex(" ") for i in range(0, len(data), per_line)]
    return ("\n" + indent).join(chunks) if chunks else "(empty)"


def _short_hex(data: bytes, keep: int = 8) -> str:
    if len(data) <= 2 * keep:
        return data.hex(" ")
    return f"{data[:keep].hex(' ')} .. {data[-keep:].hex(' ')}"


def _int_hex(value: int) -> str:
    return f"0x{value:x}"


# --- the TBSCertificate's fields ----------------------------------------------


def certificate_parts(cert_der: bytes) -> tuple[Span, Span, Span]:
    """The three parts of a Certificate (RFC 5280 4.1.1), by offsets in its DER.

    Args:
        cert_der: a certificate's DER.

    Returns:
        ``tbsCertificate``, ``signatureAlgorithm`` and ``signatureValue``.

    Raises:
        ValueError: if ``cert_der`` is not a three-part SEQUENCE.
    """
    outer = der.read_tlv(cert_der, 0)
    parts = der.children(cert_der, outer)
    if len(parts) != 3:
        raise ValueError(f"a Certificate has 3 parts, this DER has {len(parts)}")
    names = ("tbsCertificate", "signatureAlgorithm", "signatureValue")
    tbs, alg, sig = (
        Span(n, e.start, e.content_start, e.end) for n, e in zip(names, parts, strict=True)
    )
    return tbs, alg, sig


def tbs_fields(tbs: bytes) -> tuple[Span, ...]:
    """Name the fields of a TBSCertificate (RFC 5280 4.1.2) by their byte offsets.

    Args:
        tbs: the TBSCertificate DER (``cert.tbs_certificate_bytes``).

    Returns:
        The whole TBSCertificate first, then its fields in order; ``validity``
        is followed by ``notBefore`` and ``notAfter`` and ``extensions`` by
        one ``extension <name>`` span per extension.
    """
    top = der.read_tlv(tbs, 0)
    spans = [Span("TBSCertificate", top.start, top.content_start, top.end)]
    kids = list(der.children(tbs, top))
    if kids and kids[0].tag == 0xA0:
        first = kids.pop(0)
        spans.append(Span("version", first.start, first.content_start, first.end))
    for name, el in zip(_TBS_FIELDS, kids, strict=False):
        spans.append(Span(name, el.start, el.content_start, el.end))
        if name == "validity":
            for sub, t in zip(("notBefore", "notAfter"), der.children(tbs, el), strict=True):
                spans.append(Span(sub, t.start, t.content_start, t.end))
    for el in kids[len(_TBS_FIELDS) :]:
        name = _TBS_TAGGED.get(el.tag, f"[{el.tag & 0x1F}]")
        spans.append(Span(name, el.start, el.content_start, el.end))
        if name != "extensions":
            continue
        (seq,) = der.children(tbs, el)
        for ext in der.children(tbs, seq):
            oid = der.decode_oid(der.children(tbs, ext)[0].content(tbs))
            label = "extension " + _EXTENSION_NAMES.get(oid, oid)
            spans.append(Span(label, ext.start, ext.content_start, ext.end))
    return tuple(spans)


def _field_at(spans: Sequence[Span], start: int, end: int) -> str:
    """The name of the smallest span holding ``[start, end)``."""
    best: Span | None = None
    for span in spans:
        if (
            span.start <= start
            and max(end, start + 1) <= span.end
            and (best is None or span.length < best.length)
        ):
            best = span
    if best is None:
        return "?"
    if end <= best.content_start:
        return f"{best.name} (tag and length)"
    return best.name


# --- the verification itself: the one place cryptography's exceptions are caught


def _verify(cert: x509.Certificate, key: object) -> tuple[bool, str]:
    """Check the certificate's signature with ``key``; never raises."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    alg = SIGNATURE_ALGORITHMS.get(
        cert.signature_algorithm_oid.dotted_string, cert.signature_algorithm_oid.dotted_string
    )
    mismatch = (
        f"the certificate says {alg}, but the key given is {describe_key(key)}: "
        "that key cannot have made this signature"
    )
    try:
        params = cert.signature_algorithm_parameters
        algorithm = cert.signature_hash_algorithm
        if isinstance(key, rsa.RSAPublicKey):
            if not isinstance(params, padding.PKCS1v15 | padding.PSS) or algorithm is None:
                return False, mismatch
            key.verify(sig, tbs, params, algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            if not isinstance(params, ec.ECDSA):
                return False, mismatch
            key.verify(sig, tbs, params)
        elif isinstance(key, ed25519.Ed25519PublicKey):
            if alg != "Ed25519":
                return False, mismatch
            key.verify(sig, tbs)
        else:
            return False, f"pkiviz does not check signatures made with {describe_key(key)} keys"
    except InvalidSignature:
        return False, (
            "the signature does not match: these TBSCertificate bytes are not what the "
            "holder of this key signed"
        )
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        return False, f"the signature cannot be checked: {exc}"
    return True, (
        "the signature matches: the holder of this key signed exactly these TBSCertificate bytes"
    )


# --- RSA ------------------------------------------------------------------------


def digest_info(hash_name: str, digest: bytes) -> bytes:
    """DER of ``DigestInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }`` (RFC 8017 9.2).

    Args:
        hash_name: ``"sha256"``, ``"sha384"``, ...
        digest: the hash value.

    Returns:
        The DER bytes.

    Raises:
        ValueError: for a hash with no DigestInfo OID here.
    """
    if hash_name not in DIGEST_OIDS:
        raise ValueError(f"no DigestInfo OID for {hash_name!r}")
    return der.sequence(
        der.sequence(der.object_identifier(DIGEST_OIDS[hash_name]), der.null()),
        der.octet_string(digest),
    )


def emsa_pkcs1_v15_encode(hash_name: str, digest: bytes, length: int) -> bytes:
    """EMSA-PKCS1-v1_5-ENCODE (RFC 8017 9.2): ``00 01 FF..FF 00 || DigestInfo``.

    Args:
        hash_name: the hash algorithm.
        digest: the hash of the message.
        length: the modulus length in bytes.

    Returns:
        The encoded block of ``length`` bytes.

    Raises:
        ValueError: if the modulus is too short ("intended encoded message length too short").
    """
    t = digest_info(hash_name, digest)
    if length < len(t) + 11:
        raise ValueError("intended encoded message length too short")
    return b"\x00\x01" + b"\xff" * (length - len(t) - 3) + b"\x00" + t


def _render(title: str, rows: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """Text and HTML for a titled table of (label, value) rows."""
    width = max((len(label) for label, _ in rows), default=0)
    text = [title]
    for label, value in rows:
        pad = " " * (width + 4)
        text.append(f"  {label:<{width}}  " + value.replace("\n", "\n" + pad))
    cells = "".join(
        f"<tr><th style='text-align:left;vertical-align:top'>{html.escape(label)}</th>"
        f"<td style='text-align:left'><pre style='margin:0'>{html.escape(value)}</pre></td></tr>"
        for label, value in rows
    )
    return "\n".join(text), f"<p><b>{html.escape(title)}</b></p><table>{cells}</table>"


class _Renders:
    """Mixin: ``__str__`` and ``_repr_html_`` from one ``_table()``."""

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        raise NotImplementedError

    def __str__(self) -> str:
        return _render(*self._table())[0]

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return _render(*self._table())[1]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


@dataclasses.dataclass(frozen=True, repr=False)
class RsaRecovery(_Renders):
    """RSA PKCS#1 v1.5: the hash recovered from the signature (RFC 8017 8.2.2, 9.2).

    Attributes:
        modulus_bits: size of n.
        public_exponent: e.
        encoded: EM = s^e mod n as a block of the modulus length, or ``b""``
            if s was out of range (``s >= n`` or the wrong length).
        well_formed: whether EM has the shape ``00 01 FF..FF 00 || DigestInfo``.
        padding_length: number of FF bytes (PS).
        digest_info: the DigestInfo DER found after the 00 separator.
        digest_oid: the hash OID inside it (``None`` if unparsable).
        embedded_hash: the hash inside it (``None`` if unparsable).
        hash_name: the hash the certificate names.
        expected_hash: that hash of the TBSCertificate, computed independently.
        expected_encoded: EMSA-PKCS1-v1_5-ENCODE of the expected hash.
        reason: what the block shows, in one sentence.
    """

    modulus_bits: int
    public_exponent: int
    encoded: bytes
    well_formed: bool
    padding_length: int
    digest_info: bytes
    digest_oid: str | None
    embedded_hash: bytes | None
    hash_name: str
    expected_hash: bytes
    expected_encoded: bytes
    reason: str

    @property
    def hash_matches(self) -> bool:
        """The hash recovered from the signature equals the hash of the TBS bytes."""
        return self.embedded_hash is not None and self.embedded_hash == self.expected_hash

    @property
    def block_matches(self) -> bool:
        """EM equals EMSA-PKCS1-v1_5-ENCODE(hash of the TBS bytes): RFC 8017 8.2.2 step 4."""
        return self.encoded == self.expected_encoded

    @property
    def parts(self) -> tuple[tuple[str, bytes], ...]:
        """EM cut into its parts: leading bytes, padding, separator, DigestInfo header, hash."""
        if not self.well_formed or self.embedded_hash is None:
            return (("EM (not a PKCS#1 v1.5 block)", self.encoded),)
        ps_end = 2 + self.padding_length
        header = self.digest_info[: len(self.digest_info) - len(self.embedded_hash)]
        name = hash_label(_DIGEST_NAMES.get(self.digest_oid or "", self.digest_oid))
        return (
            ("00 01: block type 1 (signature)", self.encoded[:2]),
            (f"PS: {self.padding_length} bytes of FF", self.encoded[2:ps_end]),
            ("00: separator", self.encoded[ps_end : ps_end + 1]),
            (f"DigestInfo header: {name} ({self.digest_oid})", header),
            ("the hash, as signed", self.embedded_hash),
        )

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        rows = [("key", f"n: {self.modulus_bits} bits, e = {self.public_exponent}")]
        if not self.encoded:
            rows.append(("s^e mod n", self.reason))
            return "RSA PKCS#1 v1.5: recover EM = s^e mod n (RFC 8017 8.2.2)", rows
        for label, part in self.parts:
            shown = _short_hex(part, 4) if label.startswith("PS") else _hex(part)
            rows.append((label, shown))
        label = hash_label(self.hash_name)
        rows += [
            (f"{label} of the TBS bytes", _hex(self.expected_hash)),
            ("hashes equal", _yes(self.hash_matches)),
            ("EM == ENCODE(hash) (9.2)", _yes(self.block_matches)),
            ("reading", self.reason),
        ]
        return "RSA PKCS#1 v1.5: recover EM = s^e mod n (RFC 8017 8.2.2)", rows


def _rsa_recover(sig: bytes, tbs: bytes, key: rsa.RSAPublicKey, hash_name: str) -> RsaRecovery:
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    k = (n.bit_length() + 7) // 8
    expected = hashlib.new(hash_name, tbs).digest()
    try:
        expected_em = emsa_pkcs1_v15_encode(hash_name, expected, k)
    except ValueError:
        expected_em = b""
    base = {
        "modulus_bits": n.bit_length(),
        "public_exponent": e,
        "hash_name": hash_name,
        "expected_hash": expected,
        "expected_encoded": expected_em,
    }
    s = int.from_bytes(sig, "big")
    if len(sig) != k or s >= n:
        why = f"the signature is {len(sig)} bytes, the modulus {k}" if len(sig) != k else "s >= n"
        return RsaRecovery(
            encoded=b"", well_formed=False, padding_length=0, digest_info=b"",
            digest_oid=None, embedded_hash=None,
            reason=f"signature representative out of range ({why}): not this key's",
            **base,  # type: ignore[arg-type]
        )  # fmt: skip
    em = pow(s, e, n).to_bytes(k, "big")
    ps = len(em[2:]) - len(em[2:].lstrip(b"\xff"))
    info = em[2 + ps + 1 :]
    shaped = em[:2] == b"\x00\x01" and ps >= 8 and em[2 + ps : 3 + ps] == b"\x00"
    oid, embedded = _parse_digest_info(info) if shaped else (None, None)
    if oid is None:
        reason = (
            "EM is not 00 01 FF..FF 00 || DigestInfo: the numbers look random, so this "
            "key did not make this signature"
        )
    elif embedded == expected:
        reason = "the signature carries exactly the hash of these TBS bytes"
    else:
        reason = (
            "the signature carries a hash, but not the hash of these TBS bytes: "
            "the bytes changed after signing"
        )
    return RsaRecovery(
        encoded=em, well_formed=oid is not None, padding_length=ps, digest_info=info,
        digest_oid=oid, embedded_hash=embedded, reason=reason,
        **base,  # type: ignore[arg-type]
    )  # fmt: skip


def _parse_digest_info(info: bytes) -> tuple[str | None, bytes | None]:
    try:
        top = der.read_tlv(info, 0)
        if top.end != len(info) or top.tag != der.SEQUENCE:
            return None, None
        alg, digest = der.children(info, top)
        oid = der.decode_oid(der.children(info, alg)[0].content(info))
        if digest.tag != der.OCTET_STRING:
            return None, None
        return oid, digest.content(info)
    except ValueError:
        return None, None


def _mgf1(seed: bytes, length: int, hash_name: str) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.new(hash_name, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


@dataclasses.dataclass(frozen=True, repr=False)
class PssRecovery(_Renders):
    """RSA-PSS: s^e mod n gives a masked, salted block, checked by structure (RFC 8017 9.1.2).

    Attributes:
        modulus_bits: size of n.
        encoded: EM = s^e mod n (``b""`` if s is out of range).
        hash_name: the message hash (from the certificate's PSS parameters).
        mgf_hash: the hash MGF1 uses.
        declared_salt_length: saltLength from the parameters.
        h: the hash H stored at the end of EM (a hash of the salted hash, not
            the hash of the TBS bytes).
        salt: the salt found after unmasking (``None`` if EM is malformed).
        expected_hash: mHash, the hash of the TBS bytes.
        h_prime: Hash(00*8 || mHash || salt), recomputed by the verifier.
        reason: what the block shows.
    """

    modulus_bits: int
    encoded: bytes
    hash_name: str
    mgf_hash: str
    declared_salt_length: int
    h: bytes
    salt: bytes | None
    expected_hash: bytes
    h_prime: bytes | None
    reason: str

    @property
    def matches(self) -> bool:
        """H in the block equals H' recomputed from the TBS hash and the salt."""
        return self.h_prime is not None and self.h_prime == self.h

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        label = hash_label(self.hash_name)
        rows = [
            ("key", f"n: {self.modulus_bits} bits"),
            ("parameters", f"{label}, MGF1 with {hash_label(self.mgf_hash)}, "
             f"salt {self.declared_salt_length} bytes"),
            ("EM = s^e mod n", _short_hex(self.encoded) if self.encoded else "(out of range)"),
            ("H (in EM)", _hex(self.h)),
            ("salt (unmasked)", _hex(self.salt) if self.salt is not None else "(not found)"),
            (f"{label} of the TBS bytes", _hex(self.expected_hash)),
            ("H' = Hash(0*8||mHash||salt)", _hex(self.h_prime or b"")),
            ("H == H'", _yes(self.matches)),
            ("hash of TBS inside EM", _yes(self.expected_hash in self.encoded)),
            ("reading", self.reason),
        ]  # fmt: skip
        return "RSA-PSS: recover EM = s^e mod n and check its structure (RFC 8017 9.1.2)", rows


def _pss_params(cert_der: bytes) -> tuple[str, str, int]:
    """Hash, MGF1 hash and salt length from RSASSA-PSS-params (RFC 4055 3.1)."""
    _, alg, _ = certificate_parts(cert_der)
    hash_name, mgf_hash, salt = "sha1", "sha1", 20
    params = der.children(cert_der, der.read_tlv(cert_der, alg.start))
    if len(params) < 2:
        return hash_name, mgf_hash, salt
    for field in der.children(cert_der, params[1]):
        (inner,) = der.children(cert_der, field)
        if field.tag == 0xA2:
            salt = int.from_bytes(inner.content(cert_der), "big")
            continue
        algid = der.children(cert_der, inner)
        if field.tag == 0xA0:
            hash_name = _DIGEST_NAMES.get(der.decode_oid(algid[0].content(cert_der)), "?")
        elif field.tag == 0xA1 and len(algid) > 1:
            mgf_alg = der.children(cert_der, algid[1])
            mgf_hash = _DIGEST_NAMES.get(der.decode_oid(mgf_alg[0].content(cert_der)), "?")
    return hash_name, mgf_hash, salt


def _pss_recover(cert: x509.Certificate, key: rsa.RSAPublicKey) -> PssRecovery:
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    hash_name, mgf_hash, salt_len = _pss_params(cert_der)
    numbers = key.public_numbers()
    n, e = numbers.n, numbers.e
    em_bits = n.bit_length() - 1
    em_len = (em_bits + 7) // 8
    m_hash = hashlib.new(hash_name, cert.tbs_certificate_bytes).digest()
    h_len = len(m_hash)
    s = int.from_bytes(cert.signature, "big")
    base = {
        "modulus_bits": n.bit_length(),
        "hash_name": hash_name,
        "mgf_hash": mgf_hash,
        "declared_salt_length": salt_len,
        "expected_hash": m_hash,
    }
    m = pow(s, e, n) if s < n else -1
    if m < 0 or m.bit_length() > 8 * em_len or em_len < h_len + salt_len + 2:
        return PssRecovery(encoded=b"", h=b"", salt=None, h_prime=None,
                           reason="signature representative out of range: not this key's",
                           **base)  # type: ignore[arg-type]  # fmt: skip
    em = m.to_bytes(em_len, "big")
    masked_db, h = em[: em_len - h_len - 1], em[em_len - h_len - 1 : -1]
    db = bytearray(
        a ^ b for a, b in zip(masked_db, _mgf1(h, len(masked_db), mgf_hash), strict=True)
    )
    db[0] &= 0xFF >> (8 * em_len - em_bits)
    zeros = em_len - h_len - salt_len - 2
    shaped = em[-1] == 0xBC and not any(db[:zeros]) and db[zeros] == 0x01
    salt = bytes(db[-salt_len:]) if salt_len else b""
    h_prime = hashlib.new(hash_name, b"\x00" * 8 + m_hash + salt).digest() if shaped else None
    if not shaped:
        reason = "EM has not got the PSS structure (00..00 01 salt, then H, then BC): wrong key"
    elif h_prime == h:
        reason = "H matches Hash(00*8 || hash of these TBS bytes || salt): the TBS is as signed"
    else:
        reason = "EM is well formed but H does not match: the TBS bytes changed after signing"
    return PssRecovery(encoded=em, h=h, salt=salt if shaped else None, h_prime=h_prime,
                       reason=reason, **base)  # type: ignore[arg-type]  # fmt: skip


# --- ECDSA ----------------------------------------------------------------------

_Point = tuple[int, int] | None


@dataclasses.dataclass(frozen=True)
class _Curve:
    name: str
    p: int
    a: int
    b: int
    g: tuple[int, int]
    n: int

    def add(self, p1: _Point, p2: _Point) -> _Point:
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2) = p1, p2
        if x1 == x2 and (y1 + y2) % self.p == 0:
            return None
        if p1 == p2:
            slope = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, self.p)
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, self.p)
        x3 = (slope * slope - x1 - x2) % self.p
        return x3, (slope * (x1 - x3) - y1) % self.p

    def mul(self, k: int, point: _Point) -> _Point:
        result: _Point = None
        while k:
            if k & 1:
                result = self.add(result, point)
            point = self.add(point, point)
            k >>= 1
        return result


_P256 = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P384 = 2**384 - 2**128 - 2**96 + 2**32 - 1
_CURVES = {
    "secp256r1": _Curve(
        "P-256",
        _P256,
        _P256 - 3,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        (
            0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
            0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
        ),
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    "secp384r1": _Curve(
        "P-384",
        _P384,
        _P384 - 3,
        int(
            "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875A"
            "C656398D8A2ED19D2A85C8EDD3EC2AEF",
            16,
        ),
        (
            int(
                "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A38"
                "5502F25DBF55296C3A545E3872760AB7",
                16,
            ),
            int(
                "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C0"
                "0A60B1CE1D7E819D7A431D7C90EA0E5F",
                16,
            ),
        ),
        int(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
            "581A0DB248B0A77AECEC196ACCC52973",
            16,
        ),
    ),
}


@dataclasses.dataclass(frozen=True, repr=False)
class EcdsaCheck(_Renders):
    """ECDSA: the verification equation, in plain ints (FIPS 186-5 6.4.2, SEC 1 4.1.4).

    Nothing is decrypted: the verifier computes the point
    ``R = u1*G + u2*Q`` from the hash and the public key Q and checks
    that ``R.x mod n == r``.

    Attributes:
        curve: ``"P-256"`` or ``"P-384"``.
        n: the order of the base point G.
        r: first half of the signature (an x-coordinate, reduced mod n).
        s: second half.
        hash_name: the hash the certificate names.
        digest: that hash of the TBS bytes, computed independently.
        e: the digest as an integer (its leftmost bits, if longer than n).
        w: s^-1 mod n.
        u1: e*w mod n.
        u2: r*w mod n.
        x: R.x for R = u1*G + u2*Q (``None`` if R is the point at infinity
            or r, s are out of range).
    """

    curve: str
    n: int
    r: int
    s: int
    hash_name: str
    digest: bytes
    e: int
    w: int
    u1: int
    u2: int
    x: int | None

    @property
    def matches(self) -> bool:
        """R.x mod n == r: the signature verifies."""
        return self.x is not None and self.x % self.n == self.r

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        rows = [
            ("signature", "two integers, r and s (DER: SEQUENCE { INTEGER r, INTEGER s })"),
            ("r", _int_hex(self.r)),
            ("s", _int_hex(self.s)),
            (f"e = {hash_label(self.hash_name)}(TBS)", _int_hex(self.e)),
            ("w = s^-1 mod n", _int_hex(self.w)),
            ("u1 = e*w mod n", _int_hex(self.u1)),
            ("u2 = r*w mod n", _int_hex(self.u2)),
            ("R = u1*G + u2*Q: R.x", _int_hex(self.x) if self.x is not None else "(none)"),
            ("R.x mod n == r", _yes(self.matches)),
        ]
        return f"ECDSA on {self.curve}: verify, don't decrypt (FIPS 186-5 6.4.2)", rows


def _ecdsa_check(
    sig: bytes, tbs: bytes, key: ec.EllipticCurvePublicKey, hash_name: str
) -> EcdsaCheck | None:
    curve = _CURVES.get(key.curve.name)
    if curve is None:
        return None
    try:
        r, s = decode_dss_signature(sig)
    except ValueError:
        return None
    digest = hashlib.new(hash_name, tbs).digest()
    e = int.from_bytes(digest, "big") >> max(0, 8 * len(digest) - curve.n.bit_length())
    x = None
    w = u1 = u2 = 0
    if 0 < r < curve.n and 0 < s < curve.n:
        w = pow(s, -1, curve.n)
        u1, u2 = e * w % curve.n, r * w % curve.n
        numbers = key.public_numbers()
        point = curve.add(curve.mul(u1, curve.g), curve.mul(u2, (numbers.x, numbers.y)))
        x = None if point is None else point[0]
    return EcdsaCheck(curve.name, curve.n, r, s, hash_name, digest, e, w, u1, u2, x)


# --- Ed25519 --------------------------------------------------------------------

_ED_P = 2**255 - 19
_ED_D = -121665 * pow(121666, -1, _ED_P) % _ED_P
_ED_L = 2**252 + 27742317777372353535851937790883648493
_ED_SQRT_M1 = pow(2, (_ED_P - 1) // 4, _ED_P)


def _ed_add(p1: tuple[int, int], p2: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = p1, p2
    t = _ED_D * x1 * x2 * y1 * y2 % _ED_P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, -1, _ED_P) % _ED_P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, _ED_P) % _ED_P
    return x3, y3


def _ed_mul(k: int, point: tuple[int, int]) -> tuple[int, int]:
    result = (0, 1)
    while k:
        if k & 1:
            result = _ed_add(result, point)
        point = _ed_add(point, point)
        k >>= 1
    return result


def _ed_decode(data: bytes) -> tuple[int, int] | None:
    """Decode a point (RFC 8032 5.1.3); ``None`` if it is not on the curve."""
    value = int.from_bytes(data, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    if y >= _ED_P:
        return None
    xx = (y * y - 1) * pow(_ED_D * y * y + 1, -1, _ED_P) % _ED_P
    x = pow(xx, (_ED_P + 3) // 8, _ED_P)
    if (x * x - xx) % _ED_P:
        x = x * _ED_SQRT_M1 % _ED_P
    if (x * x - xx) % _ED_P or (x == 0 and sign):
        return None
    return (_ED_P - x if x & 1 != sign else x), y


def _ed_encode(point: tuple[int, int]) -> bytes:
    x, y = point
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_ED_B = _ed_decode((4 * pow(5, -1, _ED_P) % _ED_P).to_bytes(32, "little"))


@dataclasses.dataclass(frozen=True, repr=False)
class Ed25519Check(_Renders):
    """Ed25519: the group equation ``[S]B = R + [k]A``, in plain ints (RFC 8032 5.1.7).

    The message is the TBS bytes themselves; SHA-512 is applied inside the
    check, to R, the public key A and the message together.

    Attributes:
        r_point: R, the first 32 bytes of the signature (an encoded point).
        s: S, the last 32 bytes read as a little-endian integer.
        public_key: A, the issuer's 32-byte public key.
        k: SHA-512(R || A || TBS) mod L, as an integer.
        lhs: [S]B, encoded.
        rhs: R + [k]A, encoded (``b""`` if R or A is not a curve point).
    """

    r_point: bytes
    s: int
    public_key: bytes
    k: int
    lhs: bytes
    rhs: bytes

    @property
    def matches(self) -> bool:
        """S < L and [S]B == R + [k]A: the signature verifies."""
        return self.s < _ED_L and self.lhs == self.rhs

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        rows = [
            ("signature", "64 bytes: R (an encoded point) || S (an integer)"),
            ("R", _hex(self.r_point)),
            ("S", _int_hex(self.s)),
            ("A (issuer key)", _hex(self.public_key)),
            ("k = SHA-512(R||A||TBS) mod L", _int_hex(self.k)),
            ("[S]B", _hex(self.lhs)),
            ("R + [k]A", _hex(self.rhs) if self.rhs else "(not a curve point)"),
            ("[S]B == R + [k]A", _yes(self.matches)),
        ]
        return "Ed25519: verify, don't decrypt (RFC 8032 5.1.7)", rows


def _ed25519_check(sig: bytes, tbs: bytes, key: ed25519.Ed25519PublicKey) -> Ed25519Check | None:
    if len(sig) != 64 or _ED_B is None:
        return None
    a_bytes = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    r_bytes, s = sig[:32], int.from_bytes(sig[32:], "little")
    k = int.from_bytes(hashlib.sha512(r_bytes + a_bytes + tbs).digest(), "little") % _ED_L
    lhs = _ed_encode(_ed_mul(s, _ED_B))
    r_point, a_point = _ed_decode(r_bytes), _ed_decode(a_bytes)
    rhs = b""
    if r_point is not None and a_point is not None:
        rhs = _ed_encode(_ed_add(r_point, _ed_mul(k, a_point)))
    return Ed25519Check(r_bytes, s, a_bytes, k, lhs, rhs)


# --- signature one ------------------------------------------------------------

Detail = RsaRecovery | PssRecovery | EcdsaCheck | Ed25519Check


@dataclasses.dataclass(frozen=True, repr=False)
class SignatureOne(_Renders):
    """The issuer's signature over a certificate, opened up. Build with :func:`signature_one`.

    Attributes:
        subject: the certificate's subject (RFC 4514).
        issuer: the certificate's issuer field (RFC 4514).
        checked_with: whose public key checked it.
        key: the checking key, e.g. ``"RSA-2048"``.
        der: the whole certificate's DER.
        parts: tbsCertificate, signatureAlgorithm, signatureValue, by offsets in ``der``.
        fields: the TBSCertificate's fields, by offsets in ``tbs``.
        tbs: the bytes the issuer signed (``cert.tbs_certificate_bytes``).
        algorithm_oid: the signature algorithm OID.
        algorithm: its name, e.g. ``"ecdsa-with-SHA256"``.
        hash_name: the hash the algorithm names (``None`` for Ed25519).
        tbs_hash: that hash of ``tbs``, as the verifier computes it
            independently (``None`` for Ed25519: it hashes internally).
        signature: the signature value.
        verified: cryptography's verdict.
        reason: the verdict in plain English.
        detail: how the check works for this scheme, in plain ints; ``None``
            if the key does not fit the algorithm.
    """

    subject: str
    issuer: str
    checked_with: str
    key: str
    der: bytes
    parts: tuple[Span, ...]
    fields: tuple[Span, ...]
    tbs: bytes
    algorithm_oid: str
    algorithm: str
    hash_name: str | None
    tbs_hash: bytes | None
    signature: bytes
    verified: bool
    reason: str
    detail: Detail | None

    def __repr__(self) -> str:
        verdict = "verified" if self.verified else "FAILED"
        return f"<SignatureOne {self.algorithm} over {self.subject!r}: {verdict}>"

    # IPython prefers a class's own __repr__ to an inherited _repr_pretty_: restate it here
    # so a notebook's text/plain output is the full rendering, not the short repr.
    _repr_pretty_ = _Renders._repr_pretty_

    @property
    def scheme(self) -> str:
        """``"RSA PKCS#1 v1.5"``, ``"RSA-PSS"``, ``"ECDSA"`` or ``"Ed25519"``."""
        if self.algorithm == "RSASSA-PSS":
            return "RSA-PSS"
        if "RSA" in self.algorithm:
            return "RSA PKCS#1 v1.5"
        if self.algorithm.startswith("ecdsa"):
            return "ECDSA"
        return self.algorithm

    @property
    def tbs_length(self) -> int:
        """How many bytes the issuer signed."""
        return len(self.tbs)

    @property
    def recovered_hash(self) -> bytes | None:
        """The hash read back out of the signature: RSA PKCS#1 v1.5 only, else ``None``."""
        return self.detail.embedded_hash if isinstance(self.detail, RsaRecovery) else None

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of the TBSCertificate's fields the signature covers, in order."""
        return tuple(f.name for f in self.fields[1:])

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        tbs, alg, sig = self.parts
        top = [f.name for f in self.fields[1:] if not f.name.startswith(("not", "extension "))]
        exts = [f.name.removeprefix("extension ") for f in self.fields if "extension " in f.name]
        verdict = ("VERIFIED: " if self.verified else "FAILED: ") + self.reason
        rows = [
            ("issuer field", self.issuer),
            ("checked with", f"{self.key} public key of {self.checked_with}"),
            ("certificate", f"{len(self.der)} bytes = {tbs} + {alg} + {sig}"),
            ("signed bytes", f"TBSCertificate, {self.tbs_length} bytes: " + ", ".join(top)),
            ("extensions", ", ".join(exts) or "(none)"),
            ("algorithm", f"{self.algorithm} ({self.algorithm_oid})"),
            (
                f"{hash_label(self.hash_name)}(TBS)" if self.tbs_hash else "hash",
                _hex(self.tbs_hash)
                if self.tbs_hash
                else "none up front: Ed25519 hashes R, the key and the TBS inside the check",
            ),
            (f"signature, {len(self.signature)} bytes", _hex(self.signature)),
            ("verdict", verdict),
        ]
        return f"Signature one over {self.subject} ({self.scheme})", rows

    def __str__(self) -> str:
        text = super().__str__()
        return text if self.detail is None else text + "\n\n" + str(self.detail)

    def _repr_html_(self) -> str:
        body = super()._repr_html_()
        return body if self.detail is None else body + self.detail._repr_html_()


CertLike = x509.Certificate | Issued
IssuerLike = Issued | x509.Certificate | PublicKey


def _as_cert(cert: CertLike) -> x509.Certificate:
    if isinstance(cert, Issued):
        return cert.certificate
    if isinstance(cert, x509.Certificate):
        return cert
    raise TypeError(f"expected a certificate or an Issued, got {type(cert).__name__}")


def signature_one(cert: CertLike, issuer: IssuerLike | None = None) -> SignatureOne:
    """Open up the issuer's signature over ``cert`` and check it.

    Never raises for a bad signature, a wrong key or a key of the wrong type:
    the result says ``verified=False`` and why.

    Args:
        cert: the certificate.
        issuer: the issuer's certificate, an :class:`Issued` or a bare public
            key. ``None`` takes ``cert``'s issuer if ``cert`` is an
            :class:`Issued`, or ``cert`` itself if it is self-issued.

    Returns:
        A :class:`SignatureOne`, which renders itself.

    Raises:
        TypeError: if ``cert`` is not a certificate, or ``issuer`` is ``None``
            and cannot be found.
    """
    certificate = _as_cert(cert)
    if issuer is None:
        if isinstance(cert, Issued):
            issuer = cert.issuer if cert.issuer is not None else cert
        elif certificate.issuer == certificate.subject:
            issuer = certificate
        else:
            raise TypeError("give the issuer: its certificate, Issued or public key")
    if isinstance(issuer, Issued | x509.Certificate):
        issuer_cert = _as_cert(issuer)
        key: object = issuer_cert.public_key()
        checked_with = issuer_cert.subject.rfc4514_string()
    else:
        key, checked_with = issuer, "a bare key"
    tbs, sig = certificate.tbs_certificate_bytes, certificate.signature
    cert_der = certificate.public_bytes(serialization.Encoding.DER)
    oid = certificate.signature_algorithm_oid.dotted_string
    try:
        hash_algorithm = certificate.signature_hash_algorithm
        hash_name = None if hash_algorithm is None else hash_algorithm.name
    except UnsupportedAlgorithm:
        hash_name = None
    verified, reason = _verify(certificate, key)
    detail: Detail | None = None
    algorithm = SIGNATURE_ALGORITHMS.get(oid, oid)
    if isinstance(key, rsa.RSAPublicKey) and algorithm == "RSASSA-PSS":
        detail = _pss_recover(certificate, key)
    elif isinstance(key, rsa.RSAPublicKey) and "RSA" in algorithm and hash_name:
        detail = _rsa_recover(sig, tbs, key, hash_name)
    elif isinstance(key, ec.EllipticCurvePublicKey) and "ecdsa" in algorithm and hash_name:
        detail = _ecdsa_check(sig, tbs, key, hash_name)
    elif isinstance(key, ed25519.Ed25519PublicKey) and algorithm == "Ed25519":
        detail = _ed25519_check(sig, tbs, key)
    return SignatureOne(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        checked_with=checked_with,
        key=describe_key(key),
        der=cert_der,
        parts=certificate_parts(cert_der),
        fields=tbs_fields(tbs),
        tbs=tbs,
        algorithm_oid=oid,
        algorithm=algorithm,
        hash_name=hash_name,
        tbs_hash=hashlib.new(hash_name, tbs).digest() if hash_name else None,
        signature=sig,
        verified=verified,
        reason=reason,
        detail=detail,
    )


# --- tampering ------------------------------------------------------------------

TAMPER_FIELDS: dict[str, str] = {
    "subject": "the subject name (an RFC 4514 string)",
    "san": "the SAN dNSNames (a name or a tuple of names)",
    "public_key": "the public key (a seed label: the key derived from it replaces the real one)",
    "not_before": "the start of validity (a datetime)",
    "not_after": "the end of validity (a datetime)",
    "eku": "the extended key usages (a name or a tuple of names: server_auth, code_signing...)",
    "serial": "the serial number (an int)",
}
"""The fields :func:`tamper` can change, and what ``new_value`` is for each."""

_TAMPER_DEFAULTS: dict[str, object] = {
    "subject": "CN=www.bank.example",
    "san": ("www.bank.example",),
    "public_key": "mallory",
    "eku": ("code_signing",),
}
_SPEC_FIELD = {
    "subject": "subject",
    "san": "dns_names",
    "public_key": "key_seed",
    "not_before": "not_before",
    "not_after": "not_after",
    "eku": "extended_key_usage",
    "serial": "serial",
}


@dataclasses.dataclass(frozen=True)
class ByteChange:
    """One run of changed bytes between the original and the tampered TBSCertificate.

    Attributes:
        field: the TBSCertificate field the change lies in.
        old_start: offset in the original TBS.
        old: the original bytes there.
        new_start: offset in the tampered TBS.
        new: the bytes that replaced them.
    """

    field: str
    old_start: int
    old: bytes
    new_start: int
    new: bytes

    def __str__(self) -> str:
        old = _short_hex(self.old, 12) or "(none)"
        new = _short_hex(self.new, 12) or "(none)"
        return f"{self.field}: {old} @{self.old_start} -> {new} @{self.new_start}"


def _diff(old: bytes, new: bytes) -> tuple[ByteChange, ...]:
    """Runs of changed bytes; runs separated by fewer than 4 equal bytes are merged."""
    ops = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()]
    runs: list[list[int]] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        if runs and i1 - runs[-1][1] < 4 and j1 - runs[-1][3] < 4:
            runs[-1][1], runs[-1][3] = i2, j2
        else:
            runs.append([i1, i2, j1, j2])
    old_spans, new_spans = tbs_fields(old), tbs_fields(new)
    out = []
    for i1, i2, j1, j2 in runs:
        name = _field_at(new_spans, j1, j2) if j2 > j1 else _field_at(old_spans, i1, i2)
        out.append(ByteChange(name, i1, old[i1:i2], j1, new[j1:j2]))
    return tuple(out)


def splice(tbs: bytes, cert_der: bytes) -> bytes:
    """A Certificate with ``tbs`` and the signature algorithm and value of ``cert_der``.

    Args:
        tbs: a TBSCertificate DER.
        cert_der: the certificate whose signature to reuse.

    Returns:
        ``SEQUENCE { tbs, signatureAlgorithm, signatureValue }`` as DER.
    """
    _, alg, sig = certificate_parts(cert_der)
    return der.sequence(tbs, cert_der[alg.start : alg.end], cert_der[sig.start : sig.end])


@dataclasses.dataclass(frozen=True, repr=False)
class Tampered(_Renders):
    """A certificate with one field changed and the CA's original signature kept.

    Build with :func:`tamper`.

    Attributes:
        field: which field was changed (a key of :data:`TAMPER_FIELDS`).
        old_value: the original value, as text.
        new_value: the new value, as text.
        certificate: the tampered certificate (real DER, loadable anywhere).
        original: the signature check of the original: the passing control.
        tampered: the signature check of the tampered certificate.
        changes: the runs of bytes that differ between the two TBSCertificates.
    """

    field: str
    old_value: str
    new_value: str
    certificate: x509.Certificate
    original: SignatureOne
    tampered: SignatureOne
    changes: tuple[ByteChange, ...]

    def __repr__(self) -> str:
        verdict = "verified" if self.verified else "FAILED"
        return f"<Tampered {self.field}: {self.old_value!r} -> {self.new_value!r}: {verdict}>"

    _repr_pretty_ = _Renders._repr_pretty_

    @property
    def verified(self) -> bool:
        """Whether the tampered certificate still verifies (it should not)."""
        return self.tampered.verified

    @property
    def der(self) -> bytes:
        """The tampered certificate's DER."""
        return self.tampered.der

    @property
    def pem(self) -> Blob:
        """The tampered certificate as PEM, e.g. to hand to ``openssl verify``."""
        return Blob(self.certificate.public_bytes(serialization.Encoding.PEM))

    @property
    def committed_hash(self) -> bytes | None:
        """The hash the CA's signature commits to: the hash of the original TBS."""
        return self.original.tbs_hash

    @property
    def new_hash(self) -> bytes | None:
        """The hash a verifier computes from the tampered TBS."""
        return self.tampered.tbs_hash

    @property
    def changed_bytes(self) -> int:
        """How many bytes of the tampered TBSCertificate differ from the original."""
        return sum(len(c.new) for c in self.changes)

    def new_tbs_dump(self) -> HexDump:
        """The tampered TBSCertificate as a hex dump with the changed bytes marked."""
        marks = [(c.new_start, c.new_start + len(c.new)) for c in self.changes]
        return hexdump(self.tampered.tbs, marks=marks)

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        old_len, new_len = self.original.tbs_length, self.tampered.tbs_length
        label = hash_label(self.original.hash_name)
        rows = [
            ("signature", "the CA's original signature, unchanged"),
            ("TBSCertificate", f"{old_len} -> {new_len} bytes, "
             f"{_plural(self.changed_bytes, 'byte')} changed in "
             f"{_plural(len(self.changes), 'run')}"),
        ]  # fmt: skip
        for c in self.changes:
            rows.append(
                (
                    c.field,
                    f"old @{c.old_start}: {_short_hex(c.old, 12) or '(none)'}\n"
                    f"new @{c.new_start}: {_short_hex(c.new, 12) or '(none)'}",
                )
            )
        if self.committed_hash is not None and self.new_hash is not None:
            recovered = self.tampered.recovered_hash
            how = " (read back out of the signature)" if recovered is not None else ""
            rows += [
                (f"signed {label}{how}", _hex(recovered or self.committed_hash)),
                (f"{label} of the tampered TBS", _hex(self.new_hash)),
            ]
        rows += [
            ("original (control)", ("VERIFIED" if self.original.verified else "FAILED")),
            (
                "tampered",
                ("still VERIFIES" if self.verified else "FAILED: ") + self.tampered.reason,
            ),
        ]
        return f"Tampered {self.field}: {self.old_value} -> {self.new_value}", rows

    def _repr_html_(self) -> str:
        return super()._repr_html_() + self.new_tbs_dump()._repr_html_()


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "(derived)" if value is None else str(value)


def tamper(cert: Issued, field: str, new_value: object = None) -> Tampered:
    """Change one field of a certificate but keep the CA's original signature.

    The changed certificate is built by the factory from the same spec with
    the field replaced (``dataclasses.replace``) and the same issuer; its
    fresh, valid signature is thrown away, and the ORIGINAL signature value is
    spliced onto the NEW TBSCertificate bytes. The result is a real DER
    certificate - exactly what an attacker who edits a certificate gets.

    Args:
        cert: a deterministic certificate from the factory.
        field: one of :data:`TAMPER_FIELDS`.
        new_value: the new value; ``None`` picks a telling one (a bank's name,
            Mallory's key, validity stretched by five years, code signing
            instead of serverAuth, the next serial number).

    Returns:
        A :class:`Tampered`, which renders itself.

    Raises:
        ValueError: for an unknown field, a live certificate (rebuilding it
            would change its key and serial too), or a value equal to the
            original.
        TypeError: for a value of the wrong type.
    """
    if field not in TAMPER_FIELDS:
        raise ValueError(f"unknown field {field!r}; choose one of {', '.join(TAMPER_FIELDS)}")
    if not isinstance(cert, Issued):
        raise TypeError("tamper needs an Issued from the factory (it rebuilds the spec)")
    if cert.live:
        raise ValueError("tamper needs a deterministic certificate, not a live one")
    spec = cert.spec
    if new_value is None:
        if field == "serial":
            new_value = cert.certificate.serial_number + 1
        elif field in ("not_before", "not_after"):
            when: _dt.datetime = getattr(spec, field)
            new_value = when.replace(year=when.year + (5 if field == "not_after" else -5))
        else:
            new_value = _TAMPER_DEFAULTS[field]
    if field in ("san", "eku") and isinstance(new_value, str):
        new_value = (new_value,)
    expected: type | tuple[type, ...] = {
        "not_before": _dt.datetime,
        "not_after": _dt.datetime,
        "serial": int,
        "san": tuple,
        "eku": tuple,
    }.get(field, str)
    if not isinstance(new_value, expected):
        raise TypeError(f"{field}: expected {TAMPER_FIELDS[field]}, got {new_value!r}")
    attr = _SPEC_FIELD[field]
    if field == "serial":
        old_value: object = cert.certificate.serial_number
    elif field == "public_key":
        old_value = spec.seed
    else:
        old_value = getattr(spec, attr)
    changes: dict[str, Any] = {attr: new_value}
    changed = build(dataclasses.replace(spec, **changes), issuer=cert.issuer)
    old_der, new_tbs = cert.der, changed.certificate.tbs_certificate_bytes
    if new_tbs == cert.certificate.tbs_certificate_bytes:
        raise ValueError(f"{field}: {new_value!r} is the value the certificate already has")
    forged = x509.load_der_x509_certificate(splice(new_tbs, old_der))
    issuer = cert.issuer if cert.issuer is not None else cert
    original = signature_one(cert.certificate, issuer)
    tampered = signature_one(forged, issuer)
    shown = {"public_key": "key derived from {!r}"}.get(field, "{}")
    return Tampered(
        field=field,
        old_value=shown.format(_text(old_value)) if field == "public_key" else _text(old_value),
        new_value=shown.format(_text(new_value)) if field == "public_key" else _text(new_value),
        certificate=forged,
        original=original,
        tampered=tampered,
        changes=_diff(cert.certificate.tbs_certificate_bytes, new_tbs),
    )


def tamper_summary(results: Sequence[Tampered]) -> Table:
    """One row per tampered certificate: what changed, how many bytes, both verdicts.

    Args:
        results: :class:`Tampered` results.

    Returns:
        A :class:`~pkiviz.table.Table`, which renders itself.
    """
    rows = tuple(
        (
            t.field,
            f"{t.old_value} -> {t.new_value}",
            str(t.changed_bytes),
            "verified" if t.original.verified else "FAILED",
            "still verifies" if t.verified else "FAILED",
        )
        for t in results
    )
    columns = ("field", "change", "bytes changed", "original", "tampered")
    return Table(columns, rows, caption="Tampered certificates, each keeping the CA's signature")


def resign_pss(cert: Issued, *, salt_length: int | None = None) -> x509.Certificate:
    """The same certificate, signed by the same RSA issuer with RSA-PSS instead of PKCS#1 v1.5.

    Every field is copied; only the signature algorithm (and so the signature)
    differs. PSS salts every signature with fresh random bytes, so two calls
    give two different signatures over the same fields.

    Args:
        cert: a certificate whose issuer holds an RSA key.
        salt_length: PSS salt length in bytes; ``None`` means the hash length.

    Returns:
        The RSA-PSS-signed certificate.

    Raises:
        ValueError: if the issuer's key is not RSA.
    """
    issuer = cert.issuer if cert.issuer is not None else cert
    key = issuer.private_key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"RSA-PSS needs an RSA issuer, not {describe_key(key.public_key())}")
    old = cert.certificate
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.issuer)
        .public_key(old.public_key())
        .serial_number(old.serial_number)
        .not_valid_before(old.not_valid_before_utc)
        .not_valid_after(old.not_valid_after_utc)
    )
    for ext in old.extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    algorithm = old.signature_hash_algorithm
    if not isinstance(algorithm, hashes.SHA256 | hashes.SHA384 | hashes.SHA512):
        algorithm = hashes.SHA256()
    salt = padding.PSS.DIGEST_LENGTH if salt_length is None else salt_length
    pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=salt)
    return builder.sign(key, algorithm, rsa_padding=pss)
