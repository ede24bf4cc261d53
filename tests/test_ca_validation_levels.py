"""DV, OV and EV as data, and the certificates they produce."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from pkiviz import running_example
from pkiviz.ca.validation_levels import (
    BUSINESS_CATEGORY,
    JURISDICTION_COUNTRY,
    LEVELS,
    SERIAL_NUMBER,
    issue_at_level,
    level,
    level_of,
    levels_table,
    spec_for,
)


def _oids(cert: x509.Certificate) -> set[str]:
    return {a.oid.dotted_string for a in cert.subject}


def _policies(cert: x509.Certificate) -> set[str]:
    ext = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    return {p.policy_identifier.dotted_string for p in ext}


@pytest.mark.parametrize(
    ("name", "oid"), [("dv", "2.23.140.1.2.1"), ("ov", "2.23.140.1.2.2"), ("ev", "2.23.140.1.1")]
)
def test_policy_oid_in_certificate(name: str, oid: str) -> None:
    leaf = issue_at_level(name)  # type: ignore[arg-type]
    assert _policies(leaf.certificate) == {oid}
    assert level(name).policy_oid == oid
    assert level_of(leaf.certificate) == name
    assert _policies(leaf.issuer.certificate) == {oid}  # type: ignore[union-attr]
    san = leaf.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["login.example.com"]


def test_dv_subject_is_only_the_name() -> None:
    cert = issue_at_level("dv").certificate
    assert _oids(cert) == {NameOID.COMMON_NAME.dotted_string}


def test_ov_subject_names_the_organisation_and_dv_does_not() -> None:
    ov = issue_at_level("ov").certificate.subject
    assert ov.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Example Login Inc."
    for oid in (NameOID.LOCALITY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.COUNTRY_NAME):
        assert ov.get_attributes_for_oid(oid)
    assert not issue_at_level("dv").certificate.subject.get_attributes_for_oid(
        NameOID.ORGANIZATION_NAME
    )


def test_ev_subject_fields_and_encodings() -> None:
    ev = issue_at_level("ev").certificate.subject
    (jurisdiction,) = ev.get_attributes_for_oid(JURISDICTION_COUNTRY)
    assert jurisdiction.value == "US"
    assert jurisdiction._type is x509.name._ASN1Type.PrintableString
    assert ev.get_attributes_for_oid(BUSINESS_CATEGORY)[0].value == "Private Organization"
    (registration,) = ev.get_attributes_for_oid(SERIAL_NUMBER)
    assert registration._type is x509.name._ASN1Type.PrintableString
    assert not issue_at_level("ov").certificate.subject.get_attributes_for_oid(BUSINESS_CATEGORY)


def test_spec_for_is_deterministic_and_overridable() -> None:
    assert spec_for("ev") == spec_for("ev")
    assert spec_for("dv", "www.example.com").dns_names == ("www.example.com",)
    assert spec_for("dv", key="rsa-2048").key == "rsa-2048"


def test_level_of_certificate_without_policies() -> None:
    # The running example's root asserts no policy at all.
    assert level_of(running_example().root.certificate) is None


def test_unknown_level_refused() -> None:
    with pytest.raises(ValueError, match="dv, ov or ev"):
        level("xv")


def test_levels_table() -> None:
    table = levels_table()
    assert table.column("Policy OID") == tuple(lv.policy_oid for lv in LEVELS)
    assert "jurisdictionCountryName" in str(table)
    assert "<table>" in table._repr_html_()
