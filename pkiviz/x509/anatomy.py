"""The anatomy of an X.509 certificate: every field, named, as one frozen value.

:func:`anatomy` reads a certificate (RFC 5280 4.1) into an :class:`Anatomy`:
who it is about (subject), who vouches for it (issuer), the public key, the
validity window, what it may be used for (key usage, extended key usage,
basic constraints), where to check on it (AIA, CRL distribution points),
the policies it was issued under, every other extension, and the CA's
signature at the end. The result prints as aligned text, displays as an HTML
table in a notebook, and turns into JSON for ``pkiviz inspect --json``.

:func:`anatomy` never raises on a certificate cryptography could load: an
extension it cannot parse is listed as ``unparsed`` with its OID, an
unsupported key or signature algorithm is named by its OID, and a serial
number that RFC 5280 forbids becomes a note. The extensions are read by
:mod:`pkiviz.x509.extensions`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import re
import textwrap
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from pkiviz import _html
from pkiviz.errors import InputError
from pkiviz.vocabulary import CURVE_NAMES, mldsa_name
from pkiviz.x509.der import oid_name
from pkiviz.x509.extensions import (
    SHOWN_EXTENSIONS,
    BasicConstraintsInfo,
    ExtensionInfo,
    PolicyInfo,
    SubjectAltNames,
    colon_hex,
    extension_fields,
    read_extensions,
)
from pkiviz.x509.load import as_certificate
from pkiviz.x509.parse import serial_number

__all__ = ["Anatomy", "PublicKeyInfo", "SignatureInfo", "anatomy", "colon_hex", "iso_utc"]

# The extensions Anatomy shows on rows of their own (see SHOWN_EXTENSIONS).
_BASIC_CONSTRAINTS = "2.5.29.19"
_KEY_USAGE = "2.5.29.15"
_EKU = "2.5.29.37"
_SAN = "2.5.29.17"
_POLICIES = "2.5.29.32"
_SKI = "2.5.29.14"
_AKI = "2.5.29.35"
_AIA = "1.3.6.1.5.5.7.1.1"
_CRL_DP = "2.5.29.31"


def iso_utc(when: _dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``"2025-01-01T00:00:00Z"`` (naive means UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(_dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclasses.dataclass(frozen=True)
class PublicKeyInfo:
    """The subject's public key (RFC 5280 4.1.2.7).

    Attributes:
        algorithm: ``"RSA"``, ``"EC"``, ``"Ed25519"``, ``"Ed448"``, ``"DSA"``,
            ``"ML-DSA-44"``/``"-65"``/``"-87"``, or the algorithm OID's name for
            anything else.
        size: key size in bits, if known (``None`` for ML-DSA, sized by ``length``).
        curve: the named curve for EC keys, e.g. ``"P-256 (secp256r1)"``.
        spki_sha256: SHA-256 of the DER SubjectPublicKeyInfo, colon hex (the
            value key pinning uses).
        length: the raw public key's length in bytes, for keys measured that way
            (ML-DSA: 1312, 1952 or 2592 bytes, FIPS 204 table 2); else ``None``.
    """

    algorithm: str
    size: int | None
    curve: str | None
    spki_sha256: str
    length: int | None = None

    def describe(self) -> str:
        """One line, e.g. ``"EC P-256 (secp256r1), 256 bits"`` or ``"ML-DSA-44, 1312 bytes"``."""
        parts = [self.algorithm if self.curve is None else f"{self.algorithm} {self.curve}"]
        if self.size is not None:
            parts.append(f"{self.size} bits")
        if self.length is not None:
            parts.append(f"{self.length} bytes")
        return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class SignatureInfo:
    """The CA's signature over the TBSCertificate (RFC 5280 4.1.1.2, 4.1.1.3).

    Attributes:
        algorithm: name such as ``"ecdsa-with-SHA256"`` (the OID if unknown).
        oid: dotted OID of the signature algorithm.
        hash: the hash, e.g. ``"sha256"``; ``None`` for Ed25519 and ML-DSA (they
            sign the message itself) or if unknown.
        value_hex: the signature bytes, lower-case hex without separators.
    """

    algorithm: str
    oid: str
    hash: str | None
    value_hex: str

    @property
    def length(self) -> int:
        """Length of the signature in bytes."""
        return len(self.value_hex) // 2


def serial_hex(serial: int) -> str:
    """A serial number as ``openssl x509 -serial`` prints it: upper-case hex, whole bytes.

    Args:
        serial: the serial number (negative ones, which RFC 5280 forbids, keep their sign).

    Returns:
        E.g. ``"0936F1..."`` for a 20-octet serial whose first octet is ``0x09``.
    """
    sign = "-" if serial < 0 else ""
    digits = f"{abs(serial):X}"
    return sign + ("0" * (len(digits) % 2)) + digits


@dataclasses.dataclass(frozen=True)
class Anatomy:
    """Every field of one certificate, ready to print. Build with :func:`anatomy`.

    Attributes:
        subject: the subject name, RFC 4514 string.
        issuer: the issuer name, RFC 4514 string.
        serial_number: the serial number.
        version: 1 or 3 (the DER holds 0 or 2).
        not_before: start of validity, aware UTC.
        not_after: end of validity, aware UTC.
        public_key: the subject's public key.
        subject_alt_names: the SANs (empty if the extension is absent).
        key_usage: RFC 5280 names of the bits set, ``None`` if absent.
        extended_key_usage: EKU names (``"serverAuth"``...) or OIDs, ``None`` if absent.
        basic_constraints: ``None`` if absent.
        subject_key_identifier: colon hex, ``None`` if absent.
        authority_key_identifier: the keyIdentifier, colon hex, ``None`` if absent.
        policies: certificate policies in order.
        ocsp_urls: AIA OCSP responder URLs (RFC 5280 4.2.2.1).
        ca_issuers_urls: AIA caIssuers URLs.
        crl_distribution_points: CRL URLs and names (RFC 5280 4.2.1.13).
        extensions: every extension in certificate order.
        signature: the CA's signature.
        fingerprint_sha256: SHA-256 of the DER, colon hex, upper case.
        notes: anything odd about the certificate, one line each.
    """

    subject: str
    issuer: str
    serial_number: int
    version: int
    not_before: _dt.datetime
    not_after: _dt.datetime
    public_key: PublicKeyInfo
    subject_alt_names: SubjectAltNames
    key_usage: tuple[str, ...] | None
    extended_key_usage: tuple[str, ...] | None
    basic_constraints: BasicConstraintsInfo | None
    subject_key_identifier: str | None
    authority_key_identifier: str | None
    policies: tuple[PolicyInfo, ...]
    ocsp_urls: tuple[str, ...]
    ca_issuers_urls: tuple[str, ...]
    crl_distribution_points: tuple[str, ...]
    extensions: tuple[ExtensionInfo, ...]
    signature: SignatureInfo
    fingerprint_sha256: str
    notes: tuple[str, ...] = ()

    @property
    def serial_hex(self) -> str:
        """The serial as ``openssl x509 -serial`` prints it: upper-case hex, even length."""
        return serial_hex(self.serial_number)

    @property
    def self_issued(self) -> bool:
        """Whether subject and issuer are the same name (a root, usually)."""
        return self.subject == self.issuer

    @property
    def other_extensions(self) -> tuple[ExtensionInfo, ...]:
        """Extensions without a field of their own, plus any that could not be parsed."""
        return tuple(
            e for e in self.extensions if e.oid not in SHOWN_EXTENSIONS or e.status != "parsed"
        )

    @property
    def critical_extensions(self) -> frozenset[str]:
        """Dotted OIDs of the extensions marked critical (RFC 5280 4.2)."""
        return frozenset(e.oid for e in self.extensions if e.critical)

    def rows(self) -> tuple[tuple[str, str], ...]:
        """(label, value) pairs in certificate order; section titles have value ``""``.

        Every row read from a critical extension ends in ``" (critical)"``, as
        ``openssl x509 -text`` marks it. Both :meth:`text` and :meth:`_repr_html_`
        render these rows.
        """
        rows: list[tuple[str, str]] = [
            ("Version", f"v{self.version}"),
            ("Serial number", self.serial_hex),
            ("Signature algorithm", f"{self.signature.algorithm} ({self.signature.oid})"),
            ("Issuer", self.issuer),
            ("Validity", ""),
            ("  Not before", iso_utc(self.not_before)),
            ("  Not after", iso_utc(self.not_after)),
            ("Subject", self.subject),
            ("Public key", self.public_key.describe()),
            ("  SPKI SHA-256", self.public_key.spki_sha256),
            (f"Extensions ({len(self.extensions)})", ""),
        ]
        critical = self.critical_extensions

        def flag(oid: str) -> str:
            return " (critical)" if oid in critical else ""

        if self.basic_constraints is not None:
            bc = self.basic_constraints
            value = f"CA={'TRUE' if bc.ca else 'FALSE'}"
            if bc.path_length is not None:
                value += f", pathlen={bc.path_length}"
            rows.append(("  Basic constraints", value + flag(_BASIC_CONSTRAINTS)))
        if self.key_usage is not None:
            rows.append(("  Key usage", (", ".join(self.key_usage) or "(none)") + flag(_KEY_USAGE)))
        if self.extended_key_usage is not None:
            rows.append(("  Extended key usage", ", ".join(self.extended_key_usage) + flag(_EKU)))
        if self.subject_alt_names:
            san = ", ".join(self.subject_alt_names.entries())
            rows.append(("  Subject alt names", san + flag(_SAN)))
        for policy in self.policies:
            label = policy.oid + (f" {policy.name}" if policy.name else "")
            rows.append(("  Policy", label + flag(_POLICIES)))
        if self.subject_key_identifier is not None:
            rows.append(("  Subject key id", self.subject_key_identifier + flag(_SKI)))
        if self.authority_key_identifier is not None:
            rows.append(("  Authority key id", self.authority_key_identifier + flag(_AKI)))
        rows.extend(("  OCSP", url + flag(_AIA)) for url in self.ocsp_urls)
        rows.extend(("  CA issuers", url + flag(_AIA)) for url in self.ca_issuers_urls)
        rows.extend(("  CRL", point + flag(_CRL_DP)) for point in self.crl_distribution_points)
        for ext in self.other_extensions:
            flags = ", ".join(
                x for x in ("critical" if ext.critical else "", ext.status, ext.summary) if x
            )
            rows.append((f"  {ext.name}", f"{ext.oid} ({flags})" if ext.name != ext.oid else flags))
        rows += [
            (
                "Signature (by the issuer)",
                f"{self.signature.algorithm}, {self.signature.length} bytes",
            ),
            ("  Value", self.signature.value_hex),
            ("Fingerprint SHA-256", self.fingerprint_sha256),
        ]
        rows.extend(("Note", note) for note in self.notes)
        return tuple(rows)

    def text(self, *, width: int = 100) -> str:
        """Aligned, deterministic text, as ``pkiviz inspect`` prints it.

        Args:
            width: long values (the signature) wrap to stay within this width.

        Returns:
            A title line, then one line per field.
        """
        rows = self.rows()
        label_width = max(len(label) for label, _ in rows) + 2
        room = max(width - label_width - 2, 32)
        lines = [f"Certificate: {self.subject}"]
        for label, value in rows:
            chunks = _wrap(value, room)
            lines.append(f"  {label:<{label_width}}{chunks[0]}".rstrip())
            lines.extend(f"  {'':<{label_width}}{chunk}" for chunk in chunks[1:])
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        body = []
        for label, value in self.rows():
            indent = len(label) - len(label.lstrip(" "))
            name = "&nbsp;" * (2 * indent) + _html.escape(label.strip())
            if not value:
                body.append((f"<b>{name}</b>", ""))
                continue
            cell = _html.mono(value) if label.strip() in _MONO_ROWS else _html.escape(value)
            if label.strip() == "Value":
                cell = (
                    f'<code style="{_html.MONO};word-break:break-all">{_html.escape(value)}</code>'
                )
            body.append((name, cell))
        return _html.table(body, caption=f"Certificate: {self.subject}", escaped=True)

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (times ISO 8601 UTC with ``Z``), used by ``pkiviz inspect --json``."""
        san = self.subject_alt_names
        bc = self.basic_constraints
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "version": self.version,
            "serial_number": self.serial_hex,
            "serial_number_decimal": str(self.serial_number),
            "not_before": iso_utc(self.not_before),
            "not_after": iso_utc(self.not_after),
            "public_key": dataclasses.asdict(self.public_key),
            "subject_alt_names": {
                "dns": list(san.dns),
                "ip": list(san.ip),
                "email": list(san.email),
                "uri": list(san.uri),
                "other": list(san.other),
            },
            "key_usage": None if self.key_usage is None else list(self.key_usage),
            "extended_key_usage": None
            if self.extended_key_usage is None
            else list(self.extended_key_usage),
            "basic_constraints": None if bc is None else dataclasses.asdict(bc),
            "subject_key_identifier": self.subject_key_identifier,
            "authority_key_identifier": self.authority_key_identifier,
            "certificate_policies": [
                {"oid": p.oid, "name": p.name, "qualifiers": list(p.qualifiers)}
                for p in self.policies
            ],
            "authority_info_access": {
                "ocsp": list(self.ocsp_urls),
                "ca_issuers": list(self.ca_issuers_urls),
            },
            "crl_distribution_points": list(self.crl_distribution_points),
            "extensions": [dataclasses.asdict(e) for e in self.extensions],
            "signature_algorithm": self.signature.algorithm,
            "signature_algorithm_oid": self.signature.oid,
            "signature_hash": self.signature.hash,
            "signature_value": self.signature.value_hex,
            "fingerprint_sha256": self.fingerprint_sha256,
            "self_issued": self.self_issued,
            "notes": list(self.notes),
        }


