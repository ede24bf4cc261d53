"""Signed certificate timestamps as bytes: the TLS structures of RFC 6962 3.2 and 3.3.

An SCT is a log's promise to include an entry within its maximum merge delay.
On the wire (RFC 6962 3.2, TLS presentation language of RFC 5246 4)::

    struct {
        Version sct_version;                 -- 1 byte, v1 = 0
        LogID id;                            -- 32 bytes, SHA-256 of the log's SPKI
        uint64 timestamp;                    -- ms since the epoch
        CtExtensions extensions;             -- 2-byte length, then bytes
        digitally-signed struct { ... };     -- hash alg, sig alg, 2-byte length, signature
    } SignedCertificateTimestamp;

The signature covers, for v1, exactly the bytes of :func:`signature_input`::

    sct_version (1) || signature_type = certificate_timestamp (1, value 0)
    || timestamp (8) || entry_type (2) || signed_entry || extensions (2 + n)

where ``signed_entry`` is the certificate (3-byte length + DER) for an
``x509_entry`` or ``issuer_key_hash (32) || TBSCertificate (3-byte length + DER)``
for a ``precert_entry`` (see :mod:`pkiviz.ct.entries`). The log's Merkle tree
leaf (RFC 6962 3.4, :func:`merkle_tree_leaf`) is the same fields with
``leaf_type = timestamped_entry (0)`` in place of the signature type, so its
timestamp must be the SCT's.

Certificates carry a list of SCTs (RFC 6962 3.3) in the X.509 extension
1.3.6.1.4.1.11129.2.4.2, whose extnValue is an OCTET STRING holding the
TLS-encoded ``SignedCertificateTimestampList`` (:func:`sct_list_extension`);
the TLS extension ``signed_certificate_timestamp`` carries the same list bare.

RFC 9162 replaces these with ``TransItem`` structures (``x509_sct_v2``...);
this module implements v1 only and reports other versions as unsupported.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz import _html
from pkiviz.ct.entries import POISON_OID, SCT_LIST_OID, LogEntry
from pkiviz.errors import InputError
from pkiviz.x509.bytemap import ByteMap, Region
from pkiviz.x509.der import children, decode_oid, octet_string, read_single, read_tlv

VERSION_V1 = 0
SIGNATURE_TYPE_CERTIFICATE_TIMESTAMP = 0
LEAF_TYPE_TIMESTAMPED_ENTRY = 0

#: TLS 1.2's HashAlgorithm and SignatureAlgorithm registries (RFC 5246 7.4.1.4.1), which CT's
#: digitally-signed structs use: code points, not the names of pkiviz.vocabulary.HASHES.
HASH_NAMES = {0: "none", 1: "md5", 2: "sha1", 3: "sha224", 4: "sha256", 5: "sha384", 6: "sha512"}
SIGNATURE_NAMES = {0: "anonymous", 1: "rsa", 2: "dsa", 3: "ecdsa"}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: The last millisecond a datetime can hold (9999-12-31T23:59:59.999Z).
_MAX_MS = 253_402_300_799_999


def ms_to_datetime(ms: int) -> dt.datetime:
    """An RFC 6962 timestamp (ms since the epoch) as an aware UTC datetime."""
    return _EPOCH + dt.timedelta(milliseconds=ms)


@dataclass(frozen=True)
class SCT:
    """One signed certificate timestamp, as a log issued it.

    Attributes:
        version: ``sct_version``; 0 is v1, the only one RFC 6962 defines.
        log_id: SHA-256 of the log's DER SubjectPublicKeyInfo (32 bytes).
        timestamp: milliseconds since the epoch.
        extensions: the ``CtExtensions`` bytes (empty in practice).
        hash_algorithm: TLS hash code (4 = sha256).
        signature_algorithm: TLS signature code (3 = ecdsa, 1 = rsa).
        signature: the signature bytes (DER ECDSA or PKCS#1 v1.5).
        source: how it was delivered: ``"embedded"``, ``"tls"`` or ``"ocsp"``.
    """

    version: int
    log_id: bytes
    timestamp: int
    extensions: bytes
    hash_algorithm: int
    signature_algorithm: int
    signature: bytes
    source: str = "embedded"

    @property
    def time(self) -> dt.datetime:
        """The timestamp as an aware UTC datetime."""
        return ms_to_datetime(self.timestamp)

    @property
    def algorithm(self) -> str:
        """The signature algorithm, e.g. ``"ecdsa-sha256"`` or ``"rsa-sha256"``."""
        sig = SIGNATURE_NAMES.get(self.signature_algorithm, f"sig{self.signature_algorithm}")
        digest = HASH_NAMES.get(self.hash_algorithm, f"hash{self.hash_algorithm}")
        return f"{sig}-{digest}"

    @property
    def digitally_signed(self) -> bytes:
        """The TLS ``digitally-signed`` struct: hash, signature algorithm, length, signature."""
        return (
            struct.pack(">BBH", self.hash_algorithm, self.signature_algorithm, len(self.signature))
            + self.signature
        )

    def to_bytes(self) -> bytes:
        """The TLS encoding of ``SignedCertificateTimestamp`` (RFC 6962 3.2)."""
        return (
            struct.pack(">B", self.version)
            + self.log_id
            + struct.pack(">QH", self.timestamp, len(self.extensions))
            + self.extensions
            + self.digitally_signed
        )

    def _repr_html_(self) -> str:
        rows = [
            ("version", f"v{self.version + 1} ({self.version})"),
            ("log id", self.log_id.hex()),
            ("timestamp", f"{self.timestamp} ({self.time.isoformat()})"),
            ("extensions", self.extensions.hex() or "(none)"),
            ("signature algorithm", self.algorithm),
            ("signature", self.signature.hex()),
            ("delivered", self.source),
        ]
        return _html.table(rows, header=("field", "value"), caption="Signed certificate timestamp")


class _Reader:
    """Reads TLS-encoded fields from bytes, raising InputError at the first short read."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int, field: str) -> bytes:
        if self.pos + n > len(self.data):
            raise InputError(
                f"{self.what}: {field} needs {n} bytes at offset {self.pos}, "
                f"only {len(self.data) - self.pos} left"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int, field: str) -> int:
        return int.from_bytes(self.take(n, field), "big")

    def vector(self, length_bytes: int, field: str) -> bytes:
        return self.take(self.uint(length_bytes, f"length of {field}"), field)

    def done(self) -> None:
        if self.pos != len(self.data):
            raise InputError(f"{self.what}: {len(self.data) - self.pos} bytes left over")


def parse_sct(data: bytes, *, source: str = "embedded") -> SCT:
    """Read one TLS-encoded ``SignedCertificateTimestamp``.

    Args:
        data: the bytes of one SCT (no length prefix).
        source: how it was delivered (recorded on the result).

    Returns:
        The SCT. A version other than v1 is read only up to its version byte
        and log id: its remaining fields are kept as ``extensions`` bytes, empty
        signature, so a verifier can report it as unsupported.

    Raises:
        InputError: if the bytes are too short or too long for an SCT.
    """
    reader = _Reader(data, "SCT")
    version = reader.uint(1, "sct_version")
    if version != VERSION_V1:
        log_id = data[1:33]
        return SCT(version, log_id, 0, data[33:], 0, 0, b"", source)
    log_id = reader.take(32, "log id")
    timestamp = reader.uint(8, "timestamp")
    if timestamp > _MAX_MS:
        raise InputError(f"SCT: timestamp {timestamp} ms is beyond the year 9999")
    extensions = reader.vector(2, "extensions")
    hash_alg = reader.uint(1, "hash algorithm")
    sig_alg = reader.uint(1, "signature algorithm")
    signature = reader.vector(2, "signature")
    reader.done()
    return SCT(version, log_id, timestamp, extensions, hash_alg, sig_alg, signature, source)


def encode_sct_list(scts: Iterable[SCT]) -> bytes:
    """The TLS ``SignedCertificateTimestampList``: 2-byte total, then each SCT with a 2-byte length.

    Raises:
        ValueError: for no SCTs (the list is ``<1..2^16-1>``) or one too long.
    """
    body = b""
    for sct in scts:
        encoded = sct.to_bytes()
        body += struct.pack(">H", len(encoded)) + encoded
    if not body or len(body) > 0xFFFF:
        raise ValueError("an SCT list holds 1 to 65535 bytes of SCTs")
    return struct.pack(">H", len(body)) + body


def parse_sct_list(data: bytes, *, source: str = "embedded") -> tuple[SCT, ...]:
    """Read a TLS-encoded ``SignedCertificateTimestampList`` (RFC 6962 3.3).

    Args:
        data: the list (as in the TLS extension, or inside the X.509 OCTET STRING).
        source: how the SCTs were delivered.

    Returns:
        The SCTs in list order.

    Raises:
        InputError: if the lengths do not add up, or the list is empty (RFC 6962
            3.3: ``SerializedSCT sct_list <1..2^16-1>``, at least one SCT).
    """
    reader = _Reader(data, "SCT list")
    body = reader.vector(2, "SCT list")
    reader.done()
    if not body:
        raise InputError(
            "SCT list: empty; RFC 6962 3.3 requires at least one SCT (sct_list<1..2^16-1>)"
        )
    inner = _Reader(body, "SCT list")
    out: list[SCT] = []
    while inner.pos < len(body):
        out.append(parse_sct(inner.vector(2, f"SCT {len(out) + 1}"), source=source))
    return tuple(out)


def sct_list_extension(scts: Sequence[SCT]) -> x509.UnrecognizedExtension:
    """The embedded-SCT extension, for ``builder.add_extension(ext, critical=False)``.

    cryptography cannot build ``SignedCertificateTimestamp`` objects, so the
    extension is written by hand: extnValue = DER OCTET STRING of the TLS list.
    """
    der = octet_string(encode_sct_list(scts))
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(SCT_LIST_OID), der)


