"""The validator's fast paths agree with what they replace, on every x509-limbo certificate.

Each fast path in :mod:`pkiviz.validation.facts` re-implements a little of
cryptography (or skips a call whose result it already knows). Each is checked
here against cryptography itself on the certificates of the whole suite, and
each test also shows that it catches a deliberate mistake in the fast path
(the "planted bug" controls), so an agreement is not a test that cannot fail.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning

from pkiviz.crosscheck import limbo
from pkiviz.validation import facts


@pytest.fixture(scope="module")
def limbo_certs() -> list[tuple[x509.Certificate, bytes]]:
    """Every distinct certificate of the suite, with its DER."""
    if not limbo.DEFAULT_LIMBO.exists():
        pytest.skip(f"x509-limbo not found at {limbo.DEFAULT_LIMBO}")
    pems: dict[str, None] = {}
    for case in limbo.load_cases():
        for pem in (case["peer_certificate"], *case["untrusted_intermediates"]):
            pems.setdefault(pem)
        for pem in case["trusted_certs"]:
            pems.setdefault(pem)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for pem in pems:
            try:
                cert = x509.load_pem_x509_certificate(pem.encode())
            except ValueError:
                continue
            out.append((cert, cert.public_bytes(serialization.Encoding.DER)))
    return out


# -- the TBSCertificate cut from the DER (the ECDSA fast path signs over it) ---


def _tbs_disagreements(
    certs: list[tuple[x509.Certificate, bytes]],
    tbs: Callable[[facts._Walked, bytes], bytes],
) -> tuple[int, int]:
    """(certificates compared, how many differ from ``cert.tbs_certificate_bytes``)."""
    compared = differ = 0
    for cert, data in certs:
        walked = facts._walk(data)
        if walked.tbs_end == 0:
            continue
        compared += 1
        differ += tbs(walked, data) != cert.tbs_certificate_bytes
    return compared, differ


def test_the_tbs_cut_from_the_der_is_cryptography_s(limbo_certs) -> None:
    compared, differ = _tbs_disagreements(limbo_certs, lambda w, d: w.tbs(d))
    assert compared > 0.99 * len(limbo_certs) > 10_000
    assert differ == 0


def test_planted_bug_a_tbs_cut_one_octet_short_is_caught(limbo_certs) -> None:
    _, differ = _tbs_disagreements(limbo_certs, lambda w, d: d[w.tbs_start : w.tbs_end - 1])
    assert differ > 0


def test_a_certificate_that_cannot_be_walked_has_no_tbs_span() -> None:
    walked = facts._walk(b"\x30\x03\x02\x01")  # cut short
    assert walked == facts._UNREADABLE
    assert walked.tbs(b"anything") == b""
