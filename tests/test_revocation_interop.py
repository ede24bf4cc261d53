"""pkiviz and the openssl CLI agree on CRLs and OCSP, in both directions.

* openssl verifies CRLs and OCSP responses that pkiviz built;
* pkiviz reads a CRL from ``openssl ca -gencrl`` and the answers of a real
  ``openssl ocsp`` responder on 127.0.0.1.

Every subprocess has a timeout and every server is killed in ``finally``.
These tests use the wall clock (``clock.wall_clock``) because openssl does.
"""

from __future__ import annotations

import datetime as dt
import os
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from openssl_server import free_port_on_every_address

from pkiviz import running_example
from pkiviz.clock import wall_clock
from pkiviz.revocation.crl import RevokedEntry, build_crl, entries_of
from pkiviz.revocation.fetch import fetch_ocsp
from pkiviz.revocation.ocsp import build_ocsp_response, check_ocsp, issue_ocsp_responder
from pkiviz.x509.factory import CA, Issued

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

MINUTE = dt.timedelta(minutes=1)


def _openssl(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=cwd,
        check=False,
    )


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _files(tmp: Path) -> dict[str, Path]:
    ex = running_example()
    return {
        "root": _write(tmp, "root.pem", ex.root.pem.data),
        "inter": _write(tmp, "inter.pem", ex.intermediate.pem.data),
        "server": _write(tmp, "server.pem", ex.server.pem.data),
    }


# -- openssl checks what pkiviz built ------------------------------------------


def test_openssl_verifies_pkiviz_crl_and_rejects_wrong_ca(tmp_path: Path) -> None:
    ex = running_example()
    files = _files(tmp_path)
    crl = build_crl(
        ex.intermediate, [RevokedEntry.of(ex.server, at=wall_clock(), reason="key_compromise")]
    )
    crl_path = crl.pem.write_to_path(tmp_path / "crl.pem")
    ok = _openssl("crl", "-in", crl_path, "-CAfile", files["inter"], "-noout")
    assert ok.returncode == 0 and "verify OK" in ok.stderr + ok.stdout
    text = _openssl("crl", "-in", crl_path, "-noout", "-text").stdout
    assert "Key Compromise" in text and f"{ex.server.certificate.serial_number:X}" in text
    wrong = _openssl("crl", "-in", crl_path, "-CAfile", files["root"], "-noout")
    assert wrong.returncode != 0


