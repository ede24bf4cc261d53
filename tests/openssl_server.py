"""``openssl s_server`` for the tests that probe it (not a test module).

The context manager itself lives in :mod:`pkiviz.tls.s_server`, which the book uses too.
"""

from __future__ import annotations

import shutil

import pytest

from pkiviz.tls.s_server import s_server

#: Skips a test where the ``openssl`` command is missing.
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")

__all__ = ["needs_openssl", "s_server"]
