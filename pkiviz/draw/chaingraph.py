"""The chain graph as data: every certificate a validation considered, and how each fared.

:func:`chain_graph` turns a :class:`~pkiviz.validation.Report` into a
:class:`ChainGraph`: the certificates as nodes (the leaf, intermediates, trust
anchors, a self-signed root nobody trusts, and a placeholder for an issuer
that was never found), the issued-by links as edges, and for each a status
(pass, fail, skipped) with the checks behind it. The chosen path comes from
the report; the alternatives come from ``report.candidates``, the paths the
path builder tried and rejected.

How statuses are decided, in one place:

* a certificate on the chosen path gets the report's checks about it; the
  path-level chain-of-trust verdict goes to the certificate the path ends at
  (the trust anchor, or a self-signed root that is not one) or to the
  placeholder of a missing issuer;
* a certificate only on a rejected *complete* candidate gets that candidate's
  checks, which the report keeps (``Candidate.checks``): nothing is
  validated again;
* a self-signed certificate ending a rejected partial candidate fails
  chain-of-trust with the path builder's reason; anything else off the path
  is "skipped" (not evaluated);
* an edge on the chosen path gets the report's signature check; any other
  edge gets what the path builder found when it verified that signature
  (``Candidate.links``); a link it never verified (the repeat closing a
  cycle, a step past the depth limit) is verified here when both
  certificates are known.

The certificates come from the report (``report.inputs``); the
``intermediates`` and ``trust_anchors`` arguments are only needed for a report
that does not keep its inputs.

This module imports no matplotlib and no networkx (:meth:`ChainGraph.to_networkx`
imports networkx when called); :mod:`pkiviz.draw.chain` draws the graph.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from cryptography import x509

from pkiviz.table import Table
from pkiviz.validation import Candidate, CertRef, Check, Report
from pkiviz.validation.facts import CertFacts, facts_of, is_undecodable, verify_signature
from pkiviz.validation.inputs import CertLike, as_certificate
from pkiviz.validation.report import SYMBOLS, Status, fingerprint, subject_text

Role = Literal["leaf", "intermediate", "anchor", "untrusted-root", "missing"]

#: How each role is named in drawings and text.
ROLE_TEXT: dict[str, str] = {
    "leaf": "leaf (end entity)",
    "intermediate": "intermediate CA",
    "anchor": "TRUST ANCHOR",
    "untrusted-root": "self-signed, NOT trusted",
    "missing": "issuer not found",
}

_CHAIN_RFC = "RFC 5280 6.1"


@dataclasses.dataclass(frozen=True)
class ChainNode:
    """One certificate of the graph (or the placeholder for a missing issuer).

    Attributes:
        key: the certificate's SHA-256 fingerprint (hex), or
            ``"missing:<issuer name>"`` for the placeholder.
        subject: the subject as RFC 4514 text (the placeholder: the name sought).
        label: a short unique name for drawings: the CN, plus ``" (by <issuer
            CN>)"`` when two certificates share the CN.
        role: ``"leaf"``, ``"intermediate"``, ``"anchor"``,
            ``"untrusted-root"`` or ``"missing"``.
        depth: steps up from the leaf (0 = leaf) where it first appears.
        column: position across, 0 for the chosen path.
        on_path: whether it is on the chosen path.
        status: ``"pass"``, ``"fail"`` or ``"skipped"`` (not evaluated).
        checks: the checks about this certificate behind the status.
        note: one line on what decided the status.
    """

    key: str
    subject: str
    label: str
    role: Role
    depth: int
    column: int
    on_path: bool
    status: Status
    checks: tuple[Check, ...]
    note: str

    @property
    def anchor(self) -> bool:
        """Whether the certificate is a trust anchor."""
        return self.role == "anchor"

    @property
    def symbol(self) -> str:
        """✓, ✗ or – for the status."""
        return SYMBOLS[self.status][0]

    @property
    def failed_checks(self) -> tuple[str, ...]:
        """Names of the failed checks, without repeats, in report order."""
        return tuple(dict.fromkeys(c.check for c in self.checks if c.failed))

    def summary(self) -> str:
        """A short line for a drawing: the failed checks, or how many passed."""
        if self.status == "fail":
            return "✗ " + ", ".join(self.failed_checks)
        if self.status == "pass":
            passed = sum(c.passed for c in self.checks)
            return f"✓ {passed} check{'s' if passed != 1 else ''} passed"
        return "– not evaluated"


@dataclasses.dataclass(frozen=True)
class ChainEdge:
    """An issued-by link: ``child`` was (or claims to be) signed by ``issuer``.

    Attributes:
        child: key of the certificate lower down.
        issuer: key of its issuer.
        status: ``"pass"`` (the signature verifies), ``"fail"`` or ``"skipped"``.
        note: why, in words.
        on_path: whether the link is on the chosen path.
    """

    child: str
    issuer: str
    status: Status
    note: str
    on_path: bool

    @property
    def symbol(self) -> str:
        """✓, ✗ or – for the status."""
        return SYMBOLS[self.status][0]

    @property
    def short(self) -> str:
        """The edge's label in a drawing."""
        word = {"pass": "signed", "fail": "not signed", "skipped": "not checked"}[self.status]
        if self.issuer.startswith("missing:"):
            word = "issuer not found"
        return f"{self.symbol} {word}"


