"""Build and sign certificate revocation lists (RFC 5280 section 5), deterministically.

A CRL is the CA's signed list of serial numbers it has taken back before they
expired, each with the time and (optionally) the reason. :func:`build_crl` makes
one from an :class:`~pkiviz.x509.factory.Issued` CA; the same inputs give the same
DER on every run (ECDSA signatures use RFC 6979).

Checking a certificate against a CRL during path validation belongs to
:mod:`pkiviz.validation`; this module builds CRLs and lists what is in them.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pkiviz import clock
from pkiviz.revocation._common import (
    REASONS,
    certificate_of,
    default_hash,
    hash_named,
    html_table,
    reason_flag,
    reason_name,
    when_text,
)
from pkiviz.x509.anatomy import serial_hex
from pkiviz.x509.factory import Blob, Issued
from pkiviz.x509.parse import serial_number

#: Default CRL lifetime (nextUpdate - thisUpdate). The CA/B Forum Baseline
#: Requirements (4.9.7) allow at most 10 days for subscriber CRLs.
DEFAULT_CRL_LIFETIME = _dt.timedelta(days=7)

#: Default thisUpdate: a day before the book clock, so the CRL is fresh at it.
DEFAULT_THIS_UPDATE = clock.BOOK_CLOCK - _dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class RevokedEntry:
    """One revokedCertificates entry of a CRL.

    Attributes:
        serial: the revoked certificate's serial number.
        revoked_at: the revocationDate.
        reason: a reason name from :data:`REASONS` (e.g. ``"key_compromise"``),
            or ``None`` to leave out the reasonCode extension.
    """

    serial: int
    revoked_at: _dt.datetime
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.serial <= 0:
            raise ValueError("serial must be a positive integer (RFC 5280 4.1.2.2)")
        reason_flag(self.reason)
        object.__setattr__(self, "revoked_at", clock.as_utc(self.revoked_at))

    @classmethod
    def of(
        cls,
        cert: Issued | x509.Certificate,
        *,
        at: _dt.datetime,
        reason: str | None = None,
    ) -> RevokedEntry:
        """The entry revoking ``cert`` at ``at``.

        Args:
            cert: the certificate to revoke.
            at: the revocation time.
            reason: a reason name, or ``None``.

        Returns:
            The entry.
        """
        return cls(serial_number(certificate_of(cert)), at, reason)

    def __str__(self) -> str:
        why = self.reason or "no reason given"
        return f"serial {serial_hex(self.serial)} revoked {when_text(self.revoked_at)} ({why})"


def entries_of(crl: x509.CertificateRevocationList) -> tuple[RevokedEntry, ...]:
    """Read the entries of any CRL (one pkiviz built, or ``openssl ca -gencrl`` did).

    Args:
        crl: a parsed CRL.

    Returns:
        Its entries in the order the CRL lists them.
    """
    out: list[RevokedEntry] = []
    for revoked in crl:
        try:
            flag: x509.ReasonFlags | None = revoked.extensions.get_extension_for_class(
                x509.CRLReason
            ).value.reason
        except x509.ExtensionNotFound:
            flag = None
        when = revoked.revocation_date_utc
        out.append(RevokedEntry(revoked.serial_number, when, reason_name(flag)))
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class BuiltCrl:
    """A signed CRL. Make one with :func:`build_crl`.

    Attributes:
        crl: the cryptography CRL object.
        issuer: the CA that signed it.
    """

    crl: x509.CertificateRevocationList
    issuer: Issued = dataclasses.field(repr=False)

    @property
    def der(self) -> bytes:
        """The CRL's DER encoding (what a CRL distribution point serves)."""
        return self.crl.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> Blob:
        """The CRL as PEM (``-----BEGIN X509 CRL-----``)."""
        return Blob(self.crl.public_bytes(serialization.Encoding.PEM))

    @property
    def entries(self) -> tuple[RevokedEntry, ...]:
        """The revoked certificates, in CRL order."""
        return entries_of(self.crl)

    @property
    def number(self) -> int | None:
        """The cRLNumber extension's value."""
        try:
            return self.crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        except x509.ExtensionNotFound:
            return None

    @property
    def this_update(self) -> _dt.datetime:
        """thisUpdate: when the CA made this list."""
        return self.crl.last_update_utc

    @property
    def next_update(self) -> _dt.datetime | None:
        """nextUpdate: when the CA promises the next list, at the latest."""
        return self.crl.next_update_utc

    def entry_for(self, cert: Issued | x509.Certificate | int) -> RevokedEntry | None:
        """The entry listing ``cert`` (or a serial number), ``None`` if it is not listed.

        This is a lookup only; it does not check who signed the CRL or whether
        it is current - that is the validator's job.
        """
        serial = cert if isinstance(cert, int) else serial_number(certificate_of(cert))
        for entry in self.entries:
            if entry.serial == serial:
                return entry
        return None

    def _rows(self) -> list[tuple[str, str]]:
        rows = [
            ("issuer", self.crl.issuer.rfc4514_string()),
            ("CRL number", "-" if self.number is None else str(self.number)),
            ("thisUpdate", when_text(self.this_update)),
            ("nextUpdate", when_text(self.next_update)),
        ]
        entries = self.entries
        if not entries:
            rows.append(("revoked", "none"))
        for entry in entries:
            rows.append(
                (
                    f"serial {serial_hex(entry.serial)}",
                    f"{when_text(entry.revoked_at)}, {entry.reason or 'no reason given'}",
                )
            )
        return rows

    def __str__(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v in self._rows())

    def _repr_html_(self) -> str:
        return html_table("Certificate revocation list", self._rows())


