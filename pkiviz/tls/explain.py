"""The live handshake, explained in tables that show structure and never live values.

A live handshake is new every time: fresh randoms, key shares, signatures,
tickets. A chapter that printed those bytes could not compare its output
from one run to the next. The views here read a captured
:class:`~pkiviz.tls.handshake.Handshake` (and the verdicts of
:mod:`pkiviz.tls.signatures`) and keep only what does not change between runs:
message order and types, senders, which messages were encrypted, which bytes a
signature covers and how long fixed-size fields are, and verdicts.

* :func:`message_table` - who sent what, encrypted or not, and what the
  signer's handshake signature covers.
* :func:`signed_layout` - the exact layout of the bytes a handshake signature
  is over (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange).
* :func:`compare_signatures` - TLS 1.3 and TLS 1.2 side by side.
* :func:`both_signatures` - signature one (the chain, from a validation
  report) beside signature two (the handshake).
* :func:`tamper_each` - flip one byte in each message: which flips break the
  signature.
* :func:`hello_retry_rule` - the ``message_hash`` rule after a
  HelloRetryRequest, with the naive transcript as the control.
* :func:`compare_captures` - the same handshake from several capture paths.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from pkiviz.table import Table
from pkiviz.tls import names
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import (
    Alert,
    Certificate,
    CertificateRequest,
    CertificateVerify,
    ClientHello,
    ClientKeyExchange,
    EncryptedExtensions,
    Finished,
    Message,
    NewSessionTicket,
    Sender,
    ServerHello,
    ServerKeyExchange,
)
from pkiviz.tls.signatures import (
    CONTEXTS,
    SignatureCheck,
    flip_byte,
    tls13_signed_content,
    transcript_messages,
    verify_certificate_verify,
    verify_server_signature,
    verify_signature,
)

if TYPE_CHECKING:
    from pkiviz.validation import Report

#: Where :func:`tamper_each` flips a byte in the two hellos: inside their random.
RANDOM_OFFSET = 10
_RANDOM_START = 6  # 4-byte handshake header + 2-byte legacy_version
_HELLO_RANDOM = {"ClientHello": "ClientHello.random", "ServerHello": "ServerHello.random"}


def stable_summary(message: Message) -> str:
    """One line describing ``message`` without any value that changes from run to run.

    Randoms, key shares, signatures, MACs and tickets are left out; so are
    lengths that vary (an ECDSA signature is 70 to 72 bytes). Lengths fixed by
    the negotiated algorithms (a 48-byte Finished under SHA-384) stay. The
    tables here and the detail lines of Figure 2
    (:mod:`pkiviz.draw.sequence`) both use it.

    Args:
        message: a captured message.

    Returns:
        The line (may be empty, e.g. for ChangeCipherSpec).
    """
    body = message.body
    if isinstance(body, CertificateVerify):
        return f"{body.scheme} signature"
    if isinstance(body, Finished):
        return f"{len(body.verify_data)}-byte MAC of the transcript"
    if isinstance(body, NewSessionTicket):
        return f"lifetime {body.lifetime} s"
    if isinstance(body, ServerKeyExchange):
        return f"{body.group} key share, signed {body.scheme}"
    if isinstance(body, ClientKeyExchange):
        if body.kind == "ecdhe":
            return f"{len(body.public)}-byte key share"
        # RSA's encrypted premaster secret has the key's length, but a DHE value
        # may be sent without its leading zero bytes, so its length can change
        # from run to run - and one message cannot say which of the two it is.
        return "encrypted premaster secret or DH value"
    if isinstance(
        body,
        ClientHello | ServerHello | EncryptedExtensions | Certificate | CertificateRequest | Alert,
    ):
        return body.summary()
    return ""


def _coverage(handshake: Handshake, signer: Sender) -> dict[int, str]:
    """Message index -> what ``signer``'s handshake signature does with it."""
    out: dict[int, str] = {}
    if handshake.tls13 or signer == "client":
        signed = handshake.find("CertificateVerify", signer)
        if signed is None:
            return out
        covered = transcript_messages(handshake, signed)
        hrr = len(covered) >= 2 and covered[1].type == "HelloRetryRequest"
        for position, m in enumerate(covered):
            note = "as message_hash" if hrr and handshake.tls13 and position == 0 else ""
            out[handshake.index(m)] = f"signed {note}".strip()
        out[handshake.index(signed)] = "the signature"
        return out
    ske = handshake.find("ServerKeyExchange", "server")
    if ske is None:
        return out
    for kind in ("ClientHello", "ServerHello"):
        hello = handshake.find(kind, "client" if kind == "ClientHello" else "server")
        if hello is not None:
            out[handshake.index(hello)] = "random only"
    out[handshake.index(ske)] = "params + the signature"
    return out


