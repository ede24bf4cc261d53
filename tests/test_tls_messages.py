"""The handshake parser: real messages parse, bad bytes give a pkiviz error."""

from __future__ import annotations

import contextlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkiviz.net.live import live_handshake
from pkiviz.tls import HandshakeParseError, parse_message
from pkiviz.tls._der import parse_name
from pkiviz.tls.handshake import handshake_from_records
from pkiviz.tls.messages import Alert, CertificateRequest, ClientHello, ServerHello
from pkiviz.x509 import der
from pkiviz.x509.example import running_example
from pkiviz.x509.parse import serial_number

EXAMPLE = running_example(live=True)


@pytest.fixture(scope="module")
def mtls13():
    return live_handshake(mtls=True, example=EXAMPLE).client


@pytest.fixture(scope="module")
def mtls12():
    return live_handshake(mtls=True, version="1.2", example=EXAMPLE).client


def test_client_hello_fields(mtls13):
    hello = mtls13.find("ClientHello", "client")
    assert hello is not None and isinstance(hello.body, ClientHello)
    assert hello.body.server_name == "login.example.com"
    assert "TLSv1.3" in hello.body.supported_versions
    assert "TLS_AES_128_GCM_SHA256" in hello.body.cipher_suites
    assert hello.body.key_share_groups == ("x25519",)
    assert "ecdsa_secp256r1_sha256" in hello.body.signature_algorithms
    assert not hello.encrypted


def test_server_hello_fields(mtls13):
    msg = mtls13.find("ServerHello")
    assert msg is not None and isinstance(msg.body, ServerHello)
    assert msg.body.selected_version == "TLSv1.3" == mtls13.version
    assert msg.body.cipher_suite == mtls13.cipher
    assert msg.body.key_share_group == "x25519"


def test_certificate_request_tls13_names_the_client_ca(mtls13):
    req = mtls13.certificate_request
    assert isinstance(req, CertificateRequest)
    assert "ecdsa_secp256r1_sha256" in req.signature_algorithms
    # Python's ssl never calls SSL_CTX_set_client_CA_list, so its servers name
    # no CAs; openssl s_server does (see test_probe.py).
    assert req.certificate_authorities == ()
    assert req.certificate_types == ()


def test_certificate_request_tls12_has_types_and_names(mtls12):
    req = mtls12.certificate_request
    assert isinstance(req, CertificateRequest)
    assert "ecdsa_sign" in req.certificate_types
    assert "rsa_sign" in req.certificate_types
    assert "ecdsa_secp256r1_sha256" in req.signature_algorithms


def test_no_certificate_request_without_mtls():
    assert live_handshake(example=EXAMPLE).client.certificate_request is None


def test_certificates_are_x509_objects(mtls13):
    example = EXAMPLE
    assert mtls13.server_certificates == (
        example.server.certificate,
        example.intermediate.certificate,
    )
    assert mtls13.client_certificates == (example.client.certificate,)


def test_alert_parses_name_and_number():
    msg = parse_message("server", 21, bytes([2, 116]), encrypted=True)
    assert isinstance(msg.body, Alert)
    assert (msg.type, msg.body.level, msg.body.description, msg.body.code) == (
        "Alert", "fatal", "certificate_required", 116,
    )  # fmt: skip


def test_unknown_alert_number_is_named_unknown():
    msg = parse_message("server", 21, bytes([2, 250]))
    assert isinstance(msg.body, Alert) and msg.body.description.startswith("unknown(")


def test_der_name_round_trips():
    name = running_example().client_root.certificate.subject
    assert parse_name(name.public_bytes()) == name


