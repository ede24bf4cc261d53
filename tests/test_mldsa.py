"""ML-DSA (FIPS 204) in the factory, the anatomy, the signature check and the validator.

Every "this fails" has its passing control beside it: the Web PKI profile refuses
ML-DSA while the rfc5280 profile accepts the same chain, and a classical chain of
the same shape passes both.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import mldsa

from pkiviz import CA
from pkiviz.cli import main
from pkiviz.validation import validate
from pkiviz.x509.anatomy import anatomy
from pkiviz.x509.factory import RANDOMIZED_SIGNERS, Issued, use_private_key
from pkiviz.x509.keys import KEY_TYPES, derive_key, generate_key, key_type_of
from pkiviz.x509.signature import signature_one

MLDSA = ("ml-dsa-44", "ml-dsa-65", "ml-dsa-87")
MLDSA_KEYS = (mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey, mldsa.MLDSA87PrivateKey)
#: FIPS 204 table 2: public key and signature sizes in bytes.
SIZES = {"ml-dsa-44": (1312, 2420), "ml-dsa-65": (1952, 3309), "ml-dsa-87": (2592, 4627)}


def _pq_chain(leaf: str = "ml-dsa-44") -> tuple[Issued, Issued, Issued]:
    root = CA.root("PQ Root CA", key="ml-dsa-87")
    inter = root.intermediate("PQ Issuing CA", key="ml-dsa-65")
    return root, inter, inter.issue_server("pq.example.com", key=leaf)


def _failed(report: object) -> set[tuple[str, int | None]]:
    return {
        (c.check, None if c.certificate is None else c.certificate.index)
        for c in report.checks  # type: ignore[attr-defined]
        if c.status == "fail"
    }


# --- keys ---------------------------------------------------------------------


@pytest.mark.parametrize("key_type", MLDSA)
def test_same_label_same_key(key_type: str) -> None:
    assert key_type in KEY_TYPES
    derive_key.cache_clear()
    first = derive_key(key_type, "pq.example.com")
    derive_key.cache_clear()
    again = derive_key(key_type, "pq.example.com")
    assert first is not again
    assert again.private_bytes_raw() == first.private_bytes_raw()  # type: ignore[union-attr]
    assert again.public_key() == first.public_key()
    # Control: another label, or another parameter set, gives another key.
    other = derive_key(key_type, "other.example.com")
    assert other.private_bytes_raw() != first.private_bytes_raw()  # type: ignore[union-attr]


@pytest.mark.parametrize("key_type", MLDSA)
def test_seed_is_the_first_stream_block_like_ed25519(key_type: str) -> None:
    # The 32-byte seed xi of FIPS 204 KeyGen is SHA-256(domain | type | label | counter 0).
    prefix = b"pkiviz-key-v1\x00" + key_type.encode() + b"\x00pq.example.com\x00"
    xi = hashlib.sha256(prefix + (0).to_bytes(8, "big")).digest()
    key = derive_key(key_type, "pq.example.com")
    assert isinstance(key, MLDSA_KEYS)
    assert key.private_bytes_raw() == xi
    public, signature = SIZES[key_type]
    assert len(key.public_key().public_bytes_raw()) == public
    assert len(key.sign(b"m")) == signature
    assert key_type_of(key) == key_type == key_type_of(key.public_key())


def test_parameter_sets_differ_for_one_label() -> None:
    seeds = {derive_key(k, "same").private_bytes_raw() for k in MLDSA}  # type: ignore[union-attr]
    assert len(seeds) == 3


def test_live_mldsa_keys_are_random() -> None:
    a, b = generate_key("ml-dsa-44"), generate_key("ml-dsa-44")
    assert isinstance(a, mldsa.MLDSA44PrivateKey)
    assert a.public_key() != b.public_key()


# --- certificates ----------------------------------------------------------------


def test_all_mldsa_chain_is_built_and_verifies() -> None:
    root, inter, leaf = _pq_chain()
    leaf.certificate.verify_directly_issued_by(inter.certificate)
    inter.certificate.verify_directly_issued_by(root.certificate)
    assert [c.certificate.signature_algorithm_oid._name for c in (leaf, inter, root)] == [
        "ML-DSA-65",
        "ML-DSA-87",
        "ML-DSA-87",
    ]
    assert leaf.certificate.signature_hash_algorithm is None  # no separate hash, like Ed25519
    assert len(leaf.certificate.signature) == SIZES["ml-dsa-65"][1]
    # Control: a leaf signed by another key of the same name does not verify.
    stranger = CA.root("PQ Issuing CA", key="ml-dsa-65", key_seed="stranger")
    forged = stranger.issue_server("pq.example.com", key="ml-dsa-44")
    with pytest.raises(InvalidSignature):
        forged.certificate.verify_directly_issued_by(inter.certificate)


def test_mldsa_signatures_are_hedged_but_the_tbs_is_deterministic() -> None:
    # FIPS 204's default (hedged) signing; cryptography 50 has no deterministic variant.
    assert RANDOMIZED_SIGNERS == MLDSA
    first, second = _pq_chain()[2], _pq_chain()[2]
    assert first.certificate.tbs_certificate_bytes == second.certificate.tbs_certificate_bytes
    assert first.certificate.signature != second.certificate.signature
    second.certificate.verify_directly_issued_by(first.issuer.certificate)  # type: ignore[union-attr]
    # Control: an ML-DSA leaf under an ECDSA CA is signed by RFC 6979 ECDSA: byte-identical.
    ec_root = CA.root("EC Root CA")
    twice = {ec_root.issue_server("m.example.com", key="ml-dsa-44").der for _ in range(2)}
    assert len(twice) == 1


def test_mixed_chain_mldsa_leaf_under_ecdsa_ca() -> None:
    root = CA.root("EC Root CA")
    inter = root.intermediate("EC Issuing CA")
    leaf = inter.issue_server("m.example.com", key="ml-dsa-44")
    leaf.certificate.verify_directly_issued_by(inter.certificate)
    assert leaf.certificate.signature_algorithm_oid._name == "ecdsa-with-SHA256"
    kwargs = {"intermediates": [inter], "trust_anchors": [root], "peer_name": "m.example.com"}
    assert validate(leaf, profile="rfc5280", **kwargs).valid  # type: ignore[arg-type]
    web = validate(leaf, profile="webpki", **kwargs)  # type: ignore[arg-type]
    assert _failed(web) == {("algorithms", 0)}  # only the leaf's key
    # Control: the same chain with an ECDSA leaf passes the Web PKI profile.
    classic = inter.issue_server("m.example.com", label="classic")
    assert validate(classic, profile="webpki", **kwargs).valid  # type: ignore[arg-type]


# --- validator --------------------------------------------------------------------


def test_webpki_refuses_mldsa_and_says_why_rfc5280_accepts() -> None:
    root, inter, leaf = _pq_chain()
    kwargs = {"intermediates": [inter], "trust_anchors": [root], "peer_name": "pq.example.com"}
    web = validate(leaf, profile="webpki", **kwargs)  # type: ignore[arg-type]
    assert not web.valid
    assert _failed(web) == {("algorithms", 0), ("algorithms", 1), ("algorithms", 2)}
    message = next(c.message for c in web.checks if c.check == "algorithms")
    assert "ML-DSA-44" in message and "RFC 9881" in message
    assert "BRs" in message and "do not yet permit" in message
    assert {c.rfc for c in web.checks if c.check == "algorithms"} == {"BR 6.1.5, 7.1.3"}
    # The signatures themselves verify under both profiles: the refusal is policy only.
    assert [c.status for c in web.checks if c.check == "signature"][:2] == ["pass", "pass"]
    # Control: the rfc5280 profile accepts the same chain and cites RFC 9881.
    rfc = validate(leaf, profile="rfc5280", **kwargs)  # type: ignore[arg-type]
    assert rfc.valid
    passed = [c for c in rfc.checks if c.check == "algorithms"]
    assert [c.status for c in passed] == ["pass"] * 3
    assert passed[0].message == "ML-DSA-44, signed with ML-DSA-65"
    assert all(c.rfc == "RFC 5280 4.1.1.2; RFC 9881" for c in passed)


def test_ecdsa_leaf_under_mldsa_ca_fails_on_the_signature_algorithm() -> None:
    root, inter, _ = _pq_chain()
    leaf = inter.issue_server("pq.example.com", label="ecdsa-leaf")
    kwargs = {"intermediates": [inter], "trust_anchors": [root], "peer_name": "pq.example.com"}
    web = validate(leaf, profile="webpki", **kwargs)  # type: ignore[arg-type]
    leaf_check = next(c for c in web.checks if c.check == "algorithms" and c.certificate.index == 0)  # type: ignore[union-attr]
    assert leaf_check.status == "fail"
    assert leaf_check.message.startswith("it is signed with ML-DSA-65 (FIPS 204")
    assert leaf_check.rfc == "BR 7.1.3"
    assert validate(leaf, profile="rfc5280", **kwargs).valid  # type: ignore[arg-type]


def test_validator_catches_a_forged_mldsa_signature() -> None:
    root, inter, leaf = _pq_chain()
    stranger = CA.root("PQ Issuing CA", key="ml-dsa-65", key_seed="stranger")
    forged = stranger.issue_server("pq.example.com", key="ml-dsa-44")
    kwargs = {"intermediates": [inter], "trust_anchors": [root], "peer_name": "pq.example.com"}
    bad = validate(forged, profile="rfc5280", **kwargs)  # type: ignore[arg-type]
    assert not bad.valid
    assert "chain-of-trust" in {c for c, _ in _failed(bad)}
    # Control: the genuine leaf.
    assert validate(leaf, profile="rfc5280", **kwargs).valid  # type: ignore[arg-type]


# --- signature one, anatomy, inspect ---------------------------------------------------


def test_signature_one_checks_mldsa() -> None:
    leaf = _pq_chain()[2]
    one = signature_one(leaf)
    assert one.verified and one.scheme == "ML-DSA-65" and one.key == "ML-DSA-65"
    assert one.hash_name is None and one.tbs_hash is None
    assert "FIPS 204" in str(one)
    # Controls: another ML-DSA-65 key, and a key of another type.
    other = derive_key("ml-dsa-65", "stranger").public_key()
    wrong = signature_one(leaf, other)
    assert not wrong.verified and "does not match" in wrong.reason
    ec_key = CA.root("EC Root CA").certificate
    mismatch = signature_one(leaf, ec_key)
    assert not mismatch.verified and "the key given is EC P-256" in mismatch.reason


@pytest.mark.parametrize("key_type", MLDSA)
def test_anatomy_names_mldsa_and_its_sizes(key_type: str) -> None:
    leaf = CA.root("EC Root CA").issue_server("m.example.com", key=key_type)
    a = anatomy(leaf.certificate)
    name = key_type.upper()
    assert (a.public_key.algorithm, a.public_key.length) == (name, SIZES[key_type][0])
    assert a.public_key.describe() == f"{name}, {SIZES[key_type][0]} bytes"
    signed = anatomy(CA.root("PQ", key=key_type).certificate).signature
    assert (signed.algorithm, signed.length, signed.hash) == (name, SIZES[key_type][1], None)
    # Control: an EC key is measured in bits, not bytes.
    ec = anatomy(CA.root("EC Root CA").certificate).public_key
    assert (ec.algorithm, ec.size, ec.length) == ("EC", 256, None)


def test_cli_inspect_shows_mldsa(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    leaf = _pq_chain()[2]
    path = tmp_path / "chain.pem"
    path.write_bytes(leaf.chain_pem.data)
    assert main(["inspect", "--json", str(path)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["public_key"]["algorithm"] for c in out] == ["ML-DSA-44", "ML-DSA-65"]
    assert [c["public_key"]["length"] for c in out] == [1312, 1952]
    assert [c["signature_algorithm"] for c in out] == ["ML-DSA-65", "ML-DSA-87"]
    assert main(["inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Public key                 ML-DSA-44, 1312 bytes" in text
    assert "ML-DSA-65, 3309 bytes" in text  # the signature line: algorithm and size
    # Control: a classical certificate keeps its bits and no byte length.
    path.write_bytes(CA.root("EC Root CA").pem.data)
    assert main(["inspect", "--json", str(path)]) == 0
    (ec,) = json.loads(capsys.readouterr().out)
    assert ec["public_key"]["algorithm"] == "EC" and ec["public_key"]["length"] is None


# --- serving ------------------------------------------------------------------------


def test_use_private_key_loads_mldsa_into_pyopenssl() -> None:
    ssl_mod = pytest.importorskip("OpenSSL.SSL")
    leaf = _pq_chain()[2]
    ctx = ssl_mod.Context(ssl_mod.TLS_SERVER_METHOD)
    ctx.use_certificate(leaf.certificate)
    use_private_key(ctx, leaf.private_key)
    ctx.check_privatekey()
    # Control: pyOpenSSL's own use_privatekey refuses an ML-DSA key.
    plain = ssl_mod.Context(ssl_mod.TLS_SERVER_METHOD)
    with pytest.raises(TypeError, match="Unsupported key type"):
        plain.use_privatekey(leaf.private_key)
