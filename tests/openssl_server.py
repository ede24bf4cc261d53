"""``openssl s_server`` as a context manager, for the tests that probe it (not a test module)."""

from __future__ import annotations

import contextlib
import select
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest

from pkiviz.serve import free_port

#: Skips a test where the ``openssl`` command is missing.
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


@contextlib.contextmanager
def s_server(*args: str) -> Iterator[int]:
    """``openssl s_server`` on a free port for one connection; killed when the block ends.

    Args:
        *args: further ``s_server`` options (certificate, key, ``-Verify 1``...).

    Yields:
        The port it accepts on, once it says ``ACCEPT``.
    """
    port = free_port()
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", *args],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    try:
        deadline, seen = time.monotonic() + 10, b""
        while b"ACCEPT" not in seen:
            ready, _, _ = select.select([proc.stdout], [], [], max(deadline - time.monotonic(), 0))
            if not ready or proc.poll() is not None:
                raise RuntimeError(f"s_server did not start: {seen!r}")
            seen += proc.stdout.read1(4096)
        yield port
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdin.close()
        proc.stdout.close()
