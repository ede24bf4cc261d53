"""The ``pkiviz`` command line: ``pkiviz inspect | validate | scenario | serve | probe``.

Each subcommand lives in its own module under :mod:`pkiviz.cli` and
exposes ``register(subparsers)``, which adds its parser and sets ``run`` (a
function ``argparse.Namespace -> int``) as the parser default. This module
only dispatches and turns :class:`~pkiviz.errors.PkivizError` into a one-line
message and exit status 2.

Exit status: 0 success (or a valid chain), 1 an invalid chain / failed check,
2 bad input or usage.

Layer 12 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck, draw, lab, ca, widgets, book, site, classroom and cli itself.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from pkiviz._display import shown
from pkiviz.errors import PkivizError

#: Modules under pkiviz.cli, in the order ``pkiviz --help`` lists them.
COMMANDS: tuple[str, ...] = ("inspect", "validate", "scenario", "serve", "probe")


class Subcommands(Protocol):
    """What a command's ``register`` uses of ``ArgumentParser.add_subparsers()``'s result.

    Named here because argparse's own class for it (``_SubParsersAction``) is private.
    """

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Add the subcommand ``name`` and return its parser."""
        ...


class _SafeStream:
    """Standard output or error that never ends the command with a traceback.

    * Text the stream's encoding cannot hold (a check mark on an ASCII terminal,
      ``PYTHONIOENCODING=ascii``, ``LC_ALL=C``) is written with backslash escapes
      (``\\u2713``) instead of raising ``UnicodeEncodeError``.
    * Once the reader has gone, writing stops, silently: ``pkiviz validate ... |
      head -1`` closes the pipe early; the command still finishes and exits with
      its real status (1 for an invalid chain), instead of a ``BrokenPipeError``
      traceback or a status that hides the verdict.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                try:
                    self._inner.write(text)
                except UnicodeEncodeError:
                    self._inner.write(_encodable(text, self._inner))
            except BrokenPipeError:
                self._reader_left()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self._inner.flush()
            except BrokenPipeError:
                self._reader_left()

    def _reader_left(self) -> None:
        self.reader_gone = True
        if self._inner is sys.__stdout__ and sys.__stdout__ is not None:
            # Python flushes sys.__stdout__ again at exit; point it at /dev/null so
            # that flush cannot fail (the recipe in the signal module's documentation).
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.__stdout__.fileno())
            os.close(devnull)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _encodable(text: str, stream: Any) -> str:
    """``text`` with what ``stream``'s encoding cannot hold written as backslash escapes."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding, "replace")


class _Parser(argparse.ArgumentParser):
    #: The last argument error, for a command whose ``--json`` promises a JSON document.
    last_error: str | None = None

    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse quotes the arguments it refuses as typed: escape what would not print
        _Parser.last_error = shown(message)
        self.exit(2, f"pkiviz: error: {shown(message)}\n")


# Commands whose --json output is a JSON document even for an error (scripts read stdout).
_JSON_ERRORS = frozenset({"probe"})


def _version() -> str:
    from pkiviz import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every available subcommand."""
    parser = _Parser(
        prog="pkiviz",
        description="pkiviz: certificates, chains and TLS handshakes, explained "
        "(exit status: 0 success or a valid chain, 1 an invalid chain or failed check, "
        "2 bad input).",
    )
    parser.add_argument("--version", action="version", version=f"pkiviz {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"pkiviz.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pkiviz.cli.{name}":
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
    real_stdout, real_stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(real_stdout), _SafeStream(real_stderr)
    try:
        return _run(sys.argv[1:] if argv is None else list(argv))
    finally:
        sys.stdout, sys.stderr = real_stdout, real_stderr


def _run(argv: list[str]) -> int:
    from pkiviz.x509.parse import quiet_serial_warning

    parser = build_parser()
    if not argv:
        # As git does: the usage, the commands, and where to read more (not just
        # "the following arguments are required").
        print(parser.format_help() + "\n" + _HINT, file=sys.stderr)
        return 2
    _Parser.last_error = None
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code == 2 and argv[0] in _JSON_ERRORS and "--json" in argv and _Parser.last_error:
            print(json.dumps({"error": _Parser.last_error}, indent=2))
        raise
    try:
        # A certificate with serial 0 (six roots in certifi) makes cryptography warn on
        # every field it parses; pkiviz's own output says so once, in words.
        with quiet_serial_warning():
            status: int = args.run(args)
        sys.stdout.flush()
    except PkivizError as exc:
        print(f"pkiviz: error: {shown(str(exc))}", file=sys.stderr)  # one line, printable
        return 2
    except KeyboardInterrupt:
        print("pkiviz: interrupted", file=sys.stderr)
        return 130
    return status


_HINT = "Give a COMMAND; 'pkiviz COMMAND --help' shows its arguments, e.g. pkiviz inspect --help."


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
