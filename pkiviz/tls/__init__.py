"""Real TLS handshakes, captured, parsed, verified: the handshake as data.

The pure protocol (no socket, no process, no wall clock): what every other module reads.
``tests/test_layers.py`` lists these modules as the pure core and enforces it.

* :mod:`pkiviz.tls.messages` / :mod:`pkiviz.tls.handshake` - the data: a
  :class:`Handshake` is a tuple of :class:`Message` records; :mod:`pkiviz.tls._wire`
  and :mod:`pkiviz.tls._der` parse records and certificates.
* :mod:`pkiviz.tls.keyschedule` - the TLS 1.3 key schedule and record decryption.
* :mod:`pkiviz.tls.signatures` - signature two, verified independently.
* :mod:`pkiviz.tls.explain` / :mod:`pkiviz.tls.names` - what a handshake means, in words.
* :mod:`pkiviz.tls.glassbox` and its ``glassbox_hello``/``_kex``/``_records``/``_schedule``
  parts - a TLS 1.3 client computed step by step, sans-IO.

The network side (live connections, servers, capture, the programs pkiviz starts) is
:mod:`pkiviz.net`, one layer up: nothing here opens a socket or starts a process.

Layer 4 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation and tls itself.
"""

from __future__ import annotations

from pkiviz.tls._wire import HandshakeParseError
from pkiviz.tls.handshake import Handshake, handshake_from_records
from pkiviz.tls.messages import Message, parse_message

__all__ = [
    "Handshake",
    "HandshakeParseError",
    "Message",
    "handshake_from_records",
    "parse_message",
]
