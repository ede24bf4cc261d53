"""Checks about each certificate's own form: names, identifiers, serials, extensions, algorithms.

Each function takes a :class:`~pkiviz.validation.context.Context` and yields
:class:`~pkiviz.validation.report.Check` results; the table is in
:mod:`pkiviz.validation.checks`.
"""

from __future__ import annotations

from collections.abc import Iterator

from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from pkiviz.validation import policy
from pkiviz.validation.constraints import email_problem
from pkiviz.validation.context import Context
from pkiviz.validation.facts import CertFacts, oid_label
from pkiviz.validation.hostname import canonical_ip, dns_syntax_problem
from pkiviz.validation.report import Check
from pkiviz.vocabulary import MLDSA_OIDS

#: Extensions pkiviz processes (or knows to be informational) when critical.
PROCESSED = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.NAME_CONSTRAINTS,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
    }
)

#: Extensions pkiviz recognises but does not act on; fine unless critical.
INFORMATIONAL = frozenset(
    {
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        ExtensionOID.SUBJECT_INFORMATION_ACCESS,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.FRESHEST_CRL,
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
        ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES,
        ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS,
        ExtensionOID.TLS_FEATURE,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.INHIBIT_ANY_POLICY,
    }
)

#: Extensions that RFC 5280 says MUST be non-critical.
MUST_BE_NONCRITICAL = {
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS: "RFC 5280 4.2.2.1",
    ExtensionOID.SUBJECT_INFORMATION_ACCESS: "RFC 5280 4.2.2.2",
    ExtensionOID.ISSUER_ALTERNATIVE_NAME: "RFC 5280 4.2.1.7",
    ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES: "RFC 5280 4.2.1.8",
    ExtensionOID.FRESHEST_CRL: "RFC 5280 4.2.1.15",
}


def subject_alt_name(ctx: Context) -> Iterator[Check]:
    """The leaf's SAN is present (Web PKI), well-formed and critical only with an empty subject."""
    rfc = "RFC 5280 4.2.1.6"
    leaf = ctx.leaf
    if leaf.extension_error:
        yield ctx.fail("subject-alt-name", 0, "extensions unreadable (see extensions)", rfc)
        return
    ext = leaf.ext(x509.SubjectAlternativeName)
    empty_subject = len(leaf.subject) == 0
    if ext is None:
        if ctx.profile.require_san and ctx.purpose == "server":
            yield ctx.fail(
                "subject-alt-name",
                0,
                "no subjectAltName; the Web PKI names servers only there",
                "BR 7.1.2.7.12",
            )
        elif empty_subject:
            yield ctx.fail("subject-alt-name", 0, "empty subject and no subjectAltName", rfc)
        else:
            yield ctx.ok("subject-alt-name", 0, "no subjectAltName (allowed by RFC 5280)", rfc)
        return
    entries = list(ext.value)
    if not entries:
        yield ctx.fail("subject-alt-name", 0, "subjectAltName has no entries", rfc)
        return
    if empty_subject and not ext.critical:
        yield ctx.fail(
            "subject-alt-name", 0, "the subject is empty, so subjectAltName must be critical", rfc
        )
        return
    if not empty_subject and ext.critical and ctx.profile.strict_san_criticality:
        yield ctx.fail(
            "subject-alt-name",
            0,
            "subjectAltName is critical although the subject is not empty",
            "BR 7.1.2.7.12",
        )
        return
    for entry in entries:
        problem = None
        if isinstance(entry, x509.DNSName):
            why = dns_syntax_problem(entry.value)
            problem = f"DNS:{entry.value!r}: {why}" if why else None
        elif isinstance(entry, x509.RFC822Name):
            problem = email_problem(entry.value)
        if problem:
            yield ctx.fail("subject-alt-name", 0, f"malformed entry {problem}", rfc)
            return
    yield ctx.ok("subject-alt-name", 0, f"{len(entries)} well-formed entries", rfc)


