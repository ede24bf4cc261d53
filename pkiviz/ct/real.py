"""The real CT data the book and the tests share: cryptography.io's 2018 certificate and its logs.

::

    real = cryptography_io()
    real.certificate      # cryptography.io, issued 2018-09-26 by Let's Encrypt Authority X3
    real.issuer           # Let's Encrypt Authority X3 (its key hash is what the SCTs sign)
    real.log_list         # an excerpt of Chromium's v3 log list (Google, Venafi, Sectigo)

The files live once, in the repository's ``tests/data/ct/`` with their
provenance (``PROVENANCE.md``: where each came from, on what date); this module
only reads them, so a chapter never spells a path. They are not part of an
installed wheel: outside a checkout of the repository :func:`cryptography_io`
raises :class:`~pkiviz.errors.InputError` naming the directory it looked in.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from pkiviz.ct.known_logs import KnownLogs
from pkiviz.errors import InputError

#: Where the files are: ``tests/data/ct`` beside the package, in a checkout of the repository.
DATA_DIR = Path(__file__).resolve().parent.parent.parent / "tests" / "data" / "ct"

#: A time at which the certificate was valid and both SCTs were in the past (2018-10-01).
CHECKED_AT = dt.datetime(2018, 10, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class RealCertificate:
    """A real certificate with embedded SCTs, its issuer and the log list that names its logs.

    Attributes:
        certificate: the certificate.
        issuer: the certificate of the CA that issued it.
        log_list: the client's log list (real keys, operators and states).
        at: a time at which the certificate was valid.
        provenance: the text of ``PROVENANCE.md``.
    """

    certificate: x509.Certificate
    issuer: x509.Certificate
    log_list: KnownLogs
    at: dt.datetime
    provenance: str


def _read(name: str) -> bytes:
    path = DATA_DIR / name
    try:
        return path.read_bytes()
    except OSError:
        raise InputError(
            f"{path} is missing: the real CT data ships with the repository, not the package"
        ) from None


@functools.lru_cache(maxsize=1)
def cryptography_io() -> RealCertificate:
    """cryptography.io's certificate (SCTs from Google Icarus and Sectigo Mammoth) and its data.

    Returns:
        The :class:`RealCertificate`, read once.

    Raises:
        InputError: if the files are not there (not a checkout of the repository).
    """
    return RealCertificate(
        x509.load_pem_x509_certificate(_read("cryptography-scts.pem")),
        x509.load_pem_x509_certificate(_read("letsencryptx3.pem")),
        KnownLogs.from_log_list(_read("log_list.json")),
        CHECKED_AT,
        _read("PROVENANCE.md").decode("utf-8"),
    )


__all__ = ["CHECKED_AT", "DATA_DIR", "RealCertificate", "cryptography_io"]
