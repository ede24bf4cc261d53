"""Bare ``pkiviz``: the usage, the commands and where to read more, exit status 2 (as git does)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pkiviz.cli import COMMANDS, main

HINT = "Give a COMMAND; 'pkiviz COMMAND --help' shows its arguments, e.g. pkiviz inspect --help."


def test_bare_pkiviz_lists_the_commands_and_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: pkiviz ")
    assert "the following arguments are required" not in err
    for command in COMMANDS:
        assert f"\n    {command} " in err  # each command with its one-line help
    assert "show every field of each certificate in a file" in err
    assert err.endswith("\n" + HINT + "\n")


def test_the_installed_command_without_arguments() -> None:
    bare = subprocess.run(
        [sys.executable, "-m", "pkiviz"], capture_output=True, text=True, timeout=60
    )
    assert (bare.returncode, bare.stdout) == (2, "")
    assert bare.stderr.startswith("usage: pkiviz ") and HINT in bare.stderr
    # control: --help is the same listing, asked for, on standard output with status 0
    helped = subprocess.run(
        [sys.executable, "-m", "pkiviz", "--help"], capture_output=True, text=True, timeout=60
    )
    assert helped.returncode == 0 and helped.stdout + "\n" + HINT + "\n" == bare.stderr


def test_a_command_without_its_arguments_is_still_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["inspect"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "FILE" in err
