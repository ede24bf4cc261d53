"""The property tests' profile (tests/conftest.py): fixed examples, no deadline.

Derandomized examples make a CI failure a real regression, never bad luck.
No per-example deadline, because Hypothesis's default (200 ms) fails a test
when one example is slow once - a busy 2-core machine or a garbage-collection
pause is enough - even with fixed examples. Shown below, with the control.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import DeadlineExceeded, FlakyFailure


@pytest.mark.skipif(
    os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci", reason="only the make test profile"
)
def test_make_test_profile_is_derandomized_without_a_deadline() -> None:
    assert settings.default.derandomize is True
    assert settings.default.deadline is None
    assert settings.default.database is None


def _slow_once(deadline: dt.timedelta | None):  # type: ignore[no-untyped-def]
    """A property test whose third example takes 500 ms once.

    Well over the limit: while generating, Hypothesis allows 5/4 of the deadline (250 ms for
    200 ms) and subtracts garbage-collection time, even another thread's, from an example's
    runtime, so a 250 ms example sat on the boundary and passed when a collection ran
    meanwhile.
    """
    calls: list[int] = []

    @settings(derandomize=True, database=None, max_examples=10, deadline=deadline)
    @given(st.integers(0, 100))
    def test(n: int) -> None:
        calls.append(n)
        if len(calls) == 3:
            time.sleep(0.5)

    return test


def test_one_slow_example_fails_a_test_with_a_deadline() -> None:
    # Why: derandomized or not, one example slowed once fails the test...
    with pytest.raises((FlakyFailure, DeadlineExceeded)):
        _slow_once(dt.timedelta(milliseconds=200))()
    _slow_once(None)()  # ...and passes with deadline=None (the control)
