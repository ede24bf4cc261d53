"""Verify SCTs by hand: rebuild the exact bytes a log signed and check them with its key.

For an SCT embedded in a certificate (RFC 6962 3.3) the signed structure is
rebuilt from the final certificate and its issuer: ``precert_entry`` with the
issuer key hash (SHA-256 of the issuer's SubjectPublicKeyInfo) and the
TBSCertificate with the SCT list and poison extensions removed
(:func:`pkiviz.ct.entries.entry_for_certificate`). An SCT delivered in the TLS
extension or a stapled OCSP response covers the certificate itself
(``x509_entry``). Then :func:`verify_sct` checks, in order:

1. the version is v1 (RFC 6962 defines no other; RFC 9162 SCTs are different);
2. the log is on the client's list (the log ID is SHA-256 of the log's key);
3. the hash is SHA-256 and the signature algorithm matches the log's key
   (ECDSA P-256 or RSA PKCS#1 v1.5: RFC 6962 2.1.4 allows only those);
4. the signature verifies over the rebuilt bytes;
5. the timestamp is not after ``at`` (a log cannot have seen the future).

Each SCT gets a frozen :class:`SCTCheck` with the reason; nothing raises on a
bad SCT. Whether enough SCTs are good is the browsers' policy, in
:mod:`pkiviz.ct.policy`.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pkiviz import _html, clock
from pkiviz.ct import _signing
from pkiviz.ct.entries import LogEntry, entry_for_certificate
from pkiviz.ct.known_logs import KnownLog, KnownLogs, bundled_logs
from pkiviz.ct.log import timestamp_ms
from pkiviz.ct.sct import SCT, VERSION_V1, embedded_scts, signature_input_map
from pkiviz.errors import InputError
from pkiviz.x509.bytemap import ByteMap
from pkiviz.x509.load import as_certificate

#: Every status an :class:`SCTCheck` can have.
STATUSES = (
    "verified",
    "unsupported-version",
    "unknown-log",
    "unsupported-algorithm",
    "bad-signature",
    "future-timestamp",
)


@dataclass(frozen=True)
class SCTCheck:
    """The verdict on one SCT.

    Attributes:
        sct: the SCT.
        status: one of :data:`STATUSES`; ``"verified"`` only if every check passed.
        reason: one plain-English sentence.
        log: the log from the client's list, ``None`` if unknown.
        signed: the rebuilt signed structure, every field a named byte range
            (``None`` for an unsupported version).
        section: the RFC section behind the verdict.
    """

    sct: SCT
    status: str
    reason: str
    log: KnownLog | None
    signed: ByteMap | None
    section: str

    @property
    def ok(self) -> bool:
        """Whether the SCT verified."""
        return self.status == "verified"

    def __bool__(self) -> bool:
        return self.ok

    @property
    def log_id(self) -> bytes:
        """The SCT's log ID."""
        return self.sct.log_id

    @property
    def log_id_b64(self) -> str:
        """The log ID in base64, as log lists print it."""
        return base64.b64encode(self.sct.log_id).decode()

    @property
    def log_name(self) -> str | None:
        """The log's name if it is on the list."""
        return None if self.log is None else self.log.name

    @property
    def operator(self) -> str | None:
        """The log's operator if it is on the list."""
        return None if self.log is None else self.log.operator

    @property
    def timestamp(self) -> dt.datetime:
        """The SCT's timestamp as an aware datetime."""
        return self.sct.time

    @property
    def signature_algorithm(self) -> str:
        """E.g. ``"ecdsa-sha256"``."""
        return self.sct.algorithm

    def row(self) -> tuple[str, str, str, str, str, str]:
        """(log, id, time, algorithm, status, reason) for tables."""
        return (
            self.log_name or "(unknown log)",
            self.log_id_b64,
            self.timestamp.isoformat(),
            self.signature_algorithm,
            self.status,
            self.reason,
        )

    def _repr_html_(self) -> str:
        return _html.table(
            [self.row()],
            header=("log", "log id", "timestamp", "algorithm", "status", "why"),
            caption=f"SCT ({self.sct.source})",
        )