def extension_value(cert: x509.Certificate, oid: str) -> bytes | None:
    """The extnValue contents of extension ``oid``, read from the DER by hand (None if absent).

    Works even when cryptography could not parse the extension.
    """
    der = cert.public_bytes(serialization.Encoding.DER)
    top = read_single(der, what="certificate")
    tbs = children(der, top, what="certificate")[0]
    for field in children(der, tbs, what="certificate"):
        if not field.is_context(3):
            continue
        (seq,) = children(der, field, what="certificate")
        for ext in children(der, seq, what="certificate"):
            parts = children(der, ext, what="certificate")
            if decode_oid(parts[0].content(der)) == oid:
                return parts[-1].content(der)
    return None


def embedded_scts(cert: x509.Certificate) -> tuple[SCT, ...]:
    """The SCTs embedded in a certificate (empty if it has none).

    Raises:
        InputError: if the extension is there but is not an OCTET STRING
            holding a well-formed SCT list.
    """
    value = extension_value(cert, SCT_LIST_OID)
    if value is None:
        return ()
    inner = read_tlv(value, what="SCT list extension")
    if not inner.is_universal(4) or inner.end != len(value):
        raise InputError("SCT list extension: extnValue is not one OCTET STRING")
    return parse_sct_list(inner.content(value))


