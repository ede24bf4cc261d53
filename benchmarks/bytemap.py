"""Benchmark: ``pkiviz inspect --map`` on certificates with 1,250, 2,500 and 5,000 extensions.

Each step doubles the extensions (and so the byte map's regions); linear work
takes about twice as long at each step, quadratic work four times. Prints the
median time of each size and the ratio to the size before it (these machines are
noisy, so there are no timed tests; tests/test_bytemap_scaling.py counts the work
instead). Runs ``pkiviz.cli.main`` in this process with standard output discarded.

Run: ``python benchmarks/bytemap.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path

from pkiviz.cli import main as pkiviz
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import build
from pkiviz.x509.spec import CustomExtension

SIZES = (1_250, 2_500, 5_000)


def write_certificate(directory: Path, extensions: int) -> Path:
    """The running example's server certificate with that many extra (NULL) extensions."""
    example = running_example()
    spec = dataclasses.replace(
        example.server.spec,
        label=f"bench-bytemap-{extensions}",
        extra_extensions=tuple(
            CustomExtension(f"1.3.6.1.4.1.55555.{i}", b"\x05\x00") for i in range(extensions)
        ),
    )
    return build(spec, example.intermediate).pem.write_to_path(directory / f"{extensions}.pem")


def inspect_map(path: Path) -> float:
    """Seconds for one ``pkiviz inspect --map PATH``, output discarded."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        start = time.perf_counter()
        status = pkiviz(["inspect", "--map", str(path)])
        elapsed = time.perf_counter() - start
    assert status == 0
    return elapsed


def main() -> None:
    """Time each size and print medians and the growth per doubling."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = {n: write_certificate(Path(tmp), n) for n in SIZES}
        print(f"pkiviz inspect --map, median of {args.runs} runs")
        previous = None
        for n, path in paths.items():
            median = statistics.median(inspect_map(path) for _ in range(args.runs))
            ratio = f"  ratio {median / previous:.2f}x" if previous else ""
            size = path.stat().st_size
            print(f"  {n:>5} extensions ({size:>7} bytes PEM): {median * 1e3:8.1f} ms{ratio}")
            previous = median
        print("  (linear: about 2x per doubling; quadratic: about 4x)")


if __name__ == "__main__":
    main()
