"""The chapters follow the book's conventions, checked on the saved notebooks.

nbval (run by ``make test`` on book/) re-executes every chapter and compares its
text outputs with the saved ones; these tests check the shape every chapter
promises its reader, and that the comparison machinery itself is not vacuous.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from pkiviz.book.run import chapters, sanitizers, saved_outputs, text_outputs

CHAPTERS = chapters()


def test_the_book_has_its_chapters_in_order() -> None:
    numbers = [int(p.name[:2]) for p in CHAPTERS]
    assert numbers == list(range(len(numbers)))
    assert len(numbers) >= 9


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_shape(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert re.search(r"(?i)by the end of this chapter|you will be able to|you can now", markdown)
    assert re.search(r"(?m)^#+ Summary", markdown)
    assert re.search(r"(?m)^#+ (Review )?[Ee]xercises", markdown)
    assert "check_answer" in "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert nb.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_cells_are_thin(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(
            line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))
        )
        tree = ast.parse(source)
        defined = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert not defined, f"{path.name}: a cell defines code; move it into pkiviz"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_is_saved_executed_without_errors(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "run every cell before saving"
    for cell in code:
        assert not any(o.get("output_type") == "error" for o in cell.outputs)


def test_sanitizers_touch_only_live_values() -> None:
    rules = sanitizers()
    sample = (
        "OK from 127.0.0.1:54321 in /tmp/pkiviz-abc/x.pem; serial 0936F183; "
        "'OpenSSL 3.0.19 27 Jan 2026'; curl: (35) OpenSSL/3.0.19: error:0A000410; "
        "TLSv1.3 TLS_AES_256_GCM_SHA384 3.0.19"
    )
    cleaned = sample
    for pattern, replacement in rules:
        cleaned = pattern.sub(replacement, cleaned)
    assert cleaned == (
        "OK from 127.0.0.1:PORT in TMPPATH; serial 0936F183; "
        "'OpenSSL VERSION'; curl: (35) OpenSSL/VERSION: error:0A000410; "
        "TLSv1.3 TLS_AES_256_GCM_SHA384 3.0.19"
    )


def test_text_output_comparison_sees_a_change() -> None:
    nb = nbformat.read(CHAPTERS[0], as_version=4)
    before = text_outputs(nb, sanitizers())
    assert before == list(saved_outputs(CHAPTERS[0]))
    target = next(c for c in nb.cells if c.cell_type == "code" and c.outputs)
    target.outputs[0]["data"]["text/plain"] = "'0.0.0'"
    # Control: one changed character is a difference.
    assert text_outputs(nb, sanitizers()) != before


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_figures_carry_their_own_opaque_background(path: Path) -> None:
    """Legible on dark and light themes: a figure never shows the page through it."""
    import base64
    import io

    from PIL import Image

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            png = output.get("data", {}).get("image/png")
            if png is None:
                continue
            image = Image.open(io.BytesIO(base64.b64decode(png))).convert("RGBA")
            width, height = image.size
            corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
            assert all(image.getpixel(xy)[3] == 255 for xy in corners)  # type: ignore[index]


def test_opacity_check_sees_a_transparent_figure() -> None:
    # Control: matplotlib's transparent export is what the check above refuses.
    import io

    from matplotlib.figure import Figure
    from PIL import Image

    buffer = io.BytesIO()
    Figure(figsize=(1, 1)).savefig(buffer, format="png", transparent=True)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0  # type: ignore[index]


# --- teach first, prove quietly (pkiviz.book.parts, pkiviz.book.terms) ----------------------------


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_teaching_cells_hold_no_asserts_and_proof_cells_say_what_they_check(path: Path) -> None:
    from pkiviz.book.parts import asserts, is_proof, proof_label, reading_load

    nb = nbformat.read(path, as_version=4)
    assert reading_load(path.name, nb).visible_asserts == 0, "move the asserts into proof cells"
    for index, cell in enumerate(nb.cells):
        if is_proof(cell):
            assert proof_label(cell), f"cell {index}: a proof cell starts with '# Proof: ...'"
            assert asserts(cell.source) or "check_answer" in cell.source, (
                f"cell {index} proves nothing"
            )
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_main_path_fits_a_sitting(path: Path) -> None:
    from pkiviz.book.parts import reading_load

    load = reading_load(path.name, nbformat.read(path, as_version=4))
    assert load.minutes <= 20, f"{load.minutes:.1f} min on the main path: fold depth into Deeper"


def test_every_glossary_term_is_defined_or_linked_where_a_reader_first_meets_it() -> None:
    from pkiviz.book.terms import undefined

    book = [(p.name, nbformat.read(p, as_version=4)) for p in CHAPTERS]
    assert undefined(book) == []


def test_the_glossary_readers_link_to_is_where_they_are_sent() -> None:
    # Chapters link terms to 13-summary.ipynb#Glossary: that chapter has the heading.
    summary = next(p for p in CHAPTERS if p.name.endswith("-summary.ipynb"))
    markdown = "\n".join(c.source for c in nbformat.read(summary, as_version=4).cells)
    assert re.search(r"(?m)^## Glossary$", markdown)
    linked = {
        target
        for p in CHAPTERS
        for c in nbformat.read(p, as_version=4).cells
        if c.cell_type == "markdown"
        for target in re.findall(r"\]\(([^)]*[Gg]lossary[^)]*)\)", c.source)
    }
    assert linked <= {"13-summary.ipynb#Glossary"}, linked
