"""Real TLS handshakes, captured, parsed, verified: the handshake as data.

The package has two sides (``tests/test_layers.py`` holds the lists and enforces them).

**Pure protocol (no socket, no process, no wall clock)**: what every other module reads.

* :mod:`pkiviz.tls.messages` / :mod:`pkiviz.tls.handshake` - the data: a
  :class:`Handshake` is a tuple of :class:`Message` records; :mod:`pkiviz.tls._wire`
  and :mod:`pkiviz.tls._der` parse records and certificates.
* :mod:`pkiviz.tls.keyschedule` - the TLS 1.3 key schedule and record decryption.
* :mod:`pkiviz.tls.signatures` - signature two, verified independently.
* :mod:`pkiviz.tls.explain` / :mod:`pkiviz.tls.names` - what a handshake means, in words.
* :mod:`pkiviz.tls.glassbox` and its ``glassbox_hello``/``_kex``/``_records``/``_schedule``
  parts - a TLS 1.3 client computed step by step, sans-IO.

**Network**: these open sockets (all on 127.0.0.1 unless a host is named) or start processes.

* :mod:`pkiviz.tls.live` - a capturing :class:`~pkiviz.tls.live.Server`,
  :func:`~pkiviz.tls.live.connect`, :func:`~pkiviz.tls.live.live_handshake`; it
  alone reads the wall clock.
* :mod:`pkiviz.tls._serving` - one connection at a time on the shared loopback
  loop (:func:`pkiviz._loopback.serve`), for the TLS servers.
* :mod:`pkiviz.tls._msgcallback` - capture path one (CPython's private message
  callback, used nowhere else); :mod:`pkiviz.tls.wire` - capture path two (a
  loopback tap plus the key log, decrypted by :mod:`pkiviz.tls.keyschedule`).
* :mod:`pkiviz.tls.impostor` - what a server with a copied certificate but not
  its key can and cannot do.
* :mod:`pkiviz.tls.listen` - a client that measures the round trip and listens
  for the server's verdict; :mod:`pkiviz.tls.mtls_failures` - the mutual-TLS
  failure matrix, live; :mod:`pkiviz.tls.detect_servers` - four HTTPS servers
  that differ in what they ask of the client.
* :mod:`pkiviz.tls.forward_secrecy` - a recorded session decrypted later.
* :mod:`pkiviz.tls.glassbox_run` - the glass-box client on a socket against
  ``openssl s_server``; :mod:`pkiviz.tls.s_server` - that server (a process);
  :mod:`pkiviz.tls.nginx` - the real nginx (a process).
* :mod:`pkiviz.tls.probe` - ``pkiviz probe HOST:PORT``, the one that leaves the machine.

The rest (``client_auth``, ``detect``, ``mtls``, ``nginx_modes``, ``pcap``,
``glassbox_sizes``) open nothing themselves but drive the network modules.
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
