"""Detecting mTLS from outside: the four servers, real curl -v and openssl s_client."""

from __future__ import annotations

import re
import shutil
import ssl

import pytest

from pkiviz.net.detect import (
    curl_lines,
    detect_all,
    detection_table,
    s_client_lines,
    verdict_table,
)
from pkiviz.net.detect_servers import KINDS, NO_CERT_BODY, OpenSSLServer, detection_server
from pkiviz.net.live import client_context, connect
from pkiviz.x509.example import running_example

EXAMPLE = running_example()
CLIENT_ROOT = "C = US, O = Example Trust Co, CN = Example Trust Client Auth Root CA"
tools = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("openssl") is None,
    reason="curl and openssl are needed",
)


# --- line extraction on canned output (no network) -----------------------------------

CURL_TRACE = """\
* Connected to login.example.com (127.0.0.1) port 40111 (#0)
* TLSv1.3 (IN), TLS handshake, Request CERT (13):
* TLSv1.3 (IN), TLS handshake, Certificate (11):
* TLSv1.3 (IN), TLS alert, unknown (628):
* TLSv1.3 (IN), TLS alert, close notify (256):
curl: (56) OpenSSL SSL_read: error:0A00045C:SSL routines::tlsv13 alert certificate required, errno 0
"""
S_CLIENT_OUT = """\
---
Acceptable client certificate CA names
C = US, O = Example, CN = Root One
C = US, O = Example, CN = Root Two
Requested Signature Algorithms: ECDSA+SHA256:ECDSA+SHA384:ed25519:RSA+SHA256
Peer signing digest: SHA256
---
    Session-ID: 5F6A92E1B2DCC054C9F7D1EA25929474529DDCF45E36CBB095226EAFDAC0DC53
"""
S_CLIENT_ERR = (
    "800B920F647F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate "
    "required:../ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n"
)


def test_curl_lines_keep_request_alert_and_error_not_ports_or_close_notify():
    lines = curl_lines(CURL_TRACE)
    assert lines == (
        "* TLSv1.3 (IN), TLS handshake, Request CERT (13):",
        "* TLSv1.3 (IN), TLS alert, unknown (628):",
        CURL_TRACE.splitlines()[-1],
    )
    assert (2 << 8) + 116 == 628  # curl 7.88 prints level * 256 + description


def test_s_client_lines_keep_names_sigalgs_alert_not_ids():
    lines = s_client_lines(S_CLIENT_OUT, S_CLIENT_ERR)
    assert lines == (
        "Acceptable client certificate CA names",
        "  C = US, O = Example, CN = Root One",
        "  C = US, O = Example, CN = Root Two",
        "Requested Signature Algorithms: ECDSA+SHA256:ECDSA+SHA384:ed25519:... (4 in all)",
        "error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:...:"
        "SSL alert number 116",
    )


def test_plain_output_has_only_the_no_names_line():
    assert s_client_lines("No client certificate CA names sent\nPeer signing digest: SHA256\n") == (
        "No client certificate CA names sent",
    )


# --- the servers -----------------------------------------------------------------------


def test_openssl_server_names_its_ca_and_python_ssl_does_not():
    ctx = client_context(EXAMPLE.root)
    with OpenSSLServer(EXAMPLE.server, client_ca=EXAMPLE.client_root) as named:
        hs_named = connect(ctx, *named.address, server_hostname=EXAMPLE.hostname)
        (outcome,) = named.wait(1)
    with detection_server("mtls-unnamed", EXAMPLE) as unnamed:
        hs_unnamed = connect(ctx, "127.0.0.1", unnamed.port, server_hostname=EXAMPLE.hostname)
    assert hs_named.certificate_request.certificate_authorities == (EXAMPLE.client_root.name,)
    assert hs_unnamed.certificate_request.certificate_authorities == ()
    assert outcome.error == "peer did not return a certificate" and not outcome.completed


def test_openssl_server_accepts_alice_control():
    ctx = client_context(EXAMPLE.root, client=EXAMPLE.client)
    with OpenSSLServer(EXAMPLE.server, client_ca=EXAMPLE.client_root, version="1.3") as srv:
        hs = connect(ctx, *srv.address, server_hostname=EXAMPLE.hostname)
        (outcome,) = srv.wait(1)
    assert hs.error is None and hs.tls13
    assert outcome.completed and outcome.status == 200
    assert outcome.client_certificate == EXAMPLE.client.name


@pytest.mark.parametrize("client", [None, "alice"])
def test_optional_server_answers_400_only_without_a_certificate(client):
    ctx = client_context(EXAMPLE.root, client=EXAMPLE.client if client else None)
    with OpenSSLServer(
        EXAMPLE.server, client_ca=EXAMPLE.client_root, require_client_cert=False
    ) as srv:
        hs = connect(ctx, *srv.address, server_hostname=EXAMPLE.hostname)
        (outcome,) = srv.wait(1)
    assert hs.error is None
    assert outcome.status == (200 if client else 400)


def test_no_cert_body_is_nginx_shaped():
    assert b"<title>400 No required SSL certificate was sent</title>" in NO_CERT_BODY


