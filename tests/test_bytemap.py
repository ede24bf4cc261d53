"""pkiviz.x509.bytemap and pkiviz.x509.der: every byte of a certificate named; the names tile."""

from __future__ import annotations

import dataclasses
import datetime as dt

import certifi
import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkiviz.errors import InputError
from pkiviz.x509.bytemap import ByteMap, Region, byte_map
from pkiviz.x509.der import decode_oid, encode_length, read_single, read_tlv
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import Issued, build
from pkiviz.x509.load import load_certificates
from pkiviz.x509.spec import EKU_OIDS, CertSpec

UTC = dt.UTC
EX = running_example()
TBS_FIELDS = ("version", "serialNumber", "signature", "issuer", "validity", "subject")


def check_map(cert: x509.Certificate) -> ByteMap:
    """The properties every certificate's map must have."""
    m = byte_map(cert)
    der = m.der
    assert m.tiles(), m.tiling_errors()
    assert m.find("Certificate").end == len(der)
    assert m.bytes_of("TBSCertificate") == cert.tbs_certificate_bytes
    assert m.bytes_of("signatureValue signature bytes") == cert.signature
    assert m.bytes_of("signatureValue unused-bits octet") == b"\x00"
    leaves = m.leaves()
    assert b"".join(m.bytes_of(r) for r in leaves) == der  # every byte exactly once
    for name in (*TBS_FIELDS, "subjectPublicKeyInfo", "signatureAlgorithm", "signatureValue"):
        assert m.find(name).depth in (1, 2)
    return m


# --- property test over factory certificates -----------------------------------------

dns_names = st.from_regex(r"[a-z][a-z0-9]{0,8}(\.[a-z][a-z0-9]{0,8}){1,3}", fullmatch=True)
times = st.datetimes(min_value=dt.datetime(1975, 1, 1), max_value=dt.datetime(2070, 1, 1)).map(
    lambda t: t.replace(microsecond=0, tzinfo=UTC)
)


@st.composite
def certificates(draw: st.DrawFn) -> Issued:
    key = draw(st.sampled_from(["rsa-2048", "ec-p256", "ec-p384", "ed25519"]))
    not_before = draw(times)
    ca = draw(st.booleans())
    spec = CertSpec(
        label="prop-" + draw(st.text("abcdefghij0123456789", min_size=1, max_size=12)),
        subject=draw(st.sampled_from(["CN=prop", "CN=prop,O=Example,C=US", "O=No CN"])),
        key=key,
        key_seed=f"bytemap-{key}",  # few keys, so RSA derivation is cached
        hash=draw(st.sampled_from(["sha256", "sha384", "sha512"])),
        ca=ca,
        path_length=draw(st.none() | st.integers(0, 3)) if ca else None,
        not_before=not_before,
        not_after=not_before + draw(st.timedeltas(dt.timedelta(days=1), dt.timedelta(days=9000))),
        serial=draw(st.none() | st.integers(1, 2**159 - 1)),
        dns_names=tuple(draw(st.lists(dns_names, max_size=3, unique=True))),
        ip_addresses=tuple(draw(st.lists(st.ip_addresses().map(str), max_size=2, unique=True))),
        emails=tuple(draw(st.lists(st.just("a@example.com"), max_size=1))),
        extended_key_usage=tuple(draw(st.lists(st.sampled_from(sorted(EKU_OIDS)), unique=True))),
        policies=tuple(
            draw(st.lists(st.sampled_from(["dv", "ov", "ev", "any", "1.2.3.4"]), unique=True))
        ),
        ocsp_url=draw(st.none() | st.just("http://ocsp.example.com")),
        crl_url=draw(st.none() | st.just("http://crl.example.com/ca.crl")),
        must_staple=draw(st.booleans()),
        subject_key_identifier=draw(st.booleans()),
        basic_constraints=draw(st.booleans()),
    )
    issuer = draw(st.sampled_from([None, EX.intermediate, EX.root]))
    return build(spec, issuer)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(certificates())
def test_regions_tile_factory_certificates(issued: Issued) -> None:
    m = check_map(issued.certificate)
    names = [r.name for r in m.regions]
    exts = list(issued.certificate.extensions)
    ext_regions = [r for r in m.regions if r.depth == 3 and r.name.startswith("extension ")]
    assert len(ext_regions) == len(exts)
    if exts:
        assert m.find("extensions").depth == 2
    else:
        assert "extensions" not in names
    key_bits = m.bytes_of("subjectPublicKey key bytes")
    assert key_bits in m.bytes_of("subjectPublicKeyInfo")


def test_running_example_regions() -> None:
    for issued in (EX.root, EX.intermediate, EX.server, EX.client_root, EX.client):
        m = check_map(issued.certificate)
        assert [r.name for r in m.children(m.find("Certificate"))] == [
            "Certificate header (tag+length)",
            "TBSCertificate",
            "signatureAlgorithm",
            "signatureValue",
        ]
        tbs_children = [r.name for r in m.children(m.find("TBSCertificate"))]
        assert tbs_children[:7] == ["TBSCertificate header (tag+length)", *TBS_FIELDS]
        assert "extension subjectKeyIdentifier" in [r.name for r in m.regions]