def _ocsp_verify(tmp: Path, der: bytes, files: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    resp = _write(tmp, "resp.der", der)
    return _openssl(
        "ocsp",
        "-respin",
        resp,
        "-issuer",
        files["inter"],
        "-cert",
        files["server"],
        "-CAfile",
        files["root"],
        "-verify_other",
        files["inter"],
        "-no_nonce",
    )


def test_openssl_verifies_pkiviz_ocsp_good(tmp_path: Path) -> None:
    ex = running_example()
    files = _files(tmp_path)
    der = build_ocsp_response(ex.intermediate, ex.server, this_update=wall_clock() - MINUTE).der
    out = _ocsp_verify(tmp_path, der, files)
    assert out.returncode == 0, out.stderr
    assert "Response verify OK" in out.stderr
    assert "server.pem: good" in out.stdout


def test_openssl_verifies_pkiviz_ocsp_revoked_by_delegated_responder(tmp_path: Path) -> None:
    ex = running_example()
    files = _files(tmp_path)
    now = wall_clock()
    der = build_ocsp_response(
        ex.intermediate,
        ex.server,
        status="revoked",
        revoked_at=now - 60 * MINUTE,
        reason="key_compromise",
        this_update=now - MINUTE,
        responder=issue_ocsp_responder(ex.intermediate, "Example Trust OCSP Responder"),
    ).der
    out = _ocsp_verify(tmp_path, der, files)
    assert out.returncode == 0, out.stderr
    assert "Response verify OK" in out.stderr
    assert "server.pem: revoked" in out.stdout and "keyCompromise" in out.stdout


def test_openssl_rejects_ocsp_signed_by_the_wrong_key(tmp_path: Path) -> None:
    ex = running_example()
    files = _files(tmp_path)
    impostor = CA.root("impostor", subject=ex.intermediate.name, label="impostor TLS CA")
    der = build_ocsp_response(
        ex.intermediate, ex.server, responder=impostor, this_update=wall_clock() - MINUTE
    ).der
    out = _ocsp_verify(tmp_path, der, files)
    assert "Response verify OK" not in out.stderr
    assert check_ocsp(der, ex.server, ex.intermediate, at=wall_clock()).problem == "bad_signature"


# -- pkiviz reads what openssl made ---------------------------------------------

_CA_CONF = """
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {dir}
database = $dir/index.txt
crlnumber = $dir/crlnumber
certificate = $dir/inter.pem
private_key = $dir/inter.key
default_md = sha256
default_crl_days = 7
"""


def _index_line(cert: Issued, revoked: str | None = None) -> str:
    expiry = cert.certificate.not_valid_after_utc.strftime("%y%m%d%H%M%SZ")
    serial = f"{cert.certificate.serial_number:X}"
    serial = serial if len(serial) % 2 == 0 else "0" + serial
    subject = "/" + "/".join(reversed(cert.name.split(",")))
    state = "R" if revoked else "V"
    return "\t".join([state, expiry, revoked or "", serial, "unknown", subject]) + "\n"


@pytest.fixture
def openssl_ca(tmp_path: Path) -> tuple[Path, Issued, Issued]:
    """A minimal ``openssl ca`` directory: the intermediate, one good and one revoked leaf."""
    ex = running_example()
    good = ex.intermediate.issue_server("good.example.com", label="interop-good")
    bad = ex.intermediate.issue_server("bad.example.com", label="interop-bad")
    revoked_at = (wall_clock() - 60 * MINUTE).strftime("%y%m%d%H%M%SZ")
    (tmp_path / "index.txt").write_text(
        _index_line(good) + _index_line(bad, f"{revoked_at},keyCompromise")
    )
    (tmp_path / "crlnumber").write_text("1000\n")
    _write(tmp_path, "inter.pem", ex.intermediate.pem.data)
    ex.intermediate.key_pem.write_to_path(tmp_path / "inter.key")
    (tmp_path / "ca.cnf").write_text(_CA_CONF.format(dir=tmp_path))
    return tmp_path, good, bad


def test_pkiviz_reads_openssl_gencrl(openssl_ca: tuple[Path, Issued, Issued]) -> None:
    directory, good, bad = openssl_ca
    out = _openssl("ca", "-gencrl", "-config", directory / "ca.cnf", "-out", directory / "crl.pem")
    assert out.returncode == 0, out.stderr
    crl = x509.load_pem_x509_crl((directory / "crl.pem").read_bytes())
    assert crl.is_signature_valid(running_example().intermediate.certificate.public_key())
    (entry,) = entries_of(crl)
    assert entry.serial == bad.certificate.serial_number
    assert entry.reason == "key_compromise"
    assert all(e.serial != good.certificate.serial_number for e in entries_of(crl))


def _free_port() -> int:
    return free_port_on_every_address()  # openssl ocsp -port binds every address


def test_openssl_ocsp_needs_its_port_free_on_every_address(tmp_path: Path) -> None:
    """Why the responder's port is chosen on the wildcard address, not on 127.0.0.1."""
    with socket.socket() as elsewhere:
        # A port free on every address, then held on another address only. (Binding
        # 127.0.0.2 to port 0 may be handed a port some other socket holds on 127.0.0.1.)
        port = free_port_on_every_address()
        elsewhere.bind(("127.0.0.2", port))
        elsewhere.listen(1)
        with socket.socket() as loopback:
            loopback.bind(("127.0.0.1", port))  # a 127.0.0.1 probe calls it free...
        process = subprocess.run(
            ["openssl", "ocsp", "-index", "index.txt", "-port", str(port), "-rsigner", "x.pem",
             "-rkey", "x.key", "-CA", "x.pem"],
            cwd=tmp_path, capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
        assert "Address already in use" in process.stderr  # ...but openssl cannot bind it
        with socket.socket() as wildcard, pytest.raises(OSError):
            wildcard.bind(("0.0.0.0", port))  # and the wildcard probe would never pick it
    # Control: the port free_port_on_every_address() gives is bindable on any address.
    free = free_port_on_every_address()
    for host in ("127.0.0.2", "0.0.0.0"):
        with socket.socket() as sock:
            sock.bind((host, free))


def _wait_listening(process: subprocess.Popen[bytes], deadline: float) -> None:
    """Wait for openssl's "waiting for OCSP client connections" line on stderr.

    A probe connection would not do: ``openssl ocsp`` serves one connection
    at a time and would sit waiting for the probe's request.
    """
    assert process.stderr is not None
    seen = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.1)
        if ready:
            chunk = os.read(process.stderr.fileno(), 4096)
            if not chunk:
                break
            seen += chunk
            if b"waiting for OCSP client connections" in seen:
                return
    raise AssertionError(f"openssl ocsp did not start: {seen.decode(errors='replace')}")


@pytest.fixture
def openssl_responder(
    openssl_ca: tuple[Path, Issued, Issued],
) -> Iterator[tuple[str, Issued, Issued]]:
    """A real ``openssl ocsp`` responder on 127.0.0.1 answering from the fixture's index.txt."""
    directory, good, bad = openssl_ca
    port = _free_port()
    process = subprocess.Popen(
        [
            "openssl",
            "ocsp",
            "-index",
            str(directory / "index.txt"),
            "-port",  # openssl 3.0 takes a bare port (it binds every interface)
            str(port),
            "-rsigner",
            str(directory / "inter.pem"),
            "-rkey",
            str(directory / "inter.key"),
            "-CA",
            str(directory / "inter.pem"),
            "-nmin",
            "1",
            "-ignore_err",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(process, time.monotonic() + 10)
        yield f"http://127.0.0.1:{port}", good, bad
    finally:
        process.kill()
        process.wait(timeout=10)
        assert process.stderr is not None
        process.stderr.close()


def test_pkiviz_queries_a_real_openssl_responder(
    openssl_responder: tuple[str, Issued, Issued],
) -> None:
    url, good, bad = openssl_responder
    ca = running_example().intermediate
    nonce = b"pkiviz-nonce-123"
    got = fetch_ocsp(good, ca, url=url, nonce=nonce, timeout=5)
    assert got.outcome == "fetched", got.message
    result = check_ocsp(got.body, good, ca, at=wall_clock(), nonce=nonce)
    assert result.status == "good" and result.signature == "issuer" and result.nonce == "matched"
    got = fetch_ocsp(bad, ca, url=url, timeout=5)
    revoked = check_ocsp(got.body, bad, ca, at=wall_clock())
    assert revoked.status == "revoked" and revoked.reason == "key_compromise"
    # Control: the same answer does not vouch for another certificate.
    assert check_ocsp(got.body, good, ca, at=wall_clock()).problem == "cert_id_mismatch"
