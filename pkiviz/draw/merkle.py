"""An RFC 6962 Merkle tree with one entry's audit path, drawn from the proof itself.

:func:`proof_layout` turns an :class:`~pkiviz.ct.log.InclusionProof` (the leaf
hash, its index, the tree size and the sibling hashes the log sent) into
positioned nodes and edges (data, testable without matplotlib). The tree's
shape follows from its size alone (RFC 6962 2.1: split at the largest power
of two below ``n``), so every node is known by the leaf range it covers. Each
node gets a role:

* ``"leaf"`` - the entry being proved;
* ``"sibling"`` - a hash the log sent in the audit path;
* ``"path"`` - a hash the verifier computes from the leaf and the siblings;
* ``"root"`` - the last computed hash, compared with the signed tree head's;
* ``"other"`` - a node the verifier never needs (its hash is unknown to it,
  unless ``leaf_hashes`` are given).

:func:`draw_merkle_proof` renders the layout (matplotlib imported lazily) and
:func:`merkle_alt_text` describes it in words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pkiviz.ct.log import InclusionProof
from pkiviz.ct.merkle import node_hash, split_point
from pkiviz.draw._notebook import enable_display

ROLES = ("leaf", "sibling", "path", "root", "other")
_COLOURS = {
    "leaf": "#fde0a8",
    "sibling": "#cfe3f7",
    "path": "#dff0d8",
    "root": "#b9e0a5",
    "other": "#f4f4f4",
}
_ROOT_MISMATCH = "#f4b6b6"


@dataclasses.dataclass(frozen=True)
class Node:
    """One node of the tree: the hash of the leaves ``lo..hi-1``.

    Attributes:
        lo: the first leaf it covers.
        hi: one past the last leaf it covers.
        level: 0 for a leaf; a node of ``n`` leaves sits at ``ceil(log2 n)``.
        role: one of :data:`ROLES`.
        hash: its hash where the verifier knows it (``None`` otherwise).
        step: for a sibling, its position in the audit path (0 = next to the leaf).
    """

    lo: int
    hi: int
    level: int
    role: str
    hash: bytes | None
    step: int | None = None

    @property
    def x(self) -> float:
        """Horizontal position: the middle of the leaves it covers."""
        return (self.lo + self.hi - 1) / 2

    @property
    def label(self) -> str:
        """``"leaf 3"`` or ``"[0, 4)"``: which leaves it covers."""
        return f"leaf {self.lo}" if self.hi - self.lo == 1 else f"[{self.lo}, {self.hi})"


@dataclasses.dataclass(frozen=True)
class ProofLayout:
    """The drawing's data.

    Attributes:
        index: the proved entry's position.
        tree_size: the number of leaves.
        nodes: every node, root first, then depth-first left to right.
        edges: ``(parent, child)`` pairs of node indices into ``nodes``.
        computed_root: the root rebuilt from the leaf and the audit path
            (``None`` if the path has the wrong length for this tree).
        root: the signed tree head's root, if given.
    """

    index: int
    tree_size: int
    nodes: tuple[Node, ...]
    edges: tuple[tuple[int, int], ...]
    computed_root: bytes | None
    root: bytes | None

    @property
    def matches(self) -> bool | None:
        """Whether the rebuilt root equals the tree head's (``None`` without a tree head)."""
        if self.root is None:
            return None
        return self.computed_root == self.root

    def by_role(self, role: str) -> tuple[Node, ...]:
        """The nodes with this role, in drawing order (siblings: leaf upwards)."""
        found = [n for n in self.nodes if n.role == role]
        if role == "sibling":
            found.sort(key=lambda n: n.step if n.step is not None else -1)
        return tuple(found)


def _level(size: int) -> int:
    return (size - 1).bit_length()


