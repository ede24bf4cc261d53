"""Which chapter cells show an external tool's words, and the rule they follow.

The book runs real programs (``openssl``, ``curl``, ``openssl s_server``) and
shows what they print, and its live handshakes quote the OpenSSL library's own
error strings through Python's ``ssl`` and pyOpenSSL. Those words belong to a
build of OpenSSL or curl that the project does not control: a distribution's
security update may change a line without changing a fact. So the rule is:

- nbval compares byte for byte what pkiviz computes;
- a cell that shows a tool's words is tagged ``tool-output`` (with nbval's
  ``nbval-ignore-output``): it is executed, its words are shown, and it asserts
  the facts the prose relies on (exit status, error code, which certificate,
  presence of a message) instead of having its text compared, in the cell
  or in the proof cells right after it;
- a widget cell (never compared) may run tools; the cells after it assert;
- a cell that runs a tool but shows only facts pkiviz derived from it (pass or
  fail, an exit status) is tagged ``tool-facts``, compared strictly, and also
  asserts (or is an exercise checked by ``check_answer``);
- a cell that shows values live by nature (a real server's fresh random and
  ephemeral key share, and every secret derived from them) is tagged
  ``live-output`` (with ``nbval-ignore-output``) and, like a ``tool-output``
  cell, asserts the facts the prose relies on (lengths, equalities with the
  server's own key log) in the cell or in the proof cells right after it.

:func:`problems` checks a chapter against that rule, given which programs each
cell started (:func:`pkiviz.book.run.execute` with ``watch_programs=True``
records them). :func:`inventory` lists the tool cells for the reader of a
review or a closing note.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pkiviz.book.parts import is_proof
from pkiviz.table import Table

TOOL_OUTPUT = "tool-output"
TOOL_FACTS = "tool-facts"
LIVE_OUTPUT = "live-output"
IGNORE_OUTPUT = "nbval-ignore-output"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

# Programs that are the book's own: their output is what pkiviz computes.
OWN_PROGRAMS = frozenset({"pkiviz"})

# Phrases only the OpenSSL library (through Python's ssl or pyOpenSSL) or a tool's run
# write; an untagged cell that shows one of them compares a tool's words. OpenSSL's reason
# codes (TLSV1_ALERT_UNKNOWN_CA, KEY_VALUES_MISMATCH: the SSL_R_* names of its public
# header ssl/sslerr.h) are identifiers, like an error number, and are not listed.
OPENSSL_WORDS = (
    "certificate verify failed",
    "depth lookup:",
    "verification failed",
    "key values mismatch",
    "[exit status",
)


@dataclasses.dataclass(frozen=True)
class ToolCell:
    """One chapter cell that runs an external program or shows its words.

    Attributes:
        chapter: the notebook's file name.
        index: the cell's index among all the chapter's cells.
        programs: the programs it started, each once, in order of first start.
        tag: ``tool-output`` or ``tool-facts`` (``""`` if untagged).
        facts: the conditions its ``assert`` statements check (and
            ``check_answer`` for an exercise), as written, with those of the
            proof cells right after it (:mod:`pkiviz.book.parts`).
    """

    chapter: str
    index: int
    programs: tuple[str, ...]
    tag: str
    facts: tuple[str, ...]


def _tags(cell: Any) -> tuple[str, ...]:
    return tuple(cell.get("metadata", {}).get("tags", ()))


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(source)


def _output_text(cell: Any) -> str:
    parts: list[str] = []
    for output in cell.get("outputs", ()):
        if output.get("output_type") == "stream":
            parts.append(str(output.get("text", "")))
        for key in ("text/plain", "text/html"):
            value = output.get("data", {}).get(key)
            if value is not None:
                parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def _is_widget(cell: Any) -> bool:
    """A widget view (never compared: its model id is new every run), shown, not asserted."""
    return IGNORE_OUTPUT in _tags(cell) and any(
        WIDGET_MIME in o.get("data", {}) for o in cell.get("outputs", ())
    )


def facts(source: str) -> tuple[str, ...]:
    """The conditions a cell's ``assert`` statements check, and ``check_answer`` if it calls it."""
    lines = "\n".join(x for x in source.splitlines() if not x.lstrip().startswith(("%", "!")))
    tree = ast.parse(lines)
    found = [
        ast.get_source_segment(lines, n.test) or ""
        for n in ast.walk(tree)
        if isinstance(n, ast.Assert)
    ]
    calls = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "check_answer"
    ]
    found.extend("check_answer(...)" for _ in calls)
    return tuple(" ".join(f.split()) for f in found)


