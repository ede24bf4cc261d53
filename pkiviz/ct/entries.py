"""What a CT log records: x509 and precert entries, built from certificates by hand.

RFC 6962 3.1 defines two kinds of log entry:

* ``x509_entry`` - a final certificate, logged whole (``add-chain``).
* ``precert_entry`` - a precertificate: the log records the SHA-256 of the
  issuer's SubjectPublicKeyInfo (``issuer_key_hash``) and the precertificate's
  TBSCertificate with the critical poison extension (1.3.6.1.4.1.11129.2.4.3)
  removed (``add-pre-chain``).

The same ``precert_entry`` is rebuilt from the *final* certificate by removing
the SCT list extension (1.3.6.1.4.1.11129.2.4.2) from its TBSCertificate: a
CA must issue the final certificate with the precertificate's TBS plus the SCT
list and nothing else changed, or its SCTs no longer verify.
:func:`strip_extensions` removes extensions from the DER by hand and rewrites
the enclosing lengths; cryptography's ``Certificate.tbs_precertificate_bytes``
does the same and the tests check the two agree.

RFC 6962 3.1 also lets a dedicated "precertificate signing certificate" sign
precertificates; pkiviz's CAs sign them directly, the simpler case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz.errors import InputError
from pkiviz.vocabulary import POISON_OID, SCT_LIST_OID
from pkiviz.x509.der import children, decode_oid, encode_tlv, read_single

EntryType = Literal["x509_entry", "precert_entry"]
_ENTRY_CODES: dict[str, int] = {"x509_entry": 0, "precert_entry": 1}


@dataclass(frozen=True)
class LogEntry:
    """One RFC 6962 log entry: what an SCT's signature and a Merkle leaf cover.

    Build with :meth:`x509`, :meth:`precert`, :func:`entry_for_certificate` or
    :func:`entry_for_precertificate`.

    Attributes:
        entry_type: ``"x509_entry"`` or ``"precert_entry"``.
        body: the certificate's DER (x509) or the TBSCertificate (precert).
        issuer_key_hash: SHA-256 of the issuer's SPKI (precert only).
    """

    entry_type: EntryType
    body: bytes
    issuer_key_hash: bytes | None = None

    def __post_init__(self) -> None:
        if self.entry_type not in _ENTRY_CODES:
            raise ValueError(f"unknown entry type {self.entry_type!r}")
        if (self.entry_type == "precert_entry") != (self.issuer_key_hash is not None):
            raise ValueError("a precert entry, and only a precert entry, has an issuer key hash")
        if self.issuer_key_hash is not None and len(self.issuer_key_hash) != 32:
            raise ValueError("the issuer key hash is 32 bytes")
        if not 0 < len(self.body) < 2**24:
            raise ValueError("a certificate or TBS is 1 to 2^24-1 bytes")

    @classmethod
    def x509(cls, certificate_der: bytes) -> LogEntry:
        """An ``x509_entry`` for a certificate's DER."""
        return cls("x509_entry", bytes(certificate_der))

    @classmethod
    def precert(cls, tbs: bytes, issuer_key_hash: bytes) -> LogEntry:
        """A ``precert_entry`` from a TBSCertificate (poison removed) and the issuer key hash."""
        return cls("precert_entry", bytes(tbs), bytes(issuer_key_hash))

    @property
    def entry_type_code(self) -> int:
        """The ``LogEntryType`` number: 0 for x509, 1 for precert."""
        return _ENTRY_CODES[self.entry_type]

    @property
    def signed_entry(self) -> bytes:
        """The ``signed_entry`` bytes: [issuer_key_hash ||] 3-byte length || body."""
        prefix = self.issuer_key_hash or b""
        return prefix + len(self.body).to_bytes(3, "big") + self.body


def spki_der(cert: x509.Certificate) -> bytes:
    """The certificate's own SubjectPublicKeyInfo TLV, byte for byte as its TBSCertificate has it.

    Not ``public_key().public_bytes(...)``: that re-encodes the key, and a
    certificate whose SPKI is encoded differently (explicit curve parameters,
    an RSA ``NULL`` left out) would hash differently from what the CA and the
    log hashed.

    Raises:
        InputError: if the TBSCertificate has too few fields to hold one.
    """
    der = cert.public_bytes(serialization.Encoding.DER)
    (tbs, *_) = children(der, read_single(der, what="certificate"), what="certificate")
    fields = children(der, tbs, what="TBSCertificate")
    # [0] version (optional), serialNumber, signature, issuer, validity, subject, SPKI
    index = 6 if fields and fields[0].is_context(0) else 5
    if len(fields) <= index or not fields[index].is_universal(16):
        raise InputError("TBSCertificate: no subjectPublicKeyInfo where RFC 5280 4.1 puts it")
    return fields[index].encoded(der)


