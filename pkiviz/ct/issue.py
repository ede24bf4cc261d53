"""Issue a certificate through CT logs: precertificate, SCTs, final certificate (RFC 6962 3.1-3.3).

::

    logs = demo_logs()
    ct = issue_through_logs(spec, intermediate, logs[:3], at=AT)
    ct.precertificate   # the spec's certificate plus the critical poison extension
    ct.scts             # one SCT per log, each over the precert_entry
    ct.certificate      # the same TBS with the SCT list in place of the poison

The CA first builds the certificate from its :class:`~pkiviz.x509.spec.CertSpec`
with :func:`pkiviz.x509.factory.build`, then re-signs it twice with the same
issuer key: once with the poison extension appended (the precertificate,
which no client may accept), once with the SCT list extension appended in
its place (the final certificate). So the final TBS without the SCT list is
byte for byte the precertificate's TBS without the poison, which is what each
SCT signs. Everything is deterministic: keys from labels, RFC 6979 ECDSA and
the SCT timestamp ``at``.

:func:`login_through_logs` does this for the book's running example,
``login.example.com`` under *Example Trust TLS CA 2026*.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiviz import _html, clock
from pkiviz.ct.entries import POISON_OID, SCT_LIST_OID, entry_for_precertificate
from pkiviz.ct.known_logs import DEMO_USABLE_SINCE, KnownLogs, demo_logs
from pkiviz.ct.log import Log
from pkiviz.ct.sct import SCT, sct_list_extension
from pkiviz.x509.factory import Issued, build
from pkiviz.x509.spec import CertSpec

#: Validity of the running example's CT certificate: 90 days from the book's clock.
LOGIN_NOT_BEFORE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
LOGIN_NOT_AFTER = LOGIN_NOT_BEFORE + dt.timedelta(days=90) - dt.timedelta(seconds=1)


def _resign(
    cert: x509.Certificate,
    issuer: Issued,
    *,
    drop: tuple[str, ...],
    add: x509.ExtensionType | None,
    critical: bool,
    live: bool,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(cert.subject)
        .issuer_name(cert.issuer)
        .public_key(cert.public_key())
        .serial_number(cert.serial_number)
        .not_valid_before(cert.not_valid_before_utc)
        .not_valid_after(cert.not_valid_after_utc)
    )
    for ext in cert.extensions:
        if ext.oid.dotted_string not in drop:
            builder = builder.add_extension(ext.value, critical=ext.critical)
    if add is not None:
        builder = builder.add_extension(add, critical=critical)
    key = issuer.private_key
    algorithm = cert.signature_hash_algorithm
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return builder.sign(key, algorithm, ecdsa_deterministic=not live)  # type: ignore[arg-type]
    if isinstance(key, rsa.RSAPrivateKey):
        from cryptography.hazmat.primitives.asymmetric import padding

        return builder.sign(key, algorithm, rsa_padding=padding.PKCS1v15())  # type: ignore[arg-type]
    return builder.sign(key, None)


def precertificate(spec: CertSpec, issuer: Issued) -> Issued:
    """Build ``spec`` under ``issuer`` as a precertificate: poison extension appended, critical.

    Args:
        spec: what to issue (deterministic: same spec, same bytes).
        issuer: the CA, with its key.

    Returns:
        The precertificate; its ``spec`` is ``spec``.
    """
    base = build(spec, issuer=issuer, live=issuer.live)
    cert = _resign(
        base.certificate,
        issuer,
        drop=(POISON_OID, SCT_LIST_OID),
        add=x509.PrecertPoison(),
        critical=True,
        live=issuer.live,
    )
    return dataclasses.replace(base, certificate=cert)


def embed_scts(precert: Issued, scts: Sequence[SCT]) -> Issued:
    """The final certificate: the precertificate with its poison replaced by the SCT list.

    Args:
        precert: a precertificate from :func:`precertificate` (its issuer signs again).
        scts: the SCTs to embed, in order.

    Returns:
        The final certificate.

    Raises:
        ValueError: if ``precert`` has no issuer or ``scts`` is empty.
    """
    if precert.issuer is None:
        raise ValueError("a precertificate has an issuer")
    cert = _resign(
        precert.certificate,
        precert.issuer,
        drop=(POISON_OID, SCT_LIST_OID),
        add=sct_list_extension(scts),
        critical=False,
        live=precert.live,
    )
    return dataclasses.replace(precert, certificate=cert)


@dataclasses.dataclass(frozen=True)
class CTIssuance:
    """A certificate issued through CT logs.

    Attributes:
        precertificate: the poisoned precertificate the CA submitted.
        scts: one SCT per log, in the order of ``logs``.
        certificate: the final certificate with the SCTs embedded.
        logs: the logs, holding the precert entries (unless ``include=False``).
        at: the SCT timestamp.
    """

    precertificate: Issued
    scts: tuple[SCT, ...]
    certificate: Issued
    logs: tuple[Log, ...] = dataclasses.field(repr=False)
    at: dt.datetime

    @property
    def issuer(self) -> Issued:
        """The CA that issued both certificates."""
        assert self.certificate.issuer is not None
        return self.certificate.issuer

    def known_logs(self) -> KnownLogs:
        """A client's list holding exactly these logs (usable since the demo date)."""
        return KnownLogs.of(*self.logs, since=min(DEMO_USABLE_SINCE, self.at))

    def _repr_html_(self) -> str:
        rows = [
            ("certificate", self.certificate.name),
            ("issuer", self.issuer.name),
            ("precertificate SHA-256", self.precertificate.fingerprint_sha256[:23] + "..."),
            ("final SHA-256", self.certificate.fingerprint_sha256[:23] + "..."),
        ]
        rows += [
            (f"SCT from {log.name}", f"{sct.time.isoformat()} {sct.algorithm}")
            for log, sct in zip(self.logs, self.scts, strict=True)
        ]
        return _html.table(rows, header=("", ""), caption="Issued through CT logs")