# --- the signed structure and the Merkle tree leaf, with every field named ----------------------


@dataclass(frozen=True)
class _Field:
    name: str
    data: bytes
    description: str
    group: str


def _fields(
    first_type_name: str, sct_version: int, timestamp: int, entry: LogEntry, extensions: bytes
) -> list[_Field]:
    out = [
        _Field(
            "sct_version" if first_type_name == "signature_type" else "version",
            struct.pack(">B", sct_version),
            f"Version: {sct_version} = v{sct_version + 1} (RFC 6962 3.2)",
            "version",
        ),
        _Field(
            first_type_name,
            b"\x00",
            "SignatureType certificate_timestamp = 0 (RFC 6962 3.2)"
            if first_type_name == "signature_type"
            else "MerkleLeafType timestamped_entry = 0 (RFC 6962 3.4)",
            "signature",
        ),
        _Field(
            "timestamp",
            struct.pack(">Q", timestamp),
            f"uint64 ms since the epoch: {ms_to_datetime(timestamp).isoformat()}",
            "validity",
        ),
        _Field(
            "entry_type",
            struct.pack(">H", entry.entry_type_code),
            f"LogEntryType {entry.entry_type} = {entry.entry_type_code} (RFC 6962 3.1)",
            "header",
        ),
    ]
    if entry.issuer_key_hash is not None:
        out.append(
            _Field(
                "issuer_key_hash",
                entry.issuer_key_hash,
                "SHA-256 of the issuer's DER SubjectPublicKeyInfo (RFC 6962 3.2)",
                "issuer",
            )
        )
    body_name = "tbs_certificate" if entry.entry_type == "precert_entry" else "certificate"
    out += [
        _Field(
            f"{body_name} length",
            len(entry.body).to_bytes(3, "big"),
            f"3-byte length of the {body_name}: {len(entry.body)}",
            "header",
        ),
        _Field(
            body_name,
            entry.body,
            "the TBSCertificate with the poison and SCT list extensions removed"
            if entry.entry_type == "precert_entry"
            else "the certificate's DER",
            "TBSCertificate",
        ),
        _Field(
            "extensions length",
            struct.pack(">H", len(extensions)),
            f"2-byte length of the CtExtensions: {len(extensions)}",
            "header",
        ),
    ]
    if extensions:
        out.append(
            _Field("extensions", extensions, "CtExtensions (none are defined)", "extensions")
        )
    return out


