"""Every property test runs without Hypothesis's per-example deadline.

The default deadline (200 ms) fails a test when one example is slow once - a
busy 2-core CI machine or a garbage-collection pause is enough - even with
derandomized examples. So each ``@given`` test carries ``@settings(deadline=None)``
(or sets it in a ``@settings(...)`` of its own).
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import DeadlineExceeded, FlakyFailure

TESTS = Path(__file__).resolve().parent


def _name(node: ast.expr) -> str:
    target = node.func if isinstance(node, ast.Call) else node
    if isinstance(target, ast.Attribute):
        return target.attr
    return target.id if isinstance(target, ast.Name) else ""


def _without_deadline_none(source: str) -> list[str]:
    """Names of the ``@given`` functions in ``source`` with no ``settings(deadline=None)``."""
    missing = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        names = [_name(d) for d in node.decorator_list]
        if "given" not in names:
            continue
        off = any(
            isinstance(d, ast.Call)
            and _name(d) == "settings"
            and any(
                k.arg == "deadline" and isinstance(k.value, ast.Constant) and k.value.value is None
                for k in d.keywords
            )
            for d in node.decorator_list
        )
        if not off:
            missing.append(node.name)
    return missing


def test_every_property_test_has_no_deadline() -> None:
    # This file is left out: its demonstration below keeps the default on purpose.
    files = sorted(f for f in TESTS.rglob("test_*.py") if f.name != Path(__file__).name)
    assert any("@given" in f.read_text() for f in files)  # the search does find them
    missing = {
        f.relative_to(TESTS).as_posix(): names
        for f in files
        if (names := _without_deadline_none(f.read_text()))
    }
    assert missing == {}


def test_the_check_sees_a_missing_deadline() -> None:
    # Control: a @given test without the setting is named, one with it is not.
    source = (
        "@given(st.integers())\ndef test_a(n): pass\n"
        "@settings(deadline=None)\n@given(st.integers())\ndef test_b(n): pass\n"
        "@settings(max_examples=5)\n@given(st.integers())\ndef test_c(n): pass\n"
    )
    assert _without_deadline_none(source) == ["test_a", "test_c"]


def _slow_once(**options: object):  # type: ignore[no-untyped-def]
    """A property test whose third example takes 250 ms once."""
    calls: list[int] = []

    @settings(derandomize=True, database=None, max_examples=10, **options)  # type: ignore[arg-type]
    @given(st.integers(0, 100))
    def test(n: int) -> None:
        calls.append(n)
        if len(calls) == 3:
            time.sleep(0.25)

    return test


def test_one_slow_example_fails_a_test_with_the_default_deadline() -> None:
    # Why: derandomized or not, one example slowed once fails the test...
    with pytest.raises((FlakyFailure, DeadlineExceeded)):
        _slow_once()()
    _slow_once(deadline=None)()  # ...and passes with deadline=None (the control)
