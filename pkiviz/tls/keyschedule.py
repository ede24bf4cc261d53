"""Record protection keys from key-log secrets: TLS 1.3 and TLS 1.2 AEAD suites.

Pure functions, no sockets:

* :func:`parse_keylog` reads the NSS key log format that
  ``SSLContext.keylog_filename`` (and curl's ``SSLKEYLOGFILE``) writes.
* :func:`hkdf_expand_label` is RFC 8446 7.1's HKDF-Expand-Label;
  :func:`traffic_keys` turns a traffic secret into key and IV (RFC 8446 7.3).
* :func:`tls12_key_block` is RFC 5246 5/6.3's PRF key expansion.
* :class:`RecordCipher` opens one direction's AEAD records (RFC 8446 5.2-5.3
  for TLS 1.3; RFC 5288 / RFC 7905 nonces and RFC 5246 6.2.3.3 AAD for 1.2).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from pkiviz.errors import InputError
from pkiviz.tls.names import hash_name_of_suite
from pkiviz.vocabulary import HASHES


def parse_keylog(text: str) -> dict[tuple[str, bytes], bytes]:
    """Parse NSS key log lines ``LABEL <client_random hex> <secret hex>``.

    Args:
        text: the key log file's contents.

    Returns:
        ``{(label, client_random): secret}``.

    Raises:
        InputError: a line is malformed.
    """
    out: dict[tuple[str, bytes], bytes] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        try:
            label, random, secret = parts
            out[(label, bytes.fromhex(random))] = bytes.fromhex(secret)
        except ValueError:
            raise InputError(f"key log line {number}: not 'LABEL RANDOM SECRET'") from None
    return out


def hkdf_expand_label(
    secret: bytes, label: str, context: bytes, length: int, hash_name: str
) -> bytes:
    """RFC 8446 7.1 HKDF-Expand-Label.

    Args:
        secret: the PRK.
        label: the label without the ``"tls13 "`` prefix, e.g. ``"key"``.
        context: the context (empty for traffic keys).
        length: output length.
        hash_name: ``"sha256"`` or ``"sha384"``.

    Returns:
        ``length`` bytes.
    """
    full = b"tls13 " + label.encode("ascii")
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    return HKDFExpand(HASHES[hash_name](), length, info).derive(secret)


def _aead_params(suite: str) -> tuple[str, int, int]:
    """(aead, key length, iv length) for a suite name."""
    if "CHACHA20_POLY1305" in suite:
        return "chacha20", 32, 12
    if "AES_128_GCM" in suite:
        return "aesgcm", 16, 12
    if "AES_256_GCM" in suite:
        return "aesgcm", 32, 12
    raise InputError(f"{suite}: pkiviz decrypts AES-GCM and ChaCha20-Poly1305 suites only")


def traffic_keys(secret: bytes, suite: str) -> tuple[bytes, bytes]:
    """RFC 8446 7.3: the write key and IV for a TLS 1.3 traffic secret.

    Args:
        secret: e.g. the SERVER_HANDSHAKE_TRAFFIC_SECRET.
        suite: the cipher suite name.

    Returns:
        ``(key, iv)``.
    """
    _, key_len, iv_len = _aead_params(suite)
    hash_name = hash_name_of_suite(suite)
    return (
        hkdf_expand_label(secret, "key", b"", key_len, hash_name),
        hkdf_expand_label(secret, "iv", b"", iv_len, hash_name),
    )


def tls12_prf(secret: bytes, label: bytes, seed: bytes, length: int, hash_name: str) -> bytes:
    """RFC 5246 5 PRF: P_hash(secret, label + seed).

    Args:
        secret: e.g. the master secret.
        label: ASCII label, e.g. ``b"key expansion"``.
        seed: the seed.
        length: output length.
        hash_name: ``"sha256"`` or ``"sha384"``.

    Returns:
        ``length`` bytes.
    """
    digest = getattr(hashlib, hash_name)
    seed = label + seed
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, digest).digest()
        out += hmac.new(secret, a + seed, digest).digest()
    return out[:length]


def tls12_key_block(
    master: bytes, client_random: bytes, server_random: bytes, suite: str
) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """RFC 5246 6.3 key expansion for an AEAD suite (no MAC keys).

    Returns:
        ``((client_key, client_iv), (server_key, server_iv))``; the IV is the
        4-byte GCM salt or the 12-byte ChaCha20 IV.
    """
    aead, key_len, _ = _aead_params(suite)
    iv_len = 12 if aead == "chacha20" else 4
    block = tls12_prf(
        master,
        b"key expansion",
        server_random + client_random,
        2 * (key_len + iv_len),
        hash_name_of_suite(suite),
    )
    ck, sk = block[:key_len], block[key_len : 2 * key_len]
    civ, siv = block[2 * key_len : 2 * key_len + iv_len], block[2 * key_len + iv_len :]
    return (ck, civ), (sk, siv)


@dataclasses.dataclass
class RecordCipher:
    """Opens one direction's protected records, counting sequence numbers.

    Attributes:
        suite: cipher suite name.
        key: the write key.
        iv: the write IV (TLS 1.3 / ChaCha20) or 4-byte salt (TLS 1.2 GCM).
        tls13: TLS 1.3 record protection rather than TLS 1.2.
        seq: the next record's sequence number.
    """

    suite: str
    key: bytes
    iv: bytes
    tls13: bool
    seq: int = 0

    def open(self, header: bytes, fragment: bytes) -> tuple[int, bytes]:
        """Decrypt one record.

        Args:
            header: the 5-byte record header.
            fragment: the record body.

        Returns:
            ``(content_type, plaintext)``; in TLS 1.3 the inner content type
            with padding removed.

        Raises:
            InputError: authentication fails (wrong key or corrupted record).
        """
        aead_name, _, _ = _aead_params(self.suite)
        aead = ChaCha20Poly1305(self.key) if aead_name == "chacha20" else AESGCM(self.key)
        seq = self.seq.to_bytes(8, "big")
        try:
            if self.tls13:
                nonce = bytes(a ^ b for a, b in zip(self.iv, bytes(4) + seq, strict=True))
                inner = aead.decrypt(nonce, fragment, header)
                stripped = inner.rstrip(b"\x00")
                if not stripped:
                    raise InputError("decrypted TLS 1.3 record has no content type")
                content_type, plaintext = stripped[-1], stripped[:-1]
            else:
                if aead_name == "chacha20":
                    nonce = bytes(a ^ b for a, b in zip(self.iv, bytes(4) + seq, strict=True))
                    body = fragment
                else:
                    nonce, body = self.iv + fragment[:8], fragment[8:]
                aad = seq + header[:3] + (len(body) - 16).to_bytes(2, "big")
                plaintext = aead.decrypt(nonce, body, aad)
                content_type = header[0]
        except InvalidTag:
            raise InputError(
                f"record {self.seq} does not authenticate (wrong key log or corrupted bytes)"
            ) from None
        self.seq += 1
        return content_type, plaintext
