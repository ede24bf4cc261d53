"""One TLS handshake message as data, and the parser that makes it.

A :class:`Message` is what one side sent: its sender, its type name, the raw
bytes exactly as the transcript hash sees them (for handshake messages the
4-byte header included; for an alert its 2 bytes; for ChangeCipherSpec its 1
byte), whether it travelled encrypted, and a typed ``body`` holding the fields
a reader needs. :func:`parse_message` is pkiviz's own parser for the wire
formats of RFC 8446 section 4 (TLS 1.3) and RFC 5246 7.4 / RFC 8422 5.4
(TLS 1.2); bad bytes raise :class:`~pkiviz.tls._wire.HandshakeParseError`.
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable, Mapping
from typing import Literal

from cryptography import x509

from pkiviz.tls import names
from pkiviz.tls._der import parse_name
from pkiviz.tls._wire import HandshakeParseError, Reader
from pkiviz.x509.parse import parse_der_certificate

Sender = Literal["client", "server"]

#: ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 4.1.3).
HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

CONTENT_CHANGE_CIPHER_SPEC = 20
CONTENT_ALERT = 21
CONTENT_HANDSHAKE = 22


@dataclasses.dataclass(frozen=True)
class ClientHello:
    """RFC 8446 4.1.2 ClientHello: what the client offers."""

    legacy_version: str
    random: bytes
    session_id: bytes
    cipher_suites: tuple[str, ...]
    extensions: tuple[str, ...]
    supported_versions: tuple[str, ...]
    supported_groups: tuple[str, ...]
    key_share_groups: tuple[str, ...]
    signature_algorithms: tuple[str, ...]
    server_name: str | None

    def summary(self) -> str:
        """One line for a table."""
        versions = ", ".join(self.supported_versions) or self.legacy_version
        shares = ", ".join(self.key_share_groups) or "none"
        sni = f"SNI {self.server_name}; " if self.server_name else ""
        return f"{sni}versions {versions}; {len(self.cipher_suites)} suites; key shares {shares}"


@dataclasses.dataclass(frozen=True)
class ServerHello:
    """RFC 8446 4.1.3 ServerHello (or HelloRetryRequest): what the server chose."""

    legacy_version: str
    random: bytes
    session_id: bytes
    cipher_suite: str
    extensions: tuple[str, ...]
    selected_version: str
    key_share_group: str | None
    hello_retry_request: bool

    def summary(self) -> str:
        """One line for a table."""
        share = f"; key share {self.key_share_group}" if self.key_share_group else ""
        if self.hello_retry_request:
            return f"retry with key share {self.key_share_group}; {self.cipher_suite}"
        return f"{self.selected_version}; {self.cipher_suite}{share}"


@dataclasses.dataclass(frozen=True)
class EncryptedExtensions:
    """RFC 8446 4.3.1 EncryptedExtensions."""

    extensions: tuple[str, ...]

    def summary(self) -> str:
        """One line for a table."""
        return ", ".join(self.extensions) or "no extensions"


@dataclasses.dataclass(frozen=True)
class CertificateRequest:
    """RFC 8446 4.3.2 / RFC 5246 7.4.4 CertificateRequest: the server asks for a client cert.

    Attributes:
        context: TLS 1.3 certificate_request_context (empty in a handshake).
        signature_algorithms: schemes the server accepts in CertificateVerify.
        certificate_authorities: acceptable CA names, RFC 4514.
        certificate_types: TLS 1.2 ClientCertificateType names (empty in 1.3).
        extensions: TLS 1.3 extension names.
    """

    context: bytes
    signature_algorithms: tuple[str, ...]
    certificate_authorities: tuple[str, ...]
    certificate_types: tuple[str, ...]
    extensions: tuple[str, ...]

    def summary(self) -> str:
        """One line for a table."""
        cas = "; ".join(self.certificate_authorities)
        names = f"CAs: {cas}" if cas else "no CA names sent"
        return f"{len(self.signature_algorithms)} signature algorithms; {names}"


@dataclasses.dataclass(frozen=True)
class Certificate:
    """RFC 8446 4.4.2 / RFC 5246 7.4.2 Certificate: a chain, leaf first."""

    context: bytes
    certificates: tuple[x509.Certificate, ...]

    def summary(self) -> str:
        """One line for a table."""
        if not self.certificates:
            return "empty (no certificate)"
        return " <- ".join(c.subject.rfc4514_string() for c in self.certificates)


@dataclasses.dataclass(frozen=True)
class CertificateVerify:
    """RFC 8446 4.4.3 / RFC 5246 7.4.8 CertificateVerify: a signature over the transcript."""

    scheme: str
    signature: bytes

    def summary(self) -> str:
        """One line for a table."""
        return f"{self.scheme}, {len(self.signature)}-byte signature"


@dataclasses.dataclass(frozen=True)
class Finished:
    """RFC 8446 4.4.4 Finished: an HMAC over the transcript."""

    verify_data: bytes

    def summary(self) -> str:
        """One line for a table."""
        return f"verify_data {self.verify_data[:8].hex()}... ({len(self.verify_data)} bytes)"


@dataclasses.dataclass(frozen=True)
class ServerKeyExchange:
    """RFC 8422 5.4 ServerKeyExchange (ECDHE) or RFC 5246 7.4.3 (DHE), TLS 1.2.

    Attributes:
        group: the named curve (``"dhe"`` for finite-field DHE).
        public: the server's ephemeral public value.
        params: the exact ServerECDHParams / ServerDHParams bytes that are signed.
        scheme: the signature scheme.
        signature: the signature.
    """

    group: str
    public: bytes
    params: bytes
    scheme: str
    signature: bytes

    def summary(self) -> str:
        """One line for a table."""
        return f"{self.group} share, signed {self.scheme}"


@dataclasses.dataclass(frozen=True)
class ClientKeyExchange:
    """TLS 1.2 ClientKeyExchange: what the client contributes to the key exchange.

    Its wire format depends on the negotiated suite, which a single message
    does not name: ECDHE sends the client's public point with a 1-byte
    length (RFC 8422 5.7); RSA key transport sends the premaster secret
    encrypted to the server's key with a 2-byte length (RFC 5246 7.4.7.1),
    and so does finite-field DHE (7.4.7.2). The parser takes the reading
    whose length prefix covers the body exactly.

    Attributes:
        public: the public value or the encrypted premaster secret.
        kind: ``"ecdhe"`` or ``"rsa-or-dhe"``.
    """

    public: bytes
    kind: str = "ecdhe"

    def summary(self) -> str:
        """One line for a table."""
        if self.kind == "ecdhe":
            return f"{len(self.public)}-byte public value"
        return f"{len(self.public)}-byte encrypted premaster secret or DH value"


@dataclasses.dataclass(frozen=True)
class NewSessionTicket:
    """RFC 8446 4.6.1 / RFC 5077 NewSessionTicket."""

    lifetime: int
    ticket: bytes

    def summary(self) -> str:
        """One line for a table."""
        return f"lifetime {self.lifetime} s, {len(self.ticket)}-byte ticket"


@dataclasses.dataclass(frozen=True)
class Alert:
    """RFC 8446 6 Alert: level and description (name and number)."""

    level: str
    description: str
    code: int

    def summary(self) -> str:
        """One line for a table."""
        return f"{self.level} {self.description} ({self.code})"


@dataclasses.dataclass(frozen=True)
class Opaque:
    """A message pkiviz shows but does not parse (ServerHelloDone, ChangeCipherSpec, ...)."""

    data: bytes

    def summary(self) -> str:
        """One line for a table."""
        return f"{len(self.data)} bytes" if self.data else ""


Body = (
    ClientHello
    | ServerHello
    | EncryptedExtensions
    | CertificateRequest
    | Certificate
    | CertificateVerify
    | Finished
    | ServerKeyExchange
    | ClientKeyExchange
    | NewSessionTicket
    | Alert
    | Opaque
)


@dataclasses.dataclass(frozen=True)
class Message:
    """One message one side sent, as captured.

    Attributes:
        sender: ``"client"`` or ``"server"``.
        type: ``"ClientHello"``, ``"HelloRetryRequest"``, ``"Alert"``,
            ``"ChangeCipherSpec"``, ...
        content_type: the TLS record content type (22 handshake, 21 alert,
            20 change_cipher_spec).
        raw: the message's bytes; for handshake messages header included,
            exactly as they enter the transcript hash.
        encrypted: whether it travelled encrypted on the wire.
        body: the parsed fields.
    """

    sender: Sender
    type: str
    content_type: int
    raw: bytes = dataclasses.field(repr=False)
    encrypted: bool
    body: Body = dataclasses.field(repr=False)

    @property
    def is_handshake(self) -> bool:
        """Whether this is a handshake message (it enters the transcript)."""
        return self.content_type == CONTENT_HANDSHAKE

    @property
    def summary(self) -> str:
        """The body's one-line summary."""
        return self.body.summary()

    def text(self) -> str:
        """One plain-text line: sender, type, encryption, summary."""
        lock = "encrypted" if self.encrypted else "plaintext"
        arrow = "C -> S" if self.sender == "client" else "S -> C"
        return f"{arrow}  {self.type:<20} {lock:<9}  {self.summary}".rstrip()

    def _repr_html_(self) -> str:
        return (
            f"<code>{html.escape(self.sender)}</code> <b>{html.escape(self.type)}</b> "
            f"({'encrypted' if self.encrypted else 'plaintext'}): {html.escape(self.summary)}"
        )

    def __str__(self) -> str:
        return self.text()


