"""Mutual TLS end to end: both sides present a certificate, both sides sign the handshake.

In ordinary HTTPS only the server proves who it is. In mutual TLS the server
also sends a CertificateRequest; the client answers with its own chain and a
CertificateVerify signature, and the server validates that chain against its
*own* client truststore (here: the client-authentication hierarchy of the
running example, a separate root from the server side).

* :func:`check_mutual` - pure: one captured handshake in, a :class:`MutualTLS`
  out. Both handshake signatures are verified independently
  (:mod:`pkiviz.tls.signatures`) and both chains validated by
  :func:`pkiviz.validation.validate` (``purpose="server"`` for the server's,
  ``purpose="client"`` for the client's).
* :func:`mtls_handshake` - the running example, live on 127.0.0.1, then
  :func:`check_mutual`.
* :meth:`MutualTLS.picture` / :func:`symmetric_picture` - the symmetric
  picture, server side beside client side, every cell read from the capture.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz.net.live import Session, Version, client_context, run_handshake, server_context
from pkiviz.table import Table
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import Sender
from pkiviz.tls.signatures import (
    SignatureCheck,
    verify_certificate_verify,
    verify_server_signature,
)
from pkiviz.validation import Report, validate
from pkiviz.x509 import der
from pkiviz.x509.example import RunningExample, running_example
from pkiviz.x509.factory import Issued
from pkiviz.x509.keys import key_type_of

TrustAnchor = x509.Certificate | Issued


@dataclasses.dataclass(frozen=True)
class MutualTLS:
    """One mutual-TLS handshake and pkiviz's independent verdicts on both sides.

    Build it with :func:`check_mutual` or :func:`mtls_handshake`.

    Attributes:
        handshake: the capture the verdicts were computed from.
        server_signature: the server's handshake signature (TLS 1.3
            CertificateVerify, TLS 1.2 ServerKeyExchange), verified with the
            key in the server's certificate.
        client_signature: the client's CertificateVerify, verified with the
            key in the client's certificate.
        server_chain: the server's chain validated for ``purpose="server"``
            against the client's trust store.
        client_chain: the client's chain validated for ``purpose="client"``
            against the server's own client truststore.
        session: the live session, if :func:`mtls_handshake` made one.
    """

    handshake: Handshake
    server_signature: SignatureCheck
    client_signature: SignatureCheck
    server_chain: Report
    client_chain: Report
    session: Session | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def verified(self) -> bool:
        """Both signatures verify and both chains are valid."""
        return (
            self.server_signature.verified
            and self.client_signature.verified
            and self.server_chain.valid
            and self.client_chain.valid
        )

    def picture(self) -> Table:
        """The symmetric picture: one row per aspect, server side beside client side."""
        return _picture(self)

    def text(self) -> str:
        """The picture as plain text."""
        return self.picture().text()

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.picture()._repr_html_()


def check_mutual(
    handshake: Handshake,
    *,
    server_trust: Sequence[TrustAnchor],
    client_trust: Sequence[TrustAnchor],
    peer_name: str | None = None,
    at: _dt.datetime,
    session: Session | None = None,
) -> MutualTLS:
    """Verify both handshake signatures and validate both chains of one mTLS handshake.

    Args:
        handshake: a captured handshake in which both sides sent a certificate.
        server_trust: the client's trust anchors (for the server's chain).
        client_trust: the server's own client truststore (for the client's chain).
        peer_name: the server name the client asked for (checked against the
            server certificate's SAN); ``None`` skips that check.
        at: the validation time.
        session: the live session the handshake came from, kept for display.

    Returns:
        The verdicts.

    Raises:
        ValueError: the handshake lacks a side's certificate or signature.
    """
    server_chain = handshake.server_certificates
    client_chain = handshake.client_certificates
    if not server_chain:
        raise ValueError("the handshake has no server certificate")
    if not client_chain:
        raise ValueError("the client sent no certificate: this is not a mutual-TLS handshake")
    server_sig = verify_server_signature(handshake)
    if server_sig is None:
        raise ValueError("the server signed nothing in this handshake")
    client_sig = verify_certificate_verify(handshake, "client")
    server_report = validate(
        server_chain[0],
        intermediates=server_chain[1:],
        trust_anchors=tuple(server_trust),
        peer_name=peer_name,
        at=at,
        purpose="server",
    )
    client_report = validate(
        client_chain[0],
        intermediates=client_chain[1:],
        trust_anchors=tuple(client_trust),
        at=at,
        purpose="client",
    )
    return MutualTLS(handshake, server_sig, client_sig, server_report, client_report, session)


def mtls_handshake(
    *,
    example: RunningExample | None = None,
    key: str = "ec-p256",
    version: Version | None = "1.3",
    wire: bool = False,
    timeout: float = 5.0,
) -> MutualTLS:
    """Run the running example's mutual-TLS handshake on 127.0.0.1 and check both sides.

    The server (``login.example.com``) trusts only the client-authentication
    root for client certificates; the client trusts only the server-side root
    and presents Alice's clientAuth certificate.

    Args:
        example: the certificates; default the deterministic running example
            (valid against the real clock until 2044, so a live handshake can
            use it, and its keys - hence fingerprints - are the same on every run).
        key: key type of the default example's leaves.
        version: ``"1.3"``, ``"1.2"`` or ``None`` (negotiate).
        wire: also capture from the wire with the key log (``session.wire``).
        timeout: seconds per socket operation.

    Returns:
        The verdicts, computed from the client's capture; ``session`` holds
        both captures.
    """
    ex = example if example is not None else running_example(key=key)
    server_ctx = server_context(ex.server, version=version, client_ca=ex.client_root)
    client_ctx = client_context(ex.root, version=version, client=ex.client)
    session = run_handshake(
        server_ctx, client_ctx, server_hostname=ex.hostname, wire=wire, timeout=timeout
    )
    if session.client.error or session.server.error:
        raise RuntimeError(
            f"the mutual-TLS handshake failed: client {session.client.error!r}, "
            f"server {session.server.error!r}"
        )
    return check_mutual(
        session.client,
        server_trust=(ex.root,),
        client_trust=(ex.client_root,),
        peer_name=ex.hostname,
        at=session.at,
        session=session,
    )


def symmetric_picture(
    handshake: Handshake,
    *,
    server_trust: Sequence[TrustAnchor],
    client_trust: Sequence[TrustAnchor],
    peer_name: str | None = None,
    at: _dt.datetime,
) -> Table:
    """The symmetric picture of one captured mTLS handshake (see :func:`check_mutual`).

    Returns:
        A table with the columns ``aspect``, ``server side``, ``client side``.
    """
    return check_mutual(
        handshake, server_trust=server_trust, client_trust=client_trust,
        peer_name=peer_name, at=at,
    ).picture()  # fmt: skip


# --- tables ----------------------------------------------------------------------

#: The messages only mutual TLS has (the dashed arrows of Figure 2).
MTLS_ONLY = frozenset(
    {("server", "CertificateRequest"), ("client", "Certificate"), ("client", "CertificateVerify")}
)


def message_table(handshake: Handshake) -> Table:
    """The handshake's messages, marking the ones only mutual TLS has.

    Nothing live is shown (no randoms, no signature lengths), so the table is
    the same on every run.

    Args:
        handshake: a captured handshake.

    Returns:
        Columns: #, direction, message, on the wire, only in mTLS.
    """
    rows = []
    for i, m in enumerate(handshake.messages, 1):
        arrow = "client -> server" if m.sender == "client" else "server -> client"
        name = m.type
        if m.type == "Certificate" and not handshake.certificates(m.sender):
            name += " (empty)"
        if m.type == "Alert":
            name += f" {m.summary}"
        rows.append(
            (
                str(i),
                arrow,
                name,
                "encrypted" if m.encrypted else "plaintext",
                "yes" if (m.sender, m.type) in MTLS_ONLY else "",
            )
        )
    return Table(
        ("#", "direction", "message", "on the wire", "only in mTLS"),
        tuple(rows),
        caption=f"{handshake.version or 'TLS'} {handshake.cipher or ''}, captured at the "
        f"{handshake.perspective}",
    )


# --- the picture ------------------------------------------------------------------


def spki_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of a certificate's SubjectPublicKeyInfo, colon-separated upper-case hex."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return ":".join(f"{b:02X}" for b in hashlib.sha256(spki).digest())


def _cn(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _eku(cert: x509.Certificate) -> str:
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return "(none: any purpose)"
    return ", ".join(der.oid_name(oid.dotted_string) for oid in ext.value)


def _verdict(report: Report) -> str:
    first = report.first_failure
    if report.valid:
        return f"valid (purpose={report.purpose})"
    return f"INVALID (purpose={report.purpose}): {first.message if first else 'no path'}"


def _anchor(report: Report) -> str:
    return _cn(report.path[-1].subject) if report.path else "(none reached)"


def _signed_over(check: SignatureCheck) -> str:
    if check.context is not None:
        return f"{check.hash_name}(transcript) with context {check.context.decode()!r}"
    if check.message == "ServerKeyExchange":
        return "client random + server random + key-exchange parameters"
    return f"every handshake message so far ({len(check.covers)} messages)"


def _side(mutual: MutualTLS, side: Sender) -> tuple[str, ...]:
    server = side == "server"
    check = mutual.server_signature if server else mutual.client_signature
    report = mutual.server_chain if server else mutual.client_chain
    leaf = mutual.handshake.certificates(side)[0]
    other = "client" if server else "server"
    store = "its trust store" if server else "its own client truststore"
    proves = f"the other end holds {_cn(leaf.subject)}'s private key: the real {side}"
    return (
        _cn(leaf.subject),
        _cn(leaf.issuer),
        _eku(leaf),
        f"the {other}, against {store}",
        _anchor(report),
        _verdict(report),
        f"the {side}'s private key ({check.message})",
        f"{key_type_of(leaf.public_key())}, SPKI SHA-256 {spki_sha256(leaf)[:23]}...",  # type: ignore[arg-type]
        check.scheme,
        _signed_over(check),
        f"the {other}, with the public key in the {side}'s certificate",
        "yes" if check.verified else f"NO: {check.reason}",
        proves,
    )


_ASPECTS = (
    "certificate (subject CN)",
    "issued by",
    "extended key usage",
    "chain validated by",
    "trust anchor reached",
    "pkiviz's verdict on the chain",
    "handshake signed with",
    "signing key (from the certificate)",
    "signature scheme",
    "what was signed",
    "signature checked by",
    "signature verified (pkiviz)",
    "what it proves",
)


def _picture(mutual: MutualTLS) -> Table:
    server, client = _side(mutual, "server"), _side(mutual, "client")
    version = mutual.handshake.version or "TLS"
    return Table(
        ("aspect", "server side (HTTPS and mTLS)", "client side (mTLS only)"),
        tuple(zip(_ASPECTS, server, client, strict=True)),
        caption=f"The symmetric picture, from one captured {version} mutual-TLS handshake",
    )
