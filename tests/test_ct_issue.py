"""pkiviz's own CT issuance: precertificate with poison, add-pre-chain, SCTs embedded in the
final certificate, verified by hand; each planted breakage caught for its reason beside a valid
control."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz.ct import merkle
from pkiviz.ct.entries import (
    POISON_OID,
    SCT_LIST_OID,
    entry_for_certificate,
    entry_for_precertificate,
    extension_oids,
    strip_extensions,
)
from pkiviz.ct.issue import CTIssuance, issue_through_logs, login_spec, login_through_logs
from pkiviz.ct.known_logs import KnownLogs, demo_logs
from pkiviz.ct.log import Log
from pkiviz.ct.sct import (
    embedded_scts,
    encode_sct_list,
    merkle_tree_leaf,
    parse_merkle_tree_leaf,
    parse_sct_list,
)
from pkiviz.ct.verify import verify_delivered_scts, verify_embedded_scts, verify_sct
from pkiviz.errors import InputError
from pkiviz.x509.example import running_example

AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def ct() -> CTIssuance:
    return login_through_logs(at=AT)


def test_precertificate_carries_critical_poison_and_final_does_not(ct: CTIssuance) -> None:
    pre = ct.precertificate.certificate
    poison = pre.extensions.get_extension_for_class(x509.PrecertPoison)
    assert poison.critical
    final = ct.certificate.certificate
    oids = extension_oids(final.tbs_certificate_bytes)
    assert POISON_OID not in oids and oids[-1] == SCT_LIST_OID
    assert final.serial_number == pre.serial_number
    # the final TBS without the SCT list is the precert TBS without the poison
    assert strip_extensions(final.tbs_certificate_bytes, (SCT_LIST_OID,)) == strip_extensions(
        pre.tbs_certificate_bytes, (POISON_OID,)
    )
    assert final.tbs_precertificate_bytes == strip_extensions(
        final.tbs_certificate_bytes, (SCT_LIST_OID,)
    )
    final.verify_directly_issued_by(ct.issuer.certificate)
    pre.verify_directly_issued_by(ct.issuer.certificate)


def test_issuance_is_deterministic(ct: CTIssuance) -> None:
    again = login_through_logs(at=AT)
    assert again.certificate.der == ct.certificate.der
    assert again.precertificate.der == ct.precertificate.der
    assert again.scts == ct.scts
    other = login_through_logs(at=LATER)  # control: time matters
    assert other.certificate.der != ct.certificate.der


def test_log_id_is_the_hash_of_the_spki_and_the_leaf_timestamp_is_the_scts(
    ct: CTIssuance,
) -> None:
    for log, sct in zip(ct.logs, ct.scts, strict=True):
        spki = log.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        assert sct.log_id == hashlib.sha256(spki).digest() == log.log_id
        ((leaf_input, extra),) = log.entries(0, 0)
        timestamp, entry, extensions = parse_merkle_tree_leaf(leaf_input)
        assert timestamp == sct.timestamp
        assert entry == entry_for_precertificate(
            ct.precertificate.certificate, ct.issuer.certificate
        )
        assert entry == entry_for_certificate(ct.certificate.certificate, ct.issuer.certificate)
        assert extensions == b""
        assert log.leaf_hash(0) == merkle.leaf_hash(merkle_tree_leaf(entry, sct.timestamp))
        assert extra.startswith(len(ct.precertificate.der).to_bytes(3, "big"))


def test_embedded_scts_round_trip(ct: CTIssuance) -> None:
    scts = embedded_scts(ct.certificate.certificate)
    assert scts == ct.scts
    assert parse_sct_list(encode_sct_list(scts)) == scts
    parsed = ct.certificate.certificate.extensions.get_extension_for_class(
        x509.PrecertificateSignedCertificateTimestamps
    ).value
    assert [s.log_id for s in parsed] == [s.log_id for s in scts]


def test_valid_scts_verify(ct: CTIssuance) -> None:
    checks = verify_embedded_scts(ct.certificate, ct.issuer, logs=ct.known_logs(), at=AT)
    assert [c.status for c in checks] == ["verified"] * 3
    assert [c.log_name for c in checks] == [log.name for log in ct.logs]
    signed = checks[0].signed
    assert signed is not None and signed.tiles()
    assert [r.name for r in signed.regions[1:5]] == [
        "sct_version",
        "signature_type",
        "timestamp",
        "entry_type",
    ]
    assert (
        signed.bytes_of("issuer_key_hash")
        == hashlib.sha256(
            ct.issuer.certificate.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        ).digest()
    )
    assert signed.bytes_of("tbs_certificate") == ct.certificate.certificate.tbs_precertificate_bytes


def _scts_over(ct: CTIssuance, cert: x509.Certificate) -> list[str]:
    entry = entry_for_certificate(cert, ct.issuer.certificate)
    return [verify_sct(s, entry, logs=ct.known_logs(), at=AT).status for s in ct.scts]


def test_sct_over_another_certificate_is_caught(ct: CTIssuance) -> None:
    other = issue_through_logs(
        dataclasses.replace(login_spec(), label="evil.example.com [ct]"),
        ct.issuer,
        demo_logs()[:1],
        at=AT,
    )
    assert _scts_over(ct, other.certificate.certificate) == ["bad-signature"] * 3
    assert _scts_over(ct, ct.certificate.certificate) == ["verified"] * 3  # control


def test_unknown_log_is_caught(ct: CTIssuance) -> None:
    without_alder = KnownLogs.of(*ct.logs[1:])
    checks = verify_embedded_scts(ct.certificate, ct.issuer, logs=without_alder, at=AT)
    assert [c.status for c in checks] == ["unknown-log", "verified", "verified"]
    assert checks[0].log_name is None and "not on the client's list" in checks[0].reason


def test_future_timestamp_is_caught(ct: CTIssuance) -> None:
    before = AT - dt.timedelta(milliseconds=1)
    checks = verify_embedded_scts(ct.certificate, ct.issuer, logs=ct.known_logs(), at=before)
    assert {c.status for c in checks} == {"future-timestamp"}
    checks = verify_embedded_scts(ct.certificate, ct.issuer, logs=ct.known_logs(), at=AT)
    assert {c.status for c in checks} == {"verified"}  # control: at the very millisecond


def test_tampered_signature_and_wrong_algorithm_are_caught(ct: CTIssuance) -> None:
    entry = entry_for_certificate(ct.certificate.certificate, ct.issuer.certificate)
    sct = ct.scts[0]
    sig = bytearray(sct.signature)
    sig[10] ^= 0x40
    logs = ct.known_logs()
    assert (
        verify_sct(dataclasses.replace(sct, signature=bytes(sig)), entry, logs=logs, at=AT).status
        == "bad-signature"
    )
    rsa_claim = dataclasses.replace(sct, signature_algorithm=1)
    assert verify_sct(rsa_claim, entry, logs=logs, at=AT).status == "unsupported-algorithm"
    sha1_claim = dataclasses.replace(sct, hash_algorithm=2)
    assert verify_sct(sha1_claim, entry, logs=logs, at=AT).status == "unsupported-algorithm"
    v2 = dataclasses.replace(sct, version=1)
    assert verify_sct(v2, entry, logs=logs, at=AT).status == "unsupported-version"
    assert verify_sct(sct, entry, logs=logs, at=AT).status == "verified"  # control


def test_an_rsa_log_signs_and_verifies() -> None:
    rowan = demo_logs()[3]
    assert rowan.signature_algorithm == 1
    ct = login_through_logs([rowan], at=AT)
    checks = verify_embedded_scts(ct.certificate, ct.issuer, logs=ct.known_logs(), at=AT)
    assert [(c.status, c.signature_algorithm) for c in checks] == [("verified", "rsa-sha256")]
    # control: the same SCT over the precertificate itself (as an x509 entry) fails
    wrong = verify_delivered_scts(ct.scts, ct.precertificate, logs=ct.known_logs(), at=AT)
    assert [c.status for c in wrong] == ["bad-signature"]


def test_tls_delivered_scts_cover_the_x509_entry() -> None:
    example = running_example()
    log = Log("pkiviz tls sct log", name="TLS log")
    chain = [example.server.certificate, example.intermediate.certificate]
    sct = dataclasses.replace(log.add_chain(chain, at=AT), source="tls")
    logs = KnownLogs.of(log)
    (check,) = verify_delivered_scts([sct], example.server, logs=logs, at=AT)
    assert check.ok and check.signed is not None
    assert check.signed.bytes_of("certificate") == example.server.der
    # control: as if embedded, the SCT would have to cover a precert entry, and does not
    entry = entry_for_certificate(example.server.certificate, example.intermediate.certificate)
    assert verify_sct(sct, entry, logs=logs, at=AT).status == "bad-signature"


def test_logs_refuse_the_wrong_kind_of_chain(ct: CTIssuance) -> None:
    log = Log("refusing log")
    pre_chain = [ct.precertificate.certificate, ct.issuer.certificate]
    final_chain = [ct.certificate.certificate, ct.issuer.certificate]
    with pytest.raises(InputError, match="precertificate"):
        log.add_chain(pre_chain, at=AT)
    with pytest.raises(InputError, match="poison"):
        log.add_pre_chain(final_chain, at=AT)
    with pytest.raises(InputError, match="at least its issuer"):
        log.add_chain(final_chain[:1], at=AT)
    stranger = running_example().client_root.certificate
    with pytest.raises(InputError, match="not validly issued"):
        log.add_chain([ct.certificate.certificate, stranger], at=AT)
    assert len(log) == 0
    log.add_chain(final_chain, at=AT)  # control
    log.add_pre_chain(pre_chain, at=AT)
    assert len(log) == 2


def test_signed_but_never_included() -> None:
    logs = demo_logs()[:2]
    ct = issue_through_logs(
        login_spec(), running_example().intermediate, logs, at=AT, include=[True, False]
    )
    assert [len(log) for log in logs] == [1, 0]
    checks = verify_embedded_scts(ct.certificate, ct.issuer, logs=ct.known_logs(), at=AT)
    assert [c.status for c in checks] == ["verified", "verified"]  # the signature alone is fine


def test_sct_list_parsing_refuses_garbage(ct: CTIssuance) -> None:
    good = encode_sct_list(ct.scts)
    assert parse_sct_list(good) == ct.scts  # control
    with pytest.raises(InputError, match="left over"):
        parse_sct_list(good + b"\x00")
    with pytest.raises(InputError, match="needs"):
        parse_sct_list(good[:-1])
    raw = bytearray(ct.scts[0].to_bytes())
    raw[33:41] = b"\xff" * 8
    bad = len(raw).to_bytes(2, "big") + bytes(raw)
    with pytest.raises(InputError, match="year 9999"):
        parse_sct_list(len(bad).to_bytes(2, "big") + bad)
    # RFC 6962 3.3: sct_list<1..2^16-1>, so an empty list is malformed, not "no SCTs"
    with pytest.raises(InputError, match=r"empty; RFC 6962 3\.3 requires at least one SCT"):
        parse_sct_list(b"\x00\x00")
    assert len(parse_sct_list(encode_sct_list(ct.scts[:1]))) == 1  # control: one SCT is enough
