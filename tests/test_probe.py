"""``pkiviz probe``: against a pkiviz server and against ``openssl s_server``."""

from __future__ import annotations

import contextlib
import json
import socket
import threading

import pytest
from openssl_server import needs_openssl, s_server

from pkiviz import _loopback
from pkiviz.cli import main
from pkiviz.errors import InputError
from pkiviz.net.live import Server, server_context
from pkiviz.net.probe import checked_servername, host_port, parse_target, probe
from pkiviz.tls import signatures
from pkiviz.x509.example import running_example

EXAMPLE = running_example(live=True)
RSA = running_example(live=True, key="rsa-2048")
HOST = EXAMPLE.hostname


@pytest.fixture
def files(tmp_path):
    written = {}
    for name, ex in (("ec", EXAMPLE), ("rsa", RSA)):
        d = tmp_path / name
        ex.write_to(d)
        written[name] = d
    return written


def test_probe_pkiviz_server_tls13(files):
    with Server(server_context(EXAMPLE.server)) as srv:
        result = probe("127.0.0.1", srv.port, servername=HOST, trust=[files["ec"] / "root.pem"])
    assert result.tls_version == "TLSv1.3" and result.ok
    assert result.chain == (EXAMPLE.server.certificate, EXAMPLE.intermediate.certificate)
    assert result.validation is not None and result.validation.valid
    assert (
        result.server_signature.verified and result.server_signature.message == "CertificateVerify"
    )
    assert not result.client_certificate_requested


def test_probe_with_the_wrong_trust_still_captures_and_verifies_the_signature(files):
    with Server(server_context(EXAMPLE.server)) as srv:
        result = probe("127.0.0.1", srv.port, servername=HOST, trust=[files["rsa"] / "root.pem"])
    assert result.validation is not None and not result.validation.valid
    assert result.server_signature.verified  # signature two holds; signature one does not
    assert not result.ok


def test_probe_pkiviz_server_tls12(files):
    with Server(server_context(EXAMPLE.server, version="1.2")) as srv:
        result = probe("127.0.0.1", srv.port, servername=HOST, trust=[files["ec"] / "root.pem"])
    assert result.tls_version == "TLSv1.2"
    assert (
        result.server_signature.message == "ServerKeyExchange" and result.server_signature.verified
    )
    tampered = signatures.verify_server_signature(signatures.flip_byte(result.handshake))
    assert not tampered.verified


def test_probe_sees_a_python_mtls_server_request_without_ca_names(files):
    ctx = server_context(EXAMPLE.server, client_ca=EXAMPLE.client_root)
    with Server(ctx) as srv:
        result = probe("127.0.0.1", srv.port, servername=HOST, trust=[files["ec"] / "root.pem"])
    assert result.client_certificate_requested
    assert result.acceptable_client_ca_names == ()
    assert "ecdsa_secp256r1_sha256" in result.requested_signature_algorithms


@needs_openssl
def test_probe_openssl_s_server_mtls_lists_acceptable_ca_names(files):
    d = files["ec"]
    args = ["-cert", str(d / "server.pem"), "-key", str(d / "server.key"),
            "-cert_chain", str(d / "intermediate.pem"),
            "-CAfile", str(d / "client-root.pem"), "-Verify", "1"]  # fmt: skip
    with s_server(*args) as port:
        result = probe("127.0.0.1", port, servername=HOST, trust=[d / "root.pem"])
    assert result.client_certificate_requested
    assert result.acceptable_client_ca_names == (EXAMPLE.client_root.name,)
    assert result.server_signature.verified
    assert result.validation.valid
    data = result.to_json_dict()
    assert data["acceptable_client_ca_names"] == [EXAMPLE.client_root.name]
    alert = result.handshake.failure_alert  # no client certificate: certificate_required
    assert alert is not None and alert.body.code == 116


@needs_openssl
def test_probe_openssl_s_server_without_mtls_requests_nothing(files):
    d = files["ec"]
    args = ["-cert", str(d / "server.pem"), "-key", str(d / "server.key"),
            "-cert_chain", str(d / "intermediate.pem")]  # fmt: skip
    with s_server(*args) as port:
        result = probe("127.0.0.1", port, servername=HOST, trust=[d / "root.pem"])
    assert not result.client_certificate_requested and result.ok


@needs_openssl
def test_probe_openssl_s_server_tls12_rsa_pkcs1_sha256(files):
    d = files["rsa"]
    args = ["-cert", str(d / "server.pem"), "-key", str(d / "server.key"),
            "-cert_chain", str(d / "intermediate.pem"), "-tls1_2",
            "-sigalgs", "rsa_pkcs1_sha256"]  # fmt: skip
    with s_server(*args) as port:
        result = probe("127.0.0.1", port, servername=HOST, trust=[d / "root.pem"])
    check = result.server_signature
    assert result.tls_version == "TLSv1.2"
    assert (check.message, check.scheme, check.verified) == (
        "ServerKeyExchange", "rsa_pkcs1_sha256", True,
    )  # fmt: skip
    tampered = signatures.verify_server_signature(signatures.flip_byte(result.handshake))
    assert not tampered.verified


