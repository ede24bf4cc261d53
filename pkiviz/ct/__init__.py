"""Certificate Transparency: an in-process RFC 6962 Merkle tree log, pure and deterministic.

* :mod:`~pkiviz.ct.merkle` - leaf and node hashes, the Merkle Tree Hash, inclusion
  (audit) paths and consistency proofs, and their verification (RFC 6962 2.1,
  verified with the algorithms of RFC 9162 2.1.3.2 and 2.1.4.2).
* :mod:`~pkiviz.ct.log` - a :class:`Log` that appends entries and signs tree heads
  (the RFC 6962 3.5 ``TreeHeadSignature``) with a P-256 key derived from a label.

No sockets, no files, no wall clock: time is passed in as ``at=``.
"""

from __future__ import annotations

from pkiviz.ct.log import ConsistencyProof, InclusionProof, Log, SignedTreeHead, verify_tree_head
from pkiviz.ct.merkle import (
    EMPTY_ROOT,
    ProofCheck,
    consistency_proof,
    inclusion_path,
    leaf_hash,
    node_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "ConsistencyProof",
    "InclusionProof",
    "Log",
    "ProofCheck",
    "SignedTreeHead",
    "consistency_proof",
    "inclusion_path",
    "leaf_hash",
    "node_hash",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
    "verify_tree_head",
]