def issuer_key_hash(issuer: x509.Certificate) -> bytes:
    """SHA-256 of the issuer certificate's SubjectPublicKeyInfo (RFC 6962 3.2 ``issuer_key_hash``).

    The hash is over the SPKI bytes in the issuer's certificate (:func:`spki_der`), as RFC 6962
    says, not over a re-encoding of its key.
    """
    return hashlib.sha256(spki_der(issuer)).digest()


def extension_oids(tbs: bytes) -> tuple[str, ...]:
    """The dotted OIDs of a TBSCertificate's extensions, in order."""
    top = read_single(tbs, what="TBSCertificate")
    for field in children(tbs, top, what="TBSCertificate"):
        if field.is_context(3):
            (seq,) = children(tbs, field, what="TBSCertificate")
            return tuple(
                decode_oid(children(tbs, ext, what="TBSCertificate")[0].content(tbs))
                for ext in children(tbs, seq, what="TBSCertificate")
            )
    return ()


def strip_extensions(tbs: bytes, oids: Sequence[str]) -> bytes:
    """A TBSCertificate with the extensions named by ``oids`` removed, lengths rewritten.

    If every extension is removed, the ``[3]`` wrapper goes too.

    Args:
        tbs: the DER TBSCertificate.
        oids: dotted OIDs to remove (absent ones are ignored).

    Returns:
        The new DER TBSCertificate.

    Raises:
        InputError: if the bytes are not a DER SEQUENCE with well-formed extensions.
    """
    what = "TBSCertificate"
    top = read_single(tbs, what=what)
    if not top.is_universal(16):
        raise InputError(f"{what}: not a SEQUENCE")
    parts: list[bytes] = []
    for field in children(tbs, top, what=what):
        if not field.is_context(3):
            parts.append(field.encoded(tbs))
            continue
        inner = children(tbs, field, what=what)
        if len(inner) != 1 or not inner[0].is_universal(16):
            raise InputError(f"{what}: extensions [3] does not hold one SEQUENCE")
        kept = []
        for ext in children(tbs, inner[0], what=what):
            ext_parts = children(tbs, ext, what=what)
            if not ext_parts or not ext_parts[0].is_universal(6):
                raise InputError(f"{what}: an extension does not start with an OID")
            if decode_oid(ext_parts[0].content(tbs)) not in oids:
                kept.append(ext.encoded(tbs))
        if kept:
            parts.append(encode_tlv(0xA3, encode_tlv(0x30, b"".join(kept))))
    return encode_tlv(0x30, b"".join(parts))


def entry_for_precertificate(
    precertificate: x509.Certificate, issuer: x509.Certificate
) -> LogEntry:
    """The ``precert_entry`` a log records for a precertificate (``add-pre-chain``).

    Args:
        precertificate: a certificate carrying the critical poison extension.
        issuer: the CA that signed it.

    Returns:
        The entry: issuer key hash and the TBS with the poison removed.

    Raises:
        InputError: if the certificate has no poison extension.
    """
    tbs = precertificate.tbs_certificate_bytes
    if POISON_OID not in extension_oids(tbs):
        raise InputError("not a precertificate: it has no poison extension (RFC 6962 3.1)")
    return LogEntry.precert(strip_extensions(tbs, (POISON_OID,)), issuer_key_hash(issuer))


def entry_for_certificate(
    certificate: x509.Certificate, issuer: x509.Certificate | None = None
) -> LogEntry:
    """The entry an SCT for ``certificate`` covers.

    Args:
        certificate: a final certificate.
        issuer: its issuer; give it for embedded SCTs, which cover a
            ``precert_entry`` rebuilt from the certificate (the TBS without
            the SCT list and poison). ``None`` gives the ``x509_entry`` that
            SCTs delivered in TLS or OCSP cover.

    Returns:
        The entry.
    """
    if issuer is None:
        return LogEntry.x509(certificate.public_bytes(serialization.Encoding.DER))
    tbs = strip_extensions(certificate.tbs_certificate_bytes, (SCT_LIST_OID, POISON_OID))
    return LogEntry.precert(tbs, issuer_key_hash(issuer))


def is_precertificate(cert: x509.Certificate) -> bool:
    """Whether the certificate carries the poison extension."""
    return POISON_OID in extension_oids(cert.tbs_certificate_bytes)


__all__ = [
    "POISON_OID",
    "SCT_LIST_OID",
    "EntryType",
    "LogEntry",
    "entry_for_certificate",
    "entry_for_precertificate",
    "extension_oids",
    "is_precertificate",
    "issuer_key_hash",
    "spki_der",
    "strip_extensions",
]
