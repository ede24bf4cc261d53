"""The checks, as one table: name, title, main rule, what it verifies, and the function.

Everything the validator judges is listed here, in report order: the four
checks the book's article starts with (chain of trust, validity, hostname,
revocation), then the rest. A chapter prints :func:`check_table`; the
validator runs :data:`CHECKS` in order on each candidate path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from pkiviz.validation import revocation, rules_cert, rules_ct, rules_path
from pkiviz.validation.context import Context
from pkiviz.validation.report import Check

Rule = Callable[[Context], Iterable[Check]]


@dataclasses.dataclass(frozen=True)
class CheckInfo:
    """One row of the table.

    Attributes:
        name: the stable name reports use.
        title: a short human title.
        rfc: the main rule (each result cites its exact section).
        verifies: what passing means, in one sentence.
        rule: the function that runs it.
    """

    name: str
    title: str
    rfc: str
    verifies: str
    rule: Rule = dataclasses.field(repr=False, compare=False)


CHECKS: tuple[CheckInfo, ...] = (
    CheckInfo(
        "chain-of-trust",
        "Chain of trust",
        "RFC 5280 6.1",
        "a chain of issuers leads from the leaf to one of the trust anchors",
        rules_path.chain_of_trust,
    ),
    CheckInfo(
        "validity",
        "Validity period (expiry)",
        "RFC 5280 4.1.2.5",
        "every certificate's notBefore <= validation time <= notAfter",
        rules_path.validity,
    ),
    CheckInfo(
        "hostname",
        "Peer name",
        "RFC 9525 6.3, 6.4",
        "the name you connected to is in the leaf's subjectAltName (a wildcard: one label)",
        rules_path.hostname,
    ),
    CheckInfo(
        "revocation",
        "Revocation",
        "RFC 5280 6.3; RFC 6960",
        "no certificate is revoked by a CRL, OCSP response or staple given or fetched; "
        "without an answer: soft-fail or hard-fail, as the policy says",
        revocation.revocation,
    ),
    CheckInfo(
        "signature",
        "Signatures",
        "RFC 5280 6.1.3 (a)(1)",
        "each certificate is signed by the key of the next one up",
        rules_path.signature,
    ),
    CheckInfo(
        "basic-constraints",
        "Basic constraints",
        "RFC 5280 4.2.1.9",
        "every issuer is a CA (cA=TRUE, critical); a Web PKI leaf is not",
        rules_path.basic_constraints,
    ),
    CheckInfo(
        "path-length",
        "Path length",
        "RFC 5280 4.2.1.9",
        "no CA has more intermediates below it than its pathLenConstraint allows",
        rules_path.path_length,
    ),
    CheckInfo(
        "key-usage",
        "Key usage",
        "RFC 5280 4.2.1.3",
        "issuers may sign certificates (keyCertSign); the leaf's key usage fits its role",
        rules_path.key_usage,
    ),
    CheckInfo(
        "extended-key-usage",
        "Extended key usage",
        "RFC 5280 4.2.1.12; BR 7.1.2.10.6 (a CA's EKU)",
        "the leaf (and any CA that limits EKU) allows TLS server or client authentication",
        rules_path.extended_key_usage,
    ),
    CheckInfo(
        "name-constraints",
        "Name constraints",
        "RFC 5280 4.2.1.10",
        "names below a constrained CA stay inside its permitted and outside its excluded subtrees",
        rules_path.name_constraints,
    ),
    CheckInfo(
        "subject-alt-name",
        "Subject alternative name",
        "RFC 5280 4.2.1.6",
        "the leaf's SAN is present (Web PKI), well-formed, critical only if the subject is empty",
        rules_cert.subject_alt_name,
    ),
    CheckInfo(
        "common-name",
        "Common name",
        "BR 7.1.4.3",
        "a Web PKI server certificate's CN, if any, is an exact copy of one SAN value",
        rules_cert.common_name,
    ),
    CheckInfo(
        "key-identifiers",
        "Key identifiers",
        "RFC 5280 4.2.1.1",
        "AKI on every certificate but a self-signed one, SKI on every CA, neither critical",
        rules_cert.key_identifiers,
    ),
    CheckInfo(
        "serial-number",
        "Serial number",
        "RFC 5280 4.1.2.2",
        "serial numbers are positive and no longer than 20 octets",
        rules_cert.serial_number,
    ),
    CheckInfo(
        "version",
        "Version",
        "RFC 5280 4.1.2.1",
        "certificates are X.509 version 3 (always, in the Web PKI)",
        rules_cert.version,
    ),
    CheckInfo(
        "names",
        "Issuer and subject names",
        "RFC 5280 4.1.2.4",
        "no issuer name is empty, and no CA's subject is empty",
        rules_cert.names,
    ),
    CheckInfo(
        "extensions",
        "Extensions are readable",
        "RFC 5280 4.2",
        "every extension parses and none appears twice",
        rules_cert.extensions,
    ),
    CheckInfo(
        "critical-extensions",
        "Critical extensions",
        "RFC 5280 4.2",
        "no critical extension is unknown or unprocessed; AIA and the like are non-critical",
        rules_cert.critical_extensions,
    ),
    CheckInfo(
        "policy",
        "Certificate policies",
        "RFC 5280 4.2.1.11",
        "policy constraints are well-formed (the policy tree itself is not computed)",
        rules_cert.policy_form,
    ),
    CheckInfo(
        "algorithms",
        "Algorithms and keys",
        "BR 6.1.5, 7.1.3",
        "allowed key and signature algorithms (Web PKI: RSA >= 2048, P-256/384/521, no ML-DSA "
        "yet; RFC 5280: also ML-DSA, RFC 9881)",
        rules_cert.algorithms,
    ),
    CheckInfo(
        rules_ct.NAME,
        "Certificate Transparency",
        "RFC 6962 3.3; Chrome and Apple CT policies",
        "off unless a CT policy is asked for (RFC 5280 has none); then enough verified SCTs "
        "(embedded, via TLS or stapled OCSP) from distinct known logs and operators",
        rules_ct.certificate_transparency,
    ),
)

#: Check names in report order.
CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)

#: Look a row up by name.
BY_NAME: dict[str, CheckInfo] = {c.name: c for c in CHECKS}


def check_table() -> list[dict[str, str]]:
    """The table as rows the book can print or turn into a DataFrame.

    Returns:
        One dict per check: ``name``, ``title``, ``rfc``, ``verifies``.
    """
    return [
        {"name": c.name, "title": c.title, "rfc": c.rfc, "verifies": c.verifies} for c in CHECKS
    ]
