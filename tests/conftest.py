"""Shared pytest configuration."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings

if TYPE_CHECKING:
    from pkiviz.book.run import ChapterRun

# Matplotlib must never try to open a window in tests or chapters.
os.environ.setdefault("MPLBACKEND", "Agg")

# Property tests run derandomized by default, so CI sees the same examples on
# every run (a failure is a real regression, never bad luck). To explore new
# examples, run with HYPOTHESIS_PROFILE=explore (``make fuzz``).
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def chapter_run() -> Callable[[Path], ChapterRun]:
    """Each chapter executed once per test session, raw, with the programs each cell started.

    The determinism test and the tool inventory read the same run, so the book
    is executed once for both.
    """
    from pkiviz.book.run import execute

    runs: dict[Path, ChapterRun] = {}

    def run(path: Path) -> ChapterRun:
        if path not in runs:
            runs[path] = execute(path, sanitize=False, watch_programs=True)
        return runs[path]

    return run
