"""Execute the chapters and compare their text outputs: the performance budget, determinism.

Used by ``benchmarks/book.py`` (per-chapter times, and a second execution
compared byte for byte with the first) and by the tests. Text outputs are what
nbval compares: ``text/plain``, ``text/html`` and stream text, after the same
sanitizers as ``book/sanitize.cfg`` (values live by nature: ports, temporary
paths).

This module needs the ``test`` extra (nbclient, nbformat); ``import pkiviz``
does not import it.
"""

from __future__ import annotations

import configparser
import dataclasses
import json
import os
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

BOOK = Path(__file__).resolve().parents[2] / "book"
TEXT_KEYS = ("text/plain", "text/html")


def chapters(book: Path = BOOK) -> tuple[Path, ...]:
    """The chapter notebooks, in order."""
    return tuple(sorted(book.glob("[0-9][0-9]-*.ipynb")))


def sanitizers(config: Path | None = None) -> tuple[tuple[re.Pattern[str], str], ...]:
    """The (regex, replacement) pairs of ``book/sanitize.cfg``, as nbval reads them."""
    parser = configparser.ConfigParser()
    parser.read(config or BOOK / "sanitize.cfg")
    return tuple(
        (re.compile(parser[section]["regex"]), parser[section]["replace"])
        for section in parser.sections()
    )


def text_outputs(notebook: object, rules: tuple[tuple[re.Pattern[str], str], ...]) -> list[str]:
    """Every code cell's text outputs, sanitized, one string per cell.

    Cells tagged ``nbval-ignore-output`` (widget views) are skipped, as nbval
    skips them.
    """
    cells = notebook.cells  # type: ignore[attr-defined]
    out: list[str] = []
    for cell in cells:
        if cell.cell_type != "code" or "nbval-ignore-output" in cell.metadata.get("tags", ()):
            continue
        parts: list[str] = []
        previous_stream = None
        for output in cell.get("outputs", ()):
            if output.get("output_type") == "stream":
                # A kernel may deliver one print in several chunks; a saved file holds them
                # merged. Consecutive chunks of one stream are one text, as nbval treats them.
                if previous_stream == output.get("name") and parts:
                    parts[-1] += str(output.get("text", ""))
                else:
                    parts.append(str(output.get("text", "")))
                previous_stream = output.get("name")
                continue
            previous_stream = None
            for key in TEXT_KEYS:
                value = output.get("data", {}).get(key)
                if value is not None:
                    parts.append(value if isinstance(value, str) else "".join(value))
        out.append(sanitize("\n".join(parts), rules))
    return out


