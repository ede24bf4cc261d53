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
AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


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


def _with_sct_extension(tmp_path: Path, name: str, sct_list: bytes) -> Path:
    """The running example's server certificate re-signed with this SCT list extension."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    from pkiviz.ct.entries import SCT_LIST_OID
    from pkiviz.ct.issue import _resign
    from pkiviz.x509.der import octet_string

    ex = running_example()
    ext = x509.UnrecognizedExtension(x509.ObjectIdentifier(SCT_LIST_OID), octet_string(sct_list))
    cert = _resign(
        ex.server.certificate, ex.intermediate, drop=(), add=ext, critical=False, live=False
    )
    path = tmp_path / f"{name}.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _v1_and_v2_list() -> bytes:
    ct = login_through_logs(at=AT)
    v1 = ct.scts[0].to_bytes()
    v2 = b"\x01\x02"  # version 1 (v2), then bytes that are not v1's fields
    body = b"".join(len(s).to_bytes(2, "big") + s for s in (v1, v2))
    return len(body).to_bytes(2, "big") + body


def test_an_sct_of_another_version_shows_no_made_up_fields(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _with_sct_extension(tmp_path, "v2", _v1_and_v2_list())
    out = _run(["inspect", str(path)], capsys)
    assert "2. unsupported version 1 (RFC 6962 defines v1 = 0): log id and time not shown" in out
    assert "1970" not in out
    (doc,) = json.loads(_run(["inspect", "--json", str(path)], capsys))
    first, second = doc["scts"]
    assert second == {
        "version": "v2",
        "unsupported": "unsupported version 1 (RFC 6962 defines v1 = 0)",
    }
    # Control: the v1 SCT beside it shows every field.
    assert first["version"] == "v1" and first["timestamp"] == "2026-03-01T12:00:00.000Z"
    assert "log_id" in first and "scts_error" not in doc


def test_an_unreadable_sct_list_keeps_scts_a_list(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name, sct_list in (("empty", b"\x00\x00"), ("cut", _v1_and_v2_list()[:-5])):
        path = _with_sct_extension(tmp_path, name, sct_list)
        (doc,) = json.loads(_run(["inspect", "--json", str(path)], capsys))
        assert doc["scts"] == [] and doc["scts_error"].startswith("unreadable: SCT list: ")
        assert "Embedded SCTs: unreadable: SCT list: " in _run(["inspect", str(path)], capsys)
    assert "empty; RFC 6962 3.3" in _run(["inspect", str(tmp_path / "empty.pem")], capsys)
    # Control: a readable list has no "scts_error".
    (doc,) = json.loads(_run(["inspect", "--json", str(REAL)], capsys))
    assert len(doc["scts"]) == 2 and "scts_error" not in doc
