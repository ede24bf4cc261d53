"""Path building: from the leaf up to a trust anchor, with backtracking (RFC 4158 in small).

Depth-first from the leaf, shortest paths first. A certificate's possible
issuers are those whose subject equals its issuer name; trust anchors are tried
before the untrusted pool, and among each, a subject key identifier that
matches the child's authority key identifier and a currently valid certificate
come first (hints only, never filters). Each step verifies one signature
(cached). A path that reaches an anchor is handed to ``evaluate``; the first one
on which every check passes wins, otherwise building backtracks and tries the
next. The work is bounded (:data:`LIMITS`), so pathological pools fail fast
instead of hanging.

No path repeats a certificate, nor a CA: two certificates with the same
subject, public key and subject alternative names (two cross-certificates of
one CA, or a cross-certificate and the CA's self-signed root) count as one
(:attr:`~pkiviz.validation.facts.CertFacts.entity`; RFC 4158 2.4.2, as Go's
verifier does). So cycles end, and in a mesh of cross-certified CAs a path
never comes back to a CA it has left.

Shortest first: the depth-first search runs again with a longer path allowed
each round (iterative deepening). A round goes down the same branches in the
same order, but a path that has reached the round's length and could only go
on (its top is not an anchor and has issuers) waits for the next round without
a signature being verified. What a round decided (a rejection, an evaluated
path) is remembered and not redone or recorded again; only the walk down is
repeated. Where the alternatives are equally long, the order is plain
depth-first order; in a mesh, the first path found is a shortest one instead
of the first one depth-first happens to go down.

Every path tried is recorded with why it was rejected, for the chain graph.

Facts (:class:`~pkiviz.validation.facts.CertFacts`: DER, fingerprint, names,
extensions) are built only for the certificates the search reaches: the anchors
and the pool are indexed by subject name (:class:`SubjectIndex`), and a name's
certificates get facts when a certificate with that issuer name is first
extended. An intermediate no path can use costs reading its subject, not its facts.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Callable, Sequence

from cryptography import x509

from pkiviz.validation.facts import CertFacts, facts_of, verify_signature


@dataclasses.dataclass(frozen=True)
class Limits:
    """Work bounds for one path building run.

    Attributes:
        signatures: signature verifications (cache misses) at most.
        steps: issuer candidates considered at most (each path counted once, however
            many rounds of the search walk down it).
        complete_paths: complete paths fully evaluated at most.
        recorded: candidate paths recorded for the report at most.
        path_length: certificates on one path at most (self-issued ones included).
    """

    signatures: int = 256
    steps: int = 2048
    complete_paths: int = 32
    recorded: int = 64
    path_length: int = 16


LIMITS = Limits()


@dataclasses.dataclass
class Tried:
    """A path tried while building (mutable while building; reported frozen).

    Attributes:
        path: the certificates, leaf first.
        complete: whether it ends at a trust anchor.
        failures: how many checks failed on it (complete paths only).
        reason: why it was rejected, empty if valid.
    """

    path: tuple[CertFacts, ...]
    complete: bool
    failures: int
    reason: str

    @property
    def valid(self) -> bool:
        """Complete with no failed check."""
        return self.complete and self.failures == 0


Evaluator = Callable[[tuple[CertFacts, ...]], tuple[int, str]]


class SubjectIndex:
    """Trust anchors and untrusted certificates by subject name; facts built when asked.

    Indexed by ``x509.Name``, so a certificate's possible issuers are exactly those
    whose subject equals its issuer name as cryptography compares names (an
    attribute's string type does not count: a PrintableString and a UTF8String
    with the same text are equal). Reading ``cert.subject`` is what indexing a
    certificate costs: cryptography keeps the parsed name on the certificate
    object, so about 3 us the first time and a dictionary lookup after; the raw
    name bytes (``public_bytes`` re-encodes the certificate on every call, about
    3 us, and then a DER walk) cost more and would need a fallback for names equal
    but encoded differently. :meth:`with_subject` builds the facts of one name's
    certificates the first time it is asked for them.

    Args:
        anchors: the trust anchors, first in every list.
        pool: the untrusted certificates.

    Attributes:
        anchor_fingerprints: the fingerprints of the anchors whose facts are built.
            An anchor has the subject of the certificate equal to it, so whether a
            certificate returned by :meth:`with_subject` is an anchor is settled by
            the time it is returned.
        built: how many certificates' facts were built.
    """

    def __init__(
        self, anchors: Sequence[x509.Certificate], pool: Sequence[x509.Certificate]
    ) -> None:
        self._certs: dict[x509.Name, list[tuple[x509.Certificate, bool]]] = {}
        for anchor in anchors:
            self._certs.setdefault(_subject(anchor), []).append((anchor, True))
        for cert in pool:
            self._certs.setdefault(_subject(cert), []).append((cert, False))
        self._facts: dict[x509.Name, list[CertFacts]] = {}
        self.anchor_fingerprints: set[str] = set()
        self.built = 0

    def with_subject(self, name: x509.Name) -> list[CertFacts]:
        """The certificates whose subject is ``name``, anchors first, each DER once.

        Args:
            name: a subject name.

        Returns:
            Their facts, in the order given (the same list on every call).
        """
        found = self._facts.get(name)
        if found is None:
            found = []
            seen: set[str] = set()
            for cert, anchor in self._certs.get(name, ()):
                facts = facts_of(cert)
                self.built += 1
                if facts.fingerprint in seen:  # the same DER given twice: the first counts
                    continue
                seen.add(facts.fingerprint)
                found.append(facts)
                if anchor:
                    self.anchor_fingerprints.add(facts.fingerprint)
            self._facts[name] = found
        return found


def _subject(cert: x509.Certificate) -> x509.Name:
    """``cert.subject``, or the stand-in its facts use when cryptography cannot decode it."""
    try:
        return cert.subject
    except ValueError:
        return facts_of(cert).subject


class PathBuilder:
    """Search for a path from ``leaf`` to one of ``anchors`` through ``pool``.

    Args:
        leaf: the end-entity certificate.
        pool: untrusted intermediates (facts built only for those the search reaches).
        anchors: trust anchors (the same).
        evaluate: runs every check on a complete path; returns (number of
            failures, first failure's message).
        at: validation time (a hint for ordering candidates).
        max_depth: most non-self-issued intermediates allowed on a path.
        limits: work bounds.
    """

    def __init__(
        self,
        leaf: CertFacts,
        pool: Sequence[x509.Certificate],
        anchors: Sequence[x509.Certificate],
        *,
        evaluate: Evaluator,
        at: _dt.datetime,
        max_depth: int,
        limits: Limits = LIMITS,
    ) -> None:
        self.leaf = leaf
        self.index = SubjectIndex(anchors, pool)
        self.evaluate = evaluate
        self.at = at
        self.max_depth = max_depth
        self.limits = limits
        self.signatures: dict[tuple[str, str], str | None] = {}
        self.tried: list[Tried] = []
        self.unrecorded = 0
        self.steps = 0
        self.complete_paths = 0
        self.rounds = 0
        self.gave_up = ""
        self.best: Tried | None = None
        self._issuer_lists: dict[str, list[CertFacts]] = {}
        # Paths (as fingerprints) already decided: rejected or evaluated, extended, or
        # found to end nowhere. A later round walks through them without redoing them.
        self._decided: set[tuple[str, ...]] = set()
        self._opened: set[tuple[str, ...]] = set()
        self._ended: set[tuple[str, ...]] = set()
        self._cut = False

    # -- helpers ------------------------------------------------------------

    def signature(self, child: CertFacts, issuer: CertFacts) -> str | None:
        """Cached :func:`verify_signature`; ``"budget"`` problems count as failures."""
        key = (child.fingerprint, issuer.fingerprint)
        if key not in self.signatures:
            if len(self.signatures) >= self.limits.signatures:
                self.gave_up = (
                    f"gave up after {self.limits.signatures} signature verifications "
                    "(a denial-of-service guard)"
                )
                return self.gave_up
            self.signatures[key] = verify_signature(child, issuer)
        return self.signatures[key]

    def is_anchor(self, cert: CertFacts) -> bool:
        """Whether ``cert`` is one of the trust anchors (by DER).

        ``cert`` is the leaf or came from :meth:`SubjectIndex.with_subject`, so an
        anchor equal to it has its subject and its facts are built.
        """
        return cert.fingerprint in self.index.anchor_fingerprints

    def _record(self, tried: Tried, shown: Tried | None = None) -> None:
        """Keep ``tried`` for the report, and ``shown`` (default: the same) as the path
        to report if nothing better is found: a complete one with the fewest failures,
        else the longest partial one."""
        best = tried if shown is None else shown
        if best.complete:
            if self.best is None or not self.best.complete or best.failures < self.best.failures:
                self.best = best
        elif self.best is None or (not self.best.complete and len(best.path) > len(self.best.path)):
            self.best = best
        if len(self.tried) < self.limits.recorded:
            self.tried.append(tried)
        else:
            self.unrecorded += 1

    def _issuers(self, child: CertFacts) -> list[CertFacts]:
        """The possible issuers of ``child`` (itself excluded), most likely first; cached."""
        issuers = self._issuer_lists.get(child.fingerprint)
        if issuers is None:
            issuers = [c for c in self._ordered(child) if c.fingerprint != child.fingerprint]
            self._issuer_lists[child.fingerprint] = issuers
        return issuers

    def _has_issuers(self, cert: CertFacts) -> bool:
        found = self.index.with_subject(cert.issuer)
        return any(c.fingerprint != cert.fingerprint for c in found)

    def _ordered(self, child: CertFacts) -> list[CertFacts]:
        found = self.index.with_subject(child.issuer)
        if len(found) < 2:
            return list(found)
        aki = child.ext(x509.AuthorityKeyIdentifier)
        key_id = aki.value.key_identifier if aki is not None else None

        def order(cert: CertFacts) -> tuple[bool, bool, bool]:
            ski = cert.ext(x509.SubjectKeyIdentifier)
            matches = key_id is not None and ski is not None and ski.value.digest == key_id
            current = cert.not_before <= self.at <= cert.not_after
            return (not self.is_anchor(cert), not matches, not current)

        return sorted(found, key=order)

    # -- the search -----------------------------------------------------------

    def build(self) -> Tried | None:
        """Run the search.

        Returns:
            The first valid path, else ``None`` (see :attr:`best` and :attr:`tried`).
        """
        try:
            self.index.with_subject(self.leaf.subject)  # an anchor equal to the leaf
            if self.is_anchor(self.leaf):
                return self._complete((self.leaf,))
            root = (self.leaf,)
            key = (self.leaf.fingerprint,)
            limit = 2
            while True:
                self.rounds += 1
                self._cut = False
                found = self._extend(root, key, 0, limit)
                if found is not None or not self._cut or self.gave_up:
                    return found
                limit += 1
        finally:
            # ``evaluate`` is usually a closure that refers back to this builder; dropping
            # it breaks that reference cycle, so a validation's objects are freed as soon
            # as it returns instead of waiting for the cyclic garbage collector.
            self.evaluate = _built

    def _complete(self, path: tuple[CertFacts, ...]) -> Tried | None:
        self.complete_paths += 1
        failures, reason = self.evaluate(path)
        tried = Tried(path, True, failures, reason)
        self._record(tried)
        return tried if failures == 0 else None

    def _stop(self) -> bool:
        if self.gave_up:
            return True
        if self.steps >= self.limits.steps:
            self.gave_up = f"gave up after considering {self.limits.steps} candidate issuers"
        elif self.complete_paths >= self.limits.complete_paths:
            self.gave_up = f"gave up after evaluating {self.limits.complete_paths} complete paths"
        return bool(self.gave_up)

    def _extend(
        self, path: tuple[CertFacts, ...], key: tuple[str, ...], depth: int, limit: int
    ) -> Tried | None:
        """Try the issuers of ``path[-1]`` in order, down to paths of ``limit`` certificates.

        Args:
            path: the path so far, leaf first.
            key: its fingerprints.
            depth: non-self-issued intermediates on it.
            limit: the longest path this round builds.

        Returns:
            The first valid path found, else ``None``.
        """
        child = path[-1]
        issuers = self._issuers(child)
        if not issuers:
            if key not in self._ended:
                self._ended.add(key)
                if child.self_issued and self.signature(child, child) is None:
                    why = f"{child.label} is self-signed but is not one of the trust anchors"
                else:
                    why = (
                        f"no certificate with subject {_name(child.issuer)} (the issuer of "
                        f"{child.label}) is among the intermediates or trust anchors"
                    )
                self._record(Tried(path, False, 0, why))
            return None
        on_path = {c.entity: c for c in path}
        extended = False
        for issuer in issuers:
            if self._stop():
                break
            candidate = (*path, issuer)
            candidate_key = (*key, issuer.fingerprint)
            if candidate_key in self._decided:
                continue
            anchor = self.is_anchor(issuer)
            next_depth = depth + (0 if anchor or issuer.self_issued else 1)
            if candidate_key in self._opened:
                extended = True
                result = self._extend(candidate, candidate_key, next_depth, limit)
                if result is not None:
                    return result
                continue
            same = on_path.get(issuer.entity)
            too_deep = next_depth > self.max_depth or len(candidate) > self.limits.path_length
            if (
                len(candidate) >= limit
                and not anchor
                and same is None
                and not too_deep
                and self._has_issuers(issuer)
            ):
                self._cut = True  # it could only go on: the next round takes it
                continue
            self.steps += 1
            if same is not None:
                why = f"{issuer.label} is already on this path (a cycle)"
                if same.fingerprint != issuer.fingerprint:
                    why = (
                        f"{issuer.label} is already on this path: another certificate with "
                        "the same name and key, so the same CA (a cycle)"
                    )
                # Tried as it was, but if reported it is the path without the repeat.
                self._decided.add(candidate_key)
                self._record(Tried(candidate, False, 0, why), Tried(path, False, 0, why))
                continue
            if too_deep:
                why = f"more than {self.max_depth} intermediates (the maximum chain depth)"
                self._reject(candidate, candidate_key, why)
                continue
            problem = self.signature(child, issuer)
            if problem is not None:
                self._reject(candidate, candidate_key, f"{child.label}: {problem}")
                continue
            extended = True
            if anchor:
                self._decided.add(candidate_key)
                result = self._complete(candidate)
            else:
                self._opened.add(candidate_key)
                result = self._extend(candidate, candidate_key, next_depth, limit)
            if result is not None:
                return result
        if not extended and self.gave_up and len(path) == 1:
            self._record(Tried(path, False, 0, self.gave_up))
        return None

    def _reject(self, candidate: tuple[CertFacts, ...], key: tuple[str, ...], why: str) -> None:
        self._decided.add(key)
        self._record(Tried(candidate, False, 0, why))


def _name(name: x509.Name) -> str:
    return name.rfc4514_string() or "(empty name)"


def _built(path: tuple[CertFacts, ...]) -> tuple[int, str]:
    raise RuntimeError("PathBuilder.build() runs once")
