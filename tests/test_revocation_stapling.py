"""Real pyOpenSSL handshakes on 127.0.0.1 with and without a stapled OCSP response."""

from __future__ import annotations

import datetime as dt

import pytest

from pkiviz import BOOK_CLOCK, running_example
from pkiviz.revocation.ocsp import build_ocsp_response, check_ocsp
from pkiviz.revocation.stapling import has_must_staple, staple_handshake
from pkiviz.x509.factory import CA, Issued

pytest.importorskip("OpenSSL")

DAY = dt.timedelta(days=1)


def _must_staple() -> Issued:
    return running_example().intermediate.issue_server(
        "login.example.com", label="login.example.com must-staple", must_staple=True
    )


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_client_receives_and_checks_the_staple(version: str) -> None:
    ex = running_example()
    staple = build_ocsp_response(ex.intermediate, ex.server).der
    result = staple_handshake(
        ex.server,
        ex.root,
        staple=staple,
        at=BOOK_CLOCK,
        tls_version=version,  # type: ignore[arg-type]
    )
    assert result.handshake_completed and result.tls_version == f"TLSv{version}"
    assert result.stapled == staple
    assert result.check is not None and result.check.status == "good"
    assert result.verdict == "ok"


def test_no_staple_without_must_staple_is_allowed() -> None:
    ex = running_example()
    result = staple_handshake(ex.server, ex.root, staple=None, at=BOOK_CLOCK)
    assert result.handshake_completed and result.stapled is None
    assert result.verdict == "no_staple" and not result.must_staple


def test_client_that_does_not_ask_gets_nothing() -> None:
    ex = running_example()
    staple = build_ocsp_response(ex.intermediate, ex.server).der
    result = staple_handshake(
        ex.server, ex.root, staple=staple, request_status=False, at=BOOK_CLOCK
    )
    assert result.handshake_completed and result.stapled is None and not result.requested


def test_revoked_staple_is_reported_and_enforced() -> None:
    ex = running_example()
    staple = build_ocsp_response(
        ex.intermediate,
        ex.server,
        status="revoked",
        revoked_at=BOOK_CLOCK - DAY,
        reason="key_compromise",
    ).der
    lenient = staple_handshake(ex.server, ex.root, staple=staple, at=BOOK_CLOCK)
    assert lenient.handshake_completed and lenient.verdict == "revoked"
    strict = staple_handshake(ex.server, ex.root, staple=staple, at=BOOK_CLOCK, enforce=True)
    assert not strict.handshake_completed and strict.verdict == "revoked"


def test_stale_staple_is_bad() -> None:
    ex = running_example()
    staple = build_ocsp_response(ex.intermediate, ex.server, this_update=BOOK_CLOCK - 30 * DAY).der
    result = staple_handshake(ex.server, ex.root, staple=staple, at=BOOK_CLOCK)
    assert result.verdict == "bad_staple"
    assert result.check is not None and result.check.problem == "stale"


def test_must_staple_extension_is_detected() -> None:
    assert has_must_staple(_must_staple().certificate)
    assert not has_must_staple(running_example().server.certificate)


def test_must_staple_without_staple_is_reported_and_control() -> None:
    ex = running_example()
    leaf = _must_staple()
    missing = staple_handshake(leaf, ex.root, staple=None, at=BOOK_CLOCK)
    assert missing.handshake_completed  # a lenient client (Chrome, OpenSSL) carries on...
    assert missing.verdict == "must_staple_violated" and missing.must_staple  # ...but it is one
    stapled = staple_handshake(
        leaf, ex.root, staple=build_ocsp_response(ex.intermediate, leaf).der, at=BOOK_CLOCK
    )
    assert stapled.verdict == "ok"


def test_enforcing_client_aborts_without_staple_and_control() -> None:
    ex = running_example()
    leaf = _must_staple()
    refused = staple_handshake(leaf, ex.root, staple=None, at=BOOK_CLOCK, enforce=True)
    assert not refused.handshake_completed and refused.verdict == "must_staple_violated"
    assert refused.error is not None
    good = build_ocsp_response(ex.intermediate, leaf).der
    accepted = staple_handshake(leaf, ex.root, staple=good, at=BOOK_CLOCK, enforce=True)
    assert accepted.handshake_completed and accepted.verdict == "ok"


def test_must_staple_when_client_never_asks() -> None:
    ex = running_example()
    result = staple_handshake(
        _must_staple(), ex.root, staple=None, request_status=False, at=BOOK_CLOCK
    )
    assert result.handshake_completed and result.verdict == "must_staple_violated"


def test_forged_staple_is_bad_and_the_check_says_why() -> None:
    ex = running_example()
    impostor = CA.root("impostor", subject=ex.intermediate.name, label="impostor TLS CA")
    forged = build_ocsp_response(ex.intermediate, ex.server, responder=impostor).der
    assert check_ocsp(forged, ex.server, ex.intermediate, at=BOOK_CLOCK).problem == "bad_signature"
    result = staple_handshake(ex.server, ex.root, staple=forged, at=BOOK_CLOCK)
    assert result.verdict == "bad_staple" and "signature" in result.message


def test_untrusted_server_fails_the_handshake() -> None:
    ex = running_example()
    staple = build_ocsp_response(ex.intermediate, ex.server).der
    result = staple_handshake(ex.server, ex.client_root, staple=staple, at=BOOK_CLOCK)
    assert not result.handshake_completed and result.verdict == "handshake_failed"
    assert "verify" in result.message


def test_result_renders() -> None:
    ex = running_example()
    result = staple_handshake(ex.server, ex.root, staple=None, at=BOOK_CLOCK)
    assert "Must-Staple" in str(result)
    assert "<table>" in result._repr_html_()
