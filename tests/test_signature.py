"""Signature one: the CA's signature over a certificate, opened up and tampered with."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import shutil
import subprocess
import sys
from typing import Any

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from pkiviz import CA, running_example
from pkiviz.x509 import der
from pkiviz.x509._curves import CURVES
from pkiviz.x509.example import RunningExample
from pkiviz.x509.factory import Issued
from pkiviz.x509.hexdump import hexdump
from pkiviz.x509.keys import derive_key
from pkiviz.x509.signature import certificate_parts, signature_one
from pkiviz.x509.signature_schemes import (
    EcdsaCheck,
    Ed25519Check,
    PssRecovery,
    RsaRecovery,
    digest_info,
    emsa_pkcs1_v15_encode,
)
from pkiviz.x509.tamper import (
    TAMPER_FIELDS,
    malleate_ecdsa,
    resign_pss,
    splice,
    tamper,
    tamper_summary,
)

UTC = dt.UTC


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """cryptography's own verdict."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@pytest.fixture(scope="module")
def ec_example():  # type: ignore[no-untyped-def]
    return running_example()


@pytest.fixture(scope="module")
def rsa_example():  # type: ignore[no-untyped-def]
    return running_example(key="rsa-2048")


@pytest.fixture(scope="module")
def ed_example():  # type: ignore[no-untyped-def]
    return running_example(key="ed25519")


def _pair(variant: str, which: str) -> tuple[Issued, Issued]:
    ex = running_example(key=variant)
    cert = getattr(ex, which)
    assert cert.issuer is not None
    return cert, cert.issuer


# (running-example variant, certificate) -> the issuer's key type and hash
CASES = [
    ("rsa-2048", "server", "RSA-2048", "sha256"),
    ("rsa-2048", "intermediate", "RSA-2048", "sha256"),
    ("ec-p256", "server", "EC P-256", "sha256"),
    ("ec-p256", "intermediate", "EC P-384", "sha384"),
    ("ed25519", "server", "Ed25519", None),
    ("ed25519", "intermediate", "EC P-384", "sha384"),
]


@pytest.mark.parametrize(("variant", "which", "key", "hash_name"), CASES)
def test_verdict_agrees_with_cryptography(
    variant: str, which: str, key: str, hash_name: str | None
) -> None:
    cert, issuer = _pair(variant, which)
    one = signature_one(cert)
    assert one.verified is True
    assert one.verified == _issued_by(cert.certificate, issuer.certificate)
    assert one.key == key
    assert one.hash_name == hash_name
    assert one.tbs == cert.certificate.tbs_certificate_bytes
    assert one.signature == cert.certificate.signature
    if hash_name is not None:
        assert one.tbs_hash == hashlib.new(hash_name, one.tbs).digest()
    else:
        assert one.tbs_hash is None
    detail = one.detail
    if isinstance(detail, RsaRecovery):
        assert detail.hash_matches and detail.block_matches
    else:
        assert detail is not None and detail.matches


def test_certificate_is_tbs_then_algorithm_then_signature(ec_example) -> None:  # type: ignore[no-untyped-def]
    one = signature_one(ec_example.server)
    tbs, alg, sig = one.parts
    assert one.der[tbs.start : tbs.end] == one.tbs
    assert (tbs.end, alg.end, sig.end) == (alg.start, sig.start, len(one.der))
    assert one.der[sig.content_start + 1 : sig.end] == one.signature  # BIT STRING, 0 unused bits
    assert splice(one.tbs, one.der) == one.der


def test_the_signature_covers_every_field(ec_example) -> None:  # type: ignore[no-untyped-def]
    one = signature_one(ec_example.server)
    names = one.field_names
    for field in ("version", "serialNumber", "issuer", "validity", "subject"):
        assert field in names
    assert "subjectPublicKeyInfo" in names
    assert "extension subjectAltName" in names and "extension extKeyUsage" in names
    top = [f for f in one.fields[1:] if not f.name.startswith(("not", "extension "))]
    assert top[0].start == one.fields[0].content_start and top[-1].end == len(one.tbs)
    assert all(a.end == b.start for a, b in itertools.pairwise(top))


