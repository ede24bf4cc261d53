"""Binder (repo2docker): binder/ names the book's packages and tools, and builds a usable image.

binder/requirements.txt must list exactly the book extra of pyproject.toml (and so
environment.yml), version bounds included; binder/apt.txt the command-line tools the chapters
run; binder/postBuild installs pkiviz itself. When repo2docker is installed (``pip install
jupyter-repo2docker``; it needs no Docker for this), the repository as a fresh clone would
have it is turned into a Dockerfile, and the test reads what that Dockerfile would do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from pkiviz.site.launch import REPOSITORY, add_launch_links, binder_url

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def _requirement(line: str) -> str:
    """A requirement without comments and spaces, lower-case: ``certifi==2026.10.19.post1``."""
    return line.partition("#")[0].replace(" ", "").lower()


def _lines(path: Path) -> list[str]:
    return [r for r in (_requirement(x) for x in path.read_text().splitlines()) if r]


def book_extra(pyproject: dict[str, object]) -> set[str]:
    """Every requirement ``pip install '.[book]'`` names, extras of pkiviz expanded."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    extras = project["optional-dependencies"]
    found = {_requirement(r) for r in project["dependencies"]}
    pending = ["book"]
    while pending:
        for req in extras[pending.pop()]:
            match = re.fullmatch(r"pkiviz\[([a-z,]+)\]", req)
            if match:
                pending.extend(match.group(1).split(","))
            else:
                found.add(_requirement(req))
    return found


def environment_yml(env: dict[str, object]) -> set[str]:
    """The packages environment.yml installs (conda and pip), without python, pip and ``-e .``."""
    deps = env["dependencies"]
    assert isinstance(deps, list)
    found = {_requirement(d) for d in deps if isinstance(d, str)}
    for d in deps:
        if isinstance(d, dict):
            found |= {_requirement(r) for r in d["pip"] if r.strip() != "-e ."}
    return {r for r in found if re.split(r"[<>=!~]", r)[0] not in {"python", "pip"}}


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_binder_requirements_are_the_book_extra() -> None:
    binder = _lines(BINDER / "requirements.txt")
    assert len(binder) == len(set(binder)), "a package is named twice"
    assert set(binder) == book_extra(_pyproject())


def test_binder_requirements_are_environment_yml() -> None:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert set(_lines(BINDER / "requirements.txt")) == environment_yml(env)


def test_requirement_comparison_sees_a_changed_bound() -> None:
    # Control: the comparison is on requirements, not names; a loosened pin or a missing
    # package is caught.
    pyproject = _pyproject()
    binder = set(_lines(BINDER / "requirements.txt"))
    assert "certifi==2026.10.19.post1" in binder
    changed = (binder - {"certifi==2026.10.19.post1"}) | {"certifi>=2026"}
    assert changed != book_extra(pyproject)
    assert binder - {"jupyterlab>=4.2"} != book_extra(pyproject)


def test_apt_txt_names_the_tools_the_chapters_run() -> None:
    apt = set(_lines(BINDER / "apt.txt"))
    assert apt == {"openssl", "curl", "nginx", "pebble"}
    sources = " ".join(
        "".join(cell["source"])
        for chapter in sorted((ROOT / "book").glob("[0-9][0-9]-*.ipynb"))
        for cell in json.loads(chapter.read_text())["cells"]
        if cell["cell_type"] == "code"
    )
    ci = (ROOT / ".ci" / "run").read_text()
    for tool in apt:
        assert re.search(rf"\b{tool}\b", sources), f"no chapter runs {tool}"
        assert f"need+=({tool})" in ci


def test_apt_check_would_catch_a_tool_no_chapter_runs() -> None:
    # Control: the search that finds openssl in the chapters does not find any word.
    sources = " ".join(p.read_text() for p in sorted((ROOT / "book").glob("0*.ipynb")))
    assert re.search(r"\bopenssl\b", sources)
    assert not re.search(r"\bnginx-full\b", sources)


