"""``python -m pkiviz.site build OUTDIR``: build the offline HTML book (``make site``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pkiviz.site.build import build_site
from pkiviz.site.widgets import SiteError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    The status is 1 when a page would load something from the network or links to a missing
    file, or (with ``--strict``) when any problem was found, such as a figure without alt text.
    """
    parser = argparse.ArgumentParser(prog="python -m pkiviz.site", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="convert book/ into a static site")
    build.add_argument("outdir", type=Path, help="output directory (an earlier build is replaced)")
    build.add_argument("--book", type=Path, default=Path("book"), help="chapters (default: book)")
    build.add_argument(
        "--cache",
        type=Path,
        default=Path(".cache/site-npm"),
        help="npm packages kept between builds (default: .cache/site-npm)",
    )
    build.add_argument("--strict", action="store_true", help="fail on any problem")
    args = parser.parse_args(argv)
    try:
        report = build_site(args.outdir, book=args.book, cache=args.cache)
    except SiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report)
    if report.broken or (args.strict and report.problems):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
