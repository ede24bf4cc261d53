"""The offline HTML book in a real browser, with the network shut out.

The small book and the real ``book/`` (built once per session by tests/test_site.py's helpers)
are served from 127.0.0.1 and every page is loaded in headless Chromium (the ``chromium``
fixture of tests/browser/conftest.py) with every request that leaves 127.0.0.1 aborted.
Nothing may fail to load, the console must stay clean, every image must decode and carry alt
text, and every local link must resolve.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from test_site import Built, built_real, built_small

from pkiviz.site.templates import WIDGET_NOTE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built_small(tmp_path_factory)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return built_real(tmp_path_factory)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(small: Built, real: Built) -> Iterator[str]:
    """Both sites over HTTP on 127.0.0.1: ``{url}/small/`` and ``{url}/real/``."""
    root = small.root.parent.parent / "served"
    root.mkdir(exist_ok=True)
    for name, built in (("small", small), ("real", real)):
        link = root / name
        if not link.exists():
            link.symlink_to(built.root, target_is_directory=True)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Visit:
    """What one page load did."""

    blocked: list[str]
    failed: list[str]
    errors: list[str]
    images: list[dict[str, Any]]
    links: list[str]
    page: Any


@contextlib.contextmanager
def visit(browser: Any, url: str) -> Iterator[Visit]:
    """Open ``url`` with every request that leaves 127.0.0.1 aborted, and record what failed."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(30_000)
    seen = Visit([], [], [], [], [], None)

    def route(r: Any) -> None:
        if re.match(r"^(http://127\.0\.0\.1[:/]|data:|blob:|about:)", r.request.url):
            r.continue_()
        else:
            seen.blocked.append(r.request.url)
            r.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.new_page()
    page.on("requestfailed", lambda req: seen.failed.append(f"{req.url} {req.failure}"))
    page.on(
        "response",
        lambda res: seen.failed.append(f"{res.url} HTTP {res.status}") if res.status >= 400 else 0,
    )
    page.on("console", lambda msg: seen.errors.append(msg.text) if msg.type == "error" else 0)
    page.on("pageerror", lambda exc: seen.errors.append(str(exc)))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_load_state("networkidle")
        seen.page = page
        seen.images = page.eval_on_selector_all(
            "img",
            "els => els.map(e => ({src: e.src, alt: e.getAttribute('alt'),"
            " width: e.naturalWidth, complete: e.complete}))",
        )
        seen.links = page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.href).filter(h => h.startsWith(location.origin))"
        )
        yield seen
    finally:
        context.close()


def _check_page(seen: Visit, url: str) -> None:
    assert seen.blocked == [], f"{url} tried to reach the network: {seen.blocked}"
    assert seen.failed == [], f"{url}: {seen.failed}"
    assert seen.errors == [], f"{url}: {seen.errors}"
    for image in seen.images:
        assert image["complete"] and image["width"] > 0, f"{url}: {image['src']} did not load"
        assert (image["alt"] or "").strip(), f"{url}: {image['src']} has no alt text"


def test_every_page_loads_offline_with_its_images_and_links(
    chromium: Any, served: str, small: Built, real: Built
) -> None:
    pages = [f"small/{p}" for p in small.report.pages] + [f"real/{p}" for p in real.report.pages]
    links: set[str] = set()
    for name in pages:
        url = f"{served}/{name}"
        with visit(chromium, url) as seen:
            _check_page(seen, url)
            links.update(link.split("#")[0] for link in seen.links)
            if name.endswith("01-figures.html") or name.endswith("03-chains-of-trust.html"):
                assert seen.images, f"{url} shows no figure"
    # Every local link (contents, previous/next, cross-references, glossary) resolves.
    assert f"{served}/real/glossary.html" in links
    context = chromium.new_context()
    try:
        for link in sorted(links):
            assert context.request.get(link).status == 200, link
    finally:
        context.close()


def test_next_links_walk_the_whole_book(chromium: Any, served: str, real: Built) -> None:
    expected = ["index.html", *(c.href for c in real.report.chapters), "glossary.html"]
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{served}/real/index.html")
        walked = ["index.html"]
        while page.locator("a[rel=next]").count():
            page.locator("a[rel=next]").first.click()
            page.wait_for_load_state("load")
            walked.append(page.url.rsplit("/", 1)[1])
        assert walked == expected
        page.locator("a[rel=prev]").first.click()
        assert page.url.endswith(expected[-2])
    finally:
        context.close()


def test_a_widget_page_shows_the_note_and_the_saved_slider(
    chromium: Any, served: str, small: Built
) -> None:
    url = f"{served}/small/02-widgets.html"
    with visit(chromium, url) as seen:
        _check_page(seen, url)
        page = seen.page
        notes = page.locator(".pkiviz-widget-note")
        assert notes.count() == 2
        assert notes.first.is_visible()
        assert notes.first.inner_text() == WIDGET_NOTE
        slider = page.locator(".widget-slider")  # drawn by the local html-manager
        slider.first.wait_for(state="visible")
        assert "Key bits" in page.locator(".jupyter-widgets").first.inner_text()
        assert page.locator(".widget-readout").first.inner_text().strip() == "3"
        assert "Dropdown(options=" in page.locator(".pkiviz-widget-saved").inner_text()
        assert seen.blocked == []


def test_the_offline_browser_check_sees_a_page_that_reaches_for_a_cdn(
    chromium: Any, served: str, small: Built
) -> None:
    # Control for the tests above: a page loading from a CDN is blocked, and that is seen.
    page = small.root / "cdn-control.html"
    page.write_text(
        '<!DOCTYPE html><html><head><script src="https://cdn.jsdelivr.net/npm/x.js"></script>'
        '</head><body><img src="missing.png" alt=""></body></html>'
    )
    try:
        url = f"{served}/small/cdn-control.html"
        with visit(chromium, url) as seen:
            assert seen.blocked == ["https://cdn.jsdelivr.net/npm/x.js"]
            assert any("missing.png HTTP 404" in f for f in seen.failed)
            with pytest.raises(AssertionError):
                _check_page(seen, url)
    finally:
        page.unlink()
