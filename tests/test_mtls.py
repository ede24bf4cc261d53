"""Mutual TLS end to end: both handshake signatures and both chains, with controls."""

from __future__ import annotations

import datetime as _dt

import pytest

from pkiviz.net.live import live_handshake
from pkiviz.net.mtls import check_mutual, mtls_handshake, spki_sha256, symmetric_picture
from pkiviz.tls.signatures import flip_byte, verify_certificate_verify
from pkiviz.x509.example import running_example

EXAMPLE = running_example()


@pytest.fixture(scope="module", params=["1.3", "1.2"])
def mutual(request):
    return mtls_handshake(version=request.param)


def test_both_signatures_verify_and_both_chains_are_valid(mutual):
    assert mutual.verified
    assert mutual.client_signature.signer == "client"
    assert mutual.client_signature.message == "CertificateVerify"
    assert mutual.client_signature.signer_certificate == EXAMPLE.client.certificate
    assert mutual.server_signature.signer_certificate == EXAMPLE.server.certificate
    expected = "CertificateVerify" if mutual.handshake.tls13 else "ServerKeyExchange"
    assert mutual.server_signature.message == expected


def test_client_chain_is_validated_for_client_auth_against_the_client_root(mutual):
    report = mutual.client_chain
    assert report.valid and report.purpose == "client"
    assert report.path[-1] == EXAMPLE.client_root.certificate
    assert mutual.server_chain.purpose == "server"
    assert mutual.server_chain.path[-1] == EXAMPLE.root.certificate


def test_the_server_capture_holds_the_same_client_signature(mutual):
    server_view = verify_certificate_verify(mutual.session.server, "client")
    assert server_view.verified
    assert server_view.signed_content == mutual.client_signature.signed_content


def test_control_a_flipped_transcript_byte_breaks_the_client_signature(mutual):
    tampered = verify_certificate_verify(flip_byte(mutual.handshake), "client")
    assert not tampered.verified


def test_control_the_client_chain_fails_against_the_server_side_root(mutual):
    wrong = check_mutual(
        mutual.handshake,
        server_trust=(EXAMPLE.root,),
        client_trust=(EXAMPLE.root,),  # the web root does not vouch for Alice
        at=mutual.session.at,
    )
    assert wrong.server_chain.valid and not wrong.client_chain.valid
    assert not wrong.verified
    assert wrong.client_signature.verified  # signature two still holds; signature one does not


def test_control_alice_is_not_valid_for_server_auth(mutual):
    from pkiviz.validation import validate

    report = validate(
        EXAMPLE.client, trust_anchors=(EXAMPLE.client_root,), at=mutual.session.at, purpose="server"
    )
    assert not report.valid


def test_picture_rows_are_read_from_the_capture(mutual):
    table = mutual.picture()
    aspects = table.column("aspect")
    server = dict(zip(aspects, table.column("server side (HTTPS and mTLS)"), strict=True))
    client = dict(zip(aspects, table.column("client side (mTLS only)"), strict=True))
    assert server["certificate (subject CN)"] == "login.example.com"
    assert client["certificate (subject CN)"] == "alice@example.com"
    assert server["issued by"] == "Example Trust TLS CA 2026"
    assert client["issued by"] == "Example Trust Client Auth Root CA"
    assert (server["extended key usage"], client["extended key usage"]) == (
        "serverAuth",
        "clientAuth",
    )
    assert server["trust anchor reached"] == "Example Trust Root CA"
    assert client["trust anchor reached"] == "Example Trust Client Auth Root CA"
    assert client["chain validated by"] == "the server, against its own client truststore"
    assert client["signing key (from the certificate)"] == (
        f"ec-p256, SPKI SHA-256 {spki_sha256(EXAMPLE.client.certificate)[:23]}..."
    )
    assert server["signature verified (pkiviz)"] == client["signature verified (pkiviz)"] == "yes"
    assert client["what it proves"].endswith("the real client")


def test_picture_is_the_same_on_every_run():
    first = mtls_handshake().picture().text()
    assert mtls_handshake().picture().text() == first


def test_symmetric_picture_from_the_server_capture_matches(mutual):
    session = mutual.session
    picture = symmetric_picture(
        session.server,
        server_trust=(EXAMPLE.root,),
        client_trust=(EXAMPLE.client_root,),
        peer_name=EXAMPLE.hostname,
        at=session.at,
    )
    assert picture == mutual.picture()


def test_a_live_example_works_too():
    live = running_example(live=True, key="rsa-2048")
    mutual = mtls_handshake(example=live)
    assert mutual.verified
    assert mutual.client_signature.scheme.startswith("rsa_pss_")


def test_a_one_way_handshake_is_not_mutual():
    session = live_handshake(example=EXAMPLE)
    with pytest.raises(ValueError, match="not a mutual-TLS handshake"):
        check_mutual(
            session.client, server_trust=(EXAMPLE.root,), client_trust=(EXAMPLE.client_root,),
            at=_dt.datetime.now(_dt.UTC),
        )  # fmt: skip


def test_message_table_marks_the_three_mtls_messages(mutual):
    from pkiviz.net.mtls import message_table

    table = message_table(mutual.handshake)
    marked = [
        msg
        for msg, flag in zip(table.column("message"), table.column("only in mTLS"), strict=True)
        if flag
    ]
    assert marked == ["CertificateRequest", "Certificate", "CertificateVerify"]
    assert message_table(mtls_handshake(version=mutual.handshake.version[-3:]).handshake) == table
