"""Executing the book again gives byte-identical text outputs.

Each chapter is executed once more in a fresh kernel and its text outputs are
compared with the ones saved in the notebook (an earlier execution, on another
day and usually another machine). Chapters whose saved outputs hold no live
value are compared raw, byte for byte; in the others only what
``book/sanitize.cfg`` names as live by nature (ports, temporary paths) is
masked, exactly as nbval masks it. Figures are images, compared by nbval only
through their text form.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from pkiviz.book.run import ChapterRun, chapters, sanitize, sanitizers, text_outputs

CHAPTERS = chapters()
RULES = sanitizers()


def _has_live_values(path: Path) -> bool:
    notebook = nbformat.read(path, as_version=4)
    return text_outputs(notebook, ()) != text_outputs(notebook, RULES)


@pytest.mark.slow
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_a_second_execution_is_byte_identical(
    path: Path, chapter_run: Callable[[Path], ChapterRun]
) -> None:
    rules = RULES if _has_live_values(path) else ()
    outputs = [sanitize(text, rules) for text in chapter_run(path).outputs]
    saved = text_outputs(nbformat.read(path, as_version=4), rules)
    assert outputs == saved


def test_most_chapters_have_no_live_values_at_all() -> None:
    raw = [p.name for p in CHAPTERS if not _has_live_values(p)]
    assert {
        "14-how-this-book-works.ipynb",
        "01-certificate-anatomy.ipynb",
        "02-signature-one.ipynb",
        "03-chains-of-trust.ipynb",
        "04-what-a-client-checks.ipynb",
    } <= set(raw)


def test_the_comparison_catches_a_masked_value_changing() -> None:
    # Control: a port number is masked, any other digit is not.
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="127.0.0.1:4242 serial 7")]
    notebook.cells.append(cell)
    first = text_outputs(notebook, RULES)
    cell.outputs[0]["text"] = "127.0.0.1:5151 serial 7"
    assert text_outputs(notebook, RULES) == first
    cell.outputs[0]["text"] = "127.0.0.1:5151 serial 8"
    assert text_outputs(notebook, RULES) != first
