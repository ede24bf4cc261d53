"""pkilint beside the validator: findings on the book's certificates, and the table."""

from __future__ import annotations

import pytest

from pkiviz.ca import lint
from pkiviz.ca.validation_levels import issue_at_level
from pkiviz.errors import InputError
from pkiviz.lab.catalogue import get

pytestmark = pytest.mark.skipif(lint.available() is not None, reason=str(lint.available()))


def test_wrong_eku_is_a_lint_error_and_the_intact_leaf_has_none_of_it() -> None:
    wrong = get("wrong-eku").scenario().leaf
    intact = get("valid").scenario().leaf
    assert wrong is not None and intact is not None
    kind, found = lint.lint(wrong)
    assert kind == "DV_FINAL_CERTIFICATE"
    assert "subscriber.serverauth_eku_absent" in lint.codes(found)
    # Control: the same leaf with its serverAuth EKU lacks that finding.
    assert "subscriber.serverauth_eku_absent" not in lint.codes(lint.lint(intact)[1])


def test_levels_are_detected_by_policy() -> None:
    kinds = [lint.lint(issue_at_level(level))[0] for level in ("dv", "ov", "ev")]
    assert kinds == ["DV_FINAL_CERTIFICATE", "OV_FINAL_CERTIFICATE", "EV_FINAL_CERTIFICATE"]


def test_book_table_rows_and_disagreements() -> None:
    table = lint.book_lint_table()
    rows = {row[0]: row for row in table.rows}
    assert list(rows)[:4] == ["DV", "OV", "EV", "valid"]
    assert all(
        rows[n][1] == "valid" and rows[n][3].startswith("pkilint only") for n in ["DV", "OV", "EV"]
    )
    assert rows["valid"][2:] == ("-", "both silent (control)")
    for same in (
        "wrong-eku",
        "intermediate-not-ca",
        "rsa-1024",
        "sha1-signature",
        "cn-only-no-san",
    ):
        assert rows[same][3] == "both, the same rule", same
    for silent in (
        "expired",
        "wrong-host",
        "missing-intermediate",
        "revoked",
        "tampered-signature",
    ):
        assert rows[silent][2] == "-" and rows[silent][3].startswith("pkiviz only"), silent
    assert rows["client-certificate-missing"][1] == "n/a"
    assert lint.book_lint_table() == table  # deterministic


def test_unreadable_certificate_is_an_input_error() -> None:
    from cryptography import x509

    class NotACert:
        def public_bytes(self, encoding: object) -> bytes:
            return b"not DER"

    with pytest.raises(InputError, match="cannot read"):
        lint.lint(NotACert())  # type: ignore[arg-type]
    assert x509  # the real type is what lint() takes


def test_a_validator_built_once_per_type_finds_what_a_fresh_one_finds() -> None:
    # lint() reuses pkilint's validator per certificate type (building it is the slow part):
    # on every catalogue certificate the findings equal those of a validator built afresh.
    from pkilint import finding_filter, loader
    from pkilint.cabf import serverauth
    from pkilint.pkix import certificate as pkix_certificate

    from pkiviz.ca.lint import _der, lint
    from pkiviz.lab.catalogue import CATALOGUE

    seen = {}
    for entry in CATALOGUE:
        scenario = entry.scenario()
        for cert in (c for c in (scenario.leaf, *scenario.intermediates) if c is not None):
            der = _der(cert)
            doc = loader.RFC5280CertificateDocumentLoader().load_der_document(der, "certificate")
            kind = serverauth.determine_certificate_type(doc)
            fresh = pkix_certificate.create_pkix_certificate_validator_container(
                serverauth.create_decoding_validators(), serverauth.create_validators(kind)
            )
            results, _ = finding_filter.filter_results(
                serverauth.create_serverauth_finding_filters(kind), fresh.validate(doc.root)
            )
            expected = [
                (d.finding.code, str(r.node.path)) for r in results for d in r.finding_descriptions
            ]
            assert [(f.code, f.node) for f in lint(cert)[1]] == expected
            seen[der] = tuple(expected)
    # Control: the comparison is not vacuous - the certificates' findings differ among them.
    assert len(set(seen.values())) > 3