def issue_through_logs(
    spec: CertSpec,
    issuer: Issued,
    logs: Sequence[Log],
    *,
    at: dt.datetime,
    include: bool | Sequence[bool] = True,
) -> CTIssuance:
    """Precertificate, ``add-pre-chain`` to each log, final certificate with the SCTs.

    Args:
        spec: the certificate to issue.
        issuer: the CA.
        logs: the logs to submit to (each appends the precert entry).
        at: the SCT timestamp (and the ``MerkleTreeLeaf`` timestamp).
        include: per log (or for all), whether the log really appends the
            entry; ``False`` is the lab's log that signs but never includes.

    Returns:
        The :class:`CTIssuance`.

    Raises:
        ValueError: for no logs or an ``include`` list of another length.
    """
    if not logs:
        raise ValueError("give at least one log")
    flags = [include] * len(logs) if isinstance(include, bool) else list(include)
    if len(flags) != len(logs):
        raise ValueError("give one include flag per log")
    pre = precertificate(spec, issuer)
    entry = entry_for_precertificate(pre.certificate, issuer.certificate)
    chain = [pre.certificate, *(c.certificate for c in pre.chain)]
    scts = []
    for log, flag in zip(logs, flags, strict=True):
        if len(chain) >= 2:
            scts.append(log.add_pre_chain(chain, at=at, include=flag))
        else:  # pragma: no cover - a precertificate always has an issuer here
            scts.append(log.submit(entry, at=at, include=flag))
    final = embed_scts(pre, scts)
    return CTIssuance(pre, tuple(scts), final, tuple(logs), clock.as_utc(at))


def login_spec() -> CertSpec:
    """The running example's server spec, relabelled for CT, valid 90 days from 2026-03-01.

    Same key as the running example's ``login.example.com``; a new label, so a
    new serial number (a CA never reuses one for a different certificate).
    """
    from pkiviz.x509.example import running_example

    spec = running_example().server.spec
    return dataclasses.replace(
        spec,
        label=spec.label + " [ct]",
        key_seed=spec.seed,
        not_before=LOGIN_NOT_BEFORE,
        not_after=LOGIN_NOT_AFTER,
    )


def login_through_logs(
    logs: Sequence[Log] | None = None, *, at: dt.datetime = clock.BOOK_CLOCK
) -> CTIssuance:
    """Issue ``login.example.com`` from the running example's intermediate through CT logs.

    Args:
        logs: the logs (default: fresh Alder, Birch and Cedar demo logs, two operators).
        at: the SCT timestamp (default: the book's clock, 2026-03-01 12:00 UTC).

    Returns:
        The :class:`CTIssuance`; the same arguments give the same bytes.
    """
    from pkiviz.x509.example import running_example

    intermediate = running_example().intermediate
    chosen = tuple(demo_logs()[:3]) if logs is None else tuple(logs)
    return issue_through_logs(login_spec(), intermediate, chosen, at=at)


__all__ = [
    "CTIssuance",
    "embed_scts",
    "issue_through_logs",
    "login_spec",
    "login_through_logs",
    "precertificate",
]
