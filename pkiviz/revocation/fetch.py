"""Fetch CRLs and OCSP responses over HTTP, bounded in time and size, loopback only by default.

Every function returns a :class:`Fetched` with an explicit ``outcome`` and
never raises for what the network or the server did:

========== ==========================================================
fetched    HTTP 200 and the body parses as what was asked for
refused    pkiviz would not connect (a non-loopback host without
           ``allow_network=True``, or a URL that is not ``http://``)
unreachable nothing accepted the connection (the responder is down)
timed_out  no complete answer within ``timeout`` seconds in total
too_large  the body is bigger than ``max_bytes``
http_error a status other than 200
junk       HTTP 200, but the body is not a CRL / OCSP response
========== ==========================================================

CRLs and OCSP travel over plain HTTP on purpose: they are signed, and
fetching them over HTTPS would need revocation checking to check revocation
(RFC 5280 4.2.1.13, RFC 6960 A.1).
"""

from __future__ import annotations

import base64
import dataclasses
import http.client
import ipaddress
import time
import urllib.parse
from typing import Literal

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from pkiviz.factory import Issued
from pkiviz.revocation._common import certificate_of, html_table
from pkiviz.revocation.ocsp import build_ocsp_request

Outcome = Literal[
    "fetched", "refused", "unreachable", "timed_out", "too_large", "http_error", "junk"
]

#: Default bound on the whole exchange, in seconds.
DEFAULT_TIMEOUT = 2.0
#: Default bound on the body, in bytes (1 MiB).
DEFAULT_MAX_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class Fetched:
    """The outcome of one fetch.

    Attributes:
        url: what was fetched.
        outcome: see the module docstring.
        message: one plain-English sentence.
        http_status: the HTTP status code, if a response arrived.
        content_type: its Content-Type, if any.
        body: the body (empty unless a whole body within the limit arrived).
        crl: the parsed CRL, for a fetched CRL.
        ocsp_response: the parsed response, for a fetched OCSP response.
    """

    url: str
    outcome: Outcome
    message: str
    http_status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    crl: x509.CertificateRevocationList | None = None
    ocsp_response: ocsp.OCSPResponse | None = None

    @property
    def ok(self) -> bool:
        """Whether the outcome is ``fetched``."""
        return self.outcome == "fetched"

    def __str__(self) -> str:
        return f"{self.outcome}: {self.message}"

    def _repr_html_(self) -> str:
        return html_table(
            f"fetch {self.url}",
            [
                ("outcome", self.outcome),
                ("message", self.message),
                ("HTTP status", "-" if self.http_status is None else str(self.http_status)),
                ("bytes", str(len(self.body))),
            ],
        )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _refusal(url: str, allow_network: bool) -> tuple[str, int, str] | Fetched:
    """Split ``url`` into (host, port, path) or return why pkiviz will not fetch it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        return Fetched(
            url,
            "refused",
            f"pkiviz fetches only http:// URLs with a host, not {url!r} "
            "(CRLs and OCSP are signed, so they travel over plain HTTP)",
        )
    host = parts.hostname
    if not allow_network and not _loopback(host):
        return Fetched(
            url,
            "refused",
            f"not fetching {url}: {host} is not on 127.0.0.0/8, and pkiviz stays on this "
            "machine unless you pass allow_network=True",
        )
    try:
        port = parts.port or 80
    except ValueError:
        return Fetched(url, "refused", f"{url!r} has an invalid port")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return ("127.0.0.1" if host == "localhost" else host), port, path


def fetch(
    url: str,
    *,
    method: Literal["GET", "POST"] = "GET",
    body: bytes | None = None,
    content_type: str | None = None,
    host_header: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_network: bool = False,
) -> Fetched:
    """Make one HTTP request within ``timeout`` seconds in total and read at most ``max_bytes``.

    Args:
        url: an ``http://`` URL.
        method: ``"GET"`` or ``"POST"``.
        body: the request body for POST.
        content_type: its Content-Type.
        host_header: a Host header to send instead of the URL's host (as a
            client that resolved a name to this address would).
        timeout: bound on the whole exchange, in seconds.
        max_bytes: bound on the body.
        allow_network: allow hosts outside 127.0.0.0/8.

    Returns:
        ``fetched`` for HTTP 200 (body not interpreted), or why not.
    """
    split = _refusal(url, allow_network)
    if isinstance(split, Fetched):
        return split
    host, port, path = split
    deadline = time.monotonic() + timeout
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Connection": "close", "Accept": "*/*"}
        if content_type:
            headers["Content-Type"] = content_type
        if host_header:
            headers["Host"] = host_header
        conn.request(method, path, body=body, headers=headers)
        if conn.sock is not None:
            conn.sock.settimeout(max(deadline - time.monotonic(), 0.001))
        response = conn.getresponse()
        declared = response.getheader("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            return Fetched(
                url,
                "too_large",
                f"the server announced {int(declared)} bytes; the limit is {max_bytes}",
                response.status,
                response.getheader("Content-Type"),
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if conn.sock is not None:
                conn.sock.settimeout(remaining)
            chunk = response.read1(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                return Fetched(
                    url,
                    "too_large",
                    f"the body passed the {max_bytes}-byte limit; pkiviz stopped reading",
                    response.status,
                    response.getheader("Content-Type"),
                )
            chunks.append(chunk)
        data = b"".join(chunks)
        ctype = response.getheader("Content-Type")
        if response.status != 200:
            return Fetched(
                url,
                "http_error",
                f"HTTP {response.status} {response.reason}",
                response.status,
                ctype,
                data,
            )
        return Fetched(url, "fetched", f"{len(data)} bytes", 200, ctype, data)
    except TimeoutError:
        return Fetched(
            url, "timed_out", f"no complete answer from {host}:{port} within {timeout:g} s"
        )
    except ConnectionRefusedError:
        return Fetched(url, "unreachable", f"connection refused: nothing listens at {host}:{port}")
    except (OSError, http.client.HTTPException) as exc:
        return Fetched(
            url,
            "unreachable",
            f"no usable HTTP answer from {host}:{port}: {type(exc).__name__} {exc}".strip(),
        )
    finally:
        conn.close()


def _first_uri(values: list[x509.GeneralName]) -> str | None:
    for value in values:
        if isinstance(value, x509.UniformResourceIdentifier):
            return value.value
    return None


def crl_url_of(cert: Issued | x509.Certificate) -> str | None:
    """The first URI of a certificate's CRL distribution points, if any."""
    try:
        points = (
            certificate_of(cert)
            .extensions.get_extension_for_class(x509.CRLDistributionPoints)
            .value
        )
    except x509.ExtensionNotFound:
        return None
    for point in points:
        url = _first_uri(list(point.full_name or []))
        if url:
            return url
    return None