def _layout(title: str, fields: list[_Field], description: str) -> ByteMap:
    data = b"".join(f.data for f in fields)
    regions = [Region(title, 0, len(data), 0, description, title)]
    pos = 0
    for f in fields:
        regions.append(Region(f.name, pos, pos + len(f.data), 1, f.description, f.group))
        pos += len(f.data)
    return ByteMap(data, tuple(regions))


def signature_input(
    entry: LogEntry, timestamp: int, extensions: bytes = b"", *, version: int = VERSION_V1
) -> bytes:
    """The bytes an SCT's signature covers (RFC 6962 3.2 ``digitally-signed`` struct)."""
    return signature_input_map(entry, timestamp, extensions, version=version).der


def signature_input_map(
    entry: LogEntry, timestamp: int, extensions: bytes = b"", *, version: int = VERSION_V1
) -> ByteMap:
    """The signed structure with every field a labelled byte range, for the byte map.

    Args:
        entry: what was logged (an x509 or precert entry).
        timestamp: the SCT's timestamp (ms).
        extensions: the SCT's extensions.
        version: the SCT's version byte.

    Returns:
        A :class:`~pkiviz.x509.bytemap.ByteMap` whose bytes are exactly those signed;
        one depth-0 region and one depth-1 region per field.
    """
    fields = _fields("signature_type", version, timestamp, entry, extensions)
    return _layout("SCT signature input", fields, "the bytes the log signs (RFC 6962 3.2)")


def merkle_tree_leaf(entry: LogEntry, timestamp: int, extensions: bytes = b"") -> bytes:
    """The RFC 6962 3.4 ``MerkleTreeLeaf`` for an entry logged at ``timestamp``."""
    return merkle_tree_leaf_map(entry, timestamp, extensions).der


def merkle_tree_leaf_map(entry: LogEntry, timestamp: int, extensions: bytes = b"") -> ByteMap:
    """The ``MerkleTreeLeaf`` with its fields as labelled byte ranges."""
    fields = _fields("leaf_type", VERSION_V1, timestamp, entry, extensions)
    return _layout("MerkleTreeLeaf", fields, "the leaf the log hashes (RFC 6962 3.4)")


def parse_merkle_tree_leaf(data: bytes) -> tuple[int, LogEntry, bytes]:
    """Read a ``MerkleTreeLeaf`` (as ``get-entries`` returns it).

    Returns:
        ``(timestamp, entry, extensions)``.

    Raises:
        InputError: if the bytes are not a v1 timestamped-entry leaf.
    """
    reader = _Reader(data, "MerkleTreeLeaf")
    if reader.uint(1, "version") != VERSION_V1:
        raise InputError("MerkleTreeLeaf: not version v1")
    if reader.uint(1, "leaf_type") != LEAF_TYPE_TIMESTAMPED_ENTRY:
        raise InputError("MerkleTreeLeaf: not a timestamped_entry")
    timestamp = reader.uint(8, "timestamp")
    entry_type = reader.uint(2, "entry_type")
    if entry_type == 0:
        entry = LogEntry.x509(reader.vector(3, "certificate"))
    elif entry_type == 1:
        key_hash = reader.take(32, "issuer_key_hash")
        entry = LogEntry.precert(reader.vector(3, "tbs_certificate"), key_hash)
    else:
        raise InputError(f"MerkleTreeLeaf: unknown entry type {entry_type}")
    extensions = reader.vector(2, "extensions")
    reader.done()
    return timestamp, entry, extensions


__all__ = [
    "POISON_OID",
    "SCT",
    "SCT_LIST_OID",
    "embedded_scts",
    "encode_sct_list",
    "extension_value",
    "merkle_tree_leaf",
    "merkle_tree_leaf_map",
    "ms_to_datetime",
    "parse_merkle_tree_leaf",
    "parse_sct",
    "parse_sct_list",
    "sct_list_extension",
    "signature_input",
    "signature_input_map",
]
