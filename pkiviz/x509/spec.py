"""CertSpec: everything the factory needs to build one certificate, as data.

A spec is a frozen dataclass. Breaking a certificate means making a new spec
with :func:`dataclasses.replace` and building again, never mutating one.
Names used for key usages, extended key usages and policies are short words
(``"server_auth"``, ``"ev"``) or dotted OIDs for anything else.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from pkiviz import clock
from pkiviz.vocabulary import EKU_OIDS, POLICY_OIDS
from pkiviz.x509.keys import check_key_type

HashName = Literal["sha1", "sha256", "sha384", "sha512"]

KEY_USAGES: tuple[str, ...] = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def oid_of(name: str, table: dict[str, ObjectIdentifier]) -> ObjectIdentifier:
    """Look a short name up in ``table``, or parse a dotted OID.

    Args:
        name: a key of ``table`` or a dotted OID such as ``"1.3.6.1.5.5.7.3.1"``.
        table: short names to OIDs.

    Returns:
        The OID.

    Raises:
        ValueError: if ``name`` is neither.
    """
    if name in table:
        return table[name]
    if name and all(part.isdigit() for part in name.split(".")) and name.count(".") >= 1:
        return ObjectIdentifier(name)
    raise ValueError(f"unknown name {name!r}; use one of {', '.join(table)} or a dotted OID")


@dataclasses.dataclass(frozen=True)
class CustomExtension:
    """An extension given as raw DER, for anything the spec has no field for.

    Attributes:
        oid: dotted OID of the extension.
        value: the DER encoding of the extension's value (extnValue contents).
        critical: whether the extension is marked critical.
    """

    oid: str
    value: bytes
    critical: bool = False


@dataclasses.dataclass(frozen=True)
class CertSpec:
    """What to build. Every field has a teaching-friendly default.

    Attributes:
        label: seed label; the key and the serial number derive from it in
            deterministic mode, and it names the certificate in reports.
        subject: the subject as an RFC 4514 string, e.g.
            ``"CN=login.example.com"`` or ``"C=US,O=Example,CN=Root"``.
        ca: whether this is a CA certificate (basicConstraints cA=TRUE).
        path_length: basicConstraints pathLenConstraint (CAs only).
        key: key type, see :data:`pkiviz.x509.keys.KEY_TYPES`.
        key_seed: seed label for the key; defaults to ``label``. Two specs
            with the same key_seed and key type share one key pair.
        hash: signature hash the *issuer* uses; ignored for Ed25519 issuers.
        not_before: start of validity.
        not_after: end of validity.
        serial: serial number; ``None`` derives one from ``label``.
        dns_names: SAN dNSName entries.
        ip_addresses: SAN iPAddress entries.
        emails: SAN rfc822Name entries.
        key_usage: key usage names; ``None`` picks the usual ones for the role
            (CA: key_cert_sign + crl_sign; leaf: digital_signature, plus
            key_encipherment for RSA); ``()`` omits the extension.
        extended_key_usage: EKU names or dotted OIDs; ``()`` omits it.
        basic_constraints: include the basicConstraints extension at all.
        permitted_subtrees: name constraints, e.g. ``("DNS:example.com",
            "IP:10.0.0.0/8", "email:example.com")``.
        excluded_subtrees: as ``permitted_subtrees``, excluded.
        policies: certificate policy names (``"dv"``, ``"ov"``, ``"ev"``,
            ``"any"``) or dotted OIDs.
        ocsp_url: AIA OCSP responder URL.
        ca_issuers_url: AIA caIssuers URL.
        crl_url: CRL distribution point URL.
        must_staple: add the TLS Feature extension asking for status_request
            (RFC 7633, "OCSP Must-Staple").
        subject_key_identifier: include SKI.
        authority_key_identifier: include AKI (not on self-signed roots).
        extra_extensions: any further extensions, as raw DER.
    """

    label: str
    subject: str
    ca: bool = False
    path_length: int | None = None
    key: str = "ec-p256"
    key_seed: str | None = None
    hash: HashName = "sha256"
    not_before: _dt.datetime = clock.LEAF_NOT_BEFORE
    not_after: _dt.datetime = clock.LEAF_NOT_AFTER
    serial: int | None = None
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    key_usage: tuple[str, ...] | None = None
    extended_key_usage: tuple[str, ...] = ()
    basic_constraints: bool = True
    permitted_subtrees: tuple[str, ...] = ()
    excluded_subtrees: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    ocsp_url: str | None = None
    ca_issuers_url: str | None = None
    crl_url: str | None = None
    must_staple: bool = False
    subject_key_identifier: bool = True
    authority_key_identifier: bool = True
    extra_extensions: tuple[CustomExtension, ...] = ()

    def __post_init__(self) -> None:
        check_key_type(self.key)
        if not self.label:
            raise ValueError("label must not be empty")
        x509.Name.from_rfc4514_string(self.subject)  # raises ValueError if malformed
        for usage in self.key_usage or ():
            if usage not in KEY_USAGES:
                raise ValueError(f"unknown key usage {usage!r}; use one of {', '.join(KEY_USAGES)}")
        for eku in self.extended_key_usage:
            oid_of(eku, EKU_OIDS)
        for policy in self.policies:
            oid_of(policy, POLICY_OIDS)
        if self.path_length is not None and self.path_length < 0:
            raise ValueError("path_length must be >= 0")

    @property
    def seed(self) -> str:
        """The seed the key derives from."""
        return self.key_seed if self.key_seed is not None else self.label
