"""Running the real tools the book talks about (``openssl``, ``curl``) and showing what they say.

A chapter that claims "OpenSSL accepts this chain" runs ``openssl verify`` and
prints its exact output, so the claim fails visibly if it ever stops being
true. Every run has a timeout; a missing tool is a clear
:class:`~pkiviz.errors.InputError`.
"""

from __future__ import annotations

import dataclasses
import html
import os
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from pkiviz.errors import InputError


@dataclasses.dataclass(frozen=True)
class ToolRun:
    """One finished run of an external command.

    Attributes:
        argv: the command as run (program name first, paths as given).
        returncode: its exit status.
        stdout: what it wrote to standard output.
        stderr: what it wrote to standard error.
    """

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Whether the command exited with status 0."""
        return self.returncode == 0

    @property
    def output(self) -> str:
        """Standard output then standard error, as a terminal would interleave them here."""
        return self.stdout + self.stderr

    def text(self) -> str:
        """Render like a terminal session: the prompt, the output, the exit status."""
        out = self.output.rstrip("\n")
        shown = (Path(self.argv[0]).name, *self.argv[1:])  # "python", not the venv's full path
        return f"$ {shlex.join(shown)}\n{out}\n[exit status {self.returncode}]"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text())}</pre>"


def run_tool(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    input_bytes: bytes | None = None,
) -> ToolRun:
    """Run an external command with a timeout and capture what it says.

    Args:
        argv: the command and its arguments.
        cwd: directory to run in (lets the book show short relative paths).
        timeout: seconds before the command is killed.
        input_bytes: optional standard input.

    Returns:
        The finished run (a failing exit status is a result, not an error).

    Raises:
        InputError: if the program is not installed or does not finish in time.
    """
    if not argv:
        raise ValueError("argv must name a program")
    if shutil.which(argv[0]) is None:
        raise InputError(f"{argv[0]}: not installed (the book needs it on PATH)")
    try:
        done = subprocess.run(
            list(argv),
            cwd=Path(cwd) if cwd is not None else None,
            input=input_bytes,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise InputError(f"{argv[0]}: did not finish within {timeout:g} s") from None
    return ToolRun(
        argv=tuple(argv),
        returncode=done.returncode,
        stdout=done.stdout.decode("utf-8", "replace"),
        stderr=done.stderr.decode("utf-8", "replace"),
    )
