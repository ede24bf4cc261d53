"""Shared pytest configuration."""

from __future__ import annotations

import os

from hypothesis import settings

# Matplotlib must never try to open a window in tests or chapters.
os.environ.setdefault("MPLBACKEND", "Agg")

# Property tests run derandomized by default, so CI sees the same examples on
# every run (a failure is a real regression, never bad luck). To explore new
# examples, run with HYPOTHESIS_PROFILE=explore (``make fuzz``).
settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
