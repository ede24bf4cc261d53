"""The main path, Deeper sections and proof cells (pkiviz.book.parts); how the site folds them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import nbformat

from pkiviz.book.parts import (
    HEADING_COLLAPSED,
    apply_metadata,
    deeper_sections,
    in_deeper,
    proof_label,
    reading_load,
)
from pkiviz.site import build_site


def _md(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code(source: str, *tags: str) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {"tags": list(tags)} if tags else {},
        "outputs": [],
        "source": source,
    }


def _chapter() -> dict[str, Any]:
    cells = [
        _md("# 1 · A chapter\n\nBy the end of this chapter you will be able to read it."),  # 0
        _md("## The idea\n\nOne two three four five."),  # 1
        _code("x = 1\nx"),  # 2
        _code("# Proof: x is one\nassert x == 1", "proof"),  # 3
        _md("### Deeper: an edge case\n\nSix seven eight."),  # 4
        _code("y = 2"),  # 5
        _md("#### Inside the deeper part\n\nNine."),  # 6
        _md("### Back on the main path\n\nTen eleven."),  # 7
        _md("## Deeper: history\n\nTwelve."),  # 8
        _code("z = assert_free = 3"),  # 9
    ]
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


def test_deeper_section_runs_to_the_next_heading_of_its_level_or_higher() -> None:
    cells = _chapter()["cells"]
    assert list(deeper_sections(cells)) == [(4, 7), (8, 10)]
    # Control: a lower-level heading (#### inside ###) does not end the section.
    assert 6 in in_deeper(cells) and 7 not in in_deeper(cells)


def test_metadata_follows_the_conventions_and_is_removed_when_they_no_longer_hold() -> None:
    nb = _chapter()
    assert apply_metadata(nb) == 3  # one proof cell, two Deeper headings
    cells = nb["cells"]
    assert cells[3]["metadata"]["jupyter"] == {"source_hidden": True}
    assert cells[4]["metadata"][HEADING_COLLAPSED] is True
    assert HEADING_COLLAPSED not in cells[7]["metadata"]  # control: a main-path heading
    assert "jupyter" not in cells[2]["metadata"]  # control: a teaching cell stays open
    assert apply_metadata(nb) == 0  # idempotent
    cells[3]["metadata"]["tags"] = []  # no longer a proof: its source shows again
    assert apply_metadata(nb) == 1 and "jupyter" not in cells[3]["metadata"]


def test_reading_load_counts_the_main_path_apart_from_what_is_folded() -> None:
    load = reading_load("x.ipynb", _chapter())
    main = "1 A chapter By the end of this chapter you will be able to read it The idea One two"
    main += " three four five Back on the main path Ten eleven"
    deeper = "Deeper an edge case Six seven eight Inside the deeper part Nine Deeper history Twelve"
    assert load.main_words == len(main.split(" "))
    assert load.deeper_words == len(deeper.split(" "))
    assert (load.teaching_cells, load.proof_cells, load.visible_asserts) == (1, 1, 0)
    assert load.minutes == load.main_words / 200 + 0.5
    # Control: an assert moved into a visible cell is counted.
    nb = _chapter()
    nb["cells"][2]["source"] = "x = 1\nassert x == 1\nx"
    assert reading_load("x.ipynb", nb).visible_asserts == 1


def test_proof_label_is_the_first_line() -> None:
    assert proof_label(_chapter()["cells"][3]) == "x is one"
    assert proof_label(_code("assert True", "proof")) is None


def test_site_folds_proofs_and_deeper_sections_into_closed_details(tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    nb = _chapter()
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"c{i}"
    (book / "01-a.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    build_site(tmp_path / "site", book=book, cache=tmp_path / "cache", terms=())
    page = (tmp_path / "site" / "01-a.html").read_text(encoding="utf-8")
    assert page.count('<details class="pkiviz-deeper">') == 2
    assert page.count("</details>") == 3
    assert "<summary>Proof: x is one</summary>" in page
    assert "<summary>Deeper: an edge case</summary>" in page
    assert "<details open" not in page  # closed by default
    # The section ends where the main path resumes: "Back on the main path" is outside.
    first = page.index('<details class="pkiviz-deeper">')
    closing = page.index("</details>", page.index("Nine"))
    assert first < page.index("Six seven eight") < closing < page.index("Back on the main path")
    # Control: the teaching cell (between "The idea" and the proof) is outside any details.
    between = page[page.index("The idea") : page.index('<details class="pkiviz-proof">')]
    assert "jp-CodeCell" in between and not re.search("<details[^>]*>", between)


def test_the_book_follows_the_conventions_metadata() -> None:
    # Every chapter's metadata is what the conventions imply (run apply_metadata after editing).
    from pkiviz.book.run import chapters

    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        assert apply_metadata(nb) == 0, f"{path.name}: run pkiviz.book.parts.apply_metadata"