def common_name(ctx: Context) -> Iterator[Check]:
    """A Web PKI server leaf's CN, if any, copies one SAN value (BR 7.1.4.3).

    An IP address in the CN must be the canonical text of an iPAddress entry;
    a DNS name must equal a dNSName entry, or be covered by a wildcard entry
    (``example.com`` or ``www.example.com`` under ``*.example.com``: pkiviz is
    as lenient here as x509-limbo). A CN is compared only when the SAN has
    entries of its kind.
    """
    rfc = "BR 7.1.4.3"
    leaf = ctx.leaf
    if not (ctx.profile.cn_in_san and ctx.purpose == "server"):
        yield ctx.skip(
            "common-name", 0, f"the {ctx.profile.name} profile does not tie CN to SAN", rfc
        )
        return
    cns = leaf.common_names()
    if not cns:
        yield ctx.ok("common-name", 0, "no CN (optional in the BRs)", rfc)
        return
    ext = leaf.ext(x509.SubjectAlternativeName)
    dns = ext.value.get_values_for_type(x509.DNSName) if ext else []
    ips = [str(a) for a in ext.value.get_values_for_type(x509.IPAddress)] if ext else []
    for cn in cns:
        problem = _cn_problem(cn, dns, ips)
        if problem:  # binds the CA; no client enforces it
            yield ctx.issuance("common-name", 0, problem, rfc)
            return
    yield ctx.ok("common-name", 0, f"CN {cns[0]!r} agrees with the SAN", rfc)


def _cn_problem(cn: str, dns: list[str], ips: list[str]) -> str | None:
    as_ip = canonical_ip(cn) or _loose_ip(cn)
    if as_ip is not None:
        if not ips or cn in ips:
            return None
        if as_ip in ips:
            return f"CN {cn!r} writes the SAN address {as_ip} in a non-canonical form"
        return f"CN {cn!r} is not one of the SAN addresses"
    if not dns or cn in dns:
        return None
    if any(d.startswith("*.") and (cn == d[2:] or cn.partition(".")[2] == d[2:]) for d in dns):
        return None
    if any(cn.lower() == d.lower() for d in dns):
        return f"CN {cn!r} differs from the SAN entry in letter case; the BRs ask for an exact copy"
    return f"CN {cn!r} is not one of the SAN dNSNames"


