"""Benchmark: ``pkiviz probe`` against ``openssl s_client`` on the same server, in the same run.

Both are started as programs (a new interpreter for pkiviz, imports included),
interleaved, against one server of :mod:`pkiviz.net.detect_servers` on
127.0.0.1: plain HTTPS, mTLS required and mTLS optional (each asks nothing of
the probe; s_client reads until the server's alert or its own end of input).
Prints the median wall time of each and the probe / s_client ratio.

Run: ``python benchmarks/probe.py [--rounds N] [--version 1.2|1.3]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pkiviz.net.detect_servers import detection_server
from pkiviz.x509.example import running_example


def timed(argv: list[str]) -> float:
    """Run ``argv`` (no input) and return its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False)
    return time.perf_counter() - start


def main() -> None:
    """Time both tools against each server and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--version", default="1.3", choices=["1.2", "1.3"])
    args = parser.parse_args()
    if shutil.which("openssl") is None:
        sys.exit("openssl is not installed: nothing to compare with")
    example = running_example()
    with tempfile.TemporaryDirectory() as tmp:
        example.write_to(Path(tmp))
        root = str(Path(tmp) / "root.pem")
        print(f"TLS {args.version}, {args.rounds} rounds each (medians, wall time per program)")
        for kind in ("https", "mtls-named", "optional"):
            with detection_server(kind, example, version=args.version) as server:
                target = f"127.0.0.1:{server.port}"
                tools = {
                    "pkiviz probe": [sys.executable, "-m", "pkiviz", "probe", target,
                                     "--servername", example.hostname, "--trust", root],
                    "openssl s_client": ["openssl", "s_client", "-connect", target,
                                         "-servername", example.hostname, "-CAfile", root],
                }  # fmt: skip
                times: dict[str, list[float]] = {name: [] for name in tools}
                for argv in tools.values():  # warm up
                    timed(argv)
                for _ in range(args.rounds):
                    for name, argv in tools.items():
                        times[name].append(timed(argv))
            probe, s_client = (statistics.median(times[name]) for name in tools)
            print(
                f"  {kind:<11} pkiviz probe {probe * 1e3:6.1f} ms   openssl s_client "
                f"{s_client * 1e3:6.1f} ms   ratio {probe / s_client:.1f}x"
            )


if __name__ == "__main__":
    main()
