"""The book clock: the one fixed instant at which every chapter is evaluated.

Chapters, the factory and the validator take ``at=`` / ``now=`` arguments and
default to :data:`BOOK_CLOCK`, so a chapter prints the same verdicts on every
run and every machine. Only the live-TLS code reads the wall clock, through
:func:`wall_clock`.
"""

from __future__ import annotations

import datetime as _dt

UTC = _dt.UTC

#: The instant at which the book's certificates are validated.
BOOK_CLOCK = _dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

#: The validity windows the book's certificates get by default. They are wide
#: on purpose (as trustme's are): the files ``pkiviz scenario valid`` writes must
#: verify against the real clock for years, not only at the book clock.
CA_NOT_BEFORE = _dt.datetime(2024, 1, 1, tzinfo=UTC)
CA_NOT_AFTER = _dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)
LEAF_NOT_BEFORE = _dt.datetime(2025, 1, 1, tzinfo=UTC)
LEAF_NOT_AFTER = _dt.datetime(2044, 12, 31, 23, 59, 59, tzinfo=UTC)


def wall_clock() -> _dt.datetime:
    """Return the real current time (UTC, whole seconds). Live TLS only."""
    return _dt.datetime.now(UTC).replace(microsecond=0)


def as_utc(when: _dt.datetime) -> _dt.datetime:
    """Return ``when`` as an aware UTC datetime.

    Naive datetimes are taken to be UTC, as cryptography's ``*_utc``
    properties are.

    Args:
        when: an aware or naive datetime.

    Returns:
        The same instant, tz-aware in UTC.

    Raises:
        TypeError: if ``when`` is not a datetime (a date or a string, say).
        ValueError: if the instant falls outside years 1-9999 in UTC.
    """
    if not isinstance(when, _dt.datetime):
        raise TypeError(f"expected a datetime.datetime, not {type(when).__name__} {when!r}")
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    try:
        return when.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"{when.isoformat()} falls outside years 1-9999 once written in UTC"
        ) from None