def test_server_extension_names_in_order() -> None:
    m = byte_map(EX.server.certificate)
    names = [r.name for r in m.children(m.find("extensions"))]
    assert names == [
        "extensions [3] header (tag+length)",
        "Extensions SEQUENCE header (tag+length)",
        "extension basicConstraints",
        "extension keyUsage",
        "extension extKeyUsage",
        "extension subjectAltName",
        "extension certificatePolicies",
        "extension subjectKeyIdentifier",
        "extension authorityKeyIdentifier",
    ]
    critical = m.find("basicConstraints critical")
    assert m.bytes_of(critical) == b"\x01\x01\xff"


def test_certifi_roots_tile() -> None:
    certs = load_certificates(certifi.where())
    for cert in certs:
        check_map(cert)


def test_der_bytes_and_certificate_give_the_same_map() -> None:
    assert byte_map(EX.server.der) == byte_map(EX.server.certificate)


# --- the tiling check catches broken maps ---------------------------------------------


def test_tiling_check_catches_a_gap_and_an_overlap() -> None:
    good = byte_map(EX.server.certificate)
    assert good.tiles()
    serial = good.find("serialNumber")
    shrunk = tuple(
        dataclasses.replace(r, end=r.end - 1) if r == serial else r for r in good.regions
    )
    gap = ByteMap(good.der, shrunk)
    assert not gap.tiles()
    assert any("gap" in e for e in gap.tiling_errors())
    grown = tuple(dataclasses.replace(r, end=r.end + 1) if r == serial else r for r in good.regions)
    overlap = ByteMap(good.der, grown)
    assert any("overlap" in e for e in overlap.tiling_errors())


def test_tiling_check_catches_an_orphan_and_a_short_root() -> None:
    good = byte_map(EX.server.certificate)
    orphan = ByteMap(good.der, (*good.regions, Region("stray", 0, 4, 9, "")))
    assert any("no parent" in e for e in orphan.tiling_errors())
    short = ByteMap(good.der + b"\x00", good.regions)
    assert any("depth-0" in e for e in short.tiling_errors())
    assert good.tiles()


# --- malformed input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (EX.server.der[:-1], "truncated DER"),
        (EX.server.der + b"\x00", "trailing byte"),
        (b"\x02\x01\x01", "Certificate is INTEGER"),
        (b"\x30\x03\x02\x01\x01", "outer SEQUENCE has 1 elements"),
        (b"\x30\x80\x00\x00", "indefinite length"),
        (b"\x30\x81\x01\x00", "non-minimal length"),
    ],
    ids=["truncated", "trailing", "not a sequence", "one element", "BER", "non-minimal"],
)
def test_byte_map_rejects_non_certificates(data: bytes, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        byte_map(data)
    assert byte_map(EX.server.der).tiles()


def test_byte_map_accepts_issued_and_wrong_type_is_refused() -> None:
    with pytest.raises(TypeError):
        byte_map("login.example.com")
    assert byte_map(bytearray(EX.server.der)).tiles()
    assert byte_map(EX.server) == byte_map(EX.server.certificate)


def test_byte_map_reads_der_cryptography_refuses() -> None:
    # version INTEGER 5: cryptography will not load it, the byte map still names its bytes
    der = EX.server.der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x05", 1)
    with pytest.raises(x509.InvalidVersion):
        x509.load_der_x509_certificate(der)
    m = byte_map(der)
    assert m.tiles()
    assert "v6" in m.find("version").description
    assert "v3" in byte_map(EX.server.der).find("version").description


# --- der.py --------------------------------------------------------------------------------


@settings(deadline=None)  # a busy machine must not fail an example
@given(st.integers(0, 70_000))
def test_length_round_trip(length: int) -> None:
    encoded = b"\x04" + encode_length(length)
    tlv = read_tlv(encoded + bytes(length))
    assert (tlv.length, tlv.header_length, tlv.end) == (length, len(encoded), len(encoded) + length)
    assert read_single(encoded + bytes(length)) == tlv


def test_oid_decoding() -> None:
    assert decode_oid(bytes.fromhex("551d11")) == "2.5.29.17"
    assert decode_oid(bytes.fromhex("2a864886f70d01010b")) == "1.2.840.113549.1.1.11"
    assert decode_oid(bytes.fromhex("67810c010201")) == "2.23.140.1.2.1"
    with pytest.raises(InputError):
        decode_oid(bytes.fromhex("5581"))  # cut off mid-arc


def test_high_tag_number_and_read_single() -> None:
    tlv = read_single(bytes([0xBF, 0x81, 0x00, 0x00]))
    assert (tlv.tag_class, tlv.number, tlv.constructed) == ("context", 128, True)
    assert tlv.tag_name == "[128]"
    with pytest.raises(InputError, match="cut off"):
        read_single(bytes([0xBF, 0x81]))


# --- rendering ---------------------------------------------------------------------------------


def test_text_view_lists_offsets_hex_and_names() -> None:
    text = byte_map(EX.server.certificate).text()
    lines = text.splitlines()
    assert lines[0].split() == ["offset", "hex", "region"]
    assert any(line.startswith("000000  30 82") and "Certificate header" in line for line in lines)
    assert "TBSCertificate (446 bytes)" in text
    assert "signatureValue signature bytes" in text
    assert text == str(byte_map(EX.server.der))  # deterministic


def test_html_view_has_a_legend_and_labels() -> None:
    html = byte_map(EX.server.certificate)._repr_html_()
    assert html.startswith("<div>") and html.endswith("</div>")
    assert "background:" in html  # coloured
    for label in ("subjectPublicKeyInfo", "signatureValue", "serialNumber", "RFC 5280 4.1.2.2"):
        assert label in html  # readable without colour
    assert "<script" not in html and "<link" not in html
