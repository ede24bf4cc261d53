"""Figure 1: the anatomy of an X.509 certificate, drawn from a real certificate.

The drawing is a card of stacked fields in certificate order (RFC 5280 4.1):
the to-be-signed part - serial, issuer, validity, subject, the subject's
public key (one field among many), the extensions - and, at the end, the
CA's signature, with a bracket showing that it covers everything above it.

:func:`figure_rows` builds the rows as data, :func:`draw_anatomy` renders
them, and :func:`anatomy_alt_text` describes the same rows in words for
readers who cannot see the figure.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pkiviz.draw._notebook import enable_display
from pkiviz.x509.anatomy import Anatomy, anatomy, iso_utc

RowKind = Literal["field", "key", "extension", "signature"]

#: Fill colour of each kind of row (the label text carries the meaning too).
COLOURS: dict[str, str] = {
    "field": "#eef3fb",
    "key": "#ffd9b3",
    "extension": "#e8f5e0",
    "signature": "#f9cfe3",
}


@dataclasses.dataclass(frozen=True)
class FigureRow:
    """One box of the figure.

    Attributes:
        label: the field's name, e.g. ``"Subject"``.
        value: its value, shortened to fit.
        kind: how it is drawn: ``"field"``, ``"key"`` (the public key),
            ``"extension"`` or ``"signature"`` (the CA's signature block).
    """

    label: str
    value: str
    kind: RowKind


#: Extensions with a row of their own: SAN, EKU, key usage, basic constraints, policies.
_DRAWN = frozenset({"2.5.29.17", "2.5.29.37", "2.5.29.15", "2.5.29.19", "2.5.29.32"})


def _clip(text: str, limit: int = 58) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short_hex(hex_text: str) -> str:
    return hex_text if len(hex_text) <= 24 else f"{hex_text[:12]}…{hex_text[-8:]}"


def figure_rows(a: Anatomy) -> tuple[FigureRow, ...]:
    """The rows Figure 1 shows, in certificate order.

    Args:
        a: the certificate's anatomy.

    Returns:
        Field rows, then the public key, the extensions, and the two
        signature rows last.
    """
    rows = [
        FigureRow("Version", f"v{a.version}", "field"),
        FigureRow("Serial number", _short_hex(a.serial_hex), "field"),
        FigureRow("Issuer (the CA)", _clip(a.issuer), "field"),
        FigureRow(
            "Validity", f"{iso_utc(a.not_before)[:10]} to {iso_utc(a.not_after)[:10]}", "field"
        ),
        FigureRow("Subject", _clip(a.subject), "field"),
        FigureRow("Subject public key", a.public_key.describe(), "key"),
    ]
    if a.subject_alt_names:
        rows.append(
            FigureRow(
                "Subject alt names", _clip(", ".join(a.subject_alt_names.entries())), "extension"
            )
        )
    if a.extended_key_usage is not None:
        rows.append(
            FigureRow("Extended key usage", _clip(", ".join(a.extended_key_usage)), "extension")
        )
    if a.key_usage is not None:
        rows.append(FigureRow("Key usage", _clip(", ".join(a.key_usage) or "(none)"), "extension"))
    if a.basic_constraints is not None:
        bc = a.basic_constraints
        value = f"CA={'TRUE' if bc.ca else 'FALSE'}" + (
            f", pathlen={bc.path_length}" if bc.path_length is not None else ""
        )
        rows.append(FigureRow("Basic constraints", value, "extension"))
    if a.policies:
        names = ", ".join(p.name or p.oid for p in a.policies)
        rows.append(FigureRow("Policies", _clip(names), "extension"))
    hidden = [f"{e.name} (unparsed)" for e in a.extensions if e.status == "unparsed"]
    hidden += [e.name for e in a.extensions if e.oid not in _DRAWN and e.status != "unparsed"]
    if hidden:
        rows.append(
            FigureRow(f"{len(hidden)} more extensions", _clip(", ".join(hidden)), "extension")
        )
    rows += [
        FigureRow("Signature algorithm", a.signature.algorithm, "signature"),
        FigureRow(
            "CA's signature",
            f"{_short_hex(a.signature.value_hex)} ({a.signature.length} bytes)",
            "signature",
        ),
    ]
    return tuple(rows)


def anatomy_alt_text(a: Anatomy) -> str:
    """Describe Figure 1 in words, for screen readers and for the figure's alt text.

    Args:
        a: the anatomy the figure was drawn from.

    Returns:
        A few sentences naming every box, top to bottom.
    """
    rows = figure_rows(a)
    signed = [r for r in rows if r.kind != "signature"]
    signature = [r for r in rows if r.kind == "signature"]
    fields = "; ".join(f"{r.label}: {r.value}" for r in signed)
    tail = "; ".join(f"{r.label}: {r.value}" for r in signature)
    return (
        f"Diagram of the X.509 certificate of {a.subject}, drawn as a stack of fields. "
        f"The part the CA signs lists, from the top: {fields}. "
        "The subject's public key is one field among many. "
        f"At the end comes the CA's signature over all of those fields - {tail}."
    )


def draw_anatomy(cert: object, ax: Any = None) -> Any:
    """Draw Figure 1, the anatomy of a certificate, with matplotlib.

    Args:
        cert: an :class:`~pkiviz.x509.anatomy.Anatomy`, or anything
            :func:`~pkiviz.x509.anatomy.anatomy` accepts (a certificate, an
            ``Issued``, PEM or DER bytes).
        ax: axes to draw into; ``None`` makes a new figure (without pyplot,
            so nothing is shown twice in a notebook).

    Returns:
        The matplotlib ``Figure``. Same certificate, same drawing.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    enable_display()

    a = cert if isinstance(cert, Anatomy) else anatomy(cert)
    rows = figure_rows(a)
    if ax is None:
        fig = Figure(figsize=(8.5, 0.42 * len(rows) + 1.6), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    height = len(rows) + 2.2
    ax.set_xlim(0, 10)
    ax.set_ylim(0, height)
    ax.axis("off")
    ax.set_title(f"Figure 1. Anatomy of an X.509 certificate: {_clip(a.subject, 48)}", loc="left")
    card = FancyBboxPatch(
        (0.1, 0.1),
        8.15,
        height - 0.3,
        boxstyle="round,pad=0.02,rounding_size=0.2",
        facecolor="white",
        edgecolor="#444",
        linewidth=1.5,
    )
    ax.add_patch(card)
    ax.text(0.35, height - 0.65, "X.509 certificate", fontsize=12, fontweight="bold", va="center")
    y = height - 1.4
    tbs_top = y + 0.45
    tbs_bottom = signature_y = y
    for index, row in enumerate(rows):
        if row.kind == "signature" and rows[index - 1].kind != "signature":
            tbs_bottom = y + 0.55
            y -= 0.3  # a gap between the signed part and the signature
        box = FancyBboxPatch(
            (0.35, y - 0.4),
            7.8,
            0.8,
            boxstyle="round,pad=0.01,rounding_size=0.08",
            facecolor=COLOURS[row.kind],
            edgecolor="#999" if row.kind != "key" else "#c06000",
            linewidth=1.0 if row.kind != "key" else 2.0,
        )
        ax.add_patch(box)
        weight = "bold" if row.kind in ("key", "signature") else "normal"
        ax.text(0.5, y, row.label, fontsize=9, fontweight=weight, va="center")
        ax.text(3.0, y, row.value, fontsize=9, va="center", family="monospace")
        if row.kind == "key":
            ax.text(
                8.0, y, "one field among many", fontsize=8, style="italic", ha="right", va="center"
            )
        signature_y = y
        y -= 1.0
    # the bracket: the CA's signature covers every field of the TBS part
    colour = "#b0306a"
    ax.plot(
        [8.3, 8.5, 8.5, 8.3],
        [tbs_top, tbs_top, tbs_bottom, tbs_bottom],
        color=colour,
        linewidth=1.2,
    )
    ax.text(
        8.6,
        (tbs_top + tbs_bottom) / 2,
        "signed by\nthe CA\n(TBSCertificate)",
        fontsize=8,
        va="center",
        color=colour,
    )
    ax.annotate(
        "",
        xy=(8.5, tbs_bottom + 0.3),
        xytext=(8.2, signature_y),
        arrowprops={"arrowstyle": "->", "color": colour, "connectionstyle": "arc3,rad=0.5"},
    )
    return fig