def parse_message(
    sender: Sender,
    content_type: int,
    raw: bytes,
    *,
    encrypted: bool = False,
    tls13: bool = True,
) -> Message:
    """Parse one captured message.

    Args:
        sender: who sent it.
        content_type: 22 (handshake), 21 (alert) or 20 (change_cipher_spec).
        raw: the message bytes (a handshake message with its 4-byte header).
        encrypted: whether it was encrypted on the wire.
        tls13: parse version-dependent messages (Certificate,
            CertificateRequest, NewSessionTicket) as TLS 1.3 rather than 1.2.

    Returns:
        The message.

    Raises:
        HandshakeParseError: the bytes are not a well-formed message.
    """
    raw = bytes(raw)
    if content_type == CONTENT_ALERT:
        r = Reader(raw, "Alert")
        level, code = r.uint(1, "level"), r.uint(1, "description")
        r.done()
        body: Body = Alert(
            names.name_of(names.ALERT_LEVELS, level), names.name_of(names.ALERTS, code), code
        )
        return Message(sender, "Alert", content_type, raw, encrypted, body)
    if content_type == CONTENT_CHANGE_CIPHER_SPEC:
        return Message(sender, "ChangeCipherSpec", content_type, raw, encrypted, Opaque(b""))
    if content_type != CONTENT_HANDSHAKE:
        raise HandshakeParseError(f"content type {content_type} is not a handshake message")
    head = Reader(raw, "handshake message")
    msg_type = head.uint(1, "msg_type")
    name = names.name_of(names.HANDSHAKE_TYPES, msg_type)
    head.what = name
    r = head.sub(3, "body")
    head.done()
    parser = _PARSERS.get(msg_type)
    body = (parser or _empty)(r, tls13)
    r.done()
    if isinstance(body, ServerHello) and body.hello_retry_request:
        name = "HelloRetryRequest"
    return Message(sender, name, content_type, raw, encrypted, body)


