"""Bytes shown as a hex dump, with some ranges marked.

:func:`hexdump` returns a :class:`HexDump` that prints as offset-and-hex rows
with ``^^`` under the marked bytes, and displays in a notebook with the marked
bytes highlighted. It knows nothing about DER or certificates: the caller
chooses the ranges (e.g. :meth:`pkiviz.x509.tamper.Tampered.new_tbs_dump` marks
the bytes a tampering changed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class HexDump:
    """Bytes shown as a hex dump, with some ranges marked. Build with :func:`hexdump`.

    Attributes:
        data: the bytes.
        start: the offset printed for ``data[0]``.
        marks: ranges ``(start, end)`` to highlight, in the same offsets.
        width: bytes per row.
    """

    data: bytes
    start: int = 0
    marks: tuple[tuple[int, int], ...] = ()
    width: int = 16

    def _marked(self, offset: int) -> bool:
        return any(a <= offset < b for a, b in self.marks)

    def rows(self) -> list[tuple[int, bytes]]:
        """The rows as ``(offset, bytes)``."""
        return [
            (self.start + i, self.data[i : i + self.width])
            for i in range(0, len(self.data), self.width)
        ]

    def __str__(self) -> str:
        lines: list[str] = []
        for offset, row in self.rows():
            lines.append(f"{offset:04x}  " + " ".join(f"{b:02x}" for b in row))
            under = ["^^" if self._marked(offset + i) else "  " for i in range(len(row))]
            if "^^" in under:
                lines.append("      " + " ".join(under).rstrip())
        return "\n".join(lines)

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(str(self))  # type: ignore[attr-defined]

    def _repr_html_(self) -> str:
        lines: list[str] = []
        for offset, row in self.rows():
            cells = [
                f"<mark>{b:02x}</mark>" if self._marked(offset + i) else f"{b:02x}"
                for i, b in enumerate(row)
            ]
            lines.append(f"{offset:04x}  " + " ".join(cells))
        return "<pre>" + "\n".join(lines) + "</pre>"


def hexdump(
    data: bytes, *, start: int = 0, marks: Sequence[tuple[int, int]] = (), width: int = 16
) -> HexDump:
    """Show bytes as a hex dump.

    Args:
        data: the bytes.
        start: the offset to print for ``data[0]``.
        marks: ``(start, end)`` ranges to highlight, in printed offsets.
        width: bytes per row.

    Returns:
        A :class:`HexDump`, which renders itself.

    Raises:
        ValueError: if ``width`` is less than 1.
    """
    if width < 1:
        raise ValueError("width must be at least 1")
    return HexDump(bytes(data), start, tuple(marks), width)
