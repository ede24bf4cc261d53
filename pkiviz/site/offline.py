"""Check a built page for anything it would load from the network, and for broken local links.

A page may *link* anywhere (``<a href="https://...">`` is a reference for the reader), but every
resource it *loads* - scripts, stylesheets, images, frames, fonts and imports inside styles -
must be a relative path into the site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

_LOADS = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
}
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""", re.IGNORECASE)
_JS_TYPES = {"", "text/javascript", "application/javascript", "module"}


@dataclass(frozen=True)
class Reference:
    """One URL a page uses.

    Attributes:
        tag: The element (``"script"``, ``"a"``, ``"style"``...).
        attribute: The attribute, or ``"css"`` for a URL inside a style.
        url: The URL as written.
    """

    tag: str
    attribute: str
    url: str

    @property
    def loads(self) -> bool:
        """True if the browser fetches it when showing the page (not a link to follow)."""
        return self.tag != "a"

    @property
    def remote(self) -> bool:
        """True if it leaves the site: has a scheme other than ``data:`` or is ``//host``."""
        parts = urlsplit(self.url)
        if parts.scheme:
            return parts.scheme.lower() not in {"data", "blob", "about", "javascript"}
        return self.url.startswith("//")


def references(page: str) -> list[Reference]:
    """Every URL ``page`` loads or links to, in document order."""
    parser = _Collector()
    parser.feed(page)
    parser.close()
    return parser.found


def remote_loads(page: str) -> list[Reference]:
    """The resources ``page`` would fetch from outside the site (should be none)."""
    return [r for r in references(page) if r.loads and r.remote]


def broken_local(page_path: Path, root: Path) -> list[Reference]:
    """Relative URLs in the page at ``page_path`` that name no file under ``root``."""
    missing = []
    for ref in references(page_path.read_text(encoding="utf-8")):
        if ref.remote or ref.url.startswith(("#", "data:", "mailto:", "javascript:")):
            continue
        for url in ref.url.split(",") if ref.attribute == "srcset" else [ref.url]:
            path = unquote(urlsplit(url.strip().split(" ")[0]).path)
            if not path:
                continue
            target = (page_path.parent / path).resolve()
            if not target.is_relative_to(root.resolve()) or not target.exists():
                missing.append(ref)
    return missing


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[Reference] = []
        self._in: str | None = None  # "style" or "script" while inside one

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        for attribute in _LOADS.get(tag, ()):
            if values.get(attribute):
                self.found.append(Reference(tag, attribute, values[attribute]))
        if tag == "a" and values.get("href"):
            self.found.append(Reference("a", "href", values["href"]))
        if values.get("style"):
            self._css(tag, values["style"])
        if tag == "style" or (tag == "script" and values.get("type", "") in _JS_TYPES):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self._css("style", data)
        elif self._in == "script":
            for url in re.findall(r"""["'`]((?:https?:)?//[^"'`\s]+)""", data):
                self.found.append(Reference("script", "inline", url))

    def _css(self, tag: str, css: str) -> None:
        for match in _CSS_URL.finditer(css):
            self.found.append(Reference(tag, "css", match.group(1) or match.group(2)))
