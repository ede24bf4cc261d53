"""Benchmark: the book's performance budget and determinism.

Executes every chapter twice in fresh kernels (as nbval does, kernel start
excluded) and prints, per chapter: the two execution times, whether the two
executions' text outputs are byte-identical (after sanitizing only live values:
ports and temporary paths), and whether they equal the outputs saved in the
notebook. Budget: the whole book in at most 30 s, no chapter over 5 s.

Run: ``python benchmarks/book.py``.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("MPLBACKEND", "Agg")

from pkiviz.book.run import chapters, execute, saved_outputs


def main() -> int:
    print(f"{'chapter':34} {'run 1 s':>8} {'run 2 s':>8}  {'1 == 2':6}  {'== saved':8}")
    totals = [0.0, 0.0]
    problems = 0
    for path in chapters():
        first, second = execute(path), execute(path)
        same = first.outputs == second.outputs
        saved = first.outputs == saved_outputs(path)
        totals[0] += first.seconds
        totals[1] += second.seconds
        flag = "" if max(first.seconds, second.seconds) <= 5 else "  over 5 s"
        problems += (not same) + (not saved) + bool(flag)
        print(
            f"{path.name:34} {first.seconds:8.2f} {second.seconds:8.2f}  "
            f"{'yes' if same else 'NO':6}  {'yes' if saved else 'NO':8}{flag}"
        )
    print(
        f"{'whole book':34} {totals[0]:8.2f} {totals[1]:8.2f}  budget 30 s: "
        f"{'met' if max(totals) <= 30 else 'NOT met'}"
    )
    return 1 if problems or max(totals) > 30 else 0


if __name__ == "__main__":
    sys.exit(main())