def build_crl(
    issuer: Issued,
    revoked: Iterable[RevokedEntry] = (),
    *,
    this_update: _dt.datetime = DEFAULT_THIS_UPDATE,
    lifetime: _dt.timedelta = DEFAULT_CRL_LIFETIME,
    number: int = 1,
    hash: str | None = None,
    authority_key_identifier: bool = True,
) -> BuiltCrl:
    """Build and sign a CRL; the same arguments give the same DER.

    Args:
        issuer: the CA whose CRL this is; its key signs it (a CA certificate
            needs keyUsage cRLSign, RFC 5280 4.2.1.3 - the factory's default).
        revoked: the entries, in the order they are listed.
        this_update: thisUpdate.
        lifetime: nextUpdate is ``this_update + lifetime`` (RFC 5280 5.1.2.5:
            conforming CAs always include nextUpdate; cryptography insists).
        number: the cRLNumber (RFC 5280 5.2.3), increasing with each CRL.
        hash: ``"sha256"`` etc.; default SHA-384 for P-384 keys, SHA-256
            otherwise, none for Ed25519.
        authority_key_identifier: add the AKI extension (RFC 5280 5.2.1 MUST).

    Returns:
        The signed CRL.

    Raises:
        ValueError: for a serial listed twice, a negative CRL number or an
            unknown hash name.
    """
    entries = tuple(revoked)
    serials = [e.serial for e in entries]
    if len(set(serials)) != len(serials):
        raise ValueError("a serial number is listed twice")
    if number < 0:
        raise ValueError("the CRL number must be >= 0")
    start = clock.as_utc(this_update)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(start)
        .next_update(start + lifetime)
        .add_extension(x509.CRLNumber(number), critical=False)
    )
    if authority_key_identifier:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.private_key.public_key()),
            critical=False,
        )
    for entry in entries:
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.revoked_at)
        )
        flag = reason_flag(entry.reason)
        if flag is not None:
            item = item.add_extension(x509.CRLReason(flag), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    algorithm = hash_named(hash) if hash is not None else default_hash(issuer.private_key)
    key = issuer.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        crl = builder.sign(key, algorithm, ecdsa_deterministic=True)  # type: ignore[arg-type]
    elif isinstance(key, rsa.RSAPrivateKey):
        crl = builder.sign(key, algorithm, rsa_padding=padding.PKCS1v15())  # type: ignore[arg-type]
    else:
        crl = builder.sign(key, None)
    return BuiltCrl(crl=crl, issuer=issuer)


__all__ = [
    "DEFAULT_CRL_LIFETIME",
    "DEFAULT_THIS_UPDATE",
    "REASONS",
    "BuiltCrl",
    "RevokedEntry",
    "build_crl",
    "entries_of",
]