@dataclasses.dataclass(frozen=True)
class ChainGraph:
    """The graph of one validation. Build one with :func:`chain_graph`.

    Attributes:
        nodes: the certificates, chosen path first (leaf up), then the others
            in the order the path builder met them.
        edges: the issued-by links, chosen path first.
        candidates: the paths the builder tried (``report.candidates``).
        path: node keys of the chosen path, leaf first.
        valid: the report's verdict.
        peer_name: the name matched, if any.
        first_failure: the report's first failed check, as text ("" if valid).
    """

    nodes: tuple[ChainNode, ...]
    edges: tuple[ChainEdge, ...]
    candidates: tuple[Candidate, ...]
    path: tuple[str, ...]
    valid: bool
    peer_name: str | None
    first_failure: str

    def node(self, label: str) -> ChainNode:
        """The node with a given label, key or subject.

        Raises:
            KeyError: if there is none.
        """
        for n in self.nodes:
            if label in (n.label, n.key, n.subject):
                return n
        raise KeyError(label)

    def edge(self, child: str, issuer: str) -> ChainEdge:
        """The edge between two nodes, each given by label, key or subject.

        Raises:
            KeyError: if there is none.
        """
        low, high = self.node(child).key, self.node(issuer).key
        for e in self.edges:
            if (e.child, e.issuer) == (low, high):
                return e
        raise KeyError((child, issuer))

    def label_of(self, key: str) -> str:
        """The label of the node with ``key``."""
        return self.node(key).label

    @property
    def statuses(self) -> dict[str, Status]:
        """Node label -> status."""
        return {n.label: n.status for n in self.nodes}

    @property
    def edge_statuses(self) -> dict[tuple[str, str], Status]:
        """(child label, issuer label) -> status."""
        return {(self.label_of(e.child), self.label_of(e.issuer)): e.status for e in self.edges}

    @property
    def anchors(self) -> tuple[str, ...]:
        """Labels of the trust anchors in the graph."""
        return tuple(n.label for n in self.nodes if n.anchor)

    def candidate_lines(self) -> tuple[str, ...]:
        """One line per candidate path: symbol, labels along it, verdict."""
        by_key = {n.key: n.label for n in self.nodes}
        lines = []
        for i, c in enumerate(self.candidates, start=1):
            names = " → ".join(by_key.get(fp, subject) for fp, subject in _walk(c))
            chosen = c.fingerprints == self.path and c.valid
            verdict = "valid, chosen" if chosen else f"rejected: {c.reason}"
            lines.append(f"{i}. {'✓' if c.valid else '✗'} {names}  [{verdict}]")
        return tuple(lines)

    def table(self) -> Table:
        """The nodes as a :class:`~pkiviz.table.Table`."""
        rows = tuple(
            (
                f"{n.symbol} {SYMBOLS[n.status][1]}",
                n.label,
                ROLE_TEXT[n.role],
                "yes" if n.on_path else "no",
                n.note,
            )
            for n in self.nodes
        )
        return Table(("status", "certificate", "role", "on path", "why"), rows)

    def text(self) -> str:
        """Plain text: verdict, nodes, edges, candidate paths."""
        verdict = "VALID" if self.valid else f"INVALID ({self.first_failure})"
        lines = [f"chain graph: {verdict}", self.table().text(), "issued-by links:"]
        lines += [
            f"  {e.symbol} {self.label_of(e.child)} → {self.label_of(e.issuer)}: {e.note}"
            + ("" if e.on_path else "  (alternative)")
            for e in self.edges
        ]
        lines.append("candidate paths tried:")
        lines += [f"  {line}" for line in self.candidate_lines()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text())}</pre>"

    def to_networkx(self) -> Any:
        """The graph as a ``networkx.DiGraph`` (edges point from child to issuer).

        Node attributes are the :class:`ChainNode` fields; edge attributes the
        :class:`ChainEdge` fields. networkx is imported here, not before.
        """
        import networkx as nx

        graph = nx.DiGraph()
        for n in self.nodes:
            graph.add_node(n.key, **dataclasses.asdict(n) | {"checks": n.checks})
        for e in self.edges:
            graph.add_edge(e.child, e.issuer, **dataclasses.asdict(e))
        return graph