def test_tbs_fields_of_a_bare_tbs_without_extensions() -> None:
    key = derive_key("ec-p256", "bare")
    name = x509.Name.from_rfc4514_string("CN=bare")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(dt.datetime(2026, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    one = signature_one(cert)
    assert one.verified
    assert "extensions" not in one.field_names
    assert "subjectPublicKeyInfo" in one.field_names


# --- RSA PKCS#1 v1.5: the hash really comes back ------------------------------------


def test_rsa_recovers_the_hash(rsa_example) -> None:  # type: ignore[no-untyped-def]
    one = signature_one(rsa_example.server)
    rec = one.detail
    assert isinstance(rec, RsaRecovery)
    assert one.recovered_hash == hashlib.sha256(one.tbs).digest()
    assert rec.encoded[:2] == b"\x00\x01"
    assert len(rec.encoded) == 256 and rec.modulus_bits == 2048
    assert rec.padding_length == 256 - 3 - 51
    assert set(rec.encoded[2 : 2 + rec.padding_length]) == {0xFF}
    assert rec.encoded[2 + rec.padding_length] == 0
    assert rec.digest_oid == "2.16.840.1.101.3.4.2.1"
    assert rec.block_matches and rec.hash_matches and rec.well_formed
    assert b"".join(part for _, part in rec.parts) == rec.encoded
    # The same step by hand, with Python ints only.
    numbers = rsa_example.intermediate.certificate.public_key().public_numbers()
    em = pow(int.from_bytes(one.signature, "big"), numbers.e, numbers.n).to_bytes(256, "big")
    assert em.endswith(hashlib.sha256(one.tbs).digest())


@pytest.mark.parametrize("hash_name", ["sha256", "sha384", "sha512"])
def test_rsa_digest_info_for_each_hash(hash_name: str) -> None:
    root = CA.root("RSA hash test", key="rsa-1024", hash=hash_name)
    leaf = root.issue_server("hash.example", key="ec-p256", hash=hash_name)
    one = signature_one(leaf)
    assert one.verified and _issued_by(leaf.certificate, root.certificate)
    assert isinstance(one.detail, RsaRecovery)
    assert one.recovered_hash == hashlib.new(hash_name, one.tbs).digest()
    assert one.detail.block_matches


def test_digest_info_prefixes_are_rfc_8017_note_1() -> None:
    prefix = {
        "sha256": "3031300d060960864801650304020105000420",
        "sha384": "3041300d060960864801650304020205000430",
        "sha512": "3051300d060960864801650304020305000440",
    }
    for name, hexed in prefix.items():
        digest = hashlib.new(name, b"x").digest()
        assert digest_info(name, digest) == bytes.fromhex(hexed) + digest
    with pytest.raises(ValueError, match="no DigestInfo"):
        digest_info("md5", b"")
    with pytest.raises(ValueError, match="too short"):
        emsa_pkcs1_v15_encode("sha256", b"\x00" * 32, 40)


# --- RSA-PSS ----------------------------------------------------------------------


# an int, or padding.PSS.DIGEST_LENGTH / MAX_LENGTH (whose classes cryptography keeps private)
PssSalt = Any


def _pss_cert(
    issuer: Issued, hash_algorithm: hashes.SHA256 | hashes.SHA384, salt_length: PssSalt
) -> x509.Certificate:
    key = derive_key("ec-p256", "pss leaf")
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name.from_rfc4514_string("CN=pss.example"))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(1234)
        .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(dt.datetime(2030, 1, 1, tzinfo=UTC))
        .sign(
            issuer.private_key,
            hash_algorithm,
            rsa_padding=padding.PSS(padding.MGF1(hash_algorithm), salt_length),
        )
    )


@pytest.mark.parametrize(
    ("hash_algorithm", "salt_length", "expected_salt"),
    [
        (hashes.SHA256(), padding.PSS.DIGEST_LENGTH, 32),
        (hashes.SHA384(), padding.PSS.DIGEST_LENGTH, 48),
        (hashes.SHA256(), 20, 20),
        (hashes.SHA256(), padding.PSS.MAX_LENGTH, 256 - 32 - 2),
    ],
)
def test_rsa_pss_verifies_by_structure(
    rsa_example: RunningExample,
    hash_algorithm: hashes.SHA256 | hashes.SHA384,
    salt_length: PssSalt,
    expected_salt: int,
) -> None:
    issuer = rsa_example.intermediate
    cert = _pss_cert(issuer, hash_algorithm, salt_length)
    one = signature_one(cert, issuer)
    assert one.algorithm == "RSASSA-PSS" and one.scheme == "RSA-PSS"
    assert one.verified and _issued_by(cert, issuer.certificate)
    rec = one.detail
    assert isinstance(rec, PssRecovery)
    assert rec.matches and rec.encoded[-1] == 0xBC
    assert rec.declared_salt_length == expected_salt
    assert rec.salt is not None and len(rec.salt) == expected_salt
    assert rec.hash_name == hash_algorithm.name == rec.mgf_hash
    assert rec.expected_hash not in rec.encoded  # the hash is not in the block
    assert one.recovered_hash is None


