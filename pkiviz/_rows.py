"""Result records shown as a titled table of (label, value) rows, in text and HTML.

The signature results (:mod:`pkiviz.x509.signature`, :mod:`pkiviz.x509.signature_schemes`,
:mod:`pkiviz.x509.tamper`) each describe themselves as a title and rows through
``_table()``; :class:`Renders` turns that one description into ``__str__``,
``_repr_pretty_`` (the notebook's plain text, which nbval compares) and
``_repr_html_``. The helpers format the values those rows hold.
"""

from __future__ import annotations

import html
from collections.abc import Sequence


def render(title: str, rows: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """Text and HTML for a titled table of (label, value) rows.

    Args:
        title: the first line of the text, a bold paragraph in HTML.
        rows: label and value; a value may span several lines.

    Returns:
        ``(text, html)``; in the text, continuation lines are indented under the value.
    """
    width = max((len(label) for label, _ in rows), default=0)
    text = [title]
    for label, value in rows:
        pad = " " * (width + 4)
        text.append(f"  {label:<{width}}  " + value.replace("\n", "\n" + pad))
    cells = "".join(
        f"<tr><th style='text-align:left;vertical-align:top'>{html.escape(label)}</th>"
        f"<td style='text-align:left'><pre style='margin:0'>{html.escape(value)}</pre></td></tr>"
        for label, value in rows
    )
    return "\n".join(text), f"<p><b>{html.escape(title)}</b></p><table>{cells}</table>"


class Renders:
    """Mixin: ``__str__``, ``_repr_pretty_`` and ``_repr_html_`` from one ``_table()``."""

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        raise NotImplementedError

    def __str__(self) -> str:
        return render(*self._table())[0]

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        return render(*self._table())[1]


def hex_block(data: bytes, per_line: int = 32, indent: str = "") -> str:
    """Space-separated hex, ``per_line`` bytes a line; ``"(empty)"`` for no bytes."""
    chunks = [data[i : i + per_line].hex(" ") for i in range(0, len(data), per_line)]
    return ("\n" + indent).join(chunks) if chunks else "(empty)"


def short_hex(data: bytes, keep: int = 8) -> str:
    """Space-separated hex, the middle elided as ``..`` if longer than ``2 * keep`` bytes."""
    if len(data) <= 2 * keep:
        return data.hex(" ")
    return f"{data[:keep].hex(' ')} .. {data[-keep:].hex(' ')}"


def int_hex(value: int) -> str:
    """An integer as ``0x...``."""
    return f"0x{value:x}"


def plural(count: int, noun: str) -> str:
    """``"1 byte"``, ``"3 bytes"``."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def yes(flag: bool) -> str:
    """``"yes"``, or a shouted ``"NO"`` so a failed check stands out."""
    return "yes" if flag else "NO"
