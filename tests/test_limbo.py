"""x509-limbo as data: the whole suite once under every profile, and guards on the levels.

Every profile validates every case: no profile is chosen from a case's id.
Levels are pkiviz's figures when this test was last raised; a regression
(fewer agreements, or a new false accept) fails. Cryptography's figures come
from the same run, and the default profile must match or beat them per
namespace.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pkiviz.crosscheck import limbo

pytestmark = pytest.mark.slow

#: profile -> namespace -> (cases, agreements pkiviz must reach at least).
RECORDED: dict[str, dict[str, tuple[int, int]]] = {
    "browser": {
        "bettertls": (9572, 9572),
        "crl": (8, 8),
        "cve": (3, 3),
        "invalid": (1, 1),
        "online": (14, 14),
        "pathlen": (13, 12),
        "pathological": (11, 11),
        "rfc5280": (102, 97),
        "webpki": (56, 43),
        "all": (9780, 9761),
    },
    "webpki": {
        "bettertls": (9572, 9327),
        "rfc5280": (102, 95),
        "webpki": (56, 56),
        "all": (9780, 9527),
    },
    "rfc5280": {
        "bettertls": (9572, 9572),
        "pathlen": (13, 13),
        "rfc5280": (102, 102),
        "webpki": (56, 27),
        "all": (9780, 9750),
    },
}

#: The default profile's false accepts, each for a reason: a CA issuance rule it reports
#: as a finding (limbo's webpki namespace expects the BRs enforced), or an RFC 5280 rule
#: that browser-grade clients do not enforce either (cryptography accepts each of these).
BROWSER_FALSE_ACCEPTS: dict[str, str] = {
    **{
        f"webpki::cn::{name}": "finding: common-name (BR 7.1.4.3)"
        for name in (
            "case-mismatch",
            "ipv4-hex-mismatch",
            "ipv4-leading-zeros-mismatch",
            "ipv6-non-rfc5952-mismatch",
            "ipv6-uncompressed-mismatch",
            "ipv6-uppercase-mismatch",
            "not-in-san",
            "punycode-not-in-san",
            "utf8-vs-punycode-mismatch",
        )
    },
    "webpki::eku::ee-without-eku": "finding: extended-key-usage (BR 7.1.2.7.10)",
    "webpki::eku::root-has-eku": "finding: extended-key-usage (BR 7.1.2.1)",
    "webpki::aki::root-with-aki-all-fields": "finding: key-identifiers (BR 7.1.2.11.1)",
    "webpki::aki::root-with-aki-ski-mismatch": "finding: key-identifiers (BR 7.1.2.11.1)",
    "rfc5280::nc::permitted-dns-match-noncritical": "RFC 5280: nameConstraints critical",
    "rfc5280::pc::ica-noncritical-pc": "RFC 5280: policyConstraints critical",
    "rfc5280::aki::cross-signed-root-missing-aki": "RFC 5280: an anchor's AKI",
    "rfc5280::ski::root-missing-ski": "RFC 5280: an anchor's SKI",
}


@pytest.fixture(scope="module")
def run() -> limbo.LimboRun:
    if not limbo.DEFAULT_LIMBO.exists():
        pytest.skip(f"x509-limbo not found at {limbo.DEFAULT_LIMBO}")
    return limbo.run()


def test_every_profile_sees_every_case(run: limbo.LimboRun) -> None:
    assert run.profiles == ("browser", "webpki", "rfc5280")
    assert not hasattr(limbo, "NAMESPACE_PROFILES")  # no profile chosen from the id
    assert all(r.profiles == run.profiles and len(r.verdicts) == 3 for r in run.results)
    assert run.score("all").cases == len(run.results) == 9780


@pytest.mark.parametrize(
    ("profile", "namespace"),
    [(p, n) for p, levels in RECORDED.items() for n in sorted(levels)],
)
def test_namespace_level(run: limbo.LimboRun, profile: str, namespace: str) -> None:
    cases, agree = RECORDED[profile][namespace]
    score = run.score(namespace, profile)
    assert score.cases == cases
    failing = [
        f"{r.id}: {r.of(profile).reason}"
        for r in run.disagreements(profile)
        if namespace in ("all", r.namespace)
    ]
    assert score.agree >= agree, failing


def test_default_agrees_on_998_per_mille_with_one_profile(run: limbo.LimboRun) -> None:
    assert run.score("all").agreement >= 0.998
    assert run.score("all").agree > run.score("all", "cryptography").agree


def test_default_false_accepts_are_each_explained(run: limbo.LimboRun) -> None:
    accepted = {r.id: r for r in run.disagreements() if r.expected == "FAILURE"}
    assert set(accepted) == set(BROWSER_FALSE_ACCEPTS)
    for case_id, why in BROWSER_FALSE_ACCEPTS.items():
        found = accepted[case_id].of("browser").findings
        if why.startswith("finding: "):
            check = why.split()[1]
            assert any(f.startswith(check + ":") for f in found), (case_id, found)
        else:
            assert found == ()
    # Control: the issuance profile rejects every one of them found as a finding.
    for case_id, why in BROWSER_FALSE_ACCEPTS.items():
        if why.startswith("finding: "):
            assert accepted[case_id].of("webpki").verdict == "FAILURE", case_id


@pytest.mark.parametrize("namespace", sorted(RECORDED["browser"]))
def test_default_at_least_cryptography(run: limbo.LimboRun, namespace: str) -> None:
    assert run.score(namespace).agree >= run.score(namespace, "cryptography").agree


def test_crl_cases_run_and_cryptography_cannot(run: limbo.LimboRun) -> None:
    assert run.score("crl").skipped == 0
    assert run.score("crl", "cryptography").skipped == run.score("crl").cases


def test_conflicts_are_named(run: limbo.LimboRun) -> None:
    conflicts = dict(run.conflicts())
    assert conflicts["webpki::eku::ee-without-eku"] == ("rfc5280::eku::ee-without-eku",)
    assert len(conflicts) == 6
    text = run.tables()
    assert "rfc5280::ca-as-leaf" in text and "contradicts webpki::ca-as-leaf" in text
    assert text.count("profile '") == 3


def test_both_kinds_of_result_are_exercised(run: limbo.LimboRun) -> None:
    # A validator that rejects everything agrees on 90% of limbo: make sure SUCCESS
    # cases are accepted too (the passing control of the whole suite), by some profile.
    def by_some(r: limbo.CaseResult) -> bool:
        return any(v.verdict == r.expected for v in r.verdicts)

    assert all(by_some(r) for r in run.results), [r.id for r in run.results if not by_some(r)]
    successes = [r for r in run.results if r.expected == "SUCCESS"]
    assert len(successes) > 900
    assert sum(r.pkiviz == "SUCCESS" for r in successes) >= len(successes) - 2  # the default


def test_cryptography_matches_reference_harness(run: limbo.LimboRun) -> None:
    # Our cryptography harness agrees with the recorded reference (PROVENANCE.md).
    assert run.score("all", "cryptography").agree == 9736
    assert run.score("all", "cryptography").false_accepts == 31


def test_load_cases_rejects_junk(tmp_path: Path) -> None:
    junk = tmp_path / "limbo.json"
    junk.write_text('{"version": 1}')
    with pytest.raises(limbo.InputError, match="not a limbo suite"):
        limbo.load_cases(junk)
    with pytest.raises(limbo.InputError, match="is not there"):
        limbo.load_cases(tmp_path / "missing.json")
    # Control: a readable suite loads.
    (tmp_path / "ok.json").write_text('{"testcases": []}')
    assert limbo.load_cases(tmp_path / "ok.json") == []


def test_default_suite_path_is_relative_to_the_repository(tmp_path: Path) -> None:
    repo = Path(limbo.__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "PKIVIZ_LIMBO"}
    code = "from pkiviz.crosscheck import limbo; print(limbo.DEFAULT_LIMBO)"
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Path(shown) == repo.parent / "shared" / "limbo" / "limbo.json.xz"
    # Control: $PKIVIZ_LIMBO still overrides it, and a missing suite is a clear error.
    elsewhere = tmp_path / "nowhere.json.xz"
    env["PKIVIZ_LIMBO"] = str(elsewhere)
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Path(shown) == elsewhere
    failed = subprocess.run(
        [sys.executable, "-m", "pkiviz.crosscheck.limbo"], env=env, capture_output=True, text=True
    )
    assert failed.returncode == 2
    assert "pkiviz.crosscheck.limbo: error:" in failed.stderr and "PKIVIZ_LIMBO" in failed.stderr
    assert "Traceback" not in failed.stderr