def message_table(handshake: Handshake, *, signer: Sender = "server", caption: str = "") -> Table:
    """The handshake as a table: who sent what, encrypted or not, and what is signed.

    Args:
        handshake: a captured handshake.
        signer: whose handshake signature the ``signed by ...`` column describes.
        caption: the table's caption; default names version, cipher and capture point.

    Returns:
        One row per message, in capture order.
    """
    coverage = _coverage(handshake, signer)
    rows = tuple(
        (
            str(i),
            "client -> server" if m.sender == "client" else "server -> client",
            m.type,
            "encrypted" if m.encrypted else "plaintext",
            coverage.get(i - 1, "no"),
            stable_summary(m),
        )
        for i, m in enumerate(handshake.messages, 1)
    )
    if not caption:
        caption = (
            f"{handshake.version or 'no version'} {handshake.cipher or ''}".strip()
            + f", captured at the {handshake.perspective}"
        )
        if handshake.error:
            caption += f"; failed: {handshake.error}"
    return Table(
        ("#", "direction", "message", "on the wire", f"{signer}'s signature", "details"),
        rows,
        caption,
    )


def _span(start: int, length: int) -> tuple[str, str]:
    return f"[{start}, {start + length})", str(length)


def signed_layout(check: SignatureCheck) -> Table:
    """The bytes a handshake signature is over, part by part, without their live values.

    Args:
        check: a verdict from :mod:`pkiviz.tls.signatures`.

    Returns:
        Rows of (byte range, length, part, what it holds); the lengths add up
        to ``len(check.signed_content)``.
    """
    content = check.signed_content
    rows: list[tuple[str, ...]] = []
    if check.context is not None and check.transcript_hash is not None:
        pad = len(content) - len(check.context) - 1 - len(check.transcript_hash)
        hash_name = (check.hash_name or "").upper().replace("SHA", "SHA-")
        first, last = check.covers[0].split()[-1], check.covers[-1].split()[-1]
        rows += [
            (*_span(0, pad), "padding", f"{pad} x 0x20 (spaces)"),
            (*_span(pad, len(check.context)), "context string", repr(check.context.decode())),
            (*_span(pad + len(check.context), 1), "separator", "0x00"),
            (
                *_span(pad + len(check.context) + 1, len(check.transcript_hash)),
                "transcript hash",
                f"{hash_name} of {len(check.covers)} messages, {first} ... {last}"
                " (new every handshake)",
            ),
        ]
    elif check.message == "ServerKeyExchange":
        rows += [
            (*_span(0, 32), "client_random", "from ClientHello (new every handshake)"),
            (*_span(32, 32), "server_random", "from ServerHello (new every handshake)"),
        ]
        params = content[64:]
        if params[:1] == b"\x03" and len(params) >= 4:
            group = names.name_of(names.GROUPS, int.from_bytes(params[1:3], "big"))
            size = params[3]
            rows += [
                (*_span(64, 1), "curve_type", "0x03 named_curve"),
                (*_span(65, 2), "named curve", f"0x{params[1:3].hex()} {group}"),
                (*_span(67, 1), "public key length", str(size)),
                (
                    *_span(68, size),
                    "ephemeral public key",
                    f"the server's {group} key share (new every handshake)",
                ),
            ]
        else:
            rows.append((*_span(64, len(params)), "ServerDHParams", "p, g and the server's Ys"))
    else:
        start = 0
        for label in check.covers:
            length = 4 + int.from_bytes(content[start + 1 : start + 4], "big")
            rows.append((*_span(start, length), label, "the whole message"))
            start += length
    return Table(
        ("bytes", "length", "part", "holds"),
        tuple(rows),
        f"signed by the {check.signer} in {check.message} ({check.version}): {len(content)} bytes",
    )


