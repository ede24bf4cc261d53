"""The Break-it lab's model: every control changes a real verdict, each beside a control."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from pkiviz.lab import state as lab
from pkiviz.lab.catalogue import CATALOGUE
from pkiviz.lab.state import LabState, evaluate
from pkiviz.lab.verdicts import pkiviz_verdict
from pkiviz.x509.example import running_example

ENTRIES = [entry.id for entry in CATALOGUE]


def _leaf_not_after_day() -> int:
    return lab.days_from_book_clock(running_example().server.certificate.not_valid_after_utc)


def test_the_control_is_accepted_by_all_three_verifiers() -> None:
    result = evaluate(LabState())
    assert result.valid is True and result.first_failure is None
    assert [v.accepted for v in result.verdicts] == [True, True, True]
    assert [v.tool for v in result.verdicts] == ["pkiviz", "cryptography", "openssl"]
    assert result.state.changes() == ()


@pytest.mark.parametrize("name", ENTRIES)
def test_each_entry_fails_its_expected_check(name: str) -> None:
    result = evaluate(LabState(breakage=name))
    entry = result.entry
    assert result.first_failure == entry.expected_check
    if entry.expected_check is not None:
        assert result.pkiviz.accepted is False
        assert result.openssl.accepted is (entry.openssl_error is None)  # CN fallback
        assert f"first failing check: {entry.expected_check}" in result.headline()
        assert result.graph is not None and not result.graph.valid
    # The control beside it: the same state without the breakage passes.
    assert evaluate(dataclasses.replace(result.state, breakage="valid")).valid is True


def test_pkiviz_verdict_is_the_reports() -> None:
    for name in ENTRIES:
        result = evaluate(LabState(breakage=name))
        assert result.pkiviz == pkiviz_verdict(result.scenario)
        if result.report is not None:
            failed = tuple(dict.fromkeys(c.check for c in result.report.failed))
            assert result.failed_checks == failed


def test_moving_the_clock_past_not_after_fails_validity() -> None:
    last = _leaf_not_after_day()
    assert lab.at_day(last) < running_example().server.certificate.not_valid_after_utc
    inside = evaluate(LabState(days=last))
    past = evaluate(LabState(days=last + 1))
    assert inside.valid is True
    assert past.first_failure == "validity"
    assert [v.accepted for v in past.verdicts] == [False, False, False]
    assert "certificate has expired" in past.openssl.error
    assert lab.LAB_DAYS[0] < 0 < last + 1 <= lab.LAB_DAYS[1]  # the slider reaches it


def test_moving_the_clock_before_not_before_fails_validity() -> None:
    not_before = running_example().server.certificate.not_valid_before_utc
    first = lab.days_from_book_clock(not_before)  # rounded down: noon before midnight
    assert lab.at_day(first) < not_before < lab.at_day(first + 1)
    assert evaluate(LabState(days=first + 1)).valid is True
    early = evaluate(LabState(days=first))
    assert early.first_failure == "validity"
    assert "certificate is not yet valid" in early.openssl.error


def test_the_clock_reaches_the_verifiers() -> None:
    result = evaluate(LabState(days=10))
    assert result.scenario.at == lab.at_day(10) == result.state.at
    assert result.report is not None and result.report.at == lab.at_day(10)
    assert result.openssl.run is not None and str(int(lab.at_day(10).timestamp())) in (
        result.openssl.run.argv
    )


def test_a_wrong_host_name_fails_hostname() -> None:
    wrong = evaluate(LabState(hostname="www.example.org"))
    assert wrong.first_failure == "hostname"
    assert wrong.openssl.error.startswith("hostname mismatch")
    assert wrong.cryptography.accepted is False
    assert evaluate(LabState(hostname="LOGIN.example.com")).valid is True  # control


def test_the_wrong_host_entry_is_fine_for_its_own_name() -> None:
    assert evaluate(LabState(breakage="wrong-host")).first_failure == "hostname"
    own = evaluate(LabState(breakage="wrong-host", hostname="www.example.org"))
    assert own.valid is True and [v.accepted for v in own.verdicts] == [True, True, True]


def test_a_blank_host_name_checks_no_name() -> None:
    result = evaluate(LabState(hostname="   "))
    assert result.state.hostname == "" and result.scenario.peer_name is None
    assert result.report is not None and result.report.status_of("hostname") == "skipped"
    assert result.cryptography.accepted is None and "host name" in result.cryptography.error
    assert result.openssl.accepted is True


def test_a_name_cryptography_cannot_parse_is_not_asked() -> None:
    result = evaluate(LabState(hostname="bücher.example"))
    assert result.first_failure == "hostname"
    assert result.cryptography.accepted is None
    assert result.cryptography.error.startswith("cannot be asked")
    assert evaluate(LabState(hostname="login.example.com")).cryptography.accepted is True


def test_host_names_are_stripped_and_states_cached() -> None:
    assert LabState(hostname=" login.example.com ") == LabState()
    assert evaluate(LabState(hostname=" login.example.com ")) is evaluate(LabState())
    assert evaluate(LabState(days=1)) is not evaluate(LabState())


def test_ed25519_keys_fail_the_web_pki_algorithms_rule() -> None:
    result = evaluate(LabState(key="ed25519"))
    assert result.first_failure == "algorithms"
    assert result.cryptography.accepted is False  # Web PKI: RSA and ECDSA only
    assert result.openssl.accepted is True  # OpenSSL knows no such rule
    assert evaluate(LabState(key="ec-p384")).valid is True  # control


def test_a_key_type_rebuilds_the_example() -> None:
    p384 = evaluate(LabState(key="ec-p384", breakage="expired"))
    p256 = evaluate(LabState(breakage="expired"))
    assert p384.first_failure == p256.first_failure == "validity"
    assert p384.scenario.leaf != p256.scenario.leaf
    key = None if p384.scenario.leaf is None else p384.scenario.leaf.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1"


@pytest.mark.slow
def test_rsa_2048_keys_are_accepted() -> None:
    assert evaluate(LabState(key="rsa-2048")).valid is True


def test_the_crl_checkbox_makes_revocation_pass() -> None:
    without = evaluate(LabState())
    given = evaluate(LabState(crl=True))
    assert without.report is not None and without.report.status_of("revocation") == "skipped"
    assert given.report is not None and given.report.status_of("revocation") == "pass"
    assert given.valid is True and given.openssl.accepted is True
    assert given.openssl.run is not None and "-crl_check" in given.openssl.run.argv
    assert given.scenario.file("crl.pem").startswith(b"-----BEGIN X509 CRL-----")


def test_the_revocation_switch() -> None:
    off, on = evaluate(lab.revocation_state(False)), evaluate(lab.revocation_state(True))
    assert off.valid is True and off.report is not None
    assert off.report.status_of("revocation") == "pass"
    assert on.first_failure == "revocation"
    assert on.openssl.error.startswith("certificate revoked")
    assert on.cryptography.accepted is True  # it takes no CRLs
    assert off.scenario.crls[0] == on.scenario.crls[0]  # the same CRL both ways


def test_the_client_certificate_entry_has_nothing_to_validate() -> None:
    result = evaluate(LabState(breakage="client-certificate-missing"))
    assert result.report is None and result.graph is None and result.valid is None
    assert [v.accepted for v in result.verdicts] == [None, None, None]
    assert "nothing to validate" in result.headline()
    assert "No report" in result.report_html()
    with pytest.raises(ValueError, match="no certificate"):
        result.draw()


def test_states_refuse_unknown_values() -> None:
    with pytest.raises(ValueError, match="unknown catalogue entry"):
        LabState(breakage="broken-somehow")
    with pytest.raises(ValueError, match="unknown key type"):
        LabState(key="dsa-1024")
    with pytest.raises(TypeError):
        LabState(days=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        LabState(days=True)


def test_a_result_renders_itself() -> None:
    result = evaluate(LabState(breakage="wrong-eku", days=3))
    text, page = result.text(), result._repr_html_()
    for shown in (text, page):
        assert "first failing check: extended-key-usage" in shown
        assert "unsuitable certificate purpose" in shown  # OpenSSL's words
        assert "wrong-eku (wrong extended key usage); clock +3 days (2026-03-04)" in shown
    assert text.count("\n") > 10 and "<table" in page
    assert result.verdict_table().column("verifier") == ("pkiviz", "cryptography", "openssl")


def test_a_result_draws_its_graph() -> None:
    figure = evaluate(LabState(breakage="missing-intermediate")).draw()
    assert "INVALID (chain-of-trust)" in figure.axes[0].get_title(loc="left")


def test_check_validity_moves_one_certificates_clock() -> None:
    ex = running_example()
    short = ex.intermediate.issue_server(
        "short.example.com",
        label="short-lived",
        not_before=lab.at_day(-10),
        not_after=lab.at_day(10),
    )
    assert lab.validity_window(short) == (-10, 10)
    assert lab.check_validity(short, days=9).valid
    late = lab.check_validity(short, days=11)
    assert late.first_failure is not None and late.first_failure.check == "validity"
    assert lab.check_validity(days=0).valid  # the running example's leaf, the control
    table = lab.check_rows(late, "validity")
    assert table.caption.endswith("✗ INVALID (validity)") and len(table.rows) == 3


def test_match_hostname_tries_both_certificates() -> None:
    assert lab.match_hostname("login.example.com").status() == {
        "DNS:login.example.com": "pass",
        "DNS:*.example.com": "pass",
    }
    assert lab.match_hostname("api.example.com").status() == {
        "DNS:login.example.com": "fail",
        "DNS:*.example.com": "pass",
    }
    assert set(lab.match_hostname("a.login.example.com").status().values()) == {"fail"}
    assert set(lab.match_hostname("").status().values()) == {"skipped"}
    assert "does not match the SAN" in lab.match_hostname("example.com").text()


def test_the_model_imports_no_widgets_or_drawing() -> None:
    code = (
        "import sys, pkiviz.lab.state\n"
        "print([m for m in ('ipywidgets', 'matplotlib', 'networkx', 'IPython')"
        " if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"
