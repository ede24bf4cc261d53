"""Chrome's and Apple's CT policies as pure functions: each failing case beside a control."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from pkiviz.ct.issue import CTIssuance, issue_through_logs, login_spec
from pkiviz.ct.known_logs import KnownLog, KnownLogs, demo_logs
from pkiviz.ct.policy import (
    apple_lifetime_days,
    apple_policy,
    chrome_lifetime_days,
    chrome_policy,
    validity_of,
)
from pkiviz.ct.verify import SCTCheck, verify_delivered_scts, verify_embedded_scts
from pkiviz.x509.example import running_example

AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
CHECK_AT = AT + dt.timedelta(days=1)
ALL = KnownLogs.of(*demo_logs())  # Alder (A), Birch (B), Cedar (B), Rowan (C)
NAMES = {"alder": 0, "birch": 1, "cedar": 2, "rowan": 3}


def _issue(names: str, days: int = 90) -> CTIssuance:
    logs = demo_logs()
    chosen = [logs[NAMES[n]] for n in names.split()]
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    spec = dataclasses.replace(
        login_spec(),
        label=f"login.example.com [ct {names} {days}]",
        not_before=start,
        not_after=start + dt.timedelta(days=days) - dt.timedelta(seconds=1),
    )
    return issue_through_logs(spec, running_example().intermediate, chosen, at=AT)


def _checks(ct: CTIssuance, logs: KnownLogs = ALL) -> tuple[SCTCheck, ...]:
    return verify_embedded_scts(ct.certificate, ct.issuer, logs=logs, at=CHECK_AT)


def _chrome(ct: CTIssuance, logs: KnownLogs = ALL) -> bool:
    nb, na = validity_of(ct.certificate)
    return bool(chrome_policy(_checks(ct, logs), not_before=nb, not_after=na, at=CHECK_AT))


def _apple(ct: CTIssuance, logs: KnownLogs = ALL) -> bool:
    nb, na = validity_of(ct.certificate)
    return bool(apple_policy(_checks(ct, logs), not_before=nb, not_after=na, at=CHECK_AT))


def test_lifetimes() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=180) - dt.timedelta(seconds=1)
    assert apple_lifetime_days(start, end) == 180
    assert apple_lifetime_days(start, end + dt.timedelta(seconds=1)) == 181  # inclusive
    assert chrome_lifetime_days(start, start + dt.timedelta(days=180)) == 180


def test_chrome_two_operators_for_a_short_certificate() -> None:
    ct = _issue("alder birch")
    nb, na = validity_of(ct.certificate)
    verdict = chrome_policy(_checks(ct), not_before=nb, not_after=na, at=CHECK_AT)
    assert verdict.compliant and verdict.required_logs == 2
    assert (verdict.distinct_logs, verdict.distinct_operators) == (2, 2)
    same_operator = chrome_policy(
        _checks(_issue("birch cedar")), not_before=nb, not_after=na, at=CHECK_AT
    )
    assert not same_operator and "one log operator" in same_operator.reason


def test_chrome_one_sct_is_not_enough() -> None:
    assert not _chrome(_issue("alder"))
    assert _chrome(_issue("alder rowan"))  # control


def test_chrome_long_certificate_needs_three_logs() -> None:
    assert not _chrome(_issue("alder birch", days=200))
    assert _chrome(_issue("alder birch cedar", days=200))  # control
    assert _chrome(_issue("alder birch", days=180))  # the boundary: <= 180 days needs 2


def test_chrome_unknown_log_does_not_count() -> None:
    ct = _issue("alder birch")
    without_birch = KnownLogs(tuple(log for log in ALL if log.name != "Example 'Birch2026' log"))
    assert not _chrome(ct, without_birch)
    assert _chrome(ct, ALL)  # control


def _with_state(logs: KnownLogs, name: str, state: str, since: dt.datetime) -> KnownLogs:
    return KnownLogs(
        tuple(
            dataclasses.replace(log, state=state, state_since=since) if name in log.name else log
            for log in logs
        )
    )


def test_chrome_retired_log_counts_only_for_scts_before_retirement() -> None:
    ct = _issue("alder birch")
    retired_after = _with_state(ALL, "Birch", "retired", AT + dt.timedelta(hours=1))
    retired_before = _with_state(ALL, "Birch", "retired", AT - dt.timedelta(hours=1))
    assert _chrome(ct, retired_after)
    assert not _chrome(ct, retired_before)
    # a retired log alone is not enough: one SCT must come from a usable log
    both_retired = _with_state(retired_after, "Alder", "retired", AT + dt.timedelta(hours=1))
    nb, na = validity_of(ct.certificate)
    verdict = chrome_policy(_checks(ct, both_retired), not_before=nb, not_after=na, at=CHECK_AT)
    assert not verdict and "Qualified, Usable or ReadOnly" in verdict.reason
    # an SCT that did not verify cannot backdate the others: Chrome takes the earliest
    # *verified* SCT, so a junk SCT dated 1970 (bad signature, or from an unknown log)
    # leaves Birch's SCT after its retirement, as in the control
    checks = _checks(ct, retired_before)
    junk = (
        dataclasses.replace(
            checks[0], status="bad-signature", sct=dataclasses.replace(checks[0].sct, timestamp=0)
        ),
        dataclasses.replace(
            checks[0],
            status="unknown-log",
            log=None,
            sct=dataclasses.replace(checks[0].sct, log_id=bytes(32), timestamp=0),
        ),
    )
    for extra in junk:
        with_junk = chrome_policy(
            (*checks, extra), not_before=nb, not_after=na, at=CHECK_AT, logs=retired_before
        )
        assert not with_junk and "1 distinct log" in with_junk.reason
    control = chrome_policy(checks, not_before=nb, not_after=na, at=CHECK_AT, logs=retired_before)
    assert not control and control.reason == with_junk.reason


def test_chrome_tls_delivered_scts() -> None:
    example = running_example()
    chain = [example.server.certificate, example.intermediate.certificate]
    logs = demo_logs()
    scts = [dataclasses.replace(logs[i].add_chain(chain, at=AT), source="tls") for i in (0, 1)]
    checks = verify_delivered_scts(scts, example.server, logs=ALL, at=CHECK_AT)
    nb, na = validity_of(example.server)
    assert chrome_policy(checks, not_before=nb, not_after=na, at=CHECK_AT)
    ocsp = [dataclasses.replace(c, sct=dataclasses.replace(c.sct, source="ocsp")) for c in checks]
    assert not chrome_policy(ocsp, not_before=nb, not_after=na, at=CHECK_AT)
    assert chrome_policy(ocsp, not_before=nb, not_after=na, at=CHECK_AT, ocsp_counts=True)


def test_apple_caps_scts_per_operator() -> None:
    assert not _apple(_issue("birch cedar"))  # 90 days: at most 1 per operator counts
    assert _apple(_issue("alder birch"))  # control
    assert _apple(_issue("birch cedar rowan", days=200))  # 181..398 days: 2 per operator
    assert not _apple(_issue("alder birch", days=200))


def test_apple_beyond_398_days_has_no_row() -> None:
    ct = _issue("alder birch cedar", days=400)
    nb, na = validity_of(ct.certificate)
    verdict = apple_policy(_checks(ct), not_before=nb, not_after=na, at=CHECK_AT)
    assert not verdict and "398" in verdict.reason
    assert _apple(_issue("alder birch cedar", days=398))  # control


@pytest.mark.parametrize("policy", [chrome_policy, apple_policy])
def test_invalid_scts_never_count(policy: object) -> None:
    ct = _issue("alder birch")
    checks = _checks(ct)
    broken = tuple(dataclasses.replace(c, status="bad-signature") for c in checks)
    nb, na = validity_of(ct.certificate)
    assert not policy(broken, not_before=nb, not_after=na, at=CHECK_AT)  # type: ignore[operator]
    assert policy(checks, not_before=nb, not_after=na, at=CHECK_AT)  # type: ignore[operator]


def test_known_log_state_at() -> None:
    log = KnownLog.of(demo_logs()[0])
    retired = dataclasses.replace(log, state="retired", state_since=AT)
    assert retired.state_at(AT - dt.timedelta(seconds=1)) == "usable"
    assert retired.state_at(AT) == "retired"
