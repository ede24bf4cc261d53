"""`pkiviz scenario`: byte-identical files, 0600 keys, clear errors."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pkiviz.cli import main
from pkiviz.lab.catalogue import CATALOGUE, CT_CATALOGUE, Breakage

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


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _expected_mode(name: str, directory: Path) -> int:
    """0600 for a key; for a public file, what any new file gets here (the umask decides).

    Under a umask of 077 certificates are 0600 too, so the mode alone cannot tell
    a key from a certificate: compare with a file just written the ordinary way.
    """
    if name.endswith(".key"):
        return 0o600
    probe = directory / ".umask-probe"
    probe.write_bytes(b"")
    try:
        return _mode(probe)
    finally:
        probe.unlink()


def test_scenario_valid_writes_identical_files(tmp_path: Path) -> None:
    assert main(["scenario", "valid", str(tmp_path / "a")]) == 0
    assert main(["scenario", "valid", str(tmp_path / "b")]) == 0
    names = {p.name for p in (tmp_path / "a").iterdir()}
    assert names == EXPECTED
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert _mode(tmp_path / "a" / name) == _expected_mode(name, tmp_path)


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
        (["scenario", "valid", "LONG"], ": cannot write (File name too long)"),
    ],
)
def test_scenario_bad_usage(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    (tmp_path / "FILE").write_text("x")
    argv = [str(tmp_path / a) if a in ("DIR", "FILE") else a for a in argv]
    argv = [str(tmp_path / ("a" * 300)) if a == "LONG" else a for a in argv]  # over 255 bytes
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


@pytest.mark.parametrize("umask", [0o077, 0o022, 0o000])
def test_keys_are_0600_and_certificates_follow_the_umask(tmp_path: Path, umask: int) -> None:
    # CI machines differ in umask (077 is common on hardened runners): keys must be
    # 0600 under every umask, and the checks above must hold under every umask too.
    result = subprocess.run(
        [sys.executable, "-m", "pkiviz", "scenario", "valid", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60, umask=umask,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for path in (tmp_path / "out").iterdir():
        public = 0o666 & ~umask
        assert _mode(path) == (0o600 if path.suffix == ".key" else public), path.name
    if umask == 0o077:  # the case the old check got wrong: a certificate is 0600 as well
        assert _mode(tmp_path / "out" / "root.pem") == 0o600


# -- every entry of the Break-it catalogue -------------------------------------

ENTRIES = [pytest.param(entry, id=entry.id) for entry in CATALOGUE]


def test_scenario_list_names_every_entry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenario", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    everything = CATALOGUE + CT_CATALOGUE
    assert [line.split("\t")[0] for line in lines] == [entry.id for entry in everything]
    for line, entry in zip(lines, everything, strict=True):
        assert line == f"{entry.id}\t{entry.breaks}"


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_scenario_writes_identical_private_files(tmp_path: Path, entry: Breakage) -> None:
    assert main(["scenario", entry.id, str(tmp_path / "a")]) == 0
    assert main(["scenario", entry.id, str(tmp_path / "b")]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(entry.scenario().file_names)
    assert {"root.pem", "server.pem", "server.key", "chain.pem"} <= set(names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert _mode(tmp_path / "a" / name) == _expected_mode(name, tmp_path)
    # root.pem is always the trust anchor to use: the same as valid's.
    main(["scenario", "valid", str(tmp_path / "valid")])
    assert (tmp_path / "a" / "root.pem").read_bytes() == (
        tmp_path / "valid" / "root.pem"
    ).read_bytes()
    if entry.id == "client-certificate-missing":
        assert not {"client.pem", "client.key", "client-chain.pem"} & set(names)
        assert "client-root.pem" in names  # what the server requires client certificates from


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_scenario_against_openssl_today(tmp_path: Path, entry: Breakage) -> None:
    """The files as a reader gets them, checked with the real clock (no -attime)."""
    main(["scenario", entry.id, str(tmp_path)])
    argv = ["openssl", "verify", "-purpose", "sslserver", "-auth_level", "2"]
    argv += ["-CAfile", "root.pem", "-untrusted", "chain.pem"]
    argv += ["-verify_hostname", "login.example.com"]
    if (tmp_path / "crl.pem").exists():
        argv += ["-crl_check", "-CRLfile", "crl.pem"]
    result = subprocess.run(
        [*argv, "server.pem"], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    output = result.stdout + result.stderr
    if entry.openssl_error is None:
        # The control, the server side of the mTLS entry, and CN fallback (see the entry).
        assert result.returncode == 0, output
        assert entry.id in ("valid", "client-certificate-missing") or entry.note
    else:
        assert result.returncode != 0
        assert entry.openssl_error in output, output
