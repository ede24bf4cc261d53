"""``pkiviz scenario NAME DIR``: write a scenario's certificates and keys as PEM files.

``valid`` is the running example. Further scenarios (broken certificates)
register themselves in :data:`SCENARIOS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from pkiviz.errors import InputError
from pkiviz.example import running_example


def _valid() -> dict[str, bytes]:
    return running_example().files()


#: Scenario name -> (one-line description, function returning file name -> bytes).
SCENARIOS: dict[str, tuple[str, Callable[[], dict[str, bytes]]]] = {
    "valid": ("nothing broken: login.example.com under a root and an intermediate", _valid),
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scenario`` subcommand."""
    parser = sub.add_parser(
        "scenario",
        help="write a scenario's certificates and keys as PEM files",
        description="Write a scenario's certificates (PEM) and keys (mode 0600) into DIR. "
        "DIR/root.pem is always the trust anchor to use.",
    )
    parser.add_argument("name", nargs="?", help="scenario name (see --list)")
    parser.add_argument("directory", nargs="?", help="directory to write into (created if missing)")
    parser.add_argument("--list", action="store_true", help="list the scenarios, one a line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the files, or list the scenarios."""
    if args.list:
        for name, (what, _) in SCENARIOS.items():
            print(f"{name}\t{what}")
        return 0
    if not args.name or not args.directory:
        raise InputError("usage: pkiviz scenario NAME DIR (or pkiviz scenario --list)")
    if args.name not in SCENARIOS:
        raise InputError(f"unknown scenario {args.name!r}; run 'pkiviz scenario --list'")
    from pkiviz.factory import Blob

    target = Path(args.directory)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a directory")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, data in SCENARIOS[args.name][1]().items():
            Blob(data, secret=name.endswith(".key")).write_to_path(target / name)
            print(target / name)
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror})") from None
    return 0
