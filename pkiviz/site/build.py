"""Build the static book: every chapter with its saved outputs, a contents page and a glossary.

The chapters are the notebooks ``NN-name.ipynb`` in the book directory, in the order of their
numbers; a chapter's title is its first ``# `` heading. Nothing is executed: the pages show the
outputs the notebooks were saved with. Every page loads only files inside the output directory.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from nbconvert import HTMLExporter

from pkiviz.book.glossary import TERMS, Term
from pkiviz.book.parts import deeper_sections, heading, is_proof, proof_label
from pkiviz.site import offline
from pkiviz.site.alt import figure_alt
from pkiviz.site.links import Linker
from pkiviz.site.templates import (
    CHAPTER,
    GLOSSARY,
    INDEX,
    PAGE,
    SAVED_WIDGET,
    SITE_CSS,
    WIDGET_NOTE,
)
from pkiviz.site.widgets import (
    WIDGET_VIEW,
    SiteError,
    fetch_html_manager,
    foreign_modules,
    install_html_manager,
    saved_models,
)

MARKER = ".pkiviz-site"
_CHAPTER_FILE = re.compile(r"^(\d\d)-[A-Za-z0-9_-]+\.ipynb$")
_MATH = re.compile(r"\$\$|\\\(|\\\[|(?<![\\$\w])\$(?=\S)[^$\n]+(?<=\S)\$(?![\w$])")
_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)


@dataclass(frozen=True)
class Chapter:
    """One notebook of the book.

    Attributes:
        path: The notebook.
        number: Its number, from the file name.
        title: Its first ``# `` heading (the file name if it has none).
    """

    path: Path
    number: int
    title: str

    @property
    def stem(self) -> str:
        """``"03-chains-of-trust"``."""
        return self.path.stem

    @property
    def href(self) -> str:
        """Its page in the site, ``"03-chains-of-trust.html"``."""
        return self.stem + ".html"

    @property
    def short(self) -> str:
        """``"chapter 3"``."""
        return f"chapter {self.number}"


@dataclass(frozen=True)
class Problem:
    """Something the build noticed.

    Attributes:
        page: The page (``"03-chains-of-trust.html"``) it concerns.
        kind: ``"missing-alt"``, ``"remote-resource"``, ``"broken-link"``, ``"widget-module"``,
            ``"math"`` or ``"dangling-reference"`` (a chapter not written yet).
        detail: What and where, in words.
    """

    page: str
    kind: str
    detail: str


BROKEN_KINDS = frozenset({"remote-resource", "broken-link"})


@dataclass(frozen=True)
class BuildReport:
    """What ``build_site`` wrote, and the problems it found.

    Attributes:
        outdir: The site's directory.
        chapters: The chapters, in order.
        pages: Every HTML page written, relative to ``outdir``.
        figures: How many figures (PNG outputs) the chapters hold.
        widgets: How many widget outputs; ``live_widgets`` of them had saved state.
        live_widgets: Widget outputs rendered from saved state by the local widget manager.
        problems: What needs attention, in page order.
    """

    outdir: Path
    chapters: tuple[Chapter, ...]
    pages: tuple[str, ...]
    figures: int
    widgets: int
    live_widgets: int
    problems: tuple[Problem, ...]

    def of_kind(self, kind: str) -> tuple[Problem, ...]:
        """The problems of one kind."""
        return tuple(p for p in self.problems if p.kind == kind)

    @property
    def broken(self) -> bool:
        """True if a page would load something from the network or links to a missing file."""
        return any(p.kind in BROKEN_KINDS for p in self.problems)

    def __str__(self) -> str:
        lines = [
            f"Built {len(self.pages)} pages into {self.outdir} ({len(self.chapters)} chapters, "
            f"{self.figures} figures, {self.widgets} widget outputs, "
            f"{self.live_widgets} rendered from saved state)."
        ]
        for kind in sorted({p.kind for p in self.problems}):
            found = self.of_kind(kind)
            lines.append(f"{kind}: {len(found)}")
            lines.extend(f"  {p.page}: {p.detail}" for p in found)
        return "\n".join(lines)


def find_chapters(book: Path) -> tuple[Chapter, ...]:
    """The chapters in ``book`` (``NN-name.ipynb``), in order of their numbers.

    Raises:
        SiteError: No chapter, or two chapters with one number.
    """
    chapters = []
    for path in sorted(book.glob("*.ipynb")):
        match = _CHAPTER_FILE.match(path.name)
        if match:
            nb = _read(path)
            chapters.append(Chapter(path, int(match.group(1)), _title(nb) or path.stem))
    numbers = [c.number for c in chapters]
    if not chapters:
        raise SiteError(f"no chapters (NN-name.ipynb) in {book}")
    if len(set(numbers)) != len(numbers):
        raise SiteError(f"two chapters share a number in {book}: {sorted(numbers)}")
    return tuple(chapters)


def build_site(
    outdir: Path,
    *,
    book: Path = Path("book"),
    cache: Path = Path(".cache/site-npm"),
    npm: str = "npm",
    terms: Sequence[Term] = TERMS,
) -> BuildReport:
    """Convert every chapter in ``book`` to a static, offline HTML site in ``outdir``.

    Args:
        outdir: Where the site goes. An existing earlier build there is replaced; any other
            non-empty directory is refused.
        book: The directory holding the chapters.
        cache: Where the widget manager fetched from npm is kept between builds.
        npm: The npm executable (needed only when a chapter has saved widget state).
        terms: The glossary.

    Returns:
        The report: pages, counts, and problems (figures without alt text among them).

    Raises:
        SiteError: No chapters, an output directory that is not an earlier build, or the
            widget manager could not be fetched.
    """
    chapters = find_chapters(book)
    _prepare(outdir)
    builder = _Builder(outdir, chapters, cache, npm, tuple(terms))
    for i in range(len(chapters)):
        builder.chapter(i)
    builder.index()
    builder.glossary()
    builder.stylesheet()
    builder.check()
    return BuildReport(
        outdir=outdir,
        chapters=chapters,
        pages=tuple(builder.pages),
        figures=builder.figures,
        widgets=builder.widgets,
        live_widgets=builder.live_widgets,
        problems=tuple(builder.problems),
    )


@dataclass
class _Builder:
    outdir: Path
    chapters: tuple[Chapter, ...]
    cache: Path
    npm: str
    terms: tuple[Term, ...]
    pages: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    figures: int = 0
    widgets: int = 0
    live_widgets: int = 0
    pygments_css: list[str] = field(default_factory=list)
    seen_in: dict[Term, list[Chapter]] = field(default_factory=dict)
    _linker: Linker | None = None
    _manager: Path | None = None
    _exporter: HTMLExporter | None = None

    @property
    def exporter(self) -> HTMLExporter:
        if self._exporter is None:
            links: Callable[[str], str] = self._rewrite_links
            self._exporter = HTMLExporter(  # type: ignore[no-untyped-call]
                template_name="lab",
                template_file="pkiviz-chapter.html.j2",
                extra_loaders=[jinja2.DictLoader({"pkiviz-chapter.html.j2": CHAPTER})],
                filters={"pkiviz_links": links},
                theme="light",
            )
        return self._exporter

    def _rewrite_links(self, fragment: str) -> str:
        assert self._linker is not None
        return self._linker.rewrite(fragment)

    def chapter(self, i: int) -> None:
        chapter = self.chapters[i]
        page = chapter.href
        nb = _read(chapter.path)
        _mark_parts(nb)
        self._math(nb, page)
        has_live = self._outputs(nb, chapter)
        self._linker = Linker(
            {c.stem: c.href for c in self.chapters}, current=chapter.stem, terms=self.terms
        )
        prev = self.chapters[i - 1] if i > 0 else None
        after = self.chapters[i + 1] if i + 1 < len(self.chapters) else None
        before = (prev.href, prev.title) if prev else ("index.html", "Contents")
        following = (after.href, after.title) if after else ("glossary.html", "Glossary")
        resources: dict[str, Any] = {
            "pkiviz": {
                "title": chapter.title,
                "nav_top": _nav(before, following, "Chapters"),
                "nav_bottom": _nav(before, following, "Chapters, end of page"),
                "widgets": has_live,
            }
        }
        body, out = self.exporter.from_notebook_node(nb, resources=resources)
        for css in out.get("inlining", {}).get("css", []):
            if css not in self.pygments_css:
                self.pygments_css.append(css)
        for term in self._linker.linked_terms:
            self.seen_in.setdefault(term, []).append(chapter)
        for ref in dict.fromkeys(self._linker.dangling):
            self.problems.append(
                Problem(page, "dangling-reference", f"{ref!r} names a chapter not in the book")
            )
        self._write(page, body)

    def _outputs(self, nb: Any, chapter: Chapter) -> bool:
        """Extract figures (with alt text) and mark widget outputs; True if any is live."""
        models = saved_models(nb.metadata)
        if models:
            for module in sorted(foreign_modules(models)):
                self.problems.append(
                    Problem(chapter.href, "widget-module", f"{module} is not bundled; not shown")
                )
        live_any = False
        for index, cell in enumerate(nb.cells):
            figure = 0
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                site: dict[str, Any] = {}
                if "image/png" in data:
                    site["alt"] = self._figure(nb, chapter, index, figure, data["image/png"])
                    output.setdefault("metadata", {}).setdefault("filenames", {})["image/png"] = (
                        f"figures/{chapter.stem}-{index}-{figure}.png"
                    )
                    figure += 1
                if WIDGET_VIEW in data:
                    self.widgets += 1
                    if str(data[WIDGET_VIEW].get("model_id")) in models:
                        self.live_widgets += 1
                        live_any = True
                    else:  # no saved state: the note and the control's text form
                        output["data"] = {"text/html": _saved_widget(data)}
                if site:
                    output.setdefault("metadata", {})["pkiviz-site"] = site
        if live_any and self._manager is None:
            dist = fetch_html_manager(self.cache, npm=self.npm)
            self._manager = install_html_manager(dist, self.outdir / "static" / "widgets")
        return live_any

    def _figure(self, nb: Any, chapter: Chapter, index: int, figure: int, png: Any) -> str:
        self.figures += 1
        target = self.outdir / "figures" / f"{chapter.stem}-{index}-{figure}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode("".join(png) if isinstance(png, list) else png))
        alt = figure_alt(nb.cells, index, figure)
        if alt is not None:
            return alt
        first = "".join(nb.cells[index].source).strip().splitlines() or [""]
        self.problems.append(
            Problem(
                chapter.href,
                "missing-alt",
                f"figure {figure + 1} of cell {index} ({first[-1][:60]!r}) has no alt text",
            )
        )
        return f"A figure from {chapter.short} (no description yet)"

    def _math(self, nb: Any, page: str) -> None:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown" and _MATH.search(_CODE.sub("", cell.source)):
                self.problems.append(
                    Problem(page, "math", f"cell {index} has TeX math, shown as its source text")
                )

    def index(self) -> None:
        first = self.chapters[0]
        nav = _nav(None, (first.href, first.title), "Chapters")
        self._write(
            "index.html",
            _pages()
            .get_template("index")
            .render(title="Contents", nav=nav, chapters=self.chapters),
        )

    def glossary(self) -> None:
        last = self.chapters[-1]
        nav = _nav((last.href, last.title), None, "Chapters")
        entries = [(t, self.seen_in.get(t, [])) for t in sorted(self.terms, key=_sort_key)]
        self._write(
            "glossary.html",
            _pages().get_template("glossary").render(title="Glossary", nav=nav, entries=entries),
        )

    def stylesheet(self) -> None:
        static = _lab_static(self.exporter)
        parts = [
            (static / "index.css").read_text(encoding="utf-8"),
            (static / "theme-light.css").read_text(encoding="utf-8"),
            *self.pygments_css,
            SITE_CSS,
        ]
        target = self.outdir / "static" / "book.css"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(parts), encoding="utf-8")

    def check(self) -> None:
        for name in self.pages:
            path = self.outdir / name
            text = path.read_text(encoding="utf-8")
            for ref in offline.remote_loads(text):
                self.problems.append(
                    Problem(name, "remote-resource", f"<{ref.tag} {ref.attribute}> {ref.url}")
                )
            for ref in offline.broken_local(path, self.outdir):
                self.problems.append(
                    Problem(name, "broken-link", f"<{ref.tag} {ref.attribute}> {ref.url}")
                )

    def _write(self, name: str, text: str) -> None:
        (self.outdir / name).write_text(text, encoding="utf-8")
        self.pages.append(name)


def _mark_parts(nb: Any) -> None:
    """Mark proof cells and Deeper sections for the template, which folds them away."""
    cells = nb.cells
    for start, end in deeper_sections(cells):
        found = heading(cells[start])
        assert found is not None
        parts = cells[start].metadata.setdefault("pkiviz-parts", {})
        parts["open_deeper"] = found[1]
        last = cells[end - 1].metadata.setdefault("pkiviz-parts", {})
        last["close_deeper"] = last.get("close_deeper", 0) + 1
    for cell in cells:
        if is_proof(cell):
            label = proof_label(cell) or "what the prose claims"
            cell.metadata.setdefault("pkiviz-parts", {})["proof"] = label


def _saved_widget(data: Any) -> str:
    plain = data.get("text/plain", "(a control)")
    text = "".join(plain) if isinstance(plain, list) else str(plain)
    return SAVED_WIDGET.format(note=html.escape(WIDGET_NOTE), text=html.escape(text))


def _read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


def _title(nb: Any) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in str(cell.source).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


def _nav(prev: tuple[str, str] | None, after: tuple[str, str] | None, label: str) -> str:
    """Previous / contents and glossary / next links; each target is ``(href, text)``."""

    def link(target: tuple[str, str] | None, rel: str) -> str:
        if target is None:
            return f'<span class="pkiviz-{rel} pkiviz-disabled"></span>'
        href, text = (html.escape(x) for x in target)
        shown = f"← {text}" if rel == "prev" else f"{text} →"
        return f'<a class="pkiviz-{rel}" rel="{rel}" href="{href}">{shown}</a>'

    return (
        f'<nav class="pkiviz-nav" aria-label="{html.escape(label)}">\n{link(prev, "prev")}\n'
        '<span class="pkiviz-home"><a href="index.html">Contents</a> · '
        f'<a href="glossary.html">Glossary</a></span>\n{link(after, "next")}\n</nav>'
    )


def _pages() -> jinja2.Environment:
    loader = jinja2.DictLoader({"page": PAGE, "index": INDEX, "glossary": GLOSSARY})
    return jinja2.Environment(loader=loader, autoescape=True)


def _sort_key(term: Term) -> str:
    return term.term.lower()


def _lab_static(exporter: HTMLExporter) -> Path:
    """nbconvert's ``lab`` template ``static/`` directory (its stylesheets)."""
    exporter.environment  # noqa: B018 - resolves template_paths
    for directory in exporter.template_paths:
        static = Path(directory) / "static"
        if (static / "index.css").is_file() and (static / "theme-light.css").is_file():
            return static
    raise SiteError("nbconvert's lab template (static/index.css) was not found")


def _prepare(outdir: Path) -> None:
    """Empty ``outdir`` if it holds an earlier build; refuse any other non-empty directory."""
    if outdir.exists():
        if not outdir.is_dir():
            raise SiteError(f"{outdir} is not a directory")
        if any(outdir.iterdir()):
            if not (outdir / MARKER).is_file():
                raise SiteError(f"{outdir} is not empty and not an earlier site build")
            shutil.rmtree(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / MARKER).write_text("built by python -m pkiviz.site build\n", encoding="utf-8")
