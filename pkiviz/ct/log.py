"""An append-only RFC 6962 log in memory: entries in, signed tree heads and proofs out.

A :class:`Log` keeps its entries and their leaf hashes, issues SCTs for
submitted certificates and precertificates (RFC 6962 3.1-3.3, 4.1, 4.2) and
signs tree heads, with an ECDSA P-256 key (or, with ``key="rsa-2048"``, RSA)
derived from a label (:func:`pkiviz.x509.keys.derive_key`), so the same label gives
the same key, log ID and signatures on every run: ECDSA here is deterministic
(RFC 6979), as everywhere in pkiviz. Its log ID is the SHA-256 of its DER
SubjectPublicKeyInfo (RFC 6962 3.2).

For the lab, :meth:`Log.submit` takes ``include=False``: the log signs an SCT
but never appends the entry, so no inclusion proof for it will ever exist.

The signed bytes are the RFC 6962 3.5 ``TreeHeadSignature``::

    version (1 byte, v1 = 0) || signature_type (1 byte, tree_hash = 1)
    || timestamp (8 bytes, ms since the epoch) || tree_size (8 bytes)
    || sha256_root_hash (32 bytes)

and the signature travels as a ``digitally-signed`` struct (RFC 5246
4.7): hash algorithm sha256 (4), signature algorithm ecdsa (3), a 2-byte
length, the DER signature. RFC 9162 replaces this structure with
``TreeHeadDataV2`` inside a ``SignedTreeHeadDataV2`` carrying a log ID;
this module implements the RFC 6962 (v1) form only.

Time is injected: :meth:`Log.submit` and :meth:`Log.sign_tree_head` take ``at=``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from pkiviz import _html
from pkiviz.ct import _signing, merkle
from pkiviz.ct.entries import LogEntry, entry_for_certificate, entry_for_precertificate
from pkiviz.ct.entries import is_precertificate as _is_precertificate
from pkiviz.ct.sct import SCT, merkle_tree_leaf, signature_input
from pkiviz.errors import InputError
from pkiviz.x509.keys import derive_key

#: ``Version v1`` and ``SignatureType tree_hash`` of RFC 6962 3.5 / 3.2.
VERSION_V1 = 0
SIGNATURE_TYPE_TREE_HASH = 1
#: TLS ``HashAlgorithm.sha256`` and ``SignatureAlgorithm.ecdsa`` (RFC 5246 7.4.1.4.1).
HASH_SHA256 = 4
SIGNATURE_ECDSA = 3

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MAX_UINT64 = 2**64 - 1


def timestamp_ms(at: dt.datetime) -> int:
    """Milliseconds since the Unix epoch, as RFC 6962 timestamps count.

    Args:
        at: a timezone-aware time.

    Returns:
        Whole milliseconds (rounded down).

    Raises:
        ValueError: for a naive datetime or a time before the epoch.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at= must be timezone-aware")
    ms = (at - _EPOCH) // dt.timedelta(milliseconds=1)
    if ms < 0:
        raise ValueError("a CT timestamp cannot be before 1970")
    return ms


def tree_head_signature_input(timestamp: int, tree_size: int, root_hash: bytes) -> bytes:
    """The RFC 6962 3.5 ``TreeHeadSignature`` bytes that a log signs (50 bytes).

    Args:
        timestamp: milliseconds since the epoch.
        tree_size: the number of entries.
        root_hash: the 32-byte Merkle Tree Hash.

    Returns:
        ``version || signature_type || timestamp || tree_size || root_hash``.

    Raises:
        ValueError: if a number does not fit in 64 bits or the hash is not 32 bytes.
    """
    if not 0 <= timestamp <= _MAX_UINT64 or not 0 <= tree_size <= _MAX_UINT64:
        raise ValueError("timestamp and tree_size are unsigned 64-bit numbers")
    if len(root_hash) != merkle.HASH_SIZE:
        raise ValueError(f"the root hash is {merkle.HASH_SIZE} bytes, not {len(root_hash)}")
    return (
        struct.pack(">BBQQ", VERSION_V1, SIGNATURE_TYPE_TREE_HASH, timestamp, tree_size) + root_hash
    )


