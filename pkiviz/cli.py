"""The ``pkiviz`` command line: ``pkiviz inspect | validate | scenario | serve | probe``.

Each subcommand lives in its own module under :mod:`pkiviz.commands` and
exposes ``register(subparsers)``, which adds its parser and sets ``run`` (a
function ``argparse.Namespace -> int``) as the parser default. This module
only dispatches and turns :class:`~pkiviz.errors.PkivizError` into a one-line
message and exit status 2.

Exit status: 0 success (or a valid chain), 1 an invalid chain / failed check,
2 bad input or usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pkiviz.errors import PkivizError

#: Modules under pkiviz.commands, in the order ``pkiviz --help`` lists them.
COMMANDS: tuple[str, ...] = ("inspect", "validate", "scenario", "serve", "probe")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"pkiviz: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = _Parser(prog="pkiviz", description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"pkiviz.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pkiviz.commands.{name}":
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns:
        The exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except PkivizError as exc:
        print(f"pkiviz: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pkiviz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
