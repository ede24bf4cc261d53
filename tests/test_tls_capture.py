"""Live handshakes on 127.0.0.1, captured at both ends and from the wire."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pkiviz.net.live import (
    Server,
    client_context,
    connect,
    live_handshake,
    resumed_handshake,
    run_handshake,
    server_context,
)
from pkiviz.tls.messages import Alert
from pkiviz.x509.example import running_example

EXAMPLES = {key: running_example(live=True, key=key) for key in ("ec-p256", "rsa-2048", "ed25519")}

TLS13 = ["ClientHello", "ServerHello", "EncryptedExtensions", "Certificate", "CertificateVerify",
         "Finished", "Finished"]  # fmt: skip
TLS12 = ["ClientHello", "ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone",
         "ClientKeyExchange", "Finished", "Finished"]  # fmt: skip


def handshake_types(hs):
    return [m.type for m in hs if m.is_handshake and m.type != "NewSessionTicket"]


def per_sender(hs):
    return {s: [(m.type, m.raw, m.encrypted) for m in hs.sent_by(s)] for s in ("client", "server")}


@pytest.mark.parametrize("key", sorted(EXAMPLES))
@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_handshake_captured_at_both_ends(key, version):
    session = live_handshake(version=version, example=EXAMPLES[key])
    expected = TLS13 if version == "1.3" else TLS12
    for hs in (session.client, session.server):
        assert hs.completed and hs.error is None
        assert hs.version == f"TLSv{version}"
        assert handshake_types(hs) == expected
        assert hs.server_certificates[0] == EXAMPLES[key].server.certificate
    assert per_sender(session.client) == per_sender(session.server)


def test_tls13_encrypts_everything_after_server_hello():
    hs = live_handshake(example=EXAMPLES["ec-p256"]).client
    plain = [(m.sender, m.type) for m in hs if not m.encrypted]
    assert plain == [
        ("client", "ClientHello"),
        ("server", "ServerHello"),
        ("server", "ChangeCipherSpec"),  # middlebox-compatibility CCS (RFC 8446 D.4)
        ("client", "ChangeCipherSpec"),
    ]


def test_tls12_sends_certificates_in_the_clear():
    hs = live_handshake(version="1.2", example=EXAMPLES["ec-p256"]).client
    encrypted = [(m.sender, m.type) for m in hs if m.encrypted]
    assert encrypted == [("client", "Finished"), ("server", "Finished")]


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_mutual_tls_adds_request_certificate_and_verify(version):
    session = live_handshake(version=version, mtls=True, example=EXAMPLES["ec-p256"])
    for hs in (session.client, session.server):
        assert hs.completed and hs.error is None
        assert hs.find("CertificateRequest", "server") is not None
        assert hs.client_certificates == (EXAMPLES["ec-p256"].client.certificate,)
        assert hs.find("CertificateVerify", "client") is not None


def test_without_mtls_no_client_certificate():
    hs = live_handshake(example=EXAMPLES["ec-p256"]).client
    assert hs.find("CertificateRequest") is None and hs.client_certificates == ()


def test_missing_client_certificate_is_captured_with_alert_116():
    session = live_handshake(mtls=True, send_client_cert=False, example=EXAMPLES["ec-p256"])
    for hs in (session.client, session.server):
        alert = hs.failure_alert
        assert alert is not None and alert.sender == "server" and alert.encrypted
        assert isinstance(alert.body, Alert)
        assert (alert.body.description, alert.body.code) == ("certificate_required", 116)
    assert session.server.error is not None and not session.server.completed
    assert "CERTIFICATE_REQUIRED" in (session.client.error or "")


def test_client_with_certificate_gets_no_alert():
    session = live_handshake(mtls=True, example=EXAMPLES["ec-p256"])
    assert session.client.failure_alert is None and session.server.failure_alert is None


def test_hello_retry_request_when_server_refuses_x25519():
    hs = live_handshake(hello_retry=True, example=EXAMPLES["ec-p256"]).client
    types = handshake_types(hs)
    assert types[:4] == ["ClientHello", "HelloRetryRequest", "ClientHello", "ServerHello"]
    assert hs.messages[1].body.key_share_group == "secp256r1"
    assert hs.find_all("ClientHello")[1].body.key_share_groups == ("secp256r1",)
    assert hs.hello_retry


def test_no_hello_retry_by_default():
    assert not live_handshake(example=EXAMPLES["ec-p256"]).client.hello_retry


@pytest.mark.parametrize(
    "options",
    [{}, {"version": "1.2"}, {"mtls": True}, {"hello_retry": True}, {"key": "rsa-2048"},
     {"mtls": True, "version": "1.2", "key": "ed25519"}, {"mtls": True, "send_client_cert": False}],
)  # fmt: skip
def test_key_log_and_wire_tap_give_the_same_messages(options):
    options = dict(options)
    key = options.pop("key", "ec-p256")
    session = live_handshake(wire=True, example=EXAMPLES[key], **options)
    assert session.wire is not None
    assert per_sender(session.wire) == per_sender(session.client)
    assert [m.type for m in session.wire] == [
        m.type for m in session.client
    ] or session.client.hello_retry


def test_wire_path_fails_cleanly_with_the_wrong_key_log():
    from pkiviz.errors import InputError
    from pkiviz.net import wire

    with Server(server_context(EXAMPLES["ec-p256"].server)) as srv, wire.Tap(srv.address) as tap:
        ctx = client_context(EXAMPLES["ec-p256"].root)
        connect(ctx, *tap.address, server_hostname="login.example.com")
        (flow,) = tap.wait(1)
        srv.wait(1)
    good = live_handshake(wire=True, example=EXAMPLES["ec-p256"])  # control: a matching log works
    assert good.wire is not None
    with pytest.raises(InputError, match="key log has no"):
        wire.decrypt_flow(flow, "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + "00" * 32 + " " + "11" * 48)


def test_server_captures_many_connections_and_shuts_down():
    example = EXAMPLES["ec-p256"]
    with Server(server_context(example.server)) as srv:
        for _ in range(3):
            hs = connect(
                client_context(example.root), *srv.address, server_hostname=example.hostname
            )
            assert hs.completed
        assert len(srv.wait(3)) == 3
    with pytest.raises(RuntimeError):
        _ = srv.address


def test_untrusted_server_is_captured_with_the_clients_alert():
    example = EXAMPLES["ec-p256"]
    other = running_example(live=True, key="ec-p256")  # a different root, same names
    with Server(server_context(other.server)) as srv:
        hs = connect(client_context(example.root), *srv.address, server_hostname=example.hostname)
        (server_side,) = srv.wait(1)
    assert not hs.completed and "certificate verify failed" in (hs.error or "")
    alert = server_side.failure_alert
    assert alert is not None and alert.sender == "client" and alert.body.description == "unknown_ca"
    assert hs.find("Certificate", "server") is not None  # the bad chain is in the capture


curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


@curl
@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_curl_client_captured_at_the_server(tmp_path, version):
    example = EXAMPLES["ec-p256"]
    root = example.root.pem.write_to_path(tmp_path / "root.pem")
    with Server(server_context(example.server, version=version)) as srv:
        result = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "--cacert", str(root),
             "--resolve", f"{example.hostname}:{srv.port}:127.0.0.1",
             f"https://{example.hostname}:{srv.port}/"],
            capture_output=True, timeout=20, check=False,
        )  # fmt: skip
        (hs,) = srv.wait(1)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"ok\n"
    assert hs.version == f"TLSv{version}" and hs.completed
    hello = hs.find("ClientHello", "client")
    assert hello is not None and hello.body.server_name == example.hostname
    assert "application_layer_protocol_negotiation" in hello.body.extensions  # curl offers ALPN


@curl
def test_curl_with_wrong_trust_fails_and_server_captures_its_alert(tmp_path):
    example = EXAMPLES["ec-p256"]
    wrong = running_example(live=True).root.pem.write_to_path(tmp_path / "wrong.pem")
    with Server(server_context(example.server)) as srv:
        result = subprocess.run(
            ["curl", "-sS", "--max-time", "10", "--cacert", str(wrong),
             "--resolve", f"{example.hostname}:{srv.port}:127.0.0.1",
             f"https://{example.hostname}:{srv.port}/"],
            capture_output=True, timeout=20, check=False,
        )  # fmt: skip
        (hs,) = srv.wait(1)
    assert result.returncode != 0
    assert hs.failure_alert is not None and hs.failure_alert.sender == "client"


@openssl
@pytest.mark.parametrize("mtls", [False, True])
def test_openssl_s_client_captured_at_the_server(tmp_path, mtls):
    example = EXAMPLES["ec-p256"]
    root = example.root.pem.write_to_path(tmp_path / "root.pem")
    args = ["openssl", "s_client", "-connect", "PLACEHOLDER", "-servername", example.hostname,
            "-CAfile", str(root), "-verify_return_error", "-brief"]  # fmt: skip
    if mtls:
        cert = example.client.pem.write_to_path(tmp_path / "client.pem")
        key = example.client.key_pem.write_to_path(tmp_path / "client.key")
        args += ["-cert", str(cert), "-key", str(key)]
    ctx = server_context(example.server, client_ca=example.client_root if mtls else None)
    with Server(ctx) as srv:
        args[3] = f"127.0.0.1:{srv.port}"
        result = subprocess.run(
            args, stdin=subprocess.DEVNULL, capture_output=True, timeout=20, check=False
        )
        (hs,) = srv.wait(1)
    assert result.returncode == 0, result.stderr
    assert hs.completed and hs.version == "TLSv1.3"
    assert (hs.find("CertificateVerify", "client") is not None) is mtls


def test_client_alert_on_a_bad_chain_travels_in_plaintext_even_in_tls13():
    """OpenSSL's client has not switched its write keys yet when it rejects the chain."""
    example = EXAMPLES["ec-p256"]
    other = running_example(live=True, key="ec-p256")
    session = run_handshake(
        server_context(other.server), client_context(example.root),
        server_hostname=example.hostname, wire=True,
    )  # fmt: skip
    assert session.wire is not None
    for hs in (session.client, session.server, session.wire):
        alert = hs.failure_alert
        assert alert is not None and alert.body.description == "unknown_ca"
        assert not alert.encrypted
    # control: the server's alert in the missing-client-certificate case is encrypted
    missing = live_handshake(mtls=True, send_client_cert=False, wire=True, example=example)
    assert missing.wire is not None and missing.wire.failure_alert.encrypted


