"""x509-limbo, pkiviz vs cryptography: per-namespace tables, time ratio, slowest cases.

Run: ``.venv/bin/python benchmarks/limbo.py [--limbo PATH]``. Prints one table per
profile from :mod:`pkiviz.crosscheck.limbo` (every profile on every case), the cases limbo's own
expectations contradict, the default profile's full-suite time ratio (target: within 10x of
cryptography, aim 3x) and the slowest pathological cases (each must stay
under 1 s); exits 1 if either bound is broken.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from pkiviz.crosscheck import limbo


def signature_floor(cases: list[dict[str, Any]], run: limbo.LimboRun, reference: float) -> str:
    """The part of pkiviz's time that no rewrite of its Python removes, measured in this run.

    A report shows every link of the path it reports with its signature checked, so pkiviz
    verifies each of them; cryptography's verifier stops at its first failure, and on the
    BetterTLS name-constraint cases that comes before any signature. Here each reported
    link is verified once more with cryptography's own public API
    (``verify_directly_issued_by``), timed alone: that is the least time the report's
    signatures cost, whatever else pkiviz does.
    """
    by_id = {r.id: r for r in run.results}
    links = 0
    seconds = 0.0
    rejected: list[float] = []
    for case in cases:
        report = limbo.validate_case(case, run.profiles[0])  # untimed: only its path is used
        path = report.path
        start = time.perf_counter()
        for child, issuer in itertools.pairwise(path):
            with contextlib.suppress(ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                child.verify_directly_issued_by(issuer)
        seconds += time.perf_counter() - start
        links += max(len(path) - 1, 0)
        result = by_id[case["id"]]
        if result.namespace == "bettertls" and result.cryptography == "FAILURE":
            rejected.append(result.cryptography_seconds)
    each = seconds / links * 1e6 if links else 0.0
    median_rejected = statistics.median(rejected) * 1e6 if rejected else 0.0
    return (
        f"signature floor: the {links:,} links on the reported paths, verified once each by "
        f"cryptography's public API, take {seconds:.2f} s ({each:.0f} us a link), "
        f"{seconds / reference:.2f}x cryptography's whole run; cryptography rejects its "
        f"{len(rejected):,} BetterTLS failures in {median_rejected:.0f} us a case (median)"
        + (
            ", less than one link's signature: it rejects them before verifying any"
            if median_rejected < each
            else ""
        )
    )


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
    print()
    print(signature_floor(cases, run, theirs.seconds))
    worst = slow[0].pkiviz_seconds if slow else 0.0
    ok = ratio <= 10 and worst < 1.0
    print("\nOK" if ok else "\nBOUND BROKEN")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
