"""The validator's ``certificate-transparency`` check: off by default, Chrome's and Apple's rules.

Every failing case has its passing control beside it: the same certificate
with enough SCTs, or the same SCT list well formed.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from cryptography import x509

from pkiviz import cli
from pkiviz.clock import BOOK_CLOCK
from pkiviz.ct import KnownLogs, Log, demo_logs, login_through_logs
from pkiviz.ct.entries import POISON_OID, SCT_LIST_OID
from pkiviz.ct.issue import CTIssuance, _resign
from pkiviz.ct.sct import SCT, encode_sct_list
from pkiviz.validation import Report, validate
from pkiviz.validation.checks import BY_NAME
from pkiviz.x509.der import octet_string
from pkiviz.x509.example import HOSTNAME, running_example

CT = "certificate-transparency"


@functools.cache
def issued() -> CTIssuance:
    return login_through_logs()


def check(leaf: object, **kwargs: object) -> tuple[Report, str]:
    ex = running_example()
    report = validate(
        leaf,  # type: ignore[arg-type]
        intermediates=[ex.intermediate],
        trust_anchors=[ex.root],
        peer_name=HOSTNAME,
        at=BOOK_CLOCK,
        **kwargs,  # type: ignore[arg-type]
    )
    (row,) = report.by_check(CT)
    return report, f"{row.status}: {row.message}"


def test_off_by_default_says_why() -> None:
    report, row = check(running_example().server)
    assert report.valid and report.status_of(CT) == "skipped"
    assert "RFC 5280 does not require" in row and "publicly trusted roots" in row
    assert BY_NAME[CT].rule is not None
    # Control: the same certificate under Chrome's policy fails - it has no SCTs.
    report, row = check(running_example().server, ct_policy="chrome")
    assert not report.valid and report.first_failure is not None
    assert report.first_failure.check == CT
    assert "none (no SCT embedded" in row


@pytest.mark.parametrize("policy", ["chrome", "apple"])
def test_three_embedded_scts_meet_both_policies(policy: str) -> None:
    report, row = check(issued().certificate, ct_policy=policy)
    assert report.valid, row
    assert row.startswith(f"pass: {policy.title()} CT policy met")
    for name in ("Alder2026", "Birch2026", "Cedar2026"):
        assert f"embedded SCT from Example '{name}' log at 2026-03-01 12:00:00 UTC: verified" in row


def test_a_log_list_without_the_logs_makes_them_unknown() -> None:
    stranger = Log("pkiviz test stranger log", operator="X")
    report, row = check(issued().certificate, ct_policy="chrome", ct_logs=KnownLogs.of(stranger))
    assert not report.valid and row.count(": unknown-log (") == 3
    # Control: the issuance's own list.
    report, _ = check(issued().certificate, ct_policy="chrome", ct_logs=issued().known_logs())
    assert report.valid


def _tls_scts(*logs: Log) -> tuple[SCT, ...]:
    ex = running_example()
    chain = [ex.server.certificate, ex.intermediate.certificate]
    return tuple(log.add_chain(chain, at=BOOK_CLOCK) for log in logs)


@pytest.mark.parametrize("as_bytes", [False, True])
def test_scts_delivered_via_tls_from_two_operators(as_bytes: bool) -> None:
    alder, birch, cedar, _ = demo_logs()
    two = _tls_scts(alder, birch)
    report, row = check(
        running_example().server, ct_policy="chrome", scts=encode_sct_list(two) if as_bytes else two
    )
    assert report.valid, row
    assert "2 SCTs delivered via TLS from 2 operators" in row and "tls SCT from" in row
    # Control: two logs of one operator (Birch, Cedar) are not enough.
    report, row = check(running_example().server, ct_policy="chrome", scts=_tls_scts(birch, cedar))
    assert not report.valid, row


def test_malformed_tls_list_is_ignored_not_an_exception() -> None:
    good = encode_sct_list(_tls_scts(*demo_logs()[:2]))
    for bad in (good[:-1], b"\x00\x05abc", good + b"\x00"):
        report, row = check(running_example().server, ct_policy="chrome", scts=bad)
        assert report.status_of(CT) == "fail"  # ignored, so no SCT at all
        assert "the SCT list delivered via TLS is malformed: " in row and "; ignored" in row
    # Control: the intact list.
    assert check(running_example().server, ct_policy="chrome", scts=good)[0].valid


@pytest.mark.parametrize("policy", ["chrome", "apple"])
def test_malformed_tls_list_does_not_spoil_embedded_scts(policy: str) -> None:
    """As Chromium does: an unreadable TLS list is ignored and the embedded SCTs judged."""
    report, row = check(issued().certificate, ct_policy=policy, scts=b"\x00\x05junk")
    assert report.valid, row
    assert row.startswith(f"pass: {policy.title()} CT policy met")
    assert "the SCT list delivered via TLS is malformed: " in row and row.endswith("; ignored")
    # Control: no TLS list, the same verdict without the note.
    report, row = check(issued().certificate, ct_policy=policy)
    assert report.valid and "malformed" not in row


def _staple(sct_list: bytes | None) -> bytes:
    """A good OCSP response for the server, its single response carrying ``sct_list``.

    cryptography's OCSPResponseBuilder cannot add single extensions, so the
    extension is put into the DER by hand and the response re-signed.
    """
    from pkiviz.revocation._common import default_hash
    from pkiviz.revocation.ocsp import _restamp, build_ocsp_response
    from pkiviz.vocabulary import OCSP_SCT_OID
    from pkiviz.x509 import der

    ex = running_example()
    data = build_ocsp_response(issuer=ex.intermediate, cert=ex.server, status="good").der
    if sct_list is None:
        return data
    status, wrapped = der.children(data, der.read_single(data))
    (response_bytes,) = der.children(data, wrapped)
    response_type, octets = der.children(data, response_bytes)
    basic_der = octets.content(data)
    basic = der.children(basic_der, der.read_single(basic_der))
    tbs = der.children(basic_der, basic[0])
    # tbsResponseData: [version,] responderID, producedAt, responses, [extensions]
    at = next(i for i, part in enumerate(tbs) if part.identifier == der.GENERALIZED_TIME) + 1
    (single,) = der.children(basic_der, tbs[at])
    extension = der.sequence(der.object_identifier(OCSP_SCT_OID), der.octet_string(sct_list))
    single_der = der.sequence(
        single.content(basic_der), der.encode_tlv(0xA1, der.sequence(extension))
    )
    new_tbs = der.sequence(
        *(part.encoded(basic_der) for part in tbs[:at]),
        der.sequence(single_der),
        *(part.encoded(basic_der) for part in tbs[at + 1 :]),
    )
    new_basic = der.sequence(new_tbs, *(part.encoded(basic_der) for part in basic[1:]))
    new_bytes = der.sequence(response_type.encoded(data), der.octet_string(new_basic))
    unsigned = der.sequence(status.encoded(data), der.encode_tlv(wrapped.identifier, new_bytes))
    algorithm = default_hash(ex.intermediate.private_key)
    return _restamp(unsigned, produced_at=BOOK_CLOCK, signer=ex.intermediate, algorithm=algorithm)


def _ocsp_sct_list() -> bytes:
    """The SCT list extension's extnValue: an OCTET STRING holding the TLS list."""
    return octet_string(encode_sct_list(_tls_scts(*demo_logs()[:2])))  # Alder (A), Birch (B)


