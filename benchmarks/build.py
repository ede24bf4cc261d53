"""Benchmark: building the running example and importing pkiviz, against cryptography itself.

Prints ratios against references measured in the same run (these machines are
noisy, so there are no timed tests; read the ratios):

* ``import pkiviz`` vs ``import cryptography.x509`` (fresh interpreters);
* the running example, EC, built from scratch (keys derived, 5 certificates
  signed) vs cryptography generating one random P-256 key and self-signing one
  certificate, times five;
* the RSA-2048 variant (primes drawn from a seeded generator in pure Python)
  vs cryptography's ``rsa.generate_private_key(2048)`` times five.

Run: ``python benchmarks/build.py``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from pkiviz.x509 import example, keys


def _median(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _import_time(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(5)
    ]
    return statistics.median(samples)


def _fresh_example(key: str) -> object:
    keys.derive_key.cache_clear()
    example.running_example.cache_clear()  # type: ignore[attr-defined]
    return example.running_example(key=key)


def _self_signed(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> x509.Certificate:
    import datetime as dt

    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "ref")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def main() -> None:
    rows: list[tuple[str, float, str, float]] = []
    rows.append(
        (
            "import pkiviz",
            _import_time("pkiviz"),
            "import cryptography.x509",
            _import_time("cryptography.x509"),
        )
    )
    rows.append(
        (
            "running example, EC (5 certs)",
            _median(lambda: _fresh_example("ec-p256"), 7),
            "cryptography: 5 x (P-256 keygen + sign)",
            _median(
                lambda: [_self_signed(ec.generate_private_key(ec.SECP256R1())) for _ in range(5)], 7
            ),
        )
    )
    rows.append(
        (
            "running example, RSA-2048 (5 certs)",
            _median(lambda: _fresh_example("rsa-2048"), 3),
            "cryptography: 5 x (RSA-2048 keygen + sign)",
            _median(
                lambda: [_self_signed(rsa.generate_private_key(65537, 2048)) for _ in range(5)], 3
            ),
        )
    )
    cached = _median(lambda: example.running_example(), 50)
    rows.append(("running example, cached", cached, "(same)", cached))
    print(f"{'measurement':40} {'seconds':>9}   {'reference':44} {'seconds':>9}  ratio")
    for name, value, ref_name, ref in rows:
        print(f"{name:40} {value:9.4f}   {ref_name:44} {ref:9.4f}  {value / ref:5.2f}x")


if __name__ == "__main__":
    main()
