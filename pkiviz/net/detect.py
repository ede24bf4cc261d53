"""Does this server want a client certificate? Ask the real ``curl -v`` and ``openssl s_client``.

Runs both tools against the servers of :mod:`pkiviz.net.detect_servers` and
keeps only the lines that tell the servers apart, with nothing live in them
(no ports, times, session ids or thread ids), so a chapter can print them and
compare them on every run:

* ``curl -v``: ``Request CERT (13)`` is the server's CertificateRequest; a
  rejected client then sees an alert (``TLS alert, unknown (628)`` is curl
  7.88's name for a fatal alert 116, certificate_required: 628 = 2 x 256 + 116)
  and curl's one-line error; a server that asks without requiring and refuses
  in HTTP (as nginx does with ``ssl_verify_client on``) answers
  ``HTTP/1.1 400 Bad Request`` instead.
* ``openssl s_client``: ``Acceptable client certificate CA names`` (and the
  names) or ``No client certificate CA names sent`` - which it prints for
  *every* server, asking or not - and, only when a CertificateRequest came,
  ``Requested Signature Algorithms``; then the alert (``SSL alert number 116``).

``s_client`` is given one HTTP request on standard input and ``-ign_eof``, so
that it reads until the server closes. With an empty standard input
(``</dev/null``) it hangs up as soon as its input ends; in TLS 1.3 the server's
verdict on the client certificate comes one round trip after the handshake,
so whether it gets printed then depends on a race.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pkiviz.net.detect_servers import KINDS, Kind, detection_server
from pkiviz.net.live import Version
from pkiviz.net.tools import ToolRun, run_tool
from pkiviz.table import Table
from pkiviz.x509.example import RunningExample, running_example

Tool = Literal["curl", "openssl s_client"]

_CURL_PATTERNS = (
    re.compile(r"^\* TLSv1\.[0-3] \(IN\), TLS handshake, Request CERT \(13\):$"),
    re.compile(r"^\* TLSv1\.[0-3] \(IN\), TLS alert, (?!close notify).*$"),
    re.compile(r"^< HTTP/\d(\.\d)? \d{3}.*$"),
    re.compile(r"^curl: \(\d+\) .*$"),
)
_BODY = re.compile(r"No required SSL certificate was sent")
_SIGALGS = re.compile(r"^(Requested Signature Algorithms: )(.*)$")
_ERROR = re.compile(
    r"^[0-9A-F]+:(error:[0-9A-F]+:SSL routines:[^:]*:[^:]+):.*?(SSL alert number \d+)$"
)
_S_CLIENT_PLAIN = ("No client certificate CA names sent", "Client Certificate Types: ")
_HTTP_STATUS = re.compile(r"^HTTP/\d(\.\d)? \d{3}.*$")


def curl_lines(stderr: str, stdout: str = "") -> tuple[str, ...]:
    """The lines of a ``curl -v`` run that tell the servers apart.

    Args:
        stderr: curl's standard error (the ``-v`` trace and its error line).
        stdout: the response body.

    Returns:
        In order: ``Request CERT (13)``, any alert but close notify, the HTTP
        status line, curl's error line, and a body line naming a missing
        certificate.
    """
    found = [
        line.rstrip()
        for line in stderr.splitlines()
        if any(p.match(line.rstrip()) for p in _CURL_PATTERNS)
    ]
    found += [line.strip() for line in stdout.splitlines() if _BODY.search(line)][:1]
    return tuple(found)


def s_client_lines(stdout: str, stderr: str = "") -> tuple[str, ...]:
    """The lines of an ``openssl s_client`` run that tell the servers apart.

    Args:
        stdout: s_client's standard output (the session summary and what the
            server sent).
        stderr: its standard error (verification trace, errors).

    Returns:
        In order: the client-CA block (``Acceptable client certificate CA
        names`` with each name, or ``No client certificate CA names sent``),
        ``Requested Signature Algorithms`` (first three, then ``...``),
        ``Client Certificate Types`` (TLS 1.2), the HTTP status line, a body
        line naming a missing certificate, and the alert error without its
        thread id and source location.
    """
    out: list[str] = []
    lines = [line.rstrip() for line in stdout.splitlines()]
    for i, line in enumerate(lines):
        if line == "Acceptable client certificate CA names":
            out.append(line)
            for name in lines[i + 1 :]:
                if not name or name.startswith(
                    ("Requested ", "Client Certificate", "Peer ", "---")
                ):
                    break
                out.append("  " + name)
        elif line.startswith(_S_CLIENT_PLAIN):
            out.append(line)
        elif (m := _SIGALGS.match(line)) is not None:
            algs = m.group(2).split(":")
            shown = ":".join(algs[:3]) + (":..." if len(algs) > 3 else "")
            out.append(f"{m.group(1)}{shown} ({len(algs)} in all)")
        elif _HTTP_STATUS.match(line):
            out.append(line)
    out += [line.strip() for line in lines if _BODY.search(line)][:1]
    for line in stderr.splitlines():
        if (m := _ERROR.match(line.rstrip())) is not None:
            out.append(f"{m.group(1)}:...:{m.group(2)}")
    return tuple(out)


@dataclasses.dataclass(frozen=True)
class ToolView:
    """One tool run against one server, and the lines that matter.

    Attributes:
        tool: ``"curl"`` or ``"openssl s_client"``.
        command: the command line, with the port written ``PORT``.
        run: the finished run (its output holds live values: ports, ids).
        lines: the distinguishing lines, free of live values.
    """

    tool: Tool
    command: str
    run: ToolRun = dataclasses.field(repr=False, compare=False)
    lines: tuple[str, ...]

    def has(self, text: str) -> bool:
        """Whether any distinguishing line contains ``text``."""
        return any(text in line for line in self.lines)


@dataclasses.dataclass(frozen=True)
class Detection:
    """Both tools against one server.

    Attributes:
        kind: which server (a key of :data:`~pkiviz.net.detect_servers.KINDS`).
        version: the TLS version the server was pinned to, ``None`` if not.
        curl: what ``curl -v`` showed.
        s_client: what ``openssl s_client`` showed.
    """

    kind: Kind
    version: Version | None
    curl: ToolView
    s_client: ToolView

    @property
    def certificate_requested(self) -> bool:
        """Both tools saw a CertificateRequest (curl: Request CERT; s_client: sigalgs)."""
        return self.curl.has("Request CERT (13)") and self.s_client.has(
            "Requested Signature Algorithms"
        )

    @property
    def ca_names(self) -> tuple[str, ...]:
        """The acceptable client CA names s_client printed (OpenSSL's one-line form)."""
        return tuple(line.strip() for line in self.s_client.lines if line.startswith("  "))

    @property
    def without_certificate(self) -> str:
        """What happens to a client without a certificate, in words."""
        alert = next((line for line in self.s_client.lines if "SSL alert number" in line), None)
        if alert is not None:
            return "refused by a TLS alert " + alert.rsplit(" ", 1)[1]
        status = next((line for line in self.curl.lines if line.startswith("< HTTP/")), None)
        if status is not None:
            return "answered " + status[2:]
        return "no answer seen"

    @property
    def verdict(self) -> str:
        """What the two tools' lines say about the server."""
        if not self.certificate_requested:
            return "plain HTTPS: no client certificate requested"
        if "alert" in self.without_certificate:
            return "mutual TLS required"
        if self.without_certificate.startswith("answered HTTP/1.1 4"):
            return "certificate asked for optionally; the HTTP request refused"
        return "certificate asked for optionally; served without one"


def _curl_argv(hostname: str, port: int | str) -> list[str]:
    return ["curl", "-v", "-sS", "--max-time", "10", "--resolve", f"{hostname}:{port}:127.0.0.1",
            "--cacert", "root.pem", f"https://{hostname}:{port}/"]  # fmt: skip


def _s_client_argv(hostname: str, port: int | str) -> list[str]:
    return ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", hostname,
            "-CAfile", "root.pem", "-ign_eof"]  # fmt: skip


