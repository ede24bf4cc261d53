"""Exercises whose answers pkiviz checks, with feedback that renders itself.

A chapter's exercise cell sets ``answer = None``; the reader replaces it; the
next cell calls :func:`check_answer` with the value the book computed, never a
typed-in constant.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Literal


@dataclasses.dataclass(frozen=True)
class Feedback:
    """The verdict on one answer.

    Attributes:
        status: ``"correct"``, ``"wrong"`` or ``"unanswered"``.
        message: what to do next.
    """

    status: Literal["correct", "wrong", "unanswered"]
    message: str

    def text(self) -> str:
        """Symbol and words, so the verdict does not rely on colour."""
        symbol = {"correct": "✓ correct", "wrong": "✗ not yet", "unanswered": "– unanswered"}
        return f"{symbol[self.status]}: {self.message}"

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return f"<p><strong>{html.escape(self.text())}</strong></p>"


def check_answer(answer: object, expected: object, *, hint: str) -> Feedback:
    """Compare a reader's answer with the computed one.

    Strings compare without surrounding whitespace and case; everything else
    with ``==``.

    Args:
        answer: the reader's value; ``None`` means not answered yet.
        expected: the value the book computed.
        hint: shown when the answer is wrong.

    Returns:
        The feedback.
    """
    if answer is None:
        return Feedback("unanswered", "replace None with your answer and run the cell again")
    if isinstance(answer, str) and isinstance(expected, str):
        same = answer.strip().lower() == expected.strip().lower()
    else:
        same = answer == expected
    if same:
        return Feedback("correct", "well done")
    return Feedback("wrong", hint)
