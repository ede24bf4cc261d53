"""The chain graph drawn: certificates as boxes, issued-by links as arrows, every one judged.

:func:`pkiviz.draw.chaingraph.chain_graph` builds the data; :func:`draw_chain`
renders it with networkx (the structure) and matplotlib (the drawing), both
imported inside the function; :func:`chain_alt_text` says the same in words.

Conventions of the drawing:

* the leaf at the bottom, each issuer one row up (the walk up the chain);
  the chosen path in the left column, alternatives to its right, in the order
  the path builder tried them - positions come from the data, not from a
  random layout, so the same report always gives the same picture;
* every box and arrow carries a symbol *and* a word - ✓ pass, ✗ fail,
  – not evaluated - besides its colour (green, red, grey), so the figure reads
  without colour;
* trust anchors have a thick border and say TRUST ANCHOR; a self-signed root
  nobody trusts says so; an issuer that was never found is a dashed box;
* arrows on the chosen path are thick and solid, alternatives thin and dashed;
* under the graph, every candidate path with its verdict.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

from pkiviz.draw._notebook import enable_display
from pkiviz.draw.chaingraph import ROLE_TEXT, ChainGraph, ChainNode, chain_graph
from pkiviz.validation import Report
from pkiviz.validation.inputs import CertLike

#: (fill, border/text) colour of each status; the symbol carries the meaning too.
COLOURS: dict[str, tuple[str, str]] = {
    "pass": ("#e3f4e1", "#2e7d32"),
    "fail": ("#fbe0de", "#c62828"),
    "skipped": ("#efefef", "#666666"),
}

_X_STEP = 4.0
_Y_STEP = 2.1
_BOX_W = 3.5
_BOX_H = 1.3
_MIN_WIDTH = 10.0  # data units: room for the title, the legend and the candidate lines
_INCH = 0.8  # inches per data unit
_FONT = 7.5  # points, for the legend and the candidate lines


def _graph(
    source: Report | ChainGraph,
    intermediates: Sequence[CertLike],
    trust_anchors: Sequence[CertLike],
) -> ChainGraph:
    if isinstance(source, ChainGraph):
        return source
    return chain_graph(source, intermediates=intermediates, trust_anchors=trust_anchors)


def _title(graph: ChainGraph) -> str:
    name = f" for {graph.peer_name}" if graph.peer_name else ""
    if graph.valid:
        return f"Chain of trust{name}: ✓ VALID"
    check = graph.first_failure.split(":", 1)[0]
    return f"Chain of trust{name}: ✗ INVALID ({check})"


def _box_lines(node: ChainNode) -> tuple[str, str, str]:
    name, _, by = node.label.partition(" (by ")
    title = f"{node.symbol} {textwrap.shorten(name, 40, placeholder='…')}"
    if by:
        title += "\n" + textwrap.shorten("(by " + by, 44, placeholder="…)")
    summary = textwrap.shorten(node.summary(), 44, placeholder="…")
    return title, ROLE_TEXT[node.role], summary


def chain_alt_text(
    source: Report | ChainGraph,
    *,
    intermediates: Sequence[CertLike] = (),
    trust_anchors: Sequence[CertLike] = (),
) -> str:
    """Describe the chain graph in words, for screen readers and the figure's alt text.

    Args:
        source: a validation report, or a graph already built from one.
        intermediates: as for :func:`~pkiviz.draw.chaingraph.chain_graph`.
        trust_anchors: as for :func:`~pkiviz.draw.chaingraph.chain_graph`.

    Returns:
        Sentences naming every certificate, link and candidate path with its verdict.
    """
    graph = _graph(source, intermediates, trust_anchors)
    words = {"pass": "pass", "fail": "FAIL", "skipped": "not evaluated"}
    verdict = "valid" if graph.valid else f"invalid, first failure {graph.first_failure}"
    name = f" for {graph.peer_name}" if graph.peer_name else ""
    nodes = "; ".join(
        f"{n.symbol} {words[n.status]}: {n.label}, {ROLE_TEXT[n.role].lower()}"
        f"{'' if n.on_path else ', on an alternative path'} ({n.note})"
        for n in graph.nodes
    )
    edges = "; ".join(
        f"{e.symbol} {graph.label_of(e.child)} to {graph.label_of(e.issuer)}: {e.note}"
        for e in graph.edges
    )
    candidates = " ".join(graph.candidate_lines())
    return (
        f"Graph of the chain of trust{name}; the chain is {verdict}. "
        f"Certificates, from the leaf up: {nodes}. "
        f"Issued-by links, each drawn as an arrow from a certificate to its issuer: {edges}. "
        f"Candidate paths tried, in order: {candidates}"
    )


def draw_chain(
    source: Report | ChainGraph,
    ax: Any = None,
    *,
    intermediates: Sequence[CertLike] = (),
    trust_anchors: Sequence[CertLike] = (),
) -> Any:
    """Draw the chain graph of a validation with matplotlib.

    Args:
        source: a validation report, or a graph already built from one.
        ax: axes to draw into; ``None`` makes a new figure (without pyplot,
            so nothing is shown twice in a notebook).
        intermediates: more untrusted certificates (the report keeps those
            given to ``validate``; see :func:`~pkiviz.draw.chaingraph.chain_graph`).
        trust_anchors: more trust anchors, as ``intermediates``.

    Returns:
        The matplotlib ``Figure``. Same report, same drawing.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    enable_display()

    graph = _graph(source, intermediates, trust_anchors)
    nx_graph = graph.to_networkx()
    position = {
        key: (data["column"] * _X_STEP, data["depth"] * _Y_STEP)
        for key, data in nx_graph.nodes(data=True)
    }
    columns = 1 + max((n.column for n in graph.nodes), default=0)
    rows = 1 + max((n.depth for n in graph.nodes), default=0)
    left, right = -_BOX_W / 2 - 0.3, (columns - 1) * _X_STEP + _BOX_W / 2 + 0.3
    if right - left < _MIN_WIDTH:  # centre a narrow chain in a readable width
        spare = (_MIN_WIDTH - (right - left)) / 2
        left, right = left - spare, right + spare
    chars = int((right - left) * _INCH * 72 / (_FONT * 0.62))
    candidates = "\n".join(
        textwrap.fill(line, chars, subsequent_indent="     ", max_lines=3, placeholder=" …")
        for line in graph.candidate_lines()
    )
    line_height = _FONT * 1.3 / 72 / _INCH  # one line of text, in data units
    legend_y = -_BOX_H / 2 - 0.35
    heading_y = legend_y - 2.2 * line_height
    text_y = heading_y - 1.6 * line_height
    bottom = text_y - (candidates.count("\n") + 1.5) * line_height
    top = (rows - 1) * _Y_STEP + _BOX_H / 2 + 0.2
    if ax is None:
        height = round((top - bottom) * _INCH / 0.93, 1)
        fig = Figure(figsize=(round((right - left) * _INCH / 0.98, 1), height))
        ax = fig.add_axes((0.01, 0.0, 0.98, 0.93))
    fig = ax.figure
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.axis("off")
    ax.set_title(_title(graph), loc="left", fontsize=11)

    for child, issuer, data in nx_graph.edges(data=True):
        (x0, y0), (x1, y1) = position[child], position[issuer]
        colour = COLOURS[data["status"]][1]
        ax.annotate(
            "",
            xy=(x1, y1 - _BOX_H / 2),
            xytext=(x0, y0 + _BOX_H / 2),
            arrowprops={
                "arrowstyle": "-|>",
                "color": colour,
                "linewidth": 2.4 if data["on_path"] else 1.2,
                "linestyle": "solid" if data["on_path"] else (0, (4, 3)),
                "shrinkA": 2,
                "shrinkB": 2,
            },
        )
        edge = graph.edge(child, issuer)
        ax.text(
            (x0 + x1) / 2,
            (y0 + y1) / 2,
            edge.short,
            fontsize=8,
            ha="center",
            va="center",
            color=colour,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"},
        )

    for key, data in nx_graph.nodes(data=True):
        node = graph.node(key)
        x, y = position[key]
        fill, ink = COLOURS[node.status]
        ax.add_patch(
            FancyBboxPatch(
                (x - _BOX_W / 2, y - _BOX_H / 2),
                _BOX_W,
                _BOX_H,
                boxstyle="round,pad=0.02,rounding_size=0.12",
                facecolor=fill,
                edgecolor=ink,
                linewidth=3.2 if node.anchor else (1.8 if node.on_path else 1.0),
                linestyle="dashed" if data["role"] == "missing" else "solid",
            )
        )
        title, role, summary = _box_lines(node)
        ax.text(x, y + 0.28, title, fontsize=8.5, fontweight="bold", ha="center", va="center")
        ax.text(x, y - 0.08, role, fontsize=8, ha="center", va="center", style="italic")
        ax.text(x, y - 0.36, summary, fontsize=8, ha="center", va="center", color=ink)

    ax.text(
        left + 0.1,
        legend_y,
        "✓ pass   ✗ fail   – not evaluated   ·   thick arrows: the chosen path;"
        " dashed: alternatives tried   ·   an arrow points from a certificate to its issuer",
        fontsize=_FONT,
        va="top",
        color="#444444",
        wrap=False,
    )
    ax.text(left + 0.1, heading_y, "Candidate paths tried, in order:", fontsize=8.5, va="top")
    ax.text(left + 0.1, text_y, candidates, fontsize=_FONT, va="top", family="monospace")
    return fig
