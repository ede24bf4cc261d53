"""Real ACME on 127.0.0.1: Let's Encrypt's test CA *pebble* and certbot's ``acme`` client.

:func:`pebble` starts pebble (and ``pebble-challtestsrv`` as its DNS server,
answering every name with 127.0.0.1) in a private temporary directory, waits
until its directory URL answers and always stops both, however the block ends::

    with Http01Site() as site, pebble(http_port=site.port) as ca:
        order = order_certificate(ca, "login.example.com", site=site, account_key=key)
    order.statuses        # ('pending', 'ready', 'valid')
    validate(order.certificate, intermediates=order.intermediates,
             trust_anchors=[order.root], peer_name="login.example.com", at=order.at)

:class:`Http01Site` is the applicant's web server: pebble's validation
authority fetches ``http://DOMAIN:<http_port>/.well-known/acme-challenge/TOKEN``
from it. :func:`order_certificate` runs the whole RFC 8555 flow (account,
order, HTTP-01 challenge, finalize with a CSR, download the chain) and returns
an :class:`AcmeOrder`; with ``serve="wrong_token"`` the site answers under a
token of its own choosing and pebble refuses. Pebble picks its keys, names,
serials and times at random on every start; what stays the same from run to
run is in :attr:`AcmeOrder.statuses`, the names and the validation verdict.
This module reads the wall clock (the certificates are issued now).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from pkiviz import _loopback
from pkiviz._loopback import free_port
from pkiviz.errors import InputError
from pkiviz.x509.keys import PrivateKey

WELL_KNOWN = "/.well-known/acme-challenge/"

#: Pebble's switches for a reproducible lesson: answer at once, really validate, never reject a
#: nonce at random, never reuse an earlier authorization.
PEBBLE_ENV = {
    "PEBBLE_VA_NOSLEEP": "1",
    "PEBBLE_VA_ALWAYS_VALID": "0",
    "PEBBLE_WFE_NONCEREJECT": "0",
    "PEBBLE_AUTHZREUSE": "0",
}

Serve = Literal["correct", "wrong_token"]


def available() -> str | None:
    """``None`` when pebble, pebble-challtestsrv and ``acme`` are installed, else what is not."""
    missing = [name for name in ("pebble", "pebble-challtestsrv") if shutil.which(name) is None]
    try:
        import acme.client  # noqa: F401
    except ImportError:
        missing.append("the acme package (pip install 'pkiviz[acme]')")
    return ", ".join(missing) + " not installed" if missing else None


class _Server(_loopback.QuietServer):
    site: Http01Site


class _Handler(_loopback.QuietHandler):
    server: _Server
    timeout = 5.0

    def do_GET(self) -> None:
        site = self.server.site
        site.requests.append((self.headers.get("Host", ""), self.path))
        body = site.files.get(self.path)
        if body is None:
            self.send_body(404, b"not found\n", "text/plain")
        else:
            self.send_body(200, body, "application/octet-stream")


class Http01Site(_loopback.Service):
    """The applicant's web server on 127.0.0.1: serves the files it is given, 404 otherwise.

    Attributes:
        files: path -> body it serves.
        requests: ``(Host header, path)`` of every GET it received, in order.
    """

    role = "site"
    usage = "with Http01Site() as site:"

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []

    def start(self) -> Http01Site:
        """Serve on an ephemeral port of 127.0.0.1.

        Returns:
            ``self``.
        """
        server = _Server((_loopback.HOST, 0), _Handler)
        server.site = self
        self._running = _loopback.serve(server, name="pkiviz-acme-http01", join_timeout=6)
        return self


@dataclasses.dataclass(frozen=True)
class Pebble:
    """A running pebble. No public constructor: use :func:`pebble`.

    Attributes:
        directory_url: the ACME directory (``https://127.0.0.1:<port>/dir``).
        management_url: pebble's management interface (its roots, intermediates).
        tls_trust: the file that authenticates pebble's own HTTPS (a throwaway CA made here).
        http_port: the port pebble's validation authority fetches HTTP-01 answers from.
    """

    directory_url: str
    management_url: str
    tls_trust: Path
    http_port: int

    def _get(self, path: str) -> bytes:
        context = ssl.create_default_context(cafile=str(self.tls_trust))
        with urllib.request.urlopen(self.management_url + path, context=context, timeout=5) as r:
            body: bytes = r.read()
            return body

    def root(self) -> x509.Certificate:
        """Pebble's issuing root, made at random when it started (``/roots/0``)."""
        return x509.load_pem_x509_certificate(self._get("/roots/0"))


def _pebble_tls(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1/localhost, for pebble's own HTTPS."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pkiviz pebble HTTPS CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(_HOST))]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "tls-ca.pem", directory / "tls-cert.pem", directory / "tls-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


_HOST = _loopback.HOST

#: How many times :func:`pebble` starts afresh when a port it chose was taken meanwhile.
START_ATTEMPTS = 3
_PORT_TAKEN = "address already in use"


@contextlib.contextmanager
def pebble(*, http_port: int, timeout: float = 20.0) -> Iterator[Pebble]:
    """Pebble on 127.0.0.1, resolving every domain to 127.0.0.1, for the length of the block.

    Args:
        http_port: where pebble's validation authority fetches HTTP-01 answers
            (the port of an :class:`Http01Site`; real ACME uses 80).
        timeout: seconds to wait for the directory to answer.

    Yields:
        The running :class:`Pebble`.

    Raises:
        InputError: if pebble or pebble-challtestsrv is missing, exits, or
            does not answer within ``timeout`` (its output is in the message).
    """
    if shutil.which("pebble") is None or shutil.which("pebble-challtestsrv") is None:
        raise InputError("pebble: not installed (apt-get install pebble)")
    for attempt in range(1, START_ATTEMPTS + 1):
        with contextlib.ExitStack() as stack:
            try:
                ca = _start(stack, http_port=http_port, timeout=timeout)
            except InputError as exc:
                # A port free_port() found free a moment ago can be taken before pebble binds
                # it (it lies in the kernel's ephemeral range): start again on fresh ports.
                if _PORT_TAKEN in str(exc) and attempt < START_ATTEMPTS:
                    continue
                raise
            yield ca
            return


def _start(stack: contextlib.ExitStack, *, http_port: int, timeout: float) -> Pebble:
    """Start pebble-challtestsrv and pebble on fresh ports; ``stack`` stops them."""
    work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pkiviz-pebble-")))
    trust, cert, key = _pebble_tls(work)
    dns, acme_port, management = free_port(), free_port(), free_port()
    (work / "pebble.json").write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"{_HOST}:{acme_port}",
                    "managementListenAddress": f"{_HOST}:{management}",
                    "certificate": str(cert),
                    "privateKey": str(key),
                    "httpPort": http_port,
                    "tlsPort": free_port(),
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    resolver = [
        "pebble-challtestsrv",
        *("-defaultIPv4", _HOST, "-defaultIPv6", ""),
        *("-dns01", f"{_HOST}:{dns}", "-management", f"{_HOST}:{free_port()}"),
        *("-http01", "", "-https01", "", "-tlsalpn01", ""),
    ]
    server = ["pebble", "-config", str(work / "pebble.json"), "-dnsserver", f"{_HOST}:{dns}"]
    env = {**os.environ, **PEBBLE_ENV}
    logs = []
    for name, command in (("challtestsrv", resolver), ("pebble", server)):
        log = stack.enter_context((work / f"{name}.log").open("wb"))
        logs.append(work / f"{name}.log")
        proc = subprocess.Popen(command, cwd=work, env=env, stdout=log, stderr=log)
        stack.callback(_stop, proc)
    ca = Pebble(
        directory_url=f"https://{_HOST}:{acme_port}/dir",
        management_url=f"https://{_HOST}:{management}",
        tls_trust=trust,
        http_port=http_port,
    )
    _wait_for(ca, proc, timeout, logs)
    return ca


def _wait_for(ca: Pebble, proc: subprocess.Popen[bytes], timeout: float, logs: list[Path]) -> None:
    context = ssl.create_default_context(cafile=str(ca.tls_trust))
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(ca.directory_url, context=context, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            said = " / ".join(
                line for log in logs for line in log.read_text(errors="replace").splitlines()[-3:]
            )
            raise InputError(f"pebble did not start: {said or 'no output'}")
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.kill()
    proc.wait(10)


@dataclasses.dataclass(frozen=True)
class AcmeOrder:
    """One ACME order, from account to chain (or to the refusal). Made by :func:`order_certificate`.

    Attributes:
        domain: the name ordered.
        statuses: the order's status after it was placed, after the challenge and after
            finalization (RFC 8555 7.1.6): ``('pending', 'ready', 'valid')`` when issued,
            ``('pending', 'invalid')`` when the challenge failed.
        challenge_status: the HTTP-01 challenge's final status (``valid``/``invalid``).
        error_type: the ACME error of a failed challenge (``urn:ietf:params:acme:error:...``).
        error_detail: pebble's own words for it (they vary; show them, don't compare them).
        token: pebble's random token; ``key_authorization``: what the site had to serve.
        requests: ``(Host header, path)`` of the fetches the site saw from pebble.
        chain_pem: the downloaded chain (leaf first), empty when refused.
        root: pebble's root, fetched from its management interface.
        at: when the order finished (wall clock): validate the chain at this time.
    """

    domain: str
    statuses: tuple[str, ...]
    challenge_status: str
    error_type: str | None
    error_detail: str | None
    token: str
    key_authorization: str
    requests: tuple[tuple[str, str], ...]
    chain_pem: bytes
    root: x509.Certificate
    at: dt.datetime

    @property
    def issued(self) -> bool:
        """Whether a certificate came back."""
        return bool(self.chain_pem)

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The downloaded chain, leaf first."""
        return tuple(x509.load_pem_x509_certificates(self.chain_pem)) if self.chain_pem else ()

    @property
    def certificate(self) -> x509.Certificate:
        """The issued leaf.

        Raises:
            InputError: when the order was refused.
        """
        if not self.chain_pem:
            raise InputError(f"no certificate: the order for {self.domain} ended {self.statuses}")
        return self.chain[0]

    @property
    def intermediates(self) -> tuple[x509.Certificate, ...]:
        """The rest of the chain."""
        return self.chain[1:]


def order_certificate(
    ca: Pebble,
    domain: str,
    *,
    site: Http01Site,
    account_key: PrivateKey,
    certificate_key: PrivateKey | None = None,
    serve: Serve = "correct",
    timeout: float = 20.0,
) -> AcmeOrder:
    """Order a certificate for ``domain`` from pebble with certbot's ``acme`` client.

    New account, new order, the HTTP-01 challenge answered by ``site``, finalize
    with a CSR, download the chain (RFC 8555 7.3-7.4, 8.3).

    Args:
        ca: the running pebble.
        domain: the name to order.
        site: the applicant's web server (on ``ca.http_port``).
        account_key: the ACME account key (an EC P-256 key; it signs every request).
        certificate_key: the key the certificate is for (default: a fresh P-256 key).
        serve: ``"correct"`` serves the key authorization at the token's path;
            ``"wrong_token"`` serves it under a token of the site's own choosing.
        timeout: seconds to wait for the challenge and for finalization.

    Returns:
        The :class:`AcmeOrder`; a refused challenge is a result, not an exception.

    Raises:
        InputError: if the ``acme`` package is missing or pebble misbehaves.
        TypeError: if ``account_key`` is not an EC P-256 key.
    """
    try:
        from acme import challenges, client, messages
        from acme import crypto_util as acme_crypto
        from josepy.jwa import ES256
        from josepy.jwk import JWKEC
    except ImportError as missing:  # pragma: no cover - the optional extra
        raise InputError(
            "the acme package is not installed: pip install 'pkiviz[acme]'"
        ) from missing
    if not (isinstance(account_key, ec.EllipticCurvePrivateKey) and account_key.key_size == 256):
        raise TypeError("account_key must be an EC P-256 key (ES256)")
    net = client.ClientNetwork(
        JWKEC(key=account_key),
        alg=ES256,
        verify_ssl=str(ca.tls_trust),  # type: ignore[arg-type]  # requests takes a CA file
        user_agent="pkiviz",
    )
    acme = client.ClientV2(client.ClientV2.get_directory(ca.directory_url, net), net)
    acme.new_account(messages.NewRegistration.from_data(terms_of_service_agreed=True))
    leaf_key = certificate_key or ec.generate_private_key(ec.SECP256R1())
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    order = acme.new_order(acme_crypto.make_csr(key_pem, [domain]))
    statuses = [order.body.status.name]
    (authz,) = order.authorizations
    http01 = next(c for c in authz.body.challenges if isinstance(c.chall, challenges.HTTP01))
    response, key_authorization = http01.response_and_validation(net.key)
    token = http01.chall.encode("token")
    path = http01.chall.path if serve == "correct" else WELL_KNOWN + "someone-elses-token"
    site.files[path] = key_authorization.encode("ascii")
    acme.answer_challenge(http01, response)
    deadline = time.monotonic() + timeout
    while True:
        authz, _ = acme.poll(authz)
        if authz.body.status.name not in ("pending", "processing"):
            break
        if time.monotonic() > deadline:
            raise InputError(f"pebble did not decide the challenge within {timeout} s")
        time.sleep(0.05)
    (done,) = [c for c in authz.body.challenges if isinstance(c.chall, challenges.HTTP01)]
    failure = done.error
    # The order's status after the challenge: a POST-as-GET (RFC 8555 6.3) through the client's
    # public network object, as ClientV2 does internally.
    again = acme.net.post(order.uri, None, new_nonce_url=acme.directory.newNonce)
    order = order.update(body=messages.Order.from_json(again.json()))
    statuses.append(order.body.status.name)
    chain = b""
    if order.body.status.name == "ready":
        order = acme.finalize_order(order, dt.datetime.now() + dt.timedelta(seconds=timeout))
        statuses.append(order.body.status.name)
        chain = order.fullchain_pem.encode("ascii")
    return AcmeOrder(
        domain=domain,
        statuses=tuple(statuses),
        challenge_status=done.status.name,
        error_type=failure.typ if failure is not None else None,
        error_detail=failure.detail if failure is not None else None,
        token=token,
        key_authorization=key_authorization,
        requests=tuple(site.requests),
        chain_pem=chain,
        root=ca.root(),
        at=dt.datetime.now(dt.UTC),
    )


__all__ = [
    "PEBBLE_ENV",
    "AcmeOrder",
    "Http01Site",
    "Pebble",
    "available",
    "order_certificate",
    "pebble",
]