def test_runtime_and_post_build() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match
    minimum = re.fullmatch(r">=3\.(\d+)", str(_pyproject()["project"]["requires-python"]))  # type: ignore[index]
    assert minimum and int(match.group(1)) >= int(minimum.group(1))
    post_build = BINDER / "postBuild"
    assert post_build.stat().st_mode & stat.S_IXUSR
    script = post_build.read_text()
    assert script.startswith("#!/bin/bash\n")
    assert "pip install --no-deps --no-cache-dir .\n" in script


def test_readme_launch_link() -> None:
    # The README's launch link opens the book's chapter 0, whatever its file is called now.
    readme = (ROOT / "README.md").read_text()
    (first,) = sorted((ROOT / "book").glob("00-*.ipynb"))
    url = binder_url(REPOSITORY, path=f"book/{first.name}")
    assert (
        url == f"https://mybinder.org/v2/gh/pkiviz/pkiviz/HEAD?urlpath=lab/tree/book/{first.name}"
    )
    assert f"]({url})" in readme
    # Control: a link to a chapter file that is not there is not in the README.
    assert f"]({binder_url(REPOSITORY, path='book/00-missing.ipynb')})" not in readme


def test_binder_url_refuses_what_is_not_a_github_repository() -> None:
    with pytest.raises(ValueError, match=re.escape("expected https://github.com/OWNER/NAME")):
        binder_url("https://gitlab.com/pkiviz/pkiviz")
    # Control: the same owner and name on GitHub, with .git, and a ref with a slash.
    assert binder_url("https://github.com/a/b.git", ref="release/1") == (
        "https://mybinder.org/v2/gh/a/b/release%2F1"
    )


def test_site_pages_get_a_launch_link(tmp_path: Path) -> None:
    nav = '<nav class="pkiviz-nav"><a href="index.html">Contents</a></nav>'
    for name in ("index.html", "00-welcome.html", "03-chains-of-trust.html", "glossary.html"):
        (tmp_path / name).write_text(f"<body>{nav}<main>text</main>{nav}</body>")
    changed = add_launch_links(tmp_path)
    assert changed == ["00-welcome.html", "03-chains-of-trust.html", "index.html"]
    page = (tmp_path / "03-chains-of-trust.html").read_text()
    assert page.count('class="pkiviz-launch"') == 1
    assert page.index("pkiviz-launch") < page.index("<main>")  # under the top navigation
    assert "lab/tree/book/03-chains-of-trust.ipynb" in page
    assert "lab/tree/book/00-welcome.ipynb" in (tmp_path / "index.html").read_text()
    # Control: the glossary is no chapter; a second run changes nothing.
    assert "pkiviz-launch" not in (tmp_path / "glossary.html").read_text()
    assert add_launch_links(tmp_path) == []


def test_launch_links_need_a_built_site(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no chapter pages"):
        add_launch_links(tmp_path)


def _repo2docker() -> str | None:
    return os.environ.get("REPO2DOCKER") or shutil.which("repo2docker")


@pytest.mark.skipif(_repo2docker() is None, reason="repo2docker not installed (set REPO2DOCKER)")
def test_repo2docker_builds_the_book_from_a_fresh_tree(tmp_path: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    tree = tmp_path / "clone"
    for name in filter(None, files):
        source = ROOT / os.fsdecode(name)
        if source.is_file():
            (tree / source.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, tree / source.relative_to(ROOT))
    result = subprocess.run(
        [str(_repo2docker()), "--no-build", "--no-run", "--debug", str(tree)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    dockerfile = result.stdout + result.stderr
    assert "Building conda environment for python=3.11" in dockerfile
    assert re.search(
        r"apt-get install --yes --no-install-recommends curl nginx openssl pebble\b", dockerfile
    )
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in dockerfile
    assert "RUN ./binder/postBuild" in dockerfile
    # Only binder/ counts: the root's environment.yml would make it a conda build.
    assert "environment.yml" not in dockerfile