def test_rsa_pss_tampered_and_wrong_key_fail(rsa_example) -> None:  # type: ignore[no-untyped-def]
    issuer = rsa_example.intermediate
    cert = _pss_cert(issuer, hashes.SHA256(), padding.PSS.DIGEST_LENGTH)
    other = _pss_cert(issuer, hashes.SHA256(), 20)  # same issuer, other salt
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    forged = x509.load_der_x509_certificate(
        splice(other.tbs_certificate_bytes.replace(b"pss.example", b"pss.exbmple"), cert_der)
    )
    bad = signature_one(forged, issuer)
    assert not bad.verified and not _issued_by(forged, issuer.certificate)
    assert isinstance(bad.detail, PssRecovery) and not bad.detail.matches
    wrong = signature_one(cert, rsa_example.client_root)
    assert not wrong.verified
    assert isinstance(wrong.detail, PssRecovery) and wrong.detail.salt is None
    assert signature_one(cert, issuer).verified  # control


def test_resign_pss_keeps_the_fields_and_salts_every_signature(rsa_example) -> None:  # type: ignore[no-untyped-def]
    server, issuer = rsa_example.server, rsa_example.intermediate
    first, second = resign_pss(server), resign_pss(server)
    assert first.signature != second.signature  # random salt
    assert first.subject == server.certificate.subject
    assert list(first.extensions) == list(server.certificate.extensions)
    for cert in (first, second):
        one = signature_one(cert, issuer)
        assert one.verified and _issued_by(cert, issuer.certificate)
        assert isinstance(one.detail, PssRecovery) and one.detail.matches
    assert len(signature_one(resign_pss(server, salt_length=0), issuer).detail.salt) == 0  # type: ignore[union-attr, arg-type]
    with pytest.raises(ValueError, match="RSA issuer"):
        resign_pss(running_example().server)


# --- ECDSA and Ed25519: nothing to decrypt ------------------------------------------


@pytest.mark.parametrize(("which", "curve"), [("server", "P-256"), ("intermediate", "P-384")])
def test_ecdsa_is_verified_not_decrypted(ec_example, which: str, curve: str) -> None:  # type: ignore[no-untyped-def]
    one = signature_one(getattr(ec_example, which))
    check = one.detail
    assert isinstance(check, EcdsaCheck) and check.curve == curve
    assert check.matches and check.x is not None and check.x % check.n == check.r
    assert one.recovered_hash is None
    assert one.tbs_hash is not None and one.tbs_hash not in one.signature
    assert check.e == int.from_bytes(one.tbs_hash, "big")
    assert check.u1 == check.e * check.w % check.n and check.s * check.w % check.n == 1


@pytest.mark.parametrize("key_type", ["ec-p256", "ec-p384"])
def test_plain_int_curve_matches_cryptography(key_type: str) -> None:
    from pkiviz.x509._curves import CURVES

    key = derive_key(key_type, "curve check")
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    curve = CURVES[key.curve.name]
    pub = key.public_key().public_numbers()
    assert curve.mul(key.private_numbers().private_value, curve.g) == (pub.x, pub.y)
    assert curve.mul(curve.n, curve.g) is None


def test_ed25519_is_verified_not_decrypted(ed_example) -> None:  # type: ignore[no-untyped-def]
    one = signature_one(ed_example.server)
    check = one.detail
    assert isinstance(check, Ed25519Check)
    assert check.matches and check.lhs == check.rhs
    assert one.tbs_hash is None and one.hash_name is None and one.recovered_hash is None
    assert check.r_point + check.s.to_bytes(32, "little") == one.signature
    k = hashlib.sha512(check.r_point + check.public_key + one.tbs).digest()
    assert check.k == int.from_bytes(k, "little") % (
        2**252 + 27742317777372353535851937790883648493
    )


