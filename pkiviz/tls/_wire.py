"""A bounds-checked reader for the TLS presentation language (RFC 8446 section 3).

Every read checks the length first, so a truncated or corrupted message raises
:class:`HandshakeParseError` naming the message and the field, never an
``IndexError`` or a silently short ``bytes``.
"""

from __future__ import annotations

from pkiviz.errors import InputError


class HandshakeParseError(InputError):
    """Bytes that do not parse as the TLS structure they claim to be."""


class Reader:
    """Read big-endian integers and length-prefixed vectors from bytes.

    Args:
        data: the bytes to read.
        what: what they are, for error messages (e.g. ``"ServerHello"``).
    """

    def __init__(self, data: bytes, what: str) -> None:
        self._data = bytes(data)
        self._pos = 0
        self.what = what

    @property
    def remaining(self) -> int:
        """How many bytes are left."""
        return len(self._data) - self._pos

    def fail(self, problem: str) -> HandshakeParseError:
        """Build (not raise) the error for ``problem`` at the current offset.

        Args:
            problem: what is wrong.

        Returns:
            The error to raise.
        """
        return HandshakeParseError(f"{self.what}: {problem} (at byte {self._pos})")

    def take(self, n: int, field: str) -> bytes:
        """Read exactly ``n`` bytes.

        Args:
            n: how many.
            field: the field's name, for the error message.

        Returns:
            The bytes.

        Raises:
            HandshakeParseError: fewer than ``n`` bytes are left.
        """
        if n < 0 or self.remaining < n:
            raise self.fail(f"{field} needs {n} bytes, only {self.remaining} left")
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def uint(self, size: int, field: str) -> int:
        """Read an unsigned big-endian integer of ``size`` bytes."""
        return int.from_bytes(self.take(size, field), "big")

    def vector(self, length_size: int, field: str, *, minimum: int = 0) -> bytes:
        """Read a vector with a ``length_size``-byte length prefix.

        Args:
            length_size: 1, 2 or 3.
            field: the field's name.
            minimum: the smallest legal length.

        Returns:
            The vector's contents.

        Raises:
            HandshakeParseError: truncated, or shorter than ``minimum``.
        """
        n = self.uint(length_size, f"{field} length")
        if n < minimum:
            raise self.fail(f"{field} is {n} bytes, shorter than the minimum {minimum}")
        return self.take(n, field)

    def sub(self, length_size: int, field: str, *, minimum: int = 0) -> Reader:
        """Read a vector and return a reader over it."""
        return Reader(self.vector(length_size, field, minimum=minimum), f"{self.what} {field}")

    def uint_list(self, size: int, field: str) -> tuple[int, ...]:
        """Read the rest as a list of ``size``-byte integers."""
        if self.remaining % size:
            raise self.fail(f"{field} length {self.remaining} is not a multiple of {size}")
        return tuple(self.uint(size, field) for _ in range(self.remaining // size))

    def rest(self) -> bytes:
        """Read everything that is left."""
        return self.take(self.remaining, "rest")

    def done(self) -> None:
        """Require that nothing is left.

        Raises:
            HandshakeParseError: trailing bytes remain.
        """
        if self.remaining:
            raise self.fail(f"{self.remaining} unexpected trailing bytes")
