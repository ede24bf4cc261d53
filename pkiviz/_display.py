"""File names and other user-typed text, as they can be shown in a one-line message.

On POSIX a file name is bytes; Python hands over the bytes that are not UTF-8
as lone surrogates (``surrogateescape``), which no output stream can encode.
:func:`shown` writes those bytes back as ``\\xNN`` - what the user typed, in the
notation of ``printf`` and Python - and escapes control characters (a newline
in a name must not split a one-line error), so the result is printable text.
"""

from __future__ import annotations

import os


def shown(name: str | os.PathLike[str]) -> str:
    """A name as it can be printed: non-UTF-8 bytes as ``\\xNN``, control characters escaped.

    Args:
        name: a file name or other text from the command line (``os.fsdecode`` form).

    Returns:
        The name unchanged if it is printable, else with each non-UTF-8 byte as
        ``\\xNN`` and each other unprintable character as its Python escape
        (``\\n``, ``\\x1b``, ``\\u200b``).
    """
    text = os.fspath(name)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if "\udc80" <= ch <= "\udcff":  # a byte that is not UTF-8 (surrogateescape)
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)
