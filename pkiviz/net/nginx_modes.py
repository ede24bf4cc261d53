"""nginx's ``ssl_verify_client`` modes, each tried with curl, ``openssl s_client`` and the probe.

For each configuration :func:`try_nginx` starts the real nginx
(:mod:`pkiviz.net.nginx`) and runs against it: ``curl -v`` without a client
certificate, with Alice's, and with a stranger's (Alice's name from a CA
nginx does not trust); ``openssl s_client`` without one; and
:func:`pkiviz.net.probe.probe` without one. :func:`nginx_table` keeps the facts
(CertificateRequest seen, CA names, HTTP status and ``$ssl_client_verify``)
free of the tools' own words, so a chapter can compare it on every run.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path

from pkiviz.net.detect import ToolView, run_curl, run_s_client
from pkiviz.net.nginx import CaDirective, VerifyClient, nginx_server
from pkiviz.net.probe import ProbeResult, probe
from pkiviz.table import Table
from pkiviz.x509.example import RunningExample

#: The configurations the chapter compares: each mode, and the two ways to name the CA.
NGINX_CONFIGS: tuple[tuple[VerifyClient, CaDirective | None], ...] = (
    ("off", None),
    ("on", "ssl_client_certificate"),
    ("optional", "ssl_client_certificate"),
    ("optional_no_ca", "ssl_client_certificate"),
    ("optional_no_ca", "ssl_trusted_certificate"),
)

_TITLES = {
    "No required SSL certificate was sent": "no certificate",
    "The SSL certificate error": "certificate error",
}
_TITLE = re.compile(r"<title>\d{3} (.*?)</title>")
_VERIFY = re.compile(r"^verify=([A-Z]+)")


@dataclasses.dataclass(frozen=True)
class NginxTrial:
    """One nginx configuration and what each client made of it.

    Attributes:
        verify_client: the value of ``ssl_verify_client``.
        ca: the directive naming ``client-root.pem`` (``None``: neither).
        config: nginx.conf as run, with the port written ``PORT``.
        without: ``curl -v`` without a client certificate.
        alice: ``curl -v`` with Alice's certificate.
        stranger: ``curl -v`` with a certificate from a CA nginx does not trust.
        s_client: ``openssl s_client`` without a client certificate.
        probe: :func:`~pkiviz.net.probe.probe` without a client certificate.
    """

    verify_client: VerifyClient
    ca: CaDirective | None
    config: str
    without: ToolView
    alice: ToolView
    stranger: ToolView
    s_client: ToolView
    probe: ProbeResult = dataclasses.field(repr=False, compare=False)

    @property
    def setting(self) -> str:
        """The two directives, as in nginx.conf."""
        ca = f" {self.ca} client-root.pem;" if self.ca else ""
        return f"ssl_verify_client {self.verify_client};{ca}"


def answer(view: ToolView) -> str:
    """What a curl run got, in facts: ``400 (no certificate)``, ``200, verify=SUCCESS``...

    Args:
        view: a :func:`~pkiviz.net.detect.run_curl` run against :func:`nginx_server`.

    Returns:
        The HTTP status and, for a refusal, which of nginx's two certificate
        pages; for a page, the first word of ``$ssl_client_verify``
        (``NONE``, ``SUCCESS``, ``FAILED``). ``curl exit N`` if no answer came.
    """
    status = re.search(r"^< HTTP/[\d.]+ (\d{3})", view.run.stderr, re.MULTILINE)
    if status is None:
        return f"curl exit {view.run.returncode}"
    title = _TITLE.search(view.run.stdout)
    if title is not None:
        return f"{status.group(1)} ({_TITLES.get(title.group(1), 'another page')})"
    verify = _VERIFY.match(view.run.stdout)
    return f"{status.group(1)}, verify={verify.group(1) if verify else '?'}"


def _probe_says(result: ProbeResult) -> str:
    if not result.client_certificate_requested:
        return "not requested"
    names = result.acceptable_client_ca_names
    if not names:
        return "requested; no CA names"
    return "requested; CA " + "; ".join(n.split(",")[0].removeprefix("CN=") for n in names)


def _s_client_says(view: ToolView) -> str:
    names = [line.strip() for line in view.lines if line.startswith("  ")]
    if names:
        return f"{len(names)} CA name{'s' if len(names) > 1 else ''}"
    if view.has("No client certificate CA names sent"):
        return "no CA names"
    return "?"


def try_nginx(
    example: RunningExample,
    *,
    cwd: str | Path,
    verify_client: VerifyClient,
    ca: CaDirective | None,
) -> NginxTrial:
    """Start nginx with one configuration and run every client against it.

    Args:
        example: the certificates.
        cwd: a directory holding ``root.pem``, ``client.pem``/``client.key`` and
            ``stranger.pem``/``stranger.key``.
        verify_client: the value of ``ssl_verify_client``.
        ca: the directive naming the client-authentication root.

    Returns:
        The trial.
    """
    host = example.hostname
    with nginx_server(example, verify_client=verify_client, ca=ca) as srv:
        without = run_curl(srv.port, cwd=cwd, hostname=host)
        alice = run_curl(srv.port, cwd=cwd, hostname=host, cert=("client.pem", "client.key"))
        stranger = run_curl(srv.port, cwd=cwd, hostname=host, cert=("stranger.pem", "stranger.key"))
        s_client = run_s_client(srv.port, cwd=cwd, hostname=host)
        probed = probe("127.0.0.1", srv.port, servername=host, trust=[str(Path(cwd) / "root.pem")])
        config = srv.config.replace(f"127.0.0.1:{srv.port}", "127.0.0.1:PORT")
    return NginxTrial(verify_client, ca, config, without, alice, stranger, s_client, probed)


def try_nginx_configs(
    example: RunningExample,
    *,
    cwd: str | Path,
    configs: Sequence[tuple[VerifyClient, CaDirective | None]] = NGINX_CONFIGS,
) -> tuple[NginxTrial, ...]:
    """:func:`try_nginx` for each configuration, in order."""
    return tuple(try_nginx(example, cwd=cwd, verify_client=v, ca=ca) for v, ca in configs)


def nginx_table(trials: Sequence[NginxTrial]) -> Table:
    """One row per configuration: what each tool reported, as facts.

    Args:
        trials: from :func:`try_nginx_configs`.

    Returns:
        Columns: the configuration; curl's ``Request CERT``; s_client's CA
        names; the probe's verdict on the request; and the HTTP answer to curl
        without a certificate, with Alice's and with a stranger's.
    """
    return Table(
        (
            "ssl_verify_client",
            "CA file named by",
            "curl -v: Request CERT",
            "s_client",
            "pkiviz probe",
            "curl, no certificate",
            "curl, Alice's",
            "curl, a stranger's",
        ),
        tuple(
            (
                t.verify_client,
                t.ca or "-",
                "yes" if t.without.has("Request CERT (13)") else "no",
                _s_client_says(t.s_client),
                _probe_says(t.probe),
                answer(t.without),
                answer(t.alice),
                answer(t.stranger),
            )
            for t in trials
        ),
        caption="the real nginx on 127.0.0.1 (TLS 1.3); stranger: Alice's name, an unknown CA",
    )


__all__ = [
    "NGINX_CONFIGS",
    "NginxTrial",
    "answer",
    "nginx_table",
    "try_nginx",
    "try_nginx_configs",
]