@needs_openssl
def test_cli_probe_json_against_s_server(files, capsys):
    d = files["ec"]
    args = ["-cert", str(d / "server.pem"), "-key", str(d / "server.key"),
            "-cert_chain", str(d / "intermediate.pem")]  # fmt: skip
    with s_server(*args) as port:
        status = main(["probe", f"127.0.0.1:{port}", "--servername", HOST,
                       "--trust", str(d / "root.pem"), "--json", "--timeout", "5"])  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert status == 0
    for key in ("tls_version", "cipher", "chain", "validation", "handshake", "server_signature",
                "client_certificate_requested", "acceptable_client_ca_names"):  # fmt: skip
        assert key in data
    assert data["handshake"][0] == {**data["handshake"][0], "from": "client", "type": "ClientHello"}
    assert data["server_signature"]["verified"] is True
    assert data["server_signature"]["message"] == "CertificateVerify"
    assert data["chain"][0]["subject"] == "CN=login.example.com"
    assert data["validation"] is not None


def test_cli_text_output_and_exit_1_on_untrusted_chain(files, capsys):
    with Server(server_context(EXAMPLE.server)) as srv:
        status = main(["probe", f"127.0.0.1:{srv.port}", "--servername", HOST,
                       "--trust", str(files["rsa"] / "root.pem")])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 1
    assert "INVALID" in out and "VERIFIED" in out


def test_cli_exit_0_on_trusted_chain(files, capsys):
    with Server(server_context(EXAMPLE.server)) as srv:
        status = main(["probe", f"127.0.0.1:{srv.port}", "--servername", HOST,
                       "--trust", str(files["ec"] / "root.pem")])  # fmt: skip
    assert status == 0 and "VALID" in capsys.readouterr().out


