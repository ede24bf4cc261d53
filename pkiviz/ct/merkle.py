"""RFC 6962 Merkle trees: hashes, audit paths, consistency proofs and their verification.

The tree is over *leaf hashes* (``leaf_hash(entry)``), so a caller that keeps
them never hashes an entry twice. Hashing is domain-separated (RFC 6962 2.1):

* leaf: ``SHA-256(0x00 || entry)``
* node: ``SHA-256(0x01 || left || right)``
* the empty tree: ``SHA-256()`` (of the empty string)

The tree of ``n`` leaves splits at ``k``, the largest power of two smaller than
``n``; the left part is a perfect tree of ``k`` leaves. Proof generation
follows the recursive definitions of RFC 6962 (PATH, PROOF/SUBPROOF);
verification follows the iterative algorithms RFC 9162 added (RFC 6962 only
says what a proof contains, not how to check one).

Verification never raises on a bad proof: it returns a :class:`ProofCheck`
that is falsy and says why. Impossible arguments (an index outside the tree,
an old size larger than the new one) raise ``ValueError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from pkiviz import _html

HASH_SIZE = 32
#: The Merkle Tree Hash of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one leaf: ``SHA-256(0x00 || entry)`` (RFC 6962 2.1).

    Args:
        entry: the leaf's bytes (for CT, a ``MerkleTreeLeaf`` structure).

    Returns:
        32 bytes.
    """
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: ``SHA-256(0x01 || left || right)`` (RFC 6962 2.1).

    Args:
        left: the left child's hash.
        right: the right child's hash.

    Returns:
        32 bytes.
    """
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (RFC 6962 2.1), for ``n >= 2``.

    Args:
        n: a tree size, at least 2.

    Returns:
        ``k`` with ``k < n <= 2k``.

    Raises:
        ValueError: if ``n < 2``.
    """
    if n < 2:
        raise ValueError(f"a tree of {n} leaves does not split")
    return 1 << ((n - 1).bit_length() - 1)


class Hasher:
    """The recursive definitions of RFC 6962 over ``leaves[lo:hi]``, without copying.

    Hashes of perfect subtrees are cached by ``(lo, hi)``: a leaf range never
    changes once it exists, so a log may keep one hasher while it grows.
    """

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = leaves
        self._perfect: dict[tuple[int, int], bytes] = {}

    def mth(self, lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return self.leaves[lo]
        perfect = n & (n - 1) == 0
        if perfect and (lo, hi) in self._perfect:
            return self._perfect[(lo, hi)]
        k = split_point(n)
        value = node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))
        if perfect:
            self._perfect[(lo, hi)] = value
        return value

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]), ``m`` relative to ``lo``."""
        n = hi - lo
        if n <= 1:
            return []
        k = split_point(n)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def subproof(self, m: int, lo: int, hi: int, complete: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b) of RFC 6962 2.1.2."""
        n = hi - lo
        if m == n:
            return [] if complete else [self.mth(lo, hi)]
        k = split_point(n)
        if m <= k:
            return [*self.subproof(m, lo, lo + k, complete), self.mth(lo + k, hi)]
        return [*self.subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]