def sanitize(text: str, rules: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    """Apply the (regex, replacement) pairs to a text, in order, as nbval does."""
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


@dataclasses.dataclass(frozen=True)
class ChapterRun:
    """One chapter executed once.

    Attributes:
        name: the notebook's file name.
        seconds: wall time of the execution (kernel start excluded).
        outputs: its sanitized text outputs, one string per code cell.
        programs: for each code cell that started a program, its index among
            all the chapter's cells and the programs it started, in order
            (``pkiviz`` for the book's own command line run as
            ``python -m pkiviz``, else the program's file name).
    """

    name: str
    seconds: float
    outputs: tuple[str, ...]
    programs: tuple[tuple[int, tuple[str, ...]], ...] = ()


# Run in the kernel before the chapter: every process the chapter starts, however deep in
# pkiviz or the standard library, passes through subprocess.Popen's audit event; each one is
# appended to a file as a JSON line (its argv), which the runner reads after every cell.
_WATCH = """
import json as _pkiviz_json, sys as _pkiviz_sys
def _pkiviz_log(event, args, _path={path!r}):
    if event == "subprocess.Popen":
        argv = [args[1]] if isinstance(args[1], (str, bytes)) else list(args[1])
        with open(_path, "a", encoding="utf-8") as log:
            log.write(_pkiviz_json.dumps([str(a) for a in argv]) + "\\n")
_pkiviz_sys.addaudithook(_pkiviz_log)
del _pkiviz_log
"""


def program_name(argv: list[str]) -> str:
    """What a started process is, for the inventory: ``pkiviz`` or the program's file name."""
    if len(argv) >= 3 and Path(argv[0]).name.startswith("python") and argv[1:3] == ["-m", "pkiviz"]:
        return "pkiviz"
    return Path(argv[0]).name if argv else "?"


def execute(
    path: Path,
    *,
    timeout: float = 120.0,
    sanitize: bool = True,
    watch_programs: bool = False,
    env: Mapping[str, str] | None = None,
) -> ChapterRun:
    """Execute a chapter in a fresh kernel, in its own directory, and time it.

    Args:
        path: the notebook.
        timeout: seconds allowed per cell.
        sanitize: mask live values (``book/sanitize.cfg``) in the outputs;
            ``False`` keeps them raw, for byte-for-byte comparisons.
        watch_programs: record which programs each cell starts (an audit hook
            in the kernel, and one extra silent request after each cell; the
            time of those requests is not counted).
        env: the kernel's environment (default: this process's), for example
            a ``PATH`` that puts another build of ``openssl`` first.

    Returns:
        The run.
    """
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        notebook,
        timeout=int(timeout),
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    programs: list[tuple[int, tuple[str, ...]]] = []
    kernel_env = dict(os.environ if env is None else env)
    with (
        tempfile.TemporaryDirectory(prefix="pkiviz-bookrun-") as tmp,
        client.setup_kernel(env=kernel_env),
    ):
        log = Path(tmp, "started.jsonl")
        log.touch()
        if watch_programs:
            first = notebook.cells[0]
            watch = nbformat.v4.new_code_cell(_WATCH.format(path=str(log)))  # type: ignore[no-untyped-call]
            client.execute_cell(watch, 0)
            notebook.cells[0] = first  # nbclient stores the executed cell at the index given
        seen = 0
        start = time.perf_counter()
        for index, cell in enumerate(notebook.cells):
            client.execute_cell(cell, index)
            if watch_programs and cell.cell_type == "code":
                lines = log.read_text(encoding="utf-8").splitlines()
                if len(lines) > seen:
                    started = tuple(program_name(json.loads(line)) for line in lines[seen:])
                    programs.append((index, started))
                    seen = len(lines)
        seconds = time.perf_counter() - start
    rules = sanitizers() if sanitize else ()
    return ChapterRun(path.name, seconds, tuple(text_outputs(notebook, rules)), tuple(programs))


def saved_outputs(path: Path) -> tuple[str, ...]:
    """The sanitized text outputs stored in a chapter file."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    return tuple(text_outputs(notebook, sanitizers()))


def save(path: Path, *, timeout: float = 300.0) -> None:
    """Execute a chapter top to bottom in a fresh kernel and save it with its outputs.

    What a reader's *Run All* and *Save* in JupyterLab do, made repeatable: no
    execution timestamps are written, and the metadata of proof cells and
    Deeper sections is set from their tags and headings
    (:func:`pkiviz.book.parts.apply_metadata`).

    Args:
        path: the notebook.
        timeout: seconds allowed per cell.

    Raises:
        nbclient.exceptions.CellExecutionError: if a cell fails (nothing is saved).
    """
    import nbformat
    from nbclient import NotebookClient

    from pkiviz.book.parts import apply_metadata

    notebook = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    apply_metadata(notebook)
    NotebookClient(
        notebook,
        timeout=int(timeout),
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    nbformat.write(notebook, path)  # type: ignore[no-untyped-call]


def main(argv: list[str] | None = None) -> int:
    """``python -m pkiviz.book.run save CHAPTER...``: execute and save chapters."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2 or args[0] != "save":
        print("usage: python -m pkiviz.book.run save book/NN-chapter.ipynb ...", file=sys.stderr)
        return 2
    for name in args[1:]:
        save(Path(name))
        print(f"saved {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
