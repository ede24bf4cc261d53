"""The TLS 1.3 key schedule drawn from a glass-box connection's own derivations.

:func:`schedule_boxes` turns a :class:`~pkiviz.tls.glassbox_schedule.KeySchedule`
into positioned boxes and arrows (data, testable without matplotlib), laid out
as RFC 8446 7.1 draws it: the extract chain (early, handshake, master secret)
down the middle, its inputs (zeros, the shared secret) on the left, the
traffic secrets to the right with their keys, IVs and finished keys beside
them. :func:`draw_key_schedule` renders them (matplotlib imported lazily).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from pkiviz.draw._notebook import enable_display
from pkiviz.tls.glassbox_schedule import KeySchedule

#: Column of each kind of box: inputs, the extract chain, traffic secrets, keys.
_COLUMNS = {"input": 0.0, "chain": 1.0, "secret": 2.1, "keys": 3.3}
_SHORT = {
    "early_secret": "Early Secret",
    "derived_for_handshake": "derived",
    "handshake_secret": "Handshake Secret",
    "client_handshake_traffic_secret": "client handshake traffic",
    "server_handshake_traffic_secret": "server handshake traffic",
    "derived_for_master": "derived",
    "master_secret": "Master Secret",
    "client_application_traffic_secret_0": "client application traffic",
    "server_application_traffic_secret_0": "server application traffic",
    "exporter_master_secret": "exporter master",
}


@dataclasses.dataclass(frozen=True)
class Box:
    """One box of the drawing.

    Attributes:
        name: the derivation's name (or the input's description).
        title: the text on its first line.
        detail: the second line (output bytes, abbreviated).
        x: column.
        y: row (0 at the top, growing downwards).
        kind: ``"input"``, ``"chain"``, ``"secret"`` or ``"keys"``.
    """

    name: str
    title: str
    detail: str
    x: float
    y: float
    kind: str


@dataclasses.dataclass(frozen=True)
class Arrow:
    """An arrow from one box to another, labelled with the HKDF label or role.

    Attributes:
        source: the box it starts from.
        target: the box it ends at.
        label: e.g. ``"c hs traffic"`` or ``"IKM"``.
    """

    source: str
    target: str
    label: str


def schedule_boxes(schedule: KeySchedule) -> tuple[tuple[Box, ...], tuple[Arrow, ...]]:
    """Lay out a key schedule: one box per secret, one per group of keys, one per outside input.

    Args:
        schedule: the derivations (a handshake-only schedule draws its first half).

    Returns:
        ``(boxes, arrows)``.
    """
    boxes: dict[str, Box] = {}
    arrows: list[Arrow] = []
    row = 0.0
    for step in schedule.steps:
        if step.function == "HKDF-Expand-Label":
            continue  # keys are grouped beside their secret below
        kind = "secret" if step.name in _SHORT and "traffic" in step.name else "chain"
        if step.name == "exporter_master_secret":
            kind = "secret"
        detail = step.output.hex()[:16] + "..."
        boxes[step.name] = Box(step.name, _SHORT.get(step.name, step.name), detail,
                               _COLUMNS[kind], row, kind)  # fmt: skip
        for i in step.inputs:
            if i.source in boxes:
                label = step.label or i.role
                context = step.inputs[-1].source
                if "ClientHello.." in context:
                    label += ", H(CH.." + ("SH)" if "ServerHello" in context else "server Fin)")
                arrows.append(Arrow(i.source, step.name, label))
            elif i.role == "IKM":
                name = f"input: {i.source} -> {step.name}"
                boxes[name] = Box(name, i.source, f"{len(i.value)} bytes", _COLUMNS["input"], row,
                                  "input")  # fmt: skip
                arrows.append(Arrow(name, step.name, "IKM"))
        keys = [s for s in schedule.steps if s.inputs and s.inputs[0].source == step.name
                and s.function == "HKDF-Expand-Label"]  # fmt: skip
        if keys:
            name = f"keys of {step.name}"
            detail = ", ".join(f"{k.label} {len(k.output)} B" for k in keys)
            boxes[name] = Box(name, "write key / IV" + (" / finished" if len(keys) > 2 else ""),
                              detail, _COLUMNS["keys"], row, "keys")  # fmt: skip
            arrows.append(Arrow(step.name, name, "key, iv"))
        row += 1.0
    return tuple(boxes.values()), tuple(arrows)


_HALF_WIDTH = {"input": 0.22, "chain": 0.3, "secret": 0.4, "keys": 0.5}
_COLOURS = {"input": "#fff4d6", "chain": "#dbe9f6", "secret": "#e3f2e1", "keys": "#f2f2f2"}


def draw_key_schedule(schedule: KeySchedule, ax: Any = None, *, title: str | None = None) -> Any:
    """Draw the key schedule as a diagram.

    Args:
        schedule: the derivations of a glass-box connection (``box.schedule``).
        ax: axes to draw into; ``None`` makes a new figure (without pyplot).
        title: the title (default: "The TLS 1.3 key schedule").

    Returns:
        The matplotlib ``Figure``. The output bytes shown are the connection's
        own (live: they change with every connection).
    """
    from matplotlib.figure import Figure

    enable_display()
    boxes, arrows = schedule_boxes(schedule)
    rows = max((b.y for b in boxes), default=0.0) + 1
    if ax is None:
        fig = Figure(figsize=(12, 0.75 * rows + 1.2), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.figure
    ax.set_xlim(-0.55, 3.95)
    ax.set_ylim(rows - 0.4, -0.8)
    ax.axis("off")
    ax.set_title(title or "The TLS 1.3 key schedule (RFC 8446 7.1)", loc="left")
    where = {b.name: b for b in boxes}
    for a in arrows:
        s, t = where[a.source], where[a.target]
        down = t.x == s.x
        start = (s.x, s.y + 0.28) if down else (s.x + _HALF_WIDTH[s.kind], s.y)
        end = (t.x, t.y - 0.28) if down else (t.x - _HALF_WIDTH[t.kind] - 0.03, t.y)
        arrow = {"arrowstyle": "-|>", "color": "#555", "linewidth": 1.0}
        ax.annotate("", xy=end, xytext=start, arrowprops=arrow)
        if a.label in ("IKM", "key, iv", "secret"):
            continue
        if down:
            ax.text(s.x + 0.05, (start[1] + end[1]) / 2, a.label, fontsize=7, ha="left",
                    va="center", color="#333")  # fmt: skip
        else:
            ax.text(end[0] - 0.05, end[1] - 0.08, a.label, fontsize=7, ha="right", va="bottom",
                    color="#333")  # fmt: skip
    for b in boxes:
        ax.text(b.x, b.y, f"{b.title}\n{b.detail}", ha="center", va="center", fontsize=7.5,
                family="monospace",
                bbox={"boxstyle": "round,pad=0.35", "facecolor": _COLOURS[b.kind],
                      "edgecolor": "#666"})  # fmt: skip
    return fig


def key_schedule_alt_text(schedule: KeySchedule) -> str:
    """A text description of the drawing, for screen readers and the site's alt text."""
    boxes, _ = schedule_boxes(schedule)
    chain = [b.title for b in boxes if b.kind == "chain" and b.title != "derived"]
    secrets = [b.title for b in boxes if b.kind == "secret"]
    return (
        f"The TLS 1.3 key schedule: {' -> '.join(chain)} down the middle, each step an "
        f"HKDF-Extract; from them, by Derive-Secret: {', '.join(secrets)}; each traffic "
        "secret expands into a write key and IV."
    )


__all__ = ["Arrow", "Box", "draw_key_schedule", "key_schedule_alt_text", "schedule_boxes"]
