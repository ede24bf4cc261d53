"""cryptography's DER certificate parser, with the two quirks pkiviz smooths over.

* Non-positive serial numbers: RFC 5280 4.1.2.2 requires a positive serial,
  but a few trusted roots (six in certifi's bundle) have serial 0, and a
  corrupted certificate can have any serial. cryptography parses them with a
  ``CryptographyDeprecationWarning``; pkiviz silences exactly that warning
  (the anatomy and the validator report the serial instead), so that the
  same input never turns into an exception when warnings are errors.
* Errors: cryptography raises ``ValueError`` for most malformed input but
  ``x509.InvalidVersion`` (not a ``ValueError``) for a bad version field.
  :func:`parse_der_certificate` raises ``ValueError`` for both, so callers
  need one ``except``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

SERIAL_WARNING = "Parsed a serial number which wasn't positive"


@contextmanager
def quiet_serial_warning() -> Iterator[None]:
    """Silence cryptography's warning about a non-positive serial, and only that."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=SERIAL_WARNING, category=CryptographyDeprecationWarning
        )
        yield


def parse_der_certificate(der: bytes) -> x509.Certificate:
    """Parse one DER certificate; raises ``ValueError`` for anything malformed."""
    try:
        with quiet_serial_warning():
            return x509.load_der_x509_certificate(der)
    except x509.InvalidVersion as exc:
        raise ValueError(f"invalid certificate version: {exc}") from None


def serial_number(cert: x509.Certificate) -> int:
    """``cert.serial_number``, without the warning cryptography gives for one <= 0."""
    with quiet_serial_warning():
        return cert.serial_number
