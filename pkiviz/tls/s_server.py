"""The real ``openssl s_server`` on 127.0.0.1, for one connection, as a context manager.

The book and the tests point clients (``openssl s_client``, ``pkiviz probe``)
at it to check what OpenSSL's own test server sends, e.g. the CA names in its
CertificateRequest with ``-Verify 1 -CAfile client-root.pem``. Its standard
input stays open while the block runs (``s_server`` quits when its input ends),
and the process is killed when the block ends, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator

from pkiviz.errors import InputError
from pkiviz.serve import free_port


@contextlib.contextmanager
def s_server(
    *args: str, cwd: str | os.PathLike[str] | None = None, timeout: float = 10.0
) -> Iterator[int]:
    """``openssl s_server`` on a free port of 127.0.0.1, for one connection (``-naccept 1``).

    Args:
        *args: further ``s_server`` options (``-cert``, ``-key``, ``-Verify 1``...).
        cwd: directory the file names in ``args`` are relative to.
        timeout: seconds to wait for ``s_server`` to say ``ACCEPT``.

    Yields:
        The port it accepts on, once it is listening.

    Raises:
        InputError: if ``openssl`` is not installed, or ``s_server`` exits or
            stays silent instead of listening (its output is in the message).
    """
    if shutil.which("openssl") is None:
        raise InputError("openssl: not installed (needed to run openssl s_server)")
    port = free_port()
    proc = subprocess.Popen(
        ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-naccept", "1", *args],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        deadline, seen = time.monotonic() + timeout, b""
        while b"ACCEPT" not in seen:
            left = max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select([proc.stdout], [], [], left)
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            seen += chunk
            if b"ACCEPT" in seen:
                break
            if not ready or not chunk:
                said = seen.decode(errors="replace").strip().splitlines()
                raise InputError(f"openssl s_server did not start: {' / '.join(said[:3])}")
        yield port
    finally:
        proc.kill()
        proc.wait(10)
        proc.stdin.close()
        proc.stdout.close()


__all__ = ["s_server"]
