"""The offline HTML book (``make site``): the builder and the pages it writes.

Two sites are built once per session: a small book made here (cross-references, figures with
and without alt text, a widget with saved state and one without) and the real ``book/``.
tests/browser/test_site_offline.py loads the same two sites in headless Chromium.
"""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pkiviz.book.glossary import TERMS, Term
from pkiviz.site import BuildReport, SiteError, build_site, find_chapters
from pkiviz.site.__main__ import main
from pkiviz.site.links import Linker
from pkiviz.site.offline import broken_local, references, remote_loads
from pkiviz.site.templates import WIDGET_NOTE

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "site-npm"  # the html-manager from npm, kept between runs
TERMS_USED = (
    Term("trust anchor", "A certificate trusted without proof."),
    Term("certificate authority", "Signs certificates.", ("CA",)),
)


# --- a small book -------------------------------------------------------------------------------


def _png(width: int, height: int) -> str:
    """A valid grey RGB PNG, base64, as a notebook stores it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * (3 * width) for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(png).decode()


def _markdown(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code(source: str, outputs: list[dict[str, Any]], **metadata: Any) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": metadata,
        "outputs": outputs,
        "source": source,
    }


def _figure_cell(source: str, **metadata: Any) -> dict[str, Any]:
    data = {"image/png": _png(40, 20), "text/plain": "<Figure size 400x200 with 1 Axes>"}
    return _code(
        source, [{"output_type": "display_data", "data": data, "metadata": {}}], **metadata
    )


def _printing_cell(source: str, text: str) -> dict[str, Any]:
    return _code(source, [{"output_type": "stream", "name": "stdout", "text": text}])


def _widget_cell(model_id: str, plain: str) -> dict[str, Any]:
    view = {"version_major": 2, "version_minor": 0, "model_id": model_id}
    data = {"application/vnd.jupyter.widget-view+json": view, "text/plain": plain}
    result = {"output_type": "execute_result", "data": data, "metadata": {}, "execution_count": 1}
    return _code("slider.widget", [result])


def _write_notebook(
    path: Path, cells: list[dict[str, Any]], metadata: dict[str, Any] | None = None
) -> None:
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": cells}
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def _widget_state() -> tuple[str, dict[str, Any]]:
    """A slider's view id and manager state, as JupyterLab saves them (no kernel needed)."""
    widgets = pytest.importorskip("ipywidgets")
    from ipywidgets.embed import embed_data

    slider = widgets.IntSlider(value=3, min=0, max=10, description="Key bits")
    data = embed_data(views=[slider])
    return str(data["view_specs"][0]["model_id"]), dict(data["manager_state"])


def write_small_book(book: Path) -> None:
    """Three chapters and a scratch notebook that is not a chapter."""
    book.mkdir(parents=True)
    _write_notebook(
        book / "00-intro.ipynb",
        [
            _markdown("# 0 · Intro: the small book\n\nA trust anchor is where a chain ends."),
            _markdown(
                "## The trust anchor, again\n\n"
                "Another trust anchor, and a CA. Figures are in chapter 1 and "
                "[widgets are there](02-widgets.ipynb#Widgets); the file is `01-figures.ipynb`, "
                "and 02-widgets.ipynb in plain text. Chapter 11 is not written yet. "
                "In code, `trust anchor` stays as it is. Back to chapter 0? No. "
                "See [RFC 5280](https://www.rfc-editor.org/rfc/rfc5280)."
            ),
        ],
    )
    _write_notebook(
        book / "01-figures.ipynb",
        [
            _markdown("# 1 · Figures\n\nSee chapter 0."),
            _figure_cell("draw(chain)"),
            _printing_cell("print(chain_alt_text(chain))", "A chain of two certificates.\n"),
            _figure_cell("draw(other)", pkiviz={"alt": "Given in the cell's metadata."}),
            _figure_cell("draw(nothing)"),
            _markdown("The figure above has no description."),
        ],
    )
    model_id, state = _widget_state()
    _write_notebook(
        book / "02-widgets.ipynb",
        [
            _markdown("# 2 · Widgets\n\nMove the slider."),
            _widget_cell(model_id, "IntSlider(value=3, description='Key bits', max=10)"),
            _widget_cell("0" * 32, "Dropdown(options=('RSA', 'ECDSA'), value='RSA')"),
        ],
        {"widgets": {"application/vnd.jupyter.widget-state+json": state}},
    )
    _write_notebook(book / "scratch.ipynb", [_markdown("# Not a chapter")])