@dataclass(frozen=True)
class SignedTreeHead:
    """A signed tree head (RFC 6962 3.5 / 4.3).

    Attributes:
        tree_size: the number of entries the head covers.
        timestamp: milliseconds since the epoch.
        root_hash: the Merkle Tree Hash of those entries.
        signature: the signature over :attr:`signed_data` (DER ECDSA or PKCS#1 v1.5).
        signature_algorithm: TLS signature code, 3 (ecdsa) or 1 (rsa).
    """

    tree_size: int
    timestamp: int
    root_hash: bytes
    signature: bytes
    signature_algorithm: int = SIGNATURE_ECDSA

    @property
    def signed_data(self) -> bytes:
        """The ``TreeHeadSignature`` bytes the signature covers."""
        return tree_head_signature_input(self.timestamp, self.tree_size, self.root_hash)

    @property
    def digitally_signed(self) -> bytes:
        """The signature as a TLS ``digitally-signed`` struct (sha256, algorithm, length, bytes)."""
        return struct.pack(">BBH", HASH_SHA256, self.signature_algorithm, len(self.signature)) + (
            self.signature
        )

    def _repr_html_(self) -> str:
        rows = [
            ("tree_size", str(self.tree_size)),
            ("timestamp", str(self.timestamp)),
            ("root_hash", self.root_hash.hex()),
            ("signature", self.signature.hex()),
        ]
        return _html.table(rows, header=("field", "value"), caption="Signed tree head")


@dataclass(frozen=True)
class InclusionProof:
    """An audit path for one entry in a tree of a given size (RFC 6962 2.1.1).

    Attributes:
        index: the entry's position.
        tree_size: the size of the tree the path leads through.
        leaf_hash: ``SHA-256(0x00 || entry)``.
        path: the sibling hashes, leaf upwards.
    """

    index: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]

    def verify(self, root_hash: bytes) -> merkle.ProofCheck:
        """Check the path against ``root_hash`` (a tree head's root); never raises."""
        return merkle.verify_inclusion(
            self.leaf_hash, self.index, self.tree_size, self.path, root_hash
        )


@dataclass(frozen=True)
class ConsistencyProof:
    """A proof that the tree of ``second`` entries extends that of ``first`` (RFC 6962 2.1.2).

    Attributes:
        first: the old tree size.
        second: the new tree size.
        proof: the proof's hashes.
    """

    first: int
    second: int
    proof: tuple[bytes, ...]

    def verify(self, first_root: bytes, second_root: bytes) -> merkle.ProofCheck:
        """Check the proof against the two roots; never raises."""
        return merkle.verify_consistency(
            self.first, self.second, first_root, second_root, self.proof
        )


def verify_tree_head(sth: SignedTreeHead, public_key: _signing.LogPublicKey) -> bool:
    """Whether the tree head's signature verifies with ``public_key``; never raises.

    Args:
        sth: the signed tree head.
        public_key: the log's P-256 (or RSA) public key.

    Returns:
        ``True`` if the SHA-256 signature over the ``TreeHeadSignature`` holds.
    """
    try:
        data = sth.signed_data
    except ValueError:
        return False
    problem = _signing.check_signature(
        public_key, HASH_SHA256, sth.signature_algorithm, sth.signature, data
    )
    return problem is None


def _cert_list(certs: Sequence[bytes]) -> bytes:
    body = b"".join(len(c).to_bytes(3, "big") + c for c in certs)
    return len(body).to_bytes(3, "big") + body


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _check_chain(chain: Sequence[x509.Certificate], kind: str) -> None:
    if len(chain) < 2:
        raise InputError(f"{kind}: the chain needs the certificate and at least its issuer")
    for child, parent in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm) as exc:
            raise InputError(
                f"{kind}: {child.subject.rfc4514_string()} is not validly issued by "
                f"{parent.subject.rfc4514_string()} ({type(exc).__name__})"
            ) from None


