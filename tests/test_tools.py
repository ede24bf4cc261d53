"""Running real tools: output captured, failures are results, missing tools are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pkiviz.errors import InputError
from pkiviz.net.tools import run_tool
from pkiviz.table import Table


def test_run_tool_captures_success_and_failure() -> None:
    ok = run_tool(["openssl", "version"])
    assert ok.ok and ok.stdout.startswith("OpenSSL")
    assert ok.text().startswith("$ openssl version\nOpenSSL")
    bad = run_tool(["openssl", "x509", "-in", "/nonexistent/cert.pem", "-noout"])
    assert not bad.ok and "[exit status 1]" in bad.text()


def test_missing_tool_and_timeout_are_input_errors() -> None:
    with pytest.raises(InputError, match="not installed"):
        run_tool(["pkiviz-no-such-tool"])
    with pytest.raises(InputError, match=r"did not finish within 0\.2 s"):
        run_tool(["sleep", "5"], timeout=0.2)


def test_table_renders_text_and_html() -> None:
    table = Table(("a", "bee"), (("1", "2"), ("<x>", "")), caption="cap")
    assert table.text() == "cap\na    bee\n---  ---\n1    2\n<x>"
    assert "&lt;x&gt;" in table._repr_html_()
    assert table.column("a") == ("1", "<x>")
    with pytest.raises(ValueError, match="has 1 cells"):
        Table(("a", "b"), (("1",),))


def test_prompt_shows_program_name_not_its_path() -> None:
    import sys

    run = run_tool([sys.executable, "-c", "print(42)"])
    assert run.text().splitlines()[0] == f"$ {Path(sys.executable).name} -c 'print(42)'"
    assert run.stdout == "42\n"
