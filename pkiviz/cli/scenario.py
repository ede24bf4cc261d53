"""``pkiviz scenario NAME DIR``: write a scenario's certificates and keys as PEM files.

The scenarios are the Break-it catalogue (:mod:`pkiviz.lab.catalogue`): ``valid``
(the running example) and one broken variant per entry. Files are named as for
``valid``, so ``DIR/root.pem`` is always the trust anchor to use and
``DIR/chain.pem`` is what the server sends; ``crl.pem`` appears where the
scenario has CRLs. The Certificate Transparency scenarios (``ct-valid``,
``ct-one-sct``...: :data:`pkiviz.lab.catalogue.CT_CATALOGUE`) write the same files;
their SCTs are embedded in ``server.pem``, to be judged with ``pkiviz validate
--ct chrome``. ``pkiviz scenario --list`` prints one entry a line: its name, a
tab, what it breaks (the main catalogue, then the CT one).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from pkiviz._display import shown
from pkiviz.cli import Subcommands
from pkiviz.errors import InputError


def register(sub: Subcommands) -> None:
    """Add the ``scenario`` subcommand."""
    parser = sub.add_parser(
        "scenario",
        help="write a scenario's certificates and keys as PEM files",
        description="Write a scenario's certificates (PEM) and keys (mode 0600) into DIR. "
        "DIR/root.pem is always the trust anchor to use; DIR/chain.pem is what the server sends.",
    )
    parser.add_argument("name", nargs="?", help="scenario name (see --list)")
    parser.add_argument("directory", nargs="?", help="directory to write into (created if missing)")
    parser.add_argument("--list", action="store_true", help="list the scenarios, one a line")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the files, or list the scenarios."""
    from pkiviz.lab.catalogue import BY_ID, CATALOGUE, CT_CATALOGUE

    if args.list:
        for entry in CATALOGUE + CT_CATALOGUE:
            print(entry.text())
        return 0
    if not args.name or not args.directory:
        raise InputError("usage: pkiviz scenario NAME DIR (or pkiviz scenario --list)")
    if args.name not in BY_ID:
        raise InputError(f"unknown scenario {args.name!r}; run 'pkiviz scenario --list'")
    target, name = Path(args.directory), shown(args.directory)
    try:  # even asking whether it exists can fail (a name too long: ENAMETOOLONG)
        if target.exists() and not target.is_dir():
            raise InputError(f"{name}: exists and is not a directory")
        paths = BY_ID[args.name].scenario().write_to(target)
    except OSError as exc:
        raise InputError(f"{name}: cannot write ({exc.strerror or exc})") from None
    for path in paths:
        print(shown(path))  # a directory named in bytes that are not UTF-8, as typed
    return 0
