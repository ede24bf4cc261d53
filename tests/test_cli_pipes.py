"""The command line with pipes, stdin, CRL bundles and serial-0 roots (as a shell runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import certifi
import pytest

from pkiviz.x509.load import load_certificates
from pkiviz.x509.parse import serial_number

PKIVIZ = [sys.executable, "-m", "pkiviz"]
AT = ["--at", "2026-03-01T12:00:00Z"]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("scenarios")
    for name in ("valid", "expired", "revoked"):
        subprocess.run([*PKIVIZ, "scenario", name, str(base / name)], check=True, timeout=120)
    return base


def _closed_pipe_status(argv: list[str]) -> tuple[int, str]:
    """Run with stdout a pipe whose reader has already gone (``| true``)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    return proc.wait(timeout=120), err


@pytest.mark.parametrize(("name", "status"), [("expired", 1), ("valid", 0)])
def test_a_closed_pipe_keeps_the_verdict_s_exit_status(scenarios: Path, name: str, status: int):
    d = scenarios / name
    argv = [*PKIVIZ, "validate", str(d / "chain.pem"), "--trust", str(d / "root.pem"), *AT]
    code, err = _closed_pipe_status(argv)
    assert (code, err) == (status, "")  # the valid chain is the control


def test_stdin_as_the_leaf_and_as_the_trust_file(scenarios: Path) -> None:
    d = scenarios / "valid"
    chain, root = (d / "chain.pem").read_bytes(), (d / "root.pem").read_bytes()
    host = ["--host", "login.example.com", *AT]
    leaf_in = subprocess.run(
        [*PKIVIZ, "validate", "-", "--trust", str(d / "root.pem"), *host],
        input=chain, capture_output=True, timeout=120,
    )  # fmt: skip
    trust_in = subprocess.run(
        [*PKIVIZ, "validate", str(d / "chain.pem"), "--trust", "-", *host],
        input=root, capture_output=True, timeout=120,
    )  # fmt: skip
    assert leaf_in.returncode == trust_in.returncode == 0
    assert leaf_in.stdout == trust_in.stdout
    both = subprocess.run(
        [*PKIVIZ, "validate", "-", "--trust", "-"], input=b"", capture_output=True, timeout=120
    )
    assert both.returncode == 2 and b"only one of LEAF" in both.stderr


def test_the_revoked_scenario_s_crl_bundle_is_read_whole(scenarios: Path) -> None:
    d = scenarios / "revoked"
    assert (d / "crl.pem").read_bytes().count(b"BEGIN X509 CRL") == 2  # CA's and root's
    base = [*PKIVIZ, "validate", str(d / "chain.pem"), "--trust", str(d / "root.pem"), *AT]
    with_crls = subprocess.run([*base, "--crl", str(d / "crl.pem")], capture_output=True)
    assert with_crls.returncode == 1 and b"REVOKED" in with_crls.stdout, with_crls.stderr
    without = subprocess.run(base, capture_output=True)  # control: no CRL, nothing known
    assert without.returncode == 0


def test_a_serial_0_root_gives_no_python_warning_on_stderr(tmp_path: Path) -> None:
    roots = [c for c in load_certificates(certifi.where()) if serial_number(c) <= 0]
    assert roots  # certifi carries a few
    from cryptography.hazmat.primitives.serialization import Encoding

    path = tmp_path / "serial0.pem"
    path.write_bytes(roots[0].public_bytes(Encoding.PEM))
    for argv in (["inspect", str(path)], ["inspect", "--json", "--map", str(path)],
                 ["validate", str(path), "--trust", str(path)]):  # fmt: skip
        done = subprocess.run([*PKIVIZ, *argv], capture_output=True, timeout=120)
        assert done.returncode in (0, 1) and done.stderr == b"", (argv, done.stderr)
    inspected = subprocess.run([*PKIVIZ, "inspect", str(path)], capture_output=True)
    assert b"not positive" in inspected.stdout  # pkiviz says it once, in words


def test_version_and_help_read_as_plain_text() -> None:
    version = subprocess.run([*PKIVIZ, "--version"], capture_output=True, text=True)
    from pkiviz import __version__

    assert (version.returncode, version.stdout) == (0, f"pkiviz {__version__}\n")
    for command in ([], ["inspect"], ["validate"], ["scenario"]):
        shown = subprocess.run([*PKIVIZ, *command, "--help"], capture_output=True, text=True)
        assert shown.returncode == 0 and "usage: pkiviz" in shown.stdout
        assert "``" not in shown.stdout, command  # no reST markup in --help
    assert "exit status" in subprocess.run([*PKIVIZ, "--help"], capture_output=True).stdout.decode()