@dataclass(frozen=True)
class Built:
    report: BuildReport

    @property
    def root(self) -> Path:
        return self.report.outdir

    def page(self, name: str) -> str:
        return (self.root / name).read_text(encoding="utf-8")


def _needs_npm() -> None:
    if shutil.which("npm") is None and not (CACHE / "html-manager-1.0.15").is_dir():
        pytest.skip("npm is not installed and the html-manager is not cached")


_BUILT: dict[str, Built] = {}


def built_small(factory: pytest.TempPathFactory) -> Built:
    """The small book's site, built once per test session (shared with the browser tests)."""
    _needs_npm()
    if "small" not in _BUILT:
        tmp = factory.mktemp("small-book")
        write_small_book(tmp / "book")
        report = build_site(tmp / "site", book=tmp / "book", cache=CACHE, terms=TERMS_USED)
        _BUILT["small"] = Built(report)
    return _BUILT["small"]


def built_real(factory: pytest.TempPathFactory) -> Built:
    """The real book's site, built once per test session (shared with the browser tests)."""
    if "real" not in _BUILT:
        tmp = factory.mktemp("real-book")
        _BUILT["real"] = Built(build_site(tmp / "site", book=ROOT / "book", cache=CACHE))
    return _BUILT["real"]


@pytest.fixture
def small(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built_small(tmp_path_factory)


@pytest.fixture
def real(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built_real(tmp_path_factory)


# --- the builder --------------------------------------------------------------------------------


def test_contents_lists_the_chapters_in_order_with_their_titles(small: Built) -> None:
    index = small.page("index.html")
    listed = re.findall(r'<li value="(\d+)"><a href="([^"]+)">([^<]+)</a>', index)
    assert listed == [
        ("0", "00-intro.html", "0 · Intro: the small book"),
        ("1", "01-figures.html", "1 · Figures"),
        ("2", "02-widgets.html", "2 · Widgets"),
    ]
    assert "scratch" not in index  # not a chapter: no NN- prefix
    assert small.report.pages == (
        "00-intro.html",
        "01-figures.html",
        "02-widgets.html",
        "index.html",
        "glossary.html",
    )


def test_previous_and_next_link_every_page_in_one_line(small: Built) -> None:
    order = ["index.html", "00-intro.html", "01-figures.html", "02-widgets.html", "glossary.html"]
    for i, name in enumerate(order):
        page = small.page(name)
        prev = set(re.findall(r'<a class="pkiviz-prev"[^>]* href="([^"]+)"', page))
        after = set(re.findall(r'<a class="pkiviz-next"[^>]* href="([^"]+)"', page))
        assert prev == (set() if i == 0 else {order[i - 1]}), name
        assert after == (set() if i == len(order) - 1 else {order[i + 1]}), name
    # Chapter pages carry the links above and below the text.
    assert small.page("01-figures.html").count('class="pkiviz-next"') == 2


def test_cross_references_point_at_the_pages(small: Built) -> None:
    intro = small.page("00-intro.html")
    assert '<a class="pkiviz-xref" href="01-figures.html">chapter 1</a>' in intro
    assert 'href="02-widgets.html#Widgets"' in intro  # a markdown link to the notebook
    assert '<a class="pkiviz-xref" href="01-figures.html"><code>01-figures.ipynb</code></a>' in (
        intro
    )
    assert '<a class="pkiviz-xref" href="02-widgets.html">02-widgets.ipynb</a>' in intro
    assert "Back to chapter 0?" in intro  # a chapter does not link to itself
    assert '<a href="https://www.rfc-editor.org/rfc/rfc5280">RFC 5280</a>' in intro  # kept
    assert '<a class="pkiviz-xref" href="00-intro.html">chapter 0</a>' in small.page(
        "01-figures.html"
    )


def test_a_chapter_not_written_yet_stays_text_and_is_reported(small: Built) -> None:
    intro = small.page("00-intro.html")
    assert "Chapter 11 is not written yet" in intro
    dangling = small.report.of_kind("dangling-reference")
    assert [(p.page, p.detail) for p in dangling] == [
        ("00-intro.html", "'Chapter 11' names a chapter not in the book")
    ]


def test_glossary_lists_every_term_and_chapters_link_each_once(small: Built) -> None:
    glossary = small.page("glossary.html")
    assert re.findall(r'<dt id="([^"]+)">', glossary) == [
        "term-certificate-authority",
        "term-trust-anchor",
    ]
    assert '<a href="00-intro.html">chapter 0</a>' in glossary  # where the term appears
    intro = small.page("00-intro.html")
    links = re.findall(r'<a class="pkiviz-term" href="glossary.html#([^"]+)">([^<]+)</a>', intro)
    assert links == [("term-trust-anchor", "trust anchor"), ("term-certificate-authority", "CA")]
    assert "<code>trust anchor</code>" in intro  # code is never linked
    assert re.search(r"<h2[^>]*>The trust anchor, again", intro)  # nor are headings


def test_the_real_glossary_has_unique_anchors_and_definitions() -> None:
    slugs = [t.slug for t in TERMS]
    assert len(slugs) == len(set(slugs))
    forms = [f.lower() for t in TERMS for f in t.all_forms]
    assert len(forms) == len(set(forms))
    assert all(t.definition.endswith(".") and len(t.definition) > 40 for t in TERMS)


def test_figures_are_files_with_alt_text_from_the_convention(small: Built) -> None:
    page = small.page("01-figures.html")
    images = re.findall(r'<img alt="([^"]*)" src="([^"]+)"', page)
    assert [alt for alt, _ in images] == [
        "A chain of two certificates.",  # printed by the next cell's *_alt_text() call
        "Given in the cell's metadata.",
        "A figure from chapter 1 (no description yet)",
    ]
    assert all((small.root / src).read_bytes().startswith(b"\x89PNG") for _, src in images)
    assert "data:image" not in page
    missing = small.report.of_kind("missing-alt")
    assert [(p.page, p.detail) for p in missing] == [
        ("01-figures.html", "figure 1 of cell 4 ('draw(nothing)') has no alt text")
    ]
    assert small.report.figures == 3


def test_widget_outputs_carry_the_note_and_the_local_manager(small: Built) -> None:
    page = small.page("02-widgets.html")
    assert page.count(WIDGET_NOTE) == 2
    assert page.count('type="application/vnd.jupyter.widget-view+json"') == 1  # saved state
    assert "Dropdown(options=('RSA', 'ECDSA'), value='RSA')" in html.unescape(page)
    assert re.search(r'<script [^>]*src="static/widgets/embed.js"', page)
    assert 'type="application/vnd.jupyter.widget-state+json"' in page
    assert (small.root / "static" / "widgets" / "embed.js").stat().st_size > 100_000
    assert list((small.root / "static" / "widgets").glob("*.woff2"))  # Font Awesome, local
    assert (small.report.widgets, small.report.live_widgets) == (2, 1)
    assert "embed.js" not in small.page("01-figures.html")  # only where a widget is live


def test_no_page_loads_anything_from_the_network(small: Built, real: Built) -> None:
    for built in (small, real):
        assert not built.report.broken, str(built.report)
        for name in built.report.pages:
            assert remote_loads(built.page(name)) == [], name
            assert broken_local(built.root / name, built.root) == [], name
            for ref in references(built.page(name)):
                assert ref.tag == "a" or not re.match(r"(https?:)?//", ref.url), (name, ref)


def test_the_offline_check_catches_remote_resources() -> None:
    # Control for the test above: each way a page can reach a CDN is seen; plain links are not.
    page = """
    <script src="https://cdn.jsdelivr.net/npm/x/embed.js"></script>
    <link rel="stylesheet" href="//unpkg.com/x.css">
    <img src="http://example.org/a.png" alt="a">
    <style>@import "https://fonts.googleapis.com/css";
      b { background: url(https://x/y.png) }</style>
    <div style="background: url('https://x/z.png')"></div>
    <script>var s = 'https://cdnjs.cloudflare.com/mathjax.js';</script>
    <script type="application/vnd.jupyter.widget-state+json">{"u": "https://ok"}</script>
    <a href="https://www.rfc-editor.org/rfc/rfc5280">RFC 5280</a>
    <img src="data:image/png;base64,AAAA" alt="inline">
    <script src="static/local.js"></script>
    """
    urls = [r.url for r in remote_loads(page)]
    assert urls == [
        "https://cdn.jsdelivr.net/npm/x/embed.js",
        "//unpkg.com/x.css",
        "http://example.org/a.png",
        "https://fonts.googleapis.com/css",
        "https://x/y.png",
        "https://x/z.png",
        "https://cdnjs.cloudflare.com/mathjax.js",
    ]


def test_the_broken_link_check_sees_a_missing_page(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text('<a href="b.html">b</a><a href="a.html#x">self</a>')
    assert [r.url for r in broken_local(tmp_path / "a.html", tmp_path)] == ["b.html"]
    (tmp_path / "b.html").write_text("")
    assert broken_local(tmp_path / "a.html", tmp_path) == []


def test_the_real_book_builds_every_chapter(real: Built) -> None:
    chapters = real.report.chapters  # as found when built (others may be adding chapters now)
    assert [c.number for c in chapters] == sorted(c.number for c in chapters)
    assert chapters[0].stem == "00-tour"
    index = real.page("index.html")
    positions = [index.index(f'href="{c.href}"') for c in chapters]
    assert positions == sorted(positions)
    for chapter in chapters:
        page = html.unescape(real.page(chapter.href))
        assert f"<title>{chapter.title} - pkiviz</title>" in page
    # The chapters have no TeX math, so the site ships no MathJax.
    assert real.report.of_kind("math") == ()
    assert not any("mathjax" in p.lower() for p in map(real.page, real.report.pages))


def test_find_chapters_refuses_an_empty_book_and_a_shared_number(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="no chapters"):
        find_chapters(tmp_path)
    _write_notebook(tmp_path / "01-a.ipynb", [_markdown("# 1 · A")])
    assert [c.title for c in find_chapters(tmp_path)] == ["1 · A"]
    _write_notebook(tmp_path / "01-b.ipynb", [_markdown("no heading")])
    with pytest.raises(SiteError, match="share a number"):
        find_chapters(tmp_path)


def test_an_earlier_build_is_replaced_but_another_directory_is_refused(tmp_path: Path) -> None:
    write_small_book(tmp_path / "book")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(SiteError, match="not an earlier site build"):
        build_site(tmp_path / "mine", book=tmp_path / "book", cache=CACHE, terms=())
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_linker_rewrites_text_but_not_attributes_or_code() -> None:
    linker = Linker({"03-chains-of-trust": "03-chains-of-trust.html"}, terms=TERMS_USED)
    out = linker.rewrite(
        '<p title="chapter 3">See chapter 3 &amp; a trust anchor.</p><pre>chapter 3</pre>'
    )
    assert out == (
        '<p title="chapter 3">See <a class="pkiviz-xref" href="03-chains-of-trust.html">'
        'chapter 3</a> &amp; a <a class="pkiviz-term" href="glossary.html#term-trust-anchor">'
        "trust anchor</a>.</p><pre>chapter 3</pre>"
    )
    script = "<script>if (a < b && c) { go('chapter 3'); }</script>"
    assert linker.rewrite(script) == script  # raw text is passed through untouched


def test_command_line_builds_and_fails_strictly_on_missing_alt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs_npm()
    write_small_book(tmp_path / "book")
    site, book = str(tmp_path / "site"), str(tmp_path / "book")
    args = ["build", site, "--book", book, "--cache", str(CACHE)]
    assert main(args) == 0
    assert "missing-alt: 1" in capsys.readouterr().out
    assert main([*args, "--strict"]) == 1
    assert main(["build", site, "--book", str(tmp_path / "nowhere")]) == 2


def test_widget_state_in_the_small_book_is_json() -> None:
    # The small book's widget state is what ipywidgets itself produces (not hand-written).
    model_id, state = _widget_state()
    assert state["state"][model_id]["model_name"] == "IntSliderModel"
    json.dumps(state)


def test_every_figure_of_the_real_book_has_alt_text(real: Built) -> None:
    assert real.report.of_kind("missing-alt") == ()
    assert len(real.report.chapters) == 15  # chapters 00-14, all of them
    pages = "".join(real.page(c.href) for c in real.report.chapters)
    alts = re.findall(r'<img alt="([^"]*)"', pages)
    assert len(alts) >= 10 and all(len(alt) > 40 for alt in alts)


def test_alt_text_may_follow_a_proof_cell_or_sit_in_a_deeper_section() -> None:
    from pkiviz.site.alt import figure_alt

    figure = _figure_cell("draw_handshake(hs)")
    proof = _code("# Proof: three dashed steps\nassert True", [], tags=["proof"])
    deeper = _markdown("### Deeper: the figure in words\n\nAs a screen reader reads it:")
    words = _printing_cell("print(sequence_alt_text(hs))", "Client and server, nine arrows.")
    assert figure_alt([figure, proof, deeper, words], 0, 0) == "Client and server, nine arrows."
    # Control: prose of the main path between them ends the search, as before.
    prose = _markdown("## Next section\n\nSomething else.")
    assert figure_alt([figure, proof, prose, words], 0, 0) is None
    assert figure_alt([figure, _code("x = 1", []), words], 0, 0) is None  # not the next code cell
