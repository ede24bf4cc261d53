"""The validator: every check fails on a broken chain and passes on its control.

Chains come from the factory; a broken certificate is a new spec made with
``dataclasses.replace`` and built again. A few malformations the factory
cannot encode (v1, duplicate extensions) come from x509-limbo's data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.utils import CryptographyDeprecationWarning

from pkiviz.clock import BOOK_CLOCK
from pkiviz.crosscheck import limbo
from pkiviz.validation import (
    CHECK_NAMES,
    Check,
    Limits,
    PeerName,
    Report,
    check_table,
    validate,
)
from pkiviz.validation.facts import _der_fields
from pkiviz.x509 import der
from pkiviz.x509.example import HOSTNAME, running_example
from pkiviz.x509.factory import CA, Issued, build
from pkiviz.x509.spec import CustomExtension

UTC = dt.UTC
EX = running_example()


def server(leaf: Issued | x509.Certificate = EX.server, **options: object) -> Report:
    defaults: dict[str, object] = {
        "intermediates": [EX.intermediate],
        "trust_anchors": [EX.root],
        "peer_name": HOSTNAME,
        "at": BOOK_CLOCK,
    }
    defaults.update(options)
    return validate(leaf, **defaults)  # type: ignore[arg-type]


def leaf_with(**changes: object) -> Issued:
    return build(dataclasses.replace(EX.server.spec, **changes), EX.intermediate)


def assert_only_failure(report: Report, check: str) -> Check:
    assert not report.valid
    assert {c.check for c in report.failed} == {check}, report.text()
    first = report.first_failure
    assert first is not None
    return first


# -- the running example: the control for everything below --------------------


def test_running_example_is_valid() -> None:
    report = server()
    assert report.valid, report.text()
    assert report.first_failure is None
    assert len(report.path) == 3
    assert report.path[0] == EX.server.certificate
    assert report.candidates[0].valid


def test_every_check_appears_in_order() -> None:
    report = server()
    seen = list(dict.fromkeys(c.check for c in report.checks))
    assert seen == list(CHECK_NAMES)
    assert seen[:4] == ["chain-of-trust", "validity", "hostname", "revocation"]
    assert [row["name"] for row in check_table()] == list(CHECK_NAMES)


def test_client_certificate_for_client_purpose() -> None:
    ok = validate(EX.client, trust_anchors=[EX.client_root], purpose="client", at=BOOK_CLOCK)
    assert ok.valid, ok.text()
    bad = validate(EX.client, trust_anchors=[EX.client_root], purpose="server", at=BOOK_CLOCK)
    assert "extended-key-usage" in {c.check for c in bad.failed}


# -- chain of trust -------------------------------------------------------------


def test_missing_intermediate() -> None:
    first = assert_only_failure(server(intermediates=[]), "chain-of-trust")
    assert "Example Trust TLS CA 2026" in first.message
    assert server().valid


def test_untrusted_root() -> None:
    other = CA.root("Somebody Else Root")
    report = server(intermediates=[EX.intermediate, EX.root], trust_anchors=[other])
    first = assert_only_failure(report, "chain-of-trust")
    assert "self-signed but is not one of the trust anchors" in first.message
    assert server(intermediates=[EX.intermediate, EX.root]).valid


def test_no_trust_anchors_at_all() -> None:
    first = assert_only_failure(server(trust_anchors=[]), "chain-of-trust")
    assert "no trust anchors" in first.message


def test_wrong_key_under_same_name() -> None:
    impostor = EX.root.intermediate(
        "Example Trust TLS CA 2026",
        label="impostor CA",
        subject=EX.intermediate.spec.subject,
    )
    leaf = impostor.issue_server(HOSTNAME, label="impostor leaf")
    report = server(leaf)
    assert {c.check for c in report.failed} == {"chain-of-trust", "signature"}
    assert any("signature does not verify" in c.reason for c in report.candidates)
    assert server(leaf, intermediates=[impostor]).valid


def test_cross_signed_path_backtracks_to_the_good_one() -> None:
    root_a = CA.root("Cross Root A")
    root_b = CA.root("Cross Root B")
    root_c = CA.root("Cross Root C")
    # A, cross-signed by B (but limited to no intermediates below it) and by C.
    same_key = {"key_seed": root_a.spec.seed}
    limited = build(
        dataclasses.replace(root_a.spec, label="A by B", path_length=0, **same_key), root_b
    )
    by_c = build(dataclasses.replace(root_a.spec, label="A by C", **same_key), root_c)
    inter = root_a.intermediate("Cross Intermediate")
    leaf = inter.issue_server("cross.example.com")
    report = validate(
        leaf,
        intermediates=[inter, limited, by_c],
        trust_anchors=[root_b, root_c],
        peer_name="cross.example.com",
        at=BOOK_CLOCK,
    )
    assert report.valid, report.text()
    assert report.path[-1] == root_c.certificate
    rejected = [c for c in report.candidates if not c.valid]
    assert any("path-length" in c.reason for c in rejected)
    # Control: with only the limited cross-sign, the path-length failure is the verdict.
    only_b = validate(
        leaf,
        intermediates=[inter, limited],
        trust_anchors=[root_b],
        peer_name="cross.example.com",
        at=BOOK_CLOCK,
    )
    assert_only_failure(only_b, "path-length")
    # The text lists the paths not chosen; the chosen one (valid or not) is not repeated.
    assert "1 other candidate path(s) rejected:" in report.text()
    assert "other candidate" not in only_b.text()


def test_cycle_terminates_and_is_recorded() -> None:
    y0 = CA.root("Cycle Y", label="cycle Y seed")
    x = build(dataclasses.replace(y0.spec, label="cycle X", subject="CN=Cycle X"), y0)
    y = build(dataclasses.replace(y0.spec, label="cycle Y", key_seed=y0.spec.seed), x)
    leaf = x.issue_server("cycle.example.com")
    report = validate(
        leaf,
        intermediates=[x, y],
        trust_anchors=[EX.root],
        peer_name="cycle.example.com",
        at=BOOK_CLOCK,
    )
    assert_only_failure(report, "chain-of-trust")
    assert any("cycle" in c.reason for c in report.candidates)
    assert validate(
        leaf, intermediates=[x], trust_anchors=[y], peer_name="cycle.example.com", at=BOOK_CLOCK
    ).valid


def test_pathological_pool_is_bounded() -> None:
    same = CA.root("Loop CA", label="loop 0")
    pool = [build(dataclasses.replace(same.spec, label=f"loop {i}"), same) for i in range(1, 30)]
    leaf = same.issue_server("loop.example.com")
    limits = Limits(signatures=50, steps=200)
    report = validate(
        leaf, intermediates=pool, trust_anchors=[EX.root], limits=limits, at=BOOK_CLOCK
    )
    assert not report.valid
    assert len(report.candidates) <= limits.recorded
    assert validate(leaf, trust_anchors=[same], limits=limits, at=BOOK_CLOCK).valid


def test_max_chain_depth() -> None:
    report = server(max_chain_depth=0)
    assert {c.check for c in report.failed} == {"chain-of-trust", "path-length"}
    assert "maximum chain depth" in report.failed[0].message
    assert server(max_chain_depth=1).valid


# -- the article's other three --------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "word"),
    [
        ({"not_after": dt.datetime(2026, 2, 1, tzinfo=UTC)}, "expired"),
        ({"not_before": dt.datetime(2026, 4, 1, tzinfo=UTC)}, "not valid yet"),
    ],
)
def test_validity(changes: dict[str, object], word: str) -> None:
    first = assert_only_failure(server(leaf_with(**changes)), "validity")
    assert word in first.message
    assert first.certificate is not None and first.certificate.index == 0
    # Control: the same certificate, validated inside its window, passes.
    month = 1 if word == "expired" else 5
    assert server(leaf_with(**changes), at=dt.datetime(2026, month, 15, tzinfo=UTC)).valid


def test_validity_of_the_root_too() -> None:
    assert_only_failure(server(at=dt.datetime(2050, 6, 1, tzinfo=UTC)), "validity")
    assert server(at=dt.datetime(2030, 6, 1, tzinfo=UTC)).valid


def test_hostname_mismatch_and_cn_not_consulted() -> None:
    first = assert_only_failure(server(peer_name="www.example.com"), "hostname")
    assert "DNS:login.example.com" in first.message
    assert server(peer_name="LOGIN.Example.COM").valid


@pytest.mark.parametrize(
    ("peer", "ok"),
    [
        ("a.example.com", True),
        ("a.b.example.com", False),
        ("example.com", False),
    ],
)
def test_wildcard_is_one_label(peer: str, ok: bool) -> None:
    leaf = leaf_with(label="wild", subject="CN=*.example.com", dns_names=("*.example.com",))
    assert server(leaf, peer_name=peer).valid is ok


def test_requested_name_is_a_host_name_never_a_pattern() -> None:
    # RFC 9525 6.3: only the certificate's name may be a wildcard. The library reports
    # the bad request as a failed hostname check (it never raises on bad input).
    leaf = leaf_with(label="wild", subject="CN=*.example.com", dns_names=("*.example.com",))
    first = assert_only_failure(server(leaf, peer_name="*.example.com"), "hostname")
    assert "'*.example.com' is not a valid host name: it contains a wildcard" in first.message
    assert first.rfc == "RFC 9525 6.3"
    # Control: a host name the wildcard covers passes against the same certificate.
    assert server(leaf, peer_name="login.example.com").valid


@pytest.mark.parametrize(
    ("peer", "reason"),
    [
        ("", "it is empty"),
        ("login..example.com", "empty label"),
        (".login.example.com", "empty label"),
        ("login.example.com..", "empty label"),
        ("login.example.com/path", "the label 'com/path' is not a valid DNS label"),
        ("login_1.example.com", "the label 'login_1' is not a valid DNS label"),
        ("login.*.com", "wildcard"),
        ("a" * 64 + ".example.com", "is not a valid DNS label"),
        ("a." * 126 + "com", "255 characters long; a DNS name has at most 253"),
    ],
)
def test_syntactically_invalid_requested_names(peer: str, reason: str) -> None:
    first = assert_only_failure(server(peer_name=PeerName("dns", peer)), "hostname")
    assert f"{peer!r} is not a valid host name: " in first.message
    assert reason in first.message


@pytest.mark.parametrize("peer", ["login.example.com", "login.example.com.", "LOGIN.Example.COM"])
def test_valid_requested_names_beside_the_invalid_ones(peer: str) -> None:
    # Control: one trailing dot (the root) and any case are fine.
    assert server(peer_name=peer).valid


def test_a_63_octet_label_is_the_longest_requested() -> None:
    longest = "a" * 63 + ".example.com"
    leaf = leaf_with(label="long", subject="O=Example Long Names", dns_names=(longest,))
    assert server(leaf, peer_name=longest).valid
    first = assert_only_failure(server(leaf, peer_name="a" + longest), "hostname")
    assert "not a valid DNS label" in first.message


def test_an_idn_is_asked_for_in_either_form() -> None:
    leaf = leaf_with(
        label="idn", subject="CN=xn--bcher-kva.example", dns_names=("xn--bcher-kva.example",)
    )
    assert server(leaf, peer_name="bücher.example").valid
    assert server(leaf, peer_name="xn--bcher-kva.example").valid
    first = assert_only_failure(server(leaf, peer_name="bücher..example"), "hostname")
    assert "not a valid host name" in first.message


def test_wildcard_over_a_public_suffix_matches_nothing() -> None:
    leaf = leaf_with(label="wild com", subject="CN=*.com", dns_names=("*.com",))
    first = assert_only_failure(server(leaf, peer_name="example.com"), "hostname")
    assert "public suffix" in first.message
    assert server(leaf, peer_name="example.com", profile="rfc5280").valid


@pytest.mark.parametrize(
    ("suffix", "public"),
    [("co.uk", True), ("s3.amazonaws.com", True), ("example.co.uk", False), ("www.ck", False)],
)
def test_wildcard_over_a_multi_label_public_suffix(suffix: str, public: bool) -> None:
    # The list ships with the publicsuffixlist package, so this holds on any machine;
    # the private section (s3.amazonaws.com) and exception rules (!www.ck) count too.
    leaf = leaf_with(label=f"wild {suffix}", subject=f"CN=*.{suffix}", dns_names=(f"*.{suffix}",))
    report = server(leaf, peer_name=f"host.{suffix}")
    assert report.valid is not public, report.text()


def test_ip_address_needs_an_ip_san() -> None:
    as_dns = leaf_with(label="ip dns", subject="CN=192.0.2.7", dns_names=("192.0.2.7",))
    assert "hostname" in {c.check for c in server(as_dns, peer_name="192.0.2.7").failed}
    as_ip = leaf_with(
        label="ip ip", subject="CN=192.0.2.7", dns_names=(), ip_addresses=("192.0.2.7",)
    )
    assert server(as_ip, peer_name="192.0.2.7").valid
    assert server(as_ip, peer_name=PeerName("ip", "192.0.2.7")).valid


def test_hostname_cites_rfc_9525_6_3_for_dns_and_6_4_for_ip() -> None:
    as_ip = leaf_with(
        label="ip ip", subject="CN=192.0.2.7", dns_names=(), ip_addresses=("192.0.2.7",)
    )
    assert [c.rfc for c in server(as_ip, peer_name="192.0.2.7").by_check("hostname")] == [
        "RFC 9525 6.4"
    ]
    missed = server(as_ip, peer_name="192.0.2.8").by_check("hostname")
    assert [(c.status, c.rfc) for c in missed] == [("fail", "RFC 9525 6.4")]
    # control: a DNS name is section 6.3, passing or failing
    assert [c.rfc for c in server().by_check("hostname")] == ["RFC 9525 6.3"]
    assert [c.rfc for c in server(peer_name="www.example.com").by_check("hostname")] == [
        "RFC 9525 6.3"
    ]


def test_cn_note_cites_the_cn_rules_once() -> None:
    cn_only = leaf_with(label="cn only", dns_names=())
    (check,) = server(cn_only).by_check("hostname")
    text = str(check)
    assert "RFC 9525 has no CN-ID (Appendix A)" in text and "RFC 6125 6.4.4" in text
    assert text.count("RFC 9525 6.3") == 1 and text.endswith("(RFC 9525 6.3)")
    # control: no note when the CN does not name the peer
    (other,) = server(cn_only, peer_name="www.example.com").by_check("hostname")
    assert "CN" not in other.message


def test_no_peer_name_skips_hostname() -> None:
    report = server(peer_name=None)
    assert report.valid
    assert report.status_of("hostname") == "skipped"


def _crl(
    issuer: Issued, revoked: list[int], *, number: bool = True
) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(dt.datetime(2026, 1, 1, tzinfo=UTC))
        .next_update(dt.datetime(2026, 6, 1, tzinfo=UTC))
    )
    if number:
        builder = builder.add_extension(x509.CRLNumber(7), critical=False)
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(dt.datetime(2026, 2, 1, tzinfo=UTC))
            .build()
        )
    return builder.sign(issuer.private_key, hashes.SHA256())  # type: ignore[arg-type]


def test_revocation() -> None:
    revoked = _crl(EX.intermediate, [EX.server.certificate.serial_number])
    first = assert_only_failure(server(crls=[revoked]), "revocation")
    assert "REVOKED" in first.message
    report = server(crls=[_crl(EX.intermediate, [12345])])
    assert report.valid and report.status_of("revocation") == "pass"


def test_unusable_crl_means_unknown_status() -> None:
    first = assert_only_failure(
        server(crls=[_crl(EX.intermediate, [], number=False)]), "revocation"
    )
    assert "CRL number" in first.message


def test_no_crl_and_ocsp_are_reported_honestly() -> None:
    plain = server()
    assert plain.status_of("revocation") == "skipped"
    assert "not checked" in plain.by_check("revocation")[0].message
    with_junk = server(ocsp_responses=[b"a response"])  # checked now: junk is not an answer
    assert with_junk.status_of("revocation") == "fail"
    assert "not a DER OCSPResponse" in with_junk.by_check("revocation")[0].message


# -- the rest of the table -------------------------------------------------------


def test_basic_constraints_ca_false_intermediate() -> None:
    not_ca = build(dataclasses.replace(EX.intermediate.spec, label="not a CA", ca=False), EX.root)
    leaf = build(dataclasses.replace(EX.server.spec, label="under not-ca"), not_ca)
    report = server(leaf, intermediates=[not_ca])
    assert "basic-constraints" in {c.check for c in report.failed}
    assert report.by_check("basic-constraints")[1].failed


def test_path_length_exceeded() -> None:
    inter2 = EX.intermediate.intermediate("Second TLS CA", extended_key_usage=("server_auth",))
    leaf = inter2.issue_server(HOSTNAME, label="deep leaf")
    first = assert_only_failure(
        server(leaf, intermediates=[EX.intermediate, inter2]), "path-length"
    )
    assert "pathLenConstraint=0" in first.message
    relaxed = build(
        dataclasses.replace(EX.intermediate.spec, label="relaxed", path_length=1), EX.root
    )
    inter2b = build(dataclasses.replace(inter2.spec, label="second b"), relaxed)
    leaf_b = build(dataclasses.replace(leaf.spec, label="deep leaf b"), inter2b)
    assert server(leaf_b, intermediates=[relaxed, inter2b]).valid


def test_key_usage_without_keycertsign() -> None:
    bad = build(
        dataclasses.replace(EX.intermediate.spec, label="no certsign", key_usage=("crl_sign",)),
        EX.root,
    )
    leaf = build(dataclasses.replace(EX.server.spec, label="under no certsign"), bad)
    first = assert_only_failure(server(leaf, intermediates=[bad]), "key-usage")
    assert "keyCertSign" in first.message


def test_extended_key_usage() -> None:
    first = assert_only_failure(
        server(leaf_with(label="client eku", extended_key_usage=("client_auth",))),
        "extended-key-usage",
    )
    assert "serverAuth" in first.message
    override = server(
        leaf_with(label="client eku", extended_key_usage=("client_auth",)),
        extended_key_usage=["client_auth"],
    )
    assert override.by_check("extended-key-usage")[0].passed  # the leaf now passes
    assert override.by_check("extended-key-usage")[1].failed  # its CA allows serverAuth only


def test_intermediate_eku_restricts() -> None:
    # The running example's intermediate allows serverAuth only: its client leaf fails.
    leaf = EX.intermediate.issue_client("bob@example.com", label="bob")
    report = validate(
        leaf,
        intermediates=[EX.intermediate],
        trust_anchors=[EX.root],
        purpose="client",
        at=BOOK_CLOCK,
    )
    assert [c.certificate.index for c in report.failed if c.certificate] == [1]
    assert validate(
        EX.client, trust_anchors=[EX.client_root], purpose="client", at=BOOK_CLOCK
    ).valid


def test_name_constraints() -> None:
    def under(permitted: str) -> Report:
        ca = build(
            dataclasses.replace(
                EX.intermediate.spec, label=f"nc {permitted}", permitted_subtrees=(permitted,)
            ),
            EX.root,
        )
        leaf = build(dataclasses.replace(EX.server.spec, label=f"leaf nc {permitted}"), ca)
        return server(leaf, intermediates=[ca])

    first = assert_only_failure(under("DNS:example.org"), "name-constraints")
    assert "outside the permitted subtrees" in first.message
    assert under("DNS:example.com").valid


def test_subject_alt_name_required_in_webpki_only() -> None:
    bare = leaf_with(label="no san", dns_names=())
    first = assert_only_failure(server(bare, peer_name=None), "subject-alt-name")
    assert "BR" in first.rfc
    assert server(bare, peer_name=None, profile="rfc5280").valid


def test_common_name_not_in_san_is_a_finding_by_default() -> None:
    # BR 7.1.4.3 binds the CA; no browser-grade client enforces it when validating.
    other = leaf_with(label="cn other", subject="CN=other.example.com")
    report = server(other)
    assert report.valid and report.profile == "browser", report.text()
    (finding,) = report.findings
    assert (finding.check, finding.rfc) == ("common-name", "BR 7.1.4.3")
    assert "other.example.com" in finding.message and finding.certificate.index == 0
    assert report.status_of("common-name") == "skipped"
    assert "finding" in report.text() and "finding" in report._repr_html_()
    assert report.to_json_dict()["findings"][0]["check"] == "common-name"
    # The issuance profile enforces it; RFC 5280 alone has no such rule.
    assert assert_only_failure(server(other, profile="webpki"), "common-name").rfc == "BR 7.1.4.3"
    assert server(other, profile="webpki").findings == ()
    assert server(other, profile="rfc5280").valid
    assert server(other, profile="rfc5280").findings == ()
    # Control: a CN that copies a SAN gives no finding, and the row passes under both.
    control = server()
    assert control.valid and control.findings == ()
    assert "finding" not in control.text() and "finding" not in control._repr_html_()
    assert control.status_of("common-name") == "pass"
    assert server(profile="webpki").status_of("common-name") == "pass"


def test_leaf_without_eku_is_a_finding_by_default() -> None:
    bare = leaf_with(label="no eku", extended_key_usage=())
    report = server(bare)
    assert report.valid, report.text()
    assert [(f.check, f.rfc) for f in report.findings] == [("extended-key-usage", "BR 7.1.2.7.10")]
    assert_only_failure(server(bare, profile="webpki"), "extended-key-usage")
    # Control: what a client does enforce stays a failure under the default
    # (rustls-webpki refuses anyExtendedKeyUsage in place of serverAuth).
    any_eku = leaf_with(label="any eku", extended_key_usage=("any",))
    assert_only_failure(server(any_eku), "extended-key-usage")
    assert server(any_eku).findings == ()


def test_findings_are_kept_on_an_invalid_chain_too() -> None:
    # A finding sits beside the verdict whatever the verdict: expired and CN not in SAN.
    both = leaf_with(
        label="cn other expired",
        subject="CN=other.example.com",
        not_after=dt.datetime(2026, 2, 1, tzinfo=UTC),
    )
    report = server(both)
    assert_only_failure(report, "validity")
    assert [f.check for f in report.findings] == ["common-name"]


def test_key_identifiers() -> None:
    first = assert_only_failure(
        server(leaf_with(label="no aki", authority_key_identifier=False)), "key-identifiers"
    )
    assert "authorityKeyIdentifier" in first.message


def _patched_serial_zero(issued: Issued) -> x509.Certificate:
    der = issued.der
    marker = b"\xa0\x03\x02\x01\x02\x02\x01\x01"  # version v3, then INTEGER 1
    assert marker in der
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_der_x509_certificate(der.replace(marker, marker[:-1] + b"\x00", 1))


def test_serial_number_zero() -> None:
    one = leaf_with(label="serial one", serial=1)
    assert server(one).valid
    report = server(_patched_serial_zero(one))
    assert report.status_of("serial-number") == "fail"
    assert "not positive" in report.by_check("serial-number")[0].message


def test_unknown_critical_extension() -> None:
    ext = CustomExtension("1.3.6.1.4.1.55738.666.1", b"\x05\x00", critical=True)
    first = assert_only_failure(
        server(leaf_with(label="crit", extra_extensions=(ext,))), "critical-extensions"
    )
    assert "is unknown" in first.message
    harmless = dataclasses.replace(ext, critical=False)
    assert server(leaf_with(label="noncrit", extra_extensions=(harmless,))).valid


def test_policy_constraints_form() -> None:
    pc = bytes.fromhex("3003800103")  # requireExplicitPolicy 3

    def with_pc(critical: bool) -> Report:
        ca = build(
            dataclasses.replace(
                EX.intermediate.spec,
                label=f"pc {critical}",
                extra_extensions=(CustomExtension("2.5.29.36", pc, critical=critical),),
            ),
            EX.root,
        )
        leaf = build(dataclasses.replace(EX.server.spec, label=f"leaf pc {critical}"), ca)
        return server(leaf, intermediates=[ca], profile="rfc5280")

    assert with_pc(False).status_of("policy") == "fail"
    assert with_pc(True).status_of("policy") == "pass"


def test_algorithms_ed25519_is_not_web_pki() -> None:
    ed = leaf_with(label="ed leaf", key="ed25519")
    first = assert_only_failure(server(ed), "algorithms")
    assert "Ed25519" in first.message
    assert server(ed, profile="rfc5280").valid


def test_algorithms_cites_key_sizes_and_algorithms() -> None:
    weak = assert_only_failure(
        server(leaf_with(label="rsa-1024 leaf", key="rsa-1024")), "algorithms"
    )
    assert weak.rfc == "BR 6.1.5, 7.1.3"  # key sizes are BR 6.1.5, algorithms 7.1.3
    assert {c.rfc for c in server().by_check("algorithms")} == {"BR 6.1.5, 7.1.3"}
    assert {c.rfc for c in server(profile="rfc5280").by_check("algorithms")} == {"RFC 5280 4.1.1.2"}


def test_check_table_cites_the_right_sections() -> None:
    rules = {row["name"]: row["rfc"] for row in check_table()}
    assert rules["hostname"] == "RFC 9525 6.3, 6.4"
    assert rules["algorithms"] == "BR 6.1.5, 7.1.3"
    assert rules["revocation"] == "RFC 5280 6.3; RFC 6960"


def test_sha1_signatures_are_refused_plainly() -> None:
    root = CA.root("SHA-1 Test Root", key="rsa-2048")
    legacy = root.issue_server("legacy.example.com", hash="sha1")
    modern = root.issue_server("legacy.example.com")  # control: same CA, SHA-256
    assert validate(
        modern, trust_anchors=[root], peer_name="legacy.example.com", at=BOOK_CLOCK
    ).valid
    for profile in ("webpki", "rfc5280"):
        report = validate(
            legacy,
            trust_anchors=[root],
            peer_name="legacy.example.com",
            profile=profile,
            at=BOOK_CLOCK,
        )
        (signature,) = [c for c in report.by_check("signature") if c.failed]
        assert "SHA-1 signatures are refused" in signature.message
        assert "BRs (7.1.3.2)" in signature.message and "SHAttered" in signature.message
        assert "could not be checked" not in report.text()
    webpki = validate(legacy, trust_anchors=[root], peer_name="legacy.example.com", at=BOOK_CLOCK)
    assert "SHA-1 signatures are refused" in webpki.by_check("algorithms")[0].message
    assert webpki.by_check("algorithms")[0].rfc == "BR 7.1.3"  # a signature, not a key size


# -- malformed certificates from x509-limbo ------------------------------------


@functools.lru_cache(maxsize=1)
def _limbo() -> dict[str, dict[str, object]]:
    if not limbo.DEFAULT_LIMBO.exists():
        return {}
    return {c["id"]: c for c in limbo.load_cases()}


@pytest.mark.parametrize(
    ("case_id", "check"),
    [
        ("webpki::v1-cert", "version"),
        ("rfc5280::duplicate-extensions", "extensions"),
        ("rfc5280::ee-empty-issuer", "names"),
        ("webpki::malformed-aia", "extensions"),
    ],
)
def test_malformed_from_limbo(case_id: str, check: str) -> None:
    case = _limbo().get(case_id)
    if case is None:
        pytest.skip("x509-limbo not available")
    report = limbo.validate_case(case)  # type: ignore[arg-type]
    assert report.status_of(check) == "fail", report.text()
    # Control: the suite's plain valid chain passes.
    control = _limbo()["webpki::san::exact-dns-san"]
    assert limbo.run_pkiviz(control) == ("SUCCESS", "")  # type: ignore[arg-type]


# -- the DER walk behind the algorithm checks ----------------------------------


def test_algorithm_fields_of_a_corrupted_certificate() -> None:
    # facts reads the two AlgorithmIdentifiers with pkiviz.x509.der; corrupted bytes give
    # (b"", b"", False), never a loose reading or an exception.
    good = EX.server.der
    outer, inner, explicit = _der_fields(good)
    expected = der.object_identifier(EX.server.certificate.signature_algorithm_oid.dotted_string)
    assert outer == inner and outer.startswith(b"\x30") and expected in outer
    assert explicit is False
    corrupted = [
        good[:-10],  # truncated
        good + b"\x00",  # a trailing byte
        b"",
        der.sequence(der.sequence(), der.sequence()),  # two elements, not three
        der.sequence(
            der.sequence(der.null()), der.sequence(), der.bit_string(b"")
        ),  # TBS of one field
        b"\x04" + good[1:],  # an OCTET STRING, not a SEQUENCE
    ]
    for data in corrupted:
        assert _der_fields(data) == (b"", b"", False), data[:16].hex()


def test_explicit_curve_is_read_through_the_der_reader() -> None:
    case = _limbo().get("webpki::explicit-curve")
    if case is None:
        pytest.skip("x509-limbo explicit-curve case not available")
    leaf = x509.load_pem_x509_certificate(str(case["peer_certificate"]).encode())
    assert _der_fields(leaf.public_bytes(serialization.Encoding.DER))[2] is True
    assert limbo.validate_case(case).status_of("algorithms") == "fail"  # type: ignore[arg-type]
    # Control: a named curve (the running example's P-256 leaf) is not explicit.
    assert _der_fields(EX.server.der)[2] is False


# -- the report object -------------------------------------------------------------


def test_report_renders_and_serialises() -> None:
    good, bad = server(), server(peer_name="www.example.com")
    html = bad._repr_html_()
    assert "✗ FAIL" in html and "✓ pass" in html and "<table" in html
    text = bad.text()
    assert text.startswith("INVALID: hostname:")
    data = json.loads(json.dumps(good.to_json_dict()))
    assert set(data) >= {"valid", "checks", "path", "candidates"}
    assert set(data["checks"][0]) == {"check", "status", "certificate", "message", "rfc"}
    assert data["valid"] is True and data["path"][0]["subject"] == "CN=login.example.com"
    with pytest.raises(dataclasses.FrozenInstanceError):
        good.checks[0].status = "fail"  # type: ignore[misc]
    assert isinstance(good.checks, tuple) and isinstance(good.candidates, tuple)


def test_misuse_raises_but_bad_certificates_do_not() -> None:
    with pytest.raises(TypeError):
        validate("not a certificate", at=BOOK_CLOCK)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="profile"):
        server(profile="x509")
    with pytest.raises(ValueError, match="purpose"):
        server(purpose="email")
    pem = EX.server.certificate.public_bytes(serialization.Encoding.PEM)
    assert validate(x509.load_pem_x509_certificate(pem), at=BOOK_CLOCK).path


def test_missing_eku_message_names_whose_rule_it_is() -> None:
    from pkiviz.validation import validate as _validate

    root = CA.root("EKU message root")
    client = root.issue_client("noeku@example.com", extended_key_usage=())
    server = root.issue_server("noeku.example.com", extended_key_usage=())
    # The issuance profile fails on it (the default reports it as a finding).
    as_client = _validate(
        client, trust_anchors=[root], purpose="client", profile="webpki", at=BOOK_CLOCK
    )
    as_server = _validate(
        server, trust_anchors=[root], peer_name="noeku.example.com", profile="webpki", at=BOOK_CLOCK
    )
    client_row = next(c for c in as_client.checks if c.check == "extended-key-usage")
    server_row = next(c for c in as_server.checks if c.check == "extended-key-usage")
    assert client_row.status == server_row.status == "fail"
    assert "this profile requires clientAuth" in client_row.message
    assert client_row.rfc.startswith("BR 7.1.2.7.10 (by analogy)")
    # Control: for a server certificate the BRs' own rule is cited.
    assert "the BRs require serverAuth" in server_row.message and server_row.rfc == "BR 7.1.2.7.10"
