"""Words defined before they are used: the glossary terms in the book's reading order.

A reader meets the chapters in order, each from top to bottom. The first time
a glossary term (:data:`pkiviz.book.glossary.TERMS`, any of its forms) appears in
prose, the same cell must define it - the term in bold or italics, where the
sentence says what it is - or link to the glossary (a markdown link whose
target names the glossary). A Deeper section (:mod:`pkiviz.book.parts`) may be
skipped, so a definition there does not count for the main path after it;
a term met first in a Deeper section is defined there or earlier.

Matching is the site's (``pkiviz.site.links``): whole words, a trailing plural
allowed, forms written with capitals inside (CA, mTLS) only in capitals. Code
spans, code blocks, link targets and HTML tags are not prose.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from typing import Any

from pkiviz.book.parts import in_deeper
from pkiviz.book.glossary import TERMS, Term

_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)
_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_TAG = re.compile(r"<[^>]+>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1", re.DOTALL)


def _form_pattern(form: str) -> str:
    body = r"\s+".join(re.escape(word) for word in form.split())
    if not any(c.isupper() for word in form.split() for c in word[1:]):
        body = f"(?i:{body})"
    return rf"(?<![\w-]){body}(?:s|es)?(?![\w-])"


def prose(markdown: str) -> str:
    """The text a reader reads in a markdown cell: no code, link targets or HTML tags."""
    text = _CODE.sub(" ", markdown)
    text = _LINK.sub(lambda m: m.group(1), text)
    return _TAG.sub(" ", text)


@dataclasses.dataclass(frozen=True)
class FirstUse:
    """Where a reader first meets a term, and whether it is explained there.

    Attributes:
        term: the glossary headword.
        chapter: the notebook's file name.
        cell: the cell's index.
        deeper: whether the cell is in a Deeper section.
        defined: whether the cell (or an earlier one) defines or links it.
    """

    term: str
    chapter: str
    cell: int
    deeper: bool
    defined: bool


class _Matcher:
    def __init__(self, terms: Iterable[Term]) -> None:
        self.patterns = {
            t.term: re.compile("|".join(_form_pattern(f) for f in t.all_forms)) for t in terms
        }

    def used(self, text: str) -> set[str]:
        return {term for term, pattern in self.patterns.items() if pattern.search(text)}

    def defined(self, markdown: str) -> set[str]:
        found: set[str] = set()
        for match in _EMPHASIS.finditer(_CODE.sub(" ", markdown)):
            found |= self.used(_LINK.sub(lambda m: m.group(1), match.group(2)))
        for match in _LINK.finditer(markdown):
            if "glossary" in match.group(2).lower():
                found |= self.used(match.group(1))
        return found


def first_uses(
    book: Sequence[tuple[str, Any]], terms: Iterable[Term] = TERMS
) -> tuple[FirstUse, ...]:
    """Every glossary term's first use on the main path, and in a Deeper section if earlier.

    Args:
        book: the chapters in reading order, as (file name, notebook).
        terms: the glossary.

    Returns:
        One record per (term, first place met), in reading order.
    """
    matcher = _Matcher(terms)
    defined_main: set[str] = set()
    defined_any: set[str] = set()
    seen_main: set[str] = set()
    seen_any: set[str] = set()
    out: list[FirstUse] = []
    for name, notebook in book:
        cells = notebook["cells"]
        deeper = in_deeper(cells)
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "markdown":
                continue
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            here = matcher.defined(source)
            used = matcher.used(prose(source))
            folded = index in deeper
            for term in sorted(used):
                if folded and term not in seen_any and term not in seen_main:
                    ok = term in defined_any or term in here
                    out.append(FirstUse(term, name, index, True, ok))
                elif not folded and term not in seen_main:
                    ok = term in defined_main or term in here
                    out.append(FirstUse(term, name, index, False, ok))
            (seen_any if folded else seen_main).update(used)
            defined_any |= here
            if not folded:
                defined_main |= here
    return tuple(out)


def undefined(book: Sequence[tuple[str, Any]], terms: Iterable[Term] = TERMS) -> list[str]:
    """One line per term used before it is defined or linked (empty: none)."""
    return [
        f"{u.chapter} cell {u.cell}{' (Deeper)' if u.deeper else ''}: "
        f"{u.term!r} used before it is defined"
        for u in first_uses(book, terms)
        if not u.defined
    ]
