"""An append-only RFC 6962 log in memory: entries in, signed tree heads and proofs out.

A :class:`Log` keeps the leaf hashes of its entries and signs tree heads
with an ECDSA P-256 key derived from a label (:func:`pkiviz.keys.derive_key`),
so the same label gives the same key, public key and signatures on every
run: ECDSA here is deterministic (RFC 6979), as everywhere in pkiviz.

The signed bytes are the RFC 6962 3.5 ``TreeHeadSignature``::

    version (1 byte, v1 = 0) || signature_type (1 byte, tree_hash = 1)
    || timestamp (8 bytes, ms since the epoch) || tree_size (8 bytes)
    || sha256_root_hash (32 bytes)

and the signature travels as a ``digitally-signed`` struct (RFC 5246
4.7): hash algorithm sha256 (4), signature algorithm ecdsa (3), a 2-byte
length, the DER signature. RFC 9162 replaces this structure with
``TreeHeadDataV2`` inside a ``SignedTreeHeadDataV2`` carrying a log ID;
this module implements the RFC 6962 (v1) form only.

Time is injected: :meth:`Log.sign_tree_head` takes ``at=``.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from pkiviz import _html
from pkiviz.ct import merkle
from pkiviz.keys import derive_key

#: ``Version v1`` and ``SignatureType tree_hash`` of RFC 6962 3.5 / 3.2.
VERSION_V1 = 0
SIGNATURE_TYPE_TREE_HASH = 1
#: TLS ``HashAlgorithm.sha256`` and ``SignatureAlgorithm.ecdsa`` (RFC 5246 7.4.1.4.1).
HASH_SHA256 = 4
SIGNATURE_ECDSA = 3

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
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
        signature: the DER ECDSA signature over :attr:`signed_data`.
    """

    tree_size: int
    timestamp: int
    root_hash: bytes
    signature: bytes

    @property
    def signed_data(self) -> bytes:
        """The ``TreeHeadSignature`` bytes the signature covers."""
        return tree_head_signature_input(self.timestamp, self.tree_size, self.root_hash)

    @property
    def digitally_signed(self) -> bytes:
        """The signature as a TLS ``digitally-signed`` struct (sha256, ecdsa, length, DER)."""
        return struct.pack(">BBH", HASH_SHA256, SIGNATURE_ECDSA, len(self.signature)) + (
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


def verify_tree_head(sth: SignedTreeHead, public_key: ec.EllipticCurvePublicKey) -> bool:
    """Whether the tree head's signature verifies with ``public_key``; never raises.

    Args:
        sth: the signed tree head.
        public_key: the log's P-256 public key.

    Returns:
        ``True`` if the ECDSA-SHA256 signature over the ``TreeHeadSignature`` holds.
    """
    try:
        data = sth.signed_data
        public_key.verify(sth.signature, data, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


class Log:
    """An append-only Merkle tree log in memory, signing with a key derived from ``seed``.

    Example::

        log = Log("pkiviz demo log")
        log.append(b"hello")
        sth = log.sign_tree_head(at=datetime(2026, 1, 1, tzinfo=timezone.utc))
    """

    def __init__(self, seed: str = "pkiviz ct log") -> None:
        """Start an empty log.

        Args:
            seed: the label the signing key is derived from (anyone knowing it
                knows the key: this is a teaching log).
        """
        key = derive_key("ec-p256", seed)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        self._key = key
        self._leaves: list[bytes] = []
        self._hasher = merkle._Hasher(self._leaves)

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The log's P-256 public key."""
        return self._key.public_key()

    @property
    def size(self) -> int:
        """How many entries the log holds."""
        return len(self._leaves)

    def __len__(self) -> int:
        return len(self._leaves)

    def append(self, entry: bytes) -> int:
        """Add ``entry`` as the next leaf and return its index.

        Args:
            entry: the leaf's bytes.

        Returns:
            The entry's index.

        Raises:
            TypeError: if ``entry`` is not bytes.
        """
        if not isinstance(entry, bytes):
            raise TypeError(f"a log entry is bytes, not {type(entry).__name__}")
        self._leaves.append(merkle.leaf_hash(entry))
        return len(self._leaves) - 1

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
        path = merkle._path(self._hasher, index, size)
        return InclusionProof(index, size, self._leaves[index], path)

    def consistency_proof(self, first: int, second: int | None = None) -> ConsistencyProof:
        """The proof that the tree of ``second`` entries (default: all) extends ``first``.

        Raises:
            ValueError: unless ``1 <= first <= second <= size``.
        """
        size = self._size(second)
        return ConsistencyProof(first, size, merkle._proof(self._hasher, first, size))

    def sign_tree_head(self, *, at: dt.datetime, tree_size: int | None = None) -> SignedTreeHead:
        """Sign the head of the tree of ``tree_size`` entries (default: all) at time ``at``.

        Args:
            at: the timestamp to sign (timezone-aware).
            tree_size: how many entries the head covers.

        Returns:
            The :class:`SignedTreeHead`; the same inputs give the same bytes
            (RFC 6979 deterministic ECDSA).

        Raises:
            ValueError: for a naive ``at`` or a size beyond the log.
        """
        size = self._size(tree_size)
        root = self.root_hash(size)
        ms = timestamp_ms(at)
        data = tree_head_signature_input(ms, size, root)
        signature = self._key.sign(data, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
        return SignedTreeHead(size, ms, root, signature)
