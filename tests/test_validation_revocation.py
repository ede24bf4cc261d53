"""The ``revocation`` check: CRLs, OCSP responses and staples, given or fetched, under a policy.

Every failure sits beside a passing control that differs in one thing only.
Fetching runs against pkiviz's own :class:`Responder` and against a real
``openssl ocsp`` responder, both on 127.0.0.1, through the HTTP fetcher
:func:`pkiviz.revocation.fetch.fetch` that ``check`` passes; and through a
fetcher that answers from memory, which shows the validator needs no socket.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openssl_server import free_port_on_every_address

from pkiviz import BOOK_CLOCK, cli, clock, running_example
from pkiviz.revocation import (
    RevokedEntry,
    build_crl,
    build_ocsp_error,
    build_ocsp_response,
    issue_ocsp_responder,
)
from pkiviz.revocation.fetch import fetch
from pkiviz.revocation.fetcher import Fetched
from pkiviz.revocation.responder import Responder
from pkiviz.validation import Check, Report, validate
from pkiviz.x509.factory import CA, Issued

EX = running_example()
DAY = dt.timedelta(days=1)
#: The impostor: the intermediate's name, another key.
IMPOSTOR = CA.root("impostor TLS CA", subject=EX.intermediate.spec.subject)
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


def check(leaf: Issued = EX.server, **options: object) -> Report:
    settings: dict[str, object] = {
        "intermediates": [EX.intermediate],
        "trust_anchors": [EX.root],
        "peer_name": leaf.spec.dns_names[0],
        "at": BOOK_CLOCK,
    }
    settings.update(options)
    if settings.get("fetch_revocation"):
        settings.setdefault("fetcher", fetch)  # the real one: HTTP on 127.0.0.1
    return validate(leaf, **settings)  # type: ignore[arg-type]


def leaf_row(report: Report) -> Check:
    (row,) = [
        c for c in report.by_check("revocation") if c.certificate and c.certificate.index == 0
    ]
    return row


def only_revocation_fails(report: Report) -> None:
    assert {c.check for c in report.failed} == {"revocation"}, report.text()


# -- OCSP responses given ------------------------------------------------------


def test_good_ocsp_response_passes_and_names_mechanism_and_freshness() -> None:
    report = check(ocsp_responses=[build_ocsp_response(EX.intermediate, EX.server).der])
    assert report.valid, report.text()
    row = leaf_row(report)
    assert row.passed and row.rfc == "RFC 6960 3.2"
    assert "says good [OCSP given; thisUpdate 2026-03-01 11:00:00 UTC" in row.message
    assert "nextUpdate 2026-03-05 11:00:00 UTC" in row.message


def test_revoked_ocsp_response_fails() -> None:
    revoked = build_ocsp_response(
        EX.intermediate,
        EX.server,
        status="revoked",
        revoked_at=BOOK_CLOCK - 2 * DAY,
        reason="key_compromise",
    )
    report = check(ocsp_responses=[revoked.der])
    only_revocation_fails(report)
    assert leaf_row(report).message.startswith("REVOKED on 2026-02-27 (reason: key_compromise)")


@pytest.mark.parametrize("policy", ["soft", "hard"])
def test_ocsp_signed_by_the_wrong_key_fails_under_either_policy(policy: str) -> None:
    root_crl = build_crl(EX.root).crl  # the intermediate's answer, for hard-fail
    forged = build_ocsp_response(EX.intermediate, EX.server, responder=IMPOSTOR)
    report = check(ocsp_responses=[forged.der], crls=[root_crl], revocation_policy=policy)
    only_revocation_fails(report)
    message = leaf_row(report).message
    assert message.startswith("revocation status unknown:")
    assert "does not verify with the public key of CN=Example Trust TLS CA 2026" in message
    assert "rejected under either policy" in message
    # Control: the same answer signed by the issuer's own key.
    honest = build_ocsp_response(EX.intermediate, EX.server)
    assert check(ocsp_responses=[honest.der], crls=[root_crl], revocation_policy=policy).valid


def test_stale_ocsp_response_fails_and_passes_while_fresh() -> None:
    response = build_ocsp_response(EX.intermediate, EX.server).der
    stale = check(ocsp_responses=[response], at=BOOK_CLOCK + 10 * DAY)
    only_revocation_fails(stale)
    assert "stale" in leaf_row(stale).message
    assert check(ocsp_responses=[response], at=BOOK_CLOCK + DAY).valid


def test_malformed_ocsp_bytes_fail_against_the_leaf() -> None:
    report = check(ocsp_responses=[b"<html>503</html>"])
    only_revocation_fails(report)
    assert "not a DER OCSPResponse" in leaf_row(report).message
    assert check(ocsp_responses=[build_ocsp_response(EX.intermediate, EX.server).der]).valid


@pytest.mark.parametrize(
    "response",
    [
        build_ocsp_error("try_later").der,
        build_ocsp_response(EX.intermediate, EX.server, status="unknown").der,
    ],
    ids=["tryLater", "unknown"],
)
def test_an_ocsp_non_answer_soft_fails_or_hard_fails(response: bytes) -> None:
    soft = check(ocsp_responses=[response])
    assert soft.valid
    assert "Soft-fail (revocation_policy='soft')" in leaf_row(soft).message
    hard = check(ocsp_responses=[response], revocation_policy="hard")
    only_revocation_fails(hard)
    assert "Hard-fail (revocation_policy='hard')" in leaf_row(hard).message


def test_response_about_another_certificate_is_ignored() -> None:
    other = build_ocsp_response(EX.intermediate, 12345)
    report = check(ocsp_responses=[other.der])
    assert report.valid
    assert any("about serial 0x3039" in c.message for c in report.by_check("revocation"))
    assert leaf_row(report).status == "skipped"


def test_delegated_responder_is_accepted_and_an_unauthorised_one_is_not() -> None:
    delegate = issue_ocsp_responder(EX.intermediate, "Example Trust OCSP Responder")
    signed = build_ocsp_response(EX.intermediate, EX.server, responder=delegate)
    assert check(ocsp_responses=[signed.der]).valid
    stranger = issue_ocsp_responder(EX.root, "Someone else's responder")
    rogue = build_ocsp_response(EX.intermediate, EX.server, responder=stranger)
    only_revocation_fails(check(ocsp_responses=[rogue.der]))


# -- the staple ----------------------------------------------------------------


def test_a_good_staple_passes_and_a_revoked_one_fails() -> None:
    good = build_ocsp_response(EX.intermediate, EX.server).der
    row = leaf_row(check(ocsp_staple=good))
    assert row.passed and "[OCSP staple;" in row.message and row.rfc == "RFC 6066 8"
    revoked = build_ocsp_response(
        EX.intermediate, EX.server, status="revoked", revoked_at=BOOK_CLOCK - DAY
    ).der
    report = check(ocsp_staple=revoked)
    only_revocation_fails(report)
    assert "REVOKED" in leaf_row(report).message


def test_a_staple_about_another_certificate_is_unusable() -> None:
    other = build_ocsp_response(EX.intermediate, 12345).der
    only_revocation_fails(check(ocsp_staple=other))


# -- CRLs given and the policy -------------------------------------------------


def test_crl_message_names_mechanism_and_freshness() -> None:
    row = leaf_row(check(crls=[build_crl(EX.intermediate).crl]))
    assert row.passed
    assert "[CRL given; thisUpdate 2026-02-28 12:00:00 UTC, nextUpdate 2026-03-07" in row.message


def test_stale_crl_fails_under_either_policy() -> None:
    stale = build_crl(EX.intermediate, this_update=BOOK_CLOCK - 30 * DAY).crl
    for policy in ("soft", "hard"):
        report = check(crls=[stale], revocation_policy=policy)
        only_revocation_fails(report)
        assert "stale" in leaf_row(report).message
    assert check(crls=[stale], at=BOOK_CLOCK - 25 * DAY).valid


def test_a_good_answer_outweighs_an_unusable_one() -> None:
    stale = build_crl(EX.intermediate, this_update=BOOK_CLOCK - 30 * DAY).crl
    good = build_ocsp_response(EX.intermediate, EX.server).der
    report = check(crls=[stale], ocsp_responses=[good])
    assert report.valid
    message = leaf_row(report).message
    assert message.startswith("good: the response signed by")
    assert "; also: the CRL is stale" in message


def test_nothing_given_is_skipped_when_soft_and_fails_when_hard() -> None:
    soft = check()
    assert soft.valid and soft.status_of("revocation") == "skipped"
    hard = check(revocation_policy="hard")
    only_revocation_fails(hard)
    assert len(hard.by_check("revocation")) == 2  # leaf and intermediate, not the anchor
    assert all("Hard-fail" in c.message for c in hard.by_check("revocation"))
    # Control: hard-fail with an answer for every certificate below the anchor.
    answered = check(
        revocation_policy="hard",
        crls=[build_crl(EX.intermediate).crl, build_crl(EX.root).crl],
    )
    assert answered.valid, answered.text()


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="revocation_policy"):
        check(revocation_policy="lenient")
    with pytest.raises(ValueError, match="revocation_timeout"):
        check(revocation_timeout=0)
    with pytest.raises(ValueError, match="fetch_revocation=True needs a fetcher"):
        check(fetch_revocation=True, fetcher=None)
    assert check(fetch_revocation=True, fetcher=fetch).valid  # control: with one


# -- a fetcher that answers from memory: the validator opens no socket ----------


def test_a_fetcher_from_memory_is_asked_and_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    leaf = EX.intermediate.issue_server(
        "memory.example.com",
        ocsp_url="http://ocsp.example.com/",
        crl_url="http://crl.example.com/ca.crl",
    )
    asked: list[tuple[str, str, bool]] = []
    served = {"http://crl.example.com/ca.crl": build_crl(EX.intermediate).der}

    def from_memory(url: str, *, method: str = "GET", **bounds: object) -> Fetched:
        asked.append((url, method, bool(bounds["allow_network"])))
        if url in served:
            return Fetched(url, "fetched", "from memory", 200, body=served[url])
        return Fetched(url, "unreachable", "not in memory")

    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("the validator opened a socket")

    with monkeypatch.context() as patched:
        patched.setattr(socket, "socket", no_socket)
        good = check(leaf, fetch_revocation=True, fetcher=from_memory)
        # control: the trap works, on the HTTP fetcher and a leaf whose URLs are on 127.0.0.1
        local = EX.intermediate.issue_server("local.example.com", crl_url="http://127.0.0.1:9/x")
        with pytest.raises(AssertionError, match="opened a socket"):
            check(local, fetch_revocation=True, fetcher=fetch)
    assert good.valid and "[CRL from http://crl.example.com/ca.crl" in leaf_row(good).message
    assert asked == [
        ("http://ocsp.example.com/", "POST", False),  # OCSP first, as the module says
        ("http://crl.example.com/ca.crl", "GET", False),
    ]
    # the same fetcher now serves a CRL listing the leaf: revoked, with no socket anywhere
    revoked = RevokedEntry(leaf.certificate.serial_number, BOOK_CLOCK - DAY)
    served["http://crl.example.com/ca.crl"] = build_crl(EX.intermediate, [revoked]).der
    only_revocation_fails(check(leaf, fetch_revocation=True, fetcher=from_memory))


# -- fetching from pkiviz's own responder ---------------------------------------


@contextlib.contextmanager
def responder(**options: object) -> Iterator[tuple[Responder, Issued]]:
    settings: dict[str, object] = {"at": BOOK_CLOCK}
    settings.update(options)
    with Responder(EX.intermediate, **settings) as served:  # type: ignore[arg-type]
        yield served, served.issue_server("fetched.example.com")


def test_fetch_finds_good_then_revoked_over_ocsp() -> None:
    with responder() as (served, leaf):
        good = check(leaf, fetch_revocation=True)
        assert good.valid
        assert "[OCSP from http://127.0.0.1:" in leaf_row(good).message
        assert served.requests == 1  # fetched once, though several checks consult it
        served.revoke(leaf, at=BOOK_CLOCK - DAY, reason="key_compromise")
        revoked = check(leaf, fetch_revocation=True)
        only_revocation_fails(revoked)
        assert "REVOKED on 2026-02-28 (reason: key_compromise)" in leaf_row(revoked).message


def test_without_fetching_nothing_is_asked() -> None:
    with responder() as (served, leaf):
        served.revoke(leaf, at=BOOK_CLOCK - DAY)
        assert check(leaf).valid  # the revocation goes unseen ...
        assert served.requests == 0
        assert not check(leaf, fetch_revocation=True).valid  # ... until someone asks


def test_ocsp_down_falls_back_to_the_crl() -> None:
    with (
        Responder(EX.intermediate, behaviour="down") as down,
        Responder(EX.intermediate, at=BOOK_CLOCK) as up,
    ):
        leaf = EX.intermediate.issue_server(
            "fallback.example.com", ocsp_url=down.ocsp_url, crl_url=up.crl_url
        )
        row = leaf_row(check(leaf, fetch_revocation=True))
        assert row.passed and row.rfc == "RFC 5280 6.3"
        assert "[CRL from http://127.0.0.1:" in row.message
        assert "also: unreachable: connection refused" in row.message
        up.revoke(leaf, at=BOOK_CLOCK - DAY)
        assert "REVOKED" in leaf_row(check(leaf, fetch_revocation=True)).message


@pytest.mark.parametrize(
    ("behaviour", "outcome"),
    [("down", "unreachable"), ("junk", "junk"), ("http_error", "http_error")],
)
def test_no_answer_soft_fails_and_hard_fails(behaviour: str, outcome: str) -> None:
    with responder(behaviour=behaviour) as (_, leaf):
        soft = check(leaf, fetch_revocation=True)
        assert soft.valid
        message = leaf_row(soft).message
        assert message.startswith(f"could not check: {outcome}:")
        assert "Soft-fail (revocation_policy='soft'): accepted" in message
        hard = check(leaf, fetch_revocation=True, revocation_policy="hard")
        only_revocation_fails(hard)
        assert "Hard-fail (revocation_policy='hard'): rejected" in leaf_row(hard).message
    # Control: the same leaf and policy with a responder that answers.
    with responder() as (_, leaf):
        assert check(
            leaf, fetch_revocation=True, revocation_policy="hard", crls=[build_crl(EX.root).crl]
        ).valid


def test_a_slow_responder_times_out_within_the_bound() -> None:
    with responder(behaviour="slow", slow_seconds=5.0) as (_, leaf):
        start = time.monotonic()
        report = check(leaf, fetch_revocation=True, revocation_timeout=0.3)
        elapsed = time.monotonic() - start
        assert report.valid  # soft-fail
        assert "timed_out: no complete answer" in leaf_row(report).message
        assert elapsed < 2.0, elapsed  # two fetches of 0.3 s, not the responder's 5 s


def test_an_oversized_answer_is_not_read() -> None:
    with responder() as (_, leaf):
        row = leaf_row(check(leaf, fetch_revocation=True, revocation_max_bytes=16))
        assert "too_large" in row.message and "Soft-fail" in row.message
        assert leaf_row(check(leaf, fetch_revocation=True)).message.startswith("good:")


def test_stale_answers_fetched_fail_and_fresh_ones_pass() -> None:
    with responder(at=BOOK_CLOCK - 30 * DAY) as (_, leaf):
        report = check(leaf, fetch_revocation=True)
        only_revocation_fails(report)
        assert "stale" in leaf_row(report).message
        assert check(leaf, fetch_revocation=True, at=BOOK_CLOCK - 29 * DAY).valid


def test_a_crl_from_another_ca_is_unusable() -> None:
    with Responder(EX.root, at=BOOK_CLOCK) as roots:  # serves the root's CRL
        leaf = EX.intermediate.issue_server("misrouted.example.com", crl_url=roots.crl_url)
        report = check(leaf, fetch_revocation=True)
        only_revocation_fails(report)
        assert "not from the certificate's issuer" in leaf_row(report).message


def test_fetching_stays_on_this_machine_unless_allowed() -> None:
    leaf = EX.intermediate.issue_server(
        "remote.example.com",
        ocsp_url="http://ocsp.example.com/",
        crl_url="http://crl.example.com/ca.crl",
    )
    row = leaf_row(check(leaf, fetch_revocation=True))
    assert row.passed and "refused: not fetching http://ocsp.example.com/" in row.message
    assert "is not on 127.0.0.0/8" in row.message


# -- a real `openssl ocsp` responder --------------------------------------------


def _free_port() -> int:
    return free_port_on_every_address()  # openssl ocsp -port binds every address


def _serial_hex(cert: Issued) -> str:
    serial = cert.certificate.serial_number
    return serial.to_bytes((serial.bit_length() + 7) // 8, "big").hex().upper()


@contextlib.contextmanager
def openssl_ocsp(
    directory: Path, port: int, leaf: Issued, *, revoked: bool = False, signer: Issued | None = None
) -> Iterator[None]:
    """``openssl ocsp`` answering for the intermediate, on ``port``, killed on exit."""
    sign = signer or EX.intermediate
    (directory / "ca.pem").write_bytes(EX.intermediate.pem.bytes())
    (directory / "signer.pem").write_bytes(sign.pem.bytes())
    (directory / "signer.key").write_bytes(sign.key_pem.bytes())
    status = "R\t441231235959Z\t260228000000Z,keyCompromise" if revoked else "V\t441231235959Z\t"
    line = f"{status}\t{_serial_hex(leaf)}\tunknown\t/CN={leaf.spec.dns_names[0]}\n"
    (directory / "index.txt").write_text(line)
    proc = subprocess.Popen(
        [
            *("openssl", "ocsp", "-index", "index.txt", "-port", str(port)),
            *("-rsigner", "signer.pem", "-rkey", "signer.key", "-CA", "ca.pem", "-nmin", "1"),
            "-ignore_err",  # a bad request must not end the responder
        ],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        deadline, seen = time.monotonic() + 10, b""
        while b"waiting for OCSP client connections" not in seen:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([proc.stderr], [], [], max(remaining, 0))
            chunk = os.read(proc.stderr.fileno(), 4096) if ready else b""
            if not chunk:
                pytest.fail(f"openssl ocsp did not start: {seen.decode(errors='replace')}")
            seen += chunk
        yield
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


@pytest.fixture
def ocsp_port() -> int:
    return _free_port()


def _openssl_leaf(port: int) -> Issued:
    return EX.intermediate.issue_server(
        "openssl-ocsp.example.com", ocsp_url=f"http://127.0.0.1:{port}"
    )


@needs_openssl
def test_openssl_responder_good_then_revoked(tmp_path: Path, ocsp_port: int) -> None:
    leaf = _openssl_leaf(ocsp_port)
    now = clock.wall_clock()  # openssl stamps its answers with the real time
    with openssl_ocsp(tmp_path, ocsp_port, leaf):
        good = check(leaf, fetch_revocation=True, at=now)
        assert good.valid, good.text()
        assert "CN=Example Trust TLS CA 2026,O=Example Trust Co,C=US says good" in (
            leaf_row(good).message
        )
    with openssl_ocsp(tmp_path, ocsp_port, leaf, revoked=True):
        revoked = check(leaf, fetch_revocation=True, at=now)
        only_revocation_fails(revoked)
        assert "REVOKED on 2026-02-28 (reason: key_compromise)" in leaf_row(revoked).message


@needs_openssl
def test_openssl_responder_signing_with_the_wrong_key(tmp_path: Path, ocsp_port: int) -> None:
    leaf = _openssl_leaf(ocsp_port)
    with openssl_ocsp(tmp_path, ocsp_port, leaf, signer=IMPOSTOR):
        report = check(leaf, fetch_revocation=True, at=clock.wall_clock())
        only_revocation_fails(report)
        assert "does not verify with the public key" in leaf_row(report).message
    with openssl_ocsp(tmp_path, ocsp_port, leaf):  # control: the issuer's own key
        assert check(leaf, fetch_revocation=True, at=clock.wall_clock()).valid


@needs_openssl
def test_openssl_responder_killed_soft_and_hard(tmp_path: Path, ocsp_port: int) -> None:
    leaf = _openssl_leaf(ocsp_port)
    with openssl_ocsp(tmp_path, ocsp_port, leaf):
        pass  # started, then killed: nothing listens on the port any more
    now = clock.wall_clock()
    soft = check(leaf, fetch_revocation=True, at=now)
    assert soft.valid and "could not check: unreachable" in leaf_row(soft).message
    hard = check(leaf, fetch_revocation=True, at=now, revocation_policy="hard")
    only_revocation_fails(hard)


@needs_openssl
def test_openssl_responder_answers_are_stale_a_minute_later(tmp_path: Path, ocsp_port: int) -> None:
    leaf = _openssl_leaf(ocsp_port)
    with openssl_ocsp(tmp_path, ocsp_port, leaf):
        now = clock.wall_clock()
        assert check(leaf, fetch_revocation=True, at=now).valid
        later = check(leaf, fetch_revocation=True, at=now + dt.timedelta(minutes=5))
        only_revocation_fails(later)  # -nmin 1: nextUpdate is a minute after thisUpdate
        assert "stale" in leaf_row(later).message


@needs_openssl
def test_cli_fetches_from_openssl_ocsp(
    tmp_path: Path, ocsp_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf = _openssl_leaf(ocsp_port)
    (tmp_path / "leaf.pem").write_bytes(leaf.pem.bytes() + EX.intermediate.pem.bytes())
    (tmp_path / "root.pem").write_bytes(EX.root.pem.bytes())
    (tmp_path / "root.crl").write_bytes(build_crl(EX.root).der)
    argv = [
        *("validate", str(tmp_path / "leaf.pem"), "--trust", str(tmp_path / "root.pem")),
        *("--at", clock.wall_clock().isoformat(), "--fetch-revocation", "--json"),
    ]

    def revocation(*extra: str) -> tuple[int, list[dict[str, object]]]:
        status = cli.main([*argv, *extra])
        data = json.loads(capsys.readouterr().out)
        return status, [c for c in data["checks"] if c["check"] == "revocation"]

    with openssl_ocsp(tmp_path, ocsp_port, leaf, revoked=True):
        status, rows = revocation()
        assert status == 1 and rows[0]["status"] == "fail"
        assert str(rows[0]["message"]).startswith("REVOKED")
    with openssl_ocsp(tmp_path, ocsp_port, leaf):
        status, rows = revocation()
        assert status == 0 and rows[0]["status"] == "pass"
    status, rows = revocation()  # killed: soft-fail ...
    assert status == 0 and "Soft-fail" in str(rows[0]["message"])
    status, rows = revocation("--revocation", "hard", "--crl", str(tmp_path / "root.crl"))
    assert status == 1 and "Hard-fail" in str(rows[0]["message"])  # ... or hard-fail


@needs_openssl
def test_cli_openssl_answer_signed_in_a_later_second_than_the_checking_time(
    tmp_path: Path, ocsp_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # What made test_cli_fetches_from_openssl_ocsp flaky, made certain: the checking
    # time is read (to the second) before openssl ocsp signs its answer, and the answer
    # is signed in a later second, so thisUpdate is after the checking time. Under load
    # the responder start-ups between reading the clock and the answer take that long.
    leaf = _openssl_leaf(ocsp_port)
    (tmp_path / "leaf.pem").write_bytes(leaf.pem.bytes() + EX.intermediate.pem.bytes())
    (tmp_path / "root.pem").write_bytes(EX.root.pem.bytes())

    def revocation(at: dt.datetime) -> tuple[int, dict[str, object]]:
        argv = ["validate", str(tmp_path / "leaf.pem"), "--trust", str(tmp_path / "root.pem")]
        status = cli.main([*argv, "--at", at.isoformat(), "--fetch-revocation", "--json"])
        rows = json.loads(capsys.readouterr().out)["checks"]
        return status, next(c for c in rows if c["check"] == "revocation")

    with openssl_ocsp(tmp_path, ocsp_port, leaf):
        at = clock.wall_clock()
        while clock.wall_clock() == at:  # the slow step, slow on purpose: a second passes
            time.sleep(0.02)
        status, row = revocation(at)
        assert status == 0 and row["status"] == "pass", row
        # Control: an answer signed ten minutes after the checking time is not fresh.
        status, row = revocation(at - dt.timedelta(minutes=10))
        assert status == 1 and "claims to come from the future" in str(row["message"])


def test_revocation_entry_reason_round_trip() -> None:
    # The chapter's revocation: an entry built by pkiviz reads back the same way.
    entry = RevokedEntry.of(EX.server, at=BOOK_CLOCK - DAY, reason="key_compromise")
    crl = build_crl(EX.intermediate, [entry])
    report = check(crls=[crl.crl])
    only_revocation_fails(report)
    assert "REVOKED on 2026-02-28 (reason: key_compromise)" in leaf_row(report).message
