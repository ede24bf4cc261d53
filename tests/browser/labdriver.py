"""Drive a real JupyterLab in a real headless Chromium.

Two halves:

* :class:`JupyterLabServer` starts ``jupyter lab`` on 127.0.0.1 (free port, random token, no
  browser, no news or update checks, autosave off, every notebook cell attached to the DOM) in a
  throw-away Jupyter config directory, waits until it answers, and stops it with its whole
  process tree.
* :class:`Lab` wraps a Playwright page on that server. JupyterLab is started with
  ``--LabApp.expose_app_in_browser=True``, so the page has ``window.jupyterapp`` and the helpers
  drive JupyterLab through its own commands (``docmanager:open``, ``notebook:run-all-cells``)
  and its notebook model, and read what a person sees from the DOM.

A notebook served from the repository is *copied* into the server's root first
(:meth:`JupyterLabServer.add_notebook`), so nothing the browser does (running, saving) can write
to the book.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

# Settings a fresh JupyterLab user would have, less what makes a test flaky or unsafe.
_USER_SETTINGS = {
    # Never write a notebook back to disk behind the test's back.
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    # Keep every cell in the DOM, so an output far down a chapter can be read and clicked.
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    # No "Would you like to receive official Jupyter news?" toast.
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}
PR_SET_PDEATHSIG = 1
_DISABLED_PLUGINS = ("@jupyterlab/apputils-extension:announcements",)


#: How many ports :meth:`JupyterLabServer.start` tries when another program takes one first.
_PORT_ATTEMPTS = 3


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class JupyterLabError(RuntimeError):
    """JupyterLab did not start, or a notebook did not do what the test asked in time."""


@dataclass
class JupyterLabServer:
    """One ``jupyter lab`` process serving a temporary root directory.

    Use :meth:`start` and :meth:`stop` (or the pytest fixture, which does both).
    """

    root: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(24))
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    _home: tempfile.TemporaryDirectory[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        """The URL of ``path`` on this server, with the token that logs the browser in."""
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{sep}token={self.token}"

    def add_notebook(self, source: Path, *, into: str = "") -> str:
        """Copy ``source`` (a notebook, or a directory of them) under the root; return its path.

        The returned path is relative to the root, as JupyterLab names documents.
        """
        target = self.root / into / source.name
        if source.is_dir():
            shutil.copytree(
                source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_*")
            )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        return target.relative_to(self.root).as_posix()

    def write_notebook(self, path: str, cells: list[str]) -> str:
        """Write a new Python notebook of code ``cells`` at ``path`` under the root."""
        notebook = {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"cell-{i}",
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for i, source in enumerate(cells)
            ],
            "metadata": {
                "kernelspec": {
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                    "name": "python3",
                },
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(notebook, indent=1))
        return path

    def start(self, *, timeout: float = 60.0) -> None:
        """Start JupyterLab and return once its REST API answers; raise if it does not."""
        self._home = tempfile.TemporaryDirectory(prefix="pkiviz-jupyter-home-")
        home = Path(self._home.name)
        config_dir = home / "config"
        for plugin, values in _USER_SETTINGS.items():
            settings = config_dir / "lab" / "user-settings" / f"{plugin}.jupyterlab-settings"
            settings.parent.mkdir(parents=True, exist_ok=True)
            settings.write_text(json.dumps(values))
        page_config = config_dir / "labconfig" / "page_config.json"
        page_config.parent.mkdir(parents=True)
        page_config.write_text(
            json.dumps({"disabledExtensions": dict.fromkeys(_DISABLED_PLUGINS, True)})
        )
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(config_dir),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "IPYTHONDIR": str(home / "ipython"),
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
        }
        for attempt in range(_PORT_ATTEMPTS):
            try:
                self._launch(env, home, config_dir, timeout)
                return
            except JupyterLabError:
                # free_port() only said the port was free a moment ago: if another
                # program took it first, JupyterLab exits at once; use another port.
                taken = f"The port {self.port} is already in use" in self.log_tail()
                if not taken or attempt == _PORT_ATTEMPTS - 1:
                    raise
                self.port = free_port()

    def _launch(self, env: dict[str, str], home: Path, config_dir: Path, timeout: float) -> None:
        argv = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            "--ServerApp.terminals_enabled=False",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",  # never ask PyPI for extensions
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
            f"--LabApp.user_settings_dir={config_dir / 'lab' / 'user-settings'}",
        ]
        if os.geteuid() == 0:
            argv.append("--allow-root")
        self.log_path = home / "jupyterlab.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed whole in stop()
                preexec_fn=_die_with_parent_hook(),
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise JupyterLabError(f"JupyterLab exited early:\n{self.log_tail()}")
            if self._answers():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise JupyterLabError(f"JupyterLab did not answer in {timeout:.0f} s")
            time.sleep(0.2)

    def _answers(self) -> bool:
        request = urllib.request.Request(
            f"{self.base_url}/api/status", headers={"Authorization": f"token {self.token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API; return the decoded JSON answer (or None)."""
        request = urllib.request.Request(
            f"{self.base_url}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Shut down every running kernel (each test calls this, so kernels do not pile up)."""
        for kernel in self.api("GET", "kernels"):
            try:
                self.api("DELETE", f"kernels/{kernel['id']}")
            except urllib.error.HTTPError as exc:  # already gone
                if exc.code != 404:
                    raise

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        """Stop JupyterLab and everything it started; safe to call twice."""
        process, self.process = self.process, None
        if process is not None:
            survivors = _descendants(process.pid)
            try:
                with contextlib.suppress(OSError):
                    self.shutdown_kernels()
            finally:
                _kill_group(process)
                for pid in survivors:  # kernels run in sessions of their own
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
        if self._home is not None:
            self._home.cleanup()
            self._home = None


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the server get SIGTERM if pytest is killed before stop().

    Linux only (prctl); its kernels then exit too, since ipykernel polls its parent. libc is
    looked up here, in the parent, so the forked child only makes one system call.
    """
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _descendants(pid: int) -> list[int]:
    import psutil

    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(OSError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # The server may have left children in its group after it exited.
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)


# --- the browser side ---------------------------------------------------------------------

# Finds the notebook panel of `path` among JupyterLab's main-area widgets.
_PANEL_JS = """
const panelOf = (path) => {
  const app = window.jupyterapp;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.content.widgets) return w;
  }
  throw new Error('no open notebook ' + path);
};
"""

_WIDGET_CONTROLS = (
    ".widget-slider .widget-readout, .widget-checkbox input[type=checkbox], "
    ".widget-dropdown select, .widget-text input, .widget-textarea textarea"
)


@dataclass
class Lab:
    """A JupyterLab page in Chromium, with what went wrong in the browser collected.

    Attributes:
        page: the Playwright ``Page``.
        artifacts: where :meth:`screenshot` writes PNG files.
        console_errors: console messages of type ``error`` and uncaught page errors.
        failed_requests: requests that failed at the network level or got HTTP 4xx/5xx.
    """

    page: Any
    server: JupyterLabServer
    artifacts: Path
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"pageerror: {exc}"))
        self.page.on(
            "requestfailed",
            lambda req: self.failed_requests.append(f"{req.method} {req.url}: {req.failure}"),
        )
        self.page.on("response", self._on_response)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_response(self, response: Any) -> None:
        if response.status >= 400:
            self.failed_requests.append(
                f"{response.request.method} {response.url}: HTTP {response.status}"
            )

    def load(self, *, timeout: float = 60.0) -> None:
        """Open JupyterLab with a fresh workspace and wait until it has restored."""
        self.page.goto(self.server.url("lab?reset"), timeout=timeout * 1000)
        self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=timeout * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")

    def open(self, path: str, *, timeout: float = 60.0) -> Notebook:
        """Open the notebook at ``path`` (relative to the server root) with a ready kernel."""
        self.page.evaluate(
            """async (path) => {
              const panel = await window.jupyterapp.commands.execute(
                'docmanager:open', {path, factory: 'Notebook'});
              await panel.context.ready;
              await panel.sessionContext.ready;
              await panel.revealed;
            }""",
            path,
        )
        notebook = Notebook(self, path)
        notebook.wait_idle(timeout=timeout)
        return notebook

    def screenshot(self, name: str) -> Path:
        """Save the whole page as ``<artifacts>/<name>.png``."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path


