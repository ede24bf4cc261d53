"""Shared pieces of the revocation modules: reason names, signing, verifying, CertID hashes.

Signature verification is wrapped here, in one place, so that a bad
signature becomes ``False`` and never an exception in the modules that
explain things.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from pkiviz.vocabulary import HASHES, verify_signature
from pkiviz.x509 import der
from pkiviz.x509.factory import Issued
from pkiviz.x509.keys import PrivateKey

#: RFC 5280 5.3.1 reason codes by the short names pkiviz uses.
REASONS: dict[str, x509.ReasonFlags] = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "ca_compromise": x509.ReasonFlags.ca_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
    "certificate_hold": x509.ReasonFlags.certificate_hold,
    "remove_from_crl": x509.ReasonFlags.remove_from_crl,
    "privilege_withdrawn": x509.ReasonFlags.privilege_withdrawn,
    "aa_compromise": x509.ReasonFlags.aa_compromise,
}

#: The hashes a CRL or OCSP response may be signed with here (a choice; the classes are in
#: pkiviz.vocabulary.HASHES).
_HASH_NAMES = ("sha1", "sha256", "sha384", "sha512")

#: The key types whose CRL and OCSP signatures pkiviz checks.
_SIGNER_KEYS = (
    ec.EllipticCurvePublicKey,
    rsa.RSAPublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
)


def reason_flag(name: str | None) -> x509.ReasonFlags | None:
    """Turn a short reason name into cryptography's flag.

    Args:
        name: a key of :data:`REASONS`, or ``None`` for no reason code.

    Returns:
        The flag, or ``None``.

    Raises:
        ValueError: for an unknown name.
    """
    if name is None:
        return None
    if name not in REASONS:
        raise ValueError(f"unknown revocation reason {name!r}; use one of {', '.join(REASONS)}")
    return REASONS[name]


def reason_name(flag: x509.ReasonFlags | None) -> str | None:
    """Turn cryptography's flag into pkiviz's short name (``None`` stays ``None``)."""
    if flag is None:
        return None
    for name, value in REASONS.items():
        if value is flag:
            return name
    return str(flag.value)


def hash_named(name: str) -> hashes.HashAlgorithm:
    """Return a hash object for ``"sha1"``, ``"sha256"``, ``"sha384"`` or ``"sha512"``.

    Raises:
        ValueError: for any other name.
    """
    if name not in _HASH_NAMES:
        raise ValueError(f"unknown hash {name!r}; use one of {', '.join(_HASH_NAMES)}")
    return HASHES[name]()


def default_hash(key: PrivateKey) -> hashes.HashAlgorithm | None:
    """The signature hash a CA would pick for its key: SHA-384 for P-384, none for Ed25519."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def sign(key: PrivateKey, data: bytes, algorithm: hashes.HashAlgorithm | None) -> bytes:
    """Sign deterministically: RFC 6979 ECDSA, RSA PKCS#1 v1.5, or Ed25519.

    Args:
        key: the signing key.
        data: the to-be-signed bytes.
        algorithm: the hash (ignored for Ed25519).

    Returns:
        The signature.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert algorithm is not None
        return key.sign(data, ec.ECDSA(algorithm, deterministic_signing=True))
    if isinstance(key, rsa.RSAPrivateKey):
        assert algorithm is not None
        return key.sign(data, padding.PKCS1v15(), algorithm)
    return key.sign(data)


def signature_ok(
    public_key: object,
    signature: bytes,
    data: bytes,
    algorithm: hashes.HashAlgorithm | None,
) -> bool:
    """Whether ``signature`` over ``data`` verifies with ``public_key``; never raises.

    Args:
        public_key: a cryptography public key (anything else is ``False``).
        signature: the signature bytes.
        data: the signed bytes.
        algorithm: the hash named by the signature algorithm.

    Returns:
        True if it verifies.
    """
    if not isinstance(public_key, _SIGNER_KEYS):
        return False
    return verify_signature(public_key, signature, data, hash_algorithm=algorithm).ok


def certificate_of(value: Issued | x509.Certificate) -> x509.Certificate:
    """The cryptography certificate inside an :class:`Issued` (or the certificate itself)."""
    return value.certificate if isinstance(value, Issued) else value


def key_bits(cert: x509.Certificate) -> bytes:
    """The subjectPublicKey bits of a certificate (what OCSP key hashes cover).

    That is the value of the SubjectPublicKeyInfo's BIT STRING (RFC 5280 4.1)
    without tag, length and unused-bits octet, as an OCSP CertID's
    issuerKeyHash and a responder's byKey ID hash it (RFC 6960 4.1.1, 4.2.1).
    """
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    _algorithm, bits = der.children(spki, der.read_single(spki, what="SubjectPublicKeyInfo"))
    return bits.content(spki)[1:]


def cert_id_hashes(issuer: x509.Certificate, algorithm: str) -> tuple[bytes, bytes]:
    """The issuerNameHash and issuerKeyHash of an OCSP CertID (RFC 6960 4.1.1).

    Args:
        issuer: the CA that issued the certificate asked about.
        algorithm: ``"sha1"`` (what almost everyone sends) or a SHA-2 name.

    Returns:
        (hash of the issuer's subject DER, hash of the issuer's public key bits).
    """
    name_hash = hashlib.new(algorithm, issuer.subject.public_bytes()).digest()
    key_hash = hashlib.new(algorithm, key_bits(issuer)).digest()
    return name_hash, key_hash


def utc(when: _dt.datetime | None) -> _dt.datetime | None:
    """``when`` as aware UTC (naive means UTC), ``None`` stays ``None``."""
    if when is None:
        return None
    if when.tzinfo is None:
        return when.replace(tzinfo=_dt.UTC)
    return when.astimezone(_dt.UTC)


def when_text(when: _dt.datetime | None) -> str:
    """A datetime as ``2026-03-01 12:00:00 UTC`` (or ``-``)."""
    value = utc(when)
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def html_table(title: str, rows: Iterable[tuple[str, str]]) -> str:
    """A small two-column HTML table with a caption; every cell is escaped.

    Args:
        title: the caption.
        rows: (label, value) pairs.

    Returns:
        HTML text.
    """
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
        f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table><caption>{html.escape(title)}</caption>{body}</table>"
