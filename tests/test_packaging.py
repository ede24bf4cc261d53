"""The project's packaging: light import, environment.yml in step with pyproject."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from test_binder import book_extra

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].strip().lower()


def _book_requirements() -> set[str]:
    """The package names ``pip install '.[book]'`` installs (test_binder expands the extras)."""
    return {_name(r) for r in book_extra(tomllib.loads((ROOT / "pyproject.toml").read_text()))}


def test_environment_yml_names_the_book_extra() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section
    from_pip = {_name(r) for r in pip_section if r != "-e ."}
    assert conda | from_pip == _book_requirements()
    assert not conda & from_pip


def test_environment_check_would_catch_a_missing_package() -> None:
    # Control: the comparison is not vacuous.
    assert "jupyterlab" in _book_requirements()
    assert "cryptography" in _book_requirements()


def test_import_pkiviz_is_light() -> None:
    code = (
        "import sys, pkiviz, pkiviz.cli\n"
        "heavy = [m for m in ('matplotlib', 'networkx', 'ipywidgets', 'IPython', 'OpenSSL')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "[]"


def test_light_import_check_sees_heavy_modules() -> None:
    # Control: the same probe reports matplotlib once something imports it.
    code = "import sys, matplotlib, pkiviz; print('matplotlib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "True"


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