def test_ed25519_plain_int_base_point_matches_cryptography() -> None:
    from pkiviz.x509._curves import ED_B, ed_encode, ed_mul

    key = derive_key("ed25519", "edwards check")
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    h = bytearray(hashlib.sha512(seed).digest()[:32])
    h[0] &= 248
    h[31] = (h[31] & 127) | 64
    assert ED_B is not None
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert ed_encode(ed_mul(int.from_bytes(h, "little"), ED_B)) == raw


# --- wrong keys ---------------------------------------------------------------------


def test_wrong_issuer_key_fails_without_raising(ec_example, rsa_example, ed_example) -> None:  # type: ignore[no-untyped-def]
    wrong = [
        (ec_example.server, ec_example.root),  # P-384 key, P-256 signature
        (ec_example.server, ec_example.client_root),
        (rsa_example.server, rsa_example.client_root),
        (ed_example.server, derive_key("ed25519", "someone else").public_key()),
    ]
    for cert, issuer in wrong:
        one = signature_one(cert, issuer)
        assert not one.verified
        if isinstance(issuer, Issued):
            assert not _issued_by(cert.certificate, issuer.certificate)
        assert one.detail is not None and "does not match" in one.reason
        assert signature_one(cert).verified  # control: the right issuer
    rsa_wrong = signature_one(rsa_example.server, rsa_example.client_root).detail
    assert isinstance(rsa_wrong, RsaRecovery) and not rsa_wrong.well_formed
    assert rsa_wrong.parts[0][0].startswith("EM (not")


def test_key_of_another_type_fails_and_bare_keys_work(ec_example, rsa_example) -> None:  # type: ignore[no-untyped-def]
    one = signature_one(rsa_example.server, ec_example.intermediate.certificate.public_key())
    assert not one.verified and one.detail is None
    assert "cannot have made" in one.reason and one.checked_with == "a bare key"
    ok = signature_one(
        rsa_example.server.certificate, rsa_example.intermediate.certificate.public_key()
    )
    assert ok.verified
    tiny = rsa.generate_private_key(65537, 1024).public_key()  # too short for this signature
    short = signature_one(rsa_example.server, tiny)
    assert not short.verified and isinstance(short.detail, RsaRecovery)
    assert short.detail.encoded == b"" and "out of range" in short.detail.reason


def test_issuer_defaults(ec_example) -> None:  # type: ignore[no-untyped-def]
    assert signature_one(ec_example.root).verified  # self-signed: itself
    assert signature_one(ec_example.root.certificate).verified
    with pytest.raises(TypeError, match="give the issuer"):
        signature_one(ec_example.server.certificate)
    with pytest.raises(TypeError, match="expected a certificate"):
        signature_one(b"not a cert")  # type: ignore[arg-type]


# --- tampering ------------------------------------------------------------------------


@pytest.mark.parametrize("field", list(TAMPER_FIELDS))
@pytest.mark.parametrize("variant", ["ec-p256", "ed25519"])
def test_each_tamper_fails_and_the_original_passes(variant: str, field: str) -> None:
    server = running_example(key=variant).server
    assert server.issuer is not None
    t = tamper(server, field)
    # control: the untampered certificate verifies, by pkiviz and by cryptography
    assert t.original.verified and _issued_by(server.certificate, server.issuer.certificate)
    # the tampered one is a real certificate carrying the CA's original signature...
    assert t.certificate.signature == server.certificate.signature
    assert x509.load_der_x509_certificate(t.der).tbs_certificate_bytes != t.original.tbs
    # ...and it fails, by pkiviz and by cryptography
    assert not t.verified and not _issued_by(t.certificate, server.issuer.certificate)
    assert t.tampered.detail is not None and not t.tampered.detail.matches  # type: ignore[union-attr]
    assert t.changes and t.changed_bytes > 0
    for change in t.changes:
        assert t.original.tbs[change.old_start :].startswith(change.old)
        assert t.tampered.tbs[change.new_start :].startswith(change.new)
    if variant == "ec-p256":
        assert t.committed_hash == hashlib.sha256(t.original.tbs).digest() != t.new_hash


