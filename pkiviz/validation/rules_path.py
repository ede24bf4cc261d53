"""Checks about the path as a chain: trust, time, name, signatures and the CA extensions.

Each function takes a :class:`~pkiviz.validation.context.Context` and yields
:class:`~pkiviz.validation.report.Check` results. The table that names,
orders and describes them is :mod:`pkiviz.validation.checks`.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
from collections.abc import Iterator

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from pkiviz.validation import constraints
from pkiviz.validation.context import Context
from pkiviz.validation.hostname import (
    match_dns,
    match_email,
    requested_name_problem,
    to_a_label,
)
from pkiviz.validation.report import Check
from pkiviz.vocabulary import EKU_NAMES


def eku_name(oid: x509.ObjectIdentifier) -> str:
    """A short name for an EKU OID (``serverAuth``), else its dotted form."""
    return EKU_NAMES.get(oid, oid.dotted_string)


def _when(moment: _dt.datetime) -> str:
    if moment.year >= 1000:  # what strftime writes, without its cost (it pads no 3-digit year)
        return (
            f"{moment.year}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC"
        )
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _gap(delta: _dt.timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 7200:
        return f"{seconds // 3600} hours"
    return f"{seconds} seconds" if seconds != 1 else "1 second"


def chain_of_trust(ctx: Context) -> Iterator[Check]:
    """The path ends at a trust anchor (RFC 5280 6.1, 6.1.1 (d))."""
    rfc = "RFC 5280 6.1"
    if ctx.anchored:
        anchor = ctx.path[-1]
        n = len(ctx.path)
        if n == 1:
            yield ctx.ok("chain-of-trust", None, f"{anchor.label} is itself a trust anchor", rfc)
            return
        yield ctx.ok(
            "chain-of-trust",
            None,
            f"a path of {n} certificates leads from the leaf to {anchor.label}, "
            f"which is one of the {ctx.anchor_count} trust anchors given",
            rfc,
        )
    elif ctx.anchor_count == 0:
        yield ctx.fail(
            "chain-of-trust", None, "no trust anchors were given, so nothing can be trusted", rfc
        )
    else:
        yield ctx.fail("chain-of-trust", None, f"no path to a trust anchor: {ctx.chain_note}", rfc)


def validity(ctx: Context) -> Iterator[Check]:
    """Every certificate is inside its validity period at ``at`` (RFC 5280 4.1.2.5)."""
    rfc = "RFC 5280 4.1.2.5"
    at = ctx.at.replace(microsecond=0)  # certificate times have whole seconds
    for i, cert in enumerate(ctx.path):
        nb, na = cert.not_before, cert.not_after
        if at < nb:
            yield ctx.fail(
                "validity",
                i,
                f"not valid yet: valid from {_when(nb)}, {_gap(nb - ctx.at)} after the "
                f"validation time {_when(ctx.at)}",
                rfc,
            )
        elif at > na:
            yield ctx.fail(
                "validity",
                i,
                f"expired on {_when(na)}, {_gap(ctx.at - na)} before the validation time "
                f"{_when(ctx.at)}",
                rfc,
            )
        else:
            yield ctx.ok("validity", i, f"valid from {_when(nb)} to {_when(na)}", rfc)


def hostname(ctx: Context) -> Iterator[Check]:
    """The peer's name matches the leaf's subjectAltName (RFC 9525 6.3-6.4, RFC 5280 4.2.1.6).

    A DNS name follows RFC 9525 6.3, an IP address 6.4, an email RFC 5280 4.2.1.6.
    """
    peer = ctx.peer
    rfc = "RFC 9525 6.4" if peer is not None and peer.kind == "ip" else "RFC 9525 6.3"
    if peer is None:
        yield ctx.skip("hostname", 0, "no peer name was given, so none was matched", rfc)
        return
    if peer.kind == "dns":
        problem = requested_name_problem(peer.value)
        if problem is not None:
            yield ctx.fail(
                "hostname",
                0,
                f"the requested name {peer.value!r} is not a valid host name: {problem}",
                rfc,
            )
            return
    leaf = ctx.leaf
    if leaf.extension_error:
        yield ctx.fail("hostname", 0, f"the extensions cannot be read: {leaf.extension_error}", rfc)
        return
    san = leaf.ext(x509.SubjectAlternativeName)
    cn_note = ""
    if peer.kind == "dns" and any(cn.lower() == peer.value.lower() for cn in leaf.common_names()):
        cn_note = (
            "; the subject CN names it, but the CN is not consulted: RFC 9525 has no CN-ID"
            " (Appendix A), and RFC 6125 6.4.4's fallback to the CN is gone"
        )
    if san is None:
        yield ctx.fail(
            "hostname", 0, f"the leaf has no subjectAltName, so {peer} cannot match{cn_note}", rfc
        )
        return
    if peer.kind == "dns":
        name = to_a_label(peer.value)
        patterns = san.value.get_values_for_type(x509.DNSName)
        if name is None:  # pragma: no cover - requested_name_problem refused it above
            yield ctx.fail("hostname", 0, f"{peer.value!r} is not a valid host name", rfc)
            return
        notes = []
        for pattern in patterns:
            matched, note = match_dns(
                pattern, name, refuse_public_suffix=ctx.profile.wildcard_public_suffix
            )
            if matched:
                yield ctx.ok("hostname", 0, f"{peer} matches the SAN entry DNS:{pattern}", rfc)
                return
            if note:
                notes.append(note)
        listed = ", ".join(f"DNS:{p}" for p in patterns[:6]) or "no dNSName entries"
        extra = f"; {notes[0]}" if notes else ""
        ip_hint = ""
        if ipaddress_like(peer.value):
            ip_hint = "; an IP address is matched against iPAddress entries, so pass it as an IP"
        yield ctx.fail(
            "hostname",
            0,
            f"{peer} does not match the SAN ({listed}){extra}{ip_hint}{cn_note}",
            rfc,
        )
    elif peer.kind == "ip":
        wanted = ipaddress.ip_address(peer.value)
        addresses = san.value.get_values_for_type(x509.IPAddress)
        if any(a == wanted for a in addresses):
            yield ctx.ok("hostname", 0, f"{peer} matches the SAN entry IP:{wanted}", rfc)
            return
        listed = ", ".join(f"IP:{a}" for a in addresses[:6]) or "no iPAddress entries"
        hint = ""
        if str(wanted) in san.value.get_values_for_type(x509.DNSName):
            hint = "; the address appears as a dNSName, which never matches an IP"
        yield ctx.fail("hostname", 0, f"{peer} does not match the SAN ({listed}){hint}", rfc)
    else:
        emails = san.value.get_values_for_type(x509.RFC822Name)
        if any(match_email(e, peer.value) for e in emails):
            yield ctx.ok("hostname", 0, f"{peer} matches an rfc822Name SAN entry", rfc)
            return
        listed = ", ".join(emails[:6]) or "no rfc822Name entries"
        yield ctx.fail(
            "hostname", 0, f"{peer} does not match the SAN ({listed})", "RFC 5280 4.2.1.6"
        )


def ipaddress_like(text: str) -> bool:
    """Whether ``text`` parses as an IP address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def signature(ctx: Context) -> Iterator[Check]:
    """Each certificate's signature verifies with its issuer's key (RFC 5280 6.1.3 (a)(1))."""
    rfc = "RFC 5280 6.1.3 (a)(1)"
    path = ctx.path
    for i, cert in enumerate(path):
        if i + 1 < len(path):
            issuer = path[i + 1]
            problem = ctx.signature(cert, issuer)
            if problem and cert.signature_hash_name == "sha1":
                yield ctx.fail("signature", i, problem, "BR 7.1.3.2")
            elif problem:
                yield ctx.fail("signature", i, problem, rfc)
            else:
                name = cert.signature_algorithm_name
                yield ctx.ok("signature", i, f"signed by {issuer.label} ({name})", rfc)
        elif ctx.anchored:
            yield ctx.skip(
                "signature",
                i,
                "a trust anchor is trusted as given; its own signature is not relied on",
                "RFC 5280 6.1.1 (d)",
            )
        else:
            yield ctx.skip("signature", i, "its issuer was not found, so not checked", rfc)


