"""The glass-box client's key exchange: its key share and the shared secret, as data.

Two TLS 1.3 named groups, both from cryptography's public API:

* ``x25519`` (0x001D, RFC 8446 4.2.8.2, RFC 7748): the client sends its
  32-byte public key; the server answers with its own; both compute the same
  32-byte X25519 output.
* ``X25519MLKEM768`` (0x11EC, draft-ietf-tls-ecdhe-mlkem): a hybrid. The
  client's share is its ML-KEM-768 encapsulation key (1184 bytes) followed by
  an X25519 public key (32 bytes); the server's is an ML-KEM-768 ciphertext
  (1088 bytes) followed by its X25519 public key (32 bytes). The shared secret
  is the ML-KEM shared secret followed by the X25519 one (64 bytes). ML-KEM
  comes first in all three.

The client's private keys are derived from a seed label, as every key in
pkiviz is (:mod:`pkiviz.x509.keys`): the same seed gives the same ClientHello key
share on every run. The server's share is live: a real server draws it fresh.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Literal, get_args

from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from pkiviz.errors import InputError
from pkiviz.x509.keys import seed_stream

Group = Literal["x25519", "X25519MLKEM768"]
GROUPS: tuple[str, ...] = get_args(Group)

#: IANA NamedGroup code points (RFC 8446 4.2.7; draft-ietf-tls-ecdhe-mlkem).
GROUP_CODES: dict[str, int] = {"x25519": 0x001D, "X25519MLKEM768": 0x11EC}

MLKEM768_ENCAPSULATION_KEY = 1184
MLKEM768_CIPHERTEXT = 1088
X25519_SHARE = 32


def seed_bytes(seed: str, purpose: str, n: int) -> bytes:
    """``n`` bytes derived from ``seed`` for ``purpose``.

    See :func:`pkiviz.x509.keys.seed_stream`.
    """
    blocks = seed_stream(seed, purpose)
    out = b""
    while len(out) < n:
        out += next(blocks)
    return out[:n]


@dataclasses.dataclass(frozen=True)
class ClientShare:
    """The client's ephemeral key share for one group, private parts included (it is a lesson).

    Attributes:
        group: ``"x25519"`` or ``"X25519MLKEM768"``.
        seed: the label the private keys were derived from.
        x25519_private: the X25519 private key (32 bytes).
        mlkem_seed: the ML-KEM-768 private key as its 64-byte seed (hybrid only).
        public: the key_exchange bytes sent in the ClientHello.
    """

    group: str
    seed: str
    x25519_private: bytes = dataclasses.field(repr=False)
    mlkem_seed: bytes | None = dataclasses.field(repr=False)
    public: bytes = dataclasses.field(repr=False)

    @property
    def code(self) -> int:
        """The NamedGroup code point."""
        return GROUP_CODES[self.group]

    @property
    def parts(self) -> tuple[tuple[str, bytes], ...]:
        """The public share split into its named parts, in wire order."""
        if self.group == "x25519":
            return (("X25519 public key", self.public),)
        k = MLKEM768_ENCAPSULATION_KEY
        return (
            ("ML-KEM-768 encapsulation key", self.public[:k]),
            ("X25519 public key", self.public[k:]),
        )


def client_share(group: str = "x25519", *, seed: str = "glass-box client") -> ClientShare:
    """Derive the client's key share for ``group`` from a seed label.

    Args:
        group: ``"x25519"`` or ``"X25519MLKEM768"``.
        seed: any text; the private keys are a pure function of it.

    Returns:
        The share.

    Raises:
        ValueError: an unknown group.
    """
    if group not in GROUPS:
        raise ValueError(
            f"unknown group {group!r}; the glass-box client offers {', '.join(GROUPS)}"
        )
    x_priv = seed_bytes(seed, "glassbox-x25519", 32)
    x_pub = x25519.X25519PrivateKey.from_private_bytes(x_priv).public_key().public_bytes_raw()
    if group == "x25519":
        return ClientShare(group, seed, x_priv, None, x_pub)
    kem_seed = seed_bytes(seed, "glassbox-mlkem768", 64)
    ek = mlkem.MLKEM768PrivateKey.from_seed_bytes(kem_seed).public_key().public_bytes_raw()
    return ClientShare(group, seed, x_priv, kem_seed, ek + x_pub)


@dataclasses.dataclass(frozen=True)
class SharedSecret:
    """The (EC)DHE input to the key schedule, with how it was computed.

    Attributes:
        group: the negotiated group.
        client_share: what the client sent.
        server_share: what the server sent (key_exchange of its key_share).
        parts: ``(name, bytes)`` of each component secret, in the order they
            are concatenated.
        value: the shared secret (the IKM of the handshake secret's HKDF-Extract).
    """

    group: str
    client_share: bytes = dataclasses.field(repr=False)
    server_share: bytes = dataclasses.field(repr=False)
    parts: tuple[tuple[str, bytes], ...] = dataclasses.field(repr=False)
    value: bytes = dataclasses.field(repr=False)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(name)}</th><td><code>{data.hex()}</code></td></tr>"
            for name, data in self.parts
        )
        return (
            f"<p><b>{html.escape(self.group)}</b>: client share {len(self.client_share)} bytes, "
            f"server share {len(self.server_share)} bytes, shared secret {len(self.value)} bytes"
            f"</p><table>{rows}</table>"
        )


def shared_secret(share: ClientShare, server_share: bytes) -> SharedSecret:
    """Combine the client's private keys with the server's share.

    Args:
        share: the client's share (with its private keys).
        server_share: the key_exchange bytes of the ServerHello's key_share.

    Returns:
        The shared secret and its parts.

    Raises:
        InputError: the server's share has the wrong length or is not a valid
            X25519 point (all-zero output).
    """
    expected = X25519_SHARE + (0 if share.group == "x25519" else MLKEM768_CIPHERTEXT)
    if len(server_share) != expected:
        raise InputError(
            f"the server's {share.group} share is {len(server_share)} bytes, not {expected}"
        )
    x_peer = server_share[-X25519_SHARE:]
    private = x25519.X25519PrivateKey.from_private_bytes(share.x25519_private)
    try:
        x_ss = private.exchange(x25519.X25519PublicKey.from_public_bytes(x_peer))
    except ValueError as exc:
        raise InputError(f"the server's X25519 share is unusable: {exc}") from None
    if share.group == "x25519":
        parts: tuple[tuple[str, bytes], ...] = (("X25519 shared secret", x_ss),)
    else:
        assert share.mlkem_seed is not None
        kem = mlkem.MLKEM768PrivateKey.from_seed_bytes(share.mlkem_seed)
        kem_ss = kem.decapsulate(server_share[:MLKEM768_CIPHERTEXT])
        parts = (("ML-KEM-768 shared secret", kem_ss), ("X25519 shared secret", x_ss))
    value = b"".join(p for _, p in parts)
    return SharedSecret(share.group, share.public, server_share, parts, value)


__all__ = ["GROUPS", "ClientShare", "Group", "SharedSecret", "client_share", "shared_secret"]
