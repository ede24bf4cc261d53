"""The glass-box TLS 1.3 client against a real OpenSSL 4 server on 127.0.0.1.

Every secret it derives must equal the server's key log, for X25519 and the
X25519MLKEM768 hybrid; every failure has a passing control beside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import threading
import time

import pytest

from pkiviz.clock import wall_clock
from pkiviz.net.glassbox_run import BODY, OpenSSL4Server, connect, glassbox_session
from pkiviz.tls import glassbox_schedule as ks
from pkiviz.tls.glassbox import (
    Client,
    GlassBoxError,
    Incomplete,
    ServerAlert,
    Unsupported,
    VerificationFailed,
)
from pkiviz.tls.glassbox_kex import client_share
from pkiviz.tls.glassbox_records import RecordAuthError, nonce, open_record
from pkiviz.x509.example import running_example

EXAMPLE = running_example()
CHAIN = (EXAMPLE.server.certificate, EXAMPLE.intermediate.certificate)
SIZES = {"x25519": (32, 32, 32), "X25519MLKEM768": (1216, 1120, 64)}


@pytest.fixture(scope="module", params=sorted(SIZES))
def session(request):
    return glassbox_session(group=request.param)


def test_every_secret_equals_the_servers_key_log(session):
    rows = session.keylog_comparison()
    assert [label for label, _, _ in rows] == list(ks.KEYLOG_LABELS.values())
    assert all(theirs is not None for _, _, theirs in rows)
    assert session.secrets_match
    assert session.server.group == session.client.group


def test_the_server_accepts_the_finished_and_answers(session):
    assert session.server.completed and session.server.error is None
    assert session.server.request.startswith(b"GET / HTTP/1.1\r\nHost: login.example.com")
    assert session.client.response is not None and session.client.response.endswith(BODY)
    assert session.client.alert is not None and session.client.alert.description == "close_notify"


def test_share_and_secret_sizes(session):
    box = session.client
    client_len, server_len, secret_len = SIZES[box.group]
    assert len(box.share.public) == client_len == sum(len(p) for _, p in box.share.parts)
    assert len(box.shared.server_share) == server_len
    assert len(box.shared.value) == secret_len


def test_hybrid_secret_is_mlkem_then_x25519():
    session = glassbox_session(group="X25519MLKEM768")
    box, logged = session.client, session.server.secrets(session.client.client_random)
    assert [name for name, _ in box.shared.parts] == ["ML-KEM-768 shared secret",
                                                      "X25519 shared secret"]  # fmt: skip
    hello_hash = box.schedule.step("client_handshake_traffic_secret").inputs[1].value
    right = ks.handshake_schedule(box.shared.value, hello_hash)
    assert right["client_handshake_traffic_secret"] == logged["CLIENT_HANDSHAKE_TRAFFIC_SECRET"]
    # control: the other order is a different key schedule, not the server's
    swapped = box.shared.parts[1][1] + box.shared.parts[0][1]
    wrong = ks.handshake_schedule(swapped, hello_hash)
    assert wrong["client_handshake_traffic_secret"] != logged["CLIENT_HANDSHAKE_TRAFFIC_SECRET"]


def test_a_wrong_transcript_hash_gives_another_secret(session):
    box = session.client
    logged = session.server.secrets(box.client_random)["CLIENT_HANDSHAKE_TRAFFIC_SECRET"]
    step = box.schedule.step("client_handshake_traffic_secret")
    hs = box.schedule["handshake_secret"]
    hello_hash = step.inputs[1].value
    assert ks.derive_secret(hs, "c hs traffic", hello_hash) == logged
    wrong = bytes([hello_hash[0] ^ 1]) + hello_hash[1:]
    assert ks.derive_secret(hs, "c hs traffic", wrong) != logged


def test_a_client_finished_over_a_wrong_transcript_is_refused():
    session = glassbox_session(tamper="finished")
    assert not session.server.completed and session.server.error == "digest check failed"
    assert session.client.alert is not None and session.client.alert.description == "decrypt_error"
    assert session.client.response is None
    # its handshake secrets are still right: only the Finished MAC was wrong (the server
    # logs no application secrets for a connection whose Finished failed)
    logged = session.server.secrets(session.client.client_random)
    assert (
        logged["CLIENT_HANDSHAKE_TRAFFIC_SECRET"]
        == session.client.schedule["client_handshake_traffic_secret"]
    )
    control = glassbox_session()
    assert control.server.completed and control.client.alert.description == "close_notify"


def test_a_flipped_ciphertext_byte_gets_bad_record_mac():
    session = glassbox_session(tamper="ciphertext")
    assert not session.server.completed
    assert session.server.error == "decryption failed or bad record mac"
    assert session.client.alert is not None and session.client.alert.code == 20  # bad_record_mac
    control = glassbox_session()
    assert control.server.completed


def test_records_show_nonce_aad_and_tag(session):
    records = session.client.records
    senders = {r.sender for r in records}
    assert senders == {"client", "server"}
    for rec in records:
        assert rec.nonce == nonce(rec.iv, rec.seq)
        assert rec.nonce == bytes(
            a ^ b for a, b in zip(rec.iv, rec.seq.to_bytes(12, "big"), strict=True)
        )
        assert rec.additional_data == rec.header and rec.header[:3] == b"\x17\x03\x03"
        assert len(rec.tag) == 16 and int.from_bytes(rec.header[3:], "big") == len(rec.wire) - 5
        again = open_record(rec.sender, rec.epoch, rec.key, rec.iv, rec.seq, rec.header,
                            rec.ciphertext + rec.tag)  # fmt: skip
        assert again.plaintext == rec.plaintext
    rec = records[0]
    with pytest.raises(RecordAuthError):  # control: one flipped byte, no plaintext
        open_record(rec.sender, rec.epoch, rec.key, rec.iv, rec.seq, rec.header,
                    bytes([rec.ciphertext[0] ^ 1]) + rec.ciphertext[1:] + rec.tag)  # fmt: skip
    with pytest.raises(RecordAuthError):  # control: the wrong sequence number
        open_record(rec.sender, rec.epoch, rec.key, rec.iv, rec.seq + 1, rec.header,
                    rec.ciphertext + rec.tag)  # fmt: skip


def test_decrypted_handshake_messages_and_finished_macs(session):
    box = session.client
    types = [(m.sender, m.type, m.encrypted) for m in box.messages if m.type != "NewSessionTicket"]
    assert types[:7] == [
        ("client", "ClientHello", False),
        ("server", "ServerHello", False),
        ("server", "EncryptedExtensions", True),
        ("server", "Certificate", True),
        ("server", "CertificateVerify", True),
        ("server", "Finished", True),
        ("client", "Finished", True),
    ]
    assert box.server_certificates == CHAIN
    assert (
        box.certificate_verify.verified
        and box.certificate_verify.scheme == "ecdsa_secp256r1_sha256"
    )
    server_mac, client_mac = box.finished
    assert server_mac.matches is True and client_mac.matches is None
    assert box.message("Finished").body.verify_data == server_mac.verify_data
    assert box.chain_report is not None and box.chain_report.valid


def test_the_client_side_is_deterministic():
    a, b = glassbox_session(), glassbox_session()
    hello = [m.raw for m in (a.client.messages[0], b.client.messages[0])]
    assert hello[0] == hello[1]
    assert a.client.server_random != b.client.server_random  # the server's side is live
    other = glassbox_session(seed="another client")
    assert other.client.messages[0].raw != hello[0]
    assert client_share(seed="another client").public != a.client.share.public


def test_a_hello_retry_request_is_refused_by_name():
    with OpenSSL4Server(CHAIN, EXAMPLE.server.private_key) as srv:
        with pytest.raises(Unsupported) as caught:
            connect(*srv.address, EXAMPLE.hostname, send_key_share=False)
        srv.wait(1)
    assert caught.value.feature == "HelloRetryRequest"


def test_a_certificate_request_is_refused_by_name():
    with OpenSSL4Server(CHAIN, EXAMPLE.server.private_key, request_client_cert=True) as srv:
        with pytest.raises(Unsupported) as caught:
            connect(*srv.address, EXAMPLE.hostname)
        srv.wait(1)
    assert caught.value.feature == "client authentication"


def test_a_tls12_only_server_answers_with_an_alert():
    with OpenSSL4Server(CHAIN, EXAMPLE.server.private_key, version="1.2") as srv:
        with pytest.raises(ServerAlert) as caught:
            connect(*srv.address, EXAMPLE.hostname)
        srv.wait(1)
    assert caught.value.alert.description == "protocol_version"


def test_an_untrusted_chain_is_refused():
    stranger = running_example(key="ed25519").root.certificate
    with OpenSSL4Server(CHAIN, EXAMPLE.server.private_key) as srv:
        with pytest.raises(VerificationFailed) as caught:
            connect(*srv.address, EXAMPLE.hostname, trust=(stranger,))
        srv.wait(1)
    assert caught.value.report is not None and not caught.value.report.valid
    with OpenSSL4Server(CHAIN, EXAMPLE.server.private_key) as srv:  # control
        box = connect(*srv.address, EXAMPLE.hostname, trust=(EXAMPLE.root.certificate,))
        srv.wait(1)
    assert box.chain_report is not None and box.chain_report.valid


def test_rsa_server_uses_rsa_pss():
    rsa = running_example(key="rsa-2048", live=True)  # fresh keys: deriving RSA takes seconds
    session = glassbox_session(example=rsa, at=wall_clock())
    assert session.client.certificate_verify.scheme == "rsa_pss_rsae_sha256"
    assert session.client.certificate_verify.verified and session.secrets_match


def test_a_server_without_a_common_signature_scheme_refuses():
    ed = running_example(key="ed25519")  # the client offers no ed25519 scheme
    chain = (ed.server.certificate, ed.intermediate.certificate)
    with OpenSSL4Server(chain, ed.server.private_key) as srv:
        with pytest.raises(ServerAlert) as caught:
            connect(*srv.address, ed.hostname)
        (server,) = srv.wait(1)
    assert caught.value.alert.description == "handshake_failure" and not server.completed


@pytest.mark.parametrize(
    ("server", "client"),
    [
        ({}, {"send_key_share": True}),  # the HelloRetryRequest refusal's control
        ({"request_client_cert": False}, {}),  # the CertificateRequest's
        ({"version": "1.3"}, {}),  # the TLS 1.2-only server's
        ({}, {}),  # a P-256 chain: a scheme in common (the ed25519 server's)
    ],
    ids=["key-share-sent", "no-certificate-request", "tls13-allowed", "common-scheme"],
)
def test_control_each_refused_server_completes_with_that_one_thing_changed(server, client):
    with OpenSSL4Server(CHAIN, EXAMPLE.server.private_key, **server) as srv:
        box = connect(*srv.address, EXAMPLE.hostname, **client)
        (side,) = srv.wait(1)
    assert side.completed and box.response is not None and box.response.endswith(BODY)


@contextlib.contextmanager
def _fake_server(behaviour):
    """A TCP server on 127.0.0.1 whose one connection reads the ClientHello, then ``behaviour``."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    stop = threading.Event()

    def serve():
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                conn.recv(65536)
                if behaviour == "silent":
                    stop.wait(10)
                elif behaviour == "drip":  # a plausible handshake record, one byte at a time
                    for byte in b"\x16\x03\x03\x40\x00" + b"\x02" * 0x4000:
                        if stop.wait(0.05):
                            break
                        conn.sendall(bytes([byte]))
                # "close": close at once

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        listener.close()
        thread.join(15)
        assert not thread.is_alive()


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [
        ("close", r"the server closed before its Finished \(state wait_server_hello\)"),
        ("silent", r"no answer within 0\.5 s \(state wait_server_hello\)"),
        ("drip", r"the exchange did not finish within 1\.5 s \(state wait_server_hello\)"),
    ],
)
def test_a_server_that_closes_falls_silent_or_drips_is_a_glassbox_error(behaviour, message):
    started = time.monotonic()
    with _fake_server(behaviour) as address, pytest.raises(Incomplete, match=message) as caught:
        connect(*address, EXAMPLE.hostname, timeout=0.5, deadline=1.5)
    assert isinstance(caught.value, GlassBoxError)
    assert time.monotonic() - started < 5  # nothing hangs
    # Control: the real server, with the same timeout and deadline, completes.
    with OpenSSL4Server(CHAIN, EXAMPLE.server.private_key) as srv:
        box = connect(*srv.address, EXAMPLE.hostname, timeout=0.5, deadline=1.5)
        srv.wait(1)
    assert box.response is not None and box.response.endswith(BODY)


def test_client_options_are_checked():
    with pytest.raises(ValueError, match="tamper"):
        Client("x", tamper="everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown group"):
        Client("x", group="secp256r1")
    assert dataclasses.is_dataclass(glassbox_session().client)


def test_every_result_renders_itself(session):
    box = session.client
    rec = box.records[0]
    parts = [
        (session, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
        (box.shared, box.shared.parts[-1][1].hex()),
        (box.schedule, "client_handshake_traffic_secret"),
        (box.schedule.step("master_secret"), box.schedule["master_secret"].hex()),
        (rec, rec.nonce.hex()),
        (box.finished[0], box.finished[0].verify_data.hex()),
        (box.certificate_verify, box.certificate_verify.scheme),
    ]
    for obj, expected in parts:
        assert expected in obj._repr_html_(), type(obj).__name__
    assert "✗" not in session._repr_html_()
    assert box.keylog() == box.schedule.keylog(box.client_random)
    assert box.keylog().count("\n") == 5
