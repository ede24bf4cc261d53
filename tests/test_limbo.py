"""x509-limbo as data: the whole suite once, and a guard on the recorded per-namespace levels.

Levels are pkiviz's figures when this test was last raised; a regression
(fewer agreements, or any new false accept) fails. Cryptography's figures
come from the same run, and pkiviz must match or beat them per namespace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pkiviz import limbo

pytestmark = pytest.mark.slow

#: namespace -> (cases, agreements pkiviz must reach at least).
RECORDED: dict[str, tuple[int, int]] = {
    "bettertls": (9572, 9572),
    "crl": (8, 8),
    "cve": (3, 3),
    "invalid": (1, 1),
    "online": (14, 14),
    "pathlen": (13, 13),
    "pathological": (11, 11),
    "rfc5280": (102, 102),
    "webpki": (56, 56),
}


@pytest.fixture(scope="module")
def run() -> limbo.LimboRun:
    if not limbo.DEFAULT_LIMBO.exists():
        pytest.skip(f"x509-limbo not found at {limbo.DEFAULT_LIMBO}")
    return limbo.run()


@pytest.mark.parametrize("namespace", sorted(RECORDED))
def test_namespace_level(run: limbo.LimboRun, namespace: str) -> None:
    cases, agree = RECORDED[namespace]
    score = run.score(namespace)
    assert score.cases == cases
    failing = [
        f"{r.id}: {r.pkiviz_reason}" for r in run.disagreements() if r.namespace == namespace
    ]
    assert score.agree >= agree, failing
    assert score.false_accepts == score.conflicting_false_accepts, failing


@pytest.mark.parametrize("namespace", sorted(RECORDED))
def test_at_least_cryptography(run: limbo.LimboRun, namespace: str) -> None:
    assert run.score(namespace).agree >= run.score(namespace, "cryptography").agree


def test_crl_cases_run_and_cryptography_cannot(run: limbo.LimboRun) -> None:
    assert run.score("crl").skipped == 0
    assert run.score("crl", "cryptography").skipped == run.score("crl").cases


def test_without_bettertls_agreement(run: limbo.LimboRun) -> None:
    rest = [r for r in run.results if r.namespace != "bettertls"]
    agree = sum(r.pkiviz == r.expected for r in rest)
    assert agree / len(rest) >= 0.95


def test_both_kinds_of_result_are_exercised(run: limbo.LimboRun) -> None:
    # A validator that rejects everything agrees on 90% of limbo: make sure
    # SUCCESS cases are accepted too (the passing control of the whole suite).
    accepted = [r for r in run.results if r.expected == "SUCCESS" and r.pkiviz == "SUCCESS"]
    rejected = [r for r in run.results if r.expected == "FAILURE" and r.pkiviz == "FAILURE"]
    assert len(accepted) == sum(r.expected == "SUCCESS" for r in run.results)
    assert len(rejected) == sum(r.expected == "FAILURE" for r in run.results)


def test_cryptography_matches_reference_harness(run: limbo.LimboRun) -> None:
    # Our cryptography harness agrees with the recorded reference (PROVENANCE.md).
    assert run.score("all", "cryptography").agree == 9736
    assert run.score("all", "cryptography").false_accepts == 31


def test_load_cases_rejects_junk(tmp_path: Path) -> None:
    junk = tmp_path / "limbo.json"
    junk.write_text('{"version": 1}')
    with pytest.raises(limbo.InputError, match="not a limbo suite"):
        limbo.load_cases(junk)
    with pytest.raises(limbo.InputError, match="cannot read"):
        limbo.load_cases(tmp_path / "missing.json")
