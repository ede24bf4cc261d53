"""A real CRL and OCSP server for one CA, on 127.0.0.1, in a background thread.

::

    with Responder(ca) as responder:
        leaf = responder.issue_server("login.example.com")   # URLs point here
        responder.revoke(leaf, at=..., reason="key_compromise")
        fetch_ocsp(leaf, ca)      # a real HTTP POST to 127.0.0.1:<port>/ocsp

It serves the CA's CRL (DER, ``application/pkix-crl``) at :attr:`crl_url` and
answers OCSP requests at :attr:`ocsp_url`, by POST (``application/ocsp-request``)
and by GET (base64 on the path, RFC 6960 A.1). Knobs simulate the failures
clients must survive: ``"down"`` (connection refused), ``"slow"`` (answers
after the client gave up), ``"junk"`` (HTTP 200 with an HTML page) and
``"http_error"`` (HTTP 503).

This is live code: unless given ``at=``, it stamps CRLs and responses with the
wall clock. The server always shuts down when the ``with`` block ends, and
its sockets time out, so nothing can hang a test for long.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as _dt
import sys
import threading
import urllib.parse
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509 import ocsp

from pkiviz import _loopback, clock
from pkiviz.revocation._common import cert_id_hashes, certificate_of
from pkiviz.revocation.crl import BuiltCrl, RevokedEntry, build_crl
from pkiviz.revocation.ocsp import (
    DEFAULT_OCSP_LIFETIME,
    BuiltOcspResponse,
    CertStatusName,
    build_ocsp_error,
    build_ocsp_response,
)
from pkiviz.x509.factory import CertOptions, Issued
from pkiviz.x509.parse import serial_number
from pkiviz.x509.spec import CertSpec

if TYPE_CHECKING or sys.version_info >= (3, 11):
    from typing import Unpack  # annotations only: Python 3.10 never evaluates them

Behaviour = Literal["ok", "slow", "junk", "http_error", "down"]

#: What a "junk" responder sends with HTTP 200: an error page, as a misconfigured proxy would.
JUNK_BODY = b"<html><body><h1>Service Temporarily Unavailable</h1></body></html>\n"

#: Socket timeout on the server side, seconds.
SERVER_SOCKET_TIMEOUT = 5.0

CRL_PATH = "/crl/ca.crl"
OCSP_PATH = "/ocsp"


def answer_ocsp(
    request_der: bytes,
    ca: Issued,
    *,
    at: _dt.datetime,
    revoked: Iterable[RevokedEntry] = (),
    issued: frozenset[int] | None = None,
    signer: Issued | None = None,
    lifetime: _dt.timedelta = DEFAULT_OCSP_LIFETIME,
) -> BuiltOcspResponse:
    """What the responder answers to one request: the pure part of the server.

    Args:
        request_der: the DER OCSPRequest.
        ca: the CA the responder answers for.
        at: thisUpdate (and producedAt) of the answer.
        revoked: the CA's revoked certificates.
        issued: serials the CA issued; others get ``unknown``. ``None``
            answers ``good`` for every serial not revoked.
        signer: a delegated responder; ``None`` signs with the CA's key.
        lifetime: nextUpdate - thisUpdate.

    Returns:
        A signed answer, or an unsuccessful response (``malformed_request``
        for unparsable bytes, ``unauthorized`` for another CA's certificate).
    """
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        serial = request.serial_number
        name_hash, key_hash = cert_id_hashes(ca.certificate, request.hash_algorithm.name)
        asked = (request.issuer_name_hash, request.issuer_key_hash)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return build_ocsp_error("malformed_request")
    if asked != (name_hash, key_hash):
        return build_ocsp_error("unauthorized")
    try:
        nonce: bytes | None = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except (x509.ExtensionNotFound, ValueError):
        nonce = None
    entry = {e.serial: e for e in revoked}.get(serial)
    if entry is not None:
        status: CertStatusName = "revoked"
    elif issued is not None and serial not in issued:
        status = "unknown"
    else:
        status = "good"
    return build_ocsp_response(
        ca,
        serial,
        status=status,
        revoked_at=None if entry is None else entry.revoked_at,
        reason=None if entry is None else entry.reason,
        this_update=at,
        lifetime=lifetime,
        responder=signer,
        nonce=nonce,
        cert_id_hash=request.hash_algorithm.name,
    )


class _Server(_loopback.QuietServer):
    responder: Responder


class _Handler(_loopback.QuietHandler):
    server: _Server
    timeout = SERVER_SOCKET_TIMEOUT

    def _misbehave(self) -> bool:
        responder = self.server.responder
        behaviour = responder.behaviour
        if behaviour == "slow":
            # Wait past the client's timeout, but wake at once when the server closes.
            responder._stopping.wait(responder.slow_seconds)
            return False
        if behaviour == "junk":
            self.send_body(200, JUNK_BODY, "text/html")
            return True
        if behaviour == "http_error":
            self.send_body(503, b"responder unavailable\n", "text/plain")
            return True
        return False

    def do_GET(self) -> None:
        if self._misbehave():
            return
        responder = self.server.responder
        path = urllib.parse.urlsplit(self.path).path
        if path == CRL_PATH:
            self.send_body(200, responder.crl().der, "application/pkix-crl")
            return
        if path.startswith(OCSP_PATH + "/"):
            encoded = urllib.parse.unquote(path[len(OCSP_PATH) + 1 :])
            try:
                request = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                request = b""
            self.send_body(200, responder.answer(request).der, "application/ocsp-response")
            return
        self.send_body(404, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "0")
        size = int(length) if length.isdigit() else 0
        body = self.rfile.read(min(size, 65536))
        if self._misbehave():
            return
        if urllib.parse.urlsplit(self.path).path != OCSP_PATH:
            self.send_body(404, b"not found\n", "text/plain")
            return
        answer = self.server.responder.answer(body)
        self.send_body(200, answer.der, "application/ocsp-response")


class Responder(_loopback.Service):
    """A CRL distribution point and OCSP responder for one CA, served on 127.0.0.1.

    Use it as a context manager; the URLs exist once it has started.

    Args:
        ca: the CA it answers for (an :class:`Issued` with its key, unless a
            delegated ``signer`` signs the OCSP answers; the CRL always needs
            the CA's key).
        revoked: certificates revoked from the start.
        issued: certificates (or serials) the CA issued; other serials are
            answered ``unknown``. ``None`` answers ``good`` for any serial
            that is not revoked.
        signer: a delegated OCSP responder certificate (see
            :func:`pkiviz.revocation.ocsp.issue_ocsp_responder`).
        behaviour: ``"ok"``, ``"slow"``, ``"junk"``, ``"http_error"`` or
            ``"down"`` (nothing accepts connections on the port). All but
            ``"down"`` can be changed while running.
        slow_seconds: how long a ``"slow"`` responder waits before answering.
        at: the instant stamped on CRLs and answers; ``None`` reads the wall
            clock on each request.
        crl_lifetime: nextUpdate - thisUpdate of the CRL.
        ocsp_lifetime: nextUpdate - thisUpdate of OCSP answers.
    """

    role = "responder"
    usage = "with Responder(ca) as r:"

    def __init__(
        self,
        ca: Issued,
        *,
        revoked: Iterable[RevokedEntry] = (),
        issued: Iterable[Issued | x509.Certificate | int] | None = None,
        signer: Issued | None = None,
        behaviour: Behaviour = "ok",
        slow_seconds: float = 5.0,
        at: _dt.datetime | None = None,
        crl_lifetime: _dt.timedelta = _dt.timedelta(days=7),
        ocsp_lifetime: _dt.timedelta = DEFAULT_OCSP_LIFETIME,
    ) -> None:
        self.ca = ca
        self.signer = signer
        self.slow_seconds = slow_seconds
        self.at = None if at is None else clock.as_utc(at)
        self.crl_lifetime = crl_lifetime
        self.ocsp_lifetime = ocsp_lifetime
        self._behaviour: Behaviour = behaviour
        self._lock = threading.Lock()
        self._revoked: dict[int, RevokedEntry] = {e.serial: e for e in revoked}
        self._crl_number = 1
        self._issued: set[int] | None = None
        if issued is not None:
            self._issued = {self._serial(i) for i in issued}
        self._stopping = threading.Event()
        self.requests = 0

    @staticmethod
    def _serial(value: Issued | x509.Certificate | int) -> int:
        return value if isinstance(value, int) else serial_number(certificate_of(value))

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> Responder:
        """Bind an ephemeral port on 127.0.0.1 and start serving (or, if down, refusing).

        Returns:
            ``self``.
        """
        if self._running is not None:
            raise RuntimeError("this responder has already started")
        if self._behaviour == "down":
            self._running = _loopback.refuse()
            return self
        server = _Server((_loopback.HOST, 0), _Handler)
        server.responder = self
        self._running = _loopback.serve(
            server, name="pkiviz-responder", join_timeout=SERVER_SOCKET_TIMEOUT + 1
        )
        return self

    def close(self) -> None:
        """Stop serving and close every socket; safe to call twice."""
        self._stopping.set()
        super().close()

    # -- URLs and certificates --------------------------------------------
    # ``port`` (inherited) is the port it listens on or, when down, reserves.

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def crl_url(self) -> str:
        """Where the CRL is served; goes into a certificate's CRL distribution point."""
        return self.base_url + CRL_PATH

    @property
    def ocsp_url(self) -> str:
        """Where OCSP requests go; goes into a certificate's Authority Information Access."""
        return self.base_url + OCSP_PATH

    def spec_with_urls(self, spec: CertSpec) -> CertSpec:
        """``spec`` with its CRL and OCSP URLs pointing at this responder's real port.

        Args:
            spec: any certificate spec.

        Returns:
            A new spec (the old one is unchanged).
        """
        return dataclasses.replace(spec, crl_url=self.crl_url, ocsp_url=self.ocsp_url)

    def issue_server(self, *names: str, **options: Unpack[CertOptions]) -> Issued:
        """Issue a server certificate from the CA with URLs pointing here; it counts as issued.

        Args:
            *names: as :meth:`pkiviz.x509.factory.Issued.issue_server`.
            **options: further spec fields (``label``, ``must_staple``...).

        Returns:
            The leaf.

        Raises:
            TypeError: for an option that is no spec field, or for ``crl_url``/``ocsp_url``,
                which the responder sets itself.
        """
        for url in ("crl_url", "ocsp_url"):
            if url in options:
                raise TypeError(f"issue_server() sets {url} itself; do not pass it")
        merged: CertOptions = {**options, "crl_url": self.crl_url, "ocsp_url": self.ocsp_url}
        leaf = self.ca.issue_server(*names, **merged)
        with self._lock:
            if self._issued is not None:
                self._issued.add(serial_number(leaf.certificate))
        return leaf

    # -- state -------------------------------------------------------------

    @property
    def behaviour(self) -> Behaviour:
        """How it answers: ``"ok"``, ``"slow"``, ``"junk"``, ``"http_error"`` or ``"down"``."""
        return self._behaviour

    @behaviour.setter
    def behaviour(self, value: Behaviour) -> None:
        if "down" in (value, self._behaviour) and value != self._behaviour:
            raise ValueError("'down' is chosen when the responder is made, not while it runs")
        if value not in ("ok", "slow", "junk", "http_error", "down"):
            raise ValueError(f"unknown behaviour {value!r}")
        self._behaviour = value

    def revoke(
        self,
        cert: Issued | x509.Certificate | int,
        *,
        at: _dt.datetime,
        reason: str | None = None,
    ) -> RevokedEntry:
        """Revoke a certificate: the next CRL lists it and OCSP answers ``revoked``.

        Args:
            cert: the certificate or its serial.
            at: the revocation time.
            reason: a reason name such as ``"key_compromise"``.

        Returns:
            The new entry.
        """
        entry = RevokedEntry(self._serial(cert), at, reason)
        with self._lock:
            self._revoked[entry.serial] = entry
            self._crl_number += 1
        return entry

    @property
    def revoked(self) -> tuple[RevokedEntry, ...]:
        """The revoked entries, in the order they were revoked."""
        with self._lock:
            return tuple(self._revoked.values())

    def _now(self) -> _dt.datetime:
        return self.at if self.at is not None else clock.wall_clock()

    def crl(self) -> BuiltCrl:
        """The CRL as served now."""
        with self._lock:
            entries, number = tuple(self._revoked.values()), self._crl_number
        return build_crl(
            self.ca, entries, this_update=self._now(), lifetime=self.crl_lifetime, number=number
        )

    def answer(self, request_der: bytes) -> BuiltOcspResponse:
        """The answer served to one OCSP request now (see :func:`answer_ocsp`)."""
        with self._lock:
            entries = tuple(self._revoked.values())
            issued = None if self._issued is None else frozenset(self._issued)
            self.requests += 1
        return answer_ocsp(
            request_der,
            self.ca,
            at=self._now(),
            revoked=entries,
            issued=issued,
            signer=self.signer,
            lifetime=self.ocsp_lifetime,
        )


__all__ = ["CRL_PATH", "JUNK_BODY", "OCSP_PATH", "Behaviour", "Responder", "answer_ocsp"]
