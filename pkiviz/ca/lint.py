"""A real linter beside the validator: DigiCert's pkilint on the book's certificates.

A *linter* reads one certificate and reports every rule of an issuance policy
it breaks (here the CA/Browser Forum's TLS Baseline Requirements, as pkilint's
``lint_cabf_serverauth_cert`` applies them), each finding with a severity and
a rule code. It decides nothing: a validator decides whether a client accepts a
chain, for a name, at a time, against a trust store. :func:`lint` runs pkilint
on one certificate; :func:`lint_table` puts its findings beside pkiviz's
verdict for the DV/OV/EV certificates and for every catalogue breakage, with
the reason where the two disagree. Everything here is deterministic: the
certificates are.

pkilint is an optional extra: ``pip install 'pkiviz[lint]'``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from pkiviz.errors import InputError
from pkiviz.lab.breakages import Scenario
from pkiviz.lab.verdicts import pkiviz_verdict
from pkiviz.table import Table
from pkiviz.x509.factory import Issued

#: Severities a lint table counts: pkilint's ERROR is a "MUST", WARNING a "SHOULD".
SEVERITIES = ("FATAL", "ERROR", "WARNING")

#: Why pkilint is silent where pkiviz rejects, by pkiviz's failing check.
WHY_LINT_IS_SILENT = {
    "validity": "a linter checks how long a certificate is valid, not whether it is valid today",
    "hostname": "a linter knows no peer name, only the names the certificate carries",
    "chain-of-trust": "a linter sees one certificate: no trust store, no issuer's key",
    "revocation": "a linter reads no CRL or OCSP answer",
    "extended-key-usage": "the EKU suits a TLS client; the linter judges it a subscriber's",
    "basic-constraints": "only the chain says that this certificate was used as a CA",
    "path-length": "a path length is a property of the chain, not of one certificate",
    "name-constraints": "whether a name fits a CA's constraints needs both certificates",
    "algorithms": "the rule is the client's (minimum key size, signature hash)",
}
#: Where the failing check alone does not say why pkilint is silent.
WHY_BY_BREAKAGE = {
    "chain-out-of-order": "each certificate is fine, only their order is wrong",
}

#: pkilint codes that state the rule a pkiviz check enforces (the two agree for the same reason).
SAME_RULE = {
    "extended-key-usage": ("subscriber.serverauth_eku_absent",),
    "basic-constraints": ("pkix.ee_certificate_keycertsign_keyusage_set",),
    "algorithms": ("cabf.rsa_modulus_invalid_length", "prohibited_signature_algorithm_encoding"),
    "hostname": ("subscriber.subject_altname_extension_absent",),
    "subject-alt-name": ("subscriber.subject_altname_extension_absent",),
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One pkilint finding.

    Attributes:
        severity: ``FATAL``, ``ERROR``, ``WARNING``, ``NOTICE`` or ``INFO``.
        code: pkilint's rule code, e.g. ``cabf.serverauth.subscriber.serverauth_eku_absent``.
        node: where in the certificate (``certificate.tbsCertificate.extensions``).
        message: pkilint's explanation, when it gives one.
    """

    severity: str
    code: str
    node: str
    message: str = ""

    @property
    def short(self) -> str:
        """The code without the ``cabf.serverauth.`` prefix every TLS rule shares."""
        return self.code.removeprefix("cabf.serverauth.")


def available() -> str | None:
    """``None`` when pkilint is installed, else why not."""
    try:
        import pkilint  # noqa: F401
    except ImportError:
        return "pkilint is not installed (pip install 'pkiviz[lint]')"
    return None


def _der(certificate: x509.Certificate | Issued) -> bytes:
    cert = certificate.certificate if isinstance(certificate, Issued) else certificate
    return cert.public_bytes(Encoding.DER)


def lint(certificate: x509.Certificate | Issued) -> tuple[str, tuple[Finding, ...]]:
    """Lint one certificate against the TLS Baseline Requirements with pkilint.

    pkilint detects the certificate's type (root, intermediate, DV/OV/EV
    subscriber) from its contents and applies that type's rules, filtered as
    its command-line tool filters them.

    Args:
        certificate: the certificate (or a pkiviz ``Issued``).

    Returns:
        pkilint's certificate type (``DV_FINAL_CERTIFICATE``...) and every
        finding, in pkilint's order.

    Raises:
        InputError: if pkilint is not installed or cannot parse the certificate.
    """
    return _lint_der(_der(certificate))


@functools.lru_cache(maxsize=256)
def _lint_der(der: bytes) -> tuple[str, tuple[Finding, ...]]:
    """:func:`lint` on DER bytes; the catalogue's scenarios share most of their certificates."""
    try:
        from pkilint import finding_filter, loader
        from pkilint.cabf import serverauth
    except ImportError as missing:
        raise InputError("pkilint is not installed: pip install 'pkiviz[lint]'") from missing
    try:
        doc: Any = loader.RFC5280CertificateDocumentLoader().load_der_document(der, "certificate")
    except ValueError as error:
        raise InputError(f"pkilint cannot read the certificate: {error}") from error
    kind = serverauth.determine_certificate_type(doc)
    results, _ = finding_filter.filter_results(
        serverauth.create_serverauth_finding_filters(kind), _validator(kind).validate(doc.root)
    )
    found = tuple(
        Finding(d.finding.severity.name, d.finding.code, str(r.node.path), d.message or "")
        for r in results
        for d in r.finding_descriptions
    )
    return str(kind.name), found


