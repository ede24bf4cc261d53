"""The load test: N students on one real JupyterHub execute the chapters at the same time.

Each student logs in through the Hub's API, starts their server, executes the chapters one
after another (each in a fresh kernel, as a reader opening them in turn) and stops the server;
all students do so at once. A chapter passes when its sanitized text outputs
(:func:`pkiviz.book.run.text_outputs`, ``book/sanitize.cfg``) equal the saved ones and a probe
run in the same kernel afterwards shows it ran as that student, in that student's home and
temporary directory. A student passes when, after their server stopped, none of their
processes is left and their temporary directory is empty (no key file, no temporary
directory), the Jupyter runtime directory holds no connection file, and nothing new is in
their copy of the book.

Memory per student is the peak, over one-second samples, of the PSS of all their processes
together (server, kernel, and the servers and tools the chapter starts); CPU per student is
their processes' user + system time at the last sample.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from pkiviz.book.run import chapters, sanitizers, text_outputs
from pkiviz.classroom.hub import LocalHub, environ_of, home_of, other_pids, pss_bytes
from pkiviz.classroom.student import ClassroomError, Student

_PROBE = (
    "import os, tempfile\n"
    "print(os.environ.get('JUPYTERHUB_USER'), os.getcwd(), tempfile.gettempdir())"
)
_CLK = os.sysconf("SC_CLK_TCK")
#: Entries a student's home may hold after a session besides the book: state written by
#: IPython, Jupyter and matplotlib, checked for connection files and keys below.
STATE = frozenset({".ipython", ".jupyter", ".local", ".cache", ".config", ".npm"})


@dataclasses.dataclass(frozen=True)
class ChapterResult:
    """One chapter run by one student: time, and whether it equals the saved chapter."""

    student: str
    chapter: str
    seconds: float
    kernel_seconds: float
    problem: str | None


@dataclasses.dataclass(frozen=True)
class StudentResult:
    """One student's session: chapters, server start and stop, memory, CPU, what was left."""

    name: str
    chapters: tuple[ChapterResult, ...]
    start_seconds: float
    stop_seconds: float
    peak_pss: int
    cpu_seconds: float
    leftovers: tuple[str, ...]
    error: str | None

    @property
    def failures(self) -> int:
        """Chapters that failed, plus one for a session error and one for any leftover."""
        bad = sum(c.problem is not None for c in self.chapters)
        return bad + (self.error is not None) + bool(self.leftovers)


@dataclasses.dataclass(frozen=True)
class LoadRun:
    """N students at once on one hub."""

    students: int
    chapters: tuple[str, ...]
    wall_seconds: float
    results: tuple[StudentResult, ...]
    hub_peak_pss: int
    hub_leftovers: tuple[int, ...]

    @property
    def failures(self) -> int:
        """Every failed chapter, session error and leftover, for all students and the hub."""
        return sum(r.failures for r in self.results) + bool(self.hub_leftovers)

    def chapter_seconds(self, chapter: str) -> tuple[float, float]:
        """Mean and maximum wall time of ``chapter`` over the students."""
        times = [c.seconds for r in self.results for c in r.chapters if c.chapter == chapter]
        return (sum(times) / len(times), max(times)) if times else (float("nan"), float("nan"))

    def as_json(self) -> dict[str, Any]:
        """Everything measured, for ``benchmarks/``."""
        return dataclasses.asdict(self)


class _Sampler(threading.Thread):
    """Once a second: each student's processes' PSS (peak kept) and CPU time (last kept)."""

    def __init__(self, hub: LocalHub, names: list[str], interval: float = 1.0) -> None:
        super().__init__(name="pkiviz-classroom-sampler", daemon=True)
        self._homes = {str(hub.homes / n): n for n in names}
        self._homes.update({str(hub.homes / n) + ".tmp": n for n in names})
        self._hub = hub
        self._interval = interval
        self._halt = threading.Event()
        self.peak = dict.fromkeys(names, 0)
        self.hub_peak = 0
        self._cpu: dict[int, tuple[str, float]] = {}

    def run(self) -> None:
        while not self._halt.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        owned: dict[str, list[int]] = {n: [] for n in self.peak}
        hub: list[int] = []
        mark = str(self._hub.root)
        for pid in other_pids():
            env = environ_of(pid)
            name = self._homes.get(home_of(env))
            if name is not None:
                owned[name].append(pid)
                ticks = _cpu_ticks(pid)
                if ticks is not None:
                    self._cpu[pid] = (name, ticks / _CLK)
            elif env.get("PKIVIZ_CLASSROOM_HUB") == mark:
                hub.append(pid)
        for name, pids in owned.items():
            self.peak[name] = max(self.peak[name], pss_bytes(pids))
        self.hub_peak = max(self.hub_peak, pss_bytes(hub))

    def cpu(self, name: str) -> float:
        return sum(seconds for owner, seconds in self._cpu.values() if owner == name)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])  # utime, stime


