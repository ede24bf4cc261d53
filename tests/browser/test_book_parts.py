"""Proof cells and Deeper sections are folded away, in JupyterLab and on the static site.

A chapter (pkiviz.book.parts) hides a proof cell's source (JupyterLab shows its first line,
``# Proof: ...``) and collapses a Deeper heading with everything under it; the site shows both
as closed ``<details>``. Each test looks at a real page in Chromium, folded and then opened, and
saves a screenshot of both states under test-artifacts/browser/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from labdriver import JupyterLabServer, Lab

from pkiviz.book.parts import apply_metadata, deeper_sections, is_proof
from pkiviz.book.run import chapters
from pkiviz.site import build_site

pytestmark = pytest.mark.browser


def _chapters_with_both(count: int = 2) -> list[Path]:
    """The first chapters that have a proof cell and a Deeper section (the book's own)."""
    found = []
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        if any(is_proof(c) for c in nb.cells) and any(deeper_sections(nb.cells)):
            found.append(path)
    return found[:count]


BOTH = _chapters_with_both()


_STATE_JS = """
return panel.content.widgets.map((c) => ({
  visible: !c.isHidden && c.node.offsetParent !== null,
  inputHidden: c.inputHidden === true,
  placeholder:
    (c.node.querySelector('.jp-InputPlaceholder .jp-PlaceholderText') || {}).innerText || null,
}));
"""


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.stem)
def test_jupyterlab_shows_proofs_and_deeper_sections_folded(
    path: Path, lab: Lab, jupyterlab: JupyterLabServer
) -> None:
    notebook = lab.open(f"book/{path.name}")
    nb = nbformat.read(path, as_version=4)
    state = notebook._eval(_STATE_JS)
    proofs = [i for i, c in enumerate(nb.cells) if is_proof(c)]
    start, end = next(iter(deeper_sections(nb.cells)))
    first_proof = next(
        i for i in proofs if not any(s <= i < e for s, e in deeper_sections(nb.cells))
    )
    for index, name in ((first_proof, "proof"), (start, "deeper")):
        notebook._eval("panel.content.widgets[arg].node.scrollIntoView({block: 'center'});", index)
        notebook.screenshot(f"parts-{path.stem}-{name}-folded")
    assert state[first_proof]["inputHidden"] and state[first_proof]["placeholder"].startswith(
        "# Proof: "
    )
    assert state[start]["visible"]  # the Deeper heading itself shows, collapsed
    assert not any(state[i]["visible"] for i in range(start + 1, end))
    # Control: the main path's teaching cells are open.
    teaching = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and not is_proof(c))
    assert state[teaching]["visible"] and not state[teaching]["inputHidden"]
    # Open the Deeper section and the proof, as a reader clicks them.
    notebook._eval(
        "panel.content.widgets[arg[0]].headingCollapsed = false;"
        "panel.content.widgets[arg[1]].inputHidden = false;",
        [start, first_proof],
    )
    opened = notebook._eval(_STATE_JS)
    assert all(opened[i]["visible"] for i in range(start, end))
    assert not opened[first_proof]["inputHidden"]
    for index, name in ((first_proof, "proof"), (start, "deeper")):
        notebook._eval("panel.content.widgets[arg].node.scrollIntoView({block: 'start'});", index)
        notebook.screenshot(f"parts-{path.stem}-{name}-opened")


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.stem)
def test_site_pages_show_proofs_and_deeper_sections_closed(
    path: Path, chromium: Any, tmp_path: Path
) -> None:
    build_site(
        tmp_path / "site", book=path.parent, cache=Path(__file__).parents[2] / ".cache" / "site-npm"
    )
    page = chromium.new_page(viewport={"width": 1200, "height": 900})
    try:
        page.goto((tmp_path / "site" / f"{path.stem}.html").as_uri())
        deeper = page.locator("details.pkiviz-deeper").first
        proof = page.locator("details.pkiviz-proof").first
        assert deeper.get_attribute("open") is None and proof.get_attribute("open") is None
        inside = deeper.locator(".jp-Cell").first
        assert not inside.is_visible()
        deeper.scroll_into_view_if_needed()
        artifacts = Path(__file__).parents[2] / "test-artifacts" / "browser"
        artifacts.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(artifacts / f"site-{path.stem}-folded.png"))
        deeper.locator("summary").first.click()
        assert deeper.get_attribute("open") is not None and inside.is_visible()
        page.screenshot(path=str(artifacts / f"site-{path.stem}-opened.png"))
    finally:
        page.close()


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.stem)
def test_the_metadata_is_what_jupyterlab_reads(path: Path) -> None:
    # Control for the two tests above: the chapter's saved metadata is the conventions' own.
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert apply_metadata(nb) == 0
