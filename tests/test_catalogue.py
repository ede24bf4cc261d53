"""The Break-it catalogue: every recorded expectation checked against the real tools.

For each entry, pkiviz, cryptography and ``openssl verify`` are run on its
scenario; ``valid`` is the passing control in the same parametrisation, and
each rejection is matched against the words the catalogue records.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz import clock
from pkiviz.crosscheck.limbo import DEFAULT_LIMBO, load_cases
from pkiviz.lab.breakages import Scenario
from pkiviz.lab.catalogue import BY_ID, CATALOGUE, Breakage, get
from pkiviz.lab.verdicts import (
    AUTH_LEVEL,
    catalogue_table,
    cryptography_verdict,
    openssl_argv,
    openssl_verdict,
    pkiviz_verdict,
)
from pkiviz.validation import CHECK_NAMES
from pkiviz.x509.example import running_example

REQUIRED = {
    "valid",
    "expired",
    "not-yet-valid",
    "wrong-host",
    "self-signed",
    "untrusted-root",
    "missing-intermediate",
    "chain-out-of-order",
    "revoked",
    "wrong-eku",
    "intermediate-not-ca",
    "path-length-exceeded",
    "name-constraints-violated",
    "tampered-signature",
    "sha1-signature",
    "rsa-1024",
    "cn-only-no-san",
    "wildcard-misuse",
    "client-certificate-missing",
}

ENTRIES = [pytest.param(entry, id=entry.id) for entry in CATALOGUE]


def test_catalogue_has_every_required_entry_and_the_control_first() -> None:
    ids = [entry.id for entry in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert set(ids) >= REQUIRED
    assert ids[0] == "valid"
    assert BY_ID["valid"].expected_check is None


@pytest.mark.parametrize("entry", ENTRIES)
def test_entry_is_well_formed(entry: Breakage) -> None:
    assert entry.expected_check is None or entry.expected_check in CHECK_NAMES
    assert set(entry.also_fails) <= set(CHECK_NAMES)
    assert "\n" not in entry.breaks and "\t" not in entry.breaks
    assert entry.text() == f"{entry.id}\t{entry.breaks}"
    assert (entry.curl_error is None) == (entry.curl_exit == 0)
    if entry.badssl is not None:
        assert entry.badssl_url == f"https://{entry.badssl}.badssl.com/"
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.id = "x"  # type: ignore[misc]


def test_get_unknown_entry() -> None:
    assert get("expired") is BY_ID["expired"]
    with pytest.raises(KeyError, match="unknown scenario 'nope'"):
        get("nope")


@pytest.fixture(scope="module")
def limbo_cases() -> dict[str, dict[str, object]]:
    if not Path(DEFAULT_LIMBO).exists():  # pragma: no cover - the suite ships with the repo
        pytest.skip(f"x509-limbo not found at {DEFAULT_LIMBO}")
    return {case["id"]: case for case in load_cases()}


@pytest.mark.parametrize("entry", ENTRIES)
def test_limbo_ids_exist_and_agree(
    entry: Breakage, limbo_cases: dict[str, dict[str, object]]
) -> None:
    expected = "SUCCESS" if entry.id == "valid" else "FAILURE"
    for case_id in entry.limbo_ids:
        assert case_id in limbo_cases, case_id
        assert limbo_cases[case_id]["expected_result"] == expected, case_id
    assert entry.limbo_ids or entry.note, "say why no limbo case fits"


@pytest.mark.parametrize("entry", ENTRIES)
def test_scenario_is_consistent(entry: Breakage) -> None:
    scenario = entry.scenario()
    assert scenario.name == entry.id
    ex = running_example()
    assert scenario.file("root.pem") == ex.root.pem.data  # always the anchor to use
    names = scenario.file_names
    assert {"root.pem", "server.pem", "server.key", "chain.pem"} <= set(names)
    assert ("crl.pem" in names) == bool(scenario.crls)
    # server.pem is the first certificate of chain.pem, the one presented as the server's.
    chain = scenario.file("chain.pem")
    assert chain.startswith(scenario.file("server.pem"))
    if scenario.purpose == "server":
        assert scenario.leaf is not None
        sent = [scenario.leaf, *scenario.intermediates]
        assert chain == b"".join(c.public_bytes(serialization.Encoding.PEM) for c in sent)
    key = serialization.load_pem_private_key(scenario.file("server.key"), None)
    presented = scenario.file("server.pem")
    presented_key = x509.load_pem_x509_certificate(presented).public_key()
    same = presented_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Only an entry that says it cannot be served has a server.key for another certificate.
    assert same == (entry.serve_note is None)


@pytest.mark.parametrize("entry", ENTRIES)
def test_pkiviz_fails_the_expected_check(entry: Breakage) -> None:
    scenario = entry.scenario()
    verdict = pkiviz_verdict(scenario)
    if scenario.leaf is None:
        assert verdict.accepted is None and entry.expected_check is None
        return
    assert verdict.check == entry.expected_check, verdict.error
    assert verdict.accepted == (entry.id == "valid")
    assert set(entry.also_fails) <= set(verdict.checks)


@pytest.mark.parametrize("entry", ENTRIES)
def test_broken_against_the_real_clock_too(entry: Breakage) -> None:
    scenario = entry.scenario()
    book = pkiviz_verdict(scenario)
    today = pkiviz_verdict(scenario, at=clock.wall_clock())
    assert (today.accepted, today.check) == (book.accepted, book.check), today.error


@pytest.mark.parametrize("entry", ENTRIES)
def test_cryptography_verdict(entry: Breakage) -> None:
    scenario = entry.scenario()
    verdict = cryptography_verdict(scenario)
    if scenario.leaf is None:
        assert verdict.accepted is None
        assert entry.cryptography_note, "say why cryptography cannot be asked"
    elif entry.id == "valid" or entry.cryptography_note:
        assert verdict.accepted is True, verdict.error
    else:
        assert verdict.accepted is False
        assert verdict.error


@pytest.mark.parametrize("entry", ENTRIES)
def test_openssl_verdict(entry: Breakage) -> None:
    scenario = entry.scenario()
    verdict = openssl_verdict(scenario)
    if scenario.leaf is None:
        assert verdict.accepted is None and entry.openssl_error is None
        return
    assert verdict.run is not None
    if entry.openssl_error is None:
        assert verdict.accepted is True, verdict.run.text()
        assert entry.id == "valid" or entry.note, "say why OpenSSL accepts"
    else:
        assert verdict.accepted is False
        assert entry.openssl_error in verdict.error, verdict.run.text()
        assert entry.openssl_error in verdict.reason


def test_openssl_argv_pins_time_purpose_level_and_crls() -> None:
    argv = openssl_argv(get("revoked").scenario())
    assert argv[:2] == ("openssl", "verify")
    assert argv[argv.index("-attime") + 1] == str(int(clock.BOOK_CLOCK.timestamp()))
    assert argv[argv.index("-auth_level") + 1] == str(AUTH_LEVEL)
    assert argv[argv.index("-purpose") + 1] == "sslserver"
    assert argv[argv.index("-CRLfile") + 1] == "crl.pem" and "-crl_check" in argv
    assert "-CRLfile" not in openssl_argv(get("valid").scenario())


@pytest.mark.parametrize("name", ["sha1-signature", "rsa-1024"])
def test_openssl_verify_needs_auth_level_for_weak_algorithms(name: str) -> None:
    # The claim in pkiviz.lab.verdicts: without -auth_level, openssl verify accepts these.
    scenario = get(name).scenario()
    strict = openssl_verdict(scenario)
    assert strict.accepted is False
    lax = _openssl_without_auth_level(scenario)
    assert lax.returncode == 0, lax.stdout + lax.stderr


def _openssl_without_auth_level(scenario: Scenario) -> subprocess.CompletedProcess[str]:
    argv = list(openssl_argv(scenario))
    index = argv.index("-auth_level")
    del argv[index : index + 2]
    with tempfile.TemporaryDirectory() as tmp:
        scenario.write_to(tmp)
        return subprocess.run(argv, cwd=tmp, capture_output=True, text=True, timeout=30)


def test_crl_revokes_only_the_revoked_leaf() -> None:
    """Control: the valid leaf, checked against the same CRLs, passes everywhere."""
    revoked = get("revoked").scenario()
    valid = get("valid").scenario()
    swap = {"server.pem", "server.key", "chain.pem"}
    control = dataclasses.replace(
        revoked,
        name="valid with the CRLs",
        leaf=valid.leaf,
        files=tuple((n, valid.file(n) if n in swap else d) for n, d in revoked.files),
    )
    assert pkiviz_verdict(control).accepted is True
    verdict = openssl_verdict(control)
    assert verdict.accepted is True, verdict.run.text() if verdict.run else ""
    assert pkiviz_verdict(revoked).accepted is False


def test_catalogue_table_runs_the_tools() -> None:
    table = catalogue_table()
    assert table.column("entry") == tuple(entry.id for entry in CATALOGUE)
    rows = dict(zip(table.column("entry"), table.rows, strict=True))
    assert rows["valid"][1:4] == ("accepted", "accepted", "accepted")
    assert rows["expired"][1] == "rejected: validity"
    assert "certificate has expired" in rows["expired"][3]
    assert rows["revoked"][2] == "accepted"  # cryptography takes no CRLs
    assert rows["client-certificate-missing"][1].startswith("n/a:")
    text = table.text()
    assert "2026-03-01" in text and all(entry.id in text for entry in CATALOGUE)
    assert "-auth_level 2" in table.caption and "a fixed mapping, not run" in table.caption
    assert table._repr_html_().startswith("<table>")


def test_renderings() -> None:
    scenario = get("revoked").scenario()
    assert "crl.pem" in scenario.text() and "Example Trust TLS CA 2026" in scenario.text()
    assert scenario._repr_html_().startswith("<table>")
    verdict = openssl_verdict(scenario)
    assert verdict.text().startswith("openssl on revoked: rejected: certificate revoked")
    assert "<pre>" in verdict._repr_html_()
    entry = get("expired")
    assert "<code>expired</code>" in entry._repr_html_()

    class Printer:
        def __init__(self) -> None:
            self.out = ""

        def text(self, value: str) -> None:
            self.out += value

    for thing in (scenario, verdict, entry):
        printer = Printer()
        thing._repr_pretty_(printer, False)
        assert printer.out == thing.text()


def test_scenarios_are_byte_identical_in_a_fresh_process(tmp_path: Path) -> None:
    code = (
        "import sys; from pkiviz.lab.catalogue import CATALOGUE\n"
        "for e in CATALOGUE: e.scenario().write_to(sys.argv[1] + '/' + e.id)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, timeout=120)
    for entry in CATALOGUE:
        for name, data in entry.scenario().files:
            assert (tmp_path / entry.id / name).read_bytes() == data, (entry.id, name)


def test_pkiviz_reason_keeps_its_whole_message() -> None:
    from pkiviz.lab.state import LabState, evaluate

    result = evaluate(LabState(breakage="revoked", crl=True))
    pkiviz_reason = next(v.reason for v in result.verdicts if v.tool == "pkiviz")
    assert pkiviz_reason.endswith("]") and "nextUpdate" in pkiviz_reason
    # Control: OpenSSL's error keeps only its first clause.
    openssl = next(v for v in result.verdicts if v.tool == "openssl")
    assert openssl.reason == "certificate revoked"