def basic_constraints(ctx: Context) -> Iterator[Check]:
    """Issuers are CAs (cA=TRUE, critical); the leaf is not, in the Web PKI (RFC 5280 4.2.1.9)."""
    rfc = "RFC 5280 4.2.1.9"
    for i, cert in enumerate(ctx.path):
        if cert.extension_error:
            yield ctx.fail("basic-constraints", i, "extensions unreadable (see extensions)", rfc)
            continue
        bc = cert.ext(x509.BasicConstraints)
        if i == 0 and len(ctx.path) > 1:
            if bc is not None and bc.value.ca and not ctx.profile.leaf_may_be_ca:
                yield ctx.fail(
                    "basic-constraints",
                    0,
                    "the leaf is a CA certificate (cA=TRUE); the Web PKI forbids "
                    "validating a CA certificate as a server or client",
                    "BR 7.1.2.7.8",
                )
            else:
                yield ctx.ok(
                    "basic-constraints",
                    0,
                    "cA=TRUE, which RFC 5280 allows in the leaf position"
                    if bc is not None and bc.value.ca
                    else "an end-entity certificate (cA is not asserted)",
                    rfc,
                )
            continue
        if i == 0:
            continue
        if bc is None:
            yield ctx.fail(
                "basic-constraints",
                i,
                "it issues certificates but has no basicConstraints extension, so it is not a CA",
                rfc,
            )
        elif not bc.value.ca:
            yield ctx.fail(
                "basic-constraints",
                i,
                "it issues certificates but basicConstraints says cA=FALSE",
                rfc,
            )
        elif not bc.critical:
            yield ctx.fail(
                "basic-constraints",
                i,
                "basicConstraints in a CA certificate must be marked critical",
                rfc,
            )
        else:
            yield ctx.ok("basic-constraints", i, "a CA (cA=TRUE, critical)", rfc)