@pytest.mark.parametrize(
    "suite", ["ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256"]
)
def test_wire_path_decrypts_other_tls12_aeads(suite):
    example = EXAMPLES["ec-p256"]
    ctx = client_context(example.root, version="1.2")
    ctx.set_ciphers(suite)
    session = run_handshake(
        server_context(example.server), ctx, server_hostname=example.hostname, wire=True
    )
    assert session.wire is not None
    assert per_sender(session.wire) == per_sender(session.client)
    assert session.wire.find("Finished", "server").encrypted


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_resumed_handshake_has_no_certificate_and_no_signature(version):
    result = resumed_handshake(example=EXAMPLES["ec-p256"], version=version)
    assert result.reused and result.full.completed and result.resumed.completed
    signed_by_server = {"Certificate", "CertificateVerify", "ServerKeyExchange"}
    # control: the full handshake has the certificate and the server's signature
    assert signed_by_server & {m.type for m in result.full.sent_by("server")}
    assert result.full.server_certificates
    assert not signed_by_server & {m.type for m in result.resumed}
    assert not result.resumed.server_certificates
    assert result.resumed.version == result.full.version == f"TLSv{version}"


def test_another_server_cannot_resume_the_session():
    """Negative control: other ticket keys, so the server falls back to a full handshake."""
    result = resumed_handshake(example=EXAMPLES["ec-p256"], same_server=False)
    assert not result.reused and result.resumed.completed
    assert result.resumed.find("CertificateVerify", "server") is not None


def test_connect_offers_a_session_only_when_given_one():
    example = EXAMPLES["ec-p256"]
    ctx = client_context(example.root)
    with Server(server_context(example.server)) as srv:
        first = connect(ctx, *srv.address, server_hostname=example.hostname)
        again = connect(ctx, *srv.address, server_hostname=example.hostname, session=None)
        srv.wait(2)
    assert first.find("CertificateVerify", "server") is not None
    assert again.find("CertificateVerify", "server") is not None  # no session offered: full
