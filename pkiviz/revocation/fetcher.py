"""Asking for a CRL or an OCSP response through a fetcher the caller passes in: no I/O here.

The validator never opens a socket. When it is told to fetch revocation
answers it calls a :class:`Fetcher`, a function the caller hands it that
takes a URL (and for OCSP by POST a request body), is bounded by a timeout
and a size, and returns a :class:`Fetched`: the body, or why there is none.
The real one is :func:`pkiviz.revocation.fetch.fetch` (plain HTTP, loopback
only unless ``allow_network=True``); a test or a reader can pass a function
that answers from a dict.

This module holds what does not touch the network: the record a fetch
returns, the URLs a certificate names (:func:`crl_url_of`,
:func:`ocsp_url_of`), and :func:`crl_from` / :func:`ocsp_from`, which build
the request, call the fetcher and parse what came back.

Every outcome a :class:`Fetched` can have:

========== ==========================================================
fetched    HTTP 200 and the body parses as what was asked for
refused    the fetcher would not connect (a non-loopback host without
           ``allow_network=True``, or a URL that is not ``http://``)
unreachable nothing accepted the connection (the responder is down)
timed_out  no complete answer within ``timeout`` seconds in total
too_large  the body is bigger than ``max_bytes``
http_error a status other than 200
junk       HTTP 200, but the body is not a CRL / OCSP response
========== ==========================================================
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Literal, Protocol

from cryptography import x509
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from pkiviz.revocation._common import certificate_of, html_table
from pkiviz.revocation.ocsp import build_ocsp_request
from pkiviz.x509.factory import Issued

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


class Fetcher(Protocol):
    """What the validator calls to fetch a CRL or an OCSP response: one request, bounded.

    :func:`pkiviz.revocation.fetch.fetch` is one. A fetcher never raises for
    what the network or the server did: it returns a :class:`Fetched` whose
    ``outcome`` says what happened (``fetched`` with the ``body``, or why not).
    """

    def __call__(
        self,
        url: str,
        *,
        method: Literal["GET", "POST"] = "GET",
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        allow_network: bool = False,
    ) -> Fetched:
        """Make one request within ``timeout`` seconds, reading at most ``max_bytes``.

        Args:
            url: the URL from the certificate.
            method: ``"GET"`` or ``"POST"``.
            body: the request body for POST.
            content_type: its Content-Type.
            timeout: bound on the whole exchange, in seconds.
            max_bytes: bound on the body.
            allow_network: whether hosts outside 127.0.0.0/8 may be reached.

        Returns:
            ``fetched`` with the body (not interpreted), or why not.
        """
        ...


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


def crl_from(
    fetcher: Fetcher,
    source: Issued | x509.Certificate | str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_network: bool = False,
) -> Fetched:
    """Fetch, through ``fetcher``, the CRL a certificate's CRL distribution point names.

    Args:
        fetcher: makes the request (:func:`pkiviz.revocation.fetch.fetch` over HTTP).
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
    got = fetcher(url, timeout=timeout, max_bytes=max_bytes, allow_network=allow_network)
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


def _url_safe(text: str) -> str:
    """Percent-encode base64 for a URL path segment (what ``quote(text, safe="")`` does to it)."""
    return text.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")


def ocsp_from(
    fetcher: Fetcher,
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
    """Ask, through ``fetcher``, the OCSP responder in ``cert``'s AIA (or ``url``) about ``cert``.

    The response is fetched, not judged: pass ``.body`` to
    :func:`pkiviz.revocation.ocsp.check_ocsp`.

    Args:
        fetcher: makes the request (:func:`pkiviz.revocation.fetch.fetch` over HTTP).
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
        encoded = _url_safe(base64.b64encode(request).decode("ascii"))
        got = fetcher(
            target.rstrip("/") + "/" + encoded,
            timeout=timeout,
            max_bytes=max_bytes,
            allow_network=allow_network,
        )
    else:
        got = fetcher(
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
    "Fetcher",
    "Outcome",
    "crl_from",
    "crl_url_of",
    "ocsp_from",
    "ocsp_url_of",
]
