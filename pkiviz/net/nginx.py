"""The real nginx on 127.0.0.1, with a generated configuration, as a context manager.

Chapter 11 asks how nginx treats a client without a certificate in each mode of
``ssl_verify_client`` (``off``, ``on``, ``optional``, ``optional_no_ca``), and
which CA names it sends: those of ``ssl_client_certificate``, none for
``ssl_trusted_certificate``. :func:`nginx_server` writes a configuration into
a private temporary directory (0700; the key 0600; pid, logs and temporary
paths inside it, nothing under /etc/nginx or /var), starts ``nginx -p DIR -c
DIR/nginx.conf`` in the foreground as one process (``daemon off;
master_process off;``), waits until its port accepts, and always stops it and
removes the directory when the block ends.

Every page says what nginx knows of the client's certificate, as an
application behind it would see it: ``verify=$ssl_client_verify
dn=$ssl_client_s_dn``. nginx's own refusals (``400 No required SSL certificate
was sent``, ``400 The SSL certificate error``) come before it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pkiviz._loopback import free_port
from pkiviz.errors import InputError
from pkiviz.x509.example import RunningExample
from pkiviz.x509.factory import Blob

VerifyClient = Literal["off", "on", "optional", "optional_no_ca"]
CaDirective = Literal["ssl_client_certificate", "ssl_trusted_certificate"]

#: The values of ``ssl_verify_client``, in the order of nginx's documentation.
VERIFY_CLIENT: tuple[VerifyClient, ...] = ("off", "on", "optional", "optional_no_ca")

#: How many free ports to try when another program takes the first one first.
_BIND_ATTEMPTS = 5
_ADDRESS_IN_USE = "Address already in use"
_CONFIG = "nginx.conf"
_STDERR = "stderr.log"


def nginx_config(
    port: int | str, *, verify_client: VerifyClient = "on", ca: CaDirective | None = None
) -> str:
    """The configuration :func:`nginx_server` writes (file names relative to its directory).

    Args:
        port: the port to listen on, on 127.0.0.1.
        verify_client: the value of ``ssl_verify_client``.
        ca: the directive that names ``client-root.pem`` (``None``: neither).

    Returns:
        The text of ``nginx.conf``.
    """
    if verify_client not in VERIFY_CLIENT:
        raise ValueError(f"verify_client must be one of {', '.join(VERIFY_CLIENT)}")
    if ca not in (None, "ssl_client_certificate", "ssl_trusted_certificate"):
        raise ValueError("ca must be ssl_client_certificate, ssl_trusted_certificate or None")
    ca_line = f"    {ca} client-root.pem;\n" if ca else ""
    return (
        "daemon off;\n"
        "master_process off;\n"
        "pid nginx.pid;\n"
        "error_log error.log info;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        "  access_log off;\n"
        "  client_body_temp_path client_body;\n"
        "  proxy_temp_path proxy;\n"
        "  fastcgi_temp_path fastcgi;\n"
        "  uwsgi_temp_path uwsgi;\n"
        "  scgi_temp_path scgi;\n"
        "  server {\n"
        f"    listen 127.0.0.1:{port} ssl;\n"
        "    server_name login.example.com;\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        "    ssl_certificate chain.pem;\n"
        "    ssl_certificate_key server.key;\n"
        f"    ssl_verify_client {verify_client};\n"
        f"{ca_line}"
        "    default_type text/plain;\n"
        '    location / { return 200 "verify=$ssl_client_verify dn=$ssl_client_s_dn\\n"; }\n'
        "  }\n"
        "}\n"
    )


@dataclasses.dataclass(frozen=True)
class NginxServer:
    """A running nginx, inside the ``with`` block of :func:`nginx_server`.

    Attributes:
        port: the port it accepts on, on 127.0.0.1.
        pid: its process id (one process: no master, no workers).
        prefix: its private directory (configuration, files, pid, logs).
        config: the configuration it runs, as written.
    """

    port: int
    pid: int
    prefix: Path
    config: str

    @property
    def error_log(self) -> str:
        """What nginx has written to its error log so far."""
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def nginx_version() -> tuple[int, ...] | None:
    """The installed nginx's version, e.g. ``(1, 22, 1)``; ``None`` if nginx is not installed."""
    binary = shutil.which("nginx")
    if binary is None:
        return None
    done = subprocess.run([binary, "-v"], capture_output=True, timeout=10, check=False)
    match = re.search(rb"nginx/(\d+(?:\.\d+)*)", done.stderr + done.stdout)
    return tuple(int(x) for x in match.group(1).split(b".")) if match else None


