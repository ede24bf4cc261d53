"""Glossary terms are defined, or linked to the glossary, where a reader first meets them."""

from __future__ import annotations

from typing import Any

from pkiviz.book.glossary import Term
from pkiviz.book.terms import first_uses, prose, undefined

TERMS = (
    Term("trust anchor", "A certificate trusted without proof, by configuration."),
    Term("certificate authority", "An organisation that signs certificates for others.", ("CA",)),
)


def _nb(*sources: str) -> dict[str, Any]:
    return {"cells": [{"cell_type": "markdown", "metadata": {}, "source": s} for s in sources]}


def test_a_term_defined_in_bold_or_linked_at_first_use_passes() -> None:
    book = [
        ("00.ipynb", _nb("A **trust anchor** is trusted as is.", "Every trust anchor is a root.")),
        ("01.ipynb", _nb("A [CA](13-summary.ipynb#Glossary) signs; CAs sign a lot.")),
    ]
    assert undefined(book, TERMS) == []


def test_a_term_used_before_its_definition_is_reported() -> None:
    book = [("00.ipynb", _nb("Each trust anchor ...", "A *trust anchor* is trusted as is."))]
    assert undefined(book, TERMS) == ["00.ipynb cell 0: 'trust anchor' used before it is defined"]
    # Code, link targets and a lowercase 'ca' are not uses; control: 'CA' in prose is.
    quiet = [("00.ipynb", _nb("`trust anchor` and [x](trust-anchor.html) and ca-bundle"))]
    assert undefined(quiet, TERMS) == []
    assert undefined([("00.ipynb", _nb("the CA"))], TERMS) == [
        "00.ipynb cell 0: 'certificate authority' used before it is defined"
    ]


def test_a_definition_in_a_deeper_section_does_not_count_for_the_main_path() -> None:
    folded = _nb("## Deeper: roots\n\nA **trust anchor** is ...", "## Back\n\nthe trust anchor")
    assert [(u.cell, u.deeper, u.defined) for u in first_uses([("00.ipynb", folded)], TERMS)] == [
        (0, True, True),
        (1, False, False),
    ]
    # Control: defined on the main path first, it may be used in a Deeper section after.
    main_first = _nb("A **trust anchor** ...", "## Deeper: more\n\nthe trust anchor again")
    assert undefined([("00.ipynb", main_first)], TERMS) == []


def test_prose_drops_code_and_link_targets() -> None:
    assert prose("see `CA` in [the glossary](glossary.html) <b>CA</b>").split() == [
        "see",
        "in",
        "the",
        "glossary",
        "CA",
    ]
