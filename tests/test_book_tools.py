"""What an external tool prints is shown, and its facts asserted, never compared as text.

The inventory: every chapter cell that starts a program (found at run time by
an audit hook in the kernel, however deep in pkiviz the program is started)
follows the rule in :mod:`pkiviz.book.tools`. Then the whole book is executed
once more with another "build" of ``openssl`` and ``curl``: the same binaries,
each printing one more line on standard error first, as another build may
(a warning, a deprecation notice). Every compared output must stay identical.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from pkiviz.book.run import BOOK, ChapterRun, chapters, execute, sanitize, sanitizers, text_outputs
from pkiviz.book.tools import (
    IGNORE_OUTPUT,
    LIVE_OUTPUT,
    TOOL_FACTS,
    TOOL_OUTPUT,
    inventory,
    problems,
    tool_cells,
)

CHAPTERS = chapters()
RULES = sanitizers()
WRAPPED = ("openssl", "curl")
EXTRA_LINE = "{name}: note from another build: this line is in no saved output of the book"


@pytest.mark.slow
@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_every_tool_cell_shows_words_uncompared_and_asserts_facts(
    path: Path, chapter_run: Callable[[Path], ChapterRun]
) -> None:
    run = chapter_run(path)
    notebook = nbformat.read(path, as_version=4)
    assert problems(path.name, notebook, dict(run.programs)) == []


@pytest.mark.slow
def test_the_inventory_covers_the_tools_the_book_uses(
    chapter_run: Callable[[Path], ChapterRun],
) -> None:
    cells = [
        cell
        for path in CHAPTERS
        for cell in tool_cells(
            path.name, nbformat.read(path, as_version=4), dict(chapter_run(path).programs)
        )
    ]
    print(inventory(cells))  # the table, for a reader of the test log (pytest -s)
    started = {program for cell in cells for program in cell.programs}
    assert {"openssl", "curl"} <= started
    assert {cell.tag for cell in cells if cell.tag} == {TOOL_OUTPUT, TOOL_FACTS}
    # Untagged: only widget cells (never compared), whose controls run tools when created.
    untagged = [(c.chapter, c.index) for c in cells if not c.tag]
    for chapter, index in untagged:
        cell = nbformat.read(BOOK / chapter, as_version=4).cells[index]
        assert IGNORE_OUTPUT in cell.metadata.get("tags", ()), (chapter, index)
    assert all(cell.facts for cell in cells if cell.tag)


def _cell(source: str, output: str, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    return cell


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.extend(cells)
    return notebook


OPENSSL_RUN = "run = run_tool(['openssl', 'verify', 'x.pem'])\nassert not run.ok\nrun"
OPENSSL_SAYS = "$ openssl verify x.pem\nerror 20 at 0 depth lookup: unable to get\n[exit status 2]"


def test_rule_accepts_a_tagged_tool_cell_that_asserts() -> None:
    # Control for the four planted breaches below.
    good = _notebook(_cell(OPENSSL_RUN, OPENSSL_SAYS, (TOOL_OUTPUT, IGNORE_OUTPUT)))
    assert problems("x", good, {0: ("openssl",)}) == []


def test_rule_catches_a_tool_cell_compared_as_text() -> None:
    untagged = _notebook(_cell(OPENSSL_RUN, OPENSSL_SAYS))
    assert problems("x", untagged, {0: ("openssl",)}) == [
        "x cell 0 runs openssl but has no tool tag",
        "x cell 0 compares a tool's words: 'depth lookup:'",
    ]
    not_ignored = _notebook(_cell(OPENSSL_RUN, OPENSSL_SAYS, (TOOL_OUTPUT,)))
    assert problems("x", not_ignored, {0: ("openssl",)}) == [
        "x cell 0 shows a tool's words but nbval compares them",
    ]


def test_rule_catches_a_tool_cell_that_asserts_nothing() -> None:
    silent = _notebook(
        _cell(
            "run_tool(['openssl', 'verify', 'x.pem'])", OPENSSL_SAYS, (TOOL_OUTPUT, IGNORE_OUTPUT)
        )
    )
    assert problems("x", silent, {0: ("openssl",)}) == [
        "x cell 0 asserts nothing about what the tool said"
    ]


def test_rule_catches_words_shown_later_and_outputs_hidden_for_no_reason() -> None:
    # A cell that shows the words a tool printed in an earlier cell compares them too.
    later = _notebook(_cell("print(run)", "x.pem: verification failed"))
    assert problems("x", later, {}) == ["x cell 0 compares a tool's words: 'verification failed'"]
    hidden = _notebook(_cell("1 + 1", "2", (IGNORE_OUTPUT,)))
    assert problems("x", hidden, {}) == ["x cell 0 is not compared, yet is no widget or tool cell"]
    # The book's own command line is pkiviz's output: compared, no tag needed.
    own = _notebook(_cell("run_tool([sys.executable, '-m', 'pkiviz', 'inspect', 'x.pem'])", "CN=x"))
    assert problems("x", own, {0: ("pkiviz",)}) == []


def test_rule_for_live_values_asks_for_uncompared_output_and_asserted_facts() -> None:
    shown = "box = glassbox_session()\nbox.client.shared.secret.hex()"
    proved = _cell(
        "# Proof: the secrets are the server's\nassert box.secrets_match", "", ("proof",)
    )
    good = _notebook(_cell(shown, "'3f9a...'", (LIVE_OUTPUT, IGNORE_OUTPUT)), proved)
    assert problems("x", good, {}) == []  # the control
    compared = _notebook(_cell(shown, "'3f9a...'", (LIVE_OUTPUT,)), proved)
    assert problems("x", compared, {}) == ["x cell 0 shows live values but nbval compares them"]
    unproved = _notebook(_cell(shown, "'3f9a...'", (LIVE_OUTPUT, IGNORE_OUTPUT)))
    assert problems("x", unproved, {}) == [
        "x cell 0 shows live values but asserts nothing about them"
    ]


def _wrappers(directory: Path) -> dict[str, str]:
    """Another build of each tool: the same binary, one more line on stderr first."""
    env = dict(os.environ)
    for name in WRAPPED:
        real = shutil.which(name)
        assert real is not None, f"{name} is not installed"
        script = directory / name
        script.write_text(
            f"#!/bin/sh\necho '{EXTRA_LINE.format(name=name)}' >&2\nexec {real} \"$@\"\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env["PATH"] = f"{directory}{os.pathsep}{env['PATH']}"
    return env


def test_the_other_build_really_prints_differently(tmp_path: Path) -> None:
    # Control for the test below: the wrapped tools do differ in what they print, and
    # keep their behaviour (the exit status) unchanged.
    import subprocess

    env = _wrappers(tmp_path)
    for name in WRAPPED:
        plain = subprocess.run([name, "--version"], capture_output=True, text=True, check=False)
        other = subprocess.run(
            [name, "--version"], capture_output=True, text=True, env=env, check=False
        )
        assert other.returncode == plain.returncode
        assert other.stderr == EXTRA_LINE.format(name=name) + "\n" + plain.stderr
    failing = subprocess.run(
        ["openssl", "verify", "no-such.pem"], capture_output=True, env=env, check=False
    )
    assert failing.returncode != 0


def _runs_tools(path: Path) -> bool:
    notebook = nbformat.read(path, as_version=4)
    return any(TOOL_OUTPUT in c.metadata.get("tags", ()) or TOOL_FACTS in c.metadata.get("tags", ())
               for c in notebook.cells)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in CHAPTERS if _runs_tools(p)], ids=lambda p: p.name)
def test_the_book_reads_the_same_with_another_build_of_openssl_and_curl(
    path: Path, tmp_path: Path
) -> None:
    run = execute(path, sanitize=True, env=_wrappers(tmp_path))
    assert list(run.outputs) == text_outputs(nbformat.read(path, as_version=4), RULES)


@pytest.mark.slow
@pytest.mark.skipif(
    "PKIVIZ_OTHER_OPENSSL" not in os.environ,
    reason="set PKIVIZ_OTHER_OPENSSL to an unpacked OpenSSL build (make other-openssl does)",
)
@pytest.mark.parametrize("path", [p for p in CHAPTERS if _runs_tools(p)], ids=lambda p: p.name)
def test_the_book_reads_the_same_with_a_real_other_openssl_build(path: Path) -> None:
    # The whole process tree - the openssl command, curl, Python's ssl in the kernel - on
    # another OpenSSL release (an unpacked Debian package: usr/bin/openssl, usr/lib/*/libssl.so.3).
    root = Path(os.environ["PKIVIZ_OTHER_OPENSSL"])
    libdir = next(root.glob("usr/lib/*/libssl.so.3")).parent
    env = dict(os.environ)
    env["PATH"] = f"{root / 'usr/bin'}{os.pathsep}{env['PATH']}"
    env["LD_LIBRARY_PATH"] = str(libdir)
    run = execute(path, sanitize=True, env=env)
    saved = text_outputs(nbformat.read(path, as_version=4), RULES)
    assert [sanitize(text, RULES) for text in run.outputs] == saved


def test_rule_takes_the_facts_from_the_proof_cell_after_a_tool_cell() -> None:
    shown = _cell(
        "run = run_tool(['openssl', 'verify', 'x.pem'])\nrun",
        OPENSSL_SAYS,
        (TOOL_OUTPUT, IGNORE_OUTPUT),
    )
    proof = _cell("# Proof: openssl refuses x.pem\nassert not run.ok", "", ("proof",))
    assert problems("x", _notebook(shown, proof), {0: ("openssl",)}) == []
    # Control: without the proof cell (or with a teaching cell in between) nothing is asserted.
    teaching = _cell("1 + 1", "2")
    assert problems("x", _notebook(shown, teaching, proof), {0: ("openssl",)}) == [
        "x cell 0 asserts nothing about what the tool said"
    ]
