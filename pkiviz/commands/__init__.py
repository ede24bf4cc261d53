"""One module per ``pkiviz`` subcommand; see :mod:`pkiviz.cli`."""

from __future__ import annotations

import argparse
from typing import Any, Protocol


class Subcommands(Protocol):
    """What a command's ``register`` uses of ``ArgumentParser.add_subparsers()``'s result.

    Named here because argparse's own class for it (``_SubParsersAction``) is private.
    """

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        """Add the subcommand ``name`` and return its parser."""
        ...