def split_handshake(data: bytes, what: str = "handshake records") -> tuple[list[bytes], bytes]:
    """Split a reassembled handshake byte stream into whole messages.

    Args:
        data: concatenated handshake-record payloads.
        what: for error messages.

    Returns:
        ``(messages, leftover)``: the complete messages (headers included) and
        the bytes of an incomplete last message.
    """
    out: list[bytes] = []
    pos = 0
    while len(data) - pos >= 4:
        n = int.from_bytes(data[pos + 1 : pos + 4], "big")
        if len(data) - pos < 4 + n:
            break
        out.append(data[pos : pos + 4 + n])
        pos += 4 + n
    return out, data[pos:]


# --- extension helpers --------------------------------------------------------


def _extensions(r: Reader) -> dict[int, bytes]:
    """Read an ``Extension extensions<0..2^16-1>`` vector into ``{type: data}``."""
    out: dict[int, bytes] = {}
    if r.remaining == 0:
        return out
    ext = r.sub(2, "extensions")
    while ext.remaining:
        kind = ext.uint(2, "extension_type")
        out[kind] = ext.vector(2, f"extension {names.name_of(names.EXTENSIONS, kind)}")
    return out


def _ext_names(exts: dict[int, bytes]) -> tuple[str, ...]:
    return tuple(names.name_of(names.EXTENSIONS, k) for k in exts)


