"""The parts of a chapter: the main path, Deeper sections and proof cells.

A chapter teaches on its **main path**: short prose, and teaching cells that
show one idea each. Two kinds of material are folded away from it, and this
module is where the book says how:

- A **proof cell** proves the prose (asserts, cross-checks against other
  verifiers). It carries the tag ``proof``, its source is hidden
  (``metadata.jupyter.source_hidden``, which JupyterLab honours) and its
  first line is a comment ``# Proof: <what it checks>``, which JupyterLab
  shows on the collapsed cell. nbval still executes and compares it.
- A **Deeper section** holds edge cases, history and RFC minutiae. It starts
  at a markdown heading ``Deeper: ...`` (any level) collapsed in JupyterLab
  (``metadata["jp-MarkdownHeadingCollapsed"]``) and runs to the next heading
  of the same or a higher level. The static site shows it as a closed
  ``<details>``.

:func:`apply_metadata` writes the metadata those conventions imply, so that a
chapter is edited by tag and heading alone; :func:`reading_load` measures
what a reader of the main path meets.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import statistics
from collections.abc import Iterator
from typing import Any

PROOF_TAG = "proof"
PROOF_PREFIX = "# Proof: "
DEEPER_PREFIX = "Deeper: "
HEADING_COLLAPSED = "jp-MarkdownHeadingCollapsed"
WORDS_PER_MINUTE = 200
MINUTES_PER_CELL = 0.5

_HEADING = re.compile(r"^(#{1,6}) +(.*)$")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’_.-]*")


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def heading(cell: Any) -> tuple[int, str] | None:
    """A markdown cell's heading (level, text), if its first line is one."""
    if cell.get("cell_type") != "markdown":
        return None
    first = _source(cell).lstrip("\n").split("\n", 1)[0]
    match = _HEADING.match(first)
    return (len(match.group(1)), match.group(2).strip()) if match else None


def is_proof(cell: Any) -> bool:
    """Whether a cell is a proof cell (tagged ``proof``)."""
    return cell.get("cell_type") == "code" and PROOF_TAG in cell.get("metadata", {}).get("tags", ())


def proof_label(cell: Any) -> str | None:
    """The one-line label of a proof cell: its first line after ``# Proof: ``."""
    first = _source(cell).split("\n", 1)[0]
    return first.removeprefix(PROOF_PREFIX).strip() if first.startswith(PROOF_PREFIX) else None


def deeper_sections(cells: list[Any]) -> Iterator[tuple[int, int]]:
    """Each Deeper section as (index of its heading, index one past its last cell)."""
    for start, cell in enumerate(cells):
        found = heading(cell)
        if found is None or not found[1].startswith(DEEPER_PREFIX):
            continue
        level, end = found[0], len(cells)
        for later in range(start + 1, len(cells)):
            other = heading(cells[later])
            if other is not None and other[0] <= level:
                end = later
                break
        yield start, end


def in_deeper(cells: list[Any]) -> set[int]:
    """The indices of the cells inside a Deeper section, headings included."""
    return {i for start, end in deeper_sections(cells) for i in range(start, end)}


def apply_metadata(notebook: Any) -> int:
    """Set the JupyterLab metadata the conventions imply; return how many cells changed.

    Proof cells get a hidden source; Deeper headings are collapsed; every other
    cell loses both marks (a cell that stops being a proof shows its source again).
    """
    changed = 0
    cells = notebook["cells"]
    deeper_heads = {start for start, _ in deeper_sections(cells)}
    for index, cell in enumerate(cells):
        meta = cell.setdefault("metadata", {})
        before = repr(meta)
        jupyter = dict(meta.get("jupyter", {}))
        if is_proof(cell):
            jupyter["source_hidden"] = True
        else:
            jupyter.pop("source_hidden", None)
        if jupyter:
            meta["jupyter"] = jupyter
        else:
            meta.pop("jupyter", None)
        if index in deeper_heads:
            meta[HEADING_COLLAPSED] = True
        else:
            meta.pop(HEADING_COLLAPSED, None)
        changed += repr(meta) != before
    return changed


def asserts(source: str) -> int:
    """How many ``assert`` statements a cell's source holds (IPython magics skipped)."""
    lines = "\n".join(x for x in source.splitlines() if not x.lstrip().startswith(("%", "!")))
    try:
        tree = ast.parse(lines)
    except SyntaxError:
        return 0
    return sum(isinstance(node, ast.Assert) for node in ast.walk(tree))


def words(markdown: str) -> int:
    """Words of prose in a markdown cell (code spans and HTML tags count as what they show)."""
    text = re.sub(r"<[^>]+>", " ", markdown)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # a link's target is not read
    return len(_WORD.findall(text))


@dataclasses.dataclass(frozen=True)
class ChapterLoad:
    """What a reader of one chapter meets on its main path, and what is folded away.

    Attributes:
        name: the notebook's file name.
        main_words: words of prose on the main path.
        deeper_words: words of prose in Deeper sections.
        teaching_cells: visible code cells on the main path (not proof cells).
        median_lines: their median length in lines.
        visible_asserts: ``assert`` statements in visible cells (should be 0).
        proof_cells: proof cells in the chapter (main path and Deeper).
    """

    name: str
    main_words: int
    deeper_words: int
    teaching_cells: int
    median_lines: float
    visible_asserts: int
    proof_cells: int

    @property
    def minutes(self) -> float:
        """Estimated reading time of the main path: 200 words a minute, half a minute a cell."""
        return self.main_words / WORDS_PER_MINUTE + MINUTES_PER_CELL * self.teaching_cells


def reading_load(name: str, notebook: Any) -> ChapterLoad:
    """Measure one chapter's main path and folded parts.

    Args:
        name: the notebook's file name.
        notebook: the chapter.

    Returns:
        The measures.
    """
    cells = notebook["cells"]
    deeper = in_deeper(cells)
    main_words = deeper_words = visible_asserts = proofs = 0
    lengths: list[int] = []
    for index, cell in enumerate(cells):
        source = _source(cell)
        if cell.get("cell_type") == "markdown":
            if index in deeper:
                deeper_words += words(source)
            else:
                main_words += words(source)
        elif cell.get("cell_type") == "code":
            if is_proof(cell):
                proofs += 1
                continue
            visible_asserts += asserts(source)
            if index not in deeper:
                lengths.append(len(source.strip().splitlines()))
    return ChapterLoad(
        name=name,
        main_words=main_words,
        deeper_words=deeper_words,
        teaching_cells=len(lengths),
        median_lines=statistics.median(lengths) if lengths else 0.0,
        visible_asserts=visible_asserts,
        proof_cells=proofs,
    )
