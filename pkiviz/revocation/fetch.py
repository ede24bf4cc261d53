"""Fetch CRLs and OCSP responses over HTTP, bounded in time and size, loopback only by default.

This is the network side of revocation: :func:`fetch` is the real
:class:`~pkiviz.revocation.fetcher.Fetcher` that the CLI and the book pass to
the validator, which itself opens no socket. The record it returns, the URLs
a certificate names and the CRL/OCSP requests live in
:mod:`pkiviz.revocation.fetcher` (no I/O) and are re-exported here.

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

import http.client
import ipaddress
import time
import urllib.parse
from typing import Literal

from cryptography import x509

from pkiviz.revocation.fetcher import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    Fetched,
    Outcome,
    crl_from,
    crl_url_of,
    ocsp_from,
    ocsp_url_of,
)
from pkiviz.x509.factory import Issued


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


def fetch_crl(
    source: Issued | x509.Certificate | str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_network: bool = False,
) -> Fetched:
    """Fetch over HTTP the CRL a certificate's CRL distribution point names (or a URL).

    Args:
        source: a certificate, or the URL itself.
        timeout: bound on the exchange, seconds.
        max_bytes: bound on the body.
        allow_network: allow hosts outside 127.0.0.0/8.

    Returns:
        ``fetched`` with ``.crl`` set (DER or PEM), or why not.
    """
    return crl_from(
        fetch, source, timeout=timeout, max_bytes=max_bytes, allow_network=allow_network
    )


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
    """Ask over HTTP the OCSP responder in ``cert``'s AIA (or ``url``) about ``cert``.

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
    return ocsp_from(
        fetch,
        cert,
        issuer,
        url=url,
        method=method,
        nonce=nonce,
        timeout=timeout,
        max_bytes=max_bytes,
        allow_network=allow_network,
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
