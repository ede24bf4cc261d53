"""pkiviz.x509.parse: cryptography's parser without the serial warning, one error type."""

from __future__ import annotations

import warnings

import pytest
from cryptography import x509

from pkiviz.x509 import der
from pkiviz.x509.example import running_example
from pkiviz.x509.parse import parse_der_certificate, serial_number


def _with_serial_first_byte(cert_der: bytes, value: int) -> bytes:
    """The certificate with its serial's first content byte replaced (same length)."""
    tbs = der.children(cert_der, der.read_single(cert_der))[0]
    fields = der.children(cert_der, tbs)
    serial = fields[1] if cert_der[fields[0].start] == 0xA0 else fields[0]
    out = bytearray(cert_der)
    out[serial.content_start] = value
    return bytes(out)


@pytest.fixture(scope="module")
def leaf_der() -> bytes:
    return running_example().server.der


def test_negative_serial_parses_quietly_and_is_read_quietly(leaf_der):
    negative = _with_serial_first_byte(leaf_der, 0x80)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cert = parse_der_certificate(negative)
        assert serial_number(cert) < 0


def test_control_cryptography_itself_warns_on_the_negative_serial(leaf_der):
    negative = _with_serial_first_byte(leaf_der, 0x80)
    with pytest.warns(Warning, match="serial number which wasn't positive"):
        x509.load_der_x509_certificate(negative)


def test_control_a_positive_serial_parses_and_matches_cryptography(leaf_der):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cert = parse_der_certificate(leaf_der)
    assert serial_number(cert) == x509.load_der_x509_certificate(leaf_der).serial_number > 0


def test_bad_version_is_a_value_error(leaf_der):
    # [0] EXPLICIT { INTEGER 2 } -> INTEGER 7: cryptography raises InvalidVersion,
    # which is not a ValueError; parse_der_certificate makes it one.
    marker = bytes.fromhex("a003020102")
    assert marker in leaf_der
    bad = leaf_der.replace(marker, bytes.fromhex("a003020107"), 1)
    with pytest.raises(x509.InvalidVersion):
        x509.load_der_x509_certificate(bad)
    with pytest.raises(ValueError, match="version"):
        parse_der_certificate(bad)


def test_garbage_is_a_value_error():
    with pytest.raises(ValueError):
        parse_der_certificate(b"\x30\x03\x02\x01\x01")
