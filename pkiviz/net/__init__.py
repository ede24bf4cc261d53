"""Live connections, loopback servers and the programs pkiviz starts (openssl, nginx, curl).

These open sockets (all on 127.0.0.1 unless a host is named) or start processes; the protocol
they speak is :mod:`pkiviz.tls`, pure, one layer down. ``tests/test_layers.py`` lists them as
the network side and checks that no module of the pure core reaches them.

* :mod:`pkiviz.net.live` - a capturing :class:`~pkiviz.net.live.Server`,
  :func:`~pkiviz.net.live.connect`, :func:`~pkiviz.net.live.live_handshake`; it
  alone reads the wall clock. Its servers serve one connection at a time on the shared
  loopback loop (:mod:`pkiviz._serving` over :func:`pkiviz._loopback.serve`, in the base
  layer because revocation's and CT's servers use it too).
* :mod:`pkiviz.net._msgcallback` - capture path one (CPython's private message
  callback, used nowhere else); :mod:`pkiviz.net.wire` - capture path two (a
  loopback tap plus the key log, decrypted by :mod:`pkiviz.tls.keyschedule`).
* :mod:`pkiviz.net.impostor` - what a server with a copied certificate but not
  its key can and cannot do.
* :mod:`pkiviz.net.listen` - a client that measures the round trip and listens
  for the server's verdict; :mod:`pkiviz.net.mtls_failures` - the mutual-TLS
  failure matrix, live; :mod:`pkiviz.net.detect_servers` - four HTTPS servers
  that differ in what they ask of the client.
* :mod:`pkiviz.net.forward_secrecy` - a recorded session decrypted later.
* :mod:`pkiviz.net.glassbox_run` - the glass-box client on a socket against
  ``openssl s_server``; :mod:`pkiviz.net.s_server` - that server (a process);
  :mod:`pkiviz.net.nginx` - the real nginx (a process).
* :mod:`pkiviz.net.probe` - ``pkiviz probe HOST:PORT``, the one that leaves the machine.
* :mod:`pkiviz.net.tools` - ``run_tool``: openssl, curl and the other programs, run as the
  reader would; :mod:`pkiviz.net.trust_store` - the system's trust store.

The rest (``client_auth``, ``detect``, ``mtls``, ``nginx_modes``, ``pcap``,
``glassbox_sizes``) open nothing themselves but drive the network modules.

Layer 5 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls and net
itself.
"""