def _codes(
    data: bytes, size: int, prefix: int, what: str, table: Mapping[int, str]
) -> tuple[str, ...]:
    r = Reader(data, what)
    return tuple(names.name_of(table, c) for c in r.sub(prefix, what).uint_list(size, what))


def _sigalgs(data: bytes | None, what: str) -> tuple[str, ...]:
    if data is None:
        return ()
    return _codes(data, 2, 2, what, names.SIGNATURE_SCHEMES)


def _ca_names(data: bytes | None, what: str) -> tuple[str, ...]:
    if data is None:
        return ()
    r = Reader(data, what).sub(2, what)
    out: list[str] = []
    while r.remaining:
        out.append(parse_name(r.vector(2, "DistinguishedName", minimum=1)).rfc4514_string())
    return tuple(out)


# --- per-type parsers ---------------------------------------------------------


def _client_hello(r: Reader, tls13: bool) -> ClientHello:
    version = r.uint(2, "legacy_version")
    random = r.take(32, "random")
    session_id = r.vector(1, "legacy_session_id")
    suites = r.sub(2, "cipher_suites", minimum=2).uint_list(2, "cipher_suites")
    r.vector(1, "legacy_compression_methods", minimum=1)
    exts = _extensions(r)
    supported_versions: tuple[str, ...] = ()
    if 43 in exts:
        supported_versions = _codes(exts[43], 2, 1, "supported_versions", names.VERSIONS)
    shares: list[str] = []
    if 51 in exts:
        ks = Reader(exts[51], "key_share").sub(2, "client_shares")
        while ks.remaining:
            shares.append(names.name_of(names.GROUPS, ks.uint(2, "group")))
            ks.vector(2, "key_exchange")
    groups = _codes(exts[10], 2, 2, "supported_groups", names.GROUPS) if 10 in exts else ()
    server_name = None
    if 0 in exts:
        sni = Reader(exts[0], "server_name").sub(2, "server_name_list")
        while sni.remaining:
            kind = sni.uint(1, "name_type")
            host = sni.vector(2, "host_name")
            if kind == 0:
                server_name = host.decode("ascii", "replace")
    return ClientHello(
        legacy_version=names.name_of(names.VERSIONS, version),
        random=random,
        session_id=session_id,
        cipher_suites=tuple(names.name_of(names.CIPHER_SUITES, s) for s in suites),
        extensions=_ext_names(exts),
        supported_versions=supported_versions,
        supported_groups=groups,
        key_share_groups=tuple(shares),
        signature_algorithms=_sigalgs(exts.get(13), "signature_algorithms"),
        server_name=server_name,
    )


def _server_hello(r: Reader, tls13: bool) -> ServerHello:
    version = r.uint(2, "legacy_version")
    random = r.take(32, "random")
    session_id = r.vector(1, "legacy_session_id_echo")
    suite = r.uint(2, "cipher_suite")
    r.uint(1, "legacy_compression_method")
    exts = _extensions(r)
    selected = version
    if 43 in exts:
        sv = Reader(exts[43], "supported_versions")
        selected = sv.uint(2, "selected_version")
        sv.done()
    hrr = random == HRR_RANDOM
    group = None
    if 51 in exts:
        ks = Reader(exts[51], "key_share")
        group = names.name_of(names.GROUPS, ks.uint(2, "group"))
        if not hrr:
            ks.vector(2, "key_exchange")
        ks.done()
    return ServerHello(
        legacy_version=names.name_of(names.VERSIONS, version),
        random=random,
        session_id=session_id,
        cipher_suite=names.name_of(names.CIPHER_SUITES, suite),
        extensions=_ext_names(exts),
        selected_version=names.name_of(names.VERSIONS, selected),
        key_share_group=group,
        hello_retry_request=hrr,
    )


def _encrypted_extensions(r: Reader, tls13: bool) -> EncryptedExtensions:
    return EncryptedExtensions(_ext_names(_extensions(r)))


