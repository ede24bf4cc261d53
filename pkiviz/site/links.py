"""Rewrite the links in one chapter's rendered prose: cross-references and glossary terms.

A :class:`Linker` reads the HTML of markdown cells, one cell at a time in chapter order, and
returns it with

* ``href="03-chains-of-trust.ipynb"`` (with or without ``#anchor``) pointing at the HTML page;
* a plain-text or ``<code>`` mention of ``03-chains-of-trust.ipynb`` made into a link;
* ``chapter 3`` / ``Chapter 3`` made into a link to chapter 3's page, when that chapter is in the
  book and is not the current one (a reference to a chapter not yet written is left as text and
  recorded in :attr:`Linker.dangling`);
* the first appearance of each glossary term in the chapter linked to its glossary entry.

Text inside links, code, preformatted blocks and headings is never turned into a link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser

from pkiviz.book.glossary import Term

_NO_LINK = frozenset({"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area", "source"})
_NOTEBOOK_HREF = re.compile(r"^(?:\./)?(?P<stem>\d\d-[A-Za-z0-9_-]+)\.ipynb(?P<frag>#.*)?$")
_CHAPTER = r"(?P<chapter>\b[Cc]hapter\s+(?P<number>\d{1,2})\b)"
_FILE = r"(?P<file>(?<![\w-])(?P<stem>\d\d-[A-Za-z0-9_-]+)\.ipynb\b)"


def _form_pattern(form: str) -> str:
    body = r"\s+".join(re.escape(word) for word in form.split())
    if not any(c.isupper() for word in form.split() for c in word[1:]):
        body = f"(?i:{body})"  # "Trust anchor" too; but CA, mTLS, CertificateVerify exactly
    return rf"(?<![\w-]){body}(?:s|es)?(?![\w-])"


class Linker:
    """Link rewriting for one chapter; feed it the chapter's markdown cells in order.

    Args:
        pages: Chapter file stem (``"03-chains-of-trust"``) to its page (``"03-...html"``).
        current: The stem of the chapter being rendered (never linked to itself), or None.
        terms: Glossary terms to link on first appearance; empty for none.
        glossary_href: The glossary page.
    """

    def __init__(
        self,
        pages: Mapping[str, str],
        *,
        current: str | None = None,
        terms: Iterable[Term] = (),
        glossary_href: str = "glossary.html",
    ) -> None:
        self._pages = dict(pages)
        self._by_number = {int(stem[:2]): stem for stem in self._pages}
        self._current = current
        self._glossary = glossary_href
        self._forms: dict[str, Term] = {}
        for term in terms:
            for form in term.all_forms:
                self._forms[re.sub(r"\s+", " ", form.lower())] = term
        alternatives = [_CHAPTER, _FILE]
        if self._forms:
            forms = sorted({f for t in terms for f in t.all_forms}, key=len, reverse=True)
            alternatives.append("(?P<term>" + "|".join(_form_pattern(f) for f in forms) + ")")
        self._pattern = re.compile("|".join(alternatives))
        self.linked_terms: list[Term] = []
        self.dangling: list[str] = []

    def rewrite(self, fragment: str) -> str:
        """Return ``fragment`` (HTML of one markdown cell) with its links rewritten."""
        parser = _Rewriter(self)
        parser.feed(fragment)
        parser.close()
        return parser.result()

    def page_for_stem(self, stem: str) -> str | None:
        """The page of the chapter whose notebook is ``stem + ".ipynb"``, if it is in the book."""
        return self._pages.get(stem)

    def link_text(self, text: str) -> str:
        """Escape plain ``text`` and link the references and first term appearances in it."""
        out: list[str] = []
        end = 0
        for match in self._pattern.finditer(text):
            href = self._target(match)
            if href is None:
                continue
            out.append(html.escape(text[end : match.start()], quote=False))
            is_term = "term" in match.re.groupindex and match.group("term") is not None
            cls = "pkiviz-term" if is_term else "pkiviz-xref"
            out.append(
                f'<a class="{cls}" href="{html.escape(href)}">'
                f"{html.escape(match.group(0), quote=False)}</a>"
            )
            end = match.end()
        out.append(html.escape(text[end:], quote=False))
        return "".join(out)

    def _target(self, match: re.Match[str]) -> str | None:
        if match.group("chapter"):
            stem = self._by_number.get(int(match.group("number")))
            if stem is None:
                self.dangling.append(match.group("chapter"))
                return None
            return None if stem == self._current else self._pages[stem]
        if match.group("file"):
            stem = match.group("stem")
            if stem not in self._pages:
                self.dangling.append(match.group("file"))
                return None
            return None if stem == self._current else self._pages[stem]
        key = re.sub(r"\s+", " ", match.group(0).lower())
        term = self._forms.get(key) or self._forms.get(key[:-1]) or self._forms.get(key[:-2])
        if term is None or term in self.linked_terms:
            return None
        self.linked_terms.append(term)
        return f"{self._glossary}#{term.slug}"


class _Rewriter(HTMLParser):
    """Re-emit an HTML fragment token by token, rewriting hrefs and linkable text."""

    def __init__(self, linker: Linker) -> None:
        super().__init__(convert_charrefs=True)
        self._linker = linker
        self._out: list[str] = []
        self._stack: list[str] = []
        self._code: list[str] | None = None  # a <code> outside any link, buffered

    def result(self) -> str:
        return "".join(self._out)

    def _emit(self, text: str) -> None:
        (self._code if self._code is not None else self._out).append(text)

    def _blocked(self) -> bool:
        return any(tag in _NO_LINK for tag in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            attrs = [(k, self._rewrite_href(v) if k == "href" else v) for k, v in attrs]
        if tag == "code" and self._code is None and not self._blocked():
            self._code = []
        self._emit(_start_tag(tag, attrs))
        if tag not in _VOID:
            self._stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._emit(_start_tag(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in self._stack:
            while self._stack and self._stack.pop() != tag:
                pass
        self._emit(f"</{tag}>")
        if tag == "code" and self._code is not None and "code" not in self._stack:
            self._flush_code()

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1] in {"script", "style"}:
            self._emit(data)  # raw text: re-escaping would break it
        elif self._blocked():
            self._emit(html.escape(data, quote=False))
        else:
            self._emit(self._linker.link_text(data))

    def handle_comment(self, data: str) -> None:
        self._emit(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._emit(f"<!{decl}>")

    def _rewrite_href(self, href: str | None) -> str | None:
        if href is None:
            return None
        match = _NOTEBOOK_HREF.match(href)
        if match is None:
            return href
        page = self._linker.page_for_stem(match.group("stem"))
        if page is None:
            return href
        return page + (match.group("frag") or "")

    def _flush_code(self) -> None:
        assert self._code is not None
        code, self._code = "".join(self._code), None
        text = html.unescape(re.sub(r"<[^>]*>", "", code)).strip()
        match = _NOTEBOOK_HREF.match(text)
        page = self._linker.page_for_stem(match.group("stem")) if match else None
        if page is not None:
            code = f'<a class="pkiviz-xref" href="{html.escape(page)}">{code}</a>'
        self._out.append(code)


def _start_tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    parts = [tag]
    for key, value in attrs:
        parts.append(key if value is None else f'{key}="{html.escape(value)}"')
    return "<" + " ".join(parts) + ">"
