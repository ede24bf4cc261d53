"""Real Certificate Transparency data: cryptography.io's 2018 certificate, its two embedded SCTs
(Google Icarus, Sectigo Mammoth) verified by hand with the logs' real keys from Chromium's log
list, with controls. Provenance: tests/data/ct/PROVENANCE.md."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz.ct.entries import (
    SCT_LIST_OID,
    entry_for_certificate,
    issuer_key_hash,
    spki_der,
    strip_extensions,
)
from pkiviz.ct.known_logs import KnownLogs, bundled_logs
from pkiviz.ct.sct import embedded_scts
from pkiviz.ct.verify import verify_embedded_scts, verify_sct
from pkiviz.errors import InputError
from pkiviz.x509 import der
from pkiviz.x509.example import running_example

DATA = Path(__file__).parent / "data" / "ct"
AT = dt.datetime(2018, 10, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def cert() -> x509.Certificate:
    return x509.load_pem_x509_certificate((DATA / "cryptography-scts.pem").read_bytes())


@pytest.fixture(scope="module")
def issuer() -> x509.Certificate:
    return x509.load_pem_x509_certificate((DATA / "letsencryptx3.pem").read_bytes())


@pytest.fixture(scope="module")
def logs() -> KnownLogs:
    return KnownLogs.from_log_list((DATA / "log_list.json").read_bytes())


def test_the_log_list_keys_hash_to_their_ids(logs: KnownLogs) -> None:
    assert len(logs) == 5
    assert {log.operator for log in logs} == {"Google", "Venafi", "Sectigo"}
    venafi = next(log for log in logs if log.operator == "Venafi")
    assert venafi.state == "retired" and type(venafi.public_key).__name__.startswith("RSA")


def test_a_log_list_whose_id_is_not_the_key_hash_is_refused() -> None:
    text = (DATA / "log_list.json").read_text()
    broken = text.replace("KTxRllTIOWW6qlD8WAfUt2", "KTxRllTIOWW6qlD8WAfUt3", 1)
    assert broken != text
    with pytest.raises(InputError, match="not SHA-256 of its key"):
        KnownLogs.from_log_list(broken)
    KnownLogs.from_log_list(text)  # control


def _edited(path: str, value: object) -> str:
    """The real log list with one field of the first log (``"logs"`` etc. for others) replaced."""
    doc = json.loads((DATA / "log_list.json").read_text())
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[last] = value
    return json.dumps(doc)


_LOG = "operators.0.logs.0"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_edited(f"{_LOG}.state", {"usable": {"timestamp": 5}}), "is not a timestamp string: 5"),
        (_edited(f"{_LOG}.state", {"usable": {"timestamp": None}}), "not a timestamp string"),
        (_edited(f"{_LOG}.state", {"usable": {"timestamp": "2025-01-01T00:00:00"}}), "time zone"),
        (_edited(f"{_LOG}.state", {"usable": {"timestamp": "yesterday"}}), "isoformat"),
        (_edited(f"{_LOG}.state", {"bogus": {}}), "unknown state 'bogus'"),
        (_edited(f"{_LOG}.state", ["usable"]), "is not a JSON object"),
        (_edited(f"{_LOG}.temporal_interval", []), "is not a JSON object"),
        (
            _edited(f"{_LOG}.temporal_interval", {"start_inclusive": 1, "end_exclusive": 2}),
            "is not a timestamp string: 1",
        ),
        (_edited(f"{_LOG}.description", {"a": 1}), "'description' of a log of operator"),
        (_edited(f"{_LOG}.url", 5), "'url' of log"),
        (_edited("operators.0.logs", None), "'logs' of operator 'Google' is not a list"),
        (_edited("operators", {"a": 1}), "'operators' of the document is not a list"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_a_malformed_log_list_is_an_input_error_not_a_traceback(text: str, words: str) -> None:
    with pytest.raises(InputError, match=r"not a v3 log_list.json") as info:
        KnownLogs.from_log_list(text)
    assert words in str(info.value)


def test_log_list_times_need_a_zone_and_are_aware() -> None:
    # Controls for the refusals above: Z and an explicit offset both read, and compare.
    for stamp in ("2017-03-06T19:35:01Z", "2017-03-06T20:35:01+01:00"):
        text = _edited(f"{_LOG}.state", {"retired": {"timestamp": stamp}})
        icarus = KnownLogs.from_log_list(text).logs[0]
        assert icarus.state_since == dt.datetime(2017, 3, 6, 19, 35, 1, tzinfo=dt.UTC)
        assert icarus.state_at(AT) == "retired"
    window = {"start_inclusive": "2026-01-01T00:00:00Z", "end_exclusive": "2027-01-01T00:00:00Z"}
    sharded = KnownLogs.from_log_list(_edited(f"{_LOG}.temporal_interval", window)).logs[0]
    assert sharded.interval is not None and sharded.interval[0].year == 2026


def _reencoded_spki(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_issuer_key_hash_is_over_the_issuers_own_spki_bytes(issuer: x509.Certificate) -> None:
    # RFC 6962 3.2 hashes the issuer certificate's SubjectPublicKeyInfo. The same issuer with
    # the RSA AlgorithmIdentifier's NULL left out: cryptography reads the key and re-encodes it
    # *with* the NULL, so a hash of the re-encoding is not a hash of the certificate's bytes.
    data = issuer.public_bytes(serialization.Encoding.DER)
    tbs, algorithm, signature = der.children(data, der.read_single(data))
    fields = der.children(data, tbs)
    spki = fields[6]
    algorithm_id, bits = der.children(data, spki)
    oid, _null = der.children(data, algorithm_id)
    bare = der.sequence(der.sequence(oid.encoded(data)), bits.encoded(data))
    new_tbs = der.sequence(*(bare if f is spki else f.encoded(data) for f in fields))
    odd = x509.load_der_x509_certificate(
        der.sequence(new_tbs, algorithm.encoded(data), signature.encoded(data))
    )
    assert spki_der(odd) == bare != _reencoded_spki(odd)
    assert issuer_key_hash(odd) == hashlib.sha256(bare).digest()
    # Controls: for a normally encoded issuer the two agree, so nothing else changes.
    for cert in (issuer, running_example().intermediate.certificate):
        assert spki_der(cert) == _reencoded_spki(cert)
        assert issuer_key_hash(cert) == hashlib.sha256(_reencoded_spki(cert)).digest()


def test_hand_made_tbs_matches_cryptography_and_the_vector(cert: x509.Certificate) -> None:
    ours = strip_extensions(cert.tbs_certificate_bytes, (SCT_LIST_OID,))
    assert ours == cert.tbs_precertificate_bytes
    assert ours == (DATA / "cryptography-scts-tbs-precert.der").read_bytes()
    assert ours != cert.tbs_certificate_bytes  # control: something was removed


def test_the_real_scts_parse_like_cryptography(cert: x509.Certificate) -> None:
    ours = embedded_scts(cert)
    theirs = cert.extensions.get_extension_for_class(
        x509.PrecertificateSignedCertificateTimestamps
    ).value
    assert [s.log_id for s in ours] == [s.log_id for s in theirs]
    assert [s.signature for s in ours] == [s.signature for s in theirs]
    assert [s.time.replace(tzinfo=None) for s in ours] == [s.timestamp for s in theirs]
    assert [s.algorithm for s in ours] == ["ecdsa-sha256", "ecdsa-sha256"]


def test_real_scts_verify_with_the_real_log_keys(
    cert: x509.Certificate, issuer: x509.Certificate, logs: KnownLogs
) -> None:
    checks = verify_embedded_scts(cert, issuer, logs=logs, at=AT)
    assert [c.status for c in checks] == ["verified", "verified"]
    assert [c.log_name for c in checks] == ["Google 'Icarus' log", "Sectigo 'Mammoth' CT log"]
    assert [c.timestamp.isoformat() for c in checks] == [
        "2018-09-26T20:56:33.769000+00:00",
        "2018-09-26T20:56:33.904000+00:00",
    ]
    assert all(c.signed is not None and c.signed.tiles() for c in checks)
    # the bundled list knows the same two logs
    bundled = verify_embedded_scts(cert, issuer, at=AT)
    assert [c.status for c in bundled] == ["verified", "verified"]
    assert bundled_logs().find(checks[0].log_id) is not None


def test_the_same_scts_over_another_certificate_fail(
    cert: x509.Certificate, issuer: x509.Certificate, logs: KnownLogs
) -> None:
    other = issuer  # Let's Encrypt X3 itself, same issuer key hash would not save it
    entry = entry_for_certificate(other, issuer)
    checks = [verify_sct(s, entry, logs=logs, at=AT) for s in embedded_scts(cert)]
    assert [c.status for c in checks] == ["bad-signature", "bad-signature"]
    # control: the right certificate passes with the same SCTs and keys
    right = entry_for_certificate(cert, issuer)
    assert all(verify_sct(s, right, logs=logs, at=AT) for s in embedded_scts(cert))


def test_a_wrong_issuer_breaks_the_issuer_key_hash(cert: x509.Certificate, logs: KnownLogs) -> None:
    stranger = x509.load_pem_x509_certificate((DATA / "cryptography-scts.pem").read_bytes())
    checks = verify_embedded_scts(cert, stranger, logs=logs, at=AT)
    assert {c.status for c in checks} == {"bad-signature"}


def test_real_scts_from_the_future_and_from_unknown_logs(
    cert: x509.Certificate, issuer: x509.Certificate, logs: KnownLogs
) -> None:
    before = dt.datetime(2018, 9, 26, 20, 56, 33, 800000, tzinfo=dt.UTC)
    checks = verify_embedded_scts(cert, issuer, logs=logs, at=before)
    assert [c.status for c in checks] == ["verified", "future-timestamp"]
    only_google = KnownLogs(tuple(log for log in logs if log.operator == "Google"))
    checks = verify_embedded_scts(cert, issuer, logs=only_google, at=AT)
    assert [c.status for c in checks] == ["verified", "unknown-log"]


def test_a_tampered_real_signature_fails(
    cert: x509.Certificate, issuer: x509.Certificate, logs: KnownLogs
) -> None:
    sct = embedded_scts(cert)[0]
    entry = entry_for_certificate(cert, issuer)
    flipped = bytearray(sct.signature)
    flipped[-1] ^= 1
    bad = dataclasses.replace(sct, signature=bytes(flipped))
    assert verify_sct(bad, entry, logs=logs, at=AT).status == "bad-signature"
    assert verify_sct(sct, entry, logs=logs, at=AT).status == "verified"  # control


def test_the_real_data_helper_reads_the_same_files(
    cert: x509.Certificate, issuer: x509.Certificate
) -> None:
    from pkiviz.ct import real

    data = real.cryptography_io()
    assert DATA.resolve() == real.DATA_DIR
    assert data.certificate == cert and data.issuer == issuer and len(data.log_list) == 5
    assert "cryptography_vectors" in data.provenance
    checks = verify_embedded_scts(data.certificate, data.issuer, logs=data.log_list, at=data.at)
    assert [c.status for c in checks] == ["verified", "verified"]
    assert data.certificate.not_valid_before_utc <= data.at <= data.certificate.not_valid_after_utc


def test_the_real_data_helper_names_a_missing_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pkiviz.ct import real

    real.cryptography_io.cache_clear()
    monkeypatch.setattr(real, "DATA_DIR", tmp_path / "nowhere")
    with pytest.raises(InputError, match=r"nowhere.*ships with the repository"):
        real.cryptography_io()
    monkeypatch.undo()
    real.cryptography_io.cache_clear()
    assert real.cryptography_io().certificate.subject  # control: the checkout's files