def test_der_name_keeps_string_types_so_it_re_encodes_the_same_bytes() -> None:
    def rdn(oid: str, tag: int, value: bytes) -> bytes:
        return der.encode_tlv(
            0x31, der.sequence(der.object_identifier(oid), der.encode_tlv(tag, value))
        )

    encoded = der.sequence(
        rdn("2.5.4.10", 0x13, b"Example"),  # PrintableString where cryptography picks UTF8String
        rdn("2.5.4.3", 0x14, b"Cafe"),  # T61String
        rdn("2.5.4.3", 0x1E, "Ω".encode("utf-16-be")),  # BMPString
    )
    name = parse_name(encoded)
    assert name.rfc4514_string() == "CN=Ω,CN=Cafe,O=Example"
    assert name.public_bytes() == encoded


def test_bad_der_name_is_a_parse_error():
    with pytest.raises(HandshakeParseError):
        parse_name(b"\x30\x05\x31\x03")


def test_non_der_name_is_a_parse_error() -> None:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "x")]).public_bytes()
    assert parse_name(name).rfc4514_string() == "CN=x"  # control
    long_form = b"\x30\x81" + name[1:]  # the same length in a needless long form (X.690 10.1)
    with pytest.raises(HandshakeParseError, match="non-minimal length"):
        parse_name(long_form)


def _certificate_request(names: list[x509.Name], *, tls13: bool) -> bytes:
    """A CertificateRequest naming ``names`` (RFC 8446 4.3.2 / 4.2.4, RFC 5246 7.4.4)."""
    dns = b"".join(len(d).to_bytes(2, "big") + d for d in (n.public_bytes() for n in names))
    authorities = len(dns).to_bytes(2, "big") + dns
    if tls13:
        ext = (47).to_bytes(2, "big") + len(authorities).to_bytes(2, "big") + authorities
        body = b"\x00" + len(ext).to_bytes(2, "big") + ext
    else:  # certificate_types {ecdsa_sign}, signature algorithms {ecdsa_secp256r1_sha256}
        body = b"\x01\x40" + b"\x00\x02\x04\x03" + authorities
    return b"\x0d" + len(body).to_bytes(3, "big") + body


@pytest.mark.parametrize("tls13", [True, False])
def test_certificate_request_ca_name_with_a_large_first_arc(tls13: bool) -> None:
    control = x509.Name([x509.NameAttribute(x509.ObjectIdentifier("2.5.4.3"), "Root")])
    # 2.999: the first subidentifier, 2 * 40 + 999 = 1079, needs two octets (X.690 8.19.4)
    large = x509.Name([x509.NameAttribute(x509.ObjectIdentifier("2.999.1"), "x")])
    msg = parse_message(
        "server", 22, _certificate_request([control, large], tls13=tls13), tls13=tls13
    )
    assert isinstance(msg.body, CertificateRequest)
    assert msg.body.certificate_authorities == ("CN=Root", "2.999.1=x")


@pytest.mark.parametrize("tls13", [True, False])
def test_certificate_request_summary_says_when_no_ca_names_were_sent(tls13: bool) -> None:
    named = x509.Name([x509.NameAttribute(x509.ObjectIdentifier("2.5.4.3"), "Root")])
    empty = parse_message("server", 22, _certificate_request([], tls13=tls13), tls13=tls13)
    control = parse_message("server", 22, _certificate_request([named], tls13=tls13), tls13=tls13)
    assert empty.summary.endswith("; no CA names sent")  # not "any CA": the list is a hint
    assert control.summary.endswith("; CAs: CN=Root")


def test_truncated_message_is_a_parse_error_naming_the_field(mtls13):
    raw = mtls13.find("ClientHello").raw
    with pytest.raises(HandshakeParseError, match="ClientHello"):
        parse_message("client", 22, raw[:40])


def test_intact_message_parses(mtls13):
    raw = mtls13.find("ClientHello").raw
    assert parse_message("client", 22, raw).type == "ClientHello"


def test_trailing_bytes_are_a_parse_error():
    with pytest.raises(HandshakeParseError, match="trailing"):
        parse_message("server", 21, bytes([2, 40, 0]))