def _request(hostname: str) -> bytes:
    return f"GET / HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n".encode()


def run_curl(
    port: int,
    *,
    cwd: str | Path,
    hostname: str,
    timeout: float = 20.0,
    cert: tuple[str, str] | None = None,
) -> ToolView:
    """``curl -v`` against ``hostname`` resolved to 127.0.0.1:``port``, trusting ``root.pem``.

    Args:
        port: the server's port.
        cwd: a directory holding ``root.pem``.
        hostname: the name to ask for (SNI, Host, certificate check).
        timeout: seconds before curl is killed.
        cert: a client certificate and key file in ``cwd`` (``--cert``, ``--key``).

    Returns:
        The run and its distinguishing lines.
    """
    extra = ["--cert", cert[0], "--key", cert[1]] if cert else []
    argv = _curl_argv(hostname, port)
    run = run_tool([*argv[:-1], *extra, argv[-1]], cwd=cwd, timeout=timeout)
    shown = _curl_argv(hostname, "PORT")
    command = " ".join([*shown[:-1], *extra, shown[-1]])
    return ToolView("curl", command, run, curl_lines(run.stderr, run.stdout))


def run_s_client(port: int, *, cwd: str | Path, hostname: str, timeout: float = 20.0) -> ToolView:
    """``openssl s_client`` to 127.0.0.1:``port``, sending one HTTP request, reading to the end.

    Args:
        port: the server's port.
        cwd: a directory holding ``root.pem``.
        hostname: the SNI name.
        timeout: seconds before s_client is killed.

    Returns:
        The run and its distinguishing lines.
    """
    run = run_tool(
        _s_client_argv(hostname, port), cwd=cwd, timeout=timeout, input_bytes=_request(hostname)
    )
    command = "printf 'GET / HTTP/1.1 ...' | " + " ".join(_s_client_argv(hostname, "PORT"))
    return ToolView("openssl s_client", command, run, s_client_lines(run.stdout, run.stderr))