def _certificate_request(r: Reader, tls13: bool) -> CertificateRequest:
    if tls13:
        context = r.vector(1, "certificate_request_context")
        exts = _extensions(r)
        return CertificateRequest(
            context=context,
            signature_algorithms=_sigalgs(exts.get(13), "signature_algorithms"),
            certificate_authorities=_ca_names(exts.get(47), "certificate_authorities"),
            certificate_types=(),
            extensions=_ext_names(exts),
        )
    types = r.vector(1, "certificate_types", minimum=1)
    algs = r.sub(2, "supported_signature_algorithms").uint_list(2, "signature_algorithms")
    cas = r.vector(2, "certificate_authorities")
    prefixed = len(cas).to_bytes(2, "big") + cas
    return CertificateRequest(
        context=b"",
        signature_algorithms=tuple(names.name_of(names.SIGNATURE_SCHEMES, a) for a in algs),
        certificate_authorities=_ca_names(prefixed, "certificate_authorities"),
        certificate_types=tuple(names.name_of(names.CERTIFICATE_TYPES, t) for t in types),
        extensions=(),
    )


def _certificate(r: Reader, tls13: bool) -> Certificate:
    context = r.vector(1, "certificate_request_context") if tls13 else b""
    entries = r.sub(3, "certificate_list")
    certs: list[x509.Certificate] = []
    while entries.remaining:
        der = entries.vector(3, "cert_data", minimum=1)
        if tls13:
            entries.vector(2, "CertificateEntry extensions")
        try:
            certs.append(parse_der_certificate(der))
        except ValueError as exc:
            raise entries.fail(f"certificate {len(certs)} is not DER X.509 ({exc})") from None
    return Certificate(context, tuple(certs))


def _certificate_verify(r: Reader, tls13: bool) -> CertificateVerify:
    scheme = names.name_of(names.SIGNATURE_SCHEMES, r.uint(2, "algorithm"))
    return CertificateVerify(scheme, r.vector(2, "signature"))


def _finished(r: Reader, tls13: bool) -> Finished:
    return Finished(r.rest())


def _server_key_exchange(r: Reader, tls13: bool) -> ServerKeyExchange:
    body = r.rest()
    ecdhe = Reader(body, r.what)
    if body[:1] == b"\x03":  # ECParameters.curve_type named_curve (RFC 8422 5.4)
        ecdhe.uint(1, "curve_type")
        group = names.name_of(names.GROUPS, ecdhe.uint(2, "namedcurve"))
        public = ecdhe.vector(1, "public", minimum=1)
        params = body[: len(body) - ecdhe.remaining]
        return _signed_params(ecdhe, group, public, params)
    dhe = Reader(body, r.what)  # ServerDHParams (RFC 5246 7.4.3)
    dhe.vector(2, "dh_p", minimum=1)
    dhe.vector(2, "dh_g", minimum=1)
    public = dhe.vector(2, "dh_Ys", minimum=1)
    return _signed_params(dhe, "dhe", public, body[: len(body) - dhe.remaining])


def _signed_params(r: Reader, group: str, public: bytes, params: bytes) -> ServerKeyExchange:
    scheme = names.name_of(names.SIGNATURE_SCHEMES, r.uint(2, "algorithm"))
    signature = r.vector(2, "signature")
    r.done()
    return ServerKeyExchange(group, public, params, scheme, signature)


def _client_key_exchange(r: Reader, tls13: bool) -> ClientKeyExchange:
    body = r.rest()
    if body and body[0] == len(body) - 1:
        return ClientKeyExchange(body[1:], "ecdhe")
    if len(body) >= 3 and int.from_bytes(body[:2], "big") == len(body) - 2:
        return ClientKeyExchange(body[2:], "rsa-or-dhe")
    return ClientKeyExchange(Reader(body, r.what).vector(1, "ecdh_Yc", minimum=1))


def _new_session_ticket(r: Reader, tls13: bool) -> NewSessionTicket:
    lifetime = r.uint(4, "ticket_lifetime")
    if tls13:
        r.uint(4, "ticket_age_add")
        r.vector(1, "ticket_nonce")
        ticket = r.vector(2, "ticket", minimum=1)
        _extensions(r)
    else:
        ticket = r.vector(2, "ticket")
    return NewSessionTicket(lifetime, ticket)


def _empty(r: Reader, tls13: bool) -> Opaque:
    return Opaque(r.rest())


_PARSERS: dict[int, Callable[[Reader, bool], Body]] = {
    1: _client_hello,
    2: _server_hello,
    4: _new_session_ticket,
    8: _encrypted_extensions,
    11: _certificate,
    12: _server_key_exchange,
    13: _certificate_request,
    15: _certificate_verify,
    16: _client_key_exchange,
    20: _finished,
}
