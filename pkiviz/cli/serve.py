"""``pkiviz serve NAME [--port N]``: serve a catalogue scenario over HTTPS on 127.0.0.1.

Prints the URL, the trust file and the commands to try (curl, ``pkiviz probe``
with ``--servername``, ``openssl s_client``; for an mTLS scenario, how to
present a client certificate), then serves until Ctrl-C (SIGINT), SIGTERM or
SIGHUP (the terminal closed), and exits 0 after shutting down and removing the
scenario's temporary files. A scenario Python's ssl refuses to serve is a
one-line error (exit 2). See :mod:`pkiviz.lab.serve`.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import types

from pkiviz.cli import Subcommands

#: How often the main thread wakes to notice a stop request, seconds.
_WAKE = 0.2

#: Signals that stop the server (and remove its files): Ctrl-C, kill, and the
#: terminal closing (SIGHUP), whose default action would skip the clean-up.
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def register(sub: Subcommands) -> None:
    """Add the ``serve`` subcommand."""
    parser = sub.add_parser(
        "serve",
        help="serve a scenario over HTTPS on 127.0.0.1 as login.example.com",
        description="Serve a scenario (see 'pkiviz scenario --list') over HTTPS on 127.0.0.1, "
        "answering as login.example.com, until Ctrl-C. Prints the URL, the trust file "
        "and the curl, pkiviz probe and openssl s_client commands to try.",
        epilog="Exit status: 0 once stopped (Ctrl-C, SIGTERM or SIGHUP) and its temporary "
        "files removed; 2 an unknown scenario, a port that cannot be bound, or a scenario "
        "that cannot be served (a one-line message on standard error).",
    )
    parser.add_argument("name", help="scenario name (see 'pkiviz scenario --list')")
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: 0, any free port)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT, SIGTERM or SIGHUP."""
    from pkiviz.lab.serve import ScenarioServer

    stop = threading.Event()

    def on_signal(signum: int, frame: types.FrameType | None) -> None:
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _STOP_SIGNALS:
            previous[sig] = signal.signal(sig, on_signal)
    try:
        with ScenarioServer(args.name, port=args.port) as server:
            print(server.text(clients=True), flush=True)
            while not stop.wait(_WAKE):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("pkiviz serve: stopped", file=sys.stderr, flush=True)
    return 0