def _check_hashes(leaf_hashes: Sequence[bytes]) -> None:
    for h in leaf_hashes:
        if len(h) != HASH_SIZE:
            raise ValueError(f"a leaf hash is {HASH_SIZE} bytes, not {len(h)}")


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash MTH(D[n]) of the leaves (RFC 6962 2.1).

    Args:
        leaf_hashes: ``leaf_hash(entry)`` of each entry, in order.

    Returns:
        32 bytes; :data:`EMPTY_ROOT` for no leaves.

    Raises:
        ValueError: if a leaf hash is not 32 bytes.
    """
    _check_hashes(leaf_hashes)
    return Hasher(leaf_hashes).mth(0, len(leaf_hashes))


def path_from(hasher: Hasher, index: int, tree_size: int) -> tuple[bytes, ...]:
    """:func:`inclusion_path` over a :class:`Hasher` a log keeps (its hashes cached)."""
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is outside a tree of {tree_size} leaves")
    return tuple(hasher.path(index, 0, tree_size))


def proof_from(hasher: Hasher, first: int, second: int) -> tuple[bytes, ...]:
    """:func:`consistency_proof` over a :class:`Hasher` a log keeps (its hashes cached)."""
    if not 1 <= first <= second:
        raise ValueError(
            f"no consistency proof from size {first} to size {second}: need 1 <= m <= n"
        )
    return tuple(hasher.subproof(first, 0, second, True))


def inclusion_path(index: int, leaf_hashes: Sequence[bytes]) -> tuple[bytes, ...]:
    """The audit path PATH(m, D[n]) of leaf ``index`` (RFC 6962 2.1.1), leaf upwards.

    Args:
        index: the leaf's position ``m``, ``0 <= m < n``.
        leaf_hashes: the ``n`` leaf hashes of the tree.

    Returns:
        The sibling hashes from the leaf's level to the root's children.

    Raises:
        ValueError: if ``index`` is outside the tree or a leaf hash is not 32 bytes.
    """
    _check_hashes(leaf_hashes)
    return path_from(Hasher(leaf_hashes), index, len(leaf_hashes))


def consistency_proof(first: int, leaf_hashes: Sequence[bytes]) -> tuple[bytes, ...]:
    """The consistency proof PROOF(m, D[n]) from the first ``m`` leaves (RFC 6962 2.1.2).

    RFC 6962 defines the proof for ``0 < m < n``; ``m == n`` gives the empty
    proof, as in RFC 9162 2.1.4.1. ``m == 0`` has no proof (every tree extends
    the empty one) and is refused.

    Args:
        first: the old tree size ``m``, ``1 <= m <= n``.
        leaf_hashes: the ``n`` leaf hashes of the new tree.

    Returns:
        The proof's hashes, in RFC 6962 order.

    Raises:
        ValueError: if ``m`` is not in ``1..n`` or a leaf hash is not 32 bytes.
    """
    _check_hashes(leaf_hashes)
    return proof_from(Hasher(leaf_hashes), first, len(leaf_hashes))


@dataclass(frozen=True)
class ProofCheck:
    """The verdict on a proof: truthy when it holds, with the reason either way.

    Attributes:
        ok: whether the proof verified.
        reason: one plain-English sentence.
        section: the RFC section of the algorithm used.
    """

    ok: bool
    reason: str
    section: str

    def __bool__(self) -> bool:
        return self.ok

    def _repr_html_(self) -> str:
        verdict = "verified" if self.ok else "rejected"
        return _html.table([(verdict, self.reason, self.section)], header=("proof", "why", "RFC"))


def _bad_hash(hashes: Sequence[bytes]) -> str | None:
    for i, h in enumerate(hashes):
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            return f"element {i} of the proof is not a {HASH_SIZE}-byte hash"
    return None


_INCLUSION = "RFC 9162 2.1.3.2"
_CONSISTENCY = "RFC 9162 2.1.4.2"


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, path: Sequence[bytes], root: bytes
) -> ProofCheck:
    """Check that leaf hash ``leaf`` sits at ``index`` in the tree of ``tree_size`` with ``root``.

    The algorithm of RFC 9162 2.1.3.2 (RFC 6962 has no verification
    algorithm; RFC 9162 keeps its hashes and path). It rebuilds the root from
    the leaf and the path, and also checks the path has exactly the right
    length, so a truncated or extended path fails.

    Args:
        leaf: the leaf's hash, ``leaf_hash(entry)``.
        index: the leaf's claimed position.
        tree_size: the size of the tree ``root`` belongs to.
        path: the audit path, leaf upwards.
        root: the tree's root hash, from a signed tree head.

    Returns:
        A :class:`ProofCheck`; never raises for a bad proof.

    Raises:
        ValueError: if ``index`` is outside ``0..tree_size-1``.
    """
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is outside a tree of {tree_size} leaves")
    bad = _bad_hash([leaf, *path])
    if bad is not None:
        return ProofCheck(False, bad.replace("element 0 of the proof", "the leaf hash"), _INCLUSION)
    fn, sn = index, tree_size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return ProofCheck(False, "the path is longer than the tree is tall", _INCLUSION)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return ProofCheck(False, "the path is too short to reach the root", _INCLUSION)
    if r != root:
        return ProofCheck(False, "the path does not lead to the root hash", _INCLUSION)
    return ProofCheck(True, f"leaf {index} is in the tree of {tree_size} leaves", _INCLUSION)


def verify_consistency(
    first: int,
    second: int,
    first_root: bytes,
    second_root: bytes,
    proof: Sequence[bytes],
) -> ProofCheck:
    """Check that the tree of ``second`` leaves extends the tree of ``first`` leaves.

    The algorithm of RFC 9162 2.1.4.2: one pass over the proof rebuilds both
    roots. RFC 6962 defines the proof but no verifier; RFC 9162 also makes
    the ``first == second`` case explicit (empty proof, equal roots).

    Args:
        first: the old tree size ``m``, at least 1.
        second: the new tree size ``n``, at least ``m``.
        first_root: the old tree's root hash.
        second_root: the new tree's root hash.
        proof: the consistency proof.

    Returns:
        A :class:`ProofCheck`; never raises for a bad proof.

    Raises:
        ValueError: if not ``1 <= first <= second``.
    """
    if not 1 <= first <= second:
        raise ValueError(
            f"no consistency proof from size {first} to size {second}: need 1 <= m <= n"
        )
    bad = _bad_hash(proof)
    if bad is not None:
        return ProofCheck(False, bad, _CONSISTENCY)
    if first == second:
        if proof:
            return ProofCheck(False, "equal sizes need an empty proof", _CONSISTENCY)
        if first_root != second_root:
            return ProofCheck(False, "equal sizes but different root hashes", _CONSISTENCY)
        return ProofCheck(True, f"both trees have {first} leaves and one root", _CONSISTENCY)
    if not proof:
        return ProofCheck(False, "the proof is empty", _CONSISTENCY)
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return ProofCheck(False, "the proof is longer than the tree is tall", _CONSISTENCY)
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return ProofCheck(False, "the proof is too short to reach the new root", _CONSISTENCY)
    if fr != first_root:
        return ProofCheck(False, "the proof does not rebuild the old root hash", _CONSISTENCY)
    if sr != second_root:
        return ProofCheck(False, "the proof does not rebuild the new root hash", _CONSISTENCY)
    return ProofCheck(
        True, f"the tree of {second} leaves extends the tree of {first}", _CONSISTENCY
    )
