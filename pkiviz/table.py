"""A small table that renders itself as text and as HTML, for results with rows.

Chapters end cells with an expression; when that expression is a
:class:`Table`, JupyterLab shows the HTML and nbval compares the text, which is
deterministic (no widths from the terminal, no object ids).
"""

from __future__ import annotations

import dataclasses
import html


@dataclasses.dataclass(frozen=True)
class Table:
    """Rows of strings under column headings.

    Attributes:
        columns: the headings.
        rows: one tuple of cell strings per row, as long as ``columns``.
        caption: an optional one-line caption shown above the table.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"row {row!r} has {len(row)} cells, expected {len(self.columns)}")

    def column(self, name: str) -> tuple[str, ...]:
        """Return one column's cells.

        Args:
            name: a heading.

        Returns:
            The cells of that column, top to bottom.
        """
        index = self.columns.index(name)
        return tuple(row[index] for row in self.rows)

    def text(self) -> str:
        """Render as aligned plain text."""
        widths = [
            max([len(c)] + [len(r[i]) for r in self.rows]) for i, c in enumerate(self.columns)
        ]
        lines = [self.caption] if self.caption else []
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(self.columns, widths, strict=True)).rstrip()
        )
        lines.append("  ".join("-" * w for w in widths))
        lines += [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in self.rows
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td style='text-align:left'>{html.escape(cell)}</td>" for cell in row)
            + "</tr>"
            for row in self.rows
        )
        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
