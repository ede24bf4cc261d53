"""A real JupyterHub on 127.0.0.1 for trying the course, that always stops.

``LocalHub`` runs ``jupyterhub -f hub/jupyterhub_config.py`` with its state, the students'
homes and their temporary directories under one directory, on free loopback ports::

    with LocalHub(root=Path("/tmp/pkiviz-hub"), book=Path("book")) as hub:
        print(hub.url)          # http://127.0.0.1:PORT
    # the Hub stopped every student's server and the proxy; anything left is killed

The functions below it find the processes that belong to a hub or to one of its students
(by the environment the Hub gives them) and measure their memory (PSS, so a page shared by
two students is counted half to each), from ``/proc``: Linux only.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

#: The environment variable that marks the Hub and the proxy it starts.
MARK = "PKIVIZ_CLASSROOM_HUB"
CONFIG = Path(__file__).resolve().parents[2] / "hub" / "jupyterhub_config.py"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalHub:
    """A JupyterHub process with DummyAuthenticator and SimpleLocalProcessSpawner.

    Args:
        root: its directory (database, cookie secret, ``home/NAME`` and ``home/NAME.tmp`` for
            each student); created, and removed on stop unless ``keep``.
        book: the chapters each student gets a copy of.
        jupyterhub: the ``jupyterhub`` executable (default: beside this Python).
        proxy: the ``configurable-http-proxy`` executable (default: on PATH).
        password: every test user's password.
        config: the configuration file.
        port: the public port (default: a free one).
        keep: leave ``root`` in place after stopping.
    """

    def __init__(
        self,
        *,
        root: Path,
        book: Path,
        jupyterhub: Path | None = None,
        proxy: str | None = None,
        password: str = "pkiviz",
        config: Path = CONFIG,
        port: int | None = None,
        keep: bool = False,
    ) -> None:
        self.root = root.resolve()
        self.book = book.resolve()
        self.jupyterhub = jupyterhub or Path(sys.executable).with_name("jupyterhub")
        self.proxy = proxy or shutil.which("configurable-http-proxy") or "configurable-http-proxy"
        self.password = password
        self.config = config
        self.port = port or free_port()
        self.keep = keep
        self.url = f"http://127.0.0.1:{self.port}"
        self._service_token = secrets.token_hex(32)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def homes(self) -> Path:
        """Where the students' homes and temporary directories are."""
        return self.root / "home"

    def start(self, *, timeout: float = 60) -> None:
        """Start the Hub and wait until its API answers.

        Raises:
            RuntimeError: it exited or did not answer in time (its log is in the message).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update(
            {
                MARK: str(self.root),
                "PKIVIZ_HUB_ROOT": str(self.root),
                "PKIVIZ_HUB_BOOK": str(self.book),
                "PKIVIZ_HUB_PORT": str(self.port),
                "PKIVIZ_HUB_API_PORT": str(free_port()),
                "PKIVIZ_PROXY_API_PORT": str(free_port()),
                "PKIVIZ_HUB_PROXY": self.proxy,
                "PKIVIZ_HUB_PASSWORD": self.password,
                "PKIVIZ_HUB_SERVICE_TOKEN": self._service_token,
            }
        )
        log = (self.root / "jupyterhub.log").open("wb")
        self.process = subprocess.Popen(
            [str(self.jupyterhub), "-f", str(self.config)],
            cwd=self.root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/hub/api/", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return
            time.sleep(0.3)
        tail = self.log()[-3000:]
        self.stop()
        raise RuntimeError(f"JupyterHub did not start on {self.url}:\n{tail}")

    def add_students(self, names: list[str]) -> None:
        """Put students on the Hub's roster, as an instructor does before the course starts.

        The Hub's API gives a token (a login) only to a user it knows; the configuration's
        ``classroom-load`` service, whose token only this object holds, adds them.
        """
        request = urllib.request.Request(
            f"{self.url}/hub/api/users",
            data=json.dumps({"usernames": names}).encode(),
            headers={"Authorization": f"token {self._service_token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            if answer.status != 201:
                raise RuntimeError(f"the Hub did not add the students: {answer.status}")

    def log(self) -> str:
        """The Hub's log so far."""
        path = self.root / "jupyterhub.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, *, timeout: float = 60) -> list[int]:
        """Stop the Hub (which stops the students' servers and the proxy), then kill leftovers.

        Returns:
            The processes that were still running after the Hub had exited and were killed
            (none when everything shut down as it should).
        """
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        leftovers = processes(lambda env: _belongs(env, self.root))
        for pid in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        return leftovers

    def __enter__(self) -> LocalHub:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def student_processes(self, name: str) -> list[int]:
        """The processes of one student: their server, kernels and what those started."""
        home = str(self.homes / name)
        return processes(lambda env: home_of(env) in {home, home + ".tmp"})

    def hub_processes(self) -> list[int]:
        """The Hub and the proxy."""
        return processes(lambda env: env.get(MARK) == str(self.root))


def home_of(env: dict[str, str]) -> str:
    """The home a process belongs to: its TMPDIR's or HOME's student directory."""
    tmp = env.get("TMPDIR", "")
    return tmp if tmp.endswith(".tmp") else env.get("HOME", "")


def _belongs(env: dict[str, str], root: Path) -> bool:
    prefix = str(root) + os.sep
    return env.get(MARK) == str(root) or any(
        env.get(key, "").startswith(prefix) for key in ("HOME", "TMPDIR")
    )


def environ_of(pid: int) -> dict[str, str]:
    """A process's environment from ``/proc``, or ``{}`` if it cannot be read."""
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/environ").read_bytes()
        pairs = (item.partition(b"=") for item in raw.split(b"\0") if item)
        return {k.decode(errors="replace"): v.decode(errors="replace") for k, _, v in pairs}
    return {}


def other_pids() -> Iterator[int]:
    """The ids of every process in ``/proc`` but this one."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            yield int(entry)


def processes(select: object) -> list[int]:
    """The running processes whose environment ``select`` (a predicate on a dict) accepts."""
    assert callable(select)
    return sorted(pid for pid in other_pids() if (env := environ_of(pid)) and select(env))


def pss_bytes(pids: list[int]) -> int:
    """The proportional set size of these processes together (pages shared are split)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total