def _formula(check: SignatureCheck) -> str:
    if check.context is not None:
        hash_name = (check.hash_name or "").upper().replace("SHA", "SHA-")
        return f"64 x 0x20 | context string | 0x00 | {hash_name}(transcript)"
    if check.message == "ServerKeyExchange":
        return "client_random | server_random | ServerECDHParams"
    return "every handshake message so far"


def compare_signatures(*checks: SignatureCheck) -> Table:
    """Handshake signatures side by side, one column each (e.g. TLS 1.3 and TLS 1.2).

    Args:
        checks: verdicts from :mod:`pkiviz.tls.signatures`.

    Returns:
        One row per property: where the signature is, what it is over, how
        long that is, what it covers, whether that includes the certificate,
        and the verdict.
    """

    def cert_covered(c: SignatureCheck) -> str:
        return "yes" if any(label.endswith(" Certificate") for label in c.covers) else "no"

    properties = (
        ("signed in", lambda c: f"{c.signer} {c.message}"),
        ("scheme", lambda c: c.scheme),
        ("signed bytes", _formula),
        ("length", lambda c: f"{len(c.signed_content)} bytes"),
        ("covers", lambda c: ", ".join(c.covers)),
        ("covers the certificate", cert_covered),
        ("verdict", lambda c: _verdict(c.verified)),
    )
    rows = tuple((name, *(get(c) for c in checks)) for name, get in properties)
    return Table(("", *(c.version for c in checks)), rows)


def both_signatures(report: Report, check: SignatureCheck) -> Table:
    """Signature one (each link of the chain) beside signature two (the handshake).

    Args:
        report: :func:`pkiviz.validation.validate`'s report on the peer's chain.
        check: the peer's handshake signature, verified independently.

    Returns:
        One row per signature: which, who signed, over what, checked with which
        key, and the verdict.
    """
    subjects = report.path_subjects
    words = {"pass": "verified", "fail": "NOT verified", "skipped": "not relied on"}
    rows: list[tuple[str, ...]] = []
    for c in report.by_check("signature"):
        index = c.certificate.index if c.certificate is not None else None
        if index is None:
            continue
        subject = subjects[index]
        if index + 1 < len(subjects):
            signer, key = subjects[index + 1], f"public key of {subjects[index + 1]}"
        else:
            signer, key = subject, "(trust anchor: trusted as given)"
        rows.append(("one", signer, f"the TBSCertificate of {subject}", key, words[c.status]))
    rows.append(
        (
            "two",
            check.signer_name,
            f"this handshake ({check.message}, {check.version})",
            f"public key in the {check.signer}'s certificate",
            _verdict(check.verified),
        )
    )
    chain = "valid" if report.valid else f"INVALID ({report.first_failure})"
    return Table(
        ("signature", "signed by", "over", "checked with", "verdict"),
        tuple(rows),
        f"chain: {chain}; handshake signature: {_verdict(check.verified)}",
    )


def _verify(handshake: Handshake, signer: Sender) -> SignatureCheck | None:
    if signer == "server":
        return verify_server_signature(handshake)
    return verify_certificate_verify(handshake, signer)


def tamper_each(handshake: Handshake, *, signer: Sender = "server") -> Table:
    """Flip one byte in each handshake message, one at a time, and re-verify.

    In the two hellos the flipped byte is inside the random (offset
    :data:`RANDOM_OFFSET`); in every other message it is the last byte. The
    first row is the control: the untouched handshake.

    Args:
        handshake: a captured handshake in which ``signer`` signed.
        signer: whose handshake signature to re-verify.

    Returns:
        One row per handshake message: where the byte was flipped, whether the
        signature covers it, and the verdict.

    Raises:
        ValueError: ``signer`` signed nothing in this handshake.
    """
    control = _verify(handshake, signer)
    if control is None:
        raise ValueError(f"the {signer} signed nothing in this handshake")
    coverage = _coverage(handshake, signer)
    rows: list[tuple[str, ...]] = [
        ("-", "(nothing flipped: the control)", "-", _verdict(control.verified))
    ]
    for i, m in enumerate(handshake.messages):
        if not m.is_handshake:
            continue
        offset = RANDOM_OFFSET if m.type in _HELLO_RANDOM else len(m.raw) - 1
        where = (
            f"byte {offset - _RANDOM_START} of the random"
            if m.type in _HELLO_RANDOM
            else "last byte"
        )
        check = _verify(flip_byte(handshake, i, offset), signer)
        ok = check is not None and check.verified
        rows.append(
            (str(i + 1), f"{m.sender} {m.type}, {where}", coverage.get(i, "no"), _verdict(ok))
        )
    return Table(
        ("#", "flipped", f"{signer}'s signature", "verdict"),
        tuple(rows),
        f"one byte flipped at a time; {signer} {control.message} re-verified",
    )


