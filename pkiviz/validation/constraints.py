"""Name constraints (RFC 5280 4.2.1.10, 6.1.4 (g), 6.1.3 (b)(c)).

A CA's nameConstraints restrict every name of every certificate below it on
the path: its subjectAltName entries, its subject DN (for directoryName
constraints) and, when it has no SAN, the emailAddress attributes of its
subject (for rfc822Name constraints). Self-issued intermediates are exempt.
A name of a kind the CA constrains but pkiviz cannot evaluate (otherName,
x400Address, ...) fails, as RFC 5280 requires ("process the constraint or
reject the certificate").

Wildcard SANs are treated defensively (CVE-2025-61727): ``*.example.com`` is
excluded by ``bar.example.com`` because it would match that name.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from urllib.parse import urlsplit

from cryptography import x509

from pkiviz.validation.facts import CertFacts
from pkiviz.validation.hostname import dns_syntax_problem

#: At most this many name-against-subtree comparisons per path (a DoS guard,
#: as in cryptography's verifier and x509-limbo's ``nc-dos`` cases).
MAX_COMPARISONS = 1 << 16

#: (index of the constrained certificate or None, failed?, message).
Finding = tuple[int | None, bool, str]


def _dns_in_subtree(name: str, base: str) -> bool:
    return not base or name == base or name.endswith("." + base)


def _describe(name: x509.GeneralName) -> str:
    if isinstance(name, x509.DNSName):
        return f"DNS:{name.value}"
    if isinstance(name, x509.IPAddress):
        return f"IP:{name.value}"
    if isinstance(name, x509.RFC822Name):
        return f"email:{name.value}"
    if isinstance(name, x509.UniformResourceIdentifier):
        return f"URI:{name.value}"
    if isinstance(name, x509.DirectoryName):
        return f"dirName:{name.value.rfc4514_string()}"
    if isinstance(name, x509.OtherName):
        return f"otherName:{name.type_id.dotted_string}"
    return type(name).__name__


def email_problem(value: str) -> str | None:
    """Why an rfc822Name value is not a plain mailbox, or ``None``."""
    local, sep, domain = value.rpartition("@")
    if not sep or not local or "@" in local:
        return f"{value!r} is not a mailbox (local@domain)"
    return dns_syntax_problem(domain, wildcard_ok=False)


def _subtree_problem(sub: x509.GeneralName) -> str | None:
    if isinstance(sub, x509.DNSName):
        if sub.value == "":
            return None
        why = dns_syntax_problem(sub.value, wildcard_ok=False)
        return f"dNSName constraint {sub.value!r} is malformed: {why}" if why else None
    if isinstance(sub, x509.RFC822Name):
        value = sub.value
        if "@" in value:
            why = email_problem(value)
        else:
            why = dns_syntax_problem(value.lstrip("."), wildcard_ok=False) if value else None
        return f"rfc822Name constraint {value!r} is malformed: {why}" if why else None
    return None


def _matches(name: x509.GeneralName, sub: x509.GeneralName, *, excluded: bool) -> bool | None:
    """Whether ``name`` lies in subtree ``sub``; ``None`` when pkiviz cannot tell."""
    if isinstance(name, x509.DNSName) and isinstance(sub, x509.DNSName):
        value, base = name.value.lower().rstrip("."), sub.value.lower()
        if value.startswith("*."):
            rest = value[2:]
            if _dns_in_subtree(rest, base):
                return True
            # "*.example.com" may stand for "bar.example.com": an excluded subtree overlaps.
            return excluded and base.partition(".")[2] == rest
        return _dns_in_subtree(value, base)
    if isinstance(name, x509.IPAddress) and isinstance(sub, x509.IPAddress):
        address, network = name.value, sub.value
        if not isinstance(network, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            return None
        if not isinstance(address, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return None
        return address.version == network.version and address in network
    if isinstance(name, x509.RFC822Name) and isinstance(sub, x509.RFC822Name):
        local, _, domain = name.value.rpartition("@")
        domain = domain.lower()
        constraint = sub.value
        if "@" in constraint:
            c_local, _, c_domain = constraint.rpartition("@")
            return local == c_local and domain == c_domain.lower()
        if constraint.startswith("."):
            return domain.endswith(constraint.lower())
        return domain == constraint.lower()
    if isinstance(name, x509.UniformResourceIdentifier) and isinstance(
        sub, x509.UniformResourceIdentifier
    ):
        host = (urlsplit(name.value).hostname or "").lower()
        if not host:
            return None
        constraint = sub.value.lower()
        if constraint.startswith("."):
            return host.endswith(constraint)
        return host == constraint
    if isinstance(name, x509.DirectoryName) and isinstance(sub, x509.DirectoryName):
        rdns, prefix = list(name.value.rdns), list(sub.value.rdns)
        return rdns[: len(prefix)] == prefix
    if isinstance(name, x509.OtherName) and isinstance(sub, x509.OtherName):
        return None if name.type_id == sub.type_id else False
    if type(name) is type(sub):
        return None
    return False


def names_of(cert: CertFacts) -> list[x509.GeneralName]:
    """Every name a certificate asserts, for name constraints (RFC 5280 6.1.3 (b)(c))."""
    names: list[x509.GeneralName] = []
    if len(cert.subject) > 0:
        names.append(x509.DirectoryName(cert.subject))
    san = cert.ext(x509.SubjectAlternativeName)
    if san is not None:
        names.extend(san.value)
    else:
        names.extend(x509.RFC822Name(e) for e in cert.subject_emails() if e.isascii())
    return names


def check_path(path: Sequence[CertFacts], *, must_be_critical: bool) -> Iterator[Finding]:
    """Apply every nameConstraints extension on ``path`` (leaf first) to the certificates below.

    Args:
        path: the candidate path, leaf first.
        must_be_critical: the RFC 5280 reading (the extension MUST be critical).

    Yields:
        Findings: (index of the certificate concerned, failed, message).
    """
    budget = MAX_COMPARISONS
    for i in range(len(path) - 1, -1, -1):
        ca = path[i]
        ext = ca.ext(x509.NameConstraints)
        if ext is None:
            continue
        if i == 0 and not ca.is_ca:
            yield 0, True, "nameConstraints appears in an end-entity certificate (CAs only)"
            continue
        nc = ext.value
        permitted = list(nc.permitted_subtrees or ())
        excluded = list(nc.excluded_subtrees or ())
        if not permitted and not excluded:
            yield i, True, "nameConstraints has neither permitted nor excluded subtrees"
            continue
        if must_be_critical and not ext.critical:
            yield i, True, "nameConstraints is not marked critical (RFC 5280 requires it)"
            continue
        broken = next(filter(None, map(_subtree_problem, permitted + excluded)), None)
        if broken:
            yield i, True, broken
            continue
        if i == 0:
            yield 0, False, "its own nameConstraints apply only below it"
            continue
        for j in range(i - 1, -1, -1):
            cert = path[j]
            if j > 0 and cert.self_issued:
                yield j, False, f"self-issued, so exempt from the constraints of {ca.label}"
                continue
            names = names_of(cert)
            budget -= len(names) * (len(permitted) + len(excluded))
            if budget < 0:
                yield (
                    j,
                    True,
                    (
                        f"checking {len(names)} names against {len(permitted) + len(excluded)} "
                        f"subtrees of {ca.label} exceeds pkiviz's limit of {MAX_COMPARISONS} "
                        "comparisons (a denial-of-service guard)"
                    ),
                )
                return
            problem = _first_violation(names, permitted, excluded)
            if problem:
                yield j, True, f"{problem} (constraints of {ca.label})"
            else:
                yield j, False, f"all {len(names)} names satisfy the constraints of {ca.label}"


def _first_violation(
    names: list[x509.GeneralName],
    permitted: list[x509.GeneralName],
    excluded: list[x509.GeneralName],
) -> str | None:
    for name in names:
        for sub in excluded:
            hit = _matches(name, sub, excluded=True)
            if hit is None:
                return (
                    f"{_describe(name)} is of a kind pkiviz cannot check against {_describe(sub)}"
                )
            if hit:
                return f"{_describe(name)} falls in the excluded subtree {_describe(sub)}"
        same_kind = [s for s in permitted if type(s) is type(name)]
        if not same_kind:
            continue
        if isinstance(name, x509.DirectoryName) and len(name.value) == 0:
            continue
        results = [_matches(name, sub, excluded=False) for sub in same_kind]
        if any(results):
            continue
        if None in results:
            return (
                f"{_describe(name)} is of a kind pkiviz cannot check against the permitted subtrees"
            )
        allowed = ", ".join(_describe(s) for s in same_kind[:4])
        more = "..." if len(same_kind) > 4 else ""
        return f"{_describe(name)} is outside the permitted subtrees ({allowed}{more})"
    return None
