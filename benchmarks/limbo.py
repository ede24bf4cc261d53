"""x509-limbo, pkiviz vs cryptography: per-namespace tables, time ratio, slowest cases.

Run: ``.venv/bin/python benchmarks/limbo.py [--limbo PATH]``. Prints one table per
profile from :mod:`pkiviz.crosscheck.limbo` (every profile on every case), the cases limbo's own
expectations contradict, the default profile's full-suite time ratio (target: within 10x of
cryptography, aim 3x) and the slowest pathological cases (each must stay
under 1 s); exits 1 if either bound is broken.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pkiviz.crosscheck import limbo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--limbo", type=Path, default=None)
    args = parser.parse_args()
    cases = limbo.load_cases(args.limbo)
    start = time.perf_counter()
    run = limbo.run(cases=cases)
    wall = time.perf_counter() - start
    print(run.tables())
    mine, theirs = run.score("all"), run.score("all", "cryptography")
    ratio = mine.seconds / theirs.seconds
    print(
        f"\nfull suite, default profile {run.profiles[0]!r}: pkiviz {mine.seconds:.2f} s, "
        f"cryptography {theirs.seconds:.2f} s, ratio {ratio:.1f}x (bound 10x, aim 3x); "
        f"wall time for all {len(run.profiles)} profiles and cryptography {wall:.1f} s"
    )
    slow = sorted(
        (r for r in run.results if r.namespace == "pathological"),
        key=lambda r: r.pkiviz_seconds,
        reverse=True,
    )
    print("\nslowest pathological cases (bound: 1 s each):")
    for r in slow[:5]:
        print(
            f"  {r.pkiviz_seconds * 1000:8.1f} ms pkiviz  {r.cryptography_seconds * 1000:8.1f} ms "
            f"cryptography  {r.id}"
        )
    worst = slow[0].pkiviz_seconds if slow else 0.0
    ok = ratio <= 10 and worst < 1.0
    print("\nOK" if ok else "\nBOUND BROKEN")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
