"""``pkiviz probe --cert --key``: was the client certificate accepted? (TLS 1.3: a late alert)."""

from __future__ import annotations

import json

import pytest
from openssl_server import needs_openssl, s_server

from pkiviz.cli import main
from pkiviz.errors import InputError
from pkiviz.net.detect_servers import detection_server
from pkiviz.net.mtls_failures import failure_certificates
from pkiviz.net.probe import probe
from pkiviz.x509.example import running_example

EXAMPLE = running_example()
HOST = EXAMPLE.hostname


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("mtls")
    EXAMPLE.write_to(d)
    for name, cert in failure_certificates(EXAMPLE).items():
        if cert is not None and name != "valid":
            cert.chain_pem.write_to_path(d / f"{name}.pem")
            cert.key_pem.write_to_path(d / f"{name}.key")
    return d


def run_probe(port, files, cert=None, **kw):
    creds = {} if cert is None else {"cert": files / f"{cert}.pem", "key": files / f"{cert}.key"}
    return probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"], **creds, **kw)


@pytest.mark.parametrize("version", ["1.3", "1.2"])
@pytest.mark.parametrize("kind", ["mtls-unnamed", "mtls-named"])
def test_alice_is_accepted_control(files, kind, version):
    with detection_server(kind, EXAMPLE, version=version) as srv:
        result = run_probe(srv.port, files, "client")
    assert result.client_certificate_sent and result.client_certificate_accepted is True
    assert result.server_alert is None and result.ok
    assert result.offered_certificate == EXAMPLE.client.name


@pytest.mark.parametrize(
    ("cert", "code"),
    [("untrusted-ca", 48), ("server-auth-only", 43), ("expired", 45), (None, 116)],
)
def test_tls13_rejection_arrives_after_the_handshake(files, cert, code):
    with detection_server("mtls-named", EXAMPLE, version="1.3") as srv:
        result = run_probe(srv.port, files, cert)
    assert result.handshake.completed  # the client's handshake finished...
    assert result.server_alert.code == code and result.alert_after_handshake  # ...then the verdict
    assert result.client_certificate_accepted is (None if cert is None else False)
    assert not result.ok
    data = result.to_json_dict()
    assert data["server_alert"] == {
        "level": "fatal", "description": result.server_alert.description, "code": code,
        "after_handshake": True,
    }  # fmt: skip


@pytest.mark.parametrize(("cert", "code"), [("untrusted-ca", 48), (None, 40)])
def test_tls12_rejection_fails_the_handshake(files, cert, code):
    with detection_server("mtls-unnamed", EXAMPLE, version="1.2") as srv:
        result = run_probe(srv.port, files, cert)
    assert not result.handshake.completed
    assert result.server_alert.code == code and not result.alert_after_handshake
    assert result.client_certificate_accepted is (None if cert is None else False)


def test_without_waiting_the_tls13_verdict_is_missed(files):
    """The late alert is only seen by a client that reads after the handshake."""
    with detection_server("mtls-named", EXAMPLE, version="1.3") as srv:
        blind = run_probe(srv.port, files, "untrusted-ca", wait=0)
    assert blind.handshake.completed and blind.server_alert is None
    assert blind.client_certificate_accepted is True  # wrongly: nobody listened for the verdict


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        ("mtls-unnamed", "client certificate requested; no CA names sent"),
        ("mtls-named", f"client certificate requested; acceptable CAs: {EXAMPLE.client_root.name}"),
    ],
)
def test_the_request_line_says_whether_ca_names_were_sent(files, kind, line):
    """An empty CA list is reported as such, not as "any CA" (RFC 8446 4.2.4 is optional)."""
    with detection_server(kind, EXAMPLE, version="1.3") as srv:
        result = run_probe(srv.port, files, "client")
    assert line in [x.strip() for x in result.text().splitlines()]
    assert "any CA" not in result.text()


def test_optional_server_goes_on_without_a_certificate(files):
    with detection_server("optional", EXAMPLE, version="1.3") as srv:
        result = run_probe(srv.port, files)
    assert result.client_certificate_requested and not result.client_certificate_sent
    assert result.client_certificate_accepted is None and result.server_alert is None
    assert "the server went on without one" in result.text()


def test_plain_server_never_asks(files):
    with detection_server("https", EXAMPLE) as srv:
        result = run_probe(srv.port, files, "client")
    assert not result.client_certificate_requested and not result.client_certificate_sent
    assert result.client_certificate_accepted is None and result.ok
    assert "not sent (not asked)" in result.text()