@dataclass
class Notebook:
    """An open notebook in a :class:`Lab`. Cells are numbered from 0, markdown included."""

    lab: Lab
    path: str

    def _eval(self, body: str, arg: Any = None) -> Any:
        return self.lab.page.evaluate(
            f"async ([path, arg]) => {{ {_PANEL_JS} const panel = panelOf(path); {body} }}",
            [self.path, arg],
        )

    def _run_command(self, command: str, *, timeout: float) -> None:
        # Start the command, then wait (bounded) for the promise JupyterLab returns: it settles
        # once every cell it ran has had its execute_reply.
        self._eval(
            """
            window.__pkivizRun = {done: false, error: null};
            panel.content.activate();
            window.jupyterapp.commands.execute(arg).then(
              () => { window.__pkivizRun.done = true; },
              (e) => { window.__pkivizRun.error = String(e); window.__pkivizRun.done = true; });
            """,
            command,
        )
        try:
            self.lab.page.wait_for_function(
                "() => window.__pkivizRun && window.__pkivizRun.done", timeout=timeout * 1000
            )
        except Exception as exc:
            raise JupyterLabError(f"{command} did not finish in {timeout:.0f} s") from exc
        error = self.lab.page.evaluate("() => window.__pkivizRun.error")
        if error:
            raise JupyterLabError(f"{command} failed: {error}")
        self.wait_idle(timeout=timeout)

    def wait_idle(self, *, timeout: float = 60.0) -> None:
        """Wait until the kernel is idle and no cell is queued or running."""
        try:
            self.lab.page.wait_for_function(
                f"""([path]) => {{ {_PANEL_JS}
                  const panel = panelOf(path);
                  const kernel = panel.sessionContext.session?.kernel;
                  if (!kernel || kernel.status !== 'idle') return false;
                  return !panel.content.widgets.some(
                    (c) => c.model.type === 'code' && c.model.executionState === 'running');
                }}""",
                arg=[self.path],
                timeout=timeout * 1000,
            )
        except Exception as exc:
            raise JupyterLabError(f"{self.path}: kernel not idle after {timeout:.0f} s") from exc

    def run_all(self, *, timeout: float = 120.0) -> None:
        """Run all cells (JupyterLab's *Run > Run All Cells*) and wait until they have run."""
        self._run_command("notebook:run-all-cells", timeout=timeout)

    def clear_outputs(self) -> None:
        """Clear every cell's output (*Edit > Clear Outputs of All Cells*)."""
        self._run_command("notebook:clear-all-cell-outputs", timeout=30)

    def run_cell(self, index: int, *, timeout: float = 60.0) -> None:
        """Run the one cell ``index`` (as Ctrl+Enter would) and wait until it has run."""
        self._eval(
            """
            panel.content.deselectAll();
            panel.content.activeCellIndex = arg;
            """,
            index,
        )
        self._run_command("notebook:run-cell", timeout=timeout)

    def sources(self) -> list[str]:
        """The source of every cell."""
        return list(
            self._eval("return panel.content.widgets.map((c) => c.model.sharedModel.getSource());")
        )

    def cell_index(self, containing: str) -> int:
        """The index of the only cell whose source contains ``containing``."""
        found = [i for i, source in enumerate(self.sources()) if containing in source]
        if len(found) != 1:
            raise LookupError(f"{len(found)} cells of {self.path} contain {containing!r}")
        return found[0]

    def execution_counts(self) -> list[int | None]:
        """Each code cell's execution count (None where it has not run)."""
        return list(
            self._eval(
                "return panel.content.widgets.filter((c) => c.model.type === 'code')"
                ".map((c) => c.model.executionCount);"
            )
        )

    def outputs(self, index: int) -> list[dict[str, Any]]:
        """Cell ``index``'s outputs as nbformat JSON (from JupyterLab's model)."""
        return list(self._eval("return panel.content.widgets[arg].model.outputs.toJSON();", index))

    def errors(self) -> list[str]:
        """One line per error output in the notebook: ``cell N: ename: evalue``."""
        per_cell = self._eval(
            "return panel.content.widgets.map("
            "(c) => c.model.type === 'code' ? c.model.outputs.toJSON() : []);"
        )
        return [
            f"cell {index}: {output['ename']}: {output['evalue']}"
            for index, outputs in enumerate(per_cell)
            for output in outputs
            if output.get("output_type") == "error"
        ]

    def output_area(self, index: int) -> Any:
        """The Playwright locator of cell ``index``'s output area (the cell's own, not nested)."""
        # Tag the panel and every cell with what finds them, then locate by those tags.
        self._eval(
            "panel.node.setAttribute('data-pkiviz-path', path);"
            "panel.content.widgets.forEach((c, i) => c.node.setAttribute('data-pkiviz-cell', i));"
        )
        return self.lab.page.locator(
            f"[data-pkiviz-path={json.dumps(self.path)}] [data-pkiviz-cell='{int(index)}']"
            " .jp-Cell-outputArea"
        )

    def output_text(self, index: int) -> str:
        """The text a reader sees in cell ``index``'s output area."""
        return str(self.output_area(index).inner_text())

    def set_widget(self, index: int, value: object, *, nth: int = 0) -> None:
        """Set the ``nth`` ipywidget control in cell ``index``'s output as a person would.

        Handles sliders (typed into the editable readout), checkboxes, dropdowns (by label),
        text boxes and text areas.
        """
        control = self.output_area(index).locator(_WIDGET_CONTROLS).nth(nth)
        control.wait_for(state="visible", timeout=30_000)
        kind = control.evaluate(
            "(e) => e.classList.contains('widget-readout') ? 'readout' : "
            "e.tagName === 'SELECT' ? 'select' : e.type === 'checkbox' ? 'checkbox' : 'text'"
        )
        if kind == "checkbox":
            control.set_checked(bool(value))
        elif kind == "select":
            control.select_option(label=str(value))
        else:
            control.fill(str(value))
            control.press("Enter")
            control.evaluate("(e) => e.blur()")

    def wait_for_output(self, index: int, text: str, *, timeout: float = 30.0) -> None:
        """Wait until cell ``index``'s output area shows ``text``."""
        self.output_area(index).get_by_text(text, exact=False).first.wait_for(
            timeout=timeout * 1000
        )

    def screenshot(self, name: str, index: int | None = None) -> Path:
        """Save the notebook (or cell ``index``'s output area) as ``<artifacts>/<name>.png``."""
        if index is None:
            return self.lab.screenshot(name)
        self.lab.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.lab.artifacts / f"{name}.png"
        area = self.output_area(index)
        area.scroll_into_view_if_needed()
        area.screenshot(path=str(path))
        return path
