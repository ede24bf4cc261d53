"""``pkiviz inspect`` lists embedded SCTs (log name from the bundled list, log ID, time, algorithm),
for the real cryptography.io certificate and a pkiviz-issued one; a certificate without SCTs shows
no SCT section (control)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pkiviz.cli import main
from pkiviz.ct.issue import login_through_logs
from pkiviz.x509.example import running_example

REAL = Path(__file__).parent / "data" / "ct" / "cryptography-scts.pem"
AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 0
    return capsys.readouterr().out


def test_inspect_names_the_real_logs(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(["inspect", str(REAL)], capsys)
    assert "Embedded SCTs (2, not verified" in out
    assert "1. Google 'Icarus' log" in out and "2. Sectigo 'Mammoth' CT log" in out
    assert "KTxRllTIOWW6qlD8WAfUt2+/WHopctykwwz05UVH9Hg=" in out
    assert "2018-09-26T20:56:33.769Z" in out and "ecdsa-sha256 (v1)" in out


def test_inspect_json_lists_scts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    ct = login_through_logs(at=AT)
    path = ct.certificate.pem.write_to_path(tmp_path / "login.pem")
    (doc,) = json.loads(_run(["inspect", "--json", str(path)], capsys))
    assert [s["log_name"] for s in doc["scts"]] == [log.name for log in ct.logs]
    assert {s["timestamp"] for s in doc["scts"]} == {"2026-03-01T12:00:00.000Z"}
    assert {s["signature_algorithm"] for s in doc["scts"]} == {"ecdsa-sha256"}


def test_no_scts_no_section(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = running_example().server.pem.write_to_path(tmp_path / "plain.pem")
    assert "Embedded SCTs" not in _run(["inspect", str(path)], capsys)
    (doc,) = json.loads(_run(["inspect", "--json", str(path)], capsys))
    assert doc["scts"] == []


def test_unknown_log_is_labelled(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from pkiviz.ct.log import Log

    ct = login_through_logs([Log("pkiviz unlisted log")], at=AT)
    path = ct.certificate.pem.write_to_path(tmp_path / "unlisted.pem")
    assert "1. (unknown log)" in _run(["inspect", str(path)], capsys)
