"""The impostor: a copied certificate without its key cannot sign the handshake."""

from __future__ import annotations

import pytest

from pkiviz.net import impostor
from pkiviz.net.live import live_handshake
from pkiviz.tls import signatures
from pkiviz.x509.example import running_example
from pkiviz.x509.keys import generate_key

EXAMPLES = {key: running_example(live=True, key=key) for key in ("ec-p256", "rsa-2048", "ed25519")}


def test_python_ssl_and_pyopenssl_refuse_a_mismatched_pair():
    example = EXAMPLES["ec-p256"]
    refusals = impostor.mismatched_pair_refusals(example.server, generate_key("ec-p256"))
    assert [r.front_end for r in refusals] == [
        "Python ssl load_cert_chain",
        "pyOpenSSL (certificate then key)",
        "pyOpenSSL (key then certificate)",
    ]
    assert not any(r.loaded for r in refusals)
    assert "MISMATCH" in refusals[0].message.upper()
    assert "no private key" in refusals[2].message  # OpenSSL dropped the key


def test_the_real_pair_loads():
    example = EXAMPLES["ec-p256"]
    refusals = impostor.mismatched_pair_refusals(example.server, example.server.private_key)
    assert [r.loaded for r in refusals] == [True, True, True]


@pytest.mark.parametrize("key", sorted(EXAMPLES))
@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_forged_server_signature_fails_real_one_verifies(key, version):
    example = EXAMPLES[key]
    hs = live_handshake(version=version, example=example).client
    forged = impostor.forge_server_signature(hs, generate_key(key))
    check = signatures.verify_server_signature(forged)
    assert check is not None and not check.verified
    assert "does not verify" in check.reason
    control = impostor.forge_server_signature(hs, example.server.private_key)
    good = signatures.verify_server_signature(control)
    assert good is not None and good.verified, good.reason
    # Same bytes signed, same certificate; only the key differs.
    assert check.signed_content == good.signed_content
    assert check.signer_certificate == good.signer_certificate == example.server.certificate


def test_forged_client_signature_fails_real_one_verifies():
    example = EXAMPLES["ec-p256"]
    hs = live_handshake(mtls=True, example=example).server
    forged = impostor.forge_server_signature(hs, generate_key("ec-p256"), signer="client")
    assert not signatures.verify_certificate_verify(forged, "client").verified
    real = impostor.forge_server_signature(hs, example.client.private_key, signer="client")
    assert signatures.verify_certificate_verify(real, "client").verified


def test_live_impostor_with_its_own_certificate_is_rejected_by_the_client():
    session = impostor.impostor_handshake()
    assert not session.client.completed
    assert "unable to get local issuer certificate" in (session.client.error or "")
    alert = session.server.failure_alert
    assert alert is not None and alert.body.description == "unknown_ca"
    # The client stopped at the Certificate; the server's capture shows it still
    # signed - correctly, with its own key. The chain is what fails.
    assert session.client.find("CertificateVerify") is None
    check = signatures.verify_server_signature(session.server)
    assert check is not None and check.verified


def test_the_real_server_is_accepted():
    session = live_handshake(example=EXAMPLES["ec-p256"])
    assert session.client.completed and session.client.error is None
