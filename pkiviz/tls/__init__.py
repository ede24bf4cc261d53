"""Real TLS handshakes, captured, parsed, verified: the handshake as data.

* :mod:`pkiviz.tls.messages` / :mod:`pkiviz.tls.handshake` - the data: a
  :class:`Handshake` is a tuple of :class:`Message` records.
* :mod:`pkiviz.tls.live` - the only module here that opens sockets (and reads
  the wall clock): a capturing :class:`~pkiviz.tls.live.Server`,
  :func:`~pkiviz.tls.live.connect`, :func:`~pkiviz.tls.live.live_handshake`.
* :mod:`pkiviz.tls._msgcallback` - capture path one (CPython's private
  message callback, used nowhere else); :mod:`pkiviz.tls.wire` - capture path
  two (a loopback tap plus the key log, decrypted by
  :mod:`pkiviz.tls.keyschedule`).
* :mod:`pkiviz.tls.signatures` - signature two, verified independently.
* :mod:`pkiviz.tls.impostor` - what a server with a copied certificate but
  not its key can and cannot do.
* :mod:`pkiviz.tls.probe` - ``pkiviz probe HOST:PORT``.
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
