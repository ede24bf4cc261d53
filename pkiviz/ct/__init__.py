"""Certificate Transparency (RFC 6962): a log, SCTs, their verification and the browsers' rules.

* :mod:`~pkiviz.ct.merkle` - leaf and node hashes, the Merkle Tree Hash, inclusion
  (audit) paths and consistency proofs, and their verification (RFC 6962 2.1,
  verified with the algorithms of RFC 9162 2.1.3.2 and 2.1.4.2).
* :mod:`~pkiviz.ct.log` - a :class:`Log` that accepts certificates and
  precertificates (``add-chain``, ``add-pre-chain``), returns SCTs, and signs
  tree heads (the RFC 6962 3.5 ``TreeHeadSignature``) with a P-256 or RSA key
  derived from a label; its log ID is SHA-256 of its SubjectPublicKeyInfo.
* :mod:`~pkiviz.ct.entries` - the ``x509_entry`` and ``precert_entry`` a log
  records, rebuilt from certificates (poison and SCT list removed by hand).
* :mod:`~pkiviz.ct.sct` - SCTs and SCT lists as TLS bytes, the embedded-SCT
  extension, the signed structure and Merkle tree leaf with named byte ranges.
* :mod:`~pkiviz.ct.issue` - a CA issuing through logs: precertificate, SCTs,
  final certificate (:func:`login_through_logs` for ``login.example.com``).
* :mod:`~pkiviz.ct.verify` - each SCT verified by hand: a frozen :class:`SCTCheck`
  with the reason.
* :mod:`~pkiviz.ct.known_logs` - a client's log list (Chrome's v3
  ``log_list.json``), the demo logs and the bundled list.
* :mod:`~pkiviz.ct.policy` - Chrome's and Apple's CT policies as pure functions.
* :mod:`~pkiviz.ct.server` / :mod:`~pkiviz.ct.client` - the RFC 6962 HTTP API on
  127.0.0.1 and a client that fetches and checks proofs: the only two modules here
  that touch the network. Their names (``LogServer``, ``ticking``, ``LogClient``,
  ``LoggedEntry``, ``CTLogError``) are loaded on first use, so that the validator,
  which reads SCTs and log lists, imports no socket module.

No wall clock anywhere in the core: time is passed in as ``at=`` (the server takes a clock).

Layer 2 (see :mod:`pkiviz`): imports only base, x509 and ct itself.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from pkiviz.ct.entries import LogEntry, entry_for_certificate, entry_for_precertificate
from pkiviz.ct.issue import CTIssuance, issue_through_logs, login_through_logs
from pkiviz.ct.known_logs import KnownLog, KnownLogs, bundled_logs, demo_logs
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
from pkiviz.ct.policy import PolicyVerdict, apple_policy, chrome_policy
from pkiviz.ct.sct import SCT, embedded_scts, parse_sct_list
from pkiviz.ct.verify import SCTCheck, verify_delivered_scts, verify_embedded_scts, verify_sct

if TYPE_CHECKING:
    from pkiviz.ct.client import CTLogError, LogClient, LoggedEntry
    from pkiviz.ct.server import LogServer, ticking

#: The network side's names, imported when first asked for.
_NETWORK = {
    "CTLogError": "pkiviz.ct.client",
    "LogClient": "pkiviz.ct.client",
    "LoggedEntry": "pkiviz.ct.client",
    "LogServer": "pkiviz.ct.server",
    "ticking": "pkiviz.ct.server",
}


def __getattr__(name: str) -> object:
    module = _NETWORK.get(name)
    if module is None:
        raise AttributeError(f"module 'pkiviz.ct' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "EMPTY_ROOT",
    "SCT",
    "CTIssuance",
    "CTLogError",
    "ConsistencyProof",
    "InclusionProof",
    "KnownLog",
    "KnownLogs",
    "Log",
    "LogClient",
    "LogEntry",
    "LogServer",
    "LoggedEntry",
    "PolicyVerdict",
    "ProofCheck",
    "SCTCheck",
    "SignedTreeHead",
    "apple_policy",
    "bundled_logs",
    "chrome_policy",
    "consistency_proof",
    "demo_logs",
    "embedded_scts",
    "entry_for_certificate",
    "entry_for_precertificate",
    "inclusion_path",
    "issue_through_logs",
    "leaf_hash",
    "login_through_logs",
    "node_hash",
    "parse_sct_list",
    "root_hash",
    "ticking",
    "verify_consistency",
    "verify_delivered_scts",
    "verify_embedded_scts",
    "verify_inclusion",
    "verify_sct",
    "verify_tree_head",
]
