"""A certificate's extensions (RFC 5280 4.2), read robustly into small frozen records.

:func:`read_extensions` lists every extension of a certificate as an
:class:`ExtensionInfo`. If cryptography rejects the extension list as a
whole, each extension is re-wrapped alone in a copy of the certificate and
parsed on its own, so one malformed extension is reported as ``unparsed``
(with a note) instead of hiding the others.

:func:`extension_fields` turns the parsed extensions into the fields
:class:`pkiviz.x509.anatomy.Anatomy` shows on their own lines: subject alternative
names, key usage, extended key usage, basic constraints, key identifiers,
policies, AIA URLs and CRL distribution points.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from cryptography import x509

from pkiviz.x509.der import children, decode_oid, encode_tlv, oid_name, read_single
from pkiviz.x509.parse import parse_der_certificate, quiet_serial_warning

#: RFC 5280 4.2.1.3 names of the key usage bits, with cryptography's attribute names.
KEY_USAGE_BITS: tuple[tuple[str, str], ...] = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
    ("encipher_only", "encipherOnly"),
    ("decipher_only", "decipherOnly"),
)

#: Extensions that have a field of their own in :class:`pkiviz.x509.anatomy.Anatomy`.
SHOWN_EXTENSIONS: frozenset[str] = frozenset(
    {
        "2.5.29.14",  # subjectKeyIdentifier
        "2.5.29.15",  # keyUsage
        "2.5.29.17",  # subjectAltName
        "2.5.29.19",  # basicConstraints
        "2.5.29.31",  # cRLDistributionPoints
        "2.5.29.32",  # certificatePolicies
        "2.5.29.35",  # authorityKeyIdentifier
        "2.5.29.37",  # extKeyUsage
        "1.3.6.1.5.5.7.1.1",  # authorityInfoAccess
    }
)


ExtensionStatus = Literal["parsed", "unrecognized", "unparsed"]


def colon_hex(data: bytes) -> str:
    """Upper-case hex with colons, as fingerprints are printed: ``"AB:CD:..."``."""
    return ":".join(f"{b:02X}" for b in data)


@dataclasses.dataclass(frozen=True)
class SubjectAltNames:
    """Subject alternative names by kind (RFC 5280 4.2.1.6).

    Attributes:
        dns: dNSName entries.
        ip: iPAddress entries (addresses, or networks in name constraints).
        email: rfc822Name entries.
        uri: uniformResourceIdentifier entries.
        other: any other kind, as ``"kind:value"`` strings.
    """

    dns: tuple[str, ...] = ()
    ip: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    uri: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    def entries(self) -> tuple[str, ...]:
        """Every name as ``"DNS:..."``, ``"IP:..."``, ``"email:..."``, ``"URI:..."``."""
        return (
            tuple(f"DNS:{v}" for v in self.dns)
            + tuple(f"IP:{v}" for v in self.ip)
            + tuple(f"email:{v}" for v in self.email)
            + tuple(f"URI:{v}" for v in self.uri)
            + self.other
        )

    def __bool__(self) -> bool:
        return bool(self.entries())


@dataclasses.dataclass(frozen=True)
class BasicConstraintsInfo:
    """basicConstraints (RFC 5280 4.2.1.9).

    Attributes:
        ca: whether the subject is a CA.
        path_length: pathLenConstraint, ``None`` if absent.
        critical: whether the extension is marked critical.
    """

    ca: bool
    path_length: int | None
    critical: bool


@dataclasses.dataclass(frozen=True)
class PolicyInfo:
    """One certificate policy (RFC 5280 4.2.1.4).

    Attributes:
        oid: the policy OID.
        name: a known name, e.g. ``"CA/B Forum domain validated (DV)"`` for
            2.23.140.1.2.1 (Baseline Requirements 7.1.6.1), else ``None``.
        qualifiers: CPS URIs and user-notice texts.
    """

    oid: str
    name: str | None
    qualifiers: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class ExtensionInfo:
    """One extension as it appears in the certificate (RFC 5280 4.2).

    Attributes:
        oid: dotted OID.
        name: the extension's name, or the OID if unknown.
        critical: the critical flag.
        status: ``"parsed"`` (cryptography understood it), ``"unrecognized"``
            (an OID cryptography does not know; value kept raw) or
            ``"unparsed"`` (a known OID whose value cryptography rejected).
        summary: a short description of the value, for extensions without a
            field of their own in :class:`~pkiviz.x509.anatomy.Anatomy`.
    """

    oid: str
    name: str
    critical: bool
    status: ExtensionStatus
    summary: str = ""


# --- reading --------------------------------------------------------------------


def read_extensions(
    cert: x509.Certificate, der: bytes, notes: list[str]
) -> tuple[list[x509.Extension[x509.ExtensionType]], list[ExtensionInfo]]:
    """Parse the extensions; if cryptography rejects the list, parse them one at a time.

    Args:
        cert: the certificate.
        der: its DER (read directly when the extensions are parsed one at a time).
        notes: a list to append one line to for each thing found wrong.

    Returns:
        The extensions cryptography could parse, and one :class:`ExtensionInfo`
        per extension in certificate order (``unparsed`` ones included).
    """
    try:
        with quiet_serial_warning():
            parsed = list(cert.extensions)
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        before = len(notes)
        result = _one_by_one(der, notes)
        if len(notes) == before:  # each parses alone: the list as a whole is wrong
            notes.append(f"cryptography rejects the extension list: {_first_line(exc)}")
        return result
    return parsed, [_info(e) for e in parsed]


def _info(ext: x509.Extension[x509.ExtensionType]) -> ExtensionInfo:
    dotted = ext.oid.dotted_string
    status: ExtensionStatus = (
        "unrecognized" if isinstance(ext.value, x509.UnrecognizedExtension) else "parsed"
    )
    summary = "" if dotted in SHOWN_EXTENSIONS else _summary(ext.value)
    return ExtensionInfo(dotted, oid_name(dotted), ext.critical, status, summary)


def _one_by_one(
    der: bytes, notes: list[str]
) -> tuple[list[x509.Extension[x509.ExtensionType]], list[ExtensionInfo]]:
    """Re-wrap each extension alone in a copy of the certificate and let cryptography parse it.

    The copy's signature no longer matches, which does not matter: only the
    extension is read from it.
    """
    top = read_single(der)
    tbs, alg, sig = children(der, top)
    fields = children(der, tbs)
    wrapper = fields[-1]
    prefix = der[tbs.content_start : wrapper.start]
    (seq,) = children(der, wrapper)
    parsed: list[x509.Extension[x509.ExtensionType]] = []
    infos: list[ExtensionInfo] = []
    for raw in children(der, seq):
        parts = children(der, raw)
        dotted = decode_oid(parts[0].content(der))
        critical = len(parts) == 3 and parts[1].content(der) != b"\x00"
        single = encode_tlv(0xA3, encode_tlv(0x30, der[raw.start : raw.end]))
        copy = encode_tlv(
            0x30, encode_tlv(0x30, prefix + single) + der[alg.start : alg.end] + der[sig.start :]
        )
        try:
            ext = parse_der_certificate(copy).extensions[0]
        except (ValueError, x509.UnsupportedGeneralNameType) as exc:
            notes.append(f"extension {oid_name(dotted)} ({dotted}) is unparsed: {_first_line(exc)}")
            value = parts[-1].content(der)
            infos.append(
                ExtensionInfo(dotted, oid_name(dotted), critical, "unparsed", f"{len(value)} bytes")
            )
            continue
        parsed.append(ext)
        infos.append(_info(ext))
    return parsed, infos


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


# --- the fields Anatomy shows on their own lines ---------------------------------


def extension_fields(exts: list[x509.Extension[x509.ExtensionType]]) -> dict[str, Any]:
    """The :class:`~pkiviz.x509.anatomy.Anatomy` fields that come from parsed extensions.

    Args:
        exts: parsed extensions, as :func:`read_extensions` returns them.

    Returns:
        Keyword arguments for :class:`~pkiviz.x509.anatomy.Anatomy`: every field
        that an extension fills, with its "absent" value if that extension is missing.
    """
    out: dict[str, Any] = {
        "subject_alt_names": SubjectAltNames(),
        "key_usage": None,
        "extended_key_usage": None,
        "basic_constraints": None,
        "subject_key_identifier": None,
        "authority_key_identifier": None,
        "policies": (),
        "ocsp_urls": (),
        "ca_issuers_urls": (),
        "crl_distribution_points": (),
    }
    for ext in exts:
        value = ext.value
        if isinstance(value, x509.SubjectAlternativeName):
            kinds: dict[str, list[str]] = {k: [] for k in ("dns", "ip", "email", "uri", "other")}
            for general in value:
                kind, text = _general_name(general)
                kinds[kind].append(text)
            out["subject_alt_names"] = SubjectAltNames(**{k: tuple(v) for k, v in kinds.items()})
        elif isinstance(value, x509.KeyUsage):
            out["key_usage"] = tuple(rfc for attr, rfc in KEY_USAGE_BITS if _bit(value, attr))
        elif isinstance(value, x509.ExtendedKeyUsage):
            out["extended_key_usage"] = tuple(oid_name(o.dotted_string) for o in value)
        elif isinstance(value, x509.BasicConstraints):
            out["basic_constraints"] = BasicConstraintsInfo(
                value.ca, value.path_length, ext.critical
            )
        elif isinstance(value, x509.SubjectKeyIdentifier):
            out["subject_key_identifier"] = colon_hex(value.digest)
        elif isinstance(value, x509.AuthorityKeyIdentifier):
            if value.key_identifier is not None:
                out["authority_key_identifier"] = colon_hex(value.key_identifier)
        elif isinstance(value, x509.CertificatePolicies):
            out["policies"] = tuple(_policy(p) for p in value)
        elif isinstance(value, x509.AuthorityInformationAccess):
            out["ocsp_urls"] = _access(value, "1.3.6.1.5.5.7.48.1")
            out["ca_issuers_urls"] = _access(value, "1.3.6.1.5.5.7.48.2")
        elif isinstance(value, x509.CRLDistributionPoints):
            out["crl_distribution_points"] = tuple(_points(value))
    return out


def _bit(usage: x509.KeyUsage, attr: str) -> bool:
    try:
        return bool(getattr(usage, attr))
    except ValueError:  # encipher_only/decipher_only are undefined without keyAgreement
        return False


def _policy(info: x509.PolicyInformation) -> PolicyInfo:
    dotted = info.policy_identifier.dotted_string
    name = oid_name(dotted)
    qualifiers: list[str] = []
    for qualifier in info.policy_qualifiers or ():
        if isinstance(qualifier, str):
            qualifiers.append(f"CPS: {qualifier}")
        elif qualifier.explicit_text:
            qualifiers.append(f"notice: {qualifier.explicit_text}")
    return PolicyInfo(dotted, None if name == dotted else name, tuple(qualifiers))


def _access(value: x509.AuthorityInformationAccess, method: str) -> tuple[str, ...]:
    return tuple(
        _general_name(d.access_location)[1]
        for d in value
        if d.access_method.dotted_string == method
    )


def _points(value: x509.CRLDistributionPoints) -> list[str]:
    out: list[str] = []
    for point in value:
        for general in point.full_name or ():
            out.append(_general_name(general)[1])
        if point.relative_name is not None:
            out.append(f"relative name {point.relative_name.rfc4514_string()}")
    return out


def _summary(value: x509.ExtensionType) -> str:
    if isinstance(value, x509.UnrecognizedExtension):
        raw = value.value.hex()
        return f"value {raw[:32]}{'...' if len(raw) > 32 else ''} ({len(value.value)} bytes)"
    if isinstance(value, x509.NameConstraints):
        parts = [
            f"{label}: " + ", ".join(_general_name(g)[1] for g in trees)
            for label, trees in (
                ("permitted", value.permitted_subtrees),
                ("excluded", value.excluded_subtrees),
            )
            if trees
        ]
        return "; ".join(parts)
    if isinstance(value, x509.TLSFeature):
        return ", ".join(f.name for f in value)
    if isinstance(value, x509.PrecertificateSignedCertificateTimestamps):
        return f"{len(value)} SCTs"
    return ""


def _general_name(name: x509.GeneralName) -> tuple[str, str]:
    if isinstance(name, x509.DNSName):
        return "dns", name.value
    if isinstance(name, x509.IPAddress):
        return "ip", str(name.value)
    if isinstance(name, x509.RFC822Name):
        return "email", name.value
    if isinstance(name, x509.UniformResourceIdentifier):
        return "uri", name.value
    if isinstance(name, x509.DirectoryName):
        return "other", f"DirName:{name.value.rfc4514_string()}"
    if isinstance(name, x509.RegisteredID):
        return "other", f"RID:{name.value.dotted_string}"
    if isinstance(name, x509.OtherName):
        return "other", f"othername:{name.type_id.dotted_string}:{name.value.hex()}"
    return "other", repr(name)  # pragma: no cover - cryptography has no other kinds
