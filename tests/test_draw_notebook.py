"""Figures returned by pkiviz's renderers display themselves in a real kernel."""

from __future__ import annotations

import nbformat
from nbclient import NotebookClient

from pkiviz.draw._notebook import enable_display


def _outputs(source: str) -> list[str]:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(source))
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return sorted(key for out in nb.cells[0].outputs for key in out.get("data", {}))


def test_outside_ipython_nothing_happens() -> None:
    assert enable_display() is False


def test_a_pkiviz_figure_displays_as_png_in_a_kernel() -> None:
    drawn = _outputs(
        "import pkiviz\n"
        "from pkiviz.draw.anatomy import draw_anatomy\n"
        "draw_anatomy(pkiviz.running_example().server)"
    )
    assert "image/png" in drawn
    # Control: a bare Figure made without pkiviz shows only its text repr.
    plain = _outputs("from matplotlib.figure import Figure\nfig = Figure()\nfig.add_subplot()\nfig")
    assert plain == ["text/plain"]
