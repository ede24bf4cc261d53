"""The RFC 6962 HTTP API on 127.0.0.1: submit, fetch tree heads, proofs and entries for real;
a log that signs but never includes fails the inclusion check; bad input gets a 400 JSON error."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import urllib.error
import urllib.request

import pytest

from pkiviz.ct.client import CTLogError, LogClient
from pkiviz.ct.entries import entry_for_certificate
from pkiviz.ct.issue import embed_scts, login_spec, precertificate
from pkiviz.ct.known_logs import KnownLogs, demo_logs
from pkiviz.ct.log import Log
from pkiviz.ct.server import LogServer, respond, ticking
from pkiviz.ct.verify import verify_embedded_scts
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import Issued

AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _submit_precert(server: LogServer, log: Log) -> tuple[LogClient, Issued]:
    example = running_example()
    pre = precertificate(login_spec(), example.intermediate)
    client = LogClient(server.base_url, public_key=log.public_key)
    sct = client.add_pre_chain([pre.certificate, example.intermediate.certificate])
    return client, embed_scts(pre, [sct])


def test_add_pre_chain_then_inclusion_proof_verifies() -> None:
    log = demo_logs()[0]
    with LogServer(log, clock=ticking(AT)) as server:
        client, final = _submit_precert(server, log)
        intermediate = running_example().intermediate
        # pad the log so the audit path is not trivial
        client.add_chain([running_example().server.certificate, intermediate.certificate])
        (sct,) = verify_embedded_scts(final, intermediate, logs=KnownLogs.of(log), at=AT)
        assert sct.ok and sct.timestamp == AT  # the ticking clock's first reading
        entry = entry_for_certificate(final.certificate, intermediate.certificate)
        check = client.check_inclusion(sct.sct, entry)
        assert check.ok, check.reason
        sth = client.get_sth()
        assert sth.tree_size == 2 and sth.timestamp > sct.sct.timestamp
        # control: the same SCT over another entry is not in the log
        other = entry_for_certificate(
            running_example().server.certificate, intermediate.certificate
        )
        assert not client.check_inclusion(sct.sct, other)


def test_consistency_between_two_tree_heads() -> None:
    log = demo_logs()[1]
    with LogServer(log, clock=ticking(AT)) as server:
        client, _ = _submit_precert(server, log)
        first = client.get_sth()
        example = running_example()
        client.add_chain([example.server.certificate, example.intermediate.certificate])
        client.add_chain([example.intermediate.certificate, example.root.certificate])
        second = client.get_sth()
        proof = client.get_consistency(first.tree_size, second.tree_size)
        assert proof.verify(first.root_hash, second.root_hash)
        assert not proof.verify(second.root_hash, first.root_hash)  # control


def test_a_log_that_signed_but_never_included_fails_the_inclusion_check() -> None:
    honest, rogue = demo_logs()[0], demo_logs()[1]
    with LogServer(rogue, clock=AT, include=False) as server:
        client, final = _submit_precert(server, rogue)
        intermediate = running_example().intermediate
        (check,) = verify_embedded_scts(final, intermediate, logs=KnownLogs.of(rogue), at=AT)
        assert check.ok  # the SCT itself is perfectly signed
        entry = entry_for_certificate(final.certificate, intermediate.certificate)
        verdict = client.check_inclusion(check.sct, entry)
        assert not verdict and "empty" in verdict.reason
    with LogServer(honest, clock=AT) as server:  # control: an honest log includes it
        client, final = _submit_precert(server, honest)
        (check,) = verify_embedded_scts(final, intermediate, logs=KnownLogs.of(honest), at=AT)
        entry = entry_for_certificate(final.certificate, intermediate.certificate)
        assert client.check_inclusion(check.sct, entry)


def test_check_inclusion_reads_only_a_404_as_not_included() -> None:
    log = demo_logs()[2]
    intermediate = running_example().intermediate
    with LogServer(log, clock=AT) as server:
        client, final = _submit_precert(server, log)
        (check,) = verify_embedded_scts(final, intermediate, logs=KnownLogs.of(log), at=AT)
        entry = entry_for_certificate(final.certificate, intermediate.certificate)
        assert client.check_inclusion(check.sct, entry)  # control: included
        # Another entry under the same SCT: the log answers 404, so "not included".
        other = entry_for_certificate(
            running_example().server.certificate, intermediate.certificate
        )
        verdict = client.check_inclusion(check.sct, other)
        assert not verdict and "no such leaf" in verdict.reason and "HTTP 404" in verdict.reason
        # A log that fails otherwise (HTTP 500) says nothing about inclusion: the error surfaces.
        honest = server.handle

        def broken(method: str, target: str, body: bytes) -> tuple[int, dict[str, object]]:
            if "get-proof-by-hash" in target:
                return 500, {"error_message": "disk on fire", "success": False}
            return honest(method, target, body)

        server.handle = broken  # type: ignore[method-assign]
        with pytest.raises(CTLogError, match="HTTP 500: disk on fire") as info:
            client.check_inclusion(check.sct, entry)
        assert info.value.status == 500


def test_the_domain_owner_monitors_the_log() -> None:
    log = Log("pkiviz monitored log", name="Monitored")
    example = running_example()
    rogue_ca = example.root.intermediate("Rogue TLS CA", path_length=0)
    rogue = rogue_ca.issue_server("login.example.com", label="login.example.com [rogue]")
    with LogServer(log, clock=ticking(AT)) as server:
        client, _ = _submit_precert(server, log)
        client.add_chain([rogue.certificate, rogue_ca.certificate])
        client.add_chain([example.intermediate.certificate, example.root.certificate])
        entries = client.get_entries(0, client.get_sth().tree_size - 1)
    mine = [e for e in entries if "login.example.com" in e.dns_names]
    assert [e.index for e in mine] == [0, 1]
    assert [e.entry.entry_type for e in mine] == ["precert_entry", "x509_entry"]
    issuers = [e.certificate.issuer.rfc4514_string() for e in mine]
    assert "Rogue TLS CA" in issuers[1] and "Rogue" not in issuers[0]
    assert entries[2].dns_names == ()  # control: the CA certificate names no host


def _raw(url: str, body: bytes | None = None, method: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        assert exc.headers["Content-Type"] == "application/json"
        return exc.code, json.loads(exc.read())


BAD_REQUESTS = [
    ("add-chain", b"not json", 400, "not JSON"),
    ("add-chain", b'{"chain": "x"}', 400, '{"chain"'),
    ("add-chain", b'{"chain": ["!!!"]}', 400, "chain[0]"),
    ("add-chain", json.dumps({"chain": [base64.b64encode(b"junk").decode()]}).encode(), 400, "DER"),
    ("add-pre-chain", b'{"chain": []}', 400, '{"chain"'),
    ("get-proof-by-hash?hash=AAAA&tree_size=1", None, 400, "32-byte"),
    ("get-proof-by-hash?tree_size=1", None, 400, "'hash'"),
    ("get-entries?start=a&end=1", None, 400, "non-negative integer"),
    ("get-entries?start=%C2%B2&end=1", None, 400, "ASCII digits"),  # "²".isdigit() is true
    ("get-entries?start=%D9%A1&end=1", None, 400, "ASCII digits"),  # Arabic-Indic 1
    ("get-entries?start=" + "9" * 5000 + "&end=1", None, 400, "at most 20"),
    ("get-entries?start=0&end=" + "9" * 21, None, 400, "at most 20"),
    ("add-chain", b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
    ("get-entries?start=5&end=1", None, 400, "after end"),
    ("get-entries?start=9&end=10", None, 400, "beyond the log"),
    ("get-sth-consistency?first=0&second=1", None, 400, "1 <= first"),
    ("get-sth", b"{}", 400, "takes GET"),
    ("no-such-endpoint", None, 404, "unknown endpoint"),
]


def test_malformed_requests_get_400_json() -> None:
    log = Log("pkiviz strict log")
    log.add_chain(
        [running_example().server.certificate, running_example().intermediate.certificate], at=AT
    )
    with LogServer(log, clock=AT) as server:
        for endpoint, body, status, words in BAD_REQUESTS:
            code, doc = _raw(f"{server.base_url}/ct/v1/{endpoint}", body)
            assert (code, doc["success"]) == (status, False), endpoint
            assert words in doc["error_message"], (endpoint, doc)
        unknown = base64.b64encode(b"\x00" * 32).decode().replace("=", "%3D")
        code, doc = _raw(f"{server.base_url}/ct/v1/get-proof-by-hash?hash={unknown}&tree_size=1")
        assert code == 404
        code, doc = _raw(f"{server.base_url}/ct/v1/get-sth")  # control
        assert code == 200 and doc["tree_size"] == 1
        code, doc = _raw(f"{server.base_url}/ct/v1/get-entries?start=0&end={'9' * 20}")  # control
        assert code == 200 and len(doc["entries"]) == 1
        assert server.requests == len(BAD_REQUESTS) + 3
    with LogServer(log, clock=AT) as server, pytest.raises(CTLogError, match="HTTP 400"):
        LogClient(server.base_url).add_chain([running_example().server.certificate])


def _post_raw(port: int, content_length: bytes, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(
            b"POST /ct/v1/add-chain HTTP/1.0\r\nContent-Length: " + content_length + b"\r\n\r\n"
        )
        conn.sendall(body)
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    return answer


def test_content_length_must_be_ascii_digits() -> None:
    example = running_example()
    chain = [example.server.der, example.intermediate.der]
    body = json.dumps({"chain": [base64.b64encode(d).decode() for d in chain]}).encode()
    with LogServer(Log("pkiviz length log"), clock=AT) as server:
        for length in (b"\xc2\xb2", b"\xb2", b"\xd9\xa1", b"1" * 21, b"-1", b""):
            answer = _post_raw(server.port, length, body)
            head, _, payload = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.0 400 "), (length, answer)
            assert b"Content-Type: application/json" in head
            assert json.loads(payload)["error_message"].startswith("a POST needs a Content-Length")
        # Control: the same body with its true length is accepted.
        answer = _post_raw(server.port, str(len(body)).encode(), body)
        assert answer.startswith(b"HTTP/1.0 200 "), answer
        assert "timestamp" in json.loads(answer.partition(b"\r\n\r\n")[2])


def test_respond_is_pure_and_deterministic() -> None:
    example = running_example()
    chain = [example.server.der, example.intermediate.der]
    body = json.dumps({"chain": [base64.b64encode(d).decode() for d in chain]}).encode()
    answers = [respond(Log("pkiviz pure log"), "POST", "/ct/v1/add-chain", body, at=AT)] * 2
    again = respond(Log("pkiviz pure log"), "POST", "/ct/v1/add-chain", body, at=AT)
    assert answers[0] == again and again[0] == 200
    later = respond(
        Log("pkiviz pure log"), "POST", "/ct/v1/add-chain", body, at=AT.replace(hour=13)
    )
    assert later != again  # control: the clock is what changes the answer


def test_server_binds_loopback_and_shuts_down() -> None:
    log = Log("pkiviz loopback log")
    with LogServer(log, clock=AT) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        port = server.port
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            pass
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    with pytest.raises(CTLogError, match="cannot reach"):
        LogClient(f"http://127.0.0.1:{port}", timeout=2).get_sth()