def test_closed_port_is_a_one_line_error_exit_2(capsys):
    # A port that was free a moment ago (free_port) could be taken by then; a bound
    # socket that does not listen refuses every connection and keeps the port ours.
    with _loopback.refuse() as closed:
        assert main(["probe", f"127.0.0.1:{closed.port}", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "connection refused" in err


@contextlib.contextmanager
def plain_server(reply: bytes | None):
    """A TCP server that answers each connection with ``reply`` (None: says nothing)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(10)
    done = threading.Event()

    def serve():
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                conn.recv(4096)
                if reply is not None:
                    conn.sendall(reply)
                else:
                    done.wait(10)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        done.set()
        listener.close()
        thread.join(15)


def test_non_tls_port_is_an_input_error():
    with (
        plain_server(b"HTTP/1.0 400 Bad Request\r\n\r\n") as port,
        pytest.raises(InputError, match="does not speak TLS"),
    ):
        probe("127.0.0.1", port, timeout=2)


def test_silent_server_times_out_with_an_input_error():
    with plain_server(None) as port, pytest.raises(InputError, match="timed out"):
        probe("127.0.0.1", port, timeout=0.5)


def test_unresolvable_host_is_an_input_error():
    with pytest.raises(InputError, match="cannot resolve"):
        probe("no-such-host.invalid", 443, timeout=2)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("example.com:", "port must be a number"),
        (":443", "no host name"),
        ("", "no host name"),
        ("h:99999", "outside 1-65535"),
        ("h:x", "port must be a number"),
        ("http://example.com", "plain HTTP has no TLS handshake"),
        ("ftp://example.com", "needs an https:// URL"),
        ("https://", "no host name"),
        ("https://[::1", "not a usable URL"),
        ("https://example.com:0/", "outside 1-65535"),
        ("https://example.com:99999/", "not a usable URL"),
        ("exa mple.com:443", "not a valid host name"),
        ("-bad.example:443", "not a valid host name"),
        ("a..b:443", "not a valid host name"),
        ("[1.2.3.4]:443", "expected \\[IPv6\\]:PORT"),
        ("[::1]x", "expected \\[IPv6\\]:PORT"),
    ],
)
def test_bad_targets_name_what_is_wrong(target, message):
    with pytest.raises(InputError, match=message):
        parse_target(target)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("example.com:443", ("example.com", 443)),
        ("example.com", ("example.com", 443)),  # curl's default port for https
        ("example.com.:8443", ("example.com", 8443)),
        ("https://login.example.com", ("login.example.com", 443)),
        ("https://user@login.example.com:8443/path?q=1#f", ("login.example.com", 8443)),
        ("HTTPS://LOGIN.example.com/", ("login.example.com", 443)),
        ("bücher.example:443", ("xn--bcher-kva.example", 443)),
        ("127.0.0.1:4433", ("127.0.0.1", 4433)),
        ("127.0.0.1", ("127.0.0.1", 443)),
        ("[::1]:8443", ("::1", 8443)),
        ("[::1]", ("::1", 443)),
        ("::1", ("::1", 443)),
        ("https://[::1]:8443/", ("::1", 8443)),
    ],
)
def test_good_targets(target, expected):
    assert parse_target(target) == expected


def test_missing_trust_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError):
        probe("127.0.0.1", 1, trust=[tmp_path / "missing.pem"])


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), 1e9])
def test_unusable_timeouts_are_input_errors(timeout):
    with pytest.raises(InputError, match="timeout must be a number of seconds"):
        probe("127.0.0.1", 1, timeout=timeout)


@pytest.mark.parametrize("wait", [-1, float("nan"), float("inf")])
def test_unusable_waits_are_input_errors(wait):
    with pytest.raises(InputError, match="wait must be a number of seconds"):
        probe("127.0.0.1", 1, wait=wait)


def test_cli_nan_timeout_is_exit_2_with_one_line(capsys):
    assert main(["probe", "127.0.0.1:1", "--timeout", "nan"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# -- from a user walkthrough ---------------------------------------------------


def test_an_ip_target_that_fails_the_hostname_check_gets_a_servername_hint(files):
    with Server(server_context(EXAMPLE.server)) as srv:
        bare = probe("127.0.0.1", srv.port, trust=[files["ec"] / "root.pem"])
        named = probe("127.0.0.1", srv.port, servername=HOST, trust=[files["ec"] / "root.pem"])
        by_name = probe("localhost", srv.port, trust=[files["ec"] / "root.pem"])
    assert bare.validation is not None and bare.validation.status_of("hostname") == "fail"
    hint = (
        "    hint: the server's certificate names DNS name login.example.com; "
        "pass --servername NAME to send that SNI and check that name"
    )
    assert hint in bare.text().splitlines()
    # Controls: with --servername it is valid and there is no hint; a name that
    # fails (not an IP address: the user chose it) gets no hint either.
    assert named.ok and "hint:" not in named.text()
    assert by_name.validation is not None and by_name.validation.status_of("hostname") == "fail"
    assert "hint:" not in by_name.text()
    # The hint is only words: the validation itself is the same.
    assert [c.status for c in bare.validation.checks if c.check != "hostname"] == [
        c.status for c in by_name.validation.checks if c.check != "hostname"
    ]


def test_ipv6_targets_are_shown_in_brackets(capsys):
    assert host_port("::1", 443) == "[::1]:443"
    assert host_port("127.0.0.1", 443) == "127.0.0.1:443"
    assert host_port("login.example.com", 443) == "login.example.com:443"
    assert main(["probe", "[::1]:1", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[::1]:1: " in err and "::1:1:" not in err.replace("[::1]", "")


@pytest.mark.parametrize("name", ["bad name", "", "-x.example", "a..b", "x" * 64 + ".example"])
def test_an_invalid_servername_is_an_input_error(name, capsys):
    with _loopback.refuse() as closed:
        with pytest.raises(InputError, match=r"--servername .*: not a valid host name"):
            probe("127.0.0.1", closed.port, servername=name, timeout=2)
        assert main(["probe", f"127.0.0.1:{closed.port}", f"--servername={name}"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not a valid host name" in err
        # Control: a good name gets as far as the connection.
        with pytest.raises(InputError, match="connection refused"):
            probe("127.0.0.1", closed.port, servername=HOST, timeout=2)


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "192.0.2.7"])
def test_an_ip_address_as_servername_is_an_input_error(address, capsys):
    with pytest.raises(InputError, match=r"host names only, not IP addresses \(RFC 6066 3\)") as e:
        probe("127.0.0.1", 1, servername=address, timeout=2)
    if address == "127.0.0.1":
        assert "the IP address is already the target" in str(e.value)
    else:
        assert f"make it the target ({host_port(address, 1)})" in str(e.value)
    assert main(["probe", "127.0.0.1:1", "--servername", address]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_servername_is_sent_in_its_a_label_form_without_the_dot(files):
    assert checked_servername("bücher.example") == "xn--bcher-kva.example"
    with Server(server_context(EXAMPLE.server)) as srv:
        result = probe(
            "127.0.0.1", srv.port, servername=f"{HOST}.", trust=[files["ec"] / "root.pem"]
        )
    assert result.servername == HOST and result.ok


@pytest.mark.parametrize("command", ["probe", "serve"])
def test_help_states_the_exit_status_without_rest_markup(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out and "Exit status: 0" in out and "; 2 " in out
    if command == "probe":
        assert "; 1 something failed" in out and "pkiviz probe HOST[:PORT]: capture" in out


def test_a_crl_file_that_is_not_a_crl_is_an_input_error(tmp_path, capsys):
    path = tmp_path / "root.pem"
    path.write_bytes(running_example().root.pem.bytes())
    with pytest.raises(InputError, match="holds a CERTIFICATE, not a CRL"):
        probe("127.0.0.1", 1, crls=[path])
    assert main(["probe", "127.0.0.1:1", "--crl", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