def _wrap(value: str, room: int) -> list[str]:
    """Split a long value into lines: colon hex at byte boundaries, blobs evenly, text at spaces."""
    if len(value) <= room:
        return [value]
    if _COLON_HEX.fullmatch(value):
        per_line = room // 3  # "AB:" per octet, the last line without the colon
        octets = value.split(":")
        groups = [octets[i : i + per_line] for i in range(0, len(octets), per_line)]
        return [":".join(g) + (":" if i < len(groups) - 1 else "") for i, g in enumerate(groups)]
    if " " not in value:
        step = room - room % 2
        return [value[i : i + step] for i in range(0, len(value), step)]
    return textwrap.wrap(value, room, break_on_hyphens=False) or [value]


_COLON_HEX = re.compile(r"[0-9A-F]{2}(:[0-9A-F]{2})+")
_MONO_ROWS = frozenset(
    {"Serial number", "SPKI SHA-256", "Subject key id", "Authority key id", "Fingerprint SHA-256"}
)


def anatomy(cert: object) -> Anatomy:
    """Take a certificate apart into its named fields.

    Args:
        cert: a cryptography certificate, an :class:`~pkiviz.x509.factory.Issued`,
            or PEM/DER bytes of one certificate.

    Returns:
        The anatomy. Odd but loadable certificates do not raise; what could
        not be read is named in :attr:`Anatomy.notes` or as an ``unparsed``
        extension.

    Raises:
        InputError: if ``cert`` is bytes that are not one certificate.
        TypeError: for any other type.
    """
    certificate = as_certificate(cert)
    der = certificate.public_bytes(serialization.Encoding.DER)
    notes: list[str] = []
    serial = _serial(certificate, notes)
    extensions, infos = read_extensions(certificate, der, notes)
    fields = extension_fields(extensions)
    return Anatomy(
        subject=_name(lambda: certificate.subject, "subject", notes),
        issuer=_name(lambda: certificate.issuer, "issuer", notes),
        serial_number=serial,
        version=_version(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        public_key=_public_key(certificate, der, notes),
        signature=_signature(certificate),
        extensions=tuple(infos),
        fingerprint_sha256=colon_hex(hashlib.sha256(der).digest()),
        notes=tuple(notes),
        **fields,
    )


# --- fields -------------------------------------------------------------------


def _serial(cert: x509.Certificate, notes: list[str]) -> int:
    serial = serial_number(cert)
    if serial <= 0:
        notes.append(
            f"serial number {serial} is not positive, which RFC 5280 4.1.2.2 forbids "
            "(cryptography warns it will refuse such certificates)"
        )
    return serial


def _version(cert: x509.Certificate) -> int:
    try:
        return cert.version.value + 1
    except x509.InvalidVersion as exc:  # pragma: no cover - cryptography refuses these at load
        return int(exc.parsed_version) + 1


def _name(get: Any, which: str, notes: list[str]) -> str:
    try:
        name: x509.Name = get()
        return name.rfc4514_string()
    except ValueError as exc:
        notes.append(f"{which} name could not be decoded: {exc}")
        return "(undecodable)"


def _public_key(cert: x509.Certificate, der: bytes, notes: list[str]) -> PublicKeyInfo:
    from pkiviz.x509.bytemap import byte_map

    try:
        spki = byte_map(der).bytes_of("subjectPublicKeyInfo")
    except (InputError, KeyError):  # pragma: no cover - cryptography parsed it, so it is there
        spki = b""
    fingerprint = colon_hex(hashlib.sha256(spki).digest())
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        dotted = cert.public_key_algorithm_oid.dotted_string
        notes.append(f"public key ({oid_name(dotted)}) not supported by cryptography: {exc}")
        return PublicKeyInfo(oid_name(dotted), None, None, fingerprint)
    if isinstance(key, rsa.RSAPublicKey):
        return PublicKeyInfo("RSA", key.key_size, None, fingerprint)
    if isinstance(key, ec.EllipticCurvePublicKey):
        curve = key.curve.name
        label = f"{CURVE_NAMES[curve]} ({curve})" if curve in CURVE_NAMES else curve
        return PublicKeyInfo("EC", key.curve.key_size, label, fingerprint)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return PublicKeyInfo("Ed25519", 256, None, fingerprint)
    if isinstance(key, ed448.Ed448PublicKey):
        return PublicKeyInfo("Ed448", 456, None, fingerprint)
    if isinstance(key, dsa.DSAPublicKey):
        return PublicKeyInfo("DSA", key.key_size, None, fingerprint)
    if mldsa_name(key) is not None:
        # RFC 9881 4: the subjectPublicKey BIT STRING holds the raw FIPS 204 public key.
        name = oid_name(cert.public_key_algorithm_oid.dotted_string)
        return PublicKeyInfo(name, None, None, fingerprint, len(key.public_bytes_raw()))
    dotted = cert.public_key_algorithm_oid.dotted_string
    return PublicKeyInfo(oid_name(dotted), None, None, fingerprint)


def _signature(cert: x509.Certificate) -> SignatureInfo:
    dotted = cert.signature_algorithm_oid.dotted_string
    try:
        algorithm = cert.signature_hash_algorithm
        digest = None if algorithm is None else algorithm.name
    except UnsupportedAlgorithm:
        digest = None
    return SignatureInfo(oid_name(dotted), dotted, digest, cert.signature.hex())