@contextlib.contextmanager
def nginx_server(
    example: RunningExample,
    *,
    verify_client: VerifyClient = "on",
    ca: CaDirective | None = "ssl_client_certificate",
    timeout: float = 10.0,
) -> Iterator[NginxServer]:
    """nginx serving ``example``'s server certificate on a free port of 127.0.0.1.

    Args:
        example: the certificates (chain.pem, server.key and client-root.pem are written).
        verify_client: the value of ``ssl_verify_client``.
        ca: the directive that names the client-authentication root
            (``None``: neither directive).
        timeout: seconds to wait for the port to accept.

    Yields:
        The running server.

    Raises:
        InputError: if nginx is not installed, refuses the configuration or
            does not listen in time (its own words are in the message). A port
            that another program took first is retried with another.
    """
    binary = shutil.which("nginx")
    if binary is None:
        raise InputError("nginx: not installed (apt-get install nginx)")
    with tempfile.TemporaryDirectory(prefix="pkiviz-nginx-") as tmp:
        prefix = Path(tmp)
        prefix.chmod(0o700)
        Blob(example.server.chain_pem.data).write_to_path(prefix / "chain.pem")
        Blob(example.server.key_pem.data, secret=True).write_to_path(prefix / "server.key")
        Blob(example.client_root.pem.data).write_to_path(prefix / "client-root.pem")
        for attempt in range(_BIND_ATTEMPTS):
            port = free_port()
            config = nginx_config(port, verify_client=verify_client, ca=ca)
            (prefix / _CONFIG).write_text(config)
            proc = _start(binary, prefix)
            try:
                said = _wait_for_port(proc, port, prefix, timeout)
                if said is None:
                    break
                if _ADDRESS_IN_USE not in said or attempt == _BIND_ATTEMPTS - 1:
                    lines = [line for line in said.strip().splitlines() if line][:3]
                    raise InputError(f"nginx did not start: {' / '.join(lines)}")
            except BaseException:
                _stop(proc)
                raise
            _stop(proc)
        try:
            yield NginxServer(port, proc.pid, prefix, config)
        finally:
            _stop(proc)


def _start(binary: str, prefix: Path) -> subprocess.Popen[bytes]:
    for old in ("error.log", "nginx.pid"):  # a failed attempt's words are not this one's
        (prefix / old).unlink(missing_ok=True)
    # -e: the error log before the configuration is read (else the build's /var/log path).
    with open(prefix / _STDERR, "wb") as stderr:
        return subprocess.Popen(
            [binary, "-e", "stderr", "-p", f"{prefix}/", "-c", str(prefix / _CONFIG)],
            cwd=prefix,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def _said(prefix: Path) -> str:
    return "\n".join(
        (prefix / name).read_text(errors="replace")
        for name in (_STDERR, "error.log")
        if (prefix / name).exists()
    )


def _pid_file(prefix: Path) -> str:
    try:
        return (prefix / "nginx.pid").read_text().strip()
    except OSError:
        return ""


def _wait_for_port(
    proc: subprocess.Popen[bytes], port: int, prefix: Path, timeout: float
) -> str | None:
    """``None`` once nginx accepts on ``port``, else what it said before exiting or timing out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return _said(prefix) or f"exit status {proc.returncode}"
        if _ADDRESS_IN_USE in _said(prefix):
            return _said(prefix)  # another program has the port: nginx retries, then exits
        # nginx writes its pid file only once its sockets are bound: then the port is its own.
        if _pid_file(prefix) == str(proc.pid):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return None
            except OSError:
                pass
        time.sleep(0.05)
    return _said(prefix) + f"\nnot listening on 127.0.0.1:{port} after {timeout:g} s"


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()  # nginx's fast shutdown
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


__all__ = [
    "VERIFY_CLIENT",
    "CaDirective",
    "NginxServer",
    "VerifyClient",
    "nginx_config",
    "nginx_server",
    "nginx_version",
]
