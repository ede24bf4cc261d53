"""A server authenticated with ML-DSA, its CertificateVerify checked by hand; the size table."""

from __future__ import annotations

import functools

import pytest

from pkiviz.net.glassbox_run import OpenSSL4Server, Session, connect
from pkiviz.net.glassbox_sizes import size_table
from pkiviz.tls.glassbox import VerificationFailed, check_certificate_verify
from pkiviz.x509.example import HOSTNAME
from pkiviz.x509.factory import CA


@functools.lru_cache
def chain(key_type):
    """Root, intermediate and leaf with keys derived from labels (pkiviz.x509.keys.derive_key)."""
    root = CA.root(f"PQ Root [{key_type}]", key=key_type)
    inter = root.intermediate(f"PQ TLS CA [{key_type}]", key=key_type, path_length=0,
                              extended_key_usage=("server_auth",))  # fmt: skip
    leaf = inter.issue_server(HOSTNAME, key=key_type, label=f"{HOSTNAME} [{key_type}]")
    return root, inter, leaf


def session(key_type, **options):
    root, inter, leaf = chain(key_type)
    with OpenSSL4Server((leaf.certificate, inter.certificate), leaf.private_key) as srv:
        box = connect(*srv.address, HOSTNAME, trust=(root.certificate,), **options)
        (server,) = srv.wait(1)
    return Session(box, server)


@pytest.mark.parametrize(("key_type", "scheme"), [("ml-dsa-44", "mldsa44"),
                                                  ("ml-dsa-65", "mldsa65")])  # fmt: skip
def test_mldsa_server_verified_by_hand(key_type, scheme):
    s = session(key_type, profile="rfc5280", group="X25519MLKEM768")
    cv = s.client.certificate_verify
    assert cv.scheme == scheme and cv.verified, cv.reason
    assert s.client.chain_report is not None and s.client.chain_report.valid
    assert s.secrets_match and s.server.completed
    leaf = s.client.server_certificates[0]
    # controls: one flipped signature byte, or another ML-DSA key, and it fails
    bad = bytes([cv.signature[0] ^ 1]) + cv.signature[1:]
    assert not check_certificate_verify(leaf, scheme, bad, cv.transcript_hash).verified
    other = chain("ml-dsa-65" if key_type == "ml-dsa-44" else "ml-dsa-44")[2].certificate
    assert not check_certificate_verify(other, scheme, cv.signature, cv.transcript_hash).verified
    wrong_hash = bytes(32)
    assert not check_certificate_verify(leaf, scheme, cv.signature, wrong_hash).verified


def test_the_webpki_profile_refuses_an_mldsa_chain():
    with pytest.raises(VerificationFailed) as caught:
        session("ml-dsa-44")  # default profile: what browsers enforce today
    report = caught.value.report
    assert report is not None and report.first_failure is not None
    assert report.first_failure.check == "algorithms"
    assert session("ml-dsa-44", profile="rfc5280").client.chain_report.valid  # control


def test_size_table():
    table = size_table()
    assert [(r.chain, r.group) for r in table.rows][:4] == [
        ("ECDSA P-256", "x25519"), ("RSA-2048", "x25519"),
        ("ML-DSA-44", "x25519"), ("ML-DSA-65", "x25519"),
    ]  # fmt: skip
    # CertificateVerify = 4-byte header + 2-byte scheme + 2-byte length + signature
    assert table.row("RSA-2048", "x25519").certificate_verify == 8 + 256
    assert table.row("ML-DSA-44", "x25519").certificate_verify == 8 + 2420  # FIPS 204
    assert table.row("ML-DSA-65", "x25519").certificate_verify == 8 + 3309
    assert 8 + 68 <= table.row("ECDSA P-256", "x25519").certificate_verify <= 8 + 72
    certs = [table.row(c, "x25519").certificate for c in ("ECDSA P-256", "RSA-2048",
                                                          "ML-DSA-44", "ML-DSA-65")]  # fmt: skip
    assert certs == sorted(certs) and certs[2] > 8 * certs[0]
    for chain_label in ("ECDSA P-256", "ML-DSA-44"):
        classic, hybrid = table.row(chain_label, "x25519"), table.row(chain_label, "X25519MLKEM768")
        assert (classic.client_share, classic.server_share) == (32, 32)
        assert (hybrid.client_share, hybrid.server_share) == (1184 + 32, 1088 + 32)
        assert hybrid.certificate == classic.certificate
        assert hybrid.handshake - classic.handshake > 2200
    assert "ML-DSA-65" in table.text() and "<table>" in table._repr_html_()
