"""Certificates and validation reports side by side, one column each.

A chapter about certificate authorities keeps comparing: the DV, OV and EV
certificates for one domain, the leaves under a good and a revoked
intermediate, a trust store's roots. :func:`side_by_side` puts chosen fields
of several certificates in one :class:`~pkiviz.table.Table` (one row per field,
``-`` where a certificate lacks it); :func:`reports_side_by_side` does the
same for :class:`~pkiviz.validation.Report` verdicts, one row per check.
:func:`by_common_name` picks certificates out of a bundle by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from cryptography import x509
from cryptography.x509.oid import NameOID

from pkiviz.ca.validation_levels import (
    BUSINESS_CATEGORY,
    JURISDICTION_COUNTRY,
    JURISDICTION_STATE,
    SERIAL_NUMBER,
    level_of,
)
from pkiviz.table import Table
from pkiviz.validation import CHECKS, Report
from pkiviz.validation.inputs import CertLike, as_certificate
from pkiviz.validation.report import SYMBOLS
from pkiviz.x509.anatomy import Anatomy, anatomy

ABSENT = "-"

#: Subject attributes in the order the rows list them, with the label each row gets.
SUBJECT_ATTRIBUTES: tuple[tuple[x509.ObjectIdentifier, str], ...] = (
    (NameOID.COMMON_NAME, "subject CN (commonName)"),
    (NameOID.ORGANIZATION_NAME, "subject O (organizationName)"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "subject OU (organizationalUnitName)"),
    (NameOID.LOCALITY_NAME, "subject L (localityName)"),
    (NameOID.STATE_OR_PROVINCE_NAME, "subject ST (stateOrProvinceName)"),
    (NameOID.COUNTRY_NAME, "subject C (countryName)"),
    (BUSINESS_CATEGORY, "subject businessCategory"),
    (JURISDICTION_COUNTRY, "subject jurisdictionCountryName"),
    (JURISDICTION_STATE, "subject jurisdictionStateOrProvinceName"),
    (SERIAL_NUMBER, "subject serialNumber (registration no.)"),
)

#: The rows :func:`side_by_side` shows by default: what differs between DV, OV and EV.
LEVEL_ROWS: tuple[str, ...] = ("subject", "san", "eku", "policies", "level", "issuer")

#: Rows for comparing CA certificates, roots in particular.
CA_ROWS: tuple[str, ...] = (
    "key",
    "validity",
    "basic_constraints",
    "key_usage",
    "eku",
    "policies",
    "extensions",
)


def _joined(values: Iterable[str] | None) -> str:
    items = list(values or ())
    return ", ".join(items) if items else ABSENT


def _policies(a: Anatomy) -> str:
    return _joined(f"{p.oid} {p.name}" if p.name else p.oid for p in a.policies)


def _basic_constraints(a: Anatomy) -> str:
    bc = a.basic_constraints
    if bc is None:
        return ABSENT
    text = "CA=TRUE" if bc.ca else "CA=FALSE"
    if bc.path_length is not None:
        text += f", pathlen={bc.path_length}"
    return text + (" (critical)" if bc.critical else "")


def _issuer_cn(cert: x509.Certificate) -> str:
    names = cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.issuer.rfc4514_string()


_Row = Callable[[x509.Certificate, Anatomy], str]

_ROWS: dict[str, tuple[str, _Row]] = {
    "san": ("subject alt names", lambda c, a: _joined(a.subject_alt_names.entries())),
    "eku": ("extended key usage", lambda c, a: _joined(a.extended_key_usage)),
    "policies": ("certificate policies", lambda c, a: _policies(a)),
    "level": ("validation level (from the policy OID)", lambda c, a: _level_text(c)),
    "issuer": ("issuer CN", lambda c, a: _issuer_cn(c)),
    "key": ("public key", lambda c, a: a.public_key.describe()),
    "validity": (
        "validity",
        lambda c, a: f"{a.not_before.date().isoformat()} to {a.not_after.date().isoformat()}",
    ),
    "basic_constraints": ("basic constraints", lambda c, a: _basic_constraints(a)),
    "key_usage": ("key usage", lambda c, a: _joined(a.key_usage)),
    "extensions": ("extensions", lambda c, a: _joined(e.name for e in a.extensions)),
}

#: Every row name :func:`side_by_side` accepts (``"subject"`` expands to one row per attribute).
ROW_NAMES: tuple[str, ...] = ("subject", *_ROWS)


def _level_text(cert: x509.Certificate) -> str:
    found = level_of(cert)
    return found.upper() if found else ABSENT


def _attribute(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = [str(attr.value) for attr in cert.subject.get_attributes_for_oid(oid)]
    return _joined(values)


def side_by_side(
    certs: Mapping[str, CertLike],
    *,
    rows: Sequence[str] = LEVEL_ROWS,
    caption: str = "",
) -> Table:
    """Chosen fields of several certificates, one column per certificate.

    Args:
        certs: column heading -> certificate (or pkiviz ``Issued``), in column order.
        rows: row names from :data:`ROW_NAMES`, in order. ``"subject"`` becomes one
            row per subject attribute that at least one certificate carries.
        caption: the table's caption.

    Returns:
        The table; a certificate without a field shows ``-``.

    Raises:
        ValueError: for an unknown row name or no certificates.
        TypeError: if a value is not a certificate.
    """
    if not certs:
        raise ValueError("give at least one certificate")
    unknown = [r for r in rows if r not in ROW_NAMES]
    if unknown:
        raise ValueError(f"unknown row(s) {unknown}; choose from {', '.join(ROW_NAMES)}")
    columns = [(name, as_certificate(cert)) for name, cert in certs.items()]
    anatomies = [anatomy(cert) for _, cert in columns]
    out: list[tuple[str, ...]] = []
    for row in rows:
        if row == "subject":
            for oid, label in SUBJECT_ATTRIBUTES:
                cells = tuple(_attribute(cert, oid) for _, cert in columns)
                if any(cell != ABSENT for cell in cells):
                    out.append((label, *cells))
            continue
        label, render = _ROWS[row]
        out.append(
            (
                label,
                *(render(cert, a) for (_, cert), a in zip(columns, anatomies, strict=True)),
            )
        )
    return Table(("", *(name for name, _ in columns)), tuple(out), caption)


def _status_text(report: Report, check: str) -> str:
    symbol, word = SYMBOLS[report.status_of(check)]
    return f"{symbol} {word}"


def reports_side_by_side(reports: Mapping[str, Report], *, caption: str = "") -> Table:
    """Several validation reports, one column each, one row per check.

    The first row is the verdict; then each check (in the order of
    :data:`~pkiviz.validation.CHECKS`) that ran in at least one report, with
    its combined status over the path (fail if it failed on any certificate);
    the last row names the first failure.

    Args:
        reports: column heading -> report, in column order.
        caption: the table's caption.

    Returns:
        The table.

    Raises:
        ValueError: if ``reports`` is empty.
    """
    if not reports:
        raise ValueError("give at least one report")
    ran = {c.check for r in reports.values() for c in r.checks}
    rows: list[tuple[str, ...]] = [
        ("verdict", *("VALID" if r.valid else "INVALID" for r in reports.values()))
    ]
    rows += [
        (info.name, *(_status_text(r, info.name) for r in reports.values()))
        for info in CHECKS
        if info.name in ran
    ]
    rows.append(("first failure", *(_first_failure(r) for r in reports.values())))
    return Table(("check", *reports), tuple(rows), caption)


def _first_failure(report: Report) -> str:
    first = report.first_failure
    if first is None:
        return ABSENT
    where = f" at [{first.certificate.index}]" if first.certificate else ""
    return f"{first.check}{where}"


def by_common_name(
    certs: Iterable[x509.Certificate], *, contains: str
) -> dict[str, x509.Certificate]:
    """Certificates whose subject CN contains a string, keyed by CN, sorted by CN.

    Args:
        certs: e.g. a trust store loaded with :func:`pkiviz.x509.load.load_certificates`.
        contains: a substring of the CN (case-sensitive), e.g. ``"DigiCert"``.

    Returns:
        CN -> certificate (the first one if a CN occurs twice).
    """
    found: dict[str, x509.Certificate] = {}
    for cert in certs:
        for attr in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
            name = str(attr.value)
            if contains in name and name not in found:
                found[name] = cert
    return dict(sorted(found.items()))


__all__ = [
    "ABSENT",
    "CA_ROWS",
    "LEVEL_ROWS",
    "ROW_NAMES",
    "SUBJECT_ATTRIBUTES",
    "by_common_name",
    "reports_side_by_side",
    "side_by_side",
]
