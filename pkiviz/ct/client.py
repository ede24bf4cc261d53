"""A client for the RFC 6962 HTTP API: submit chains, fetch tree heads, proofs and entries.

::

    client = LogClient(server.base_url, public_key=log.public_key)
    sct = client.add_pre_chain([precert, issuer])
    sth = client.get_sth()                           # signature checked
    client.check_inclusion(sct, entry)               # audit path fetched and verified
    for logged in client.get_entries(0, sth.tree_size - 1):
        print(logged.index, logged.dns_names)        # a domain owner monitoring the log

It uses :mod:`urllib` only. A log answering with an error, or with something
that is not the RFC 6962 JSON, raises :class:`CTLogError` with one line
saying what; a failing proof is not an exception but a falsy
:class:`~pkiviz.ct.merkle.ProofCheck`.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import struct
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz.ct import _signing, merkle
from pkiviz.ct.entries import LogEntry
from pkiviz.ct.log import ConsistencyProof, InclusionProof, SignedTreeHead, verify_tree_head
from pkiviz.ct.sct import SCT, merkle_tree_leaf, parse_merkle_tree_leaf
from pkiviz.errors import InputError, PkivizError


class CTLogError(PkivizError):
    """A CT log refused a request or answered something that is not RFC 6962 JSON.

    Attributes:
        status: the HTTP status of the log's refusal (``None`` when the log
            could not be reached or its answer could not be read).
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LoggedEntry:
    """One entry as ``get-entries`` returns it, decoded.

    Attributes:
        index: its position in the log.
        timestamp: the ``MerkleTreeLeaf`` timestamp (ms), the SCT's.
        entry: the x509 or precert entry.
        extra_data: the chain bytes the log keeps beside it.
    """

    index: int
    timestamp: int
    entry: LogEntry
    extra_data: bytes

    @property
    def certificate(self) -> x509.Certificate:
        """The logged certificate: the certificate itself, or the precertificate from extra_data.

        Raises:
            CTLogError: if the bytes are not a certificate.
        """
        try:
            if self.entry.entry_type == "x509_entry":
                return x509.load_der_x509_certificate(self.entry.body)
            length = int.from_bytes(self.extra_data[:3], "big")
            return x509.load_der_x509_certificate(self.extra_data[3 : 3 + length])
        except ValueError as exc:
            raise CTLogError(f"entry {self.index}: not a certificate ({exc})") from None

    @property
    def dns_names(self) -> tuple[str, ...]:
        """The certificate's SAN dNSNames (empty if it has none)."""
        try:
            san = self.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return ()
        return tuple(san.value.get_values_for_type(x509.DNSName))


