"""Launch links: open a chapter of the book in a live JupyterLab on Binder (mybinder.org).

Binder builds the repository's environment with repo2docker from ``binder/`` (the Debian
packages in ``apt.txt``, the book's Python packages in ``requirements.txt``, pkiviz itself in
``postBuild``) and opens JupyterLab on the chapter named in the link::

    binder_url(REPOSITORY, path="book/03-chains-of-trust.ipynb")
    # https://mybinder.org/v2/gh/pkiviz/pkiviz/HEAD?urlpath=lab/tree/book/03-chains-of-trust.ipynb

``python -m pkiviz.site.launch SITE`` (run by ``make site`` after the build) adds such a link
under the top navigation of every chapter page and of the contents page. A link is not a load:
the site still loads nothing from the network.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlsplit

#: Where the book is published; a fork that publishes elsewhere changes this one line (and the
#: README's launch link, which a test checks against it).
REPOSITORY = "https://github.com/pkiviz/pkiviz"
BINDER = "https://mybinder.org/v2/gh"

_CHAPTER_PAGE = re.compile(r"^(\d\d-[A-Za-z0-9_-]+)\.html$")
_MARK = 'class="pkiviz-launch"'


def binder_url(repository: str = REPOSITORY, *, ref: str = "HEAD", path: str | None = None) -> str:
    """The mybinder.org link that builds ``repository`` at ``ref`` and opens ``path`` in JupyterLab.

    Args:
        repository: ``https://github.com/OWNER/NAME``.
        ref: a branch, tag or commit.
        path: a file in the repository (``book/00-tour.ipynb``); None opens JupyterLab's
            file browser.

    Returns:
        The URL.

    Raises:
        ValueError: ``repository`` is not a GitHub repository URL.
    """
    parts = urlsplit(repository)
    owner_name = parts.path.strip("/").removesuffix(".git").split("/")
    if parts.scheme != "https" or parts.netloc != "github.com" or len(owner_name) != 2:
        raise ValueError(f"{repository!r}: expected https://github.com/OWNER/NAME")
    url = f"{BINDER}/{quote(owner_name[0])}/{quote(owner_name[1])}/{quote(ref, safe='')}"
    if path is not None:
        url += "?urlpath=" + quote(f"lab/tree/{path}", safe="/")
    return url


def add_launch_links(site: Path, *, repository: str = REPOSITORY, ref: str = "HEAD") -> list[str]:
    """Add a "Run this chapter on Binder" link under the top navigation of each chapter page.

    The contents page (``index.html``) gets a link that opens chapter 0's notebook. A page
    that already has a launch link is left as it is, so running this twice changes nothing.

    Args:
        site: a directory built by ``python -m pkiviz.site build``.
        repository: the GitHub repository Binder builds.
        ref: the branch, tag or commit Binder builds.

    Returns:
        The names of the pages changed, in order.

    Raises:
        ValueError: ``site`` has no chapter pages, or a page has no navigation to put the
            link under.
    """
    pages = sorted(p for p in site.glob("*.html") if _CHAPTER_PAGE.match(p.name))
    if not pages:
        raise ValueError(f"{site}: no chapter pages (NN-name.html); build the site first")
    targets = [(page, f"book/{page.stem}.ipynb", "Run this chapter on Binder") for page in pages]
    index = site / "index.html"
    if index.exists():
        targets.append((index, f"book/{pages[0].stem}.ipynb", "Run the book on Binder"))
    changed = []
    for page, notebook, words in targets:
        text = page.read_text(encoding="utf-8")
        if _MARK in text:
            continue
        end = text.find("</nav>")
        if end < 0:
            raise ValueError(f"{page}: no <nav> to put the launch link under")
        url = html.escape(binder_url(repository, ref=ref, path=notebook))
        link = (
            f'\n<p {_MARK}><a href="{url}">{words}</a> (a live JupyterLab on mybinder.org; '
            "the first start builds the environment and can take a few minutes)</p>"
        )
        end += len("</nav>")
        page.write_text(text[:end] + link + text[end:], encoding="utf-8")
        changed.append(page.name)
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m pkiviz.site.launch SITE [--repository URL] [--ref REF]``; returns the status."""
    parser = argparse.ArgumentParser(
        prog="python -m pkiviz.site.launch", description=add_launch_links.__doc__
    )
    parser.add_argument("site", type=Path, help="a built site (make site)")
    parser.add_argument("--repository", default=REPOSITORY, help=f"default: {REPOSITORY}")
    parser.add_argument("--ref", default="HEAD", help="branch, tag or commit (default: HEAD)")
    args = parser.parse_args(argv)
    try:
        changed = add_launch_links(args.site, repository=args.repository, ref=args.ref)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Binder launch links added to {len(changed)} pages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