def verify_sct(
    sct: SCT, entry: LogEntry, *, logs: KnownLogs | None = None, at: dt.datetime
) -> SCTCheck:
    """Check one SCT against the entry it should cover; never raises for a bad SCT.

    Args:
        sct: the SCT.
        entry: what it should cover (see :func:`~pkiviz.ct.entries.entry_for_certificate`).
        logs: the client's log list (default: :func:`~pkiviz.ct.known_logs.bundled_logs`).
        at: the time of the check (timezone-aware).

    Returns:
        The :class:`SCTCheck`.
    """
    at = clock.as_utc(at)
    known = bundled_logs() if logs is None else logs
    if sct.version != VERSION_V1:
        return SCTCheck(
            sct,
            "unsupported-version",
            f"SCT version {sct.version} is not v1 (0), the only version RFC 6962 defines",
            known.find(sct.log_id),
            None,
            "RFC 6962 3.2",
        )
    signed = signature_input_map(entry, sct.timestamp, sct.extensions, version=sct.version)
    log = known.find(sct.log_id)
    if log is None:
        return SCTCheck(
            sct,
            "unknown-log",
            f"the log {base64.b64encode(sct.log_id).decode()} is not on the client's list",
            None,
            signed,
            "RFC 6962 3.2",
        )
    try:
        key = log.public_key
    except InputError as exc:
        return SCTCheck(sct, "unsupported-algorithm", str(exc), log, signed, "RFC 6962 2.1.4")
    problem = _signing.check_signature(
        key, sct.hash_algorithm, sct.signature_algorithm, sct.signature, signed.der
    )
    if problem is not None:
        kind, sentence = problem
        if kind == "algorithm":
            return SCTCheck(sct, "unsupported-algorithm", sentence, log, signed, "RFC 6962 2.1.4")
        return SCTCheck(
            sct,
            "bad-signature",
            sentence + ": it covers other bytes, or the log never signed it",
            log,
            signed,
            "RFC 6962 3.2, 5.2",
        )
    if sct.timestamp > timestamp_ms(at):
        return SCTCheck(
            sct,
            "future-timestamp",
            f"the timestamp {sct.time.isoformat()} is after the time of the check {at.isoformat()}",
            log,
            signed,
            "RFC 6962 5.2",
        )
    return SCTCheck(
        sct,
        "verified",
        f"signed by {log.name} ({log.operator}) over the {entry.entry_type}",
        log,
        signed,
        "RFC 6962 3.2",
    )


def verify_embedded_scts(
    cert: object, issuer: object, *, logs: KnownLogs | None = None, at: dt.datetime
) -> tuple[SCTCheck, ...]:
    """Check every SCT embedded in a certificate.

    Args:
        cert: the final certificate (cryptography object,
            :class:`~pkiviz.x509.factory.Issued`, bytes).
        issuer: the certificate of the CA that issued it (its key hash is signed).
        logs: the client's log list (default: the bundled list).
        at: the time of the check.

    Returns:
        One :class:`SCTCheck` per embedded SCT, in certificate order (empty if none).

    Raises:
        InputError: if the SCT list extension is malformed.
    """
    certificate = as_certificate(cert)
    entry = entry_for_certificate(certificate, as_certificate(issuer))
    return tuple(verify_sct(s, entry, logs=logs, at=at) for s in embedded_scts(certificate))


def verify_delivered_scts(
    scts: Iterable[SCT], cert: object, *, logs: KnownLogs | None = None, at: dt.datetime
) -> tuple[SCTCheck, ...]:
    """Check SCTs delivered in the TLS extension or a stapled OCSP response (``x509_entry``).

    Args:
        scts: the SCTs (e.g. from :func:`~pkiviz.ct.sct.parse_sct_list`).
        cert: the certificate the server presented.
        logs: the client's log list (default: the bundled list).
        at: the time of the check.

    Returns:
        One :class:`SCTCheck` per SCT.
    """
    entry = entry_for_certificate(as_certificate(cert))
    return tuple(verify_sct(s, entry, logs=logs, at=at) for s in scts)


def checks_table(checks: Iterable[SCTCheck]) -> str:
    """The checks as aligned text, one line per SCT (for the command line and tests)."""
    lines = []
    for check in checks:
        log, log_id, time, algorithm, status, reason = check.row()
        lines.append(f"{status:<22} {log:<30} {time}  {algorithm:<14} {log_id}  {reason}")
    return "\n".join(lines)


__all__ = [
    "STATUSES",
    "SCTCheck",
    "checks_table",
    "verify_delivered_scts",
    "verify_embedded_scts",
    "verify_sct",
]
