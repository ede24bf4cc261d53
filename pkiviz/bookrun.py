"""Execute the chapters and compare their text outputs: the performance budget, determinism.

Used by ``benchmarks/book.py`` (per-chapter times, and a second execution
compared byte for byte with the first) and by the tests. Text outputs are what
nbval compares: ``text/plain``, ``text/html`` and stream text, after the same
sanitizers as ``book/sanitize.cfg`` (values live by nature: ports, temporary
paths).

This module needs the ``test`` extra (nbclient, nbformat); ``import pkiviz``
does not import it.
"""

from __future__ import annotations

import configparser
import dataclasses
import re
import time
from pathlib import Path

BOOK = Path(__file__).resolve().parents[1] / "book"
TEXT_KEYS = ("text/plain", "text/html")


def chapters(book: Path = BOOK) -> tuple[Path, ...]:
    """The chapter notebooks, in order."""
    return tuple(sorted(book.glob("[0-9][0-9]-*.ipynb")))


def sanitizers(config: Path | None = None) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The (regex, replacement) pairs of ``book/sanitize.cfg``, as nbval reads them."""
    parser = configparser.ConfigParser()
    parser.read(config or BOOK / "sanitize.cfg")
    return tuple(
        (re.compile(parser[section]["regex"]), parser[section]["replace"])
        for section in parser.sections()
    )


def text_outputs(notebook: object, rules: tuple[tuple[re.Pattern[str], str], ...]) -> list[str]:
    """Every code cell's text outputs, sanitized, one string per cell.

    Cells tagged ``nbval-ignore-output`` (widget views) are skipped, as nbval
    skips them.
    """
    cells = notebook.cells  # type: ignore[attr-defined]
    out: list[str] = []
    for cell in cells:
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", ()):
            continue
        parts: list[str] = []
        previous_stream = None
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "stream":
                # A kernel may deliver one print in several chunks; a saved file holds them
                # merged. Consecutive chunks of one stream are one text, as nbval treats them.
                if previous_stream == output.get("name") and parts:
                    parts[-1] += str(output.get("text", ""))
                else:
                    parts.append(str(output.get("text", "")))
                previous_stream = output.get("name")
                continue
            previous_stream = None
            for key in TEXT_KEYS:
                value = output.get("data", {}).get(key)
                if value is not None:
                    parts.append(value if isinstance(value, str) else "".join(value))
        text = "\n".join(parts)
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        out.append(text)
    return out


@dataclasses.dataclass(frozen=True)
class ChapterRun:
    """One chapter executed once.

    Attributes:
        name: the notebook's file name.
        seconds: wall time of the execution (kernel start excluded).
        outputs: its sanitized text outputs, one string per code cell.
    """

    name: str
    seconds: float
    outputs: tuple[str, ...]


def execute(path: Path, *, timeout: float = 120.0, sanitize: bool = True) -> ChapterRun:
    """Execute a chapter in a fresh kernel, in its own directory, and time it.

    Args:
        path: the notebook.
        timeout: seconds allowed per cell.
        sanitize: mask live values (``book/sanitize.cfg``) in the outputs;
            ``False`` keeps them raw, for byte-for-byte comparisons.

    Returns:
        The run.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        timeout=int(timeout),
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
    rules = sanitizers() if sanitize else ()
    return ChapterRun(path.name, seconds, tuple(text_outputs(notebook, rules)))


def saved_outputs(path: Path) -> tuple[str, ...]:
    """The sanitized text outputs stored in a chapter file."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    return tuple(text_outputs(notebook, sanitizers()))
