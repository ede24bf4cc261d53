"""The one place pkiviz touches CPython's private ``SSLContext._msg_callback``.

OpenSSL's message callback (``SSL_CTX_set_msg_callback``) hands over every
handshake message, alert and ChangeCipherSpec a connection sends or receives,
*after* decryption, plus each record header. CPython exposes it as the
undocumented ``SSLContext._msg_callback`` (used by its own test suite). Every
use of that private attribute lives in this module; if a future Python drops
it, :func:`available` says so and the key-log + wire-tap path
(:mod:`pkiviz.net.wire`) still works.
"""

from __future__ import annotations

import dataclasses
import ssl
import threading
import weakref
from typing import Any, Literal

Direction = Literal["read", "write"]

_HEADER = 256  # SSL3_RT_HEADER: a record header, data = the 5 header bytes
_INNER = 257  # SSL3_RT_INNER_CONTENT_TYPE (TLS 1.3)
_CCS = 20
_KEPT = (20, 21, 22)  # change_cipher_spec, alert, handshake


@dataclasses.dataclass(frozen=True)
class Event:
    """One message as OpenSSL reported it.

    Attributes:
        direction: ``"write"`` (this side sent it) or ``"read"`` (received).
        content_type: 20, 21 or 22.
        data: the decrypted message bytes.
        outer_type: the content type in the header of the record it arrived
            or left in (23 = an encrypted TLS 1.3 record), ``None`` if unknown.
    """

    direction: Direction
    content_type: int
    data: bytes
    outer_type: int | None


def available() -> bool:
    """Whether this Python's ssl module offers the private message callback."""
    return hasattr(ssl.SSLContext, "_msg_callback")


class Recorder:
    """Collect the messages of every connection made with one context.

    Use :func:`attach` to make one; :meth:`take` the events of a connection
    once its handshake is over (or has failed).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: weakref.WeakKeyDictionary[Any, list[Event]] = weakref.WeakKeyDictionary()
        self._outer: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()

    def _callback(
        self, conn: Any, direction: str, version: Any, content_type: Any, msg_type: Any, data: bytes
    ) -> None:
        ctype = int(content_type)
        with self._lock:
            if ctype == _HEADER:
                self._outer.setdefault(conn, {})[direction] = data[0]
                if direction == "read" and data[0] == _CCS:
                    # OpenSSL reports a received ChangeCipherSpec only as a record
                    # header; its one-byte body is always 0x01 (RFC 5246 7.1).
                    self._events.setdefault(conn, []).append(Event("read", _CCS, b"\x01", _CCS))
                return
            if ctype not in _KEPT:
                return
            outer = self._outer.get(conn, {}).get(direction)
            event = Event("write" if direction == "write" else "read", ctype, bytes(data), outer)
            self._events.setdefault(conn, []).append(event)

    def peek(self, conn: ssl.SSLSocket | ssl.SSLObject) -> tuple[Event, ...]:
        """The events recorded for ``conn`` so far, in order, leaving them recorded."""
        with self._lock:
            return tuple(self._events.get(conn, []))

    def take(self, conn: ssl.SSLSocket | ssl.SSLObject) -> tuple[Event, ...]:
        """Remove and return the events recorded for ``conn``, in order.

        Args:
            conn: the SSL socket (or SSLObject) the events belong to.

        Returns:
            The events, oldest first.
        """
        with self._lock:
            self._outer.pop(conn, None)
            return tuple(self._events.pop(conn, []))


def attach(ctx: ssl.SSLContext) -> Recorder:
    """Install a :class:`Recorder` as ``ctx``'s message callback.

    Args:
        ctx: the context; its connections are recorded from now on.

    Returns:
        The recorder.

    Raises:
        RuntimeError: this Python has no ``SSLContext._msg_callback``.
    """
    if not available():
        raise RuntimeError("this Python's ssl module has no _msg_callback; use pkiviz.net.wire")
    recorder = Recorder()
    ctx._msg_callback = recorder._callback  # type: ignore[attr-defined]
    return recorder


def detach(ctx: ssl.SSLContext) -> None:
    """Remove the message callback from ``ctx``."""
    if available():
        ctx._msg_callback = None  # type: ignore[attr-defined]