def path_length(ctx: Context) -> Iterator[Check]:
    """pathLenConstraint and the maximum chain depth hold (RFC 5280 4.2.1.9, 6.1.4 (l)(m))."""
    rfc = "RFC 5280 4.2.1.9"
    path = ctx.path
    below = 0  # non-self-issued intermediates strictly between the leaf and certificate i
    for i in range(1, len(path)):
        cert = path[i]
        bc = cert.ext(x509.BasicConstraints)
        limit = bc.value.path_length if bc is not None and bc.value.ca else None
        if limit is None:
            yield ctx.ok("path-length", i, "no pathLenConstraint", rfc)
        elif below > limit:
            yield ctx.fail(
                "path-length",
                i,
                f"pathLenConstraint={limit} allows {limit} intermediate CA(s) below it, "
                f"but {below} follow (self-issued ones not counted)",
                rfc,
            )
        else:
            yield ctx.ok(
                "path-length",
                i,
                f"pathLenConstraint={limit}; {below} intermediate CA(s) follow",
                rfc,
            )
        if not cert.self_issued:
            below += 1
    end = len(path) - 1 if ctx.anchored else len(path)
    depth = sum(1 for c in path[1:end] if not c.self_issued)
    if depth > ctx.max_depth:
        yield ctx.fail(
            "path-length",
            None,
            f"{depth} intermediates exceed the maximum chain depth of {ctx.max_depth}",
            "RFC 5280 6.1",
        )


def key_usage(ctx: Context) -> Iterator[Check]:
    """keyCertSign on issuers, not on the Web PKI leaf; at least one bit (RFC 5280 4.2.1.3)."""
    rfc = "RFC 5280 4.2.1.3"
    for i, cert in enumerate(ctx.path):
        ext = cert.ext(x509.KeyUsage)
        if ext is None:
            yield ctx.ok("key-usage", i, "no keyUsage extension (all usages allowed)", rfc)
            continue
        ku = ext.value
        bits = _ku_bits(ku)
        if not bits:
            yield ctx.fail("key-usage", i, "keyUsage is present with no bit set", rfc)
        elif i > 0 and not ku.key_cert_sign:
            yield ctx.fail(
                "key-usage", i, "it signs certificates but keyUsage lacks keyCertSign", rfc
            )
        elif i == 0 and len(ctx.path) > 1 and ku.key_cert_sign and not cert.is_ca:
            yield ctx.fail(
                "key-usage", 0, "keyCertSign is asserted but basicConstraints cA is not", rfc
            )
        elif i == 0 and len(ctx.path) > 1 and ku.key_cert_sign and not ctx.profile.leaf_may_be_ca:
            yield ctx.fail(
                "key-usage", 0, "a Web PKI leaf must not assert keyCertSign", "BR 7.1.2.7.11"
            )
        elif i == 0 and any(need not in bits for need in ctx.key_usage):
            missing = [need for need in ctx.key_usage if need not in bits]
            yield ctx.fail(
                "key-usage", 0, f"keyUsage lacks {', '.join(missing)}, which was required", rfc
            )
        else:
            yield ctx.ok("key-usage", i, f"keyUsage: {', '.join(bits)}", rfc)


def _ku_bits(ku: x509.KeyUsage) -> list[str]:
    names = [
        ("digital_signature", "digitalSignature"),
        ("content_commitment", "nonRepudiation"),
        ("key_encipherment", "keyEncipherment"),
        ("data_encipherment", "dataEncipherment"),
        ("key_agreement", "keyAgreement"),
        ("key_cert_sign", "keyCertSign"),
        ("crl_sign", "cRLSign"),
    ]
    bits = [label for attr, label in names if getattr(ku, attr)]
    if ku.key_agreement:
        if ku.encipher_only:
            bits.append("encipherOnly")
        if ku.decipher_only:
            bits.append("decipherOnly")
    return bits


