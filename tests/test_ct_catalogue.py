"""The CT breakages: each rejected by the real validator for its reason; ``ct-valid`` the control.

Nothing is hard-coded: each scenario is validated under its CT policy at the
book clock and at the real clock; the same certificate with the CT check off
is valid (only CT breaks it); OpenSSL, cryptography and curl (against
``pkiviz serve``) accept every one, as the table records; the log that never
included its entry fails the inclusion audit, in process and over HTTP.
"""

from __future__ import annotations

import socket
import ssl

import pytest
from cryptography import x509

from pkiviz import clock
from pkiviz.ct import LogClient, LogServer, embedded_scts, entry_for_certificate
from pkiviz.ct.verify import STATUSES, verify_embedded_scts
from pkiviz.lab.catalogue import BY_ID, CATALOGUE, CT_CATALOGUE, Breakage, get
from pkiviz.lab.ct_breakages import audit_inclusion
from pkiviz.lab.serve import ScenarioServer
from pkiviz.lab.verdicts import cryptography_verdict, openssl_verdict, pkiviz_verdict
from pkiviz.net.tools import run_tool
from pkiviz.validation import CHECK_NAMES, validate

ENTRIES = [pytest.param(entry, id=entry.id) for entry in CT_CATALOGUE]
CT = "certificate-transparency"


def test_ct_table_is_well_formed() -> None:
    ids = [entry.id for entry in CT_CATALOGUE]
    assert ids[0] == "ct-valid" and len(set(ids)) == len(ids)
    assert not set(ids) & {entry.id for entry in CATALOGUE}
    assert all(BY_ID[i] is entry for i, entry in zip(ids, CT_CATALOGUE, strict=True))
    assert {
        "ct-no-scts",
        "ct-one-sct",
        "ct-unknown-log",
        "ct-sct-other-certificate",
        "ct-future-sct",
        "ct-never-included",
    } <= set(ids)
    for entry in CT_CATALOGUE:
        assert entry.expected_check in (None, CT) and CT in CHECK_NAMES
        assert entry.sct_status is None or entry.sct_status in STATUSES
        assert entry.openssl_error is None and entry.curl_error is None  # they accept
        assert entry.cryptography_note and "enforces CT" in entry.note
        scenario = entry.scenario()
        assert scenario.ct_policy == "chrome" and "Chrome CT policy" in scenario.text()
    assert "CT" not in get("valid").scenario().text()


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("when", ["book", "real"])
def test_validator_rejects_for_the_stated_reason(entry: Breakage, when: str) -> None:
    scenario = entry.scenario()
    at = clock.BOOK_CLOCK if when == "book" else clock.wall_clock()
    verdict = pkiviz_verdict(scenario, at=at)
    assert verdict.check == entry.expected_check, verdict.error
    assert verdict.accepted == (entry.expected_check is None)
    if entry.expected_check is not None:
        assert verdict.checks == (CT,)  # nothing else is wrong with it
        assert "Chrome CT policy not met" in verdict.error
    if entry.sct_status is not None:
        assert f": {entry.sct_status} (" in verdict.error
    if entry.expected_check is None:  # the control, and the log that never included
        assert verdict.accepted, verdict.error


@pytest.mark.parametrize("entry", ENTRIES)
def test_with_ct_off_the_same_files_are_valid(entry: Breakage) -> None:
    scenario = entry.scenario()
    assert scenario.leaf is not None
    report = validate(
        scenario.leaf,
        intermediates=scenario.intermediates,
        trust_anchors=scenario.anchors,
        peer_name=scenario.peer_name,
        at=scenario.at,
    )
    assert report.valid and report.status_of(CT) == "skipped"


@pytest.mark.parametrize("entry", ENTRIES)
def test_sct_statuses_match_the_table(entry: Breakage) -> None:
    scenario = entry.scenario()
    assert scenario.leaf is not None
    checks = verify_embedded_scts(scenario.leaf, scenario.intermediates[0], at=scenario.at)
    bad = {c.status for c in checks if not c.ok}
    assert bad == ({entry.sct_status} if entry.sct_status else set())


@pytest.mark.parametrize("entry", ENTRIES)
def test_inclusion_audit(entry: Breakage) -> None:
    audits = audit_inclusion(entry.scenario())
    failed = [a for a in audits if not a.ok]
    if entry.audit == "inclusion":
        (only,) = failed
        assert only.log == "Example 'Cedar2026' log" and "no such leaf" in only.result.reason
        assert "NOT INCLUDED" in str(only)
    elif entry.id == "ct-sct-other-certificate":
        # Cedar's leaf is for www.example.org: no leaf for this certificate either.
        assert [a.log for a in failed] == ["Example 'Cedar2026' log"]
    else:
        assert not failed, [str(a) for a in failed]


@pytest.mark.parametrize("name", ["ct-never-included", "ct-valid"])
def test_inclusion_audit_over_http(name: str) -> None:
    scenario = get(name).scenario()
    assert scenario.leaf is not None
    entry = entry_for_certificate(scenario.leaf, scenario.intermediates[0])
    cedar = scenario.ct_audit[2]
    sct = embedded_scts(scenario.leaf)[2]
    with LogServer(cedar, clock=clock.BOOK_CLOCK) as server:
        result = LogClient(server.base_url, public_key=cedar.public_key).check_inclusion(sct, entry)
    assert bool(result) == (name == "ct-valid"), result.reason


@pytest.mark.parametrize("entry", ENTRIES)
def test_openssl_and_cryptography_accept(entry: Breakage) -> None:
    scenario = entry.scenario()
    assert cryptography_verdict(scenario).accepted is True
    verdict = openssl_verdict(scenario)
    assert verdict.accepted is True, verdict.run.text() if verdict.run else verdict.error


def _served_certificate(port: int) -> x509.Certificate:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="login.example.com") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


@pytest.mark.parametrize("entry", ENTRIES)
def test_served_with_embedded_scts_and_curl_accepts(entry: Breakage) -> None:
    scenario = entry.scenario()
    assert entry.serve_note is None
    with ScenarioServer(entry.id) as server:
        served = _served_certificate(server.port)
        argv = server.curl_argv
        run = run_tool((argv[0], "--max-time", "10", "--silent", "--show-error", *argv[1:]))
    assert scenario.leaf is not None and served == scenario.leaf
    assert embedded_scts(served) == embedded_scts(scenario.leaf)
    assert (len(embedded_scts(served)) == 0) == (entry.id == "ct-no-scts")
    assert run.ok and run.stdout == server.page(), run.text()