async def _session(
    hub: LocalHub,
    name: str,
    book: list[tuple[Path, Any, tuple[str, ...]]],
    rules: tuple[Any, ...],
) -> tuple[list[ChapterResult], float, float, str | None]:
    student = Student(hub.url, name, hub.password)
    results: list[ChapterResult] = []
    start = stop = 0.0
    error = None
    try:
        await student.log_in()
        start = await student.start_server()
        expected_probe = f"{name} {hub.homes / name / 'book'} {hub.homes / name}.tmp\n"
        for path, notebook, saved in book:
            run = await student.run_chapter(
                copy.deepcopy(notebook), f"book/{path.name}", probe=_PROBE
            )
            problem = run.error
            if problem is None:
                got = tuple(text_outputs(run.notebook, rules))
                if got != saved:
                    index = next(
                        (i for i, (a, b) in enumerate(zip(got, saved, strict=False)) if a != b),
                        min(len(got), len(saved)),
                    )
                    problem = f"outputs differ from the saved ones at code cell {index}"
                elif run.probe != expected_probe:
                    problem = f"ran as {run.probe.strip()!r}, not as {name} in its home"
            results.append(ChapterResult(name, path.name, run.seconds, run.kernel_seconds, problem))
    except (TimeoutError, ClassroomError, OSError) as failure:
        chapter = book[len(results)][0].name if len(results) < len(book) else "?"
        error = f"{chapter}: {type(failure).__name__}: {failure}"
    finally:
        try:
            stop = await student.stop_server()
        except ClassroomError as failure:
            error = error or str(failure)
    return results, start, stop, error


def leftovers(hub: LocalHub, name: str, book: Path, *, wait: float = 15) -> list[str]:
    """What a student's stopped server left behind: processes, temporary files, keys.

    Args:
        hub: the hub.
        name: the student.
        book: the chapters the student was given (to tell new files in their copy).
        wait: seconds allowed for the processes to exit after the server stopped.

    Returns:
        One line per leftover; empty when everything was cleaned up.
    """
    deadline = time.monotonic() + wait
    while (pids := hub.student_processes(name)) and time.monotonic() < deadline:
        time.sleep(0.2)
    found = [f"process {pid}: {_cmdline(pid)}" for pid in pids]
    home = hub.homes / name
    tmp = Path(f"{home}.tmp")
    found += [f"temporary file {p}" for p in sorted(tmp.rglob("*"))] if tmp.exists() else []
    runtime = home / ".local" / "share" / "jupyter" / "runtime"
    if runtime.exists():
        # jupyter_cookie_secret is kept between a student's sessions by design.
        found += [
            f"runtime file {p}"
            for p in sorted(runtime.iterdir())
            if p.name != "jupyter_cookie_secret"
        ]
    given = {p.relative_to(book) for p in book.rglob("*")}
    for path in sorted((home / "book").rglob("*")):
        relative = path.relative_to(home / "book")
        if relative not in given and ".ipynb_checkpoints" not in relative.parts:
            found.append(f"new file in the book {path}")
    for entry in sorted(home.iterdir()) if home.exists() else ():
        if entry.name not in STATE | {"book"}:
            found.append(f"new file in the home {entry}")
        elif entry.name != "book":
            for path in entry.rglob("*"):
                if path.is_file() and b"PRIVATE KEY-----" in path.read_bytes():
                    found.append(f"private key {path}")
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return "?"


