"""Certificates and reports side by side (pkiviz.ca.compare)."""

from __future__ import annotations

import pytest
from cryptography import x509

import pkiviz
from pkiviz.ca.compare import (
    ABSENT,
    CA_ROWS,
    ROW_NAMES,
    by_common_name,
    reports_side_by_side,
    side_by_side,
)
from pkiviz.ca.validation_levels import issue_at_level
from pkiviz.clock import BOOK_CLOCK
from pkiviz.validation import validate


@pytest.fixture(scope="module")
def levels() -> dict[str, pkiviz.Issued]:
    return {name.upper(): issue_at_level(name) for name in ("dv", "ov", "ev")}


def _row(table: pkiviz.table.Table, label: str) -> tuple[str, ...]:
    (row,) = [r for r in table.rows if r[0] == label]
    return row[1:]


def test_levels_side_by_side_shows_what_each_level_adds(levels: dict[str, pkiviz.Issued]) -> None:
    table = side_by_side(levels, caption="levels")
    assert table.columns == ("", "DV", "OV", "EV") and table.caption == "levels"
    assert _row(table, "subject CN (commonName)") == ("login.example.com",) * 3
    assert _row(table, "subject O (organizationName)") == (
        ABSENT,
        "Example Login Inc.",
        "Example Login Inc.",
    )
    assert _row(table, "subject jurisdictionStateOrProvinceName") == (ABSENT, ABSENT, "Delaware")
    assert _row(table, "subject serialNumber (registration no.)") == (ABSENT, ABSENT, "5550123")
    assert _row(table, "validation level (from the policy OID)") == ("DV", "OV", "EV")
    policies = _row(table, "certificate policies")
    assert [p.split()[0] for p in policies] == ["2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.1"]
    assert _row(table, "subject alt names") == ("DNS:login.example.com",) * 3
    # Control: an attribute none of them carries gets no row.
    assert not [r for r in table.rows if r[0].startswith("subject OU")]


def test_ca_rows_on_a_root_and_an_intermediate() -> None:
    ex = pkiviz.running_example()
    table = side_by_side({"root": ex.root, "intermediate": ex.intermediate}, rows=CA_ROWS)
    assert [r[0] for r in table.rows] == [
        "public key",
        "validity",
        "basic constraints",
        "key usage",
        "extended key usage",
        "certificate policies",
        "extensions",
    ]
    assert _row(table, "basic constraints")[0].startswith("CA=TRUE")
    assert "pathlen=0" in _row(table, "basic constraints")[1]
    assert _row(table, "extended key usage")[0] == ABSENT
    assert "keyCertSign" in _row(table, "key usage")[0]


def test_side_by_side_accepts_plain_certificates_and_rejects_misuse() -> None:
    ex = pkiviz.running_example()
    table = side_by_side({"leaf": ex.server.certificate}, rows=("issuer", "eku"))
    assert table.rows == (
        ("issuer CN", "Example Trust TLS CA 2026"),
        ("extended key usage", "serverAuth"),
    )
    with pytest.raises(ValueError, match="unknown row"):
        side_by_side({"leaf": ex.server}, rows=("colour",))
    with pytest.raises(ValueError, match="at least one"):
        side_by_side({})
    with pytest.raises(TypeError):
        side_by_side({"x": "not a certificate"})  # type: ignore[dict-item]
    assert "subject" in ROW_NAMES and "policies" in ROW_NAMES


def test_reports_side_by_side_marks_the_failing_check() -> None:
    ex = pkiviz.running_example()
    good = validate(
        ex.server,
        intermediates=[ex.intermediate],
        trust_anchors=[ex.root],
        peer_name="login.example.com",
        at=BOOK_CLOCK,
    )
    wrong_name = validate(
        ex.server,
        intermediates=[ex.intermediate],
        trust_anchors=[ex.root],
        peer_name="www.example.com",
        at=BOOK_CLOCK,
    )
    table = reports_side_by_side({"right name": good, "wrong name": wrong_name}, caption="c")
    assert table.columns == ("check", "right name", "wrong name")
    assert table.rows[0] == ("verdict", "VALID", "INVALID")
    assert _row(table, "hostname") == ("✓ pass", "✗ FAIL")
    assert _row(table, "signature") == ("✓ pass", "✓ pass")  # control: the rest agrees
    assert _row(table, "revocation") == ("– skipped", "– skipped")
    assert table.rows[-1] == ("first failure", ABSENT, "hostname at [0]")
    with pytest.raises(ValueError):
        reports_side_by_side({})


def test_by_common_name_filters_and_sorts() -> None:
    ex = pkiviz.running_example()
    certs: list[x509.Certificate] = [
        ex.client_root.certificate,
        ex.root.certificate,
        ex.intermediate.certificate,
        ex.root.certificate,  # a duplicate: the first one wins
    ]
    found = by_common_name(certs, contains="Root")
    assert list(found) == ["Example Trust Client Auth Root CA", "Example Trust Root CA"]
    assert found["Example Trust Root CA"] is ex.root.certificate
    assert by_common_name(certs, contains="DigiCert") == {}
