"""``python -m pkiviz.classroom hub`` (``make hub``) and ``... load`` (``make classroom-load``)."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pkiviz.classroom.hub import LocalHub


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (1 when the load test had failures)."""
    parser = argparse.ArgumentParser(prog="python -m pkiviz.classroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    hub = commands.add_parser("hub", help="a JupyterHub on 127.0.0.1 with test users")
    hub.add_argument("--port", type=int, default=8000, help="public port (default: 8000)")
    hub.add_argument("--root", type=Path, default=Path(".cache/hub"), help="state and homes")
    load = commands.add_parser("load", help="N students execute the chapters at once")
    load.add_argument("--students", default="1,2,4,8", help="comma-separated N (default 1,2,4,8)")
    load.add_argument("--chapters", default="", help="comma-separated numbers (default: all)")
    load.add_argument("--out", type=Path, help="write the measurements here as JSON")
    load.add_argument("--timeout", type=float, default=3600, help="seconds per N")
    load.add_argument("--keep", type=Path, help="keep each hub's directory (log, homes) here")
    for command in (hub, load):
        command.add_argument("--book", type=Path, default=Path("book"), help="the chapters")
        command.add_argument("--proxy", help="configurable-http-proxy (default: on PATH)")
    args = parser.parse_args(argv)
    if args.command == "hub":
        return _hub(args)
    return _load(args)


def _hub(args: argparse.Namespace) -> int:
    local = LocalHub(root=args.root, book=args.book, proxy=args.proxy, port=args.port, keep=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    local.start()
    print(f"JupyterHub on {local.url}: any user name, password {local.password!r}; Ctrl-C stops")
    try:
        while local.process is not None and local.process.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        left = local.stop()
        print(f"stopped; {len(left)} leftover processes killed")
    return 0


def _load(args: argparse.Namespace) -> int:
    from pkiviz.classroom.load import run_load, table, write

    selected = tuple(c.strip().zfill(2) for c in args.chapters.split(",") if c.strip())
    runs = []
    for n in (int(x) for x in args.students.split(",")):
        with tempfile.TemporaryDirectory(prefix="pkiviz-classroom-", dir="/tmp") as tmp:
            root = Path(args.keep.resolve(), f"hub-{n}") if args.keep else Path(tmp, "hub")
            run = run_load(
                n,
                book=args.book.resolve(),
                root=root,
                keep=args.keep is not None,
                selected=selected,
                proxy=args.proxy,
                timeout=args.timeout,
            )
        runs.append(run)
        for result in run.results:
            for chapter in result.chapters:
                if chapter.problem:
                    print(f"  {result.name} {chapter.chapter}: {chapter.problem}")
            if result.error:
                print(f"  {result.name}: {result.error}")
            for leftover in result.leftovers:
                print(f"  {result.name}: left {leftover}")
        print(f"{n} students: {run.wall_seconds:.0f} s, {run.failures} failures", flush=True)
        if args.out:
            write(runs, args.out)
    print(table(runs))
    return 1 if any(r.failures for r in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
