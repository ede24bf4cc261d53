"""Benchmark: a Break-it lab widget change, to a redrawn report and chain graph.

Budgets (medians on this machine): a change of a control to the panel's new
report, verdicts and graph under 100 ms; the validation part alone (pkiviz's
validator and the chain graph's data) under 10 ms. Printed with ratios against a
reference measured in the same run: a bare ``validate()`` of the unchanged
running example chain.

What is measured, uncached (the lab's result and drawing caches are cleared
before every change; built scenarios and keys stay cached, as they are in a
session after the first use):

* validation: ``validate()`` + ``chain_graph()`` for a state whose clock moved;
* ``evaluate``: the above plus cryptography's verifier and ``openssl verify``
  (a subprocess);
* drawing: the chain graph rendered to an inline SVG image;
* a widget change: ``panel.clock.value = ...`` (or ``panel.breakage.value``)
  until the panel's three HTML views hold the new state, all of the above.

And one cached case: returning to a state seen before. Without a kernel no
comm messages are sent; in JupyterLab add their transfer (the SVG, ~14 kB).

Run: ``python benchmarks/widgets.py``.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable, Iterator

from pkiviz.draw.chaingraph import chain_graph
from pkiviz.lab import state as lab
from pkiviz.lab.catalogue import CATALOGUE
from pkiviz.validation import validate
from pkiviz.widgets import LabPanel, _base

RUNS = 41
CHANGE_BUDGET_MS = 100.0
VALIDATION_BUDGET_MS = 10.0


def _median_ms(
    fn: Callable[[], object], runs: int = RUNS, before: Callable[[], object] = int
) -> float:
    times = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _clear() -> None:
    lab.evaluate.cache_clear()
    _base.graph_html.cache_clear()


def main() -> None:
    control = lab.build_scenario("valid")
    for entry in CATALOGUE:  # build every scenario once, as a session would on first use
        lab.build_scenario(entry.id)

    def reference() -> object:
        assert control.leaf is not None
        return validate(
            control.leaf,
            intermediates=control.intermediates,
            trust_anchors=control.anchors,
            peer_name=control.peer_name,
        )

    days: Iterator[int] = itertools.cycle(range(1, 5000, 97))

    def validation() -> object:
        assert control.leaf is not None
        report = validate(
            control.leaf,
            intermediates=control.intermediates,
            trust_anchors=control.anchors,
            peer_name=control.peer_name,
            at=lab.at_day(next(days)),
        )
        return chain_graph(
            report, intermediates=control.intermediates, trust_anchors=control.anchors
        )

    def evaluate() -> object:
        return lab.evaluate(lab.LabState(days=next(days)))

    past = itertools.cycle(range(6881, 7000))  # past notAfter: every graph differs (its messages)

    def draw() -> float:
        _clear()
        result = lab.evaluate(lab.LabState(days=next(past)))
        assert result.graph is not None
        start = time.perf_counter()
        _base.graph_html(result.graph)
        return time.perf_counter() - start

    panel = LabPanel()

    def clock_change() -> None:
        panel.clock.value = next(past)
        assert "first failing check: validity" in panel.summary_view.value

    entries = itertools.cycle([e.id for e in CATALOGUE if e.expected_check is not None])

    def entry_change() -> None:
        name = next(entries)
        panel.breakage.value = name
        assert f"[{name} (" in panel.summary_view.value

    def revisit() -> None:
        panel.clock.value = 0 if panel.clock.value else 1

    ref = _median_ms(reference)
    rows: list[tuple[str, float, float | None]] = [
        ("validate() of the unchanged chain (reference)", ref, None),
        (
            "validation: validate + chain graph, clock moved",
            _median_ms(validation),
            VALIDATION_BUDGET_MS,
        ),
        ("evaluate(): + cryptography + openssl verify", _median_ms(evaluate, before=_clear), None),
    ]
    draws = [draw() for _ in range(RUNS)]
    rows.append(("drawing: chain graph to inline SVG", statistics.median(draws) * 1000, None))
    panel.breakage.value = "valid"
    rows.append(
        (
            "widget change: clock slider past notAfter",
            _median_ms(clock_change, before=_clear),
            CHANGE_BUDGET_MS,
        )
    )
    panel.clock.value = 0
    rows.append(
        (
            "widget change: catalogue entry",
            _median_ms(entry_change, before=_clear),
            CHANGE_BUDGET_MS,
        )
    )
    panel.reset()
    revisit()
    rows.append(("widget change: back to a state seen before (cached)", _median_ms(revisit), None))

    print(f"Break-it lab widgets, median of {RUNS} runs each\n")
    print(f"{'':52}  {'median':>9}  {'x ref':>7}  budget")
    failed = False
    for name, ms, budget in rows:
        verdict = ""
        if budget is not None:
            ok = ms < budget
            failed |= not ok
            verdict = f"< {budget:.0f} ms {'ok' if ok else 'OVER'}"
        print(f"{name:52}  {ms:7.2f} ms  {ms / ref:6.1f}x  {verdict}")
    if failed:
        raise SystemExit("over budget")


if __name__ == "__main__":
    main()
