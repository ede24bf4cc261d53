"""Inputs: what a validation is given, kept by the report with every candidate's checks.

Each claim has its control: the record round-trips through ``validate``; a
chain with a rejected candidate keeps that candidate's failing check, and a
single-path chain has one candidate whose checks are the report's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from pkiviz.clock import BOOK_CLOCK
from pkiviz.validation import PROFILES, Inputs, PeerName, validate, validate_inputs
from pkiviz.x509.example import HOSTNAME, running_example
from pkiviz.x509.factory import CA, Issued, build

UTC = dt.UTC
EX = running_example()
BASE = {
    "intermediates": [EX.intermediate],
    "trust_anchors": [EX.root],
    "peer_name": HOSTNAME,
    "at": BOOK_CLOCK,
}


def test_validate_and_validate_inputs_give_equal_reports() -> None:
    for kw in (
        BASE,
        BASE | {"purpose": "client"},
        BASE | {"profile": "webpki", "key_usage": ("digitalSignature",)},
        BASE | {"extended_key_usage": ["server_auth"], "max_chain_depth": 0},
        BASE | {"peer_name": "other.example.net", "revocation_policy": "hard"},
    ):
        by_keywords = validate(EX.server, **kw)  # type: ignore[arg-type]
        by_record = validate_inputs(Inputs(EX.server, **kw))  # type: ignore[arg-type]
        assert by_keywords == by_record
        assert by_keywords.to_json_dict() == by_record.to_json_dict()
        assert by_keywords.text() == by_record.text()
    # control: different inputs give a different report
    assert validate(EX.server, **BASE) != validate(EX.server, **BASE | {"peer_name": "x.example"})  # type: ignore[arg-type]


def test_inputs_are_normalised_and_checked() -> None:
    record = Inputs(EX.server, intermediates=[EX.intermediate], profile="webpki")
    assert record.leaf == EX.server.certificate
    assert record.intermediates == (EX.intermediate.certificate,)
    assert record.profile == PROFILES["webpki"]
    assert record == Inputs(
        EX.server.certificate,
        intermediates=(EX.intermediate.certificate,),
        profile=PROFILES["webpki"],
    )
    # misuse is refused when the record is made, as validate() refuses it
    for bad in ({"purpose": "both"}, {"profile": "nope"}, {"max_chain_depth": -1}):
        with pytest.raises(ValueError):
            Inputs(EX.server, **bad)
        with pytest.raises(ValueError):
            validate(EX.server, **bad)
    with pytest.raises(TypeError):
        Inputs("not a certificate")  # type: ignore[arg-type]


def test_report_keeps_its_inputs_with_the_time_used() -> None:
    report = validate(EX.server, **BASE)  # type: ignore[arg-type]
    assert report.inputs == Inputs(EX.server, **BASE)  # type: ignore[arg-type]
    assert report.inputs is not None and report.inputs.trust_anchors == (EX.root.certificate,)
    # re-validating from the kept inputs gives the same report
    assert validate_inputs(report.inputs) == report
    # without at=, the report keeps the wall-clock time it used (not None)
    now = validate(EX.server, intermediates=[EX.intermediate], trust_anchors=[EX.root])
    assert now.inputs is not None and now.inputs.at == now.at is not None
    # the JSON output does not carry the inputs
    assert "inputs" not in json.dumps(report.to_json_dict())


def _cross() -> tuple[Issued, Issued, Issued, Issued]:
    legacy = CA.root(
        "Example Legacy Root CA",
        not_before=dt.datetime(2006, 1, 1, tzinfo=UTC),
        not_after=dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC),
    )
    g2 = CA.root("Example Trust Root CA G2")
    by_g2 = g2.intermediate("Example Cross TLS CA")
    by_legacy = build(
        dataclasses.replace(by_g2.spec, label="cross", key_seed=by_g2.spec.seed), legacy
    )
    return legacy, g2, by_g2, by_legacy


def test_rejected_candidate_keeps_its_failing_check() -> None:
    legacy, g2, by_g2, by_legacy = _cross()
    leaf = by_g2.issue_server("cross.example.com")
    report = validate(
        leaf,
        intermediates=[by_legacy, by_g2],
        trust_anchors=[legacy, g2],
        peer_name="cross.example.com",
        at=BOOK_CLOCK,
    )
    assert report.valid
    rejected = [c for c in report.candidates if c.complete and not c.valid]
    assert len(rejected) == 1
    failed = [c for c in rejected[0].checks if c.failed]
    assert failed and failed[0].check == "validity"
    assert "Example Legacy Root CA" in str(failed[0].certificate)
    assert rejected[0].reason == f"{failed[0].check}: {failed[0].message}"
    chosen = next(c for c in report.candidates if c.valid)
    assert chosen.checks == report.checks
    # the JSON form of a candidate is what it was (no checks)
    assert set(rejected[0].to_json_dict()) == {
        "subjects",
        "fingerprints",
        "complete",
        "valid",
        "reason",
    }


def test_single_path_chain_has_one_candidate_with_the_reports_checks() -> None:
    report = validate(EX.server, **BASE)  # type: ignore[arg-type]
    (only,) = report.candidates
    assert only.valid and only.checks == report.checks
    assert not any(c.failed for c in only.checks)


def test_unanchored_report_path_keeps_its_checks_and_others_none() -> None:
    stranger = CA.root("Somebody Else Root")
    report = validate(
        EX.server,
        intermediates=[EX.intermediate, EX.root],
        trust_anchors=[stranger],
        peer_name=PeerName("dns", HOSTNAME),
        at=BOOK_CLOCK,
    )
    assert not report.valid
    reported = [c for c in report.candidates if c.checks]
    assert reported and all(c.checks == report.checks for c in reported)
    assert all(not c.complete for c in report.candidates)
