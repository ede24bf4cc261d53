"""A stepper through a glass-box connection's key schedule, one derivation per step.

:class:`KeyScheduleStepper` shows derivation *n* of a
:class:`~pkiviz.tls.glassbox_schedule.KeySchedule` (its function, inputs,
label and output bytes, as :class:`~pkiviz.tls.glassbox_schedule.Derivation`
renders itself) with the names of the steps before it. It computes nothing:
the connection did (:func:`pkiviz.net.glassbox_run.glassbox_session`).
Set ``.step.value`` and ``.result`` changes, with or without a kernel.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from pkiviz.tls.glassbox import GlassBox
from pkiviz.tls.glassbox_schedule import Derivation, KeySchedule
from pkiviz.widgets._base import BookWidget


class KeyScheduleStepper(BookWidget):
    """Step through a key schedule.

    Args:
        source: a glass-box connection, or its key schedule.
        step: the step to show first (1-based).

    Attributes:
        schedule: the derivations.
        step: which derivation (``IntSlider``, 1..n).
        view: the derivation (``HTML``).
        widget: the slider over the view (``VBox``).
        result: the :class:`~pkiviz.tls.glassbox_schedule.Derivation` now shown.
    """

    def __init__(self, source: GlassBox | KeySchedule, *, step: int = 1) -> None:
        self.schedule = source.schedule if isinstance(source, GlassBox) else source
        if not self.schedule.steps:
            raise ValueError("the key schedule has no steps")
        self.step: Any = w.IntSlider(
            value=step, min=1, max=len(self.schedule), description="step",
            continuous_update=False, layout=w.Layout(width="36em"),
        )  # fmt: skip
        self.view: Any = w.HTML()
        self.widget: Any = w.VBox([self.step, self.view])
        self.result: Derivation
        self._observe((self.step,), self._update)
        self._guarded(self._update)

    def _update(self) -> None:
        n = int(self.step.value)
        self.result = self.schedule.steps[n - 1]
        done = ", ".join(s.name for s in self.schedule.steps[: n - 1]) or "nothing yet"
        self.view.value = (
            f"<p>Step {n} of {len(self.schedule)}. Derived before: "
            f"<small>{html.escape(done)}</small></p>{self.result._repr_html_()}"
        )

    def _show_error(self, message: str) -> None:
        self.view.value = message


__all__ = ["KeyScheduleStepper"]
