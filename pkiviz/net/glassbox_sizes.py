"""What post-quantum cryptography costs on the wire: chain and handshake sizes, measured.

:func:`size_table` runs the glass-box client against the OpenSSL 4 server once
per combination of server chain (ECDSA P-256, RSA-2048, ML-DSA-44, ML-DSA-65:
root, intermediate and leaf all of that kind) and key exchange (X25519,
X25519MLKEM768), and measures the real messages: the key shares, the
Certificate message (leaf and intermediate; the root is not sent), the
CertificateVerify, and the whole handshake from ClientHello to the client's
Finished.

Live by nature, so sizes can move by a few bytes between runs: ECDSA
signatures are randomized DER (a byte or two per signature), and the chains
are issued with ``live=True`` - fresh keys (deriving three RSA-2048 keys from
labels takes seconds) and random serial numbers, and a DER serial is one byte
shorter about one time in 256 (a leading zero octet). RSA and ML-DSA
signatures and public keys themselves are fixed in size by the key size and
parameter set; their certificates are not, by that byte.
"""

from __future__ import annotations

import dataclasses
import html

from pkiviz.net.glassbox_run import OpenSSL4Server, connect
from pkiviz.tls.glassbox import GlassBox
from pkiviz.x509.example import HOSTNAME
from pkiviz.x509.factory import CA, Issued

#: The server chains measured: (label, pkiviz key type).
CHAINS: tuple[tuple[str, str], ...] = (
    ("ECDSA P-256", "ec-p256"),
    ("RSA-2048", "rsa-2048"),
    ("ML-DSA-44", "ml-dsa-44"),
    ("ML-DSA-65", "ml-dsa-65"),
)
#: The (chain, group) pairs measured, in table order.
COMBINATIONS: tuple[tuple[str, str], ...] = (
    ("ECDSA P-256", "x25519"),
    ("RSA-2048", "x25519"),
    ("ML-DSA-44", "x25519"),
    ("ML-DSA-65", "x25519"),
    ("ECDSA P-256", "X25519MLKEM768"),
    ("ML-DSA-44", "X25519MLKEM768"),
)


@dataclasses.dataclass(frozen=True)
class SizeRow:
    """The sizes, in bytes, of one measured handshake.

    Attributes:
        chain: the server chain's algorithm, e.g. ``"ML-DSA-44"``.
        group: the key exchange group.
        scheme: the CertificateVerify signature scheme the server used.
        client_share: the client's key_share key_exchange bytes.
        server_share: the server's key_share key_exchange bytes.
        certificate: the Certificate message (header included).
        certificate_verify: the CertificateVerify message.
        handshake: every handshake message, ClientHello to client Finished.
    """

    chain: str
    group: str
    scheme: str
    client_share: int
    server_share: int
    certificate: int
    certificate_verify: int
    handshake: int


@dataclasses.dataclass(frozen=True)
class SizeTable:
    """Chain and handshake sizes for several chains and key exchanges.

    Attributes:
        rows: one row per measured handshake.
    """

    rows: tuple[SizeRow, ...]

    HEADERS = ("chain", "key exchange", "signature scheme", "client share", "server share",
               "Certificate", "CertificateVerify", "whole handshake")  # fmt: skip

    def row(self, chain: str, group: str) -> SizeRow:
        """The row for that chain and group.

        Raises:
            KeyError: not measured.
        """
        for r in self.rows:
            if (r.chain, r.group) == (chain, group):
                return r
        raise KeyError((chain, group))

    def _cells(self) -> list[tuple[str, ...]]:
        return [
            (r.chain, r.group, r.scheme, *(f"{n:,}" for n in dataclasses.astuple(r)[3:]))
            for r in self.rows
        ]

    def text(self) -> str:
        """The table as aligned plain text."""
        cells = [self.HEADERS, *self._cells()]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.HEADERS))]
        return "\n".join(
            "  ".join(c.rjust(w) if i >= 3 else c.ljust(w) for i, (c, w) in
                      enumerate(zip(row, widths, strict=True))).rstrip()
            for row in cells
        )  # fmt: skip

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.HEADERS)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self._cells()
        )
        return f"<table><tr>{head}</tr>{body}</table><p>Sizes in bytes.</p>"


def server_chain(key_type: str) -> Issued:
    """A root, an intermediate and a ``login.example.com`` leaf, all with ``key_type`` keys.

    Args:
        key_type: a pkiviz key type (``"ec-p256"``, ``"rsa-2048"``, ``"ml-dsa-44"``...).

    Returns:
        The leaf (its ``chain`` reaches the root). Fresh keys.
    """
    root = CA.root(f"Size Root [{key_type}]", key=key_type, live=True)
    intermediate = root.intermediate(
        f"Size TLS CA [{key_type}]", key=key_type, path_length=0,
        extended_key_usage=("server_auth",),
    )  # fmt: skip
    return intermediate.issue_server(HOSTNAME, key=key_type)


def measure(box: GlassBox, chain: str) -> SizeRow:
    """The sizes of one glass-box connection.

    Args:
        box: the connection.
        chain: the label for its server chain.

    Returns:
        The row.
    """
    until_finished = []
    for m in box.messages:
        if m.is_handshake and m.type != "NewSessionTicket":
            until_finished.append(len(m.raw))
    return SizeRow(
        chain, box.group, box.certificate_verify.scheme, len(box.shared.client_share),
        len(box.shared.server_share), len(box.message("Certificate").raw),
        len(box.message("CertificateVerify").raw), sum(until_finished),
    )  # fmt: skip


def size_table(combinations: tuple[tuple[str, str], ...] = COMBINATIONS) -> SizeTable:
    """Measure real handshakes with each chain and key exchange on 127.0.0.1.

    Args:
        combinations: ``(chain label, group)`` pairs; chain labels from :data:`CHAINS`.

    Returns:
        The table.

    Raises:
        KeyError: an unknown chain label.
    """
    key_types = dict(CHAINS)
    leaves: dict[str, Issued] = {}
    rows = []
    for label, group in combinations:
        if label not in leaves:
            leaves[label] = server_chain(key_types[label])
        leaf = leaves[label]
        chain = (leaf.certificate, *(i.certificate for i in leaf.intermediates))
        with OpenSSL4Server(chain, leaf.private_key) as srv:
            box = connect(*srv.address, HOSTNAME, group=group)
            srv.wait(1)
        rows.append(measure(box, label))
    return SizeTable(tuple(rows))


__all__ = [
    "CHAINS",
    "COMBINATIONS",
    "SizeRow",
    "SizeTable",
    "measure",
    "server_chain",
    "size_table",
]
