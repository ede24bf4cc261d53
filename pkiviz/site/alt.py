"""Alt text for the book's figures: where the site finds it.

A figure is a ``image/png`` output of a code cell. Its alt text is the first of these that
exists (the convention the chapters follow, in order of precedence):

1. the figure cell's metadata ``{"pkiviz": {"alt": "..."}}``: one string for every figure in
   the cell, or a list with one string per figure, in output order;
2. the output's own metadata ``{"image/png": {"alt": "..."}}`` (what a display formatter can
   attach);
3. text the figure cell itself prints (its ``stdout`` stream outputs);
4. the text printed by the **next** code cell when that cell calls a ``*_alt_text(...)``
   function, as the chapters do::

       draw_chain(report, ...)                  # the figure
       print(chain_alt_text(report, ...))       # its description, shown below it

   Proof cells between the two are skipped, and so is the heading of a Deeper section that
   holds the description (``### Deeper: the figure in words``), see :mod:`pkiviz.book.parts`;

5. the figure's ``text/plain`` representation, unless it is matplotlib's placeholder
   ``<Figure size ... with N Axes>``.

A figure with none of these has no alt text; the site build reports it (and gives the image a
placeholder description that says so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pkiviz.book.parts import DEEPER_PREFIX, heading, is_proof

_PLACEHOLDER = re.compile(r"^<(?:Figure|matplotlib\.\w+)[^>]*>$")
_ALT_CALL = re.compile(r"\w*alt_text\s*\(")


def figure_alt(cells: Sequence[Any], index: int, figure: int) -> str | None:
    """The alt text of the ``figure``-th PNG output of code cell ``cells[index]``.

    Args:
        cells: The notebook's cells (``nbformat`` nodes or plain dicts).
        index: The position of the figure's cell in ``cells``.
        figure: Which PNG output of that cell, counting from 0.

    Returns:
        The alt text, stripped, or None when the chapter gives none.
    """
    cell = cells[index]
    given = (cell.get("metadata") or {}).get("pkiviz", {}).get("alt")
    if isinstance(given, str) and given.strip():
        return given.strip()
    if isinstance(given, list) and figure < len(given) and str(given[figure]).strip():
        return str(given[figure]).strip()

    pngs = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    output = pngs[figure]
    attached = ((output.get("metadata") or {}).get("image/png") or {}).get("alt")
    if isinstance(attached, str) and attached.strip():
        return attached.strip()

    printed = _stdout(cell)
    if printed:
        return printed

    following = _next_code_cell(cells, index)
    if following is not None and _ALT_CALL.search(_source(following)):
        printed = _stdout(following)
        if printed:
            return printed

    plain = _text(output.get("data", {}).get("text/plain", "")).strip()
    if plain and not _PLACEHOLDER.match(plain):
        return plain
    return None


def _next_code_cell(cells: Sequence[Any], index: int) -> Any | None:
    for cell in cells[index + 1 :]:
        if is_proof(cell):
            continue  # folded checks may stand between a figure and its description
        if cell.get("cell_type") == "code":
            return cell
        if cell.get("cell_type") == "markdown":
            found = heading(cell)
            if found is not None and found[1].startswith(DEEPER_PREFIX):
                continue  # the description, folded into a Deeper section right after
            return None  # otherwise the description must follow the figure directly
    return None


def _stdout(cell: Any) -> str:
    return "".join(
        _text(o.get("text", ""))
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    ).strip()


def _source(cell: Any) -> str:
    return _text(cell.get("source", ""))


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
