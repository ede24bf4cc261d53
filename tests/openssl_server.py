"""``openssl s_server`` for the tests that probe it (not a test module).

The context manager itself lives in :mod:`pkiviz.net.s_server`, which the book uses too.
"""

from __future__ import annotations

import shutil
import socket

import pytest

from pkiviz.net.s_server import s_server

#: Skips a test where the ``openssl`` command is missing.
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")


def free_port_on_every_address() -> int:
    """A TCP port that no socket holds on any local address, IPv4 or IPv6, a moment ago.

    For ``openssl ocsp -port N``, which binds every address: a port free on
    127.0.0.1 alone may be held on another address, and then openssl cannot
    start. Binding the wildcard address makes the kernel pick a port free on all.
    """
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # IPv4 too
            probe.bind(("::", 0))
            return int(probe.getsockname()[1])
    except OSError:  # no IPv6 here
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("0.0.0.0", 0))
            return int(probe.getsockname()[1])


__all__ = ["free_port_on_every_address", "needs_openssl", "s_server"]