def test_not_a_handshake_content_type():
    with pytest.raises(HandshakeParseError):
        parse_message("server", 23, b"\x00")


def test_handshake_text_and_html(mtls13):
    text = mtls13.text()
    assert "CertificateVerify" in text and "encrypted" in text
    html = mtls13._repr_html_()
    assert html.startswith("<table>") and "CertificateRequest" in html
    assert next(d["type"] for d in mtls13.to_json_list()) == "ClientHello"


def test_find_by_sender(mtls13):
    assert mtls13.find("CertificateVerify", "server").sender == "server"
    assert mtls13.find("CertificateVerify", "client").sender == "client"
    assert mtls13.find("ServerKeyExchange") is None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_messages_never_raise_anything_but_parse_error(mtls13, data):
    msg = data.draw(st.sampled_from([m for m in mtls13.messages if m.is_handshake]))
    raw = bytearray(msg.raw)
    cut = data.draw(st.integers(0, len(raw)))
    raw = raw[:cut]
    if raw:
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    with contextlib.suppress(HandshakeParseError):
        parse_message(msg.sender, 22, bytes(raw), tls13=True)


def _certificate_message_with(mtls13, old: bytes, new: bytes) -> bytes:
    msg = mtls13.find("Certificate", "server")
    assert msg is not None and old in msg.raw
    return msg.raw.replace(old, new, 1)


def test_a_certificate_with_a_negative_serial_parses_without_a_warning(mtls13):
    # Found by the fuzz test above in CI: one flipped byte made the serial
    # negative, and cryptography's deprecation warning escaped the parser.
    leaf = mtls13.find("Certificate", "server").body.certificates[0]
    leaf_der = leaf.public_bytes(serialization.Encoding.DER)
    tbs = der.children(leaf_der, der.read_single(leaf_der))[0]
    serial = der.children(leaf_der, tbs)[1]  # after the [0] version
    negative = bytearray(leaf_der)
    negative[serial.content_start] = 0x80  # minimal DER whatever follows
    body = parse_message(
        "server", 22, _certificate_message_with(mtls13, leaf_der, bytes(negative)), tls13=True
    )
    assert serial_number(body.body.certificates[0]) < 0
    control = parse_message(
        "server", 22, _certificate_message_with(mtls13, leaf_der, leaf_der), tls13=True
    )
    assert control.body.certificates[0].serial_number == leaf.serial_number > 0


def test_a_certificate_with_a_bad_version_is_a_parse_error(mtls13):
    # cryptography raises InvalidVersion (not a ValueError) for version 8.
    bad = _certificate_message_with(
        mtls13, bytes.fromhex("a003020102"), bytes.fromhex("a003020107")
    )
    with pytest.raises(HandshakeParseError, match="version"):
        parse_message("server", 22, bad, tls13=True)


def test_handshake_from_records_rejects_garbage_with_parse_error():
    with pytest.raises(HandshakeParseError):
        handshake_from_records([("client", 22, b"\x01\x00\x00\x05abc", None)], perspective="wire")


def test_client_key_exchange_rsa_and_ecdhe_layouts() -> None:
    from pkiviz.tls.messages import parse_message

    rsa_body = b"\x01\x00" + bytes(range(256))  # 2-byte length: RSA key transport
    rsa = parse_message(
        "client", 22, b"\x10" + len(rsa_body).to_bytes(3, "big") + rsa_body, tls13=False
    )
    assert rsa.body.kind == "rsa-or-dhe" and len(rsa.body.public) == 256
    # Control: an ECDHE point keeps its 1-byte length.
    ec_body = b"\x41" + b"\x04" + bytes(64)
    ecdhe = parse_message(
        "client", 22, b"\x10" + len(ec_body).to_bytes(3, "big") + ec_body, tls13=False
    )
    assert ecdhe.body.kind == "ecdhe" and len(ecdhe.body.public) == 65
