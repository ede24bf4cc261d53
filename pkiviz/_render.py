"""The one rendering convention of pkiviz's results.

A result class defines ``text()`` (deterministic plain text) and
``_repr_html_()``. Mixing in :class:`Renders` makes ``str(result)`` and the
notebook's ``text/plain`` output (IPython's ``_repr_pretty_`` protocol) show
that text, while ``repr()`` stays the dataclass's own, for debugging.
"""

from __future__ import annotations

from typing import Any


class Renders:
    """Mixin: ``str()`` and IPython's plain-text display use ``self.text()``."""

    def text(self) -> str:  # pragma: no cover - every user overrides it
        """Render as plain text."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())
