"""Forward secrecy for real: a TLS 1.2 RSA recording opens with the server key, TLS 1.3 does not."""

from __future__ import annotations

import pytest

from pkiviz.errors import InputError
from pkiviz.net.forward_secrecy import decrypt_with_server_key, record
from pkiviz.net.wire import decrypt_flow
from pkiviz.tls.keyschedule import parse_keylog
from pkiviz.x509.example import running_example
from pkiviz.x509.keys import generate_key

# fresh RSA keys: deriving a 2048-bit RSA key from a label takes seconds
EXAMPLE = running_example(key="rsa-2048", live=True)
KEY = EXAMPLE.server.private_key


@pytest.fixture(scope="module")
def tls12():
    return record(EXAMPLE.server, version="1.2")


@pytest.fixture(scope="module")
def tls13():
    return record(EXAMPLE.server, version="1.3")


def test_tls12_rsa_recording_is_read_with_the_server_key_alone(tls12):
    assert tls12.server.completed and tls12.server.version == "TLSv1.2"
    result = decrypt_with_server_key(tls12.flow, KEY)
    assert result.suite == "TLS_RSA_WITH_AES_128_GCM_SHA256"
    assert result.key_exchange == "RSA key transport" and result.missing is None
    assert result.premaster is not None and len(result.premaster) == 48
    assert result.premaster[:2] == b"\x03\x03"  # client_version inside the premaster
    client = b"".join(d for who, d in result.plaintext if who == "client")
    server = b"".join(d for who, d in result.plaintext if who == "server")
    assert client.startswith(b"GET / HTTP/1.1\r\nHost: login.example.com")
    assert server == tls12.response and server.startswith(b"HTTP/1.1 200 OK")
    # the master secret equals what the server itself logged
    logged = parse_keylog(tls12.server.keylog)
    assert logged[("CLIENT_RANDOM", result.client_random)] == result.master_secret
    # and the key log line the eavesdropper can now write opens the Finished messages too
    opened = decrypt_flow(tls12.flow, result.keylog())
    assert opened.find("Finished", "client") is not None
    assert opened.find("Finished", "server") is not None


def test_another_rsa_key_is_refused_as_not_the_servers(tls12):
    with pytest.raises(InputError, match="this is not the server's key: its public key differs"):
        decrypt_with_server_key(tls12.flow, generate_key("rsa-2048"))  # type: ignore[arg-type]
    # Control: the server's own key reads the recording.
    assert decrypt_with_server_key(tls12.flow, KEY).decrypted


def test_tls13_recording_of_the_same_key_cannot_be_read(tls13):
    assert tls13.server.completed and tls13.server.version == "TLSv1.3"
    result = decrypt_with_server_key(tls13.flow, KEY)
    assert not result.decrypted and result.master_secret is None
    assert result.missing is not None and "shared secret" in result.missing
    assert result.key_exchange.endswith("(ephemeral)")
    # control: what is missing is exactly the ephemeral secrets; with the server's
    # own key log (which an eavesdropper never has) the same recording opens
    opened = decrypt_flow(tls13.flow, tls13.server.keylog)
    assert opened.find("Certificate", "server") is not None
    assert opened.server_certificates[0] == EXAMPLE.server.certificate


def test_tls12_with_ecdhe_cannot_be_read_either():
    rec = record(EXAMPLE.server, version="1.2", ciphers="ECDHE-RSA-AES128-GCM-SHA256")
    assert rec.server.completed
    result = decrypt_with_server_key(rec.flow, KEY)
    assert not result.decrypted and result.key_exchange == "ECDHE (ephemeral)"
