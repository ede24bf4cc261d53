"""The classroom: what a stopped student leaves behind, and a real hub with two students.

The leftover checks run everywhere. The hub test needs JupyterHub in this environment and
configurable-http-proxy (on PATH or PKIVIZ_HUB_PROXY): ``make hub`` installs both; without
them it is skipped. The full load test is ``make classroom-load``, never part of ``make test``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from pkiviz.classroom.hub import LocalHub
from pkiviz.classroom.load import leftovers, run_load

ROOT = Path(__file__).resolve().parents[1]
KEY = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"


def _student(tmp_path: Path) -> tuple[LocalHub, Path, Path]:
    book = tmp_path / "given"
    book.mkdir()
    (book / "00-tour.ipynb").write_text("{}")
    hub = LocalHub(root=tmp_path / "hub", book=book)
    home = hub.homes / "ada"
    shutil.copytree(book, home / "book")
    (home / ".ipython" / "profile_default").mkdir(parents=True)
    (home / ".local" / "share" / "jupyter" / "runtime").mkdir(parents=True)
    (home / ".local" / "share" / "jupyter" / "runtime" / "jupyter_cookie_secret").write_text("x")
    Path(f"{home}.tmp").mkdir()
    return hub, book, home


def test_a_clean_session_leaves_nothing(tmp_path: Path) -> None:
    hub, book, _ = _student(tmp_path)
    assert leftovers(hub, "ada", book, wait=0) == []


def test_leftovers_are_found(tmp_path: Path) -> None:
    # The same home with what a leaking chapter or server would leave: each is named.
    hub, book, home = _student(tmp_path)
    (Path(f"{home}.tmp") / "pkiviz-abc").mkdir()
    (Path(f"{home}.tmp") / "pkiviz-abc" / "server.key").write_bytes(KEY)
    (home / ".local" / "share" / "jupyter" / "runtime" / "kernel-1.json").write_text("{}")
    (home / ".ipython" / "profile_default" / "stray.pem").write_bytes(KEY)
    (home / "book" / "crl.pem").write_text("x")
    (home / "notes.txt").write_text("x")
    found = leftovers(hub, "ada", book, wait=0)
    assert [line.split(" /")[0] for line in found] == [
        "temporary file",
        "temporary file",
        "runtime file",
        "new file in the book",
        "private key",
        "new file in the home",
    ]


def test_a_leftover_process_is_found(tmp_path: Path) -> None:
    hub, book, home = _student(tmp_path)
    env = dict(os.environ, HOME=str(home), TMPDIR=f"{home}.tmp")
    # The child says it is up before it is looked for: Popen returns while the new program
    # is still being loaded, when /proc/PID/environ can still read empty (seen once in CI).
    code = "import time; print('up', flush=True); time.sleep(30)"
    with subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "up\n"
            found = leftovers(hub, "ada", book, wait=0.5)
        finally:
            child.kill()
    assert found == [f"process {child.pid}: {sys.executable} -c {code} "]
    # Control: once it has exited, nothing is left.
    assert leftovers(hub, "ada", book, wait=5) == []


def _proxy() -> str | None:
    return os.environ.get("PKIVIZ_HUB_PROXY") or shutil.which("configurable-http-proxy")


needs_hub = pytest.mark.skipif(
    importlib.util.find_spec("jupyterhub") is None or _proxy() is None,
    reason="needs jupyterhub and configurable-http-proxy (make hub installs them)",
)


@pytest.mark.slow
@needs_hub
def test_two_students_at_once_on_a_real_hub() -> None:
    with tempfile.TemporaryDirectory(prefix="pkiviz-classroom-", dir="/tmp") as tmp:
        run = run_load(
            2,
            book=ROOT / "book",
            root=Path(tmp, "hub"),
            selected=("00",),
            proxy=_proxy(),
            timeout=300,
        )
        assert not Path(tmp, "hub").exists()
    assert run.failures == 0, json.dumps(run.as_json(), indent=1)
    assert [r.name for r in run.results] == ["student001", "student002"]
    assert all(len(r.chapters) == 1 and r.peak_pss > 0 for r in run.results)


@pytest.mark.slow
@needs_hub
def test_a_changed_output_fails_the_student(tmp_path: Path) -> None:
    # Control: the same run against a chapter whose saved outputs were changed fails there.
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book)
    chapter = json.loads((book / "00-tour.ipynb").read_text())
    cell = next(c for c in chapter["cells"] if c["cell_type"] == "code" and c["outputs"])
    output = cell["outputs"][0]
    key = "text" if "text" in output else "data"
    if key == "text":
        output["text"] = ["changed\n"]
    else:
        output["data"]["text/plain"] = ["changed"]
    (book / "00-tour.ipynb").write_text(json.dumps(chapter))
    with tempfile.TemporaryDirectory(prefix="pkiviz-classroom-", dir="/tmp") as tmp:
        run = run_load(
            1, book=book, root=Path(tmp, "hub"), selected=("00",), proxy=_proxy(), timeout=300
        )
    (result,) = run.results
    assert run.failures == 1
    assert result.chapters[0].problem is not None
    assert result.chapters[0].problem.startswith("outputs differ from the saved ones at code cell")


def test_deployment_files_open_the_book() -> None:
    import re

    import yaml  # type: ignore[import-untyped]

    values = yaml.safe_load((ROOT / "hub" / "z2jh-values.yaml").read_text())
    single = values["singleuser"]
    assert single["defaultUrl"] == "/lab/tree/book"
    hook = " ".join(single["lifecycleHooks"]["postStart"]["exec"]["command"])
    assert "cp -r /srv/pkiviz/book" in hook
    assert single["memory"]["limit"] == "1G" and single["cpu"]["limit"] == 1
    tljh = (ROOT / "hub" / "tljh" / "pkiviz.py").read_text()
    assert re.search(r'default_url = "/lab/tree/pkiviz/book"', tljh)
    local = (ROOT / "hub" / "jupyterhub_config.py").read_text()
    assert 'c.Spawner.default_url = "/lab/tree/book"' in local
