"""The live responder on 127.0.0.1 and the bounded fetcher: every failure mode, beside its control.

Slow responders are tested with short client timeouts; nothing here waits
longer than about a second, and no assertion is about time.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator

import pytest
from cryptography.x509 import ocsp

from pkiviz import BOOK_CLOCK, CertSpec, running_example
from pkiviz.revocation.fetch import crl_url_of, fetch, fetch_crl, fetch_ocsp, ocsp_url_of
from pkiviz.revocation.ocsp import build_ocsp_request, check_ocsp
from pkiviz.revocation.responder import Responder, answer_ocsp

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def responder() -> Iterator[Responder]:
    with Responder(running_example().intermediate, at=BOOK_CLOCK) as r:
        yield r


def test_certificate_urls_point_at_the_real_port(responder: Responder) -> None:
    leaf = responder.issue_server("login.example.com", label="fetch-leaf")
    assert crl_url_of(leaf) == f"http://127.0.0.1:{responder.port}/crl/ca.crl"
    assert ocsp_url_of(leaf) == f"http://127.0.0.1:{responder.port}/ocsp"
    spec = responder.spec_with_urls(CertSpec(label="x", subject="CN=x"))
    assert spec.crl_url == responder.crl_url and spec.ocsp_url == responder.ocsp_url


def test_urls_need_a_started_responder() -> None:
    with pytest.raises(RuntimeError, match="start the responder"):
        _ = Responder(running_example().intermediate).crl_url


def test_crl_is_served_and_lists_revocations(responder: Responder) -> None:
    leaf = responder.issue_server("login.example.com", label="fetch-leaf")
    before = fetch_crl(leaf)
    assert before.outcome == "fetched" and before.crl is not None
    assert (
        before.crl.get_revoked_certificate_by_serial_number(leaf.certificate.serial_number) is None
    )
    responder.revoke(leaf, at=BOOK_CLOCK - HOUR, reason="key_compromise")
    after = fetch_crl(leaf)
    assert after.crl is not None
    assert after.crl.get_revoked_certificate_by_serial_number(leaf.certificate.serial_number)
    assert before.content_type == "application/pkix-crl"


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_ocsp_good_then_revoked(responder: Responder, method: str) -> None:
    ca = running_example().intermediate
    leaf = responder.issue_server("login.example.com", label="fetch-leaf")
    got = fetch_ocsp(leaf, ca, method=method, nonce=b"0123456789abcdef")  # type: ignore[arg-type]
    assert got.outcome == "fetched" and got.ocsp_response is not None
    good = check_ocsp(got.body, leaf, ca, at=BOOK_CLOCK, nonce=b"0123456789abcdef")
    assert good.status == "good" and good.nonce == "matched"
    responder.revoke(leaf, at=BOOK_CLOCK - HOUR, reason="key_compromise")
    got = fetch_ocsp(leaf, ca, method=method)  # type: ignore[arg-type]
    revoked = check_ocsp(got.body, leaf, ca, at=BOOK_CLOCK)
    assert revoked.status == "revoked" and revoked.reason == "key_compromise"


def test_unknown_serial_when_issued_is_tracked() -> None:
    ex = running_example()
    with Responder(ex.intermediate, at=BOOK_CLOCK, issued=()) as r:
        known = r.issue_server("login.example.com", label="known")
        stranger = ex.intermediate.issue_server("stranger.example.com", label="stranger")
        assert (
            check_ocsp(
                fetch_ocsp(known, ex.intermediate).body, known, ex.intermediate, at=BOOK_CLOCK
            ).status
            == "good"
        )
        answer = fetch_ocsp(stranger, ex.intermediate, url=r.ocsp_url).body
        assert check_ocsp(answer, stranger, ex.intermediate, at=BOOK_CLOCK).status == "unknown"


def test_delegated_signer(responder: Responder) -> None:
    from pkiviz.revocation.ocsp import issue_ocsp_responder

    ca = running_example().intermediate
    responder.signer = issue_ocsp_responder(ca, "Example Trust OCSP Responder")
    leaf = responder.issue_server("login.example.com", label="fetch-leaf")
    result = check_ocsp(fetch_ocsp(leaf, ca).body, leaf, ca, at=BOOK_CLOCK)
    assert result.ok and result.signature == "delegated"


def test_answer_ocsp_refuses_garbage_and_other_cas() -> None:
    ex = running_example()
    garbage = answer_ocsp(b"nonsense", ex.intermediate, at=BOOK_CLOCK)
    assert garbage.response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    other = build_ocsp_request(ex.client, ex.client_root).der
    refused = answer_ocsp(other, ex.intermediate, at=BOOK_CLOCK)
    assert refused.response.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    mine = build_ocsp_request(ex.server, ex.intermediate).der
    answered = answer_ocsp(mine, ex.intermediate, at=BOOK_CLOCK)
    assert answered.response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL


def test_down_responder_is_unreachable_and_control() -> None:
    ca = running_example().intermediate
    with Responder(ca, behaviour="down") as r:
        leaf = r.issue_server("login.example.com", label="fetch-leaf")
        assert fetch_crl(leaf).outcome == "unreachable"
        got = fetch_ocsp(leaf, ca)
        assert got.outcome == "unreachable" and "refused" in got.message
    with Responder(ca) as r:
        assert fetch_crl(r.crl_url).outcome == "fetched"


def test_slow_responder_times_out_and_control(responder: Responder) -> None:
    ca = running_example().intermediate
    leaf = responder.issue_server("login.example.com", label="fetch-leaf")
    responder.behaviour = "slow"
    assert fetch_crl(leaf, timeout=0.3).outcome == "timed_out"
    got = fetch_ocsp(leaf, ca, timeout=0.3)
    assert got.outcome == "timed_out" and "0.3 s" in got.message
    responder.behaviour = "ok"
    # Control: the same fetch answered. A short timeout is for the slow case only; an
    # answer on a busy machine may take longer than 0.3 s and must not fail the test.
    assert fetch_crl(leaf, timeout=10).outcome == "fetched"


def test_junk_and_http_error_and_control(responder: Responder) -> None:
    ca = running_example().intermediate
    leaf = responder.issue_server("login.example.com", label="fetch-leaf")
    responder.behaviour = "junk"
    junk = fetch_ocsp(leaf, ca)
    assert junk.outcome == "junk" and junk.http_status == 200
    assert check_ocsp(junk.body, leaf, ca, at=BOOK_CLOCK).problem == "malformed"
    assert fetch_crl(leaf).outcome == "junk"
    responder.behaviour = "http_error"
    failed = fetch_crl(leaf)
    assert failed.outcome == "http_error" and failed.http_status == 503
    responder.behaviour = "ok"
    assert fetch_ocsp(leaf, ca).outcome == "fetched"


def test_down_cannot_be_switched_on_while_running(responder: Responder) -> None:
    with pytest.raises(ValueError, match="down"):
        responder.behaviour = "down"


def test_too_large_and_control(responder: Responder) -> None:
    assert fetch_crl(responder.crl_url, max_bytes=100).outcome == "too_large"
    assert fetch_crl(responder.crl_url, max_bytes=10_000).outcome == "fetched"


class _Endless(http.server.BaseHTTPRequestHandler):
    """Streams a body with no Content-Length, so only the running count can stop it."""

    protocol_version = "HTTP/1.0"
    timeout = 5

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        try:
            for _ in range(64):
                self.wfile.write(b"x" * 4096)
        except OSError:
            pass


def test_too_large_without_content_length() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Endless)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/big"
        assert fetch(url, max_bytes=10_000).outcome == "too_large"
        assert fetch(url, max_bytes=1 << 20).outcome == "fetched"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@pytest.mark.parametrize(
    "url",
    [
        "http://ocsp.digicert.com/",
        "http://10.0.0.1/crl",
        "https://127.0.0.1/crl",
        "ftp://127.0.0.1/crl",
        "http://127.0.0.1:99999/crl",
    ],
)
def test_refused_urls(url: str) -> None:
    got = fetch(url)
    assert got.outcome == "refused"


def test_network_refusal_names_the_opt_in() -> None:
    assert "allow_network=True" in fetch("http://crl3.digicert.com/x.crl").message


def test_loopback_names_are_allowed(responder: Responder) -> None:
    assert fetch_crl(f"http://localhost:{responder.port}/crl/ca.crl").outcome == "fetched"
    # 127.0.0.2 is loopback too: pkiviz connects (nothing listens there, so: unreachable).
    assert fetch_crl(f"http://127.0.0.2:{responder.port}/crl/ca.crl").outcome != "refused"


def test_certificate_without_urls() -> None:
    ex = running_example()
    assert fetch_crl(ex.server).outcome == "refused"
    assert fetch_ocsp(ex.server, ex.intermediate).outcome == "refused"


def test_http_404(responder: Responder) -> None:
    assert fetch(responder.base_url + "/nothing").outcome == "http_error"


def test_fetched_renders(responder: Responder) -> None:
    got = fetch_crl(responder.crl_url)
    assert str(got).startswith("fetched")
    assert "<table>" in got._repr_html_()