def _facts_around(cells: Sequence[Any], index: int) -> tuple[str, ...]:
    """The facts cell ``index`` asserts, with those of the proof cells right after it."""
    checked = list(facts(_source(cells[index])))
    for later in cells[index + 1 :]:
        if not is_proof(later):
            break
        checked.extend(facts(_source(later)))
    return tuple(checked)


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def tool_cells(
    chapter: str, notebook: Any, programs: Mapping[int, Sequence[str]]
) -> tuple[ToolCell, ...]:
    """The cells that start a program other than pkiviz, or carry a tool tag.

    Args:
        chapter: the notebook's file name.
        notebook: the chapter (``nbformat`` node or the same shape as dicts).
        programs: for each cell index that started programs, their names.

    Returns:
        One record per such cell, in order.
    """
    out = []
    for index, cell in enumerate(notebook["cells"]):
        if cell.get("cell_type") != "code":
            continue
        started = [p for p in programs.get(index, ()) if p not in OWN_PROGRAMS]
        tags = _tags(cell)
        tag = TOOL_OUTPUT if TOOL_OUTPUT in tags else TOOL_FACTS if TOOL_FACTS in tags else ""
        if started or tag:
            checked = _facts_around(notebook["cells"], index)
            out.append(ToolCell(chapter, index, _unique(started), tag, checked))
    return tuple(out)


def problems(chapter: str, notebook: Any, programs: Mapping[int, Sequence[str]]) -> list[str]:
    """Every way a chapter breaks the rule in this module's docstring.

    Args:
        chapter: the notebook's file name.
        notebook: the chapter, with its saved outputs.
        programs: for each cell index that started programs, their names.

    Returns:
        One line per problem (empty: the chapter follows the rule).
    """
    found: list[str] = []
    cells = notebook["cells"]
    for tool in tool_cells(chapter, notebook, programs):
        where = f"{chapter} cell {tool.index}"
        tags = _tags(cells[tool.index])
        if not tool.tag and not _is_widget(cells[tool.index]):
            found.append(f"{where} runs {', '.join(tool.programs)} but has no tool tag")
        if tool.tag == TOOL_OUTPUT and IGNORE_OUTPUT not in tags:
            found.append(f"{where} shows a tool's words but nbval compares them")
        if tool.tag == TOOL_FACTS and IGNORE_OUTPUT in tags:
            found.append(f"{where} shows only facts, which nbval should compare")
        if tool.tag and not tool.facts:
            found.append(f"{where} asserts nothing about what the tool said")
        if tool.tag == TOOL_FACTS and not tool.programs:
            found.append(f"{where} is tagged {TOOL_FACTS} but runs no program")
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        tags = _tags(cell)
        text = _output_text(cell)
        live = LIVE_OUTPUT in tags
        if IGNORE_OUTPUT in tags and TOOL_OUTPUT not in tags and not live and not _is_widget(cell):
            found.append(f"{chapter} cell {index} is not compared, yet is no widget or tool cell")
        if live and IGNORE_OUTPUT not in tags:
            found.append(f"{chapter} cell {index} shows live values but nbval compares them")
        if live and not _facts_around(cells, index):
            found.append(f"{chapter} cell {index} shows live values but asserts nothing about them")
        if TOOL_OUTPUT not in tags:
            words = [word for word in OPENSSL_WORDS if word in text]
            if words:
                found.append(f"{chapter} cell {index} compares a tool's words: {words[0]!r}")
    return found


def inventory(cells: Sequence[ToolCell]) -> Table:
    """The tool cells as a table: chapter, cell, tools, tag, facts asserted."""
    return Table(
        ("chapter", "cell", "tool", "tag", "facts asserted"),
        tuple(
            (
                c.chapter.removesuffix(".ipynb"),
                str(c.index),
                ", ".join(c.programs) or "(OpenSSL library)",
                c.tag,
                "; ".join(c.facts),
            )
            for c in cells
        ),
    )