def _unb64(value: object, field: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except binascii.Error:
        raise CTLogError(f"the log's {field} is not base64") from None


def _digitally_signed(data: bytes, field: str) -> tuple[int, int, bytes]:
    if len(data) < 4 or len(data) != 4 + struct.unpack(">H", data[2:4])[0]:
        raise CTLogError(f"the log's {field} is not a digitally-signed struct")
    return data[0], data[1], data[4:]


class LogClient:
    """Talks to one log's ``/ct/v1/`` API.

    Args:
        base_url: e.g. ``"http://127.0.0.1:8080"`` (the API is under ``/ct/v1/``).
        public_key: the log's key; when given, tree heads are verified.
        timeout: seconds per request.
    """

    def __init__(
        self,
        base_url: str,
        *,
        public_key: _signing.LogPublicKey | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.public_key = public_key
        self.timeout = timeout

    def _call(
        self,
        endpoint: str,
        *,
        query: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}/ct/v1/{endpoint}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            with contextlib.suppress(ValueError, KeyError, TypeError):
                detail = json.loads(detail)["error_message"]
            raise CTLogError(f"{endpoint}: HTTP {exc.code}: {detail}", status=exc.code) from None
        except (urllib.error.URLError, OSError) as exc:
            raise CTLogError(f"{endpoint}: cannot reach {self.base_url} ({exc})") from None
        try:
            doc = json.loads(raw)
        except ValueError:
            raise CTLogError(f"{endpoint}: the answer is not JSON") from None
        if not isinstance(doc, dict):
            raise CTLogError(f"{endpoint}: the answer is not a JSON object")
        return doc

    def _submit(self, endpoint: str, chain: Sequence[x509.Certificate]) -> SCT:
        ders = [c.public_bytes(serialization.Encoding.DER) for c in chain]
        doc = self._call(endpoint, body={"chain": [base64.b64encode(d).decode() for d in ders]})
        try:
            hash_alg, sig_alg, signature = _digitally_signed(
                _unb64(doc["signature"], "signature"), "signature"
            )
            return SCT(
                int(doc["sct_version"]),
                _unb64(doc["id"], "id"),
                int(doc["timestamp"]),
                _unb64(doc.get("extensions", ""), "extensions"),
                hash_alg,
                sig_alg,
                signature,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CTLogError(f"{endpoint}: not an SCT ({exc})") from None

    def add_chain(self, chain: Sequence[x509.Certificate]) -> SCT:
        """Submit a certificate and its issuers (RFC 6962 4.1); returns the SCT."""
        return self._submit("add-chain", chain)

    def add_pre_chain(self, chain: Sequence[x509.Certificate]) -> SCT:
        """Submit a precertificate and its issuers (RFC 6962 4.2); returns the SCT."""
        return self._submit("add-pre-chain", chain)

    def get_sth(self) -> SignedTreeHead:
        """The log's signed tree head (RFC 6962 4.3), signature checked if the key is known.

        Raises:
            CTLogError: malformed, or the signature does not verify.
        """
        doc = self._call("get-sth")
        try:
            hash_alg, sig_alg, signature = _digitally_signed(
                _unb64(doc["tree_head_signature"], "tree_head_signature"), "tree_head_signature"
            )
            sth = SignedTreeHead(
                int(doc["tree_size"]),
                int(doc["timestamp"]),
                _unb64(doc["sha256_root_hash"], "sha256_root_hash"),
                signature,
                sig_alg,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CTLogError(f"get-sth: not a tree head ({exc})") from None
        if hash_alg != _signing.HASH_SHA256:
            raise CTLogError("get-sth: the tree head is not signed with SHA-256")
        if self.public_key is not None and not verify_tree_head(sth, self.public_key):
            raise CTLogError("get-sth: the tree head signature does not verify with the log's key")
        return sth

    def get_proof_by_hash(self, leaf_hash: bytes, tree_size: int) -> InclusionProof:
        """The audit path of the leaf with this hash in the tree of ``tree_size`` (RFC 6962 4.5).

        Raises:
            CTLogError: the log does not have the leaf (HTTP 404) or answers nonsense.
        """
        doc = self._call(
            "get-proof-by-hash",
            query={"hash": base64.b64encode(leaf_hash).decode(), "tree_size": tree_size},
        )
        try:
            path = tuple(_unb64(h, "audit_path") for h in doc["audit_path"])
            return InclusionProof(int(doc["leaf_index"]), tree_size, leaf_hash, path)
        except (KeyError, TypeError, ValueError) as exc:
            raise CTLogError(f"get-proof-by-hash: not a proof ({exc})") from None

    def get_consistency(self, first: int, second: int) -> ConsistencyProof:
        """The proof that the tree of ``second`` extends that of ``first`` (RFC 6962 4.4)."""
        doc = self._call("get-sth-consistency", query={"first": first, "second": second})
        try:
            proof = tuple(_unb64(h, "consistency") for h in doc["consistency"])
        except (KeyError, TypeError) as exc:
            raise CTLogError(f"get-sth-consistency: not a proof ({exc})") from None
        return ConsistencyProof(first, second, proof)

    def get_entries(self, start: int, end: int) -> tuple[LoggedEntry, ...]:
        """Entries ``start..end`` (RFC 6962 4.6; the log may return fewer), decoded."""
        doc = self._call("get-entries", query={"start": start, "end": end})
        out = []
        try:
            for offset, row in enumerate(doc["entries"]):
                leaf = _unb64(row["leaf_input"], "leaf_input")
                timestamp, entry, _ = parse_merkle_tree_leaf(leaf)
                extra = _unb64(row["extra_data"], "extra_data")
                out.append(LoggedEntry(start + offset, timestamp, entry, extra))
        except (KeyError, TypeError, InputError) as exc:
            raise CTLogError(f"get-entries: not log entries ({exc})") from None
        return tuple(out)

    def check_inclusion(self, sct: SCT, entry: LogEntry) -> merkle.ProofCheck:
        """Is the entry this SCT promised in the log? Fetch the STH and the audit path, verify.

        Args:
            sct: the SCT (its timestamp is part of the leaf).
            entry: the entry it covers (see :func:`~pkiviz.ct.entries.entry_for_certificate`).

        Returns:
            A :class:`~pkiviz.ct.merkle.ProofCheck`: falsy, with the reason, if the
            log has no such leaf (a log that signed but never included).

        Raises:
            CTLogError: if the log cannot be reached or refuses the request for
                another reason than "no such leaf" (HTTP 404): that says nothing
                about inclusion.
        """
        leaf = merkle.leaf_hash(merkle_tree_leaf(entry, sct.timestamp, sct.extensions))
        sth = self.get_sth()
        section = "RFC 6962 4.5"
        if sth.tree_size == 0:
            return merkle.ProofCheck(False, "the log is empty: the entry is not in it", section)
        try:
            proof = self.get_proof_by_hash(leaf, sth.tree_size)
        except CTLogError as exc:
            if exc.status != 404:
                raise
            return merkle.ProofCheck(False, f"the log has no such leaf: {exc}", section)
        if not 0 <= proof.index < sth.tree_size:
            return merkle.ProofCheck(False, "the log gave an index outside its tree", section)
        return proof.verify(sth.root_hash)


__all__ = ["CTLogError", "LogClient", "LoggedEntry"]
