"""The mutual-TLS failure matrix, cell by cell, for TLS 1.3 and TLS 1.2."""

from __future__ import annotations

import pytest

from pkiviz.net.live import now
from pkiviz.net.mtls_failures import (
    SCENARIOS,
    capture_failures,
    failure_certificates,
    failure_table,
)
from pkiviz.validation import validate
from pkiviz.x509.example import running_example

EXAMPLE = running_example()
VERIFY = "certificate verify failed: "

# (client sent, server's verdict, server's alert, client's handshake completes, client's error)
EXPECTED = {
    ("1.3", "valid"): ("Certificate + CertificateVerify", "accepted", None, True, None),
    ("1.3", "none"): ("empty Certificate", "PEER_DID_NOT_RETURN_A_CERTIFICATE", 116, True,
                      "TLSV13_ALERT_CERTIFICATE_REQUIRED"),
    ("1.3", "untrusted-ca"): ("Certificate + CertificateVerify",
                              VERIFY + "unable to get local issuer certificate", 48, True,
                              "TLSV1_ALERT_UNKNOWN_CA"),
    ("1.3", "server-auth-only"): ("Certificate + CertificateVerify",
                                  VERIFY + "unsuitable certificate purpose", 43, True,
                                  "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE"),
    ("1.3", "expired"): ("Certificate + CertificateVerify", VERIFY + "certificate has expired", 45,
                         True, "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
    ("1.2", "valid"): ("Certificate + CertificateVerify", "accepted", None, True, None),
    ("1.2", "none"): ("empty Certificate", "PEER_DID_NOT_RETURN_A_CERTIFICATE", 40, False,
                      "SSLV3_ALERT_HANDSHAKE_FAILURE"),
    ("1.2", "untrusted-ca"): ("Certificate + CertificateVerify",
                              VERIFY + "unable to get local issuer certificate", 48, False,
                              "TLSV1_ALERT_UNKNOWN_CA"),
    ("1.2", "server-auth-only"): ("Certificate + CertificateVerify",
                                  VERIFY + "unsuitable certificate purpose", 43, False,
                                  "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE"),
    ("1.2", "expired"): ("Certificate + CertificateVerify", VERIFY + "certificate has expired", 45,
                         False, "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
}  # fmt: skip


@pytest.fixture(scope="module")
def cases():
    return {(c.version, c.scenario): c for c in capture_failures(example=EXAMPLE)}


@pytest.mark.parametrize("key", list(EXPECTED), ids=[f"{v}-{s}" for v, s in EXPECTED])
def test_every_cell(cases, key):
    case = cases[key]
    sent, verdict, alert, completes, client_error = EXPECTED[key]
    assert case.client_sent == sent
    assert case.server_sees == verdict
    assert case.server_accepted == (verdict == "accepted")
    assert (case.server_alert.code if case.server_alert else None) == alert
    # the client received exactly the alert the server sent
    assert (case.client_alert.code if case.client_alert else None) == alert
    assert case.client_handshake_completed is completes
    assert case.session.client.error == client_error


@pytest.mark.parametrize("scenario", [s for s in SCENARIOS if s != "valid"])
def test_tls13_client_learns_after_its_handshake_tls12_during_it(cases, scenario):
    late, early = cases[("1.3", scenario)], cases[("1.2", scenario)]
    assert late.client_when == "handshake OK; first read fails"
    assert early.client_when == "handshake fails"
    # TLS 1.3: the client had already sent its Finished when the alert came
    assert late.session.client.find("Finished", "client") is not None
    alert = late.session.client.alerts[-1]
    assert alert.encrypted  # after ServerHello in TLS 1.3 even alerts are encrypted
    assert not early.session.client.alerts[-1].encrypted  # TLS 1.2: plaintext alert


@pytest.mark.parametrize("scenario", ["untrusted-ca", "server-auth-only", "expired"])
def test_the_server_stops_at_the_certificate(cases, scenario):
    """It rejects the chain before reading the client's CertificateVerify."""
    for version in ("1.3", "1.2"):
        server = cases[(version, scenario)].session.server
        assert server.find("Certificate", "client") is not None
        assert server.find("CertificateVerify", "client") is None


def test_tls12_sends_the_client_certificate_in_the_clear(cases):
    assert not cases[("1.2", "valid")].session.client.find("Certificate", "client").encrypted
    assert cases[("1.3", "valid")].session.client.find("Certificate", "client").encrypted


def test_controls_succeed(cases):
    for version in ("1.3", "1.2"):
        case = cases[(version, "valid")]
        assert case.server_accepted and case.client_when == "handshake OK; reads the response"
        assert case.client_sees == "HTTP response" and case.server_alert is None


def test_table_has_a_row_per_case_and_is_stable(cases):
    table = failure_table(list(cases.values()))
    assert len(table.rows) == 10
    assert table.column("server sends")[1] == "certificate_required (116)"
    again = failure_table(capture_failures(example=EXAMPLE))
    assert again == table


def test_table_splits_captured_facts_from_openssls_words(cases):
    table = failure_table(list(cases.values()))
    facts = failure_table(list(cases.values()), words=False)
    words = failure_table(list(cases.values()), words=True)
    assert facts.columns == (
        "TLS",
        "client presents",
        "client sent",
        "server sends",
        "the client...",
    )
    assert words.columns == ("TLS", "client presents", "server's verdict", "client's error")
    # Together they are the whole table, each column once (control: the full table).
    assert set(facts.columns) | set(words.columns) == set(table.columns)
    for name in words.columns:
        assert words.column(name) == table.column(name)
    assert not any("certificate verify failed" in cell for row in facts.rows for cell in row)
    assert any("certificate verify failed" in cell for row in words.rows for cell in row)


def test_broken_certificates_fail_pkiviz_for_the_scenario_reason():
    certs = failure_certificates(EXAMPLE)
    at = now()
    reports = {
        name: validate(cert, trust_anchors=(EXAMPLE.client_root,), at=at, purpose="client")
        for name, cert in certs.items()
        if cert is not None
    }
    assert reports["valid"].valid  # the control
    assert reports["untrusted-ca"].first_failure.check == "chain-of-trust"
    assert "extended-key-usage" in {c.check for c in reports["server-auth-only"].failed}
    assert "validity" in {c.check for c in reports["expired"].failed}
    assert {c.name for c in certs.values() if c is not None} == {EXAMPLE.client.name}


def test_live_examples_give_the_same_matrix(cases):
    live = capture_failures(example=running_example(live=True), versions=("1.3",))
    assert failure_table(live).rows == failure_table(list(cases.values())).rows[:5]


def test_unknown_scenario():
    with pytest.raises(ValueError, match="unknown scenarios"):
        capture_failures(scenarios=("stolen",))


def _server_from_files(tmp_path, *, verify_mode, trust):
    """A server context written the way a reader writes one: from the files on disk."""
    import ssl

    EXAMPLE.write_to(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "chain.pem", tmp_path / "server.key")
    ctx.verify_mode = verify_mode
    if trust is not None:
        ctx.load_verify_locations(tmp_path / trust)
    return ctx


def test_a_server_of_your_own_is_judged_like_the_books(cases, tmp_path):
    import ssl

    def accepted(server):
        runs = capture_failures(example=EXAMPLE, versions=("1.3",), server=server)
        return {c.scenario: c.server_accepted for c in runs}

    book = {s: cases[("1.3", s)].server_accepted for s in SCENARIOS}
    assert book == {"valid": True, "none": False, "untrusted-ca": False,
                    "server-auth-only": False, "expired": False}  # fmt: skip
    required = _server_from_files(tmp_path, verify_mode=ssl.CERT_REQUIRED, trust="client-root.pem")
    assert accepted(required) == book
    # Controls: each half of the configuration matters, and the same context serves every case.
    optional = _server_from_files(tmp_path, verify_mode=ssl.CERT_OPTIONAL, trust="client-root.pem")
    assert accepted(optional) == book | {"none": True}
    wrong_root = _server_from_files(tmp_path, verify_mode=ssl.CERT_REQUIRED, trust="root.pem")
    assert accepted(wrong_root)["valid"] is False
    plain = _server_from_files(tmp_path, verify_mode=ssl.CERT_NONE, trust=None)
    assert set(accepted(plain).values()) == {True}
