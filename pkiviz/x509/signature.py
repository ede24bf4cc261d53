"""Signature one, shown for real: the CA's signature over a certificate.

A certificate is three things in a row (RFC 5280 4.1.1): the *TBSCertificate*
("to be signed": every field - serial, issuer, validity, subject, public key,
extensions), the signature algorithm, and the signature value. The issuer
signs the TBSCertificate bytes exactly as they appear in the DER; a verifier
takes those same bytes from the certificate it received and checks the
signature with the issuer's public key (RFC 5280 4.1.1.3).

:func:`signature_one` opens that check up: the signed bytes and their fields
by offset (:func:`certificate_parts`, :func:`tbs_fields`), the hash the
verifier computes itself, the signature value, cryptography's verdict (which
never raises), and how the check works for the scheme at hand - one of the
records of :mod:`pkiviz.x509.signature_schemes`.

:mod:`pkiviz.x509.tamper` changes one field of a certificate, keeps the CA's
original signature, and shows with :func:`signature_one` that the changed
bytes no longer verify.
"""

from __future__ import annotations

import dataclasses
import hashlib

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from pkiviz._rows import Renders, hex_block
from pkiviz.vocabulary import SIGNATURE_ALGORITHMS, mldsa_name, verify_signature
from pkiviz.x509 import der
from pkiviz.x509.factory import Issued
from pkiviz.x509.keys import PublicKey
from pkiviz.x509.signature_schemes import (
    Detail,
    RsaRecovery,
    describe_key,
    ecdsa_check,
    ed25519_check,
    hash_label,
    pss_recover,
    rsa_recover,
)

# --- names -------------------------------------------------------------------


def _describe(key: object) -> str:
    return mldsa_name(key) or describe_key(key)


_TBS_FIELDS = (
    "serialNumber",
    "signature",
    "issuer",
    "validity",
    "subject",
    "subjectPublicKeyInfo",
)
_TBS_TAGGED = {0xA1: "issuerUniqueID", 0xA2: "subjectUniqueID", 0xA3: "extensions"}


# --- byte ranges ----------------------------------------------------------------


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
    if kids and kids[0].identifier == 0xA0:
        first = kids.pop(0)
        spans.append(Span("version", first.start, first.content_start, first.end))
    for name, el in zip(_TBS_FIELDS, kids, strict=False):
        spans.append(Span(name, el.start, el.content_start, el.end))
        if name == "validity":
            for sub, t in zip(("notBefore", "notAfter"), der.children(tbs, el), strict=True):
                spans.append(Span(sub, t.start, t.content_start, t.end))
    for el in kids[len(_TBS_FIELDS) :]:
        name = _TBS_TAGGED.get(el.identifier, f"[{el.identifier & 0x1F}]")
        spans.append(Span(name, el.start, el.content_start, el.end))
        if name != "extensions":
            continue
        (seq,) = der.children(tbs, el)
        for ext in der.children(tbs, seq):
            oid = der.decode_oid(der.children(tbs, ext)[0].content(tbs))
            label = "extension " + der.oid_name(oid)
            spans.append(Span(label, ext.start, ext.content_start, ext.end))
    return tuple(spans)


# --- the verification itself: the one place cryptography's exceptions are caught


def _verify(cert: x509.Certificate, key: object) -> tuple[bool, str]:
    """Check the certificate's signature with ``key``; never raises."""
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    alg = SIGNATURE_ALGORITHMS.get(
        cert.signature_algorithm_oid.dotted_string, cert.signature_algorithm_oid.dotted_string
    )
    mismatch = (
        f"the certificate says {alg}, but the key given is {_describe(key)}: "
        "that key cannot have made this signature"
    )
    try:
        params = cert.signature_algorithm_parameters
        algorithm = cert.signature_hash_algorithm
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        return False, f"the signature cannot be checked: {exc}"
    if isinstance(key, rsa.RSAPublicKey):
        if not isinstance(params, padding.PKCS1v15 | padding.PSS) or algorithm is None:
            return False, mismatch
        checked = verify_signature(key, sig, tbs, hash_algorithm=algorithm, padding=params)
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(params, ec.ECDSA):
            return False, mismatch
        checked = verify_signature(key, sig, tbs, hash_algorithm=params.algorithm)
    elif isinstance(key, ed25519.Ed25519PublicKey):
        if alg != "Ed25519":
            return False, mismatch
        checked = verify_signature(key, sig, tbs)
    elif mldsa_name(key) is not None:
        # RFC 9881 3: pure ML-DSA over the TBSCertificate with the empty context string.
        if alg != mldsa_name(key):
            return False, mismatch
        checked = verify_signature(key, sig, tbs)
    else:
        return False, f"pkiviz does not check signatures made with {_describe(key)} keys"
    if checked.outcome == "invalid":
        return False, (
            "the signature does not match: these TBSCertificate bytes are not what the "
            "holder of this key signed"
        )
    if not checked:
        return False, f"the signature cannot be checked: {checked.detail}"
    return True, (
        "the signature matches: the holder of this key signed exactly these TBSCertificate bytes"
    )


# --- signature one ------------------------------------------------------------

_NO_HASH_UP_FRONT = {
    "Ed25519": "none up front: Ed25519 hashes R, the key and the TBS inside the check",
    **{
        name: f"none up front: {name} hashes the key's hash and the TBS inside the "
        "signature (FIPS 204 Algorithm 7, mu = H(tr || M'))"
        for name in ("ML-DSA-44", "ML-DSA-65", "ML-DSA-87")
    },
}


@dataclasses.dataclass(frozen=True, repr=False)
class SignatureOne(Renders):
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
        hash_name: the hash the algorithm names (``None`` for Ed25519 and ML-DSA).
        tbs_hash: that hash of ``tbs``, as the verifier computes it
            independently (``None`` for Ed25519 and ML-DSA: they hash internally).
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
    _repr_pretty_ = Renders._repr_pretty_

    @property
    def scheme(self) -> str:
        """``"RSA PKCS#1 v1.5"``, ``"RSA-PSS"``, ``"ECDSA"``, ``"Ed25519"`` or ``"ML-DSA-44"``..."""
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
                hex_block(self.tbs_hash)
                if self.tbs_hash
                else _NO_HASH_UP_FRONT.get(self.algorithm, "none up front"),
            ),
            (f"signature, {len(self.signature)} bytes", hex_block(self.signature)),
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
        detail = pss_recover(certificate, key)
    elif isinstance(key, rsa.RSAPublicKey) and "RSA" in algorithm and hash_name:
        detail = rsa_recover(sig, tbs, key, hash_name)
    elif isinstance(key, ec.EllipticCurvePublicKey) and "ecdsa" in algorithm and hash_name:
        detail = ecdsa_check(sig, tbs, key, hash_name)
    elif isinstance(key, ed25519.Ed25519PublicKey) and algorithm == "Ed25519":
        detail = ed25519_check(sig, tbs, key)
    return SignatureOne(
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        checked_with=checked_with,
        key=_describe(key),
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
