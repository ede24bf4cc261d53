"""What every check function receives: one candidate path and the validation inputs.

A check is a function ``Context -> Iterable[Check]`` (as jsonschema's keyword
functions yield errors). :class:`Context` carries the path and inputs and has
three small helpers, :meth:`Context.ok`, :meth:`Context.fail` and
:meth:`Context.skip`, that make a :class:`~pkiviz.validation.report.Check`
for certificate ``i`` of the path.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable

from cryptography import x509

from pkiviz.validation.facts import CertFacts
from pkiviz.validation.hostname import PeerName
from pkiviz.validation.policy import Profile
from pkiviz.validation.report import CertRef, Check, Status


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
        crls: CRLs given for revocation checking.
        ocsp_responses: OCSP responses given (not checked yet).
        max_depth: most non-self-issued intermediates allowed.
        anchor_count: how many trust anchors were given.
        signature: cached signature verification, ``None`` if it verifies.
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
    crls: tuple[x509.CertificateRevocationList, ...]
    ocsp_responses: tuple[object, ...]
    max_depth: int
    anchor_count: int
    signature: Callable[[CertFacts, CertFacts], str | None]

    @property
    def leaf(self) -> CertFacts:
        """The end-entity certificate (index 0)."""
        return self.path[0]

    def ref(self, i: int | None) -> CertRef | None:
        """A :class:`CertRef` for certificate ``i`` of the path (``None`` for the path)."""
        return None if i is None else CertRef(self.path[i].label, i)

    def issuer_indices(self) -> range:
        """Indices of the certificates that act as issuers (1 .. end)."""
        return range(1, len(self.path))

    def is_anchor(self, i: int) -> bool:
        """Whether certificate ``i`` is the trust anchor ending the path."""
        return self.anchored and i == len(self.path) - 1

    def make(self, check: str, status: Status, i: int | None, message: str, rfc: str) -> Check:
        """Build a :class:`Check`."""
        return Check(check, status, message, rfc, self.ref(i))

    def ok(self, check: str, i: int | None, message: str, rfc: str) -> Check:
        """A passing check."""
        return Check(check, "pass", message, rfc, self.ref(i))

    def fail(self, check: str, i: int | None, message: str, rfc: str) -> Check:
        """A failing check."""
        return Check(check, "fail", message, rfc, self.ref(i))

    def skip(self, check: str, i: int | None, message: str, rfc: str) -> Check:
        """A skipped check."""
        return Check(check, "skipped", message, rfc, self.ref(i))