class Log:
    """An append-only Merkle tree log in memory, signing with a key derived from ``seed``.

    Example::

        log = Log("pkiviz demo log")
        log.append(b"hello")
        sth = log.sign_tree_head(at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    """

    def __init__(
        self,
        seed: str = "pkiviz ct log",
        *,
        key: str = "ec-p256",
        name: str | None = None,
        operator: str = "pkiviz",
    ) -> None:
        """Start an empty log.

        Args:
            seed: the label the signing key is derived from (anyone knowing it
                knows the key: this is a teaching log).
            key: ``"ec-p256"`` (the default) or an RSA size such as
                ``"rsa-2048"``: the two kinds RFC 6962 2.1.4 allows.
            name: a description, as in a log list (default: ``seed``).
            operator: who runs the log (the browsers' policies count operators).

        Raises:
            ValueError: for another key type.
        """
        if key != "ec-p256" and not key.startswith("rsa-"):
            raise ValueError(f"a CT log signs with ec-p256 or RSA, not {key!r} (RFC 6962 2.1.4)")
        private = derive_key(key, seed)
        assert isinstance(private, _signing.LogPrivateKey)
        self._key: _signing.LogPrivateKey = private
        self.name = seed if name is None else name
        self.operator = operator
        self._leaves: list[bytes] = []
        self._entries: list[tuple[bytes, bytes]] = []
        self._index: dict[bytes, int] = {}
        self._hasher = merkle.Hasher(self._leaves)

    def __repr__(self) -> str:
        return f"Log({self.name!r}, operator={self.operator!r}, size={len(self._leaves)})"

    @property
    def public_key(self) -> _signing.LogPublicKey:
        """The log's public key (P-256, or RSA)."""
        return self._key.public_key()

    @property
    def spki_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo of the log's key (as a log list publishes it)."""
        return self.public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def log_id(self) -> bytes:
        """SHA-256 of the DER SubjectPublicKeyInfo (RFC 6962 3.2 ``LogID``)."""
        return hashlib.sha256(self.spki_der).digest()

    @property
    def signature_algorithm(self) -> int:
        """TLS signature code of the log's key: 3 (ecdsa) or 1 (rsa)."""
        return _signing.signature_code(self._key)

    @property
    def size(self) -> int:
        """How many entries the log holds."""
        return len(self._leaves)

    def __len__(self) -> int:
        return len(self._leaves)

    def append(self, entry: bytes, extra_data: bytes = b"") -> int:
        """Add ``entry`` as the next leaf and return its index.

        Args:
            entry: the leaf's bytes (for CT, a ``MerkleTreeLeaf``).
            extra_data: what ``get-entries`` returns beside it (the chain).

        Returns:
            The entry's index.

        Raises:
            TypeError: if ``entry`` is not bytes.
        """
        if not isinstance(entry, bytes):
            raise TypeError(f"a log entry is bytes, not {type(entry).__name__}")
        leaf = merkle.leaf_hash(entry)
        self._leaves.append(leaf)
        self._entries.append((entry, bytes(extra_data)))
        self._index.setdefault(leaf, len(self._leaves) - 1)
        return len(self._leaves) - 1

    def entries(self, start: int, end: int) -> tuple[tuple[bytes, bytes], ...]:
        """``(leaf_input, extra_data)`` of entries ``start..end`` inclusive (RFC 6962 4.6).

        Raises:
            ValueError: unless ``0 <= start <= end``; ``end`` is clipped to the log.
        """
        if not 0 <= start <= end:
            raise ValueError(f"need 0 <= start <= end, not {start}..{end}")
        return tuple(self._entries[start : end + 1])

    def index_of(self, leaf_hash: bytes) -> int | None:
        """The index of the first entry with this leaf hash, or ``None``."""
        return self._index.get(leaf_hash)

    def submit(
        self,
        entry: LogEntry,
        *,
        at: dt.datetime,
        extra_data: bytes = b"",
        include: bool = True,
    ) -> SCT:
        """Log ``entry`` at time ``at`` and return the SCT (RFC 6962 3.2, 3.4).

        The ``MerkleTreeLeaf`` appended carries the SCT's timestamp.

        Args:
            entry: what to log.
            at: the SCT timestamp (timezone-aware).
            extra_data: the chain, returned by ``get-entries``.
            include: ``False`` signs the SCT but never appends the leaf: a
                misbehaving log, whose inclusion proof can never be produced.

        Returns:
            The SCT, delivered as ``"embedded"`` by default (replace
            ``source`` for TLS delivery).
        """
        ms = timestamp_ms(at)
        data = signature_input(entry, ms)
        signature = _signing.sign(self._key, data)
        if include:
            self.append(merkle_tree_leaf(entry, ms), extra_data)
        return SCT(
            VERSION_V1, self.log_id, ms, b"", HASH_SHA256, self.signature_algorithm, signature
        )

    def add_chain(
        self, chain: Sequence[x509.Certificate], *, at: dt.datetime, include: bool = True
    ) -> SCT:
        """``add-chain`` (RFC 6962 4.1): log a final certificate as an ``x509_entry``.

        Args:
            chain: the certificate, then its issuer (and further CAs).
            at: the SCT timestamp.
            include: see :meth:`submit`.

        Raises:
            InputError: a precertificate, a chain shorter than 2, or a broken signature.
        """
        _check_chain(chain, "add-chain")
        if _is_precertificate(chain[0]):
            raise InputError("add-chain: this is a precertificate; use add-pre-chain")
        extra = _cert_list([_der(c) for c in chain[1:]])
        return self.submit(
            entry_for_certificate(chain[0]), at=at, extra_data=extra, include=include
        )

    def add_pre_chain(
        self, chain: Sequence[x509.Certificate], *, at: dt.datetime, include: bool = True
    ) -> SCT:
        """``add-pre-chain`` (RFC 6962 4.2): log a precertificate as a ``precert_entry``.

        Args:
            chain: the precertificate, then its issuer (and further CAs).
            at: the SCT timestamp.
            include: see :meth:`submit`.

        Raises:
            InputError: no poison extension, a chain shorter than 2, or a broken signature.
        """
        _check_chain(chain, "add-pre-chain")
        entry = entry_for_precertificate(chain[0], chain[1])
        pre = _der(chain[0])
        extra = len(pre).to_bytes(3, "big") + pre + _cert_list([_der(c) for c in chain[1:]])
        return self.submit(entry, at=at, extra_data=extra, include=include)

    def leaf_hash(self, index: int) -> bytes:
        """The leaf hash of entry ``index``.

        Raises:
            ValueError: if ``index`` is outside the log.
        """
        if not 0 <= index < len(self._leaves):
            raise ValueError(f"leaf index {index} is outside a log of {len(self._leaves)}")
        return self._leaves[index]

    def _size(self, tree_size: int | None) -> int:
        if tree_size is None:
            return len(self._leaves)
        if not 0 <= tree_size <= len(self._leaves):
            raise ValueError(f"tree size {tree_size} is outside 0..{len(self._leaves)}")
        return tree_size

    def root_hash(self, tree_size: int | None = None) -> bytes:
        """MTH of the first ``tree_size`` entries (default: all).

        Raises:
            ValueError: if ``tree_size`` exceeds the log.
        """
        return self._hasher.mth(0, self._size(tree_size))

    def inclusion_proof(self, index: int, tree_size: int | None = None) -> InclusionProof:
        """The audit path of entry ``index`` in the tree of ``tree_size`` (default: all).

        Raises:
            ValueError: if the size exceeds the log or ``index`` is outside the tree.
        """
        size = self._size(tree_size)
        path = merkle.path_from(self._hasher, index, size)
        return InclusionProof(index, size, self._leaves[index], path)

    def consistency_proof(self, first: int, second: int | None = None) -> ConsistencyProof:
        """The proof that the tree of ``second`` entries (default: all) extends ``first``.

        Raises:
            ValueError: unless ``1 <= first <= second <= size``.
        """
        size = self._size(second)
        return ConsistencyProof(first, size, merkle.proof_from(self._hasher, first, size))

    def sign_tree_head(self, *, at: dt.datetime, tree_size: int | None = None) -> SignedTreeHead:
        """Sign the head of the tree of ``tree_size`` entries (default: all) at time ``at``.

        Args:
            at: the timestamp to sign (timezone-aware).
            tree_size: how many entries the head covers.

        Returns:
            The :class:`SignedTreeHead`; the same inputs give the same bytes
            (RFC 6979 deterministic ECDSA, or PKCS#1 v1.5).

        Raises:
            ValueError: for a naive ``at`` or a size beyond the log.
        """
        size = self._size(tree_size)
        root = self.root_hash(size)
        ms = timestamp_ms(at)
        data = tree_head_signature_input(ms, size, root)
        signature = _signing.sign(self._key, data)
        return SignedTreeHead(size, ms, root, signature, self.signature_algorithm)