def _verdict(ok: bool) -> str:
    return "verified" if ok else "NOT verified"


def hello_retry_rule(handshake: Handshake, *, signer: Sender = "server") -> Table:
    """After a HelloRetryRequest: the transcript with and without the ``message_hash`` rule.

    RFC 8446 4.4.1: the first ClientHello enters the transcript as a synthetic
    ``message_hash`` message - type 254, a 3-byte length, then Hash(ClientHello1)
    - instead of as itself. The control row hashes the messages exactly as
    sent; the signature must not verify over that.

    Args:
        handshake: a TLS 1.3 handshake with a HelloRetryRequest.
        signer: whose CertificateVerify to check.

    Returns:
        Two rows: how the transcript starts, and the verdict.

    Raises:
        ValueError: no HelloRetryRequest, or no CertificateVerify from ``signer``.
    """
    if not handshake.hello_retry:
        raise ValueError("the handshake has no HelloRetryRequest")
    check = verify_certificate_verify(handshake, signer)
    message = handshake.find("CertificateVerify", signer)
    assert message is not None and isinstance(message.body, CertificateVerify)
    if check.hash_name is None or check.signer_certificate is None:
        raise ValueError("not a TLS 1.3 CertificateVerify with a certificate")
    covered = transcript_messages(handshake, message)
    as_sent = hashlib.new(check.hash_name, b"".join(m.raw for m in covered)).digest()
    naive_ok, _ = verify_signature(
        check.signer_certificate.public_key(),
        check.scheme,
        message.body.signature,
        tls13_signed_content(CONTEXTS[signer], as_sent),
        tls13=True,
    )
    size = hashlib.new(check.hash_name).digest_size
    header = bytes([254]) + size.to_bytes(3, "big")
    hash_name = check.hash_name.upper().replace("SHA", "SHA-")
    rows = (
        ("ClientHello1 as sent, then HelloRetryRequest, ...", _verdict(naive_ok)),
        (
            f"message_hash = {header.hex(' ')} | {hash_name}(ClientHello1), then ...",
            _verdict(check.verified),
        ),
    )
    return Table(("transcript starts with", "verdict"), rows, "RFC 8446 4.4.1, after a retry")


def same_messages(a: Handshake, b: Handshake) -> bool:
    """Whether two captures hold the same messages: sender, type and bytes, in order."""
    return [(m.sender, m.type, m.raw) for m in a] == [(m.sender, m.type, m.raw) for m in b]


def compare_captures(**captures: Handshake) -> Table:
    """The same handshake from several capture points, message by message.

    The first capture is the reference; every other column says whether that
    capture holds the same message (sender, type and every byte) at that
    position.

    Args:
        captures: name -> captured handshake (e.g. ``client=..., wire=...``).

    Returns:
        One row per message of the reference.

    Raises:
        ValueError: no captures given.
    """
    if not captures:
        raise ValueError("give at least one capture")
    (ref_name, reference), *others = captures.items()
    rows = []
    for i, m in enumerate(reference.messages):
        cells = []
        for _, other in others:
            o = other.messages[i] if i < len(other.messages) else None
            if o is None:
                cells.append("missing")
            elif (o.sender, o.type, o.raw) == (m.sender, m.type, m.raw):
                cells.append("same bytes")
            else:
                cells.append("DIFFERENT")
        rows.append((str(i + 1), f"{m.sender} {m.type}", *cells))
    extra = [
        f"{name} has {len(h) - len(reference)} more"
        for name, h in others
        if len(h) > len(reference)
    ]
    caption = f"reference: {ref_name} ({len(reference)} messages)"
    if extra:
        caption += "; " + "; ".join(extra)
    return Table(("#", "message", *(name for name, _ in others)), tuple(rows), caption)