def test_unknown_kind_and_version():
    with pytest.raises(ValueError, match="unknown server kind"), detection_server("ftp", EXAMPLE):  # type: ignore[arg-type]
        pass
    with pytest.raises(ValueError, match="version"):
        OpenSSLServer(EXAMPLE.server, version="1.1")  # type: ignore[arg-type]


# --- the real tools ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[None, "1.2"], ids=["tls13", "tls12"])
def detections(request):
    if shutil.which("curl") is None or shutil.which("openssl") is None:
        pytest.skip("curl and openssl are needed")
    return {d.kind: d for d in detect_all(example=EXAMPLE, version=request.param)}


@tools
def test_plain_https(detections):
    d = detections["https"]
    assert not d.certificate_requested and d.ca_names == ()
    assert d.curl.lines == ("< HTTP/1.1 200 OK",)
    assert d.s_client.lines == ("No client certificate CA names sent", "HTTP/1.1 200 OK")
    assert d.verdict == "plain HTTPS: no client certificate requested"


@tools
def test_python_mtls_says_no_names_sent_yet_requests_a_certificate(detections):
    d = detections["mtls-unnamed"]
    # the article's "plain HTTPS" line, from a server that requires a certificate:
    assert d.s_client.has("No client certificate CA names sent")
    assert d.certificate_requested and d.ca_names == ()
    assert d.verdict == "mutual TLS required"


@tools
def test_named_mtls_lists_the_client_root(detections):
    d = detections["mtls-named"]
    assert d.s_client.lines[:2] == ("Acceptable client certificate CA names", "  " + CLIENT_ROOT)
    assert d.ca_names == (CLIENT_ROOT,)
    assert d.verdict == "mutual TLS required"


@tools
@pytest.mark.parametrize("kind", ["mtls-unnamed", "mtls-named"])
def test_the_alert_each_tool_reports(detections, kind):
    d = detections[kind]
    if d.version == "1.2":
        assert d.curl.has("TLS alert, handshake failure (552)")
        assert d.curl.lines[-1].startswith("curl: (35) ")
        assert d.s_client.lines[-1].endswith("SSL alert number 40")
        assert d.s_client.has("Client Certificate Types: ")
    else:
        assert d.curl.has("TLS alert, unknown (628)")  # 116 certificate_required
        assert d.curl.lines[-1].startswith("curl: (56) OpenSSL SSL_read: ")  # a read, not connect
        assert d.curl.lines[-1].endswith("tlsv13 alert certificate required, errno 0")
        assert d.s_client.lines[-1].endswith("tlsv13 alert certificate required:...:"
                                             "SSL alert number 116")  # fmt: skip
    assert d.without_certificate.startswith("refused by a TLS alert")


@tools
def test_optional_server_400_is_http_not_tls(detections):
    d = detections["optional"]
    assert d.certificate_requested and d.ca_names == (CLIENT_ROOT,)
    assert "< HTTP/1.1 400 Bad Request" in d.curl.lines
    assert (
        d.curl.lines[-1] == "<head><title>400 No required SSL certificate was sent</title></head>"
    )
    assert not any("alert" in line for line in d.curl.lines + d.s_client.lines)
    assert d.curl.run.returncode == 0  # curl itself is content: the handshake succeeded
    assert d.verdict == "certificate asked for optionally; the HTTP request refused"


@tools
def test_tables_hold_no_live_values(detections):
    ports = {str(d.curl.run.argv[-1]).rsplit(":", 1)[1].rstrip("/") for d in detections.values()}
    for table in (
        detection_table(list(detections.values())),
        verdict_table(list(detections.values())),
    ):
        text = table.text()
        assert not any(port in text for port in ports)
        assert not re.search(r"Session-ID|Start Time|[0-9A-F]{12}:error", text)
    assert all(
        "PORT" in d.curl.command and "PORT" in d.s_client.command for d in detections.values()
    )


@tools
def test_the_table_is_the_same_on_every_run(detections):
    version = next(iter(detections.values())).version
    again = detect_all(example=EXAMPLE, version=version)
    assert detection_table(again) == detection_table(list(detections.values()))


def test_kinds_are_in_book_order():
    assert list(KINDS) == ["https", "mtls-unnamed", "mtls-named", "optional"]
    assert ssl.HAS_TLSv1_3


def test_the_optional_servers_label_says_what_it_does():
    # It asks in TLS without requiring and refuses the HTTP request: nginx does that with
    # ssl_verify_client on; its "optional" lets the request through. So the label names the
    # behaviour (asserted live in test_optional_server_400_is_http_not_tls), not nginx.
    label = KINDS["optional"]
    assert "TLS" in label and "HTTP" in label and "400" in label
    assert not any("nginx" in text or "like " in text for text in KINDS.values())


def test_servers_leave_no_threads_or_descriptors():
    import gc
    import os
    import threading

    def snapshot():
        gc.collect()
        names = {t.name for t in threading.enumerate() if t.name.startswith("pkiviz-tls")}
        return names, len(os.listdir("/proc/self/fd"))

    def exercise():
        for kind in KINDS:
            with detection_server(kind, EXAMPLE) as srv:
                connect(
                    client_context(EXAMPLE.root),
                    "127.0.0.1",
                    srv.port,
                    server_hostname=EXAMPLE.hostname,
                )

    exercise()
    before = snapshot()
    exercise()
    assert snapshot() == before and before[0] == set()
