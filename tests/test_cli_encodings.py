"""The command line with file names that are not UTF-8 and terminals that are not UTF-8.

Run as a shell runs it: a subprocess, file names given as bytes, and the
output encoding set the ways a user's environment sets it
(``PYTHONIOENCODING``, or ``LC_ALL=C`` without Python's UTF-8 mode). A name is
shown as typed, each byte that is not UTF-8 as ``\\xNN``; what the terminal's
encoding cannot hold (a check mark) is written as a backslash escape; nothing
ends in a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pkiviz.cli import main
from pkiviz.x509.example import running_example

PKIVIZ = [sys.executable, "-m", "pkiviz"]
AT = ["--at", "2026-03-01T12:00:00Z"]
EX = running_example()

UTF8 = {"PYTHONIOENCODING": "utf-8"}
#: Two ways a terminal ends up ASCII: asked for, or the C locale without UTF-8 mode.
ASCII = {
    "PYTHONIOENCODING=ascii": {"PYTHONIOENCODING": "ascii"},
    "LC_ALL=C": {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0"},
}


def pkiviz(
    cwd: Path, env: dict[str, str], *argv: str | bytes
) -> subprocess.CompletedProcess[bytes]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "LC_ALL", "PYTHONUTF8")
    }
    return subprocess.run(
        [*PKIVIZ, *argv],
        cwd=cwd,
        env={**environment, **env},
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("files")
    EX.write_to(directory)
    bundle = EX.server.pem.bytes() + EX.intermediate.pem.bytes()
    for name in (b"bund\xe9.pem", b"bundle.pem"):
        (directory / os.fsdecode(name)).write_bytes(bundle)
    return directory


def assert_no_traceback(result: subprocess.CompletedProcess[bytes]) -> None:
    assert b"Traceback" not in result.stdout + result.stderr, result.stderr.decode(errors="replace")


@pytest.mark.parametrize(
    ("name", "shown"), [(b"bund\xe9.pem", b"bund\\xe9.pem"), (b"bundle.pem", b"bundle.pem")]
)
def test_a_file_name_is_shown_as_typed(files: Path, name: bytes, shown: bytes) -> None:
    result = pkiviz(files, UTF8, "inspect", name)
    assert_no_traceback(result)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.startswith(b"# " + shown + b": certificate 1 of 2\n")


@pytest.mark.parametrize(
    ("name", "shown"), [(b"nobund\xe9.pem", b"nobund\\xe9.pem"), (b"nobundle.pem", b"nobundle.pem")]
)
def test_a_missing_file_is_named_as_typed(files: Path, name: bytes, shown: bytes) -> None:
    result = pkiviz(files, UTF8, "validate", name, "--trust", "root.pem")
    assert_no_traceback(result)
    assert (result.returncode, result.stdout) == (2, b"")
    assert result.stderr == b"pkiviz: error: " + shown + b": no such file\n"


@pytest.mark.parametrize(("name", "shown"), [(b"sc2\xff", b"sc2\\xff"), (b"sc2", b"sc2")])
def test_scenario_into_a_directory_named_in_any_bytes(
    tmp_path: Path, name: bytes, shown: bytes
) -> None:
    result = pkiviz(tmp_path, UTF8, "scenario", "valid", name)
    assert_no_traceback(result)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.splitlines()[0] == shown + b"/root.pem"
    assert (tmp_path / os.fsdecode(name) / "root.pem").is_file()
    # and the files it names validate, under the name as given
    again = pkiviz(
        tmp_path, UTF8, "validate", name + b"/chain.pem", "--trust", name + b"/root.pem", *AT
    )
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("terminal", sorted(ASCII))
def test_validate_on_an_ascii_terminal(files: Path, terminal: str) -> None:
    argv = ["validate", "chain.pem", "--trust", "root.pem", *AT]
    result = pkiviz(files, ASCII[terminal], *argv)
    assert_no_traceback(result)
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout.startswith(b"VALID")
    assert b"\\u2713 pass    hostname" not in result.stdout  # no --host: no hostname check
    assert b"\\u2713 pass    validity" in result.stdout and result.stdout.isascii()
    # control: a UTF-8 terminal gets the check mark itself
    utf8 = pkiviz(files, UTF8, *argv)
    assert utf8.returncode == 0 and "✓ pass    validity".encode() in utf8.stdout


@pytest.mark.parametrize(
    ("terminal", "shown"),
    [
        ("PYTHONIOENCODING=ascii", b"caf\\xe9.pem"),  # a UTF-8 name, escaped on the way out
        ("LC_ALL=C", b"caf\\xc3\\xa9.pem"),  # an ASCII locale: its two bytes, not UTF-8 to it
    ],
)
def test_an_error_on_an_ascii_terminal_is_one_escaped_line(
    files: Path, terminal: str, shown: bytes
) -> None:
    result = pkiviz(files, ASCII[terminal], "inspect", "café.pem".encode())
    assert_no_traceback(result)
    assert result.returncode == 2
    assert result.stderr == b"pkiviz: error: " + shown + b": no such file\n"


@pytest.mark.parametrize(
    ("argument", "shown"),
    [
        ("--bo\ngus", "--bo\\ngus"),  # a newline would make the error two lines
        (os.fsdecode(b"--\xff"), "--\\xff"),  # a byte that is not UTF-8, as typed
        ("--bogus", "--bogus"),  # the control: printed as it is
    ],
)
def test_an_argument_argparse_refuses_is_shown_on_one_line(
    argument: str, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["inspect", "a.pem", argument])
    assert info.value.code == 2
    assert capsys.readouterr().err == f"pkiviz: error: unrecognized arguments: {shown}\n"
