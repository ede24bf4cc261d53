"""pkiviz validate and pkiviz probe trust the same store when no --trust is given."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from pkiviz.cli.validate import default_trust_store
from pkiviz.net.probe import _system_trust
from pkiviz.net.trust_store import system_trust_store


def test_validate_and_probe_load_the_same_store() -> None:
    store = system_trust_store()
    certificates, source = default_trust_store()
    anchors, sources = _system_trust()
    assert certificates == anchors == store.certificates
    assert (source,) == sources == (store.source,)


def test_the_store_is_what_python_ssl_reads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pkiviz.x509.example import running_example

    ex = running_example()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(ex.root.pem.bytes() + b"junk that is no certificate\n")
    directory = tmp_path / "certs"
    directory.mkdir()
    (directory / "client-root.pem").write_bytes(ex.client_root.pem.bytes())
    (directory / "README").write_text("not a certificate")
    (directory / "again.pem").write_bytes(ex.root.pem.bytes())  # counted once
    paths = ssl.DefaultVerifyPaths(str(bundle), str(directory), "", "", "", "")
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: paths)
    store = system_trust_store()
    assert store.certificates == (ex.root.certificate, ex.client_root.certificate)
    assert store.source == f"platform trust store ({bundle}, {directory})"
    # Control: with neither a file nor a directory, certifi's bundle (installed here).
    missing = ssl.DefaultVerifyPaths(str(tmp_path / "none"), str(tmp_path / "none"), "", "", "", "")
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: missing)
    assert system_trust_store().source.startswith("certifi (")
