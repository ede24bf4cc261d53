"""The Break-it lab's panel: five controls over :func:`pkiviz.lab.state.evaluate`.

::

    from pkiviz.widgets import LabPanel
    panel = LabPanel()
    panel.widget                 # the last expression of a cell

    panel.breakage.value = "expired"
    panel.result.first_failure   # 'validity'

One catalogue entry is on at a time (a dropdown, ``valid`` first): each entry
is a whole scenario - what the server sends, what the client trusts - and two
of them do not compose in general (a self-signed leaf *with* a missing
intermediate?). The clock, the host name, the key type and the CRL are
independent of the entry and combine with any of them.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from pkiviz.lab.catalogue import CATALOGUE
from pkiviz.lab.state import LAB_DAYS, LAB_KEY_TYPES, LabResult, LabState, evaluate
from pkiviz.widgets._base import BookWidget, graph_html

_WIDE = {"description_width": "8em"}


class LabPanel(BookWidget):
    """The lab: every change of a control re-runs all three verifiers at once.

    Args:
        state: the controls' starting values (default: the control, nothing broken).

    Attributes:
        clock: days from the book clock (``IntSlider``, :data:`~pkiviz.lab.state.LAB_DAYS`).
        hostname: the name the client asks for (``Text``; applied on Enter).
        key: the running example's key type (``Dropdown``).
        breakage: the catalogue entry switched on (``Dropdown`` of ids).
        crl: whether the client is given the TLS CA's CRL (``Checkbox``).
        reset_button: puts every control back to the control state.
        when: the slider's date, in words (``HTML``).
        summary_view: pkiviz's verdict and the three verifiers side by side (``HTML``).
        graph_view: the chain graph as an image with alt text (``HTML``).
        report_view: pkiviz's report, every check (``HTML``).
        widget: all of the above in one ``VBox``.
        result: the :class:`~pkiviz.lab.state.LabResult` now shown.
    """

    def __init__(self, state: LabState | None = None) -> None:
        start = LabState() if state is None else state
        low, high = LAB_DAYS
        self.clock: Any = w.IntSlider(
            value=start.days,
            min=min(low, start.days),
            max=max(high, start.days),
            description="clock (days)",
            continuous_update=False,
            style=_WIDE,
            layout=w.Layout(width="36em"),
        )
        self.when: Any = w.HTML()
        self.hostname: Any = w.Text(
            value=start.hostname,
            description="host name",
            placeholder="login.example.com",
            continuous_update=False,
            style=_WIDE,
        )
        self.key: Any = w.Dropdown(
            options=LAB_KEY_TYPES, value=start.key, description="key type", style=_WIDE
        )
        self.breakage: Any = w.Dropdown(
            options=[(f"{b.id}: {b.title}", b.id) for b in CATALOGUE],
            value=start.breakage,
            description="break",
            style=_WIDE,
            layout=w.Layout(width="36em"),
        )
        self.crl: Any = w.Checkbox(value=start.crl, description="give the client the CA's CRL")
        self.reset_button: Any = w.Button(description="reset", tooltip="nothing broken")
        self.summary_view: Any = w.HTML()
        self.graph_view: Any = w.HTML()
        self.report_view: Any = w.HTML()
        self.widget: Any = w.VBox(
            [
                w.HBox([self.clock, self.when]),
                w.HBox([self.hostname, self.key]),
                w.HBox([self.breakage, self.crl, self.reset_button]),
                self.summary_view,
                self.graph_view,
                self.report_view,
            ],
            layout=w.Layout(border="1px solid #ccc", padding="6px"),
        )
        self.result: LabResult
        self._observe((self.clock, self.hostname, self.key, self.breakage, self.crl), self._update)
        self.reset_button.on_click(lambda _button: self.reset())
        self._guarded(self._update)

    @property
    def state(self) -> LabState:
        """The controls' values as a :class:`~pkiviz.lab.state.LabState`."""
        return LabState(
            days=int(self.clock.value),
            hostname=str(self.hostname.value),
            key=str(self.key.value),
            breakage=str(self.breakage.value),
            crl=bool(self.crl.value),
        )

    def reset(self) -> None:
        """Every control back to the control state (nothing broken), then one update."""
        start = LabState()
        with self._hold():
            self.clock.value = start.days
            self.hostname.value = start.hostname
            self.key.value = start.key
            self.breakage.value = start.breakage
            self.crl.value = start.crl
        self._guarded(self._update)

    def _update(self) -> None:
        state = self.state
        self.when.value = f"<span>{state.at:%Y-%m-%d %H:%M} UTC</span>"
        previous = getattr(self, "result", None)
        if previous is not None and previous.state.key != state.key:
            self.summary_view.value = (
                f"<p>building the running example with {html.escape(state.key)} keys…</p>"
            )
        result = evaluate(state)
        graph = (
            "<p>(no chain graph: no certificate was presented)</p>"
            if result.graph is None
            else graph_html(result.graph)
        )
        self.result = result
        # The summary last: when it shows the new state, the graph and report already do.
        self.graph_view.value = graph
        self.report_view.value = result.report_html()
        self.summary_view.value = result.summary_html()

    def _show_error(self, message: str) -> None:
        self.summary_view.value = message
