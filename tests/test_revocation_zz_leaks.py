"""After the revocation and CA servers have run, no threads, sockets or file descriptors remain.

Self-contained (it runs its own servers), so it holds in any order; the name
sorts it after the other revocation tests so it also sees their leftovers.
"""

from __future__ import annotations

import gc
import os
import socket
import threading

from pkiviz import BOOK_CLOCK, running_example
from pkiviz.ca.domain_control import ChallengeServer, check_http01, new_challenge
from pkiviz.revocation.fetch import fetch_crl, fetch_ocsp
from pkiviz.revocation.ocsp import build_ocsp_response
from pkiviz.revocation.responder import Responder
from pkiviz.revocation.stapling import staple_handshake
from pkiviz.x509.keys import derive_key


def _snapshot() -> tuple[set[str], int, int]:
    gc.collect()
    threads = {t.name for t in threading.enumerate() if t.name != threading.main_thread().name}
    fds = len(os.listdir("/proc/self/fd"))
    sockets = sum(1 for o in gc.get_objects() if isinstance(o, socket.socket) and o.fileno() != -1)
    return threads, fds, sockets


def _exercise() -> None:
    ex = running_example()
    with Responder(ex.intermediate, at=BOOK_CLOCK) as responder:
        leaf = responder.issue_server("login.example.com", label="leak-leaf")
        fetch_crl(leaf)
        fetch_ocsp(leaf, ex.intermediate, method="GET")
        responder.behaviour = "slow"  # leaves a handler asleep until close() wakes it
        fetch_ocsp(leaf, ex.intermediate, timeout=0.2)
    with Responder(ex.intermediate, behaviour="down") as responder:
        fetch_crl(responder.crl_url)
    staple = build_ocsp_response(ex.intermediate, ex.server).der
    staple_handshake(ex.server, ex.root, staple=staple, at=BOOK_CLOCK)
    staple_handshake(ex.server, ex.client_root, staple=staple, at=BOOK_CLOCK)  # fails
    challenge = new_challenge("login.example.com", derive_key("ec-p256", "leak account"))
    with ChallengeServer(challenge) as site:
        check_http01(challenge, address=site.address)
    with ChallengeServer(challenge, serve="down") as site:
        check_http01(challenge, address=site.address)


def test_servers_leave_nothing_behind() -> None:
    _exercise()  # warm-up: imports, caches, lazily created descriptors
    threads, fds, sockets = _snapshot()
    _exercise()
    threads_after, fds_after, sockets_after = _snapshot()
    assert not {t for t in threads_after - threads if t.startswith(("pkiviz", "Thread"))}
    assert fds_after <= fds
    assert sockets_after <= sockets
