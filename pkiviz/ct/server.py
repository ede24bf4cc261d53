"""A CT log on 127.0.0.1 speaking the RFC 6962 section 4 HTTP API, in a background thread.

::

    with LogServer(log, clock=ticking(AT)) as server:
        client = LogClient(server.base_url, public_key=log.public_key)
        sct = client.add_pre_chain([precert, issuer])

Endpoints (``/ct/v1/...``, JSON bodies, binary fields in base64):

* ``POST add-chain``, ``POST add-pre-chain`` - ``{"chain": [...]}`` in, an SCT out (4.1, 4.2);
* ``GET get-sth`` - the signed tree head (4.3);
* ``GET get-sth-consistency?first=&second=`` - a consistency proof (4.4);
* ``GET get-proof-by-hash?hash=&tree_size=`` - an audit path (4.5);
* ``GET get-entries?start=&end=`` - leaves and their chains (4.6);
* ``GET get-roots`` - the accepted roots (4.7; empty: this teaching log takes any chain
  whose signatures hold).

:func:`respond` is the pure part: one request in, ``(status, JSON)`` out. Bad
input gets HTTP 400 (404 for an unknown path or hash) with
``{"error_message": ..., "success": false}``, never a traceback. Time comes
from the injected ``clock``, so a run is deterministic; the server binds
127.0.0.1 on an ephemeral port and always shuts down when the ``with`` block ends.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from cryptography import x509

from pkiviz import _loopback, clock
from pkiviz.ct.log import Log
from pkiviz.ct.sct import SCT
from pkiviz.errors import InputError

PREFIX = "/ct/v1/"
#: The most entries one get-entries answer holds (real logs cap it too).
MAX_ENTRIES = 256
MAX_BODY = 1 << 20
SERVER_SOCKET_TIMEOUT = 5.0

Clock = Callable[[], dt.datetime]


def ticking(start: dt.datetime, step: dt.timedelta = dt.timedelta(seconds=1)) -> Clock:
    """A deterministic clock: ``start`` on the first call, then ``step`` later on each call."""
    state = {"now": clock.as_utc(start) - step}
    lock = threading.Lock()

    def now() -> dt.datetime:
        with lock:
            state["now"] += step
            return state["now"]

    return now


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sct_json(sct: SCT) -> dict[str, Any]:
    """An SCT as ``add-chain`` returns it (RFC 6962 4.1)."""
    return {
        "sct_version": sct.version,
        "id": _b64(sct.log_id),
        "timestamp": sct.timestamp,
        "extensions": _b64(sct.extensions),
        "signature": _b64(sct.digitally_signed),
    }


class _BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _int(query: Mapping[str, list[str]], name: str) -> int:
    values = query.get(name)
    if not values or len(values) != 1:
        raise _BadRequest(f"parameter {name!r} is required, once")
    text = values[0]
    if not _decimal(text):
        raise _BadRequest(
            f"parameter {name!r} must be a non-negative integer of at most "
            f"{_MAX_DIGITS} ASCII digits, not {text[:40]!r}"
        )
    return int(text)


#: The most digits a query integer or Content-Length may have (2**64 has 20).
_MAX_DIGITS = 20


def _decimal(text: str) -> bool:
    """Whether ``text`` is 1 to 20 ASCII digits: ``str.isdigit`` alone accepts ``"²"`` and
    Arabic-Indic digits, and ``int()`` of thousands of digits is slow or refused."""
    return text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS


def _chain(body: bytes) -> list[x509.Certificate]:
    try:
        doc = json.loads(body)
    except ValueError:
        raise _BadRequest("the body is not JSON") from None
    except RecursionError:
        raise _BadRequest("the body is JSON nested too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("chain"), list) or not doc["chain"]:
        raise _BadRequest('the body must be {"chain": [base64 DER certificates...]}')
    out = []
    for i, item in enumerate(doc["chain"]):
        try:
            der = base64.b64decode(str(item), validate=True)
            out.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError):
            raise _BadRequest(f"chain[{i}] is not a base64 DER certificate") from None
    return out


def respond(
    log: Log, method: str, target: str, body: bytes, *, at: dt.datetime, include: bool = True
) -> tuple[int, dict[str, Any]]:
    """Answer one request to the log: the pure part of the server.

    Args:
        log: the log (mutated by add-chain and add-pre-chain).
        method: ``"GET"`` or ``"POST"``.
        target: the request path with its query, e.g. ``"/ct/v1/get-sth"``.
        body: the request body.
        at: the log's time for SCTs and tree heads.
        include: ``False`` makes a log that signs SCTs but never appends the entries.

    Returns:
        ``(HTTP status, JSON object)``; errors as ``{"error_message", "success": false}``.
    """
    try:
        return 200, _dispatch(log, method, target, body, at, include)
    except _BadRequest as exc:
        return exc.status, {"error_message": str(exc), "success": False}
    except InputError as exc:
        return 400, {"error_message": str(exc), "success": False}


def _dispatch(
    log: Log, method: str, target: str, body: bytes, at: dt.datetime, include: bool
) -> dict[str, Any]:
    url = urllib.parse.urlsplit(target)
    if not url.path.startswith(PREFIX):
        raise _BadRequest(f"unknown path {url.path!r}", 404)
    name = url.path[len(PREFIX) :]
    query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
    posts = {"add-chain", "add-pre-chain"}
    gets = {"get-sth", "get-sth-consistency", "get-proof-by-hash", "get-entries", "get-roots"}
    if name not in posts | gets:
        raise _BadRequest(f"unknown endpoint {name!r}", 404)
    if (name in posts) != (method == "POST"):
        raise _BadRequest(f"{name} takes {'POST' if name in posts else 'GET'}, not {method}")
    if name == "add-chain":
        return sct_json(log.add_chain(_chain(body), at=at, include=include))
    if name == "add-pre-chain":
        return sct_json(log.add_pre_chain(_chain(body), at=at, include=include))
    if name == "get-sth":
        sth = log.sign_tree_head(at=at)
        return {
            "tree_size": sth.tree_size,
            "timestamp": sth.timestamp,
            "sha256_root_hash": _b64(sth.root_hash),
            "tree_head_signature": _b64(sth.digitally_signed),
        }
    if name == "get-roots":
        return {"certificates": []}
    if name == "get-sth-consistency":
        first, second = _int(query, "first"), _int(query, "second")
        if not 1 <= first <= second <= log.size:
            raise _BadRequest(f"need 1 <= first <= second <= {log.size}, not {first}, {second}")
        proof = log.consistency_proof(first, second)
        return {"consistency": [_b64(h) for h in proof.proof]}
    if name == "get-proof-by-hash":
        size = _int(query, "tree_size")
        hashes = query.get("hash", [])
        if len(hashes) != 1:
            raise _BadRequest("parameter 'hash' is required, once")
        try:
            leaf = base64.b64decode(hashes[0], validate=True)
        except binascii.Error:
            raise _BadRequest("parameter 'hash' is not base64") from None
        if len(leaf) != 32:
            raise _BadRequest("parameter 'hash' is not a 32-byte SHA-256 hash")
        if not 1 <= size <= log.size:
            raise _BadRequest(f"tree_size must be in 1..{log.size}, not {size}")
        index = log.index_of(leaf)
        if index is None or index >= size:
            raise _BadRequest(f"no leaf with that hash in the tree of {size}", 404)
        audit = log.inclusion_proof(index, size)
        return {"leaf_index": index, "audit_path": [_b64(h) for h in audit.path]}
    start, end = _int(query, "start"), _int(query, "end")
    if start > end:
        raise _BadRequest(f"start {start} is after end {end}")
    if start >= log.size:
        raise _BadRequest(f"start {start} is beyond the log of {log.size} entries")
    rows = log.entries(start, min(end, start + MAX_ENTRIES - 1))
    return {"entries": [{"leaf_input": _b64(leaf), "extra_data": _b64(x)} for leaf, x in rows]}


class _Server(_loopback.QuietServer):
    owner: LogServer


class _Handler(_loopback.QuietHandler):
    server: _Server
    timeout = SERVER_SOCKET_TIMEOUT

    def _answer(self, method: str, body: bytes) -> None:
        try:
            status, doc = self.server.owner.handle(method, self.path, body)
        except Exception as exc:  # a bug, not bad input: still JSON, never a traceback
            status, doc = 500, {"error_message": f"internal error: {type(exc).__name__}"}
            doc["success"] = False
        payload = (json.dumps(doc) + "\n").encode()
        self.send_body(status, payload, "application/json")

    def do_GET(self) -> None:
        self._answer("GET", b"")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length", "")
        if not _decimal(length) or int(length) > MAX_BODY:
            doc = {"error_message": "a POST needs a Content-Length up to 1 MiB", "success": False}
            self.send_body(400, json.dumps(doc).encode(), "application/json")
            return
        self._answer("POST", self.rfile.read(int(length)))


class LogServer(_loopback.Service):
    """A :class:`~pkiviz.ct.log.Log` served over HTTP on 127.0.0.1 (a context manager).

    Args:
        log: the log to serve; requests append to it.
        clock: the log's time: a fixed datetime, or a callable returning one
            per request (:func:`ticking` for a deterministic clock).
        include: ``False`` serves a misbehaving log that returns SCTs for
            submissions but never appends them (the lab's "signed but never included").
    """

    role = "server"
    usage = "with LogServer(log) as s:"

    def __init__(self, log: Log, *, clock: dt.datetime | Clock, include: bool = True) -> None:
        self.log = log
        self.include = include
        self._clock = clock
        self._lock = threading.Lock()
        self.requests = 0

    def now(self) -> dt.datetime:
        """The log's current time."""
        return self._clock if isinstance(self._clock, dt.datetime) else self._clock()

    def handle(self, method: str, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one request (serialised: the log is not thread-safe)."""
        with self._lock:
            self.requests += 1
            return respond(self.log, method, target, body, at=self.now(), include=self.include)

    def start(self) -> LogServer:
        """Bind an ephemeral port on 127.0.0.1 and serve.

        Returns:
            ``self``.
        """
        if self._running is not None:
            raise RuntimeError("this log server has already started")
        server = _Server((_loopback.HOST, 0), _Handler)
        server.owner = self
        self._running = _loopback.serve(
            server, name="pkiviz-ct-log", join_timeout=SERVER_SOCKET_TIMEOUT + 1
        )
        return self

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``; the API is under ``/ct/v1/``."""
        return f"http://{_loopback.HOST}:{self.port}"


__all__ = ["MAX_ENTRIES", "PREFIX", "LogServer", "respond", "sct_json", "ticking"]
