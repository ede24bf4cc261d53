"""How each signature scheme is checked, step by step, in plain ints.

:func:`pkiviz.x509.signature.signature_one` gets cryptography's verdict on a
certificate's signature; this module shows the check behind it, one record
per scheme, each of which renders itself:

* RSA PKCS#1 v1.5 (:class:`RsaRecovery`, :func:`rsa_recover`): the one
  scheme in which the hash really comes back out of the signature.
  ``s^e mod n`` gives the block ``00 01 FF..FF 00 || DigestInfo``
  (RFC 8017 8.2.2, 9.2).
* RSA-PSS (:class:`PssRecovery`, :func:`pss_recover`): ``s^e mod n`` gives
  a masked, salted block whose *structure* is checked (RFC 8017 9.1.2); the
  hash is not in it.
* ECDSA (:class:`EcdsaCheck`, :func:`ecdsa_check`): nothing to decrypt. The
  signature is two numbers (r, s); the verifier computes a curve point from
  the hash and the public key and checks that its x-coordinate equals r
  (FIPS 186-5 6.4.2, SEC 1 4.1.4).
* Ed25519 (:class:`Ed25519Check`, :func:`ed25519_check`): the signature is
  (R, S); the verifier hashes R, the public key and the whole message with
  SHA-512 itself and checks ``[S]B = R + [k]A`` (RFC 8032 5.1.7).

The curve arithmetic is :mod:`pkiviz.x509._curves`, written to be read, not used:
cryptography's verdict is the one that counts, and the two are compared.
"""

from __future__ import annotations

import dataclasses
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from pkiviz._rows import Renders, hex_block, int_hex, short_hex, yes
from pkiviz.vocabulary import DIGEST_OIDS
from pkiviz.x509 import der
from pkiviz.x509._curves import CURVES, ED_B, ED_L, ed_add, ed_decode, ed_encode, ed_mul

# --- names -------------------------------------------------------------------------

_DIGEST_NAMES = {oid: name for name, oid in DIGEST_OIDS.items()}


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
        curve = CURVES.get(key.curve.name)
        return f"EC {curve.name if curve else key.curve.name}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    return type(key).__name__


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


@dataclasses.dataclass(frozen=True, repr=False)
class RsaRecovery(Renders):
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
            shown = short_hex(part, 4) if label.startswith("PS") else hex_block(part)
            rows.append((label, shown))
        label = hash_label(self.hash_name)
        rows += [
            (f"{label} of the TBS bytes", hex_block(self.expected_hash)),
            ("hashes equal", yes(self.hash_matches)),
            ("EM == ENCODE(hash) (9.2)", yes(self.block_matches)),
            ("reading", self.reason),
        ]
        return "RSA PKCS#1 v1.5: recover EM = s^e mod n (RFC 8017 8.2.2)", rows


def rsa_recover(sig: bytes, tbs: bytes, key: rsa.RSAPublicKey, hash_name: str) -> RsaRecovery:
    """Recover EM = s^e mod n from a PKCS#1 v1.5 signature and read the hash in it.

    Args:
        sig: the signature value.
        tbs: the signed bytes.
        key: the RSA public key to check with.
        hash_name: the hash the signature algorithm names, e.g. ``"sha256"``.

    Returns:
        The recovery; a wrong key or changed bytes show in its fields, never as an exception.
    """
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
        if top.end != len(info) or top.identifier != der.SEQUENCE:
            return None, None
        alg, digest = der.children(info, top)
        oid = der.decode_oid(der.children(info, alg)[0].content(info))
        if digest.identifier != der.OCTET_STRING:
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
class PssRecovery(Renders):
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
            ("EM = s^e mod n", short_hex(self.encoded) if self.encoded else "(out of range)"),
            ("H (in EM)", hex_block(self.h)),
            ("salt (unmasked)", hex_block(self.salt) if self.salt is not None else "(not found)"),
            (f"{label} of the TBS bytes", hex_block(self.expected_hash)),
            ("H' = Hash(0*8||mHash||salt)", hex_block(self.h_prime or b"")),
            ("H == H'", yes(self.matches)),
            ("hash of TBS inside EM", yes(self.expected_hash in self.encoded)),
            ("reading", self.reason),
        ]  # fmt: skip
        return "RSA-PSS: recover EM = s^e mod n and check its structure (RFC 8017 9.1.2)", rows


