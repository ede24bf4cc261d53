"""OCSP responses built by pkiviz and judged by check_ocsp: each failure beside its control."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.x509 import ocsp

from pkiviz import BOOK_CLOCK, running_example
from pkiviz.revocation.ocsp import (
    build_ocsp_error,
    build_ocsp_request,
    build_ocsp_response,
    check_ocsp,
    issue_ocsp_responder,
)
from pkiviz.x509.factory import CA, Issued

DAY = dt.timedelta(days=1)


def _responder() -> Issued:
    return issue_ocsp_responder(running_example().intermediate, "Example Trust OCSP Responder")


def test_good_signed_by_issuer() -> None:
    ex = running_example()
    result = check_ocsp(
        build_ocsp_response(ex.intermediate, ex.server).der,
        ex.server,
        ex.intermediate,
        at=BOOK_CLOCK,
    )
    assert result.status == "good"
    assert result.ok and result.signature == "issuer" and result.signature_verified
    assert result.freshness == "fresh" and result.cert_id_matches
    assert result.produced_at == BOOK_CLOCK - dt.timedelta(hours=1)


def test_same_inputs_give_same_der() -> None:
    ex = running_example()
    assert (
        build_ocsp_response(ex.intermediate, ex.server).der
        == build_ocsp_response(ex.intermediate, ex.server).der
    )


def test_revoked_with_reason_and_time_via_delegated_responder() -> None:
    ex = running_example()
    der = build_ocsp_response(
        ex.intermediate,
        ex.server,
        status="revoked",
        revoked_at=BOOK_CLOCK - 3 * DAY,
        reason="key_compromise",
        responder=_responder(),
    ).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.status == "revoked"
    assert result.reason == "key_compromise"
    assert result.revocation_time == BOOK_CLOCK - 3 * DAY
    assert result.signature == "delegated"
    assert result.signer == "CN=Example Trust OCSP Responder"


def test_unknown_status() -> None:
    ex = running_example()
    der = build_ocsp_response(ex.intermediate, ex.server, status="unknown").der
    assert check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK).status == "unknown"


def test_key_hash_responder_id_verifies() -> None:
    ex = running_example()
    der = build_ocsp_response(ex.intermediate, ex.server, responder_id="key_hash").der
    assert ocsp.load_der_ocsp_response(der).responder_name is None
    assert check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK).signature == "issuer"


@pytest.mark.parametrize("data", [b"", b"\x30\x03\x02\x01", b"<html>busy</html>", b"junk" * 50])
def test_malformed_bytes_are_an_explicit_error(data: bytes) -> None:
    ex = running_example()
    result = check_ocsp(data, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.status == "error" and result.problem == "malformed"
    assert result.asserted is None
    assert "not a DER OCSPResponse" in result.message or "empty" in result.message


def test_html_is_named_as_html() -> None:
    ex = running_example()
    result = check_ocsp(b"<html>busy</html>", ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert "HTML" in result.message


@pytest.mark.parametrize("status", ["try_later", "unauthorized", "malformed_request"])
def test_unsuccessful_response_status(status: str) -> None:
    ex = running_example()
    der = build_ocsp_error(status).der  # type: ignore[arg-type]
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.status == "error" and result.problem == "responder_error"
    assert result.responder_status == status


def test_stale_response_and_fresh_control() -> None:
    ex = running_example()
    der = build_ocsp_response(ex.intermediate, ex.server, this_update=BOOK_CLOCK - 10 * DAY).der
    stale = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert stale.status == "error" and stale.problem == "stale" and stale.asserted == "good"
    fresh = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK - 8 * DAY)
    assert fresh.status == "good" and fresh.freshness == "fresh"


def test_response_from_the_future_and_control() -> None:
    ex = running_example()
    der = build_ocsp_response(ex.intermediate, ex.server, this_update=BOOK_CLOCK + DAY).der
    assert check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK).problem == "not_yet_valid"
    assert check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK + 2 * DAY).ok


def test_answer_signed_seconds_after_the_checking_time_is_fresh() -> None:
    # A live answer is signed after the client reads its clock, and thisUpdate has whole
    # seconds: fetched at 12:00:00.9, signed at 12:00:01.0, it is one second "ahead".
    ex = running_example()
    second = dt.timedelta(seconds=1)
    der = build_ocsp_response(ex.intermediate, ex.server, this_update=BOOK_CLOCK + second).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.status == "good" and result.freshness == "fresh"
    (freshness,) = [c for c in result.checks if c.name == "freshness"]
    assert "1 second after" in freshness.detail and "5 minutes allowed for clock skew" in (
        freshness.detail
    )
    # Control: without the allowance, the same answer "comes from the future".
    strict = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK, clock_skew=dt.timedelta(0))
    assert strict.problem == "not_yet_valid"


def test_clock_skew_allowance_ends_at_five_minutes() -> None:
    ex = running_example()
    allowance = dt.timedelta(minutes=5)
    at_edge = build_ocsp_response(ex.intermediate, ex.server, this_update=BOOK_CLOCK + allowance)
    assert check_ocsp(at_edge.der, ex.server, ex.intermediate, at=BOOK_CLOCK).ok
    past = build_ocsp_response(
        ex.intermediate, ex.server, this_update=BOOK_CLOCK + allowance + dt.timedelta(seconds=1)
    )
    beyond = check_ocsp(past.der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert beyond.problem == "not_yet_valid"
    assert "more than the 5 minutes allowed for clock skew" in beyond.message
    with pytest.raises(ValueError, match="must not be negative"):
        check_ocsp(past.der, ex.server, ex.intermediate, at=BOOK_CLOCK, clock_skew=-allowance)


def test_no_next_update_is_a_note_not_a_failure() -> None:
    ex = running_example()
    der = build_ocsp_response(ex.intermediate, ex.server, lifetime=None).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK + 300 * DAY)
    assert result.status == "good" and result.freshness == "no_next_update"


def test_signed_by_the_wrong_key_and_control() -> None:
    ex = running_example()
    # An impostor CA with the same name as the real issuer but its own key.
    impostor = CA.root("impostor", subject=ex.intermediate.name, label="impostor TLS CA")
    forged = build_ocsp_response(ex.intermediate, ex.server, responder=impostor)
    result = check_ocsp(forged.der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.status == "error" and result.problem == "bad_signature"
    assert result.asserted == "good" and not result.signature_verified
    genuine = build_ocsp_response(ex.intermediate, ex.server)
    assert check_ocsp(genuine.der, ex.server, ex.intermediate, at=BOOK_CLOCK).ok


def test_signed_by_an_unrelated_ca_is_unknown_signer() -> None:
    ex = running_example()
    der = build_ocsp_response(
        ex.intermediate, ex.server, responder=ex.client_root, include_responder_certificate=False
    ).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.problem == "unknown_signer"


def test_delegate_without_ocsp_signing_eku_is_unauthorized() -> None:
    ex = running_example()
    not_a_responder = ex.intermediate.issue_server("ocsp.example.com")
    der = build_ocsp_response(ex.intermediate, ex.server, responder=not_a_responder).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.problem == "unauthorized_signer"
    assert "OCSPSigning" in result.message


def test_delegate_issued_by_another_ca_is_unauthorized() -> None:
    ex = running_example()
    other = issue_ocsp_responder(ex.client_root, "Someone else's responder")
    der = build_ocsp_response(ex.intermediate, ex.server, responder=other).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.problem == "unauthorized_signer"
    assert "not issued" in result.message


def test_response_about_another_certificate_and_control() -> None:
    ex = running_example()
    other = ex.intermediate.issue_server("www.example.com")
    der = build_ocsp_response(ex.intermediate, other).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.problem == "cert_id_mismatch" and not result.cert_id_matches
    assert check_ocsp(der, other, ex.intermediate, at=BOOK_CLOCK).ok


def test_right_serial_wrong_issuer_is_a_mismatch() -> None:
    ex = running_example()
    der = build_ocsp_response(ex.root, ex.server.certificate.serial_number).der
    result = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK)
    assert result.problem == "cert_id_mismatch"
    assert "another issuer" in result.message


def test_nonce_echo_mismatch_and_missing() -> None:
    ex = running_example()
    der = build_ocsp_response(ex.intermediate, ex.server, nonce=b"n" * 16).der
    assert check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK, nonce=b"n" * 16).nonce == (
        "matched"
    )
    wrong = check_ocsp(der, ex.server, ex.intermediate, at=BOOK_CLOCK, nonce=b"m" * 16)
    assert wrong.problem == "nonce_mismatch"
    plain = build_ocsp_response(ex.intermediate, ex.server).der
    missing = check_ocsp(plain, ex.server, ex.intermediate, at=BOOK_CLOCK, nonce=b"m" * 16)
    assert missing.ok and missing.nonce == "not_echoed"


def test_request_carries_cert_id_and_nonce() -> None:
    ex = running_example()
    req = build_ocsp_request(ex.server, ex.intermediate, nonce=b"x" * 16)
    assert req.request.serial_number == ex.server.certificate.serial_number
    assert req.nonce == b"x" * 16
    assert "nonce" in str(req)
    assert build_ocsp_request(ex.server, ex.intermediate).der == (
        build_ocsp_request(ex.server, ex.intermediate).der
    )


@pytest.mark.parametrize("key", ["rsa-2048", "ed25519", "ec-p384"])
def test_other_key_types(key: str) -> None:
    root = CA.root(f"OCSP root {key}", key=key)
    leaf = root.issue_server("leaf.example.com")
    der = build_ocsp_response(root, leaf).der
    assert der == build_ocsp_response(root, leaf).der
    assert check_ocsp(der, leaf, root, at=BOOK_CLOCK).ok


def test_builder_refuses_inconsistent_arguments() -> None:
    ex = running_example()
    with pytest.raises(ValueError, match="revoked_at"):
        build_ocsp_response(ex.intermediate, ex.server, status="revoked")
    with pytest.raises(ValueError, match="only go with"):
        build_ocsp_response(ex.intermediate, ex.server, reason="superseded")


def test_result_renders() -> None:
    ex = running_example()
    result = check_ocsp(
        build_ocsp_response(ex.intermediate, ex.server).der,
        ex.server,
        ex.intermediate,
        at=BOOK_CLOCK,
    )
    assert "freshness" in str(result)
    assert "<table>" in result._repr_html_()
    assert "serial" in str(build_ocsp_response(ex.intermediate, ex.server))
