"""pkiviz.x509.anatomy: every field of a certificate, read back from what the factory built."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
import subprocess

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from pkiviz.x509.anatomy import Anatomy, anatomy, colon_hex
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import Issued, build
from pkiviz.x509.load import load_certificates
from pkiviz.x509.spec import CertSpec, CustomExtension

EX = running_example()
CERTIFI = load_certificates(certifi.where())


def _root(common_name: str) -> x509.Certificate:
    (cert,) = [c for c in CERTIFI if f"CN={common_name}," in c.subject.rfc4514_string()]
    return cert


def _leaf(**options: object) -> Issued:
    fields: dict[str, object] = {"label": "anatomy-leaf", "subject": "CN=leaf.example.com"}
    fields.update(options)
    return build(CertSpec(**fields), EX.intermediate)  # type: ignore[arg-type]


def _ski(cert: x509.Certificate) -> str:
    return colon_hex(
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    )


# --- the running example ---------------------------------------------------------------


def test_server_fields() -> None:
    a = anatomy(EX.server)
    cert = EX.server.certificate
    assert a.subject == "CN=login.example.com"
    assert a.issuer == "CN=Example Trust TLS CA 2026,O=Example Trust Co,C=US"
    assert a.serial_number == cert.serial_number
    assert a.serial_hex == f"{cert.serial_number:040X}"
    assert a.version == 3
    assert a.not_before == cert.not_valid_before_utc
    assert a.not_after == cert.not_valid_after_utc
    assert a.public_key.algorithm == "EC"
    assert a.public_key.size == 256
    assert a.public_key.curve == "P-256 (secp256r1)"
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert a.public_key.spki_sha256 == colon_hex(hashlib.sha256(spki).digest())
    assert a.subject_alt_names.dns == ("login.example.com",)
    assert a.subject_alt_names.entries() == ("DNS:login.example.com",)
    assert a.key_usage == ("digitalSignature",)
    assert a.extended_key_usage == ("serverAuth",)
    assert a.basic_constraints is not None
    assert (a.basic_constraints.ca, a.basic_constraints.path_length) == (False, None)
    assert a.basic_constraints.critical
    assert [(p.oid, p.name) for p in a.policies] == [
        ("2.23.140.1.2.1", "CA/B Forum domain validated (DV)")
    ]
    assert a.subject_key_identifier == _ski(cert)
    assert a.authority_key_identifier == _ski(EX.intermediate.certificate)
    assert a.signature.algorithm == "ecdsa-with-SHA256"
    assert a.signature.oid == "1.2.840.10045.4.3.2"
    assert a.signature.hash == "sha256"
    assert a.signature.value_hex == cert.signature.hex()
    assert a.fingerprint_sha256 == EX.server.fingerprint_sha256
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", a.fingerprint_sha256)
    assert a.notes == ()
    assert a.other_extensions == ()
    assert not a.self_issued


def test_ca_and_client_fields() -> None:
    inter = anatomy(EX.intermediate)
    assert inter.basic_constraints is not None
    assert (inter.basic_constraints.ca, inter.basic_constraints.path_length) == (True, 0)
    assert inter.key_usage == ("digitalSignature", "keyCertSign", "cRLSign")
    root = anatomy(EX.root)
    assert root.self_issued
    assert root.authority_key_identifier is None  # the factory leaves AKI off roots
    assert root.public_key.curve == "P-384 (secp384r1)"
    assert root.signature.algorithm == "ecdsa-with-SHA384"
    client = anatomy(EX.client)
    assert client.subject_alt_names.email == ("alice@example.com",)
    assert client.extended_key_usage == ("clientAuth",)
    assert client.policies == ()  # control: the server has DV, the client has none


def test_accepts_certificate_issued_pem_and_der() -> None:
    first = anatomy(EX.server)
    for form in (EX.server.certificate, EX.server.pem.data, EX.server.der):
        assert anatomy(form) == first
    with pytest.raises(TypeError):
        anatomy("login.example.com")


# --- the other shapes a certificate takes -------------------------------------------------


@pytest.mark.parametrize(
    ("key", "algorithm", "size", "signature"),
    [
        ("ed25519", "Ed25519", 256, "Ed25519"),
        ("ec-p384", "EC", 384, "ecdsa-with-SHA256"),
        ("rsa-2048", "RSA", 2048, "sha256WithRSAEncryption"),
    ],
)
def test_key_types(key: str, algorithm: str, size: int, signature: str) -> None:
    issued = build(
        CertSpec(label=f"anatomy-{key}", subject="CN=self", key=key, key_seed=f"bytemap-{key}")
    )
    a = anatomy(issued)
    assert (a.public_key.algorithm, a.public_key.size, a.signature.algorithm) == (
        algorithm,
        size,
        signature,
    )
    assert a.public_key.curve is None if algorithm != "EC" else a.public_key.curve
    assert (a.signature.hash is None) == (key == "ed25519")


def test_policies_are_named() -> None:
    a = anatomy(_leaf(policies=("ov", "ev", "1.2.3.4")))
    assert [(p.oid, p.name) for p in a.policies] == [
        ("2.23.140.1.2.2", "CA/B Forum organization validated (OV)"),
        ("2.23.140.1.1", "CA/B Forum extended validation (EV)"),
        ("1.2.3.4", None),
    ]


def test_aia_crl_ip_sans_and_tls_feature() -> None:
    a = anatomy(
        _leaf(
            dns_names=("a.example.com", "b.example.com"),
            ip_addresses=("127.0.0.1", "::1"),
            ocsp_url="http://ocsp.example.com",
            ca_issuers_url="http://ca.example.com/tls.der",
            crl_url="http://crl.example.com/tls.crl",
            must_staple=True,
        )
    )
    assert a.subject_alt_names.ip == ("127.0.0.1", "::1")
    assert a.ocsp_urls == ("http://ocsp.example.com",)
    assert a.ca_issuers_urls == ("http://ca.example.com/tls.der",)
    assert a.crl_distribution_points == ("http://crl.example.com/tls.crl",)
    (feature,) = a.other_extensions
    assert (feature.name, feature.summary) == ("tlsFeature", "status_request")
    plain = anatomy(_leaf())
    assert (plain.ocsp_urls, plain.crl_distribution_points, plain.other_extensions) == ((), (), ())


def test_uri_san_and_name_constraints() -> None:
    san = x509.SubjectAlternativeName([x509.UniformResourceIdentifier("spiffe://example.org/w")])
    a = anatomy(_leaf(extra_extensions=(CustomExtension("2.5.29.17", san.public_bytes()),)))
    assert a.subject_alt_names.uri == ("spiffe://example.org/w",)
    ca = build(
        CertSpec(
            label="anatomy-nc",
            subject="CN=Constrained CA",
            ca=True,
            permitted_subtrees=("DNS:example.com",),
        ),
        EX.root,
    )
    (nc,) = anatomy(ca).other_extensions
    assert (nc.name, nc.critical, nc.summary) == ("nameConstraints", True, "permitted: example.com")


def test_unparseable_extension_is_shown_not_raised() -> None:
    broken = _leaf(
        label="anatomy-bad-san",
        extra_extensions=(CustomExtension("2.5.29.17", b"\x04\x00"),),
    )
    with pytest.raises(ValueError):
        _ = broken.certificate.extensions  # cryptography refuses the whole list
    a = anatomy(broken)
    (bad,) = [e for e in a.extensions if e.oid == "2.5.29.17"]
    assert (bad.name, bad.status) == ("subjectAltName", "unparsed")
    assert bad in a.other_extensions
    assert any("subjectAltName (2.5.29.17) is unparsed" in n for n in a.notes)
    # the rest still parsed one by one
    assert a.key_usage == ("digitalSignature",)
    assert a.basic_constraints is not None
    assert "unparsed" in a.text()
    # control: the same certificate with a valid SAN has no notes
    good = anatomy(_leaf(dns_names=("x.example.com",)))
    assert good.notes == () and all(e.status == "parsed" for e in good.extensions)


def test_unrecognized_extension_is_listed_with_oid_and_critical() -> None:
    a = anatomy(_leaf(extra_extensions=(CustomExtension("1.2.3.4", b"\x05\x00", critical=True),)))
    (ext,) = a.other_extensions
    assert (ext.oid, ext.critical, ext.status) == ("1.2.3.4", True, "unrecognized")
    assert "1.2.3.4" in a.text() and "critical" in a.text()


def test_zero_serial_becomes_a_note() -> None:
    godaddy = anatomy(_root("Go Daddy Root Certificate Authority - G2"))
    assert godaddy.serial_number == 0
    assert any("RFC 5280 4.1.2.2" in n for n in godaddy.notes)
    digicert = anatomy(_root("DigiCert Global Root G2"))
    assert digicert.notes == ()


def test_digicert_root() -> None:
    a = anatomy(_root("DigiCert Global Root G2"))
    assert a.self_issued
    assert a.public_key.algorithm == "RSA" and a.public_key.size == 2048
    assert a.basic_constraints is not None and a.basic_constraints.ca
    assert a.signature.algorithm == "sha256WithRSAEncryption"


def test_every_certifi_root_has_an_anatomy() -> None:
    for cert in CERTIFI:
        a = anatomy(cert)
        assert a.text() and a._repr_html_()
        json.dumps(a.to_json_dict())


# --- property: what the spec asked for is what anatomy reads ------------------------------

names = st.from_regex(r"[a-z][a-z0-9]{0,8}\.example\.(com|org)", fullmatch=True)


@settings(max_examples=25, deadline=None)
@given(
    dns=st.lists(names, max_size=3, unique=True),
    eku=st.lists(st.sampled_from(["server_auth", "client_auth", "code_signing"]), unique=True),
    policies=st.lists(st.sampled_from(["dv", "ov", "ev"]), unique=True),
    days=st.integers(1, 3650),
)
def test_anatomy_reads_back_the_spec(
    dns: list[str], eku: list[str], policies: list[str], days: int
) -> None:
    from datetime import timedelta

    from pkiviz.clock import LEAF_NOT_BEFORE

    a = anatomy(
        _leaf(
            dns_names=tuple(dns),
            extended_key_usage=tuple(eku),
            policies=tuple(policies),
            not_after=LEAF_NOT_BEFORE + timedelta(days=days),
        )
    )
    assert a.subject_alt_names.dns == tuple(dns)
    expected_eku = {"server_auth": "serverAuth", "client_auth": "clientAuth"}
    expected_eku["code_signing"] = "codeSigning"
    assert a.extended_key_usage == (tuple(expected_eku[e] for e in eku) if eku else None)
    ids = {"dv": "2.23.140.1.2.1", "ov": "2.23.140.1.2.2", "ev": "2.23.140.1.1"}
    assert tuple(p.oid for p in a.policies) == tuple(ids[p] for p in policies)
    assert (a.not_after - a.not_before).days == days


# --- rendering -------------------------------------------------------------------------------


def test_text_is_aligned_and_deterministic() -> None:
    a = anatomy(EX.server)
    text = a.text()
    assert text == str(a) == str(anatomy(EX.server.der))
    lines = text.splitlines()
    assert lines[0] == "Certificate: CN=login.example.com"
    width = max(len(label) for label, _ in a.rows()) + 2
    for label, value in a.rows():  # every value starts in the same column
        start = f"  {label:<{width}}{value[:20]}".rstrip()
        assert any(line.startswith(start) for line in lines), start
    for label in ("Subject", "Issuer", "Public key", "Not before", "Extended key usage"):
        assert f"  {label}" in text
    assert "2025-01-01T00:00:00Z" in text
    assert all(len(line) <= 100 for line in lines)


# openssl x509 -text's names for the extensions whose rows can be marked critical.
_OPENSSL_NAMES = {
    "X509v3 Basic Constraints": "Basic constraints",
    "X509v3 Key Usage": "Key usage",
    "X509v3 Extended Key Usage": "Extended key usage",
    "X509v3 Subject Alternative Name": "Subject alt names",
    "X509v3 Certificate Policies": "Policy",
    "X509v3 Subject Key Identifier": "Subject key id",
    "X509v3 Authority Key Identifier": "Authority key id",
    "X509v3 Name Constraints": "nameConstraints",
    "1.2.3.4": "1.2.3.4",
}


def _marked(a: Anatomy) -> set[str]:
    return {label.strip() for label, value in a.rows() if "critical" in value}


def _openssl_critical(certs: list[x509.Certificate]) -> list[set[str]]:
    """The extensions ``openssl x509 -text`` marks critical, per certificate, in one run."""
    pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
    pkcs7 = subprocess.run(
        ["openssl", "crl2pkcs7", "-nocrl", "-certfile", "/dev/stdin"],
        input=pem,
        capture_output=True,
        check=True,
    ).stdout
    text = subprocess.run(
        ["openssl", "pkcs7", "-print_certs", "-text", "-noout"],
        input=pkcs7,
        capture_output=True,
        check=True,
    ).stdout.decode()
    blocks = text.split("Certificate:\n")[1:]
    assert len(blocks) == len(certs)
    return [
        {
            _OPENSSL_NAMES[line.strip().removesuffix(": critical")]
            for line in block.splitlines()
            if line.rstrip().endswith(": critical")
        }
        for block in blocks
    ]


def test_every_critical_extension_is_marked() -> None:
    a = anatomy(EX.server)
    assert _marked(a) == {"Basic constraints", "Key usage"}
    assert "digitalSignature (critical)" in a.text()
    assert a.critical_extensions == {"2.5.29.19", "2.5.29.15"}
    # SAN is critical exactly when the subject is empty (RFC 5280 4.2.1.6)...
    nameless = anatomy(_leaf(label="anatomy-nameless", subject="", dns_names=("x.example.com",)))
    assert "Subject alt names" in _marked(nameless)
    assert "DNS:x.example.com (critical)" in nameless.text()
    # ...control: the same leaf with a subject has a non-critical SAN, and it is not marked.
    named = anatomy(_leaf(dns_names=("x.example.com",)))
    assert "Subject alt names" not in _marked(named)
    assert "DNS:x.example.com\n" in named.text() + "\n"
    # A root whose key usage is not critical is not marked either.
    wisekey = anatomy(_root("OISTE WISeKey Global Root GB CA"))
    assert _marked(wisekey) == {"Basic constraints"}
    assert wisekey.key_usage is not None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")
def test_critical_marks_agree_with_openssl() -> None:
    odd = [
        _leaf(label="anatomy-nameless", subject="", dns_names=("x.example.com",)),
        _leaf(extra_extensions=(CustomExtension("1.2.3.4", b"\x05\x00", critical=True),)),
        build(
            CertSpec(
                label="anatomy-nc",
                subject="CN=Constrained CA",
                ca=True,
                permitted_subtrees=("DNS:example.com",),
            ),
            EX.root,
        ),
    ]
    ours = [EX.root, EX.intermediate, EX.server, EX.client_root, EX.client, *odd]
    certs = [i.certificate for i in ours] + list(CERTIFI)
    expected = _openssl_critical(certs)
    assert [_marked(anatomy(c)) for c in certs] == expected
    # Control: the comparison is not vacuous - both kinds of certificate occur.
    assert {"Subject alt names", "1.2.3.4", "nameConstraints"} <= set().union(*expected)
    assert {"Basic constraints"} in expected and {"Basic constraints", "Key usage"} in expected


def test_html_is_a_clean_escaped_table() -> None:
    html = anatomy(EX.server)._repr_html_()
    assert html.startswith("<table") and html.endswith("</table>")
    assert "login.example.com" in html and "serverAuth" in html
    assert "<script" not in html and "<link" not in html and "<style" not in html
    odd = anatomy(build(CertSpec(label="anatomy-html", subject=r"CN=\<b\>bold\</b\> & co")))
    odd_html = odd._repr_html_()
    assert "<b>bold" not in odd_html and r"\&lt;b\&gt;bold" in odd_html


def test_json_dict() -> None:
    data = anatomy(EX.server).to_json_dict()
    for key in (
        "subject",
        "issuer",
        "serial_number",
        "not_before",
        "not_after",
        "public_key",
        "subject_alt_names",
        "key_usage",
        "extended_key_usage",
        "basic_constraints",
        "signature_algorithm",
        "fingerprint_sha256",
        "certificate_policies",
        "authority_info_access",
        "crl_distribution_points",
        "extensions",
        "subject_key_identifier",
        "authority_key_identifier",
    ):
        assert key in data, key
    assert json.loads(json.dumps(data)) == data
    assert data["not_before"] == "2025-01-01T00:00:00Z"
    assert data["not_after"].endswith("Z")
    assert data["subject_alt_names"]["dns"] == ["login.example.com"]
    assert data["basic_constraints"] == {"ca": False, "path_length": None, "critical": True}
    assert data["signature_algorithm"] == "ecdsa-with-SHA256"


def test_anatomy_is_frozen() -> None:
    a = anatomy(EX.server)
    assert isinstance(a, Anatomy)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.subject = "CN=evil"  # type: ignore[misc]
