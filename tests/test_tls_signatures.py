"""Signature two, verified independently - every success paired with a tampered control."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from pkiviz.net.live import live_handshake
from pkiviz.tls import signatures
from pkiviz.x509.example import running_example

EXAMPLES = {key: running_example(live=True, key=key) for key in ("ec-p256", "rsa-2048", "ed25519")}
SCHEMES = {"ec-p256": "ecdsa_secp256r1_sha256", "rsa-2048": "rsa_pss_rsae_sha256",
           "ed25519": "ed25519"}  # fmt: skip


@pytest.fixture(scope="module")
def sessions():
    out = {}
    for key in EXAMPLES:
        for version in ("1.3", "1.2"):
            out[key, version] = live_handshake(version=version, mtls=True, example=EXAMPLES[key])
    out["hrr"] = live_handshake(hello_retry=True, example=EXAMPLES["ec-p256"])
    return out


@pytest.mark.parametrize("key", sorted(EXAMPLES))
@pytest.mark.parametrize("side", ["client", "server"])
def test_tls13_server_certificate_verify(sessions, key, side):
    hs = getattr(sessions[key, "1.3"], side)
    check = signatures.verify_certificate_verify(hs, "server")
    assert check.verified, check.reason
    assert check.scheme == SCHEMES[key]
    assert check.context == b"TLS 1.3, server CertificateVerify"
    assert check.signed_content[:64] == b" " * 64
    assert check.signed_content[64:97] == b"TLS 1.3, server CertificateVerify"
    assert check.signed_content[97] == 0
    assert check.signed_content[98:] == check.transcript_hash
    assert check.covers[-1] == "server Certificate"
    assert check.signer_certificate == EXAMPLES[key].server.certificate
    tampered = signatures.verify_certificate_verify(signatures.flip_byte(hs), "server")
    assert not tampered.verified and "does not verify" in tampered.reason


@pytest.mark.parametrize("key", sorted(EXAMPLES))
@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_client_certificate_verify(sessions, key, version):
    hs = sessions[key, version].server
    check = signatures.verify_certificate_verify(hs, "client")
    assert check.verified, check.reason
    assert check.signer_certificate == EXAMPLES[key].client.certificate
    if version == "1.3":
        assert check.context == b"TLS 1.3, client CertificateVerify"
        assert check.covers[-1] == "client Certificate"
    else:  # RFC 5246 7.4.8: every handshake message so far, concatenated
        assert check.context is None and check.transcript_hash is None
        assert check.covers[-1] == "client ClientKeyExchange"
    assert not signatures.verify_certificate_verify(signatures.flip_byte(hs), "client").verified


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_tls12_server_key_exchange(sessions, key):
    hs = sessions[key, "1.2"].client
    check = signatures.verify_server_signature(hs)
    assert check is not None and check.message == "ServerKeyExchange"
    assert check.verified, check.reason
    hello, server_hello, ske = (
        hs.find("ClientHello"),
        hs.find("ServerHello"),
        hs.find("ServerKeyExchange"),
    )
    assert check.signed_content == hello.body.random + server_hello.body.random + ske.body.params
    assert ske.body.params[0] == 3  # named_curve
    tampered = signatures.verify_server_signature(signatures.flip_byte(hs))
    assert tampered is not None and not tampered.verified


def test_tampered_server_random_breaks_the_tls12_signature(sessions):
    hs = sessions["ec-p256", "1.2"].client
    index = hs.index(hs.find("ServerHello"))
    assert signatures.verify_server_key_exchange(hs).verified
    assert not signatures.verify_server_key_exchange(signatures.flip_byte(hs, index, 8)).verified


def test_hello_retry_transcript_uses_message_hash(sessions):
    hs = sessions["hrr"].client
    check = signatures.verify_certificate_verify(hs, "server")
    assert check.verified, check.reason
    # Hashing the plain concatenation (ignoring RFC 8446 4.4.1) gives a different hash.
    covered = signatures.transcript_messages(hs, hs.find("CertificateVerify", "server"))
    naive = hashlib.new(check.hash_name, b"".join(m.raw for m in covered)).digest()
    assert naive != check.transcript_hash
    assert check.covers[:3] == (
        "client ClientHello",
        "server HelloRetryRequest",
        "client ClientHello",
    )


def test_flipping_any_covered_message_breaks_the_signature(sessions):
    hs = sessions["ec-p256", "1.3"].client
    cv = hs.find("CertificateVerify", "server")
    covered = [i for i, m in enumerate(hs.messages[: hs.index(cv)]) if m.is_handshake]
    assert signatures.verify_certificate_verify(hs).verified
    for i in covered:
        flipped = signatures.flip_byte(hs, i, len(hs.messages[i].raw) - 1)
        assert not signatures.verify_certificate_verify(flipped).verified, hs.messages[i].type


def test_flipping_a_message_after_the_signature_does_not_matter(sessions):
    hs = sessions["ec-p256", "1.3"].client
    finished = hs.index(hs.find("Finished", "server"))
    assert signatures.verify_certificate_verify(signatures.flip_byte(hs, finished, 5)).verified


def test_flipped_signature_byte_fails(sessions):
    hs = sessions["ed25519", "1.3"].client
    cv = hs.find("CertificateVerify", "server")
    index = hs.index(cv)
    assert signatures.verify_certificate_verify(hs).verified
    assert not signatures.verify_certificate_verify(
        signatures.flip_byte(hs, index, len(cv.raw) - 1)
    ).verified


def test_wrong_certificate_key_fails(sessions):
    hs = sessions["ec-p256", "1.3"].client
    other = sessions["ed25519", "1.3"].client
    cert_index = hs.index(hs.find("Certificate", "server"))
    swapped = dataclasses.replace(
        hs,
        messages=(*hs.messages[:cert_index], other.find("Certificate", "server"),
                  *hs.messages[cert_index + 1 :]),
    )  # fmt: skip
    check = signatures.verify_certificate_verify(swapped)
    assert not check.verified and "Ed25519" in check.reason
    assert signatures.verify_certificate_verify(hs).verified


def test_verify_all_and_rendering(sessions):
    checks = signatures.verify_all(sessions["rsa-2048", "1.3"].client)
    assert [(c.signer, c.message) for c in checks] == [
        ("server", "CertificateVerify"), ("client", "CertificateVerify"),
    ]  # fmt: skip
    assert all(c.verified for c in checks)
    assert (
        "VERIFIED" in checks[0].text() and "TLS 1.3, server CertificateVerify" in checks[0].text()
    )
    assert "<table>" in checks[0]._repr_html_()
    data = checks[0].to_json_dict()
    assert data["verified"] is True and data["scheme"] == "rsa_pss_rsae_sha256"


def test_pkcs1_is_refused_in_tls13_but_accepted_in_tls12():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = EXAMPLES["rsa-2048"].server.private_key
    sig = key.sign(b"content", padding.PKCS1v15(), hashes.SHA256())
    pub = key.public_key()
    ok, _ = signatures.verify_signature(pub, "rsa_pkcs1_sha256", sig, b"content", tls13=False)
    refused, reason = signatures.verify_signature(
        pub, "rsa_pkcs1_sha256", sig, b"content", tls13=True
    )
    assert ok and not refused and "TLS 1.3" in reason


def test_no_signature_without_certificate_verify():
    with pytest.raises(ValueError, match="no client CertificateVerify"):
        signatures.verify_certificate_verify(
            live_handshake(example=EXAMPLES["ec-p256"]).client, "client"
        )
