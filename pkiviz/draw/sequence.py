"""Figure 2: the TLS handshake as a sequence diagram, drawn from a captured handshake.

Nothing here is hand-listed: :func:`sequence_steps` turns a
:class:`~pkiviz.tls.handshake.Handshake` (what :mod:`pkiviz.net.live` or
``pkiviz probe`` captured) into :class:`Step` records - one arrow per message -
and :func:`draw_handshake` renders them with matplotlib (imported lazily).
:func:`sequence_alt_text` describes the same steps in words.

Conventions of the drawing:

* one lane per side (client left, server right), one arrow per message, in
  capture order;
* encrypted messages: blue arrow, label marked ``[encrypted]``; plaintext:
  black;
* mutual-TLS-only steps (CertificateRequest, the client's Certificate and
  CertificateVerify) are dashed;
* where a handshake signature is made (the signer's lane) and checked (the
  other lane), with pkiviz's independent verdict from
  :mod:`pkiviz.tls.signatures`;
* alerts in red; a failed handshake ends with its alert and the error;
* under each label, one line of structure from
  :func:`pkiviz.tls.explain.stable_summary` (scheme, group, certificate
  subjects, lengths the algorithms fix) and never a live value (randoms, key
  shares, signatures, ``verify_data``, tickets). Two handshakes run with the
  same parameters therefore draw the same picture, byte for byte, and have the
  same alt text.

ChangeCipherSpec records (middlebox compatibility in TLS 1.3) are left out
unless ``show_change_cipher_spec=True``; the alt text says so.

``notes`` marks named messages of the capture with numbered badges, explained
in a key under the arrows (the tour uses them to show where the CA's
signature, the trust store and the server's signature act). A note names a
message by sender and type; a message the capture does not hold (or that is
not drawn) is an error, so a note never points at nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pkiviz.draw._notebook import enable_display
from pkiviz.tls.explain import stable_summary
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.signatures import SignatureCheck, verify_all

ENCRYPTED_COLOUR = "#1f4e9c"
PLAIN_COLOUR = "#222222"
ALERT_COLOUR = "#c0392b"
SIGN_COLOUR = "#8e2c6e"
NOTE_COLOUR = "#b35900"

#: A note on the diagram: (sender, message type, text). It marks the first
#: message of that type from that sender.
Note = tuple[str, str, str]

_MTLS_ONLY = {
    ("server", "CertificateRequest"),
    ("client", "Certificate"),
    ("client", "CertificateVerify"),
}


@dataclasses.dataclass(frozen=True)
class Step:
    """One arrow of the sequence diagram.

    Attributes:
        sender: ``"client"`` or ``"server"``.
        label: the message type.
        detail: its structure in one line, without live values (see
            :func:`pkiviz.tls.explain.stable_summary`).
        encrypted: whether it travelled encrypted.
        mtls_only: a step only mutual TLS has (drawn dashed).
        alert: whether it is an alert.
        signature: for a signed message, what the signer signs, else ``None``.
        check: for a signed message, how the receiver checks it, else ``None``.
        verified: pkiviz's verdict on the signature, ``None`` if not a signature.
        notes: the numbered notes that mark this message, as (number, text).
    """

    sender: str
    label: str
    detail: str
    encrypted: bool
    mtls_only: bool
    alert: bool
    signature: str | None = None
    check: str | None = None
    verified: bool | None = None
    notes: tuple[tuple[int, str], ...] = ()


def _numbered(
    handshake: Handshake, notes: Sequence[Note], show_change_cipher_spec: bool
) -> dict[int, tuple[tuple[int, str], ...]]:
    """Message index -> its notes, numbered from 1 in the order given."""
    out: dict[int, tuple[tuple[int, str], ...]] = {}
    for number, (sender, kind, text) in enumerate(notes, 1):
        message = handshake.find(kind, sender)  # type: ignore[arg-type]
        if message is None or (kind == "ChangeCipherSpec" and not show_change_cipher_spec):
            raise ValueError(f"note {number}: no {sender} {kind} is drawn for this handshake")
        index = handshake.index(message)
        out[index] = (*out.get(index, ()), (number, text))
    return out


def sequence_steps(
    handshake: Handshake,
    *,
    checks: tuple[SignatureCheck, ...] | None = None,
    show_change_cipher_spec: bool = False,
    notes: Sequence[Note] = (),
) -> tuple[Step, ...]:
    """Build the diagram's steps from a captured handshake.

    Args:
        handshake: the capture.
        checks: signature verdicts; default: computed with
            :func:`pkiviz.tls.signatures.verify_all`.
        show_change_cipher_spec: include ChangeCipherSpec records.
        notes: (sender, message type, text) triples; each marks the first such
            message with its number (1, 2, ... in the order given).

    Returns:
        One step per drawn message, in order.

    Raises:
        ValueError: a note names a message that is not drawn.
    """
    if checks is None:
        checks = verify_all(handshake)
    verdicts = {(c.signer, c.message): c for c in checks}
    marked = _numbered(handshake, notes, show_change_cipher_spec)
    steps: list[Step] = []
    for index, m in enumerate(handshake.messages):
        if m.type == "ChangeCipherSpec" and not show_change_cipher_spec:
            continue
        other = "client" if m.sender == "server" else "server"
        check = verdicts.get((m.sender, m.type))
        signature = checking = None
        if m.type in ("CertificateVerify", "ServerKeyExchange"):
            what = "the transcript" if m.type == "CertificateVerify" else "the randoms + key share"
            signature = f"{m.sender} signs {what} with its private key"
            checking = f"{other} checks with the key in the {m.sender}'s certificate"
        steps.append(
            Step(
                sender=m.sender,
                label=m.type,
                detail=_clip(stable_summary(m), 60),
                encrypted=m.encrypted,
                mtls_only=(m.sender, m.type) in _MTLS_ONLY,
                alert=m.type == "Alert",
                signature=signature,
                check=checking,
                verified=check.verified if check is not None else None,
                notes=marked.get(index, ()),
            )
        )
    return tuple(steps)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _title(handshake: Handshake) -> str:
    mtls = " with client certificate" if handshake.certificate_request else ""
    retry = " after HelloRetryRequest" if handshake.hello_retry else ""
    return f"{handshake.version or 'TLS'} handshake{mtls}{retry}"


def sequence_alt_text(
    handshake: Handshake, *, show_change_cipher_spec: bool = False, notes: Sequence[Note] = ()
) -> str:
    """Describe the sequence diagram in words, message by message.

    Structure only, like the drawing: the same handshake parameters give the
    same text on every run.

    Args:
        handshake: the capture.
        show_change_cipher_spec: as for :func:`draw_handshake`.
        notes: as for :func:`draw_handshake`.

    Returns:
        A paragraph of plain text.
    """
    steps = sequence_steps(handshake, show_change_cipher_spec=show_change_cipher_spec, notes=notes)
    parts = [
        f"Sequence diagram of a {_title(handshake)} ({handshake.cipher or 'no cipher'}),"
        f" captured at the {handshake.perspective}."
    ]
    for i, s in enumerate(steps, 1):
        other = "server" if s.sender == "client" else "client"
        flags = ["encrypted" if s.encrypted else "plaintext"]
        if s.mtls_only:
            flags.append("mutual TLS only")
        sentence = f"{i}. {s.sender} to {other}: {s.label} ({', '.join(flags)})"
        if s.signature:
            verdict = {True: "verified", False: "NOT verified", None: "not checked"}[s.verified]
            sentence += f"; the {s.signature}, the {s.check}: {verdict}"
        if s.alert:
            sentence += f": {s.detail}"
        for number, text in s.notes:
            sentence += f"; marked {number}: {text}"
        parts.append(sentence + ".")
    if handshake.error:
        parts.append(f"The handshake failed: {handshake.error}.")
    if not show_change_cipher_spec and handshake.find("ChangeCipherSpec"):
        parts.append("ChangeCipherSpec records are not shown.")
    return " ".join(parts)


def draw_handshake(
    handshake: Handshake,
    ax: Any = None,
    *,
    checks: tuple[SignatureCheck, ...] | None = None,
    show_change_cipher_spec: bool = False,
    title: str | None = None,
    notes: Sequence[Note] = (),
) -> Any:
    """Draw the handshake as a sequence diagram (Figure 2).

    Args:
        handshake: a captured handshake.
        ax: axes to draw into; ``None`` makes a new figure (without pyplot).
        checks: signature verdicts (default: verified now, independently).
        show_change_cipher_spec: draw ChangeCipherSpec records too.
        title: the title; default names the version and the variant.
        notes: (sender, message type, text) triples: each marks that message
            with a numbered badge near the receiver's lane, explained in a key
            under the arrows.

    Returns:
        The matplotlib ``Figure``. Same handshake parameters, same drawing:
        nothing live (randoms, signatures, ``verify_data``) is drawn.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    enable_display()

    steps = sequence_steps(
        handshake, checks=checks, show_change_cipher_spec=show_change_cipher_spec, notes=notes
    )
    key_rows = 0.5 * len(notes)
    rows = len(steps) + (1 if handshake.error else 0) + key_rows
    if ax is None:
        fig = Figure(figsize=(10, 0.62 * rows + 2.0), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    left, right, top = 3.0, 7.0, rows + 0.8
    last_row = top - len(steps) - (1 if handshake.error else 0)  # y of the last arrow or error
    lane_end = last_row - 0.6 if notes else -0.3
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.6, top + 0.6)
    ax.axis("off")
    ax.set_title(title or f"Figure 2. {_title(handshake)}", loc="left")
    for x, name in ((left, "client"), (right, "server")):
        ax.text(
            x,
            top,
            name,
            ha="center",
            va="center",
            fontsize=11,
            fontweight="bold",
            bbox={"boxstyle": "round", "facecolor": "#f2f2f2", "edgecolor": "#666"},
        )
        ax.plot([x, x], [lane_end, top - 0.35], color="#888", linewidth=1.0, zorder=0)
    for i, s in enumerate(steps):
        y = top - 1.0 - i
        start, end = (left, right) if s.sender == "client" else (right, left)
        colour = ALERT_COLOUR if s.alert else ENCRYPTED_COLOUR if s.encrypted else PLAIN_COLOUR
        ax.annotate(
            "",
            xy=(end, y),
            xytext=(start, y),
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "linewidth": 2.0 if s.encrypted else 1.2,
                "linestyle": "--" if s.mtls_only else "-",
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        label = s.label + ("  [encrypted]" if s.encrypted else "")
        ax.text(
            5.0,
            y + 0.12,
            label,
            ha="center",
            va="bottom",
            fontsize=9,
            color=colour,
            fontweight="bold" if s.signature or s.alert else "normal",
        )
        ax.text(5.0, y - 0.1, s.detail, ha="center", va="top", fontsize=7, color="#555")
        if s.signature:
            sign_x, check_x = (left, right) if s.sender == "client" else (right, left)
            verdict = {True: "verified", False: "NOT verified", None: ""}[s.verified]
            _side_note(ax, sign_x, y, "signs here\n(private key)", left)
            _side_note(
                ax, check_x, y, f"checks here\n{verdict}".rstrip(), left, bad=s.verified is False
            )
        receiver = left if s.sender == "server" else right
        for k, (number, _) in enumerate(s.notes):
            step_x = 0.38 * (k + 1)
            _badge(ax, receiver + step_x if receiver == left else receiver - step_x, y, number)
    for number, (_, _, text) in enumerate(notes, 1):
        y = last_row - 0.75 - 0.5 * (number - 1)
        _badge(ax, 0.35, y, number)
        ax.text(0.6, y, text, ha="left", va="center", fontsize=8, color="#222")
    if handshake.error:
        ax.text(
            5.0,
            top - 1.0 - len(steps),
            f"handshake failed: {_clip(handshake.error, 70)}",
            ha="center",
            va="center",
            fontsize=9,
            color=ALERT_COLOUR,
        )
    legend = [
        Line2D([], [], color=PLAIN_COLOUR, linewidth=1.2, label="plaintext"),
        Line2D([], [], color=ENCRYPTED_COLOUR, linewidth=2.0, label="encrypted"),
        Line2D([], [], color=PLAIN_COLOUR, linestyle="--", label="mutual TLS only"),
        Line2D([], [], color=ALERT_COLOUR, label="alert"),
    ]
    ax.legend(
        handles=legend,
        loc="lower left",
        fontsize=7,
        frameon=False,
        ncol=4,
        bbox_to_anchor=(0.0, -0.02),
    )
    return fig


def _badge(ax: Any, x: float, y: float, number: int) -> None:
    ax.text(
        x,
        y,
        str(number),
        ha="center",
        va="center",
        fontsize=8,
        fontweight="bold",
        color="white",
        zorder=4,
        bbox={"boxstyle": "circle,pad=0.25", "facecolor": NOTE_COLOUR, "edgecolor": NOTE_COLOUR},
    )


def _side_note(ax: Any, x: float, y: float, text: str, left: float, *, bad: bool = False) -> None:
    outside = x - 0.25 if x == left else x + 0.25
    ax.text(
        outside,
        y,
        text,
        ha="right" if x == left else "left",
        va="center",
        fontsize=7,
        color=ALERT_COLOUR if bad else SIGN_COLOUR,
        style="italic",
    )
    ax.plot([x], [y], marker="D", markersize=6, color=ALERT_COLOUR if bad else SIGN_COLOUR)