def run_load(
    students: int,
    *,
    book: Path,
    root: Path,
    selected: tuple[str, ...] = (),
    jupyterhub: Path | None = None,
    proxy: str | None = None,
    timeout: float = 3600,
    keep: bool = False,
) -> LoadRun:
    """Start a hub, run ``students`` students through the chapters at once, stop the hub.

    Args:
        students: how many at once.
        book: the chapters (a snapshot of ``book/``), also the saved outputs compared with.
        root: the hub's directory (removed afterwards); must be under /tmp, whose paths the
            sanitizers mask.
        selected: chapter file names or their two-digit numbers; empty for all.
        jupyterhub: the ``jupyterhub`` executable.
        proxy: the ``configurable-http-proxy`` executable.
        timeout: seconds for the whole run, after which it stops and counts what did not end.
        keep: keep ``root`` (the Hub's log, the homes) for a post-mortem.

    Returns:
        The run.
    """
    import nbformat

    rules = sanitizers(book / "sanitize.cfg")
    paths = [
        p for p in chapters(book) if not selected or p.name in selected or p.name[:2] in selected
    ]
    notebooks = []
    for path in paths:
        notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
        notebooks.append((path, notebook, tuple(text_outputs(notebook, rules))))
    names = [f"student{i + 1:03d}" for i in range(students)]
    hub = LocalHub(root=root, book=book, jupyterhub=jupyterhub, proxy=proxy, keep=keep)
    hub.start()
    hub.add_students(names)
    sampler = _Sampler(hub, names)
    sampler.start()
    started = time.perf_counter()
    try:
        sessions = asyncio.run(_all(hub, names, notebooks, rules, timeout))
        wall = time.perf_counter() - started
        sampler.sample()
        results = []
        for name, (chapter_results, start, stop, error) in zip(names, sessions, strict=True):
            left = leftovers(hub, name, book)
            results.append(
                StudentResult(
                    name,
                    tuple(chapter_results),
                    start,
                    stop,
                    sampler.peak[name],
                    sampler.cpu(name),
                    tuple(left),
                    error,
                )
            )
    finally:
        try:
            sampler.stop()
        finally:
            hub_left = hub.stop()  # whatever happened before, the hub stops
    return LoadRun(
        students,
        tuple(p.name for p in paths),
        wall,
        tuple(results),
        sampler.hub_peak,
        tuple(hub_left),
    )


async def _all(
    hub: LocalHub,
    names: list[str],
    notebooks: list[tuple[Path, Any, tuple[str, ...]]],
    rules: tuple[Any, ...],
    timeout: float,
) -> list[tuple[list[ChapterResult], float, float, str | None]]:
    from tornado.httpclient import AsyncHTTPClient

    AsyncHTTPClient.configure(None, max_clients=max(10, 4 * len(names)))
    tasks = [asyncio.ensure_future(_session(hub, n, notebooks, rules)) for n in names]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    out = []
    for task in tasks:
        if task in done and task.exception() is None:
            out.append(task.result())
        else:
            out.append(([], 0.0, 0.0, f"did not finish in {timeout:.0f} s"))
    return out


def table(runs: list[LoadRun]) -> str:
    """The Markdown table: per N, each chapter's mean / max wall time, failures, memory."""
    names = runs[0].chapters
    head = "| students | " + " | ".join(n[:2] for n in names) + " | book wall s | failures |"
    head += " peak MiB/student (mean, max) | CPU s/student | hub MiB |"
    rule = "|" + "---:|" * (len(names) + 7)
    lines = [head, rule]
    mib = 1024 * 1024
    for run in runs:
        cells = []
        for chapter in names:
            mean, high = run.chapter_seconds(chapter)
            cells.append(f"{mean:.1f} / {high:.1f}")
        peaks = [r.peak_pss / mib for r in run.results]
        cpu = [r.cpu_seconds for r in run.results]
        lines.append(
            f"| {run.students} | "
            + " | ".join(cells)
            + f" | {run.wall_seconds:.0f} | {run.failures} | "
            + f"{sum(peaks) / len(peaks):.0f}, {max(peaks):.0f} | "
            + f"{sum(cpu) / len(cpu):.0f} | {run.hub_peak_pss / mib:.0f} |"
        )
    return "\n".join(lines)


def write(runs: list[LoadRun], path: Path) -> None:
    """Save every measurement as JSON."""
    path.write_text(json.dumps([r.as_json() for r in runs], indent=1) + "\n")