def detect(
    kind: Kind,
    example: RunningExample,
    *,
    cwd: str | Path,
    version: Version | None = None,
    timeout: float = 5.0,
) -> Detection:
    """Start one detection server and run both tools against it.

    Args:
        kind: which server.
        example: the certificates; ``cwd`` must hold its ``root.pem``.
        cwd: directory the tools run in.
        version: pin the server to ``"1.2"`` or ``"1.3"``.
        timeout: the server's seconds per socket operation.

    Returns:
        The detection.
    """
    with detection_server(kind, example, version=version, timeout=timeout) as srv:
        curl = run_curl(srv.port, cwd=cwd, hostname=example.hostname)
        s_client = run_s_client(srv.port, cwd=cwd, hostname=example.hostname)
    return Detection(kind, version, curl, s_client)


def detect_all(
    *,
    example: RunningExample | None = None,
    kinds: Sequence[Kind] = tuple(KINDS),
    version: Version | None = None,
) -> tuple[Detection, ...]:
    """Run both tools against each server kind (files in a private temporary directory).

    Args:
        example: the certificates (default: the deterministic running example).
        kinds: which servers, in order.
        version: pin the servers to ``"1.2"`` or ``"1.3"``.

    Returns:
        One detection per kind.
    """
    ex = example if example is not None else running_example()
    with tempfile.TemporaryDirectory(prefix="pkiviz-detect-") as tmp:
        ex.root.pem.write_to_path(Path(tmp) / "root.pem")
        return tuple(detect(k, ex, cwd=tmp, version=version) for k in kinds)


def detection_table(detections: Sequence[Detection]) -> Table:
    """The distinguishing lines, server by server, tool by tool.

    Args:
        detections: from :func:`detect_all`.

    Returns:
        Columns: server, tool, line. A server's and tool's name appear on
        their first row only.
    """
    rows: list[tuple[str, str, str]] = []
    for d in detections:
        first_of_server = True
        for view in (d.curl, d.s_client):
            for i, line in enumerate(view.lines or ("(nothing that tells)",)):
                rows.append(
                    (KINDS[d.kind] if first_of_server else "", view.tool if i == 0 else "", line)
                )
                first_of_server = False
    pinned = detections[0].version if detections else None
    version = f"TLS {pinned}" if pinned else "version negotiated"
    return Table(
        ("server", "tool", "what it prints that tells the servers apart"),
        tuple(rows),
        caption=f"curl -v and openssl s_client, no client certificate, {len(detections)} "
        f"local servers ({version})",
    )


def verdict_table(detections: Sequence[Detection]) -> Table:
    """One row per server: CertificateRequest seen, CA names, fate without a certificate."""
    return Table(
        ("server", "CertificateRequest", "CA names sent", "without a certificate", "verdict"),
        tuple(
            (
                KINDS[d.kind],
                "yes" if d.certificate_requested else "no",
                "; ".join(d.ca_names) or "none",
                d.without_certificate,
                d.verdict,
            )
            for d in detections
        ),
    )
