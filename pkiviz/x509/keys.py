"""Private keys: derived from a seed label (deterministic) or freshly random (live).

A book that prints fingerprints needs the same key on every run, so
:func:`derive_key` turns a label such as ``"login.example.com"`` into a key:

* EC (P-256, P-384): the private scalar is drawn from a SHA-256 counter stream
  seeded with the label, reduced into ``[1, n-1]``.
* Ed25519: the 32-byte private seed is the first output block of that stream.
* ML-DSA-44/65/87 (FIPS 204): the 32-byte seed xi that ML-DSA.KeyGen expands
  (FIPS 204 Algorithm 1/6) is the first output block of that stream, as for
  Ed25519; RFC 9881 stores an ML-DSA private key as this seed too.
* RSA: two primes are drawn from the stream (top two bits set, sieved by small
  primes, then Miller-Rabin with bases from the stream), e = 65537.

These keys are for teaching and testing: anyone who knows the label knows the
key. :func:`generate_key` makes real random keys for live handshakes.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterator
from typing import Literal, get_args

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa

KeyType = Literal[
    "ec-p256",
    "ec-p384",
    "ed25519",
    "rsa-1024",
    "rsa-2048",
    "rsa-3072",
    "rsa-4096",
    "ml-dsa-44",
    "ml-dsa-65",
    "ml-dsa-87",
]
KEY_TYPES: tuple[str, ...] = get_args(KeyType)

MLDSAPrivateKey = mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey
MLDSAPublicKey = mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey

PrivateKey = (
    ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | MLDSAPrivateKey
)
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey | MLDSAPublicKey

_MLDSAClass = (
    type[mldsa.MLDSA44PrivateKey] | type[mldsa.MLDSA65PrivateKey] | type[mldsa.MLDSA87PrivateKey]
)
_MLDSA: dict[str, _MLDSAClass] = {
    "ml-dsa-44": mldsa.MLDSA44PrivateKey,
    "ml-dsa-65": mldsa.MLDSA65PrivateKey,
    "ml-dsa-87": mldsa.MLDSA87PrivateKey,
}
_MLDSA_NAMES: dict[type, str] = {
    mldsa.MLDSA44PrivateKey: "ml-dsa-44",
    mldsa.MLDSA44PublicKey: "ml-dsa-44",
    mldsa.MLDSA65PrivateKey: "ml-dsa-65",
    mldsa.MLDSA65PublicKey: "ml-dsa-65",
    mldsa.MLDSA87PrivateKey: "ml-dsa-87",
    mldsa.MLDSA87PublicKey: "ml-dsa-87",
}

_CURVES: dict[str, ec.EllipticCurve] = {"ec-p256": ec.SECP256R1(), "ec-p384": ec.SECP384R1()}
_CURVE_ORDER = {
    "ec-p256": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    "ec-p384": int(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
        "581A0DB248B0A77AECEC196ACCC52973",
        16,
    ),
}
_SMALL_PRIMES = [
    p for p in range(3, 20000, 2) if all(p % d for d in range(3, math.isqrt(p) + 1, 2))
]
_SMALL_PRODUCT = math.prod(_SMALL_PRIMES)


def check_key_type(key_type: str) -> str:
    """Return ``key_type`` if pkiviz knows it, else raise ``ValueError``.

    Args:
        key_type: one of :data:`KEY_TYPES`.

    Returns:
        The same string.

    Raises:
        ValueError: for an unknown key type.
    """
    if key_type not in KEY_TYPES:
        raise ValueError(f"unknown key type {key_type!r}; choose one of {', '.join(KEY_TYPES)}")
    return key_type


def seed_stream(seed: str, purpose: str) -> Iterator[bytes]:
    """Yield 32-byte blocks: SHA-256(domain | purpose | seed | counter)."""
    prefix = b"pkiviz-key-v1\x00" + purpose.encode() + b"\x00" + seed.encode("utf-8") + b"\x00"
    counter = 0
    while True:
        yield hashlib.sha256(prefix + counter.to_bytes(8, "big")).digest()
        counter += 1


def _draw_int(blocks: Iterator[bytes], bits: int) -> int:
    nbytes = (bits + 7) // 8
    buf = b""
    while len(buf) < nbytes:
        buf += next(blocks)
    return int.from_bytes(buf[:nbytes], "big") >> (nbytes * 8 - bits)


def _is_probable_prime(n: int, blocks: Iterator[bytes], rounds: int = 8) -> bool:
    # Miller-Rabin: base 2 first (it rejects almost every composite), then
    # ``rounds`` bases drawn from the stream. For random candidates of 512 bits
    # and more, FIPS 186-5 table B.1 asks for at most 7 rounds for 2^-100 error.
    if math.gcd(n, _SMALL_PRODUCT) != 1:
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for i in range(rounds + 1):
        a = 2 if i == 0 else 2 + _draw_int(blocks, n.bit_length() + 64) % (n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _draw_prime(blocks: Iterator[bytes], bits: int, e: int) -> int:
    while True:
        candidate = _draw_int(blocks, bits) | (0b11 << (bits - 2)) | 1
        if math.gcd(candidate, _SMALL_PRODUCT) != 1:
            continue
        if math.gcd(candidate - 1, e) != 1:
            continue
        if _is_probable_prime(candidate, blocks):
            return candidate


def _rsa_from_primes(p: int, q: int, e: int = 65537) -> rsa.RSAPrivateKey:
    if p < q:
        p, q = q, p
    d = pow(e, -1, math.lcm(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=rsa.rsa_crt_dmp1(d, p),
        dmq1=rsa.rsa_crt_dmq1(d, q),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(e=e, n=p * q),
    )
    return numbers.private_key()


@functools.lru_cache(maxsize=256)
def derive_key(key_type: str, seed: str) -> PrivateKey:
    """Derive a private key from a seed label; the same inputs give the same key.

    Args:
        key_type: one of :data:`KEY_TYPES`, e.g. ``"ec-p256"``, ``"rsa-2048"``
            or ``"ml-dsa-44"``.
        seed: any text; the key is a pure function of ``(key_type, seed)``.

    Returns:
        A cryptography private key object.

    Raises:
        ValueError: for an unknown key type.
    """
    check_key_type(key_type)
    blocks = seed_stream(seed, key_type)
    if key_type in _CURVES:
        order = _CURVE_ORDER[key_type]
        scalar = 1 + _draw_int(blocks, order.bit_length() + 64) % (order - 1)
        return ec.derive_private_key(scalar, _CURVES[key_type])
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(next(blocks))
    if key_type in _MLDSA:
        return _MLDSA[key_type].from_seed_bytes(next(blocks))
    bits = int(key_type.split("-")[1])
    e = 65537
    while True:
        p = _draw_prime(blocks, bits // 2, e)
        q = _draw_prime(blocks, bits // 2, e)
        if p != q and (p * q).bit_length() == bits:
            return _rsa_from_primes(p, q, e)


def generate_key(key_type: str) -> PrivateKey:
    """Generate a fresh random private key (live mode).

    Args:
        key_type: one of :data:`KEY_TYPES`.

    Returns:
        A cryptography private key object from the OS's randomness.

    Raises:
        ValueError: for an unknown key type.
    """
    check_key_type(key_type)
    if key_type in _CURVES:
        return ec.generate_private_key(_CURVES[key_type])
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type in _MLDSA:
        return _MLDSA[key_type].generate()
    return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type.split("-")[1]))


def key_type_of(key: PrivateKey | PublicKey) -> str:
    """Name a key's type the way pkiviz does (``"ec-p256"``, ``"rsa-2048"``...).

    Args:
        key: a private or public key.

    Returns:
        The key-type name; for curves or sizes pkiviz does not build, a
        descriptive name such as ``"ec-secp521r1"`` or ``"rsa-1536"``.
    """
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        name = key.curve.name
        return {"secp256r1": "ec-p256", "secp384r1": "ec-p384"}.get(name, f"ec-{name}")
    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return f"rsa-{key.key_size}"
    for cls, name in _MLDSA_NAMES.items():
        if isinstance(key, cls):
            return name
    return type(key).__name__
