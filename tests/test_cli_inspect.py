"""``pkiviz inspect``: anatomy on the command line, checked against ``openssl x509 -text``."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import certifi
import pytest

from pkiviz.cli import main
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import Issued

EX = running_example()
VENV_PKIVIZ = Path(sys.executable).parent / "pkiviz"
OPENSSL = shutil.which("openssl")

# openssl's long names for what RFC 5280 calls them
OPENSSL_EKU = {
    "TLS Web Server Authentication": "serverAuth",
    "TLS Web Client Authentication": "clientAuth",
}
OPENSSL_KU = {
    "Digital Signature": "digitalSignature",
    "Key Encipherment": "keyEncipherment",
    "Certificate Sign": "keyCertSign",
    "CRL Sign": "cRLSign",
}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def files(tmp_path: Path) -> Path:
    EX.write_to(tmp_path)
    return tmp_path


# --- success -----------------------------------------------------------------------------


def test_text_output(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(["inspect", str(files / "server.pem")], capsys)
    assert (status, err) == (0, "")
    assert out.startswith("Certificate: CN=login.example.com\n")
    assert "Extended key usage       serverAuth" in out
    assert "DNS:login.example.com" in out
    assert "# " not in out  # a single certificate gets no numbering header


def test_bundle_text_is_numbered(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["inspect", str(files / "chain.pem")], capsys)
    assert status == 0
    assert "certificate 1 of 2\nCertificate: CN=login.example.com" in out
    assert "certificate 2 of 2\nCertificate: CN=Example Trust TLS CA 2026" in out


def test_json_is_always_a_list(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["inspect", "--json", str(files / "server.pem")], capsys)
    (single,) = json.loads(out)
    assert status == 0
    assert single["subject"] == "CN=login.example.com"
    assert single["extended_key_usage"] == ["serverAuth"]
    status, out, _ = run(["inspect", str(files / "chain.pem"), "--json"], capsys)
    assert [c["subject"] for c in json.loads(out)] == [
        "CN=login.example.com",
        "CN=Example Trust TLS CA 2026,O=Example Trust Co,C=US",
    ]


def test_der_and_stdin(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    der = files / "server.der"
    der.write_bytes(EX.server.der)
    _, from_der, _ = run(["inspect", "--json", str(der)], capsys)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EX.server.pem.data)))
    status, from_stdin, _ = run(["inspect", "--json", "-"], capsys)
    assert status == 0
    assert json.loads(from_der) == json.loads(from_stdin)


def test_map_option(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["inspect", "--map", str(files / "server.pem")], capsys)
    assert status == 0
    assert "DER byte map:" in out and "TBSCertificate header (tag+length)" in out
    _, out, _ = run(["inspect", "--map", "--json", str(files / "server.pem")], capsys)
    regions = json.loads(out)[0]["byte_map"]
    assert regions[0] == {"name": "Certificate", "start": 0, "end": len(EX.server.der), "depth": 0}


def test_certifi_bundle(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(["inspect", "--json", certifi.where()], capsys)
    data = json.loads(out)
    assert status == 0 and len(data) > 100
    zero = [c for c in data if c["serial_number_decimal"] == "0"]
    assert zero and all(c["notes"] for c in zero)  # the non-positive serials are noted


# --- failure: exit 2, one line, no traceback ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("server.key", "server.key: holds a PRIVATE KEY, not a certificate"),
        ("missing.pem", "missing.pem: no such file"),
        ("empty.pem", "empty.pem: is empty"),
        (".", "is a directory, not a file"),
        ("junk.bin", "junk.bin: is neither PEM nor DER"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    files: Path, capsys: pytest.CaptureFixture[str], name: str, fragment: str
) -> None:
    (files / "empty.pem").write_bytes(b"")
    (files / "junk.bin").write_bytes(b"\x00\xff" * 50)
    status, out, err = run(["inspect", str(files / name)], capsys)
    assert (status, out) == (2, "")
    assert err.startswith("pkiviz: error: ") and fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err
    # control: the certificate beside it inspects fine
    assert run(["inspect", str(files / "server.pem")], capsys)[0] == 0


def test_pem_text_as_the_argument_gets_one_line_for_the_command_line(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pkiviz inspect "$(cat server.pem)": the text, not a file name
    status, out, err = run(["inspect", EX.server.pem.data.decode()], capsys)
    assert (status, out) == (2, "")
    assert err == (
        "pkiviz: error: that looks like PEM text, not a file name: give the file's path, "
        "or pipe it: pkiviz inspect - < FILE\n"
    )
    # control: piped as the message says, the same text inspects fine
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EX.server.pem.data)))
    assert run(["inspect", "-"], capsys)[0] == 0


def test_an_empty_file_name_is_called_empty(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(["inspect", ""], capsys)
    assert (status, out, err) == (2, "", "pkiviz: error: the file name is empty\n")
    # control: "." is the directory it used to be mistaken for
    assert "is a directory" in run(["inspect", "."], capsys)[2]


def test_an_end_label_that_differs_from_begin_is_named(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = EX.server.pem.data
    (files / "mismatch.pem").write_bytes(pem.replace(b"END CERTIFICATE", b"END PRIVATE KEY"))
    (files / "truncated.pem").write_bytes(pem[: len(pem) // 2])
    status, _, err = run(["inspect", str(files / "mismatch.pem")], capsys)
    assert status == 2 and err.endswith(
        "mismatch.pem: PEM block CERTIFICATE ends with END PRIVATE KEY: the END label must match "
        "the BEGIN label (RFC 7468 2)\n"
    )
    # control: a file really cut short still says so
    status, _, err = run(["inspect", str(files / "truncated.pem")], capsys)
    assert status == 2 and err.endswith(
        "truncated.pem: PEM block CERTIFICATE has no END line (truncated?)\n"
    )


@pytest.mark.parametrize("argv", [["inspect"], ["inspect", "a.pem", "--bogus"]])
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.startswith("pkiviz: error:") and err.count("\n") == 1


def test_help_documents_the_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["inspect", "--help"])
    assert info.value.code == 0
    assert "always a JSON list" in capsys.readouterr().out


# --- the installed console script, once ---------------------------------------------------------


def test_console_script(files: Path) -> None:
    assert VENV_PKIVIZ.exists()
    good = subprocess.run(
        [str(VENV_PKIVIZ), "inspect", "--json", str(files / "chain.pem")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert len(json.loads(good.stdout)) == 2
    bad = subprocess.run(
        [str(VENV_PKIVIZ), "inspect", str(files / "server.key")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        f"pkiviz: error: {files / 'server.key'}: holds a PRIVATE KEY, not a certificate"
    ]


# --- agreement with openssl x509 -text ---------------------------------------------------------


def _openssl_fields(path: Path) -> dict[str, object]:
    assert OPENSSL is not None
    text = subprocess.run(
        [OPENSSL, "x509", "-in", str(path), "-noout", "-text", "-nameopt", "RFC2253"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout

    def after(label: str) -> str:
        match = re.search(rf"^\s*{re.escape(label)}[^\n]*\n\s*(.+)$", text, re.M)
        assert match, label
        return match.group(1).strip()

    def date(label: str) -> str:
        match = re.search(rf"{label}\s*: (.+ GMT)", text)
        assert match, label
        when = dt.datetime.strptime(match.group(1), "%b %d %H:%M:%S %Y GMT")
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    sans = after("X509v3 Subject Alternative Name").split(", ")
    return {
        "subject": re.search(r"Subject: (.+)", text).group(1),  # type: ignore[union-attr]
        "issuer": re.search(r"Issuer: (.+)", text).group(1),  # type: ignore[union-attr]
        "serial_number": after("Serial Number:").replace(":", "").upper(),
        "not_before": date("Not Before"),
        "not_after": date("Not After"),
        "sans": sorted(sans),
        "eku": [OPENSSL_EKU[e] for e in after("X509v3 Extended Key Usage").split(", ")],
        "key_usage": [OPENSSL_KU[k] for k in after("X509v3 Key Usage").split(", ")],
    }


@pytest.mark.skipif(OPENSSL is None, reason="openssl not installed")
@pytest.mark.parametrize("who", ["server", "client"])
def test_agrees_with_openssl(files: Path, capsys: pytest.CaptureFixture[str], who: str) -> None:
    issued: Issued = getattr(EX, who)
    path = files / f"{who}.pem"
    expected = _openssl_fields(path)
    status, out, _ = run(["inspect", "--json", str(path)], capsys)
    (ours,) = json.loads(out)
    assert status == 0
    san = ours["subject_alt_names"]
    got = {
        "subject": ours["subject"],
        "issuer": ours["issuer"],
        "serial_number": ours["serial_number"],
        "not_before": ours["not_before"],
        "not_after": ours["not_after"],
        "sans": sorted([f"DNS:{d}" for d in san["dns"]] + [f"email:{e}" for e in san["email"]]),
        "eku": ours["extended_key_usage"],
        "key_usage": ours["key_usage"],
    }
    assert got == expected
    assert expected["subject"] == issued.name  # openssl and cryptography agree on the name too
