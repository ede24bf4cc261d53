"""Signature two, verified independently: the handshake signature of each side.

The certificate chain (signature one) says *whose* key this is; the handshake
signature says the peer *holds* that key, now, in this handshake. pkiviz
recomputes exactly what was signed from the captured messages and checks the
signature with the public key from the signer's certificate, without asking
OpenSSL:

* TLS 1.3 CertificateVerify (RFC 8446 4.4.3): 64 spaces (0x20), the context
  string ``"TLS 1.3, server CertificateVerify"`` (or ``client``), a 0x00 byte,
  then Transcript-Hash(ClientHello ... Certificate) with the suite's hash. After
  a HelloRetryRequest the first ClientHello is replaced by the synthetic
  ``message_hash`` message (RFC 8446 4.4.1).
* TLS 1.2 ServerKeyExchange (RFC 5246 7.4.3, RFC 8422 5.4): client_random +
  server_random + ServerECDHParams.
* TLS 1.2 client CertificateVerify (RFC 5246 7.4.8): every handshake message
  so far, concatenated.

Each result is a :class:`SignatureCheck` showing the bytes that were signed.
:func:`flip_byte` makes a tampered copy of a handshake for the negative
control: one flipped transcript byte and the same signature no longer verifies.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from pkiviz import vocabulary
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import (
    CertificateVerify,
    ClientHello,
    Message,
    Sender,
    ServerHello,
    ServerKeyExchange,
    parse_message,
)
from pkiviz.tls.names import hash_name_of_suite
from pkiviz.vocabulary import HASHES

PAD = b"\x20" * 64
CONTEXTS: dict[Sender, bytes] = {
    "server": b"TLS 1.3, server CertificateVerify",
    "client": b"TLS 1.3, client CertificateVerify",
}
_CURVES = {"secp256r1": "sha256", "secp384r1": "sha384", "secp521r1": "sha512"}
_NOT_IN_TRANSCRIPT = {"NewSessionTicket", "KeyUpdate", "HelloRequest"}


@dataclasses.dataclass(frozen=True)
class SignatureCheck:
    """One handshake signature and pkiviz's independent verdict on it.

    Attributes:
        message: the signed message type (``"CertificateVerify"`` or
            ``"ServerKeyExchange"``).
        signer: ``"server"`` or ``"client"``.
        version: the TLS version.
        scheme: the signature scheme, e.g. ``"ecdsa_secp256r1_sha256"``.
        context: the TLS 1.3 context string, ``None`` in TLS 1.2.
        hash_name: the transcript hash (TLS 1.3), ``None`` in TLS 1.2.
        transcript_hash: Transcript-Hash(...) (TLS 1.3), ``None`` in TLS 1.2.
        covers: the messages whose bytes the signature covers, in order.
        signed_content: exactly the bytes the signature is over.
        signature: the signature.
        signer_certificate: the certificate whose key should have signed.
        verified: whether the signature verifies over ``signed_content``.
        reason: why (one line).
    """

    message: str
    signer: Sender
    version: str
    scheme: str
    context: bytes | None
    hash_name: str | None
    transcript_hash: bytes | None
    covers: tuple[str, ...]
    signed_content: bytes = dataclasses.field(repr=False)
    signature: bytes = dataclasses.field(repr=False)
    signer_certificate: x509.Certificate | None = dataclasses.field(repr=False)
    verified: bool
    reason: str

    @property
    def signer_name(self) -> str:
        """The signer certificate's subject (RFC 4514), or ``"(none)"``."""
        if self.signer_certificate is None:
            return "(none)"
        return self.signer_certificate.subject.rfc4514_string()

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready: ``message``, ``scheme``, ``verified``, the signed bytes in hex, ..."""
        return {
            "message": self.message,
            "signer": self.signer,
            "scheme": self.scheme,
            "verified": self.verified,
            "reason": self.reason,
            "context": self.context.decode("ascii") if self.context is not None else None,
            "hash": self.hash_name,
            "transcript_hash": self.transcript_hash.hex() if self.transcript_hash else None,
            "covers": list(self.covers),
            "signed_content_length": len(self.signed_content),
            "signer_certificate": self.signer_name,
        }

    def text(self) -> str:
        """A few lines: what was signed, by whom, and the verdict."""
        verdict = "VERIFIED" if self.verified else "NOT VERIFIED"
        lines = [f"{self.signer} {self.message} ({self.version}, {self.scheme}): {verdict}"]
        lines.append(f"  signer: {self.signer_name}")
        if self.context is not None and self.transcript_hash is not None:
            lines.append(
                f"  signed: 64 x 0x20 | {self.context.decode()!r} | 0x00 | "
                f"{self.hash_name}(transcript) = {self.transcript_hash.hex()}"
            )
        else:
            lines.append(f"  signed: {len(self.signed_content)} bytes")
        lines.append(f"  covers: {', '.join(self.covers)}")
        lines.append(f"  reason: {self.reason}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        colour = "green" if self.verified else "crimson"
        verdict = "verified" if self.verified else "NOT verified"
        if self.context is not None and self.transcript_hash is not None:
            signed = (
                f"<code>20 &times; 64</code> | <code>{html.escape(self.context.decode())}</code>"
                f" | <code>00</code> | {self.hash_name}(transcript) = "
                f"<code>{self.transcript_hash.hex()}</code>"
            )
        else:
            signed = f"{len(self.signed_content)} bytes: {html.escape(', '.join(self.covers))}"
        rows = [
            ("message", f"{self.signer} {self.message} ({self.version})"),
            ("scheme", self.scheme),
            ("signer certificate", html.escape(self.signer_name)),
            ("signed bytes", signed),
            ("covers", html.escape(", ".join(self.covers))),
            ("verdict", f'<b style="color:{colour}">{verdict}</b>: {html.escape(self.reason)}'),
        ]
        body = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"


# --- transcript ---------------------------------------------------------------


def transcript_messages(handshake: Handshake, before: Message) -> tuple[Message, ...]:
    """The handshake messages that precede ``before`` in the transcript.

    Args:
        handshake: the handshake.
        before: the message whose transcript this is (excluded).

    Returns:
        The handshake-layer messages before it (no ChangeCipherSpec, alerts or
        NewSessionTicket), in order.
    """
    end = handshake.index(before)
    return tuple(
        m for m in handshake.messages[:end] if m.is_handshake and m.type not in _NOT_IN_TRANSCRIPT
    )


def transcript_hash(messages: tuple[Message, ...], hash_name: str) -> bytes:
    """RFC 8446 4.4.1 Transcript-Hash, with the HelloRetryRequest rule.

    If the second message is a HelloRetryRequest, the first ClientHello is
    replaced by ``message_hash`` (type 254, length Hash.length, Hash(CH1)).

    Args:
        messages: the transcript messages.
        hash_name: ``"sha256"`` or ``"sha384"``.

    Returns:
        The digest.
    """
    parts = [m.raw for m in messages]
    if len(messages) >= 2 and messages[1].type == "HelloRetryRequest":
        inner = hashlib.new(hash_name, parts[0]).digest()
        parts[0] = bytes([254, 0, 0, len(inner)]) + inner
    return hashlib.new(hash_name, b"".join(parts)).digest()


def tls13_signed_content(context: bytes, digest: bytes) -> bytes:
    """RFC 8446 4.4.3: 64 spaces, the context string, 0x00, the transcript hash."""
    return PAD + context + b"\x00" + digest


# --- verification ---------------------------------------------------------------


def verify_certificate_verify(handshake: Handshake, signer: Sender = "server") -> SignatureCheck:
    """Verify ``signer``'s CertificateVerify (TLS 1.3 or TLS 1.2 client).

    Args:
        handshake: a captured handshake.
        signer: ``"server"`` (TLS 1.3) or ``"client"`` (mTLS, 1.3 or 1.2).

    Returns:
        The check.

    Raises:
        ValueError: the handshake has no such CertificateVerify.
    """
    msg = handshake.find("CertificateVerify", signer)
    if msg is None or not isinstance(msg.body, CertificateVerify):
        raise ValueError(f"the handshake has no {signer} CertificateVerify")
    covered = transcript_messages(handshake, msg)
    version = handshake.version or "unknown"
    if handshake.tls13:
        hash_name = hash_name_of_suite(handshake.cipher or "")
        digest = transcript_hash(covered, hash_name)
        content = tls13_signed_content(CONTEXTS[signer], digest)
        context: bytes | None = CONTEXTS[signer]
    else:
        hash_name, digest, context = None, None, None
        content = b"".join(m.raw for m in covered)
    return _check(
        handshake, "CertificateVerify", signer, version, msg.body.scheme, msg.body.signature,
        context, hash_name, digest, covered, content,
    )  # fmt: skip


def verify_server_key_exchange(handshake: Handshake) -> SignatureCheck:
    """Verify a TLS 1.2 ServerKeyExchange signature.

    Args:
        handshake: a TLS 1.2 handshake with (EC)DHE key exchange.

    Returns:
        The check.

    Raises:
        ValueError: no ServerKeyExchange, or no hellos to take the randoms from.
    """
    ske = handshake.find("ServerKeyExchange", "server")
    hello = handshake.find("ClientHello", "client")
    server_hello = handshake.find("ServerHello", "server")
    if ske is None or not isinstance(ske.body, ServerKeyExchange):
        raise ValueError("the handshake has no ServerKeyExchange")
    if hello is None or server_hello is None:
        raise ValueError("the handshake lacks a ClientHello or ServerHello")
    assert isinstance(hello.body, ClientHello) and isinstance(server_hello.body, ServerHello)
    content = hello.body.random + server_hello.body.random + ske.body.params
    covers = ("ClientHello.random", "ServerHello.random", "ServerKeyExchange params")
    return _check(
        handshake, "ServerKeyExchange", "server", handshake.version or "unknown",
        ske.body.scheme, ske.body.signature, None, None, None, (), content, covers=covers,
    )  # fmt: skip


def verify_server_signature(handshake: Handshake) -> SignatureCheck | None:
    """The server's handshake signature: TLS 1.3 CertificateVerify or TLS 1.2 ServerKeyExchange.

    Args:
        handshake: a captured handshake.

    Returns:
        The check, or ``None`` if the server signed nothing (the handshake
        failed first, or TLS 1.2 RSA key transport).
    """
    if handshake.tls13 and handshake.find("CertificateVerify", "server"):
        return verify_certificate_verify(handshake, "server")
    if not handshake.tls13 and handshake.find("ServerKeyExchange", "server"):
        return verify_server_key_exchange(handshake)
    return None


def verify_all(handshake: Handshake) -> tuple[SignatureCheck, ...]:
    """Every handshake signature in ``handshake``: the server's, then the client's."""
    out = []
    server = verify_server_signature(handshake)
    if server is not None:
        out.append(server)
    if handshake.find("CertificateVerify", "client"):
        out.append(verify_certificate_verify(handshake, "client"))
    return tuple(out)


def _check(
    handshake: Handshake,
    message: str,
    signer: Sender,
    version: str,
    scheme: str,
    signature: bytes,
    context: bytes | None,
    hash_name: str | None,
    digest: bytes | None,
    covered: tuple[Message, ...],
    content: bytes,
    *,
    covers: tuple[str, ...] | None = None,
) -> SignatureCheck:
    chain = handshake.certificates(signer)
    cert = chain[0] if chain else None
    if cert is None:
        ok, reason = False, f"the {signer} sent no certificate to take a public key from"
    else:
        ok, reason = verify_signature(
            cert.public_key(), scheme, signature, content, tls13=handshake.tls13
        )
    return SignatureCheck(
        message=message,
        signer=signer,
        version=version,
        scheme=scheme,
        context=context,
        hash_name=hash_name,
        transcript_hash=digest,
        covers=covers if covers is not None else tuple(f"{m.sender} {m.type}" for m in covered),
        signed_content=content,
        signature=signature,
        signer_certificate=cert,
        verified=ok,
        reason=reason,
    )


def verify_signature(
    public_key: Any, scheme: str, signature: bytes, content: bytes, *, tls13: bool
) -> tuple[bool, str]:
    """Verify ``signature`` over ``content`` under a TLS signature scheme.

    Args:
        public_key: the signer's public key (from its certificate).
        scheme: the SignatureScheme name.
        signature: the signature bytes.
        content: the signed bytes.
        tls13: apply TLS 1.3's rules (ECDSA curve bound to the scheme; no
            PKCS#1 v1.5 in CertificateVerify).

    Returns:
        ``(verified, reason)``.
    """
    try:
        if scheme in ("ed25519", "ed448"):
            cls = ed25519.Ed25519PublicKey if scheme == "ed25519" else ed448.Ed448PublicKey
            if not isinstance(public_key, cls):
                return False, f"{scheme} signature but the certificate key is {_kind(public_key)}"
            checked = vocabulary.verify_signature(public_key, signature, content)
        elif scheme.startswith("ecdsa_"):
            if not isinstance(public_key, ec.EllipticCurvePublicKey):
                return False, f"{scheme} signature but the certificate key is {_kind(public_key)}"
            hash_name = scheme.rsplit("_", 1)[1]
            curve = scheme.split("_")[1] if scheme.count("_") == 2 else None
            if tls13 and curve is not None and curve != public_key.curve.name:
                return (
                    False,
                    f"{scheme} needs a {curve} key, the certificate has {_kind(public_key)}",
                )
            checked = vocabulary.verify_signature(
                public_key, signature, content, hash_algorithm=HASHES[hash_name]()
            )
        elif scheme.startswith(("rsa_pss_", "rsa_pkcs1_")):
            if not isinstance(public_key, rsa.RSAPublicKey):
                return False, f"{scheme} signature but the certificate key is {_kind(public_key)}"
            algorithm = HASHES[scheme.rsplit("_", 1)[1]]()
            if scheme.startswith("rsa_pkcs1_"):
                if tls13:
                    return False, f"{scheme} is not allowed in a TLS 1.3 CertificateVerify"
                pad: padding.AsymmetricPadding = padding.PKCS1v15()
            else:
                pad = padding.PSS(padding.MGF1(algorithm), algorithm.digest_size)
            checked = vocabulary.verify_signature(
                public_key, signature, content, hash_algorithm=algorithm, padding=pad
            )
        else:
            return False, f"pkiviz cannot verify signature scheme {scheme}"
    except KeyError as exc:
        return False, f"cannot verify {scheme}: {exc}"
    if checked.outcome == "invalid":
        return False, (
            f"the signature does not verify with the {_kind(public_key)} key in the certificate "
            "over these bytes"
        )
    if not checked:
        return False, f"cannot verify {scheme}: {checked.detail}"
    return True, f"valid {scheme} signature by the certificate's {_kind(public_key)} key"


def _kind(public_key: Any) -> str:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}"
    if isinstance(public_key, rsa.RSAPublicKey):
        return f"RSA-{public_key.key_size}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448"
    return type(public_key).__name__


# --- tampering (the negative control) -----------------------------------------


def flip_byte(handshake: Handshake, index: int = 0, offset: int = 10) -> Handshake:
    """A copy of ``handshake`` with one bit pattern flipped in one message's bytes.

    The default flips a byte of the ClientHello's random, which every
    handshake signature covers. The message is re-parsed if it still parses;
    otherwise its parsed fields are kept and only the raw bytes change.

    Args:
        handshake: the original (not modified).
        index: which message (position in ``handshake.messages``).
        offset: which byte of that message's raw bytes (XOR 0xFF).

    Returns:
        The tampered handshake.

    Raises:
        IndexError: no such message or byte.
    """
    msg = handshake.messages[index]
    if not 0 <= offset < len(msg.raw):
        raise IndexError(f"message {index} has {len(msg.raw)} bytes; no byte {offset}")
    raw = bytearray(msg.raw)
    raw[offset] ^= 0xFF
    try:
        new = parse_message(
            msg.sender, msg.content_type, bytes(raw), encrypted=msg.encrypted, tls13=handshake.tls13
        )
        new = dataclasses.replace(new, type=msg.type)
    except ValueError:
        new = dataclasses.replace(msg, raw=bytes(raw))
    messages = (*handshake.messages[:index], new, *handshake.messages[index + 1 :])
    return dataclasses.replace(handshake, messages=messages)
