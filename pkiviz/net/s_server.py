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

from pkiviz._loopback import free_port
from pkiviz.errors import InputError

#: How many free ports to try when another program takes the first one first.
_BIND_ATTEMPTS = 5
_ADDRESS_IN_USE = "Address already in use"


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
            A port that another program took first is retried with another.
    """
    if shutil.which("openssl") is None:
        raise InputError("openssl: not installed (needed to run openssl s_server)")
    # free_port() only says the port was free a moment ago; another program may
    # bind it before s_server does. Then s_server exits at once: try another port.
    for attempt in range(_BIND_ATTEMPTS):
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
            said = _wait_for_accept(proc, timeout)
            if said is None:
                break
            if _ADDRESS_IN_USE not in said or attempt == _BIND_ATTEMPTS - 1:
                lines = said.strip().splitlines()
                raise InputError(f"openssl s_server did not start: {' / '.join(lines[:3])}")
        except BaseException:
            _stop(proc)
            raise
        _stop(proc)
    try:
        yield port
    finally:
        _stop(proc)


def _wait_for_accept(proc: subprocess.Popen[bytes], timeout: float) -> str | None:
    """``None`` once ``s_server`` says ``ACCEPT``, else its output up to exiting or going quiet."""
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, b""
    while b"ACCEPT" not in seen:
        left = max(deadline - time.monotonic(), 0)
        ready, _, _ = select.select([proc.stdout], [], [], left)
        chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
        seen += chunk
        if b"ACCEPT" in seen:
            break
        if not ready or not chunk:
            return seen.decode(errors="replace")
    return None


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(10)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    proc.stdout.close()


__all__ = ["s_server"]