def proof_layout(
    proof: InclusionProof,
    *,
    root: bytes | None = None,
    leaf_hashes: Sequence[bytes] | None = None,
) -> ProofLayout:
    """Place every node of the tree and mark the audit path's roles.

    Args:
        proof: the inclusion proof (e.g. from ``LogClient.get_proof_by_hash``).
        root: the signed tree head's root hash, to compare with the rebuilt one.
        leaf_hashes: all leaf hashes of the tree, if known (fills in the ``other`` nodes).

    Returns:
        The :class:`ProofLayout`.

    Raises:
        ValueError: if the index is outside the tree or ``leaf_hashes`` has another size.
    """
    n, m = proof.tree_size, proof.index
    if not 0 <= m < n:
        raise ValueError(f"leaf index {m} is outside a tree of {n} leaves")
    if leaf_hashes is not None and len(leaf_hashes) != n:
        raise ValueError(f"{len(leaf_hashes)} leaf hashes for a tree of {n}")
    nodes: list[Node] = []
    edges: list[tuple[int, int]] = []
    # (lo, hi, parent index): walk the tree's shape, root first.
    stack: list[tuple[int, int, int | None]] = [(0, n, None)]
    spans: list[tuple[int, int]] = []
    while stack:
        lo, hi, parent = stack.pop()
        spans.append((lo, hi))
        me = len(spans) - 1
        if parent is not None:
            edges.append((parent, me))
        if hi - lo > 1:
            k = split_point(hi - lo)
            stack.append((lo + k, hi, me))
            stack.append((lo, lo + k, me))
    # The path from the leaf up: nodes containing m; siblings: the other child of each.
    on_path = [(lo, hi) for lo, hi in spans if lo <= m < hi]
    on_path.sort(key=lambda s: s[1] - s[0])  # leaf first
    sibling_of: dict[tuple[int, int], int] = {}
    for step, (_lo, hi) in enumerate(on_path[:-1]):
        up = on_path[step + 1]
        k = up[0] + split_point(up[1] - up[0])
        sibling_of[(k, up[1]) if hi == k else (up[0], k)] = step
    known: dict[tuple[int, int], bytes] = {}
    if leaf_hashes is not None:
        for lo, hi in sorted(spans, key=lambda s: s[1] - s[0]):
            if hi - lo == 1:
                known[(lo, hi)] = leaf_hashes[lo]
            else:
                k = lo + split_point(hi - lo)
                known[(lo, hi)] = node_hash(known[(lo, k)], known[(k, hi)])
    computed: dict[tuple[int, int], bytes] = {on_path[0]: proof.leaf_hash}
    fits = len(proof.path) == len(on_path) - 1
    if fits:
        current = proof.leaf_hash
        for step, (_lo, hi) in enumerate(on_path[:-1]):
            up = on_path[step + 1]
            k = up[0] + split_point(up[1] - up[0])
            other = proof.path[step]
            current = node_hash(current, other) if hi == k else node_hash(other, current)
            computed[up] = current
    for lo, hi in spans:
        span = (lo, hi)
        value: bytes | None
        step_no: int | None
        if span == on_path[0]:
            role, value, step_no = "leaf", proof.leaf_hash, None
        elif span in sibling_of:
            step_no = sibling_of[span]
            role = "sibling"
            value = proof.path[step_no] if step_no < len(proof.path) else None
        elif span in computed or span in on_path:
            role = "root" if span == (0, n) else "path"
            value, step_no = computed.get(span), None
        else:
            role, value, step_no = "other", known.get(span), None
        nodes.append(Node(lo, hi, _level(hi - lo), role, value, step_no))
    computed_root = computed.get((0, n)) if fits else None
    return ProofLayout(m, n, tuple(nodes), tuple(edges), computed_root, root)


