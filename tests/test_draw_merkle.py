"""pkiviz.draw.merkle: an entry's audit path drawn from the inclusion proof, with controls."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.figure import Figure

from pkiviz.ct.log import Log
from pkiviz.ct.merkle import leaf_hash
from pkiviz.draw.merkle import draw_merkle_proof, merkle_alt_text, proof_layout


def _log(n: int) -> Log:
    log = Log("test draw merkle")
    for i in range(n):
        log.append(f"entry {i}".encode())
    return log


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 13])
def test_every_leaf_rebuilds_the_root_and_siblings_are_the_audit_path(n: int) -> None:
    log = _log(n)
    leaves = [log.leaf_hash(i) for i in range(n)]
    for m in range(n):
        proof = log.inclusion_proof(m)
        layout = proof_layout(proof, root=log.root_hash(), leaf_hashes=leaves)
        assert layout.matches is True and layout.computed_root == log.root_hash()
        assert [s.hash for s in layout.by_role("sibling")] == list(proof.path)
        assert [s.step for s in layout.by_role("sibling")] == list(range(len(proof.path)))
        (leaf,) = layout.by_role("leaf")
        assert (leaf.lo, leaf.hi, leaf.hash) == (m, m + 1, leaf_hash(f"entry {m}".encode()))
        # 2n - 1 nodes in a tree of n leaves; every non-root node has one parent edge.
        assert len(layout.nodes) == 2 * n - 1 and len(layout.edges) == 2 * n - 2
        # Every node's hash, where the verifier computes it, is the true subtree hash.
        truth = {(x.lo, x.hi): x.hash for x in proof_layout(proof, leaf_hashes=leaves).nodes}
        for node in layout.nodes:
            if node.hash is not None:
                assert node.hash == truth[(node.lo, node.hi)]


def test_the_verifier_needs_only_the_path_other_nodes_stay_unknown() -> None:
    log = _log(7)
    layout = proof_layout(log.inclusion_proof(5), root=log.root_hash())
    assert {n.role for n in layout.nodes} == {"leaf", "sibling", "path", "root", "other"}
    assert all(n.hash is None for n in layout.by_role("other"))
    # Leaf 5 of 7: siblings leaf 4, leaf 6, [0, 4); computed: [4, 6), [4, 7), the root.
    assert [(s.lo, s.hi) for s in layout.by_role("sibling")] == [(4, 5), (6, 7), (0, 4)]
    assert sorted((p.lo, p.hi) for p in layout.by_role("path")) == [(4, 6), (4, 7)]
    assert [n.level for n in layout.by_role("root")] == [3]


def test_a_wrong_sibling_or_root_is_seen_control_the_right_one_matches() -> None:
    log = _log(6)
    proof = log.inclusion_proof(2)
    assert proof_layout(proof, root=log.root_hash()).matches is True  # control
    bad = dataclasses.replace(proof, path=(proof.path[0][::-1], *proof.path[1:]))
    assert proof_layout(bad, root=log.root_hash()).matches is False
    assert proof_layout(proof, root=log.root_hash(5)).matches is False
    short = dataclasses.replace(proof, path=proof.path[:-1])
    layout = proof_layout(short, root=log.root_hash())
    assert layout.computed_root is None and layout.matches is False
    assert proof_layout(proof).matches is None


def test_drawing_returns_its_figure_with_the_hashes_and_alt_text() -> None:
    log = _log(7)
    proof = log.inclusion_proof(5)
    names = [f"site{i}.example" for i in range(7)]
    fig = draw_merkle_proof(proof, root=log.root_hash(), leaf_names=names)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any(t.startswith("path[0]\nleaf 4\n" + proof.path[0][:4].hex()) for t in texts)
    assert any(log.root_hash()[:4].hex() in t for t in texts)
    assert "site5.example" in texts
    alt = merkle_alt_text(proof, root=log.root_hash(), leaf_names=names)
    assert "Leaf 5 (site5.example)" in alt and "equals the signed tree head's root" in alt
    assert "differs" in merkle_alt_text(proof, root=log.root_hash(6))  # control
    ax = Figure().add_subplot()
    assert draw_merkle_proof(proof, ax) is ax.figure


def test_impossible_layouts_raise() -> None:
    log = _log(3)
    proof = log.inclusion_proof(1)
    with pytest.raises(ValueError, match="outside"):
        proof_layout(dataclasses.replace(proof, index=3))
    with pytest.raises(ValueError, match="leaf hashes"):
        proof_layout(proof, leaf_hashes=[log.leaf_hash(0)])
    proof_layout(proof, leaf_hashes=[log.leaf_hash(i) for i in range(3)])  # control


def test_the_layout_needs_no_matplotlib() -> None:
    code = (
        "import sys, pkiviz.draw.merkle as m; from pkiviz.ct.log import Log; "
        "log = Log('x'); log.append(b'a'); m.proof_layout(log.inclusion_proof(0)); "
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
