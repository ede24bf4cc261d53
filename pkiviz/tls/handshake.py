"""A whole handshake as data: an immutable tuple of :class:`Message` records.

:class:`Handshake` is what the capture modules produce and every other module
(signature verification, drawing, probe) only reads. Build one from captured
``(sender, content_type, raw, outer_type)`` records with
:func:`handshake_from_records`; it parses each message with the project's own
parser and works out, from the protocol rules, which messages travelled
encrypted:

* TLS 1.3 (RFC 8446 2): everything after ServerHello is encrypted; the
  record header says so directly (outer type 23), and where no header was
  seen the rule decides (alerts after ServerHello are encrypted too).
* TLS 1.2 (RFC 5246 7.1): a side's messages after its ChangeCipherSpec are
  encrypted (its Finished, and any later alert).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from cryptography import x509

from pkiviz.tls.messages import (
    CONTENT_ALERT,
    CONTENT_CHANGE_CIPHER_SPEC,
    Alert,
    Certificate,
    CertificateRequest,
    Message,
    Sender,
    ServerHello,
    parse_message,
)

Perspective = Literal["client", "server", "wire"]

#: A captured record: (sender, content type, raw message bytes, outer record type or None).
RawRecord = tuple[Sender, int, bytes, "int | None"]


@dataclasses.dataclass(frozen=True)
class Handshake:
    """The messages of one TLS handshake, in the order one side saw them.

    Attributes:
        messages: every handshake message, alert and ChangeCipherSpec, in order.
        perspective: who captured it: ``"client"``, ``"server"`` or ``"wire"``
            (decrypted from the bytes on the wire with the key log).
        version: the negotiated version (``"TLSv1.3"``), ``None`` if no
            ServerHello was seen.
        cipher: the negotiated cipher suite's IANA name, or ``None``.
        completed: whether the capturing side completed the handshake.
        error: the capturing side's error message if the handshake failed.
    """

    messages: tuple[Message, ...]
    perspective: Perspective = "client"
    version: str | None = None
    cipher: str | None = None
    completed: bool = True
    error: str | None = None

    def __iter__(self) -> Iterator[Message]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)

    @property
    def tls13(self) -> bool:
        """Whether TLS 1.3 was negotiated."""
        return self.version == "TLSv1.3"

    def find(self, type: str, sender: Sender | None = None) -> Message | None:
        """The first message of ``type`` (from ``sender`` if given), or ``None``.

        Args:
            type: a message type name, e.g. ``"CertificateVerify"``.
            sender: ``"client"`` or ``"server"``.

        Returns:
            The message, or ``None``.
        """
        found = self.find_all(type, sender)
        return found[0] if found else None

    def find_all(self, type: str, sender: Sender | None = None) -> tuple[Message, ...]:
        """Every message of ``type`` (from ``sender`` if given), in order."""
        return tuple(
            m for m in self.messages if m.type == type and (sender is None or m.sender == sender)
        )

    def index(self, message: Message) -> int:
        """The position of ``message`` (by identity) in :attr:`messages`."""
        for i, m in enumerate(self.messages):
            if m is message:
                return i
        raise ValueError("message is not part of this handshake")

    def sent_by(self, sender: Sender) -> tuple[Message, ...]:
        """The messages ``sender`` sent."""
        return tuple(m for m in self.messages if m.sender == sender)

    @property
    def hello_retry(self) -> bool:
        """Whether the server answered with a HelloRetryRequest."""
        return self.find("HelloRetryRequest") is not None

    @property
    def certificate_request(self) -> CertificateRequest | None:
        """The server's CertificateRequest body (mutual TLS), or ``None``."""
        msg = self.find("CertificateRequest", "server")
        return msg.body if msg is not None and isinstance(msg.body, CertificateRequest) else None

    def certificates(self, sender: Sender) -> tuple[x509.Certificate, ...]:
        """The chain ``sender`` presented (leaf first), empty if none."""
        msg = self.find("Certificate", sender)
        return msg.body.certificates if msg and isinstance(msg.body, Certificate) else ()

    @property
    def server_certificates(self) -> tuple[x509.Certificate, ...]:
        """The server's chain, leaf first."""
        return self.certificates("server")

    @property
    def client_certificates(self) -> tuple[x509.Certificate, ...]:
        """The client's chain (mutual TLS), leaf first."""
        return self.certificates("client")

    @property
    def alerts(self) -> tuple[Message, ...]:
        """The alerts either side sent."""
        return self.find_all("Alert")

    @property
    def failure_alert(self) -> Message | None:
        """The first fatal alert, or ``None``."""
        for m in self.alerts:
            if isinstance(m.body, Alert) and m.body.level == "fatal":
                return m
        return None

    def to_json_list(self) -> list[dict[str, Any]]:
        """The messages as JSON-ready dicts: ``from``, ``type``, ``encrypted``, ..."""
        return [
            {
                "from": m.sender,
                "type": m.type,
                "encrypted": m.encrypted,
                "length": len(m.raw),
                "summary": m.summary,
            }
            for m in self.messages
        ]

    def text(self) -> str:
        """The handshake as a plain-text table, one message a line."""
        head = (
            f"{self.version or 'no version'} {self.cipher or ''} (captured at {self.perspective})"
        )
        lines = [head.replace("  ", " ")]
        lines += [f"{i:>2}. {m.text()}" for i, m in enumerate(self.messages, 1)]
        if self.error:
            lines.append(f"    failed: {self.error}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        rows = []
        for i, m in enumerate(self.messages, 1):
            arrow = "client &rarr; server" if m.sender == "client" else "client &larr; server"
            lock = "&#128274; encrypted" if m.encrypted else "plaintext"
            rows.append(
                f"<tr><td>{i}</td><td>{arrow}</td><td><b>{html.escape(m.type)}</b></td>"
                f"<td>{lock}</td><td>{html.escape(m.summary)}</td></tr>"
            )
        caption = html.escape(
            f"{self.version or 'no version'} {self.cipher or ''} - captured at {self.perspective}"
        )
        error = f"<p>failed: {html.escape(self.error)}</p>" if self.error else ""
        return (
            f"<table><caption>{caption}</caption><tr><th>#</th><th>direction</th>"
            f"<th>message</th><th>on the wire</th><th>details</th></tr>{''.join(rows)}"
            f"</table>{error}"
        )


def handshake_from_records(
    records: Iterable[RawRecord],
    *,
    perspective: Perspective,
    completed: bool = True,
    error: str | None = None,
) -> Handshake:
    """Parse captured records into a :class:`Handshake`.

    Args:
        records: ``(sender, content_type, raw, outer_type)`` in capture order;
            ``outer_type`` is the record header's content type if known.
        perspective: who captured them.
        completed: whether the handshake completed.
        error: the error message if it did not.

    Returns:
        The handshake.

    Raises:
        HandshakeParseError: a message does not parse.
    """
    records = list(records)
    version, cipher = _negotiated(records)
    tls13 = version != "TLSv1.2" and version not in ("TLSv1.1", "TLSv1", "SSLv3")
    messages: list[Message] = []
    ccs_from: set[str] = set()
    server_hello_seen = False
    for sender, content_type, raw, outer in records:
        if tls13 and outer is not None:
            encrypted = outer == 23
        elif tls13:
            encrypted = server_hello_seen and content_type != CONTENT_CHANGE_CIPHER_SPEC
        else:
            encrypted = sender in ccs_from
        msg = parse_message(sender, content_type, raw, encrypted=encrypted, tls13=tls13)
        if content_type == CONTENT_CHANGE_CIPHER_SPEC:
            ccs_from.add(sender)
        if msg.type == "ServerHello":
            server_hello_seen = True
        messages.append(msg)
    if any(m.content_type == CONTENT_ALERT for m in messages) and error is None and not completed:
        error = "handshake failed"
    return Handshake(tuple(messages), perspective, version, cipher, completed, error)


def _negotiated(records: list[RawRecord]) -> tuple[str | None, str | None]:
    for sender, content_type, raw, _ in records:
        if sender == "server" and content_type == 22 and raw[:1] == b"\x02":
            msg = parse_message(sender, content_type, raw)
            if isinstance(msg.body, ServerHello) and not msg.body.hello_retry_request:
                return msg.body.selected_version, msg.body.cipher_suite
    return None, None
