"""The book's reading load: what a reader of each chapter's main path meets.

Per chapter: words of prose on the main path and in Deeper sections, visible
teaching cells and their median length, ``assert`` statements in visible cells
(the aim is 0: proofs go in proof cells), proof cells, and the estimated
reading time of the main path (200 words a minute plus half a minute per
visible cell). Aims: no chapter's main path over 20 minutes (the book's tests
enforce it), and on average about 15 minutes a chapter, so the whole main path
grows by a quarter of an hour for each chapter the book gains (3 h 45 min for
its 15 chapters).

Run: ``python benchmarks/reading_load.py``.
"""

from __future__ import annotations

import nbformat

from pkiviz.book.parts import reading_load
from pkiviz.book.run import chapters

CHAPTER_AIM = 20.0
AIM_PER_CHAPTER = 15.0


def main() -> int:
    print(
        f"{'chapter':36} {'main words':>10} {'deeper':>7} {'cells':>6} {'median':>6} "
        f"{'asserts':>7} {'proofs':>6} {'minutes':>8}"
    )
    total = 0.0
    over = []
    paths = chapters()
    book_aim = AIM_PER_CHAPTER * len(paths)
    for path in paths:
        load = reading_load(path.name, nbformat.read(path, as_version=4))
        total += load.minutes
        if load.minutes > CHAPTER_AIM:
            over.append(path.name)
        print(
            f"{load.name:36} {load.main_words:10} {load.deeper_words:7} {load.teaching_cells:6} "
            f"{load.median_lines:6.1f} {load.visible_asserts:7} {load.proof_cells:6} "
            f"{load.minutes:8.1f}"
        )
    print(
        f"{'main path, whole book':36} {'':10} {'':7} {'':6} {'':6} {'':7} {'':6} {total:8.1f}"
        f"  ({total / 60:.1f} h; aim {book_aim / 60:.2f} h, {AIM_PER_CHAPTER:.0f} min a chapter on"
        f" average, each <= {CHAPTER_AIM:.0f} min;"
        f" over: {', '.join(over) or 'none'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