def test_tamper_names_the_changed_fields(ec_example) -> None:  # type: ignore[no-untyped-def]
    fields = {f: {c.field for c in tamper(ec_example.server, f).changes} for f in TAMPER_FIELDS}
    assert "subject" in fields["subject"]
    assert "extension subjectAltName" in fields["san"]
    assert {"subjectPublicKeyInfo", "extension subjectKeyIdentifier"} <= fields["public_key"]
    assert fields["not_after"] == {"notAfter"} and fields["not_before"] == {"notBefore"}
    assert fields["eku"] == {"extension extKeyUsage"}
    assert fields["serial"] == {"serialNumber"}
    assert tamper(ec_example.server, "not_after").changed_bytes == 1


def test_rsa_tamper_shows_the_signed_hash_is_the_old_one(rsa_example) -> None:  # type: ignore[no-untyped-def]
    t = tamper(rsa_example.server, "subject", "CN=evil.example")
    assert t.tampered.recovered_hash == hashlib.sha256(t.original.tbs).digest()
    assert t.new_hash == hashlib.sha256(t.tampered.tbs).digest() != t.tampered.recovered_hash
    assert isinstance(t.tampered.detail, RsaRecovery) and t.tampered.detail.well_formed
    assert "read back out of the signature" in str(t)


@pytest.mark.parametrize("which", ["server", "intermediate", "root", "client"])
def test_malleated_ecdsa_signature_still_verifies(ec_example, which: str) -> None:  # type: ignore[no-untyped-def]
    issued = getattr(ec_example, which)
    issuer = issued.issuer if issued.issuer is not None else issued
    twin = malleate_ecdsa(issued)
    original = issued.certificate
    # the signed bytes are untouched; only s changed, to n - s
    assert twin.tbs_certificate_bytes == original.tbs_certificate_bytes
    curve = CURVES[issuer.certificate.public_key().curve.name]
    r, s = utils.decode_dss_signature(original.signature)
    assert utils.decode_dss_signature(twin.signature) == (r, curve.n - s)
    assert twin.fingerprint(hashes.SHA256()) != original.fingerprint(hashes.SHA256())
    # ...and the twin verifies, by cryptography and by pkiviz's plain-integer equation
    assert _issued_by(twin, issuer.certificate)
    assert signature_one(twin, issuer).verified
    assert malleate_ecdsa(twin, issuer) == original  # an involution
    # control: any other change to s fails
    tbs, alg, _ = certificate_parts(issued.der)
    other = der.bit_string(utils.encode_dss_signature(r, (s + 1) % curve.n))
    broken = x509.load_der_x509_certificate(
        der.sequence(issued.der[tbs.start : tbs.end], issued.der[alg.start : alg.end], other)
    )
    assert not _issued_by(broken, issuer.certificate)
    assert not signature_one(broken, issuer).verified


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_openssl_accepts_the_malleated_certificate(ec_example, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ec_example.write_to(tmp_path)
    (tmp_path / "twin.pem").write_bytes(
        malleate_ecdsa(ec_example.server).public_bytes(serialization.Encoding.PEM)
    )
    trust = ["openssl", "verify", "-CAfile", "root.pem", "-untrusted", "intermediate.pem"]
    twin = subprocess.run([*trust, "twin.pem"], cwd=tmp_path, capture_output=True, text=True)
    assert twin.returncode == 0, twin.stderr
    # control: a tampered certificate is refused by the same command
    forged = tamper(ec_example.server, "not_after")
    forged.pem.write_to_path(tmp_path / "forged.pem")
    refused = subprocess.run([*trust, "forged.pem"], cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode != 0 and "signature failure" in refused.stdout + refused.stderr


def test_malleate_ecdsa_refuses_other_schemes(rsa_example, ed_example) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="ECDSA issuer"):
        malleate_ecdsa(rsa_example.server)
    with pytest.raises(ValueError, match="ECDSA issuer"):
        malleate_ecdsa(ed_example.server)
    with pytest.raises(TypeError):
        malleate_ecdsa(running_example().server.certificate)  # not self-issued: which issuer?
    # control: with the issuer named, the bare certificate works
    ex = running_example()
    assert _issued_by(
        malleate_ecdsa(ex.server.certificate, ex.intermediate), ex.intermediate.certificate
    )


def test_tamper_summary_and_pem(ec_example) -> None:  # type: ignore[no-untyped-def]
    results = [tamper(ec_example.server, f) for f in ("subject", "not_after")]
    table = tamper_summary(results)
    assert table.column("field") == ("subject", "not_after")
    assert table.column("tampered") == ("FAILED", "FAILED")
    assert table.column("original") == ("verified", "verified")
    assert table.column("bytes changed")[1] == "1"
    loaded = x509.load_pem_x509_certificate(results[0].pem.bytes())
    assert loaded == results[0].certificate


def test_tamper_values_and_errors(ec_example) -> None:  # type: ignore[no-untyped-def]
    t = tamper(ec_example.server, "san", "login.example.org")
    assert t.certificate.extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    ).value.get_values_for_type(x509.DNSName) == ["login.example.org"]
    assert tamper(ec_example.server, "eku", ("server_auth", "client_auth")).new_value == (
        "server_auth, client_auth"
    )
    assert tamper(ec_example.root, "subject").original.verified  # a self-signed root
    stretched = tamper(ec_example.intermediate, "not_after")  # a CA: 2049 -> 2054
    assert stretched.new_value == "2054-12-31 23:59:59 UTC" and not stretched.verified
    assert tamper(ec_example.server, "not_before").new_value == "2020-01-01 00:00:00 UTC"
    with pytest.raises(ValueError, match="unknown field"):
        tamper(ec_example.server, "colour")
    with pytest.raises(ValueError, match="already has"):
        tamper(ec_example.server, "subject", "CN=login.example.com")
    with pytest.raises(TypeError, match="expected"):
        tamper(ec_example.server, "not_after", "tomorrow")
    with pytest.raises(TypeError, match="Issued"):
        tamper(ec_example.server.certificate, "subject")
    live = CA.root("Live CA", live=True)
    with pytest.raises(ValueError, match="deterministic"):
        tamper(live, "subject")


