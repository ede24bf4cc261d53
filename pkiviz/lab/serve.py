"""``pkiviz serve``: a catalogue scenario as a real HTTPS server on 127.0.0.1.

::

    with ScenarioServer("expired") as server:
        print(server.curl_command)   # curl --resolve login.example.com:PORT:127.0.0.1 ...
        ...                          # any TLS client you like, pointed at server.url

The server answers as ``login.example.com`` with the scenario's ``chain.pem``
and ``server.key``, and a short HTTP/1.1 page naming the scenario. It writes
the scenario's files to a private temporary directory (keys 0600), which
:meth:`ScenarioServer.close` removes, so the trust file to use is
``server.directory / "root.pem"``. :meth:`ScenarioServer.text` with
``clients=True`` (what ``pkiviz serve`` prints) also gives the ``pkiviz probe``
and ``openssl s_client`` commands: both connect to 127.0.0.1 and send
``login.example.com`` as SNI, the name they then check, since the certificate
names no IP address. Where the scenario requires a client
certificate, the server asks for one issued under ``client-root.pem``
(``CERT_REQUIRED``). Where the scenario revokes something, a
:class:`~pkiviz.revocation.responder.Responder` serves that CA's CRL (and
OCSP) over HTTP on 127.0.0.1; curl does not fetch CRLs, so
:attr:`ScenarioServer.curl_argv` passes ``--crlfile crl.pem``.

The server's security level is 0 so that it can load what it must present
(an RSA-1024 key, a SHA-1 signature): refusing them is the client's job.
What Python's ssl still refuses - a ``chain.pem`` whose first certificate is
not ``server.key``'s, as in ``chain-out-of-order`` - raises
:class:`~pkiviz.errors.InputError` with the reason, as nginx refuses to start.

This is live code: it binds a socket and reads the wall clock (through the
TLS stack). The ``with`` block always shuts the server down, joins its
threads and closes every socket.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any

from pkiviz import _loopback
from pkiviz.errors import InputError
from pkiviz.lab.catalogue import BY_ID, Breakage, Scenario
from pkiviz.revocation.responder import Responder
from pkiviz.x509.example import HOSTNAME

#: Seconds a connection may sit idle (in the handshake or the request) before it is dropped.
SOCKET_TIMEOUT = 5.0

#: At most this many bytes are read from a client whose handshake failed.
_DRAIN_LIMIT = 65536


class _Server(_loopback.QuietServer):
    context: ssl.SSLContext
    scenario_server: ScenarioServer

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        sock.settimeout(SOCKET_TIMEOUT)
        try:
            tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        except (OSError, ValueError):
            sock.close()
            raise
        return tls, address


class _Handler(_loopback.QuietHandler):
    server: _Server
    timeout = SOCKET_TIMEOUT
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        try:
            self.request.do_handshake()  # in this thread, so a silent client blocks no one else
        except (ssl.SSLError, OSError):
            _drain(self.request)
            raise
        super().setup()

    def do_GET(self) -> None:
        owner = self.server.scenario_server
        body = owner.page().encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True
        with owner._lock:
            owner.requests += 1


def _drain(sock: ssl.SSLSocket) -> None:
    """After a failed handshake: send FIN behind the alert and read what the client still sends.

    Closing with unread data makes the kernel send a reset, which can reach
    the client before it reads the alert (a TLS 1.3 client sends its request
    before it learns that its missing certificate was refused).
    """
    try:
        sock.shutdown(socket.SHUT_WR)  # drops the TLS layer; the alert is already sent
        received = 0
        while received < _DRAIN_LIMIT:
            data = sock.recv(4096)
            if not data:
                break
            received += len(data)
    except OSError:
        pass


class ScenarioServer(_loopback.Service):
    """An HTTPS server on 127.0.0.1 presenting one catalogue scenario as login.example.com.

    Use it as a context manager; the port, URLs and files exist once it has started.

    Args:
        name: a catalogue id (``pkiviz scenario --list``).
        port: the TCP port on 127.0.0.1; 0 picks a free one.

    Raises:
        InputError: for an unknown scenario, a port that cannot be bound, or
            a scenario Python's ssl refuses to serve (raised by :meth:`start`).
    """

    role = "server"
    usage = "with ScenarioServer(name) as s:"

    def __init__(self, name: str, *, port: int = 0) -> None:
        if name not in BY_ID:
            raise InputError(f"unknown scenario {name!r}; run 'pkiviz scenario --list'")
        if not 0 <= port <= 65535:
            raise InputError(f"port {port}: must be between 0 and 65535")
        self.entry: Breakage = BY_ID[name]
        self.scenario: Scenario = self.entry.scenario()
        self.requested_port = port
        self.requests = 0
        self._lock = threading.Lock()
        self._directory: Path | None = None
        self._responder: Responder | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> ScenarioServer:
        """Write the files, load the chain, bind 127.0.0.1 and start serving.

        Returns:
            ``self``.

        Raises:
            InputError: if the scenario cannot be served or the port bound;
                everything started so far is closed again.
        """
        if self._directory is not None:
            raise RuntimeError("this server has already started")
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        directory = Path(tempfile.mkdtemp(prefix=f"pkiviz-serve-{self.entry.id}-"))
        self._directory = directory
        os.chmod(directory, 0o700)
        self.scenario.write_to(directory)
        context = self._context(directory)
        try:
            server = _Server(("127.0.0.1", self.requested_port), _Handler, bind_and_activate=False)
        except OSError as exc:  # pragma: no cover - socket() itself failing
            raise InputError(f"cannot create a socket ({exc.strerror})") from None
        try:
            server.server_bind()
            server.server_activate()
        except OSError as exc:
            server.server_close()
            raise InputError(
                f"127.0.0.1:{self.requested_port}: cannot listen ({exc.strerror}); "
                "try another --port, or 0 for any free one"
            ) from None
        server.context = context
        server.scenario_server = self
        self._running = _loopback.serve(
            server, name="pkiviz-serve", join_timeout=SOCKET_TIMEOUT + 1
        )
        if self.scenario.crl_issuer is not None:
            self._responder = Responder(
                self.scenario.crl_issuer, revoked=self.scenario.revoked
            ).start()

    def _context(self, directory: Path) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # Load what the scenario presents (RSA-1024, SHA-1); judging it is the client's job.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        try:
            context.load_cert_chain(directory / "chain.pem", directory / "server.key")
        except ssl.SSLError as exc:
            why = exc.reason.lower().replace("_", " ") if exc.reason else str(exc)
            name = self.entry.id
            raise InputError(
                f"{name} cannot be served: Python's ssl refuses chain.pem with "
                f"server.key ({why}), as nginx would; to see what a client makes of it, "
                f"write its files with 'pkiviz scenario {name} DIR' and run "
                f"'pkiviz validate DIR/chain.pem --trust DIR/root.pem --host {HOSTNAME}'"
            ) from None
        if self.scenario.require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=directory / "client-root.pem")
        return context

    def close(self) -> None:
        """Stop serving, join the threads, close every socket, remove the files; safe twice."""
        running, self._running = self._running, None
        if running is not None:
            running.close()
        responder, self._responder = self._responder, None
        if responder is not None:
            responder.close()
        directory, self._directory = self._directory, None
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)

    # -- what to tell the reader --------------------------------------------

    @property
    def directory(self) -> Path:
        """The temporary directory holding the scenario's files (removed at close)."""
        self.started()
        assert self._directory is not None
        return self._directory

    @property
    def trust_file(self) -> Path:
        """The trust anchor a client should use: ``root.pem``."""
        return self.directory / "root.pem"

    @property
    def url(self) -> str:
        """``https://login.example.com:PORT/`` (resolve the name to 127.0.0.1)."""
        return f"https://{HOSTNAME}:{self.port}/"

    @property
    def crl_url(self) -> str | None:
        """Where the revoking CA's CRL is served over HTTP, if the scenario has one."""
        return None if self._responder is None else self._responder.crl_url

    @property
    def curl_argv(self) -> tuple[str, ...]:
        """The curl command that tries the server (``--crlfile`` where there are CRLs)."""
        argv = ["curl", "--resolve", f"{HOSTNAME}:{self.port}:127.0.0.1"]
        argv += ["--cacert", str(self.trust_file)]
        if self.scenario.crls:
            argv += ["--crlfile", str(self.directory / "crl.pem")]
        return (*argv, self.url)

    @property
    def curl_command(self) -> str:
        """:attr:`curl_argv` as one shell line."""
        return shlex.join(self.curl_argv)

    @property
    def client_files(self) -> tuple[Path, Path] | None:
        """``(client.pem, client.key)`` where the scenario gives the client a certificate."""
        cert, key = self.directory / "client.pem", self.directory / "client.key"
        return (cert, key) if cert.exists() and key.exists() else None

    def probe_argv(self, *, client: bool = False) -> tuple[str, ...]:
        """The ``pkiviz probe`` command that tries the server.

        It connects to 127.0.0.1 and sends (and checks) ``login.example.com``
        with ``--servername``: the certificate names no IP address, so a probe
        of ``127.0.0.1`` alone fails the hostname check. Where the scenario has
        CRLs, ``--crl crl.pem``, as curl and s_client get them.

        Args:
            client: present the scenario's client certificate (``--cert``/``--key``);
                only where :attr:`client_files` is not ``None``.
        """
        argv = ["pkiviz", "probe", f"127.0.0.1:{self.port}", "--servername", HOSTNAME]
        argv += ["--trust", str(self.trust_file)]
        if self.scenario.crls:
            argv += ["--crl", str(self.directory / "crl.pem")]
        if client:
            cert, key = self._client_files()
            argv += ["--cert", str(cert), "--key", str(key)]
        return tuple(argv)

    def s_client_argv(self, *, client: bool = False) -> tuple[str, ...]:
        """The ``openssl s_client`` command that tries the server (give it ``</dev/null``).

        ``-verify_hostname`` makes it check the name (s_client does not by
        default) and ``-verify_return_error`` makes a failed verification end
        the handshake; where there are CRLs, ``-CRL crl.pem -crl_check``.

        Args:
            client: present the scenario's client certificate (``-cert``/``-key``).
        """
        argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{self.port}"]
        argv += ["-servername", HOSTNAME, "-verify_hostname", HOSTNAME]
        argv += ["-CAfile", str(self.trust_file), "-verify_return_error"]
        if self.scenario.crls:
            argv += ["-CRL", str(self.directory / "crl.pem"), "-crl_check"]
        if client:
            cert, key = self._client_files()
            argv += ["-cert", str(cert), "-key", str(key)]
        return tuple(argv)

    def _client_files(self) -> tuple[Path, Path]:
        files = self.client_files
        if files is None:
            raise ValueError(f"scenario {self.entry.id} gives the client no certificate")
        return files

    def _client_lines(self) -> list[str]:
        """How to present a client certificate, for a scenario that requires one."""
        files = self.client_files
        if files is not None:
            cert, key = (shlex.quote(str(f)) for f in files)
            curl = shlex.join(self.curl_argv[:-1])
            return [
                "With the client certificate:",
                f"  {curl} --cert {cert} --key {key} {self.url}",
                f"  {shlex.join(self.probe_argv(client=True))}",
                f"  {shlex.join(self.s_client_argv(client=True))} </dev/null",
            ]
        valid = BY_ID["valid"].scenario()
        if valid.file("client-root.pem") != self.scenario.file("client-root.pem"):
            return [  # pragma: no cover - the catalogue has one client CA
                "No catalogue scenario writes a client certificate issued under this "
                "client-root.pem, so no client can get in."
            ]
        return [
            "To get in, give a client certificate: 'pkiviz scenario valid DIR' writes "
            "DIR/client.pem and DIR/client.key, issued under this same client-root.pem; add",
            "  --cert DIR/client.pem --key DIR/client.key (curl, pkiviz probe) "
            "or -cert DIR/client.pem -key DIR/client.key (openssl s_client)",
        ]

    def page(self) -> str:
        """The body of the HTTP response."""
        return f"pkiviz serve: scenario {self.entry.id} - {self.entry.title}\n"

    def text(self, *, clients: bool = False) -> str:
        """What ``pkiviz serve`` prints: URL, trust file, curl command, and notes.

        Args:
            clients: also give the ``pkiviz probe`` and ``openssl s_client``
                commands and, where the server requires a client certificate,
                how to present one (``pkiviz serve`` prints this).
        """
        lines = [
            f"Serving {self.entry.id} ({self.entry.title.lower()}) "
            f"as {HOSTNAME} on 127.0.0.1:{self.port}",
            f"  breaks: {self.entry.breaks}",
            f"URL:   {self.url}",
            f"Trust: {self.trust_file}",
            f"Files: {self.directory} (removed when the server stops)",
        ]
        if self.crl_url is not None:
            lines.append(
                f"CRL:   {self.crl_url} (curl does not fetch CRLs; the command passes --crlfile)"
            )
        if self.scenario.require_client_cert:
            lines.append(
                "Client certificate: required, issued under client-root.pem "
                "(this scenario gives the client none)"
            )
        lines += ["Try:", f"  {self.curl_command}"]
        if clients:
            lines.append(f"  {shlex.join(self.probe_argv())}")
            lines.append(f"  {shlex.join(self.s_client_argv())} </dev/null")
            if self.scenario.require_client_cert:
                lines += self._client_lines()
        lines.append("Stop with Ctrl-C.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()


__all__ = ["SOCKET_TIMEOUT", "ScenarioServer"]