@functools.cache
def _validator(kind: Any) -> Any:
    """pkilint's validator for one certificate type, built once (building it is the slow part)."""
    from pkilint.cabf import serverauth
    from pkilint.pkix import certificate as pkix_certificate

    return pkix_certificate.create_pkix_certificate_validator_container(
        serverauth.create_decoding_validators(), serverauth.create_validators(kind)
    )


def codes(findings: Iterable[Finding], severities: Sequence[str] = SEVERITIES) -> tuple[str, ...]:
    """The distinct short codes of the findings at ``severities``, sorted."""
    return tuple(sorted({f.short for f in findings if f.severity in severities}))


def _scenario_findings(scenario: Scenario) -> tuple[Finding, ...]:
    """pkilint's findings on every certificate the scenario hands a client (leaf, then chain)."""
    certs = [c for c in (scenario.leaf, *scenario.intermediates) if c is not None]
    return tuple(f for cert in certs for f in lint(cert)[1])


def lint_table(levels: Mapping[str, Issued], breakages: Iterable[tuple[str, Scenario]]) -> Table:
    """pkilint's findings next to pkiviz's verdict, with the reason when they disagree.

    The book's certificates all break some issuance rules the lessons do not
    need (no AIA or CRL pointer, long lifetimes). So the level rows list every
    ERROR/WARNING code, and a breakage row lists only what pkilint finds
    *beyond* the intact chain (the first breakage, ``valid``, is that control).

    Args:
        levels: name -> certificate for the DV/OV/EV rows (validated as issued,
            for their first DNS name, against the running example's root).
        breakages: ``(id, scenario)`` pairs; the first must be the intact chain.

    Returns:
        A table: what, pkiviz's verdict, pkilint's findings, who catches it and why.
    """
    from pkiviz.clock import BOOK_CLOCK
    from pkiviz.validation import validate
    from pkiviz.x509.example import running_example

    root = running_example().root
    rows: list[tuple[str, ...]] = []
    for name, cert in levels.items():
        san = cert.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        host = san.value.get_values_for_type(x509.DNSName)[0]
        chain = [cert.issuer] if cert.issuer is not None else []
        report = validate(
            cert, intermediates=chain, trust_anchors=[root], peer_name=host, at=BOOK_CLOCK
        )
        found = codes(lint(cert)[1])
        outcome = "valid" if report.valid else "rejected"
        why = "issuance rules bind the CA; a client does not enforce them"
        rows.append((name, outcome, ", ".join(found) or "-", "pkilint only: " + why))
    pairs = list(breakages)
    baseline = set(codes(_scenario_findings(pairs[0][1]))) if pairs else set()
    for ident, scenario in pairs:
        verdict = pkiviz_verdict(scenario)
        new = [c for c in codes(_scenario_findings(scenario)) if c not in baseline]
        failed = verdict.checks
        if verdict.accepted is None:
            who = "neither: no certificate was sent"
        elif not failed and not new:
            who = "both silent (control)"
        elif failed and new and any(c in SAME_RULE.get(f, ()) for f in failed for c in new):
            who = "both, the same rule"
        elif failed and new:
            who = "both, different rules: " + WHY_LINT_IS_SILENT.get(failed[0], "a chain rule")
        elif failed:
            why = WHY_BY_BREAKAGE.get(ident) or WHY_LINT_IS_SILENT.get(failed[0], "a chain rule")
            who = "pkiviz only: " + why
        else:
            who = "pkilint only"
        shown = "n/a" if verdict.accepted is None else ", ".join(failed) or "valid"
        rows.append((ident, shown, ", ".join(new) or "-", who))
    return Table(
        ("certificate", "pkiviz: failed checks", "pkilint: errors and warnings", "who catches it"),
        tuple(rows),
        caption="pkilint (CA/B Forum TLS BRs) beside pkiviz's validator",
    )


def book_lint_table() -> Table:
    """:func:`lint_table` for the book: the DV/OV/EV certificates and the whole catalogue."""
    from pkiviz.ca.validation_levels import issue_at_level
    from pkiviz.lab.catalogue import CATALOGUE

    levels = {level.upper(): issue_at_level(level) for level in ("dv", "ov", "ev")}
    return lint_table(levels, ((b.id, b.scenario()) for b in CATALOGUE))


__all__ = [
    "SAME_RULE",
    "SEVERITIES",
    "WHY_BY_BREAKAGE",
    "WHY_LINT_IS_SILENT",
    "Finding",
    "available",
    "book_lint_table",
    "codes",
    "lint",
    "lint_table",
]