# RFC 5280 gives an EKU in a CA certificate no meaning ("in general, this extension will
# appear only in end entity certificates"); that a CA's EKU limits its subtree ("EKU
# chaining") comes from the CA/B Forum (BR 7.1.2.10.6, CA certificate EKU), root programs
# such as Mozilla's, and the verifiers that enforce it (OpenSSL, cryptography).
_EKU_CHAINING = "EKU chaining: not in RFC 5280; BR 7.1.2.10.6, enforced by OpenSSL, cryptography"


def extended_key_usage(ctx: Context) -> Iterator[Check]:
    """The leaf (and any CA that restricts EKU) allows the purpose.

    The leaf's EKU follows RFC 5280 4.2.1.12; a CA's EKU is read as a limit on its
    subtree, which RFC 5280 does not define (see ``_EKU_CHAINING``).
    """
    rfc = "RFC 5280 4.2.1.12"
    wanted = ctx.eku
    want = " or ".join(eku_name(o) for o in wanted)
    profile = ctx.profile
    any_eku = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE
    for i, cert in enumerate(ctx.path):
        ext = cert.ext(x509.ExtendedKeyUsage)
        if i == 0:
            if ext is None:
                # BR 7.1.2.7.10 binds the CA; clients read a missing EKU as any purpose.
                if profile.require_leaf_eku and ExtendedKeyUsageOID.SERVER_AUTH in wanted:
                    yield ctx.issuance(
                        "extended-key-usage", 0, f"no EKU; the BRs require {want}", "BR 7.1.2.7.10"
                    )
                elif profile.require_leaf_eku:
                    # The BRs govern TLS server certificates; for a client certificate the
                    # requirement is this profile's own, modelled on the server rule.
                    yield ctx.issuance(
                        "extended-key-usage",
                        0,
                        f"no EKU; this profile requires {want}, as the BRs require serverAuth"
                        " of server certificates (RFC 5280 alone would allow any purpose)",
                        "BR 7.1.2.7.10 (by analogy); RFC 5280 4.2.1.12",
                    )
                else:
                    yield ctx.ok("extended-key-usage", 0, "no EKU (any purpose)", rfc)
                continue
            listed = [eku_name(o) for o in ext.value]
            if ext.critical and not profile.leaf_eku_critical_ok:
                yield ctx.fail(
                    "extended-key-usage", 0, "EKU is marked critical in a leaf", "BR 7.1.2.7.10"
                )
            elif any_eku in ext.value and not profile.leaf_any_eku:
                yield ctx.fail(
                    "extended-key-usage",
                    0,
                    "EKU includes anyExtendedKeyUsage, which a Web PKI leaf must not carry",
                    "BR 7.1.2.7.10",
                )
            elif any(o in wanted for o in ext.value):
                yield ctx.ok("extended-key-usage", 0, f"EKU allows {want}", rfc)
            elif any_eku in ext.value and profile.leaf_any_eku:
                yield ctx.ok("extended-key-usage", 0, "EKU includes anyExtendedKeyUsage", rfc)
            else:
                why = (
                    " (anyExtendedKeyUsage is not accepted in a Web PKI leaf)"
                    if (any_eku in ext.value)
                    else ""
                )
                yield ctx.fail(
                    "extended-key-usage",
                    0,
                    f"EKU lists {', '.join(listed) or 'nothing'}, not {want}{why}",
                    rfc,
                )
            continue
        if ext is None:
            continue
        if ctx.is_anchor(i) and cert.self_issued and profile.root_eku_forbidden:
            # BR 7.1.2.1 binds the CA; clients read a root's EKU as a limit, or ignore it.
            row = ctx.issuance(
                "extended-key-usage", i, "a root certificate must not carry EKU", "BR 7.1.2.1"
            )
            if row.failed:
                yield row
                continue
        if any(o in wanted or o == any_eku for o in ext.value):
            yield ctx.ok("extended-key-usage", i, f"this CA's EKU allows {want}", _EKU_CHAINING)
        else:
            restricted = ", ".join(eku_name(o) for o in ext.value) or "nothing"
            yield ctx.fail(
                "extended-key-usage",
                i,
                f"this CA's EKU restricts it to {restricted}, which excludes {want}",
                _EKU_CHAINING,
            )


def name_constraints(ctx: Context) -> Iterator[Check]:
    """Names below a constrained CA fall inside its subtrees (RFC 5280 4.2.1.10)."""
    rfc = "RFC 5280 4.2.1.10"
    for index, failed, message in constraints.check_path(
        ctx.path, must_be_critical=ctx.profile.nc_must_be_critical
    ):
        yield ctx.make("name-constraints", "fail" if failed else "pass", index, message, rfc)
