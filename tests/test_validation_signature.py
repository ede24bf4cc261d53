"""verify_signature: its ECDSA fast path gives the verdict cryptography's own check gives.

For an ECDSA-with-SHA-2 certificate whose two AlgorithmIdentifiers and issuer
name match byte for byte, pkiviz verifies with the issuer key it already
loaded; everything else goes through ``verify_directly_issued_by``. Compared
here on every issuer/child pair of the first 400 x509-limbo cases (valid and
broken signatures, wrong issuers, RSA and EC) and on hand-made failures, each
with its passing control.
"""

from __future__ import annotations

import itertools

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from pkiviz.crosscheck import limbo
from pkiviz.validation.facts import CertFacts, verify_signature
from pkiviz.x509.example import running_example
from pkiviz.x509.tamper import malleate_ecdsa


def _cryptography_says(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


@pytest.fixture(scope="module")
def limbo_pairs() -> list[tuple[x509.Certificate, x509.Certificate]]:
    if not limbo.DEFAULT_LIMBO.exists():  # as tests/test_limbo.py: a clone with no suite beside it
        pytest.skip(f"x509-limbo not found at {limbo.DEFAULT_LIMBO}")
    pairs = []
    for case in limbo.load_cases()[:400]:
        pems = [case["peer_certificate"], *case["untrusted_intermediates"], *case["trusted_certs"]]
        certs = limbo._certs(pems)
        pairs += [(c, i) for c, i in itertools.product(certs, certs) if c.issuer == i.subject]
    return pairs


def test_fast_path_agrees_with_cryptography_on_limbo_pairs(limbo_pairs) -> None:
    assert len(limbo_pairs) > 1000
    verdicts = set()
    for child, issuer in limbo_pairs:
        facts_child, facts_issuer = CertFacts(child), CertFacts(issuer)
        if facts_child.signature_hash_name == "sha1":
            continue  # refused by policy before any verification
        mine = verify_signature(facts_child, facts_issuer) is None
        assert mine == _cryptography_says(child, issuer), (child.subject, issuer.subject)
        verdicts.add(mine)
    assert verdicts == {True, False}  # both outcomes were exercised


def test_a_flipped_signature_bit_fails_and_the_original_passes() -> None:
    ex = running_example()
    leaf, issuer = ex.server.certificate, ex.intermediate.certificate
    assert verify_signature(CertFacts(leaf), CertFacts(issuer)) is None  # control
    raw = bytearray(ex.server.der)
    raw[-5] ^= 0x01  # inside the signature's r or s
    broken = x509.load_der_x509_certificate(bytes(raw))
    message = verify_signature(CertFacts(broken), CertFacts(issuer))
    assert message is not None and "does not verify" in message
    assert not _cryptography_says(broken, issuer)


def test_the_wrong_issuer_key_fails_with_cryptography_s_reason() -> None:
    ex = running_example()
    leaf = ex.server.certificate
    message = verify_signature(CertFacts(leaf), CertFacts(ex.root.certificate))
    assert message is not None and "issuer name does not match" in message
    assert not _cryptography_says(leaf, ex.root.certificate)


def test_a_malleated_ecdsa_signature_verifies_as_in_cryptography() -> None:
    ex = running_example()
    twin = malleate_ecdsa(ex.server.certificate, ex.intermediate.certificate.public_key())
    assert twin.signature != ex.server.certificate.signature
    assert verify_signature(CertFacts(twin), CertFacts(ex.intermediate.certificate)) is None
    assert _cryptography_says(twin, ex.intermediate.certificate)
