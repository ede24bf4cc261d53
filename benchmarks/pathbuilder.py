"""Benchmark: one validation with large pools, against the running example in the same run.

Prints the median time of one :func:`pkiviz.validation.validate` of the running
example's leaf with 250, 500 and 1,000 irrelevant intermediates added to its pool
(:func:`pkiviz.validation.pools.irrelevant_intermediates`), and of a mesh of 12
cross-certified CAs (:func:`pkiviz.validation.pools.cross_mesh`, 132
cross-certificates, one CA's root trusted), each as a ratio to the running example
with its one intermediate, measured interleaved in the same run. These machines are
noisy, so there is no timed test: ``tests/test_path_building.py`` counts instead.
Read the ratios: the pools should cost about linearly (1,000 about twice 500), the
path builder's steps and signature verifications should not grow with them.

Run: ``python benchmarks/pathbuilder.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from pkiviz.validation import Report, validate, validator
from pkiviz.validation.path import PathBuilder
from pkiviz.validation.pools import cross_mesh, irrelevant_intermediates
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import Issued


class _Counting(PathBuilder):
    """The path builder, remembering the last one made (for its step counts)."""

    last: PathBuilder | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        _Counting.last = self


def _case(leaf: Issued, pool: Sequence[Issued], anchor: Issued, host: str) -> Callable[[], Report]:
    return lambda: validate(leaf, intermediates=pool, trust_anchors=[anchor], peer_name=host)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15, help="timings per case (median)")
    args = parser.parse_args()
    ex = running_example()
    mesh = cross_mesh(12)
    cases: dict[str, Callable[[], Report]] = {
        "running example (reference)": _case(ex.server, [ex.intermediate], ex.root, ex.hostname),
    }
    for n in (250, 500, 1000):
        pool = [ex.intermediate, *irrelevant_intermediates(n)]
        cases[f"+ {n:,} irrelevant intermediates"] = _case(ex.server, pool, ex.root, ex.hostname)
    cases["mesh of 12 CAs (132 cross-certificates)"] = _case(
        mesh.leaf, mesh.cross, mesh.roots[-1], mesh.hostname
    )
    validator.PathBuilder = _Counting  # type: ignore[attr-defined]  # every validate() counts
    counts: dict[str, tuple[int, int, int, bool]] = {}
    for name, run in cases.items():  # warm up, and read the builder's counters once
        report = run()
        built = _Counting.last
        assert built is not None
        counts[name] = (len(report.path), built.steps, len(built.signatures), report.valid)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.rounds):  # interleaved, so machine noise hits every case alike
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(times) for name, times in samples.items()}
    reference = medians["running example (reference)"]
    print(f"{'validation':42} {'ms':>8} {'ratio':>7}  path  steps  signatures  valid")
    for name, value in medians.items():
        path, steps, signatures, valid = counts[name]
        print(
            f"{name:42} {value * 1000:8.2f} {value / reference:6.1f}x  {path:4}  {steps:5}"
            f"  {signatures:10}  {valid}"
        )
    pools = [medians[f"+ {n:,} irrelevant intermediates"] - reference for n in (250, 500, 1000)]
    print(
        f"\nadded by the pool: 500 / 250 = {pools[1] / pools[0]:.2f}x, "
        f"1,000 / 500 = {pools[2] / pools[1]:.2f}x (linear: 2x)"
    )


if __name__ == "__main__":
    main()
