"""Shared pytest configuration."""

from __future__ import annotations

import os

# Matplotlib must never try to open a window in tests or chapters.
os.environ.setdefault("MPLBACKEND", "Agg")