def test_stapled_ocsp_scts_count_for_apple_not_chrome() -> None:
    staple = _staple(_ocsp_sct_list())
    report, row = check(running_example().server, ct_policy="apple", ocsp_staple=staple)
    assert report.valid, row
    assert "2 SCTs from approved logs, one delivered via TLS or OCSP" in row
    assert "ocsp SCT from Example 'Alder2026' log at 2026-03-01 12:00:00 UTC: verified;" in row
    assert report.status_of("revocation") == "pass"  # the re-signed staple is a good answer
    report, row = check(running_example().server, ct_policy="chrome", ocsp_staple=staple)
    assert not report.valid and report.status_of(CT) == "fail"
    assert row.count("(not counted: Chrome 148 and later ignore SCTs in OCSP responses)") == 2
    # Controls: a staple without SCTs, and no staple, give neither policy an SCT.
    for control in (_staple(None), None):
        for policy in ("apple", "chrome"):
            report, row = check(running_example().server, ct_policy=policy, ocsp_staple=control)
            assert not report.valid and "none (no SCT embedded" in row and "ocsp SCT" not in row


def test_malformed_stapled_sct_list_is_ignored() -> None:
    truncated = _staple(_ocsp_sct_list()[:-3])
    report, row = check(issued().certificate, ct_policy="apple", ocsp_staple=truncated)
    assert report.status_of(CT) == "pass", row  # the embedded SCTs still meet the policy
    assert "the SCT list in the stapled OCSP response is malformed: " in row
    assert row.endswith("; ignored") and "ocsp SCT" not in row
    report, row = check(running_example().server, ct_policy="apple", ocsp_staple=truncated)
    assert report.status_of(CT) == "fail" and "; ignored" in row  # nothing else to count
    # Control: the intact list in the same staple counts.
    report, row = check(
        running_example().server, ct_policy="apple", ocsp_staple=_staple(_ocsp_sct_list())
    )
    assert report.status_of(CT) == "pass" and "malformed" not in row


