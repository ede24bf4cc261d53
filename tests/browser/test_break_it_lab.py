"""The Break-it lab in JupyterLab: run chapter 12, work the panel's controls, read its report.

What a reader does, in Chromium: open the chapter, *Run All Cells*, drag the clock past the
leaf's notAfter, type a host name, pick catalogue entries from the list. After each change the
kernel re-runs the three verifiers and the panel's summary must name the expected failing
check, each time beside a passing control. Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import pytest
from labdriver import Lab, Notebook

from pkiviz.lab import state as model
from pkiviz.lab.catalogue import CATALOGUE, Breakage
from pkiviz.x509.example import running_example

pytestmark = pytest.mark.browser

CHAPTER = "book/12-break-it-lab.ipynb"

# The panel's controls, in the order set_widget counts them (document order).
CLOCK, HOSTNAME, KEY, BREAKAGE, CRL = range(5)

LAST_DAY = model.days_from_book_clock(running_example().server.certificate.not_valid_after_utc)


def _label(entry: Breakage) -> str:
    return f"{entry.id}: {entry.title}"  # the dropdown's label, as pkiviz.widgets.panel makes it


def _settled(notebook: Notebook, panel: int, marker: str) -> str:
    """Wait until the panel's summary shows ``marker`` (the state just set); return the output."""
    notebook.wait_for_output(panel, marker)
    return notebook.output_text(panel)


def _graph_alt(notebook: Notebook, panel: int) -> str:
    """The alt text of the chain graph the panel shows."""
    image = notebook.output_area(panel).locator("img.pkiviz-chain-graph")
    return str(image.get_attribute("alt"))


def test_the_lab_panel_reruns_the_verifiers_on_every_change(lab: Lab) -> None:
    notebook = lab.open(CHAPTER)
    panel = notebook.cell_index("panel = LabPanel()")
    notebook.clear_outputs()  # the chapter is stored with its outputs
    assert "VALID" not in notebook.output_text(panel)

    notebook.run_all(timeout=180)

    assert notebook.errors() == []
    assert None not in notebook.execution_counts()
    shown = _settled(notebook, panel, "nothing changed (the control)")
    assert "✓ VALID: every check passed" in shown
    notebook.screenshot("break-it-lab-control", panel)

    # The clock: the last day inside the leaf's window passes; the next day fails validity.
    notebook.set_widget(panel, LAST_DAY, nth=CLOCK)
    shown = _settled(notebook, panel, f"clock +{LAST_DAY} days")
    assert "✓ VALID" in shown
    notebook.set_widget(panel, LAST_DAY + 1, nth=CLOCK)
    shown = _settled(notebook, panel, f"clock +{LAST_DAY + 1} days")
    assert "first failing check: validity" in shown
    assert "certificate has expired" in shown  # openssl verify, side by side
    assert "cert is not valid at validation time" in shown  # cryptography
    assert "first failure validity" in _graph_alt(notebook, panel)  # the graph was redrawn
    notebook.screenshot("break-it-lab-clock-past-not-after", panel)
    notebook.set_widget(panel, 0, nth=CLOCK)
    assert "✓ VALID" in _settled(notebook, panel, "nothing changed (the control)")

    # The host name: a wrong one fails hostname; the right one again is the control.
    notebook.set_widget(panel, "www.example.org", nth=HOSTNAME)
    shown = _settled(notebook, panel, "host name 'www.example.org']")
    assert "first failing check: hostname" in shown and "hostname mismatch" in shown
    notebook.set_widget(panel, "login.example.com", nth=HOSTNAME)
    assert "✓ VALID" in _settled(notebook, panel, "nothing changed (the control)")

    # Catalogue entries, each followed by the control.
    for entry in CATALOGUE:
        if entry.expected_check is None:
            continue
        notebook.set_widget(panel, _label(entry), nth=BREAKAGE)
        shown = _settled(notebook, panel, f"{entry.id} ({entry.title.lower()})")
        assert f"first failing check: {entry.expected_check}" in shown, entry.id
        assert f"first failure {entry.expected_check}" in _graph_alt(notebook, panel)
        if entry.id in ("expired", "revoked", "path-length-exceeded"):
            notebook.screenshot(f"break-it-lab-{entry.id}", panel)
        notebook.set_widget(panel, _label(CATALOGUE[0]), nth=BREAKAGE)
        assert "✓ VALID" in _settled(notebook, panel, "nothing changed (the control)")
        assert "the chain is valid" in _graph_alt(notebook, panel)

    # Two controls combined: an entry and the clock.
    notebook.set_widget(panel, "wrong-eku: Wrong extended key usage", nth=BREAKAGE)
    notebook.set_widget(panel, LAST_DAY + 1, nth=CLOCK)
    shown = _settled(notebook, panel, f"clock +{LAST_DAY + 1} days")
    assert "first failing check: validity" in shown and "unsuitable certificate purpose" in shown
    lab.screenshot("break-it-lab")
    assert lab.console_errors == []
    assert lab.failed_requests == []