def _walk(candidate: Candidate) -> Iterable[tuple[str, str]]:
    return zip(candidate.fingerprints, candidate.subjects, strict=True)


def _cn(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def _parse_name(text: str) -> x509.Name | None:
    try:
        return x509.Name.from_rfc4514_string(text)
    except ValueError:
        return None


def _combined(checks: Sequence[Check]) -> Status:
    statuses = {c.status for c in checks}
    if "fail" in statuses:
        return "fail"
    return "pass" if "pass" in statuses else "skipped"


def _self_issued(cert: x509.Certificate | None) -> bool:
    return cert is not None and facts_of(cert).self_issued


def _issuer_text(cert: x509.Certificate) -> str:
    """The issuer name as RFC 4514 text, as the validator reads it (a name cryptography
    cannot decode gets the validator's stand-in, shown as such)."""
    issuer = facts_of(cert).issuer
    return "(undecodable name)" if is_undecodable(issuer) else issuer.rfc4514_string()


@dataclasses.dataclass
class _Draft:
    key: str
    subject: str
    cert: x509.Certificate | None
    depth: int
    on_path: bool
    anchor: bool = False
    checks: list[Check] = dataclasses.field(default_factory=list)
    note: str = ""


def chain_graph(
    report: Report,
    *,
    intermediates: Sequence[CertLike] = (),
    trust_anchors: Sequence[CertLike] = (),
) -> ChainGraph:
    """Build the chain graph of a validation.

    Args:
        report: what :func:`pkiviz.validation.validate` returned.
        intermediates: more untrusted certificates (the report's own inputs
            are always used; these matter for a report without ``inputs``).
        trust_anchors: more trust anchors, as ``intermediates``; marks
            anchors that no complete path reached.

    Returns:
        The graph. Same report and certificates, same graph.
    """
    if report.inputs is not None:
        intermediates = (*report.inputs.intermediate_certificates, *intermediates)
        trust_anchors = (*report.inputs.anchor_certificates, *trust_anchors)
    known: dict[str, x509.Certificate] = {}
    for item in (*trust_anchors, *intermediates):
        cert = as_certificate(item)
        known.setdefault(fingerprint(cert), cert)
    path_keys = tuple(fingerprint(c) for c in report.path)
    for cert in report.path:
        known[fingerprint(cert)] = cert
    anchor_keys = {fingerprint(as_certificate(a)) for a in trust_anchors}
    for c in report.candidates:
        if c.complete:
            anchor_keys.add(c.fingerprints[-1])
    chain_check = next(iter(report.by_check("chain-of-trust")), None)
    anchored = chain_check is not None and chain_check.passed
    if anchored and path_keys:
        anchor_keys.add(path_keys[-1])

    drafts: dict[str, _Draft] = {}
    for depth, cert in enumerate(report.path):
        key = path_keys[depth]
        drafts[key] = _Draft(key, subject_text(cert), cert, depth, on_path=True)
    for candidate in report.candidates:
        for depth, (key, subject) in enumerate(_walk(candidate)):
            if key not in drafts:
                drafts[key] = _Draft(key, subject, known.get(key), depth, on_path=False)
            else:
                drafts[key].depth = min(drafts[key].depth, depth)
    for key, draft in drafts.items():
        draft.anchor = key in anchor_keys

    # -- the chosen path: the report's own checks --------------------------------
    for check in report.checks:
        ref = check.certificate
        if ref is not None and ref.index is not None and ref.index < len(path_keys):
            drafts[path_keys[ref.index]].checks.append(check)
    edges: dict[tuple[str, str], ChainEdge] = {}
    for i in range(len(path_keys) - 1):
        sig = [c for c in report.by_check("signature") if _index(c) == i]
        status = _combined(sig)
        note = sig[0].message if sig else "not checked"
        edges[(path_keys[i], path_keys[i + 1])] = ChainEdge(
            path_keys[i], path_keys[i + 1], status, note, on_path=True
        )
    missing: _Draft | None = None
    if path_keys and chain_check is not None:
        top = drafts[path_keys[-1]]
        attributed = dataclasses.replace(chain_check, certificate=CertRef(top.subject, None))
        if anchored or _self_issued(top.cert):
            top.checks.insert(0, attributed)
        elif top.cert is not None and _issuer_absent(top.cert, drafts, known):
            issuer_name = _issuer_text(top.cert) or "(empty name)"
            missing = _Draft(
                f"missing:{issuer_name}",
                issuer_name,
                None,
                top.depth + 1,
                on_path=True,
                checks=[dataclasses.replace(chain_check, certificate=CertRef(issuer_name, None))],
                note=f"no certificate named {issuer_name} was given",
            )
            edges[(top.key, missing.key)] = ChainEdge(
                top.key,
                missing.key,
                "fail",
                f"the issuer {issuer_name} is not among the certificates given",
                on_path=True,
            )

    # -- the alternatives --------------------------------------------------------
    evaluated: set[str] = set(path_keys)
    links = _links(report.candidates)
    for candidate in report.candidates:
        if candidate.fingerprints == path_keys:
            continue
        keys = candidate.fingerprints
        if candidate.complete:
            for check in candidate.checks:
                at = _index(check)
                if at is not None and keys[at] not in evaluated:
                    drafts[keys[at]].checks.append(check)
            evaluated.update(k for k in keys if drafts[k].checks)
        else:
            top = drafts[keys[-1]]
            if keys[-1] not in evaluated and _self_issued(top.cert) and not top.anchor:
                top.checks.append(
                    Check("chain-of-trust", "fail", candidate.reason, _CHAIN_RFC, None)
                )
                evaluated.add(keys[-1])
        for child, issuer in itertools.pairwise(keys):
            if (child, issuer) not in edges:
                edges[(child, issuer)] = _edge(child, issuer, known, links, candidate, keys)

    for key, draft in drafts.items():
        draft.note = _note(draft, key in path_keys)
    ordered = list(drafts.values())
    if missing is not None:
        ordered.insert(len(path_keys), missing)
    nodes = _finish(ordered, path_keys if missing is None else (*path_keys, missing.key))
    first = report.first_failure
    return ChainGraph(
        nodes=nodes,
        edges=tuple(edges.values()),
        candidates=report.candidates,
        path=path_keys,
        valid=report.valid,
        peer_name=report.peer_name,
        first_failure="" if first is None else f"{first.check}: {first.message}",
    )


def _index(check: Check) -> int | None:
    return None if check.certificate is None else check.certificate.index


def _issuer_absent(
    cert: x509.Certificate, drafts: dict[str, _Draft], known: dict[str, x509.Certificate]
) -> bool:
    wanted = _issuer_text(cert)
    names = {d.subject for d in drafts.values()}
    names |= {subject_text(c) for c in known.values()}
    return wanted not in names


def _links(candidates: Iterable[Candidate]) -> dict[tuple[str, str], tuple[Status, str]]:
    """Every signature the path builder verified, by (child key, issuer key)."""
    found: dict[tuple[str, str], tuple[Status, str]] = {}
    for candidate in candidates:
        for pair, link in zip(
            itertools.pairwise(candidate.fingerprints), candidate.links, strict=False
        ):
            if link[0] != "skipped":
                found.setdefault(pair, link)
    return found


def _edge(
    child: str,
    issuer: str,
    known: dict[str, x509.Certificate],
    links: dict[tuple[str, str], tuple[Status, str]],
    candidate: Candidate,
    keys: tuple[str, ...],
) -> ChainEdge:
    if (child, issuer) in links:
        status, note = links[(child, issuer)]
        return ChainEdge(child, issuer, status, note, on_path=False)
    if child in known and issuer in known:  # a link the path builder never verified
        problem = verify_signature(CertFacts(known[child]), CertFacts(known[issuer]))
        if problem is None:
            return ChainEdge(child, issuer, "pass", "the signature verifies", on_path=False)
        return ChainEdge(child, issuer, "fail", problem, on_path=False)
    if candidate.complete or issuer != keys[-1]:
        # the path builder verified every link it went on from
        return ChainEdge(child, issuer, "pass", "the signature verifies", on_path=False)
    return ChainEdge(child, issuer, "skipped", "not checked here", on_path=False)


def _note(draft: _Draft, on_path: bool) -> str:
    failed = [c for c in draft.checks if c.failed]
    if failed:
        return f"{failed[0].check}: {failed[0].message}"
    if not draft.checks:
        return "not evaluated: only on a path the builder abandoned"
    if draft.anchor:
        return "in the trust store; trusted as given"
    passed = sum(c.passed for c in draft.checks)
    where = "" if on_path else " (on an alternative path)"
    return f"{passed} checks passed{where}"


def _finish(drafts: list[_Draft], path_keys: tuple[str, ...]) -> tuple[ChainNode, ...]:
    # labels: the CN, disambiguated by the issuer's CN when two share it
    def short(d: _Draft) -> str:
        name = _parse_name(d.subject) if d.cert is None else facts_of(d.cert).subject
        text = (_cn(name) if name is not None else None) or d.subject
        return "? " + text if d.key.startswith("missing:") else text

    shorts = [short(d) for d in drafts]
    labels = []
    for d, s in zip(drafts, shorts, strict=True):
        if shorts.count(s) > 1 and d.cert is not None:
            s = f"{s} (by {_cn(facts_of(d.cert).issuer) or _issuer_text(d.cert)})"
        labels.append(s)
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[i] = f"{label} #{labels[: i + 1].count(label)}"

    columns: dict[int, int] = {}
    nodes = []
    for d, label in zip(drafts, labels, strict=True):
        if d.key in path_keys:
            column = 0
        else:
            column = columns.get(d.depth, 0) + 1
            columns[d.depth] = column
        nodes.append(
            ChainNode(
                key=d.key,
                subject=d.subject,
                label=label,
                role=_role(d, path_keys),
                depth=d.depth,
                column=column,
                on_path=d.key in path_keys,
                status=_combined(d.checks),
                checks=tuple(d.checks),
                note=d.note,
            )
        )
    return tuple(nodes)


def _role(d: _Draft, path_keys: tuple[str, ...]) -> Role:
    if d.key.startswith("missing:"):
        return "missing"
    if path_keys and d.key == path_keys[0]:
        return "leaf"
    if d.anchor:
        return "anchor"
    if _self_issued(d.cert):
        return "untrusted-root"
    return "intermediate"
