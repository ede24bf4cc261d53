"""Tiny HTML helpers for ``_repr_html_``: escaping, tables, swatches. No CSS files, no JS.

Everything returns a string of self-contained HTML with inline styles only,
so a notebook shows it the same in JupyterLab, on GitHub and in a static
export. The markup is deterministic: the same input gives the same string.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

#: Inline style of a plain, readable table.
TABLE_STYLE = "border-collapse:collapse;font-size:0.9em;text-align:left"
CELL_STYLE = "border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left"
MONO = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace"


def escape(value: object) -> str:
    """HTML-escape ``str(value)``, quotes included.

    Args:
        value: anything printable.

    Returns:
        The escaped text.
    """
    return html.escape(str(value), quote=True)


def mono(value: object) -> str:
    """Escape ``value`` and set it in a monospace ``<code>`` element."""
    return f'<code style="{MONO}">{escape(value)}</code>'


def swatch(colour: str, label: str) -> str:
    """A small coloured box followed by its (escaped) label, for legends.

    Args:
        colour: a CSS colour such as ``"#fdd"``.
        label: the text beside it; the label carries the meaning, not the colour.

    Returns:
        An inline HTML fragment.
    """
    box = (
        f'<span style="display:inline-block;width:0.9em;height:0.9em;'
        f'background:{escape(colour)};border:1px solid #888;margin-right:4px"></span>'
    )
    return f'<span style="margin-right:12px;white-space:nowrap">{box}{escape(label)}</span>'


def table(
    rows: Iterable[Sequence[str]],
    *,
    header: Sequence[str] | None = None,
    caption: str | None = None,
    escaped: bool = False,
) -> str:
    """Render rows as an HTML table.

    Args:
        rows: the cells of each row.
        header: column titles, if any.
        caption: a caption above the table.
        escaped: whether the cells are already HTML (``True``) or plain text
            to escape (``False``). Header and caption are always escaped.

    Returns:
        The ``<table>`` element.
    """
    parts = [f'<table style="{TABLE_STYLE}">']
    if caption is not None:
        parts.append(
            f'<caption style="text-align:left;font-weight:bold">{escape(caption)}</caption>'
        )
    if header is not None:
        cells = "".join(f'<th style="{CELL_STYLE}">{escape(h)}</th>' for h in header)
        parts.append(f"<thead><tr>{cells}</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        cells = "".join(
            f'<td style="{CELL_STYLE}">{cell if escaped else escape(cell)}</td>' for cell in row
        )
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