# --- rendering --------------------------------------------------------------------------


def test_rendering_is_deterministic_and_complete(ec_example, rsa_example, ed_example) -> None:  # type: ignore[no-untyped-def]
    results = [
        signature_one(rsa_example.server),
        signature_one(ec_example.server),
        signature_one(ed_example.server),
        tamper(ec_example.server, "subject"),
    ]
    for result in results:
        text, page = str(result), result._repr_html_()
        assert text == str(result) and page == result._repr_html_()
        assert " at 0x" not in text and " at 0x" not in page
        assert "<table>" in page
        assert len(repr(result)) < 200
    assert "00 01" in str(results[0]) and "202 bytes of FF" in str(results[0])
    assert "R.x mod n == r" in str(results[1])
    assert "[S]B == R + [k]A" in str(results[2])
    assert "<mark>" in results[3]._repr_html_()
    assert "FAILED" in str(results[3]) and "VERIFIED" in str(results[3])


def test_notebook_text_output_is_the_full_rendering(ec_example) -> None:  # type: ignore[no-untyped-def]
    pretty = pytest.importorskip("IPython.lib.pretty")
    one = signature_one(ec_example.server)
    forged = tamper(ec_example.server, "not_after")
    for result in (one, one.detail, forged, forged.new_tbs_dump()):
        assert pretty.pretty(result) == str(result)
    assert str(forged.changes[0]) == "notAfter: 34 @141 -> 39 @141"


def test_hexdump_marks() -> None:
    dump = hexdump(bytes(range(20)), start=16, marks=[(17, 19)])
    assert str(dump).splitlines() == [
        "0010  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f",
        "         ^^ ^^",
        "0020  10 11 12 13",
    ]
    assert "<mark>01</mark> <mark>02</mark>" in dump._repr_html_()
    with pytest.raises(ValueError):
        hexdump(b"", width=0)


def test_certificate_parts_rejects_non_certificates() -> None:
    with pytest.raises(ValueError, match="3 parts"):
        certificate_parts(der.sequence(der.null()))


def test_core_imports_no_drawing_or_notebook_modules() -> None:
    code = (
        "import sys, pkiviz.x509.signature, pkiviz.x509.signature_schemes, "
        "pkiviz.x509.tamper, pkiviz.x509.hexdump; "
        "print(sorted(m for m in ('matplotlib', 'IPython', 'ipywidgets', 'networkx') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
