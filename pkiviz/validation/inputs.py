"""What a validation is given: one frozen :class:`Inputs` record.

``validate(leaf, **options)`` and ``validate_inputs(Inputs(leaf, **options))``
are the same call: the record's fields are ``validate``'s keyword arguments,
with the same names and defaults, so ``Inputs(**kw)`` takes whatever
``validate(**kw)`` takes. A :class:`~pkiviz.validation.report.Report` keeps the
record it was made from (``report.inputs``), so whoever holds a report can see,
or hand to another verifier, exactly what was validated.

A dataclass with defaults, not a builder like cryptography's
``PolicyBuilder``: ``validate``'s keyword signature already is the API the
chapters and tests use, a record with the same field names maps onto it one to
one, and a variant is ``dataclasses.replace(inputs, at=...)`` as everywhere
else in pkiviz. As cryptography's value objects do, the record checks its
arguments when it is made (``ValueError``/``TypeError`` for misuse) and
normalises them: certificates (or pkiviz ``Issued``) become
``x509.Certificate``, sequences become tuples, a profile name becomes its
:class:`~pkiviz.validation.policy.Profile`, a time becomes UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, cast

from cryptography import x509
from cryptography.x509 import ocsp

from pkiviz import clock
from pkiviz.validation.hostname import PeerName
from pkiviz.validation.path import LIMITS, Limits
from pkiviz.validation.policy import CTPolicy, Profile, RevocationPolicy, get_profile

if TYPE_CHECKING:
    from pkiviz.ct.known_logs import KnownLogs
    from pkiviz.ct.sct import SCT
    from pkiviz.revocation.fetcher import Fetcher


class _HasCertificate(Protocol):
    @property
    def certificate(self) -> x509.Certificate: ...


CertLike = x509.Certificate | _HasCertificate

ProfileName = Literal["browser", "webpki", "rfc5280"]


def as_certificate(obj: CertLike) -> x509.Certificate:
    """Return the ``x509.Certificate`` of ``obj`` (a certificate or a pkiviz ``Issued``).

    Raises:
        TypeError: for anything else.
    """
    if isinstance(obj, x509.Certificate):
        return obj
    cert = getattr(obj, "certificate", None)
    if isinstance(cert, x509.Certificate):
        return cert
    raise TypeError(f"expected an x509.Certificate or pkiviz Issued, got {type(obj).__name__}")


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Everything one validation is given; the fields are :func:`validate`'s arguments.

    See :func:`pkiviz.validation.validate` for what each one means. After
    construction ``leaf`` and every element of ``intermediates`` and
    ``trust_anchors`` is an ``x509.Certificate`` (read them typed through
    :attr:`leaf_certificate`, :attr:`intermediate_certificates` and
    :attr:`anchor_certificates`), sequences are tuples, ``profile`` is a
    :class:`~pkiviz.validation.policy.Profile` and ``at`` is UTC (``None``:
    the validation reads the wall clock; the report keeps the time it used).

    Raises:
        ValueError: for an unknown profile, purpose, revocation or CT policy, a
            negative depth, a timeout that is not positive, or
            ``fetch_revocation=True`` without a ``fetcher``.
        TypeError: if a certificate argument is not a certificate, or
            ``ct_logs`` is not a :class:`~pkiviz.ct.known_logs.KnownLogs`.
    """

    leaf: CertLike
    intermediates: Sequence[CertLike] = ()
    trust_anchors: Sequence[CertLike] = ()
    peer_name: str | PeerName | None = None
    at: _dt.datetime | None = None
    purpose: Literal["server", "client"] = "server"
    crls: Sequence[x509.CertificateRevocationList] = ()
    ocsp_responses: Sequence[bytes | ocsp.OCSPResponse] = ()
    ocsp_staple: bytes | ocsp.OCSPResponse | None = None
    fetch_revocation: bool = False
    fetcher: Fetcher | None = None
    allow_network: bool = False
    revocation_policy: RevocationPolicy = "soft"
    revocation_timeout: float = 2.0
    revocation_max_bytes: int = 1 << 20
    profile: ProfileName | Profile = "browser"
    max_chain_depth: int | None = None
    extended_key_usage: Iterable[str | x509.ObjectIdentifier] | None = None
    key_usage: Sequence[str] = ()
    limits: Limits = LIMITS
    ct_policy: CTPolicy | None = None
    ct_logs: KnownLogs | None = None
    scts: bytes | Sequence[SCT] = ()

    def __post_init__(self) -> None:
        if self.purpose not in ("server", "client"):
            raise ValueError(f"purpose must be 'server' or 'client', not {self.purpose!r}")
        if self.revocation_policy not in ("soft", "hard"):
            raise ValueError(
                f"revocation_policy must be 'soft' or 'hard', not {self.revocation_policy!r}"
            )
        if not self.revocation_timeout > 0:
            raise ValueError("revocation_timeout must be > 0 seconds")
        if self.fetch_revocation and self.fetcher is None:
            raise ValueError(
                "fetch_revocation=True needs a fetcher: the validator opens no socket itself; "
                "pass fetcher=pkiviz.revocation.fetch.fetch (plain HTTP, loopback only unless "
                "allow_network=True)"
            )
        if self.ct_policy not in (None, "chrome", "apple"):
            raise ValueError(f"ct_policy must be 'chrome', 'apple' or None, not {self.ct_policy!r}")
        if self.ct_logs is not None:
            from pkiviz.ct.known_logs import KnownLogs

            if not isinstance(self.ct_logs, KnownLogs):
                raise TypeError(
                    "ct_logs must be a pkiviz.ct.KnownLogs (e.g. KnownLogs.of(*logs) or "
                    f"KnownLogs.from_log_list(text)) or None, not {type(self.ct_logs).__name__}"
                )
        profile = get_profile(self.profile)
        if self.max_chain_depth is not None and self.max_chain_depth < 0:
            raise ValueError("max_chain_depth must be >= 0")
        eku = self.extended_key_usage
        values = {
            "leaf": as_certificate(self.leaf),
            "intermediates": tuple(as_certificate(c) for c in self.intermediates),
            "trust_anchors": tuple(as_certificate(c) for c in self.trust_anchors),
            "at": None if self.at is None else clock.as_utc(self.at),
            "crls": tuple(self.crls),
            "ocsp_responses": tuple(self.ocsp_responses),
            "profile": profile,
            "extended_key_usage": None if eku is None else tuple(eku),
            "key_usage": tuple(self.key_usage),
            "scts": self.scts if isinstance(self.scts, bytes) else tuple(self.scts),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)

    @property
    def leaf_certificate(self) -> x509.Certificate:
        """The leaf, as the ``x509.Certificate`` it was normalised to."""
        return cast(x509.Certificate, self.leaf)

    @property
    def intermediate_certificates(self) -> tuple[x509.Certificate, ...]:
        """The intermediates, as ``x509.Certificate`` s."""
        return cast(tuple[x509.Certificate, ...], self.intermediates)

    @property
    def anchor_certificates(self) -> tuple[x509.Certificate, ...]:
        """The trust anchors, as ``x509.Certificate`` s."""
        return cast(tuple[x509.Certificate, ...], self.trust_anchors)

    @property
    def chosen_profile(self) -> Profile:
        """The profile, as the :class:`~pkiviz.validation.policy.Profile` it was resolved to."""
        return cast(Profile, self.profile)

    @property
    def peer(self) -> PeerName | None:
        """The peer name parsed (``None`` when no name is to be matched)."""
        return None if self.peer_name is None else PeerName.parse(self.peer_name)

    @property
    def peer_text(self) -> str | None:
        """The peer name as the text it is matched as (``None`` when none is given)."""
        peer = self.peer
        return None if peer is None else peer.value
