"""Benchmark: one validation with 1,000 irrelevant intermediates, pkiviz against cryptography.

The running example's leaf, its intermediate and 1,000 intermediates no path uses
(:func:`pkiviz.validation.pools.irrelevant_intermediates`), its root trusted:
:func:`pkiviz.validation.validate` and cryptography's ``PolicyBuilder`` server
verifier, alternating in one process so machine load hits both alike; the median of
each and their ratio (aim: within 3x), beside the running example alone.

Two ways of handing the certificates over. *Same objects*: the ``x509.Certificate``
objects are reused for every round, as a program validating against a loaded pool
does; cryptography keeps a certificate's parsed subject on the object, so after the
first round pkiviz's index of the pool is a dictionary lookup per certificate.
*Fresh objects*: every round loads the DER again (not timed), so each validation
reads each subject once (about 3 us a certificate for pkiviz).

Run: ``python benchmarks/pool.py [--rounds N]``. No timed test: the machines are
noisy; ``tests/test_path_building.py`` checks that the pool changes no report and
gets no facts built.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification as xv

from pkiviz.clock import BOOK_CLOCK
from pkiviz.validation import validate
from pkiviz.validation.pools import irrelevant_intermediates
from pkiviz.x509.example import running_example

Certs = tuple[x509.Certificate, Sequence[x509.Certificate], x509.Certificate]


def _pkiviz(host: str) -> Callable[[Certs], object]:
    def run(certs: Certs) -> object:
        leaf, pool, root = certs
        report = validate(
            leaf, intermediates=pool, trust_anchors=[root], peer_name=host, at=BOOK_CLOCK
        )
        assert report.valid
        return report

    return run


def _cryptography(host: str) -> Callable[[Certs], object]:
    def run(certs: Certs) -> object:
        leaf, pool, root = certs
        builder = xv.PolicyBuilder().store(xv.Store([root])).time(BOOK_CLOCK)
        return builder.build_server_verifier(x509.DNSName(host)).verify(leaf, list(pool))

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=31, help="timings per case (median)")
    args = parser.parse_args()
    ex = running_example()
    irrelevant = [i.certificate for i in irrelevant_intermediates(1000)]
    cases: dict[str, Certs] = {
        "running example alone": (
            ex.server.certificate,
            [ex.intermediate.certificate],
            ex.root.certificate,
        ),
        "+ 1,000 irrelevant intermediates": (
            ex.server.certificate,
            [ex.intermediate.certificate, *irrelevant],
            ex.root.certificate,
        ),
    }
    der = serialization.Encoding.DER

    def fresh(certs: Certs) -> Certs:
        leaf, pool, root = certs
        load = x509.load_der_x509_certificate
        return (
            load(leaf.public_bytes(der)),
            [load(c.public_bytes(der)) for c in pool],
            load(root.public_bytes(der)),
        )

    verifiers = {"pkiviz": _pkiviz(ex.hostname), "cryptography": _cryptography(ex.hostname)}
    print(f"{'validation':34} {'objects':6} {'pkiviz ms':>10} {'crypto ms':>10} {'ratio':>6}")
    for name, certs in cases.items():
        for objects in ("same", "fresh"):
            samples: dict[str, list[float]] = {who: [] for who in verifiers}
            for run in verifiers.values():
                run(certs)  # warm up
            for _ in range(args.rounds):  # alternating, so load hits both alike
                for who, run in verifiers.items():
                    given = fresh(certs) if objects == "fresh" else certs
                    start = time.perf_counter()
                    run(given)
                    samples[who].append(time.perf_counter() - start)
            mine, theirs = (statistics.median(samples[w]) for w in verifiers)
            print(
                f"{name:34} {objects:6} {mine * 1000:10.2f} {theirs * 1000:10.2f} "
                f"{mine / theirs:5.1f}x"
            )


if __name__ == "__main__":
    main()
