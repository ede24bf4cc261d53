"""The CN-among-SANs rule reads a CN as C's ``inet_aton`` would, without the socket module.

:func:`pkiviz.validation.rules_cert._loose_ip` replaced ``socket.inet_aton`` so that validation
imports no socket (``tests/test_layers.py`` enforces it). Here it is compared with
``socket.inet_aton`` itself on the legacy forms and on random strings of the characters
that matter.
"""

from __future__ import annotations

import random
import socket

import pytest

from pkiviz.validation.rules_cert import _loose_ip

FORMS = [
    "127.1", "0x7f.1", "0X7F.0.0.1", "017.1", "1.2.3.4", "1.2.3.4 junk", "1.2.3.4\n",
    "1.2.3.4x", "256.1", "1.16777215", "1.16777216", "1.2.0xffff", "1.2.0x10000", "0x", "0x.1",
    "09", "0", "4294967295", "4294967296", "99999999999999999999999", "1.2.3.4.", "1..2",
    " 1.2.3.4", "", "login.example.com", "00000000000000000377.1", "1.2.3.0377", "1.2.3.0400",
]  # fmt: skip


def inet_aton(text: str) -> str | None:
    try:
        return socket.inet_ntoa(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


@pytest.mark.parametrize("text", FORMS)
def test_the_legacy_forms_read_as_inet_aton_reads_them(text: str) -> None:
    assert _loose_ip(text) == inet_aton(text)


def test_random_strings_read_as_inet_aton_reads_them() -> None:
    rng = random.Random(17)
    texts = [
        "".join(rng.choices("0123456789.xXafg \t-", k=rng.randint(0, 12))) for _ in range(20_000)
    ]
    differ = [t for t in texts if _loose_ip(t) != inet_aton(t)]
    assert not differ, differ[:5]
    # control: the sample holds addresses as well as refusals
    assert sum(inet_aton(t) is not None for t in texts) > 500
