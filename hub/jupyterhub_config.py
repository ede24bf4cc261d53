"""A JupyterHub for trying the book as a classroom, on 127.0.0.1 only: ``make hub``.

Every student who logs in (any user name; the password is ``PKIVIZ_HUB_PASSWORD``, default
``pkiviz``) gets a single-user JupyterLab started as a local process, with a copy of the book in
a home directory of their own under ``$PKIVIZ_HUB_ROOT/home/NAME`` and a temporary directory of
their own (``TMPDIR``) beside it, so that no two students share a port, a temporary file or a
key file. This is DummyAuthenticator + SimpleLocalProcessSpawner: for trying the course and
for the load test (``make classroom-load``), never for real students; docs/classroom.md has
the configurations for The Littlest JupyterHub and Zero to JupyterHub.

Settings (environment variables, all optional):

    PKIVIZ_HUB_ROOT      state: database, cookie secret, homes (default: .cache/hub)
    PKIVIZ_HUB_BOOK      the chapters each student gets a copy of (default: ./book)
    PKIVIZ_HUB_PORT      the public port on 127.0.0.1 (default: 8000)
    PKIVIZ_HUB_API_PORT  the Hub's own port (default: 8081)
    PKIVIZ_PROXY_API_PORT  the proxy's API port (default: the public port + 1)
    PKIVIZ_HUB_PROXY     the configurable-http-proxy executable
    PKIVIZ_HUB_PASSWORD  the one password of every test user
    PKIVIZ_HUB_SERVICE_TOKEN  if set, a service 'classroom-load' with this token may manage users
"""

import os
import shutil
import sys
from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821

here = Path(__file__).resolve().parent
root = Path(os.environ.get("PKIVIZ_HUB_ROOT", ".cache/hub")).resolve()
book = Path(os.environ.get("PKIVIZ_HUB_BOOK", here.parent / "book")).resolve()
port = int(os.environ.get("PKIVIZ_HUB_PORT", "8000"))
root.mkdir(parents=True, exist_ok=True)

# Loopback only: the public proxy, the Hub and the proxy's API.
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("PKIVIZ_HUB_API_PORT", "8081"))
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{int(os.environ.get('PKIVIZ_PROXY_API_PORT', port + 1))}"
)
c.ConfigurableHTTPProxy.command = [os.environ.get("PKIVIZ_HUB_PROXY", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(root / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{root / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(root / "cookie_secret")
c.JupyterHub.cleanup_servers = True  # stopping the Hub stops every student's server

# Test users: any name, one shared password; 'instructor' is an admin.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = os.environ.get("PKIVIZ_HUB_PASSWORD", "pkiviz")
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {"instructor"}

# One local process per student, in a home of their own, with the book's own Python.
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(root / "home" / "{username}")
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
c.Spawner.args = ["--allow-root"] if os.getuid() == 0 else []
c.Spawner.default_url = "/lab/tree/book"
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180


def _tmpdir(spawner):
    return str(Path(spawner.home_dir).with_name(f"{spawner.user.name}.tmp"))


def _give_the_book(spawner):
    """Copy the book into the student's home (once) and create their TMPDIR."""
    home = Path(spawner.home_dir)
    home.mkdir(parents=True, exist_ok=True)
    Path(_tmpdir(spawner)).mkdir(mode=0o700, exist_ok=True)
    if not (home / "book").exists():
        shutil.copytree(book, home / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


def _remove_server_files(spawner):
    """Remove the stopped server's info files (its URL and token), which it leaves behind.

    jupyter_server, stopped by the Hub's SIGINT, exits without deleting
    ``jpserver-PID.json`` and ``jpserver-PID-open.html`` from its runtime directory.
    """
    runtime = Path(spawner.home_dir, ".local", "share", "jupyter", "runtime")
    for path in runtime.glob("jpserver-*"):
        path.unlink(missing_ok=True)


c.Spawner.pre_spawn_hook = _give_the_book
c.Spawner.post_stop_hook = _remove_server_files
c.Spawner.environment = {"TMPDIR": _tmpdir}

token = os.environ.get("PKIVIZ_HUB_SERVICE_TOKEN")
if token:
    c.JupyterHub.services = [{"name": "classroom-load", "api_token": token}]
    c.JupyterHub.load_roles = [
        {
            "name": "classroom-load",
            "scopes": ["admin:users", "admin:servers", "list:users", "read:users"],
            "services": ["classroom-load"],
        }
    ]