def test_malformed_embedded_list_is_a_failed_check() -> None:
    pre = issued().precertificate
    garbage = x509.UnrecognizedExtension(
        x509.ObjectIdentifier(SCT_LIST_OID), octet_string(b"\x00\x09abc")
    )
    # The precertificate re-signed with the poison replaced by a truncated SCT list.
    cert = _resign(
        pre.certificate,
        pre.issuer,  # type: ignore[arg-type]
        drop=(POISON_OID, SCT_LIST_OID),
        add=garbage,
        critical=False,
        live=False,
    )
    report, row = check(cert, ct_policy="chrome")
    assert report.status_of(CT) == "fail" and "the embedded SCT list is malformed" in row
    assert report.status_of("chain-of-trust") == "pass"
    # cryptography cannot parse its extensions either: the extensions check fails too.
    assert report.status_of("extensions") == "fail"
    # Control: the intact certificate.
    assert check(issued().certificate, ct_policy="chrome")[0].valid


def test_embedded_scts_need_the_issuer() -> None:
    ex = running_example()
    alone = validate(
        issued().certificate,
        trust_anchors=[issued().certificate],
        at=BOOK_CLOCK,
        ct_policy="chrome",
    )
    (row,) = alone.by_check(CT)
    assert row.status == "fail" and "the path has no issuer certificate" in row.message
    # Control: with the issuer on the path they verify.
    assert check(issued().certificate, ct_policy="chrome")[0].valid
    assert ex.intermediate is not None


def test_an_unknown_ct_policy_is_a_programmer_error() -> None:
    with pytest.raises(ValueError, match="ct_policy must be"):
        check(issued().certificate, ct_policy="firefox")


def test_an_sct_of_another_version_is_described_without_v1_fields() -> None:
    import dataclasses

    alder, birch, _, _ = demo_logs()
    v2 = dataclasses.replace(_tls_scts(birch)[0], version=1, timestamp=0)
    report, row = check(running_example().server, ct_policy="chrome", scts=(*_tls_scts(alder), v2))
    assert not report.valid and "tls SCT of unsupported version 1: unsupported-version (" in row
    assert "1970" not in row and "Birch" not in row
    # Control: the v1 SCT beside it is described in full.
    assert "tls SCT from Example 'Alder2026' log at 2026-03-01 12:00:00 UTC: verified" in row