def draw_merkle_proof(
    proof: InclusionProof,
    ax: Any = None,
    *,
    root: bytes | None = None,
    leaf_hashes: Sequence[bytes] | None = None,
    leaf_names: Sequence[str] | None = None,
    title: str | None = None,
) -> Any:
    """Draw the tree with the proved leaf, the audit path's siblings and the rebuilt root.

    Args:
        proof: the inclusion proof.
        ax: axes to draw into; ``None`` makes a new figure (without pyplot).
        root: the signed tree head's root (the root box turns red if it differs).
        leaf_hashes: all leaf hashes, to show the hashes the verifier does not need.
        leaf_names: a caption under each leaf (e.g. the logged certificate's name).
        title: the title (default: names the leaf and the tree size).

    Returns:
        The matplotlib ``Figure``.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    enable_display()
    layout = proof_layout(proof, root=root, leaf_hashes=leaf_hashes)
    height = max(node.level for node in layout.nodes)
    if ax is None:
        fig = Figure(figsize=(max(7.0, 1.25 * layout.tree_size + 1), 1.1 * height + 2.4))
        fig.set_layout_engine("constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    fig.patch.set_facecolor("white")
    fig.patch.set_alpha(1.0)
    ax.set_xlim(-0.7, layout.tree_size - 0.3)
    ax.set_ylim(-0.9 if leaf_names else -0.5, height + 0.5)
    ax.axis("off")
    for parent, child in layout.edges:
        a, b = layout.nodes[parent], layout.nodes[child]
        ax.plot([a.x, b.x], [a.level, b.level], color="#888", linewidth=1.0, zorder=1)
    for node in layout.nodes:
        colour = _COLOURS[node.role]
        if node.role == "root" and layout.matches is False:
            colour = _ROOT_MISMATCH
        digest = node.hash[:4].hex() if node.hash is not None else "?"
        text = f"{node.label}\n{digest}"
        if node.role == "root":
            text = f"root\n{text}"
        if node.role == "sibling" and node.step is not None:
            text = f"path[{node.step}]\n{node.label}\n{digest}"
        ax.text(node.x, node.level, text, ha="center", va="center", fontsize=7.5,
                family="monospace", zorder=2,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": colour,
                      "edgecolor": "#333" if node.role != "other" else "#aaa"})  # fmt: skip
    if leaf_names:
        for i, name in enumerate(leaf_names[: layout.tree_size]):
            ax.text(i, -0.55, name, ha="center", va="top", fontsize=6.5, rotation=0,
                    color="#333")  # fmt: skip
    legend = [
        Patch(facecolor=_COLOURS["leaf"], edgecolor="#333", label="the entry (leaf hash)"),
        Patch(facecolor=_COLOURS["sibling"], edgecolor="#333", label="audit path (from the log)"),
        Patch(facecolor=_COLOURS["path"], edgecolor="#333", label="computed by the verifier"),
        Patch(
            facecolor=_ROOT_MISMATCH if layout.matches is False else _COLOURS["root"],
            edgecolor="#333",
            label="root: compared with the signed tree head",
        ),
    ]
    ax.legend(handles=legend, loc="upper right", fontsize=7, frameon=True)
    ax.set_title(
        title
        or f"Audit path of leaf {layout.index} in a tree of {layout.tree_size} (RFC 6962 2.1.1)",
        loc="left",
        fontsize=10,
    )
    return fig


def merkle_alt_text(
    proof: InclusionProof,
    *,
    root: bytes | None = None,
    leaf_names: Sequence[str] | None = None,
) -> str:
    """A text description of the drawing, for screen readers and the site's alt text."""
    layout = proof_layout(proof, root=root)
    siblings = ", ".join(
        f"path[{s.step}] = {s.label} ({s.hash[:4].hex() if s.hash else '?'})"
        for s in layout.by_role("sibling")
    )
    name = f" ({leaf_names[layout.index]})" if leaf_names else ""
    rebuilt = layout.computed_root
    verdict = {
        None: "no signed tree head was given to compare with",
        True: "it equals the signed tree head's root",
        False: "it differs from the signed tree head's root",
    }[layout.matches]
    others = len(layout.by_role("other"))
    return (
        f"A Merkle tree of {layout.tree_size} leaves. Leaf {layout.index}{name} is highlighted; "
        f"the log sent {len(proof.path)} sibling hashes: {siblings or 'none'}. Hashing the leaf "
        f"with them in turn gives {len(layout.by_role('path'))} intermediate node(s) and the root "
        f"{rebuilt[:4].hex() if rebuilt else '(not computable)'}...; {verdict}. The other "
        f"{others} nodes are never needed by the verifier."
    )


__all__ = ["ROLES", "Node", "ProofLayout", "draw_merkle_proof", "merkle_alt_text", "proof_layout"]