#: The largest value of the last part of a loose IPv4 literal, by how many parts precede it.
_LAST_PART_MAX = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)
_RADIX = {8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


def _loose_ip(text: str) -> str | None:
    """``text`` read as C's ``inet_aton`` reads it (``"127.1"``, ``"0x7f.0.0.1"``, ``"017.1"``).

    The legacy forms a resolver accepts: one to four parts in decimal, octal
    (a leading 0) or hex (0x); the last part fills the remaining bytes; trailing
    whitespace ends the address. Parsed here rather than by :func:`socket.inet_aton`
    so that validation imports no socket module.

    Returns:
        The dotted-quad form, or ``None`` if ``inet_aton`` would refuse it.
    """
    parts: list[int] = []
    i, n = 0, len(text)
    while True:
        if i >= n or text[i] not in _RADIX[10]:
            return None
        if text.startswith(("0x", "0X"), i) and i + 2 < n and text[i + 2] in _RADIX[16]:
            base, i = 16, i + 2
        else:
            base = 8 if text[i] == "0" else 10
        end = i
        while end < n and text[end] in _RADIX[base]:
            end += 1
        value, i = int(text[i:end], base), end
        if i < n and text[i] == ".":
            if len(parts) > 2 or value > 0xFF:
                return None
            parts.append(value)
            i += 1
        else:
            break
    if (i < n and text[i] not in " \t\n\v\f\r") or value > _LAST_PART_MAX[len(parts)]:
        return None
    number = value
    for k, part in enumerate(parts):
        number |= part << (24 - 8 * k)
    return ".".join(str(number >> shift & 0xFF) for shift in (24, 16, 8, 0))


def key_identifiers(ctx: Context) -> Iterator[Check]:
    """AKI on all but self-signed certificates, SKI on CAs, neither critical (RFC 5280 4.2.1.1)."""
    for i, cert in enumerate(ctx.path):
        if cert.extension_error:
            continue
        problem, rfc = _key_id_problem(ctx, i, cert)
        if problem and rfc == _BR_AKI_FORM:
            yield ctx.issuance("key-identifiers", i, problem, "BR 7.1.2.11.1")
        elif problem:
            yield ctx.fail("key-identifiers", i, problem, rfc)
        else:
            yield ctx.ok("key-identifiers", i, "AKI and SKI are as required", "RFC 5280 4.2.1.1")


# BR 7.1.2.11.1's form of an AKI beyond its keyIdentifier (no authorityCertIssuer or
# SerialNumber; a root's matches its SKI): an issuance rule. Chrome, rustls-webpki and
# cryptography accept a chain that breaks it; cryptography does require the keyIdentifier.
_BR_AKI_FORM = "BR 7.1.2.11.1 (issuance)"


def _key_id_problem(ctx: Context, i: int, cert: CertFacts) -> tuple[str | None, str]:
    aki = cert.ext(x509.AuthorityKeyIdentifier)
    ski = cert.ext(x509.SubjectKeyIdentifier)
    if aki is not None and aki.critical:
        return "authorityKeyIdentifier must not be critical", "RFC 5280 4.2.1.1"
    if ski is not None and ski.critical:
        return "subjectKeyIdentifier must not be critical", "RFC 5280 4.2.1.2"

    def self_signed() -> bool:  # verified only when it decides something
        return cert.self_issued and ctx.signature(cert, cert) is None

    anchor_as_given = ctx.is_anchor(i) and not ctx.profile.anchor_key_ids
    key_id = aki.value.key_identifier if aki is not None else None
    if key_id is None and not anchor_as_given and not self_signed():
        if aki is None:
            return (
                "it has no authorityKeyIdentifier; only self-signed certificates may omit it",
                "RFC 5280 4.2.1.1",
            )
        return "its authorityKeyIdentifier lacks keyIdentifier", "RFC 5280 4.2.1.1"
    if aki is not None and ctx.profile.strict_aki:
        if key_id is None:
            return "its authorityKeyIdentifier lacks keyIdentifier", "BR 7.1.2.11.1"
        if aki.value.authority_cert_issuer or aki.value.authority_cert_serial_number is not None:
            return (
                "its authorityKeyIdentifier carries authorityCertIssuer/SerialNumber",
                _BR_AKI_FORM,
            )
        if ski is not None and key_id != ski.value.digest and cert.self_issued and self_signed():
            return "it is self-signed but its AKI differs from its own SKI", _BR_AKI_FORM
    if (i > 0 or (cert.is_ca and len(ctx.path) == 1)) and ski is None and not anchor_as_given:
        return "a CA certificate must carry subjectKeyIdentifier", "RFC 5280 4.2.1.2"
    return None, ""


def serial_number(ctx: Context) -> Iterator[Check]:
    """Serial numbers are positive and at most 20 octets (RFC 5280 4.1.2.2)."""
    rfc = "RFC 5280 4.1.2.2"
    for i, cert in enumerate(ctx.path):
        serial = cert.serial
        if ctx.is_anchor(i) and len(ctx.path) > 1:
            yield ctx.skip("serial-number", i, "a trust anchor is trusted as given", rfc)
            continue
        octets = serial.bit_length() // 8 + 1
        if serial <= 0:
            yield ctx.fail("serial-number", i, f"serial number {serial} is not positive", rfc)
        elif octets > 20:
            yield ctx.fail(
                "serial-number", i, f"serial number takes {octets} octets; at most 20 allowed", rfc
            )
        else:
            yield ctx.ok("serial-number", i, f"positive, {octets} octets", rfc)


def version(ctx: Context) -> Iterator[Check]:
    """Version 3 wherever extensions are used, and always in the Web PKI (RFC 5280 4.1.2.1)."""
    rfc = "RFC 5280 4.1.2.1"
    for i, cert in enumerate(ctx.path):
        v = cert.cert.version
        if v == x509.Version.v3:
            yield ctx.ok("version", i, "version 3", rfc)
        elif ctx.profile.restrict_algorithms:
            yield ctx.fail("version", i, f"{v.name} certificate; the BRs require v3", "BR 7.1.1")
        elif i > 0 and not ctx.is_anchor(i):
            yield ctx.fail(
                "version", i, f"a {v.name} intermediate cannot be a CA", "RFC 5280 6.1.4 (k)"
            )
        else:
            yield ctx.ok("version", i, f"{v.name} (no extensions possible)", rfc)


def names(ctx: Context) -> Iterator[Check]:
    """Names decode; issuer names are never empty; CA subjects are not empty (RFC 5280 4.1.2.4,
    4.1.2.6)."""
    for i, cert in enumerate(ctx.path):
        if cert.name_error is not None:
            yield ctx.fail("names", i, cert.name_error, "RFC 5280 4.1.2.4, 4.1.2.6")
        elif len(cert.issuer) == 0:
            yield ctx.fail("names", i, "the issuer name is empty", "RFC 5280 4.1.2.4")
        elif i > 0 and len(cert.subject) == 0:
            yield ctx.fail("names", i, "a CA's subject must not be empty", "RFC 5280 4.1.2.6")
        else:
            yield ctx.ok("names", i, "issuer and subject names are present", "RFC 5280 4.1.2.4")


def extensions(ctx: Context) -> Iterator[Check]:
    """Extensions parse, and none appears twice (RFC 5280 4.2)."""
    rfc = "RFC 5280 4.2"
    for i, cert in enumerate(ctx.path):
        if cert.extension_error:
            yield ctx.fail("extensions", i, cert.extension_error, rfc)
        else:
            yield ctx.ok("extensions", i, f"{len(cert.extensions)} extensions, all readable", rfc)


def critical_extensions(ctx: Context) -> Iterator[Check]:
    """No critical extension pkiviz cannot process; non-critical ones stay so (RFC 5280 4.2)."""
    rfc = "RFC 5280 4.2"
    for i, cert in enumerate(ctx.path):
        problem = None
        for oid, ext in cert.extensions.items():
            if oid in MUST_BE_NONCRITICAL and ext.critical:
                problem = f"{oid_label(oid)} must not be critical ({MUST_BE_NONCRITICAL[oid]})"
            elif ext.critical and oid not in PROCESSED:
                known = "is not processed by pkiviz" if oid in INFORMATIONAL else "is unknown"
                problem = (
                    f"the critical extension {oid_label(oid)} {known}, "
                    "so the certificate must be rejected"
                )
            if problem:
                break
        if problem:
            yield ctx.fail("critical-extensions", i, problem, rfc)
        else:
            yield ctx.ok("critical-extensions", i, "every critical extension is understood", rfc)


def policy_form(ctx: Context) -> Iterator[Check]:
    """policyConstraints is well-formed; the policy tree is not computed (RFC 5280 4.2.1.11)."""
    rfc = "RFC 5280 4.2.1.11"
    for i, cert in enumerate(ctx.path):
        pc = cert.ext(x509.PolicyConstraints)
        if pc is None:
            continue
        if pc.value.require_explicit_policy is None and pc.value.inhibit_policy_mapping is None:
            yield ctx.fail("policy", i, "policyConstraints is an empty sequence", rfc)
        elif ctx.profile.pc_must_be_critical and not pc.critical:
            yield ctx.fail("policy", i, "policyConstraints must be marked critical", rfc)
        else:
            yield ctx.ok(
                "policy",
                i,
                "policyConstraints is well-formed (pkiviz does not compute the policy tree)",
                rfc,
            )


def algorithms(ctx: Context) -> Iterator[Check]:
    """Key and signature algorithms are allowed by the profile (BR 6.1.5, 7.1.3; RFC 5280 4.1.1.2).

    Under the Web PKI profile key sizes are BR 6.1.5 and the algorithms BR 7.1.3:
    a key problem cites both, a signature problem 7.1.3 alone.
    """
    profile = ctx.profile
    rfc = "BR 6.1.5, 7.1.3" if profile.restrict_algorithms else "RFC 5280 4.1.1.2"
    sig_rfc = "BR 7.1.3" if profile.restrict_algorithms else rfc
    for i, cert in enumerate(ctx.path):
        problem = policy.key_problem(cert, profile)
        if problem:
            yield ctx.fail("algorithms", i, problem, rfc)
            continue
        if not ctx.is_anchor(i):
            problem = policy.signature_problem(cert, profile)
        if problem:
            yield ctx.fail("algorithms", i, problem, sig_rfc)
        else:
            what = policy.key_description(cert)
            if not ctx.is_anchor(i):
                what += f", signed with {cert.signature_algorithm_name}"
            # The rfc5280 profile accepts ML-DSA keys and signatures as RFC 9881 defines them.
            mldsa = what.startswith("ML-DSA") or (
                not ctx.is_anchor(i) and cert.signature_algorithm_oid in MLDSA_OIDS
            )
            yield ctx.ok("algorithms", i, what, f"{rfc}; RFC 9881" if mldsa else rfc)
