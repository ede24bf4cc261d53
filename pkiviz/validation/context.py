"""What every check function receives: one candidate path and the validation inputs.

A check is a function ``Context -> Iterable[Check]`` (as jsonschema's keyword
functions yield errors). :class:`Context` carries the path and inputs and has
small helpers, :meth:`Context.ok`, :meth:`Context.fail` and
:meth:`Context.skip`, that make a :class:`~pkiviz.validation.report.Check`
for certificate ``i`` of the path. A rule that binds the CA at issuance but
that clients do not enforce fails through :meth:`Context.issuance`: a failed
check under a profile that enforces such rules, else a
:class:`~pkiviz.validation.report.Finding` kept in :attr:`Context.findings`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509 import ocsp

from pkiviz.validation.facts import CertFacts
from pkiviz.validation.hostname import PeerName
from pkiviz.validation.policy import CTPolicy, Profile, RevocationPolicy
from pkiviz.validation.report import CertRef, Check, Finding, Status

if TYPE_CHECKING:
    from pkiviz.ct.known_logs import KnownLogs
    from pkiviz.ct.sct import SCT
    from pkiviz.revocation.fetcher import Fetcher


@dataclasses.dataclass(frozen=True)
class RevocationInputs:
    """What the ``revocation`` check may consult, and what it does without an answer.

    Attributes:
        crls: CRLs given.
        ocsp_responses: OCSP responses given (DER bytes or parsed).
        staple: the OCSP response stapled in the handshake (about the leaf), if any.
        fetch: fetch OCSP, then the CRL, from the URLs in each certificate.
        fetcher: what fetches (the caller's: the core opens no socket); set
            whenever ``fetch`` is.
        allow_network: let fetching leave 127.0.0.0/8.
        timeout: bound on each fetch, seconds.
        max_bytes: bound on each fetched body.
        policy: ``"soft"`` accepts a certificate whose status could not be
            had (as browsers do); ``"hard"`` rejects it.
        cache: fetched answers, shared by the candidate paths of one validation.
    """

    crls: tuple[x509.CertificateRevocationList, ...] = ()
    ocsp_responses: tuple[bytes | ocsp.OCSPResponse, ...] = ()
    staple: bytes | ocsp.OCSPResponse | None = None
    fetch: bool = False
    fetcher: Fetcher | None = dataclasses.field(default=None, compare=False)
    allow_network: bool = False
    timeout: float = 2.0
    max_bytes: int = 1 << 20
    policy: RevocationPolicy = "soft"
    cache: dict[tuple[str, ...], object] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def anything(self) -> bool:
        """Whether any revocation source is given or may be fetched."""
        return bool(self.crls or self.ocsp_responses or self.staple is not None or self.fetch)


@dataclasses.dataclass(frozen=True)
class CTInputs:
    """What the ``certificate-transparency`` check consults (see :mod:`.rules_ct`).

    Attributes:
        policy: ``"chrome"`` or ``"apple"``; ``None`` (the default) skips the check.
        logs: the client's log list (``None``: :func:`pkiviz.ct.bundled_logs`).
        scts: SCTs delivered in the TLS ``signed_certificate_timestamp``
            extension: the TLS-encoded list as sent, or parsed SCTs.
    """

    policy: CTPolicy | None = None
    logs: KnownLogs | None = None
    scts: bytes | tuple[SCT, ...] = ()


@dataclasses.dataclass(frozen=True)
class Context:
    """One candidate path plus everything the checks need to judge it.

    Attributes:
        path: the certificates, leaf first.
        anchored: whether the last certificate is a trust anchor.
        chain_note: the path builder's explanation when no anchor was reached.
        at: validation time (UTC).
        peer: the peer name to match, if any.
        purpose: ``"server"`` or ``"client"``.
        eku: the extended key usages that satisfy the purpose.
        key_usage: key usage bits the leaf must assert if it has keyUsage.
        profile: the profile's switches.
        revocation: the revocation sources and the no-answer policy.
        max_depth: most non-self-issued intermediates allowed.
        anchor_count: how many trust anchors were given.
        signature: cached signature verification, ``None`` if it verifies.
        findings: the issuance rules found broken on this path, when the
            profile reports them as findings (filled by :meth:`issuance`).
        ct: the Certificate Transparency policy and inputs (off by default).
    """

    path: tuple[CertFacts, ...]
    anchored: bool
    chain_note: str
    at: _dt.datetime
    peer: PeerName | None
    purpose: str
    eku: tuple[x509.ObjectIdentifier, ...]
    key_usage: tuple[str, ...]
    profile: Profile
    revocation: RevocationInputs
    max_depth: int
    anchor_count: int
    signature: Callable[[CertFacts, CertFacts], str | None]
    findings: list[Finding] = dataclasses.field(default_factory=list, compare=False)
    ct: CTInputs = CTInputs()

    @property
    def leaf(self) -> CertFacts:
        """The end-entity certificate (index 0)."""
        return self.path[0]

    @functools.cached_property
    def _refs(self) -> tuple[CertRef, ...]:
        # One CertRef per certificate, shared by all its checks (CertRef is frozen).
        return tuple(CertRef(cert.label, i) for i, cert in enumerate(self.path))

    def ref(self, i: int | None) -> CertRef | None:
        """A :class:`CertRef` for certificate ``i`` of the path (``None`` for the path)."""
        if i is None:
            return None
        return self._refs[i] if i >= 0 else CertRef(self.path[i].label, i)

    def issuer_indices(self) -> range:
        """Indices of the certificates that act as issuers (1 .. end)."""
        return range(1, len(self.path))

    def is_anchor(self, i: int) -> bool:
        """Whether certificate ``i`` is the trust anchor ending the path."""
        return self.anchored and i == len(self.path) - 1

    def make(self, check: str, status: Status, i: int | None, message: str, rfc: str) -> Check:
        """Build a :class:`Check`."""
        return _check(check, status, message, rfc, None if i is None else self.ref(i))

    def ok(self, check: str, i: int | None, message: str, rfc: str) -> Check:
        """A passing check."""
        return _check(check, "pass", message, rfc, None if i is None else self.ref(i))

    def fail(self, check: str, i: int | None, message: str, rfc: str) -> Check:
        """A failing check."""
        return _check(check, "fail", message, rfc, None if i is None else self.ref(i))

    def skip(self, check: str, i: int | None, message: str, rfc: str) -> Check:
        """A skipped check."""
        return _check(check, "skipped", message, rfc, None if i is None else self.ref(i))

    def issuance(self, check: str, i: int | None, message: str, rfc: str) -> Check:
        """An issuance rule (binding the CA, not enforced by clients) that is broken.

        Under a profile with ``issuance_findings`` the rule becomes a
        :class:`~pkiviz.validation.report.Finding` in :attr:`findings` and the
        row is skipped (the client does not enforce it); otherwise it fails.
        """
        ref = None if i is None else self.ref(i)
        if not self.profile.issuance_findings:
            return _check(check, "fail", message, rfc, ref)
        self.findings.append(Finding(check, message, rfc, ref))
        return _check(check, "skipped", f"not enforced by clients: {message} (a finding)", rfc, ref)


_new = object.__new__


def _check(
    check: str, status: Status, message: str, rfc: str, certificate: CertRef | None
) -> Check:
    """``Check(check, status, message, rfc, certificate)``, without the frozen dataclass's
    per-field ``object.__setattr__`` (the checks make about 50 of these per path)."""
    made: Check = _new(Check)
    made.__dict__.update(
        check=check, status=status, message=message, rfc=rfc, certificate=certificate
    )
    return made