def test_ct_logs_must_be_a_known_logs() -> None:
    from pkiviz.validation import Inputs

    logs = demo_logs()
    for wrong in (list(logs), logs[0], "log_list.json"):
        with pytest.raises(TypeError, match=r"ct_logs must be a pkiviz\.ct\.KnownLogs"):
            Inputs(running_example().server, ct_policy="chrome", ct_logs=wrong)  # type: ignore[arg-type]
    # Control: the same logs as a KnownLogs.
    Inputs(running_example().server, ct_policy="chrome", ct_logs=KnownLogs.of(*logs))


def test_future_sct_does_not_count() -> None:
    alder, birch, _, _ = demo_logs()
    ex = running_example()
    chain = [ex.server.certificate, ex.intermediate.certificate]
    future = birch.add_chain(chain, at=BOOK_CLOCK.replace(year=2040))
    report, row = check(ex.server, ct_policy="chrome", scts=(*_tls_scts(alder), future))
    assert not report.valid and "tls SCT from Example 'Birch2026' log at 2040-" in row
    assert ": future-timestamp (" in row
    # Control: Birch's SCT of the book clock.
    assert check(ex.server, ct_policy="chrome", scts=_tls_scts(alder, birch))[0].valid


# -- the command line ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ct_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pkiviz.lab.catalogue import get

    directory = tmp_path_factory.mktemp("ct")
    get("ct-valid").scenario().write_to(directory / "valid")
    get("ct-one-sct").scenario().write_to(directory / "one")
    return directory


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = cli.main(["validate", *argv])
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def _args(directory: Path, *extra: str) -> tuple[str, ...]:
    return (
        str(directory / "chain.pem"),
        "--trust",
        str(directory / "root.pem"),
        "--host",
        HOSTNAME,
        "--at",
        "2026-03-01T12:00:00Z",
        *extra,
    )


def test_cli_ct_chrome(ct_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, *_args(ct_files / "one", "--ct", "chrome"))
    assert status == 1 and "✗ FAIL    certificate-transparency" in out
    assert "Chrome CT policy not met" in out
    # Controls: three SCTs pass; without --ct the one-SCT certificate is valid.
    status, out, _ = run(capsys, *_args(ct_files / "valid", "--ct", "chrome"))
    assert status == 0 and "✓ pass    certificate-transparency" in out
    status, out, _ = run(capsys, *_args(ct_files / "one"))
    assert status == 0 and "–" in out and "RFC 5280 does not require" in out


def test_cli_ct_log_list(ct_files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    real = Path(__file__).parent / "data" / "ct" / "log_list.json"
    status, out, _ = run(
        capsys, *_args(ct_files / "valid", "--ct", "chrome", "--ct-log-list", str(real))
    )
    (line,) = [x for x in out.splitlines() if x.startswith("✗ FAIL    certificate-transparency")]
    assert status == 1 and line.count(": unknown-log (") == 3  # the real list has no demo logs
    bad = ct_files / "bad.json"
    bad.write_text('{"operators": 5}')
    deep = ct_files / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    naive = ct_files / "naive.json"
    naive.write_text(real.read_text().replace("T19:35:01Z", "T19:35:01"))
    assert naive.read_text() != real.read_text()
    for path, words in (
        (bad, "not a v3 log_list.json"),
        (deep, "nested too deeply"),
        (naive, "has no time zone"),
        (ct_files / "missing.json", "cannot read"),
    ):
        status, _, err = run(
            capsys, *_args(ct_files / "valid", "--ct", "chrome", "--ct-log-list", str(path))
        )
        assert status == 2 and str(path) in err and words in err
    status, _, err = run(capsys, *_args(ct_files / "valid", "--ct-log-list", str(real)))
    assert status == 2 and "--ct-log-list needs --ct" in err
