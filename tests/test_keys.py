"""Deterministic key derivation: same seed, same key; different seed, different key."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from pkiviz.x509.keys import KEY_TYPES, derive_key, generate_key, key_type_of


def _spki(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined, no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


FAST = ("ec-p256", "ec-p384", "ed25519", "rsa-1024", "rsa-2048")


@pytest.mark.parametrize("key_type", FAST)
def test_same_seed_same_key(key_type: str) -> None:
    derive_key.cache_clear()
    first = _spki(derive_key(key_type, "seed-a"))
    derive_key.cache_clear()
    assert _spki(derive_key(key_type, "seed-a")) == first


@pytest.mark.parametrize("key_type", FAST)
def test_other_seed_other_key(key_type: str) -> None:
    assert _spki(derive_key(key_type, "seed-a")) != _spki(derive_key(key_type, "seed-b"))


@pytest.mark.parametrize("key_type", FAST)
def test_key_type_round_trips(key_type: str) -> None:
    assert key_type_of(derive_key(key_type, "x")) == key_type
    assert key_type_of(derive_key(key_type, "x").public_key()) == key_type


def test_rsa_key_is_consistent_and_exact_size() -> None:
    key = derive_key("rsa-2048", "login.example.com")
    assert isinstance(key, rsa.RSAPrivateKey)
    numbers = key.private_numbers()
    assert numbers.p * numbers.q == numbers.public_numbers.n
    assert key.key_size == 2048
    assert numbers.public_numbers.e == 65537
    # A real key: it signs and verifies.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    sig = key.sign(b"hello", padding.PKCS1v15(), hashes.SHA256())
    key.public_key().verify(sig, b"hello", padding.PKCS1v15(), hashes.SHA256())


def test_curve_and_kind() -> None:
    assert isinstance(derive_key("ec-p384", "x"), ec.EllipticCurvePrivateKey)
    assert isinstance(derive_key("ed25519", "x"), ed25519.Ed25519PrivateKey)


def test_live_keys_differ() -> None:
    assert _spki(generate_key("ec-p256")) != _spki(generate_key("ec-p256"))


def test_unknown_key_type() -> None:
    with pytest.raises(ValueError, match="unknown key type 'dsa-1024'"):
        derive_key("dsa-1024", "x")
    assert "ec-p256" in KEY_TYPES
