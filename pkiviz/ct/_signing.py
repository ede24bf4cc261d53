"""Signing and verifying the ``digitally-signed`` structs of CT: ECDSA and RSA with SHA-256.

RFC 6962 2.1.4 allows logs exactly two algorithms: ECDSA over NIST P-256 and
RSA (PKCS#1 v1.5, at least 2048 bits), both with SHA-256. Signing is
deterministic here (RFC 6979 ECDSA; PKCS#1 v1.5 is deterministic by design).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pkiviz.vocabulary import verify_signature

#: TLS ``HashAlgorithm.sha256`` (RFC 5246 7.4.1.4.1).
HASH_SHA256 = 4
#: TLS ``SignatureAlgorithm`` codes for the two algorithms logs use.
SIGNATURE_RSA = 1
SIGNATURE_ECDSA = 3

LogPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
LogPublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def signature_code(key: LogPrivateKey | LogPublicKey) -> int:
    """The TLS signature-algorithm code for a log key (3 for ECDSA, 1 for RSA)."""
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return SIGNATURE_ECDSA
    return SIGNATURE_RSA


def sign(key: LogPrivateKey, data: bytes) -> bytes:
    """Sign ``data`` with SHA-256: deterministic ECDSA or RSA PKCS#1 v1.5."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    return key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def check_signature(
    public_key: object, hash_alg: int, sig_alg: int, signature: bytes, data: bytes
) -> tuple[str, str] | None:
    """Verify a ``digitally-signed`` struct; ``None`` if it holds, else why not (never raises).

    Args:
        public_key: the log's public key.
        hash_alg: the struct's TLS hash code (must be 4, sha256).
        sig_alg: the struct's TLS signature code (3 ecdsa or 1 rsa, matching the key).
        signature: the signature bytes.
        data: the bytes that were signed.

    Returns:
        ``None`` when valid; otherwise ``(kind, sentence)`` with kind
        ``"algorithm"`` (an algorithm RFC 6962 does not allow, or not the
        log's) or ``"signature"`` (the signature does not verify).
    """
    if hash_alg != HASH_SHA256:
        return (
            "algorithm",
            f"hash algorithm {hash_alg} is not sha256 (4), the only one RFC 6962 allows",
        )
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if sig_alg != SIGNATURE_ECDSA:
            return (
                "algorithm",
                f"the log's key is ECDSA but the signature says algorithm {sig_alg}",
            )
        if not verify_signature(public_key, signature, data, hash_algorithm=hashes.SHA256()):
            return ("signature", "the ECDSA signature does not verify with the log's key")
        return None
    if isinstance(public_key, rsa.RSAPublicKey):
        if sig_alg != SIGNATURE_RSA:
            return ("algorithm", f"the log's key is RSA but the signature says algorithm {sig_alg}")
        if not verify_signature(public_key, signature, data, hash_algorithm=hashes.SHA256()):
            return ("signature", "the RSA signature does not verify with the log's key")
        return None
    return ("algorithm", f"the log's key type {type(public_key).__name__} is neither ECDSA nor RSA")