def test_cli_json_keys_and_exit_status(files, capsys):
    with detection_server("mtls-named", EXAMPLE, version="1.3") as srv:
        good = main(["probe", f"127.0.0.1:{srv.port}", "--servername", HOST, "--trust",
                     str(files / "root.pem"), "--cert", str(files / "client.pem"),
                     "--key", str(files / "client.key"), "--json"])  # fmt: skip
        data = json.loads(capsys.readouterr().out)
        bad = main(["probe", f"127.0.0.1:{srv.port}", "--servername", HOST, "--trust",
                    str(files / "root.pem"), "--cert", str(files / "expired.pem"),
                    "--key", str(files / "expired.key")])  # fmt: skip
        text = capsys.readouterr().out
    assert good == 0 and bad == 1
    assert data["client_certificate_requested"] is True
    assert data["acceptable_client_ca_names"] == [EXAMPLE.client_root.name]
    assert "ecdsa_secp256r1_sha256" in data["requested_signature_algorithms"]
    assert data["client_certificate_sent"] is True and data["client_certificate_accepted"] is True
    assert data["client_certificate_offered"] == EXAMPLE.client.name
    assert data["server_alert"] is None
    assert "REJECTED (server sent fatal certificate_expired (45) after the handshake)" in text


def test_bad_client_files_are_input_errors(files, tmp_path, capsys):
    with pytest.raises(InputError, match="needs a client certificate"):
        probe("127.0.0.1", 1, key=files / "client.key")
    with pytest.raises(InputError, match="private key does not belong to the first certificate"):
        probe("127.0.0.1", 1, cert=files / "client.pem", key=files / "expired.key")  # mismatch
    with pytest.raises(InputError, match="give the client certificate's key with --key"):
        probe("127.0.0.1", 1, cert=files / "client.pem")  # no --key, and none in the file
    with pytest.raises(InputError):
        probe("127.0.0.1", 1, cert=tmp_path / "missing.pem")
    with pytest.raises(InputError, match="wait"):
        probe("127.0.0.1", 1, wait=-1)
    assert main(["probe", "127.0.0.1:1", "--cert", str(tmp_path / "missing.pem")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# --- against openssl s_server -Verify 1 ------------------------------------------------------


def _probe_s_server(files, version, cert, extra):
    """Probe a fresh s_server; once more on a fresh one if the first refused the connection.

    ``s_server -naccept 1`` serves one connection on a port ``free_port()`` found free, in
    the kernel's ephemeral range. A fresh-clone CI run once saw the probe's first connection
    refused right after s_server said ACCEPT: some other connection had reached that port
    first and s_server had served it and exited. A second s_server on another port tells
    that apart from a probe that cannot connect (which fails twice).
    """
    for attempt in (1, 2):
        with s_server(*s_server_args(files, version), *extra) as port:
            try:
                return run_probe(port, files, cert)
            except InputError as exc:
                if "connection refused" not in str(exc) or attempt == 2:
                    raise
    raise AssertionError("unreachable")


def s_server_args(files, version):
    flag = "-tls" + version.replace(".", "_")
    return ["-cert", str(files / "server.pem"), "-key", str(files / "server.key"),
            "-cert_chain", str(files / "intermediate.pem"), "-CAfile",
            str(files / "client-root.pem"), "-Verify", "1", flag]  # fmt: skip


@needs_openssl
@pytest.mark.parametrize("version", ["1.3", "1.2"])
@pytest.mark.parametrize(
    ("cert", "strict", "accepted"),
    [
        ("client", False, True),
        ("client", True, True),
        ("untrusted-ca", True, False),
        # s_server logs a failed client verification but goes on unless told
        # -verify_return_error: -Verify 1 alone accepts a certificate from any CA
        ("untrusted-ca", False, True),
        (None, False, None),
    ],
)
def test_against_openssl_s_server_verify_1(files, version, cert, strict, accepted):
    extra = ["-verify_return_error"] if strict else []
    result = _probe_s_server(files, version, cert, extra)
    assert result.acceptable_client_ca_names == (EXAMPLE.client_root.name,)
    assert result.client_certificate_accepted is accepted
    if accepted is not True:
        expected = {
            "1.3": (116 if cert is None else 48, True),
            "1.2": (40 if cert is None else 48, False),
        }
        assert (result.server_alert.code, result.alert_after_handshake) == expected[version]