def ocsp_url_of(cert: Issued | x509.Certificate) -> str | None:
    """The OCSP responder URL in a certificate's Authority Information Access, if any."""
    try:
        aia = (
            certificate_of(cert)
            .extensions.get_extension_for_class(x509.AuthorityInformationAccess)
            .value
        )
    except x509.ExtensionNotFound:
        return None
    for access in aia:
        if access.access_method == AuthorityInformationAccessOID.OCSP:
            return _first_uri([access.access_location])
    return None


def _no_url(what: str) -> Fetched:
    return Fetched("", "refused", f"the certificate names no {what} URL")


def fetch_crl(
    source: Issued | x509.Certificate | str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_network: bool = False,
) -> Fetched:
    """Fetch the CRL a certificate's CRL distribution point names (or a URL).

    Args:
        source: a certificate, or the URL itself.
        timeout: bound on the exchange, seconds.
        max_bytes: bound on the body.
        allow_network: allow hosts outside 127.0.0.0/8.

    Returns:
        ``fetched`` with ``.crl`` set (DER or PEM), or why not.
    """
    url = source if isinstance(source, str) else crl_url_of(source)
    if url is None:
        return _no_url("CRL distribution point")
    got = fetch(url, timeout=timeout, max_bytes=max_bytes, allow_network=allow_network)
    if not got.ok:
        return got
    try:
        if got.body.lstrip().startswith(b"-----BEGIN"):
            crl = x509.load_pem_x509_crl(got.body)
        else:
            crl = x509.load_der_x509_crl(got.body)
    except ValueError:
        return dataclasses.replace(
            got,
            outcome="junk",
            message=f"HTTP 200, but the {len(got.body)} bytes are not a CRL",
        )
    return dataclasses.replace(got, crl=crl, message=f"a CRL of {len(got.body)} bytes")


def fetch_ocsp(
    cert: Issued | x509.Certificate,
    issuer: Issued | x509.Certificate,
    *,
    url: str | None = None,
    method: Literal["GET", "POST"] = "POST",
    nonce: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_network: bool = False,
) -> Fetched:
    """Ask the OCSP responder in ``cert``'s AIA (or ``url``) about ``cert``.

    The response is fetched, not judged: pass ``.body`` to
    :func:`pkiviz.revocation.ocsp.check_ocsp`.

    Args:
        cert: the certificate asked about.
        issuer: its issuer.
        url: the responder URL; default: the certificate's AIA OCSP URL.
        method: ``"POST"`` (application/ocsp-request) or ``"GET"`` (the
            request base64- and URL-encoded onto the path, RFC 6960 A.1).
        nonce: an OCSP nonce to send.
        timeout: bound on the exchange, seconds.
        max_bytes: bound on the body.
        allow_network: allow hosts outside 127.0.0.0/8.

    Returns:
        ``fetched`` with ``.ocsp_response`` set, or why not.
    """
    target = url or ocsp_url_of(cert)
    if target is None:
        return _no_url("OCSP responder")
    request = build_ocsp_request(cert, issuer, nonce=nonce).der
    if method == "GET":
        encoded = urllib.parse.quote(base64.b64encode(request).decode("ascii"), safe="")
        got = fetch(
            target.rstrip("/") + "/" + encoded,
            timeout=timeout,
            max_bytes=max_bytes,
            allow_network=allow_network,
        )
    else:
        got = fetch(
            target,
            method="POST",
            body=request,
            content_type="application/ocsp-request",
            timeout=timeout,
            max_bytes=max_bytes,
            allow_network=allow_network,
        )
    if not got.ok:
        return got
    try:
        parsed = ocsp.load_der_ocsp_response(got.body)
    except ValueError:
        return dataclasses.replace(
            got,
            outcome="junk",
            message=f"HTTP 200, but the {len(got.body)} bytes are not an OCSP response",
        )
    return dataclasses.replace(
        got, ocsp_response=parsed, message=f"an OCSP response of {len(got.body)} bytes"
    )


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "Fetched",
    "Outcome",
    "crl_url_of",
    "fetch",
    "fetch_crl",
    "fetch_ocsp",
    "ocsp_url_of",
]