def _pss_params(cert_der: bytes) -> tuple[str, str, int]:
    """Hash, MGF1 hash and salt length from RSASSA-PSS-params (RFC 4055 3.1)."""
    _, alg, _ = der.children(cert_der, der.read_tlv(cert_der))
    hash_name, mgf_hash, salt = "sha1", "sha1", 20
    params = der.children(cert_der, alg)
    if len(params) < 2:
        return hash_name, mgf_hash, salt
    for field in der.children(cert_der, params[1]):
        (inner,) = der.children(cert_der, field)
        if field.identifier == 0xA2:
            salt = int.from_bytes(inner.content(cert_der), "big")
            continue
        algid = der.children(cert_der, inner)
        if field.identifier == 0xA0:
            hash_name = _DIGEST_NAMES.get(der.decode_oid(algid[0].content(cert_der)), "?")
        elif field.identifier == 0xA1 and len(algid) > 1:
            mgf_alg = der.children(cert_der, algid[1])
            mgf_hash = _DIGEST_NAMES.get(der.decode_oid(mgf_alg[0].content(cert_der)), "?")
    return hash_name, mgf_hash, salt


def pss_recover(cert: x509.Certificate, key: rsa.RSAPublicKey) -> PssRecovery:
    """Recover EM = s^e mod n from an RSA-PSS signature and check its structure.

    Args:
        cert: an RSASSA-PSS-signed certificate (its parameters name the hashes and salt).
        key: the RSA public key to check with.

    Returns:
        The recovery; a wrong key or changed bytes show in its fields, never as an exception.
    """
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


@dataclasses.dataclass(frozen=True, repr=False)
class EcdsaCheck(Renders):
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
            ("r", int_hex(self.r)),
            ("s", int_hex(self.s)),
            (f"e = {hash_label(self.hash_name)}(TBS)", int_hex(self.e)),
            ("w = s^-1 mod n", int_hex(self.w)),
            ("u1 = e*w mod n", int_hex(self.u1)),
            ("u2 = r*w mod n", int_hex(self.u2)),
            ("R = u1*G + u2*Q: R.x", int_hex(self.x) if self.x is not None else "(none)"),
            ("R.x mod n == r", yes(self.matches)),
        ]
        return f"ECDSA on {self.curve}: verify, don't decrypt (FIPS 186-5 6.4.2)", rows


def ecdsa_check(
    sig: bytes, tbs: bytes, key: ec.EllipticCurvePublicKey, hash_name: str
) -> EcdsaCheck | None:
    """Redo the ECDSA verification equation in plain ints.

    Args:
        sig: the signature value, DER ``SEQUENCE { INTEGER r, INTEGER s }``.
        tbs: the signed bytes.
        key: the EC public key to check with.
        hash_name: the hash the signature algorithm names.

    Returns:
        The check, or ``None`` for a curve not in :data:`pkiviz.x509._curves.CURVES`
        or a signature that is not two DER integers.
    """
    curve = CURVES.get(key.curve.name)
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


@dataclasses.dataclass(frozen=True, repr=False)
class Ed25519Check(Renders):
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
        return self.s < ED_L and self.lhs == self.rhs

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        rows = [
            ("signature", "64 bytes: R (an encoded point) || S (an integer)"),
            ("R", hex_block(self.r_point)),
            ("S", int_hex(self.s)),
            ("A (issuer key)", hex_block(self.public_key)),
            ("k = SHA-512(R||A||TBS) mod L", int_hex(self.k)),
            ("[S]B", hex_block(self.lhs)),
            ("R + [k]A", hex_block(self.rhs) if self.rhs else "(not a curve point)"),
            ("[S]B == R + [k]A", yes(self.matches)),
        ]
        return "Ed25519: verify, don't decrypt (RFC 8032 5.1.7)", rows


def ed25519_check(sig: bytes, tbs: bytes, key: ed25519.Ed25519PublicKey) -> Ed25519Check | None:
    """Redo the Ed25519 verification equation ``[S]B = R + [k]A`` in plain ints.

    Args:
        sig: the 64-byte signature R || S.
        tbs: the signed bytes (the message itself: Ed25519 hashes inside the check).
        key: the Ed25519 public key to check with.

    Returns:
        The check, or ``None`` if the signature is not 64 bytes.
    """
    if len(sig) != 64 or ED_B is None:
        return None
    a_bytes = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    r_bytes, s = sig[:32], int.from_bytes(sig[32:], "little")
    k = int.from_bytes(hashlib.sha512(r_bytes + a_bytes + tbs).digest(), "little") % ED_L
    lhs = ed_encode(ed_mul(s, ED_B))
    r_point, a_point = ed_decode(r_bytes), ed_decode(a_bytes)
    rhs = b""
    if r_point is not None and a_point is not None:
        rhs = ed_encode(ed_add(r_point, ed_mul(k, a_point)))
    return Ed25519Check(r_bytes, s, a_bytes, k, lhs, rhs)


Detail = RsaRecovery | PssRecovery | EcdsaCheck | Ed25519Check
"""The record that shows how one scheme's check works."""
