"""`pkiviz scenario`: byte-identical files, 0600 keys, clear errors."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from pkiviz.cli import main

EXPECTED = {
    "root.pem",
    "intermediate.pem",
    "server.pem",
    "server.key",
    "chain.pem",
    "client-root.pem",
    "client.pem",
    "client.key",
    "client-chain.pem",
}


def test_scenario_valid_writes_identical_files(tmp_path: Path) -> None:
    assert main(["scenario", "valid", str(tmp_path / "a")]) == 0
    assert main(["scenario", "valid", str(tmp_path / "b")]) == 0
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert names == EXPECTED
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        mode = stat.S_IMODE(os.stat(tmp_path / "a" / name).st_mode)
        assert (mode == 0o600) == name.endswith(".key")


def test_scenario_files_verify_with_openssl_today(tmp_path: Path) -> None:
    main(["scenario", "valid", str(tmp_path)])
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "chain.pem",
            "-verify_hostname",
            "login.example.com",
            "server.pem",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # Control: trusting the client root instead fails.
    wrong = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            "client-root.pem",
            "-untrusted",
            "chain.pem",
            "server.pem",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert wrong.returncode != 0


def test_scenario_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "--list"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("valid\t")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["scenario", "no-such-thing", "DIR"], "unknown scenario 'no-such-thing'"),
        (["scenario", "valid"], "usage: pkiviz scenario NAME DIR"),
        (["scenario", "valid", "FILE"], "exists and is not a directory"),
    ],
)
def test_scenario_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    (tmp_path / "FILE").write_text("x")
    argv = [str(tmp_path / a) if a in ("DIR", "FILE") else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unknown_command_exits_2() -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_console_script_runs(tmp_path: Path) -> None:
    exe = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "pkiviz"
    if not exe.exists():  # pragma: no cover - installed some other way
        pytest.skip("pkiviz console script not in .venv")
    result = subprocess.run(
        [str(exe), "scenario", "valid", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert (tmp_path / "root.pem").exists()
