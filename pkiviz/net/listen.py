"""A client handshake that measures the round trip and then listens for the server's verdict.

In TLS 1.3 the client's handshake is over before the server has read the
client's certificate (RFC 8446 4.4.2.4): the server's verdict, an alert such
as 116 certificate_required, arrives about one round trip later. How long to
listen for it is therefore measured, not fixed:

* the round trip (RTT) is the larger of the TCP connect time and the
  handshake's time per round trip (the handshake takes
  :func:`round_trips` of them: 1 in TLS 1.3, 2 in TLS 1.2, one more after a
  HelloRetryRequest). Behind a proxy the TCP connect is answered by the proxy
  and says little, so the handshake's own round trips usually decide;
* the client listens for ``max(K * RTT, FLOOR)`` seconds (:data:`K` = 3: one
  round trip for the client's last flight to arrive and the alert to come
  back, two more for jitter and the server's certificate checks; :data:`FLOOR`
  for a server that takes a few milliseconds to verify on a fast link), capped
  at the timeout;
* it stops early when the server says anything: an alert, application data,
  or closing the connection.

Listening is only needed where the verdict can still come: in TLS 1.3 after a
CertificateRequest. In TLS 1.2 the server's Finished comes after it has read
the client's Certificate, so a completed handshake already holds its verdict.
A fixed ``wait`` (``pkiviz probe --wait S``) listens exactly that long in any
case (0: not at all, as a client that never reads would).
"""

from __future__ import annotations

import dataclasses
import socket
import ssl
import time
from typing import Any, Literal

from pkiviz.net import _msgcallback
from pkiviz.net.live import build_handshake, describe_error
from pkiviz.tls.handshake import Handshake

#: Round trips listened for after a TLS 1.3 handshake that carried a CertificateRequest.
K = 3
#: The least time listened for, seconds, however short the round trip.
FLOOR = 0.05
_MAX_READ = 1 << 16
_CERTIFICATE_REQUEST = 13
_HELLO_RETRY_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c"
)  # RFC 8446 4.1.3

#: How the listening ended: the server sent an alert, application data, closed the
#: connection, stayed quiet for the whole time, or the probe did not listen.
Ended = Literal["alert", "data", "close", "quiet", "not listened"]


@dataclasses.dataclass(frozen=True)
class Listening:
    """How long the client listened after its handshake, and why it stopped.

    Attributes:
        connect_seconds: the TCP connect time.
        handshake_seconds: the TLS handshake's time, from ClientHello to the
            client's Finished.
        round_trips: how many round trips that handshake took.
        rtt: the round-trip time used: ``max(connect_seconds, handshake_seconds / round_trips)``.
        planned: the seconds the client meant to listen (0: it did not).
        listened: the seconds it actually listened.
        ended: why it stopped (:data:`Ended`).
        fixed: whether ``planned`` was given (``--wait``) rather than measured.
    """

    connect_seconds: float
    handshake_seconds: float
    round_trips: int
    rtt: float
    planned: float
    listened: float
    ended: Ended
    fixed: bool = False

    @property
    def enough(self) -> bool:
        """Whether it listened for at least two round trips (the verdict's earliest arrival
        is one), or was cut short by the server itself."""
        return self.ended in ("alert", "data", "close") or self.listened >= 2 * self.rtt

    def text(self) -> str:
        """One line: the round trip, the time listened and how it ended."""
        how = f"--wait {self.planned:g} s" if self.fixed else f"max({K} x RTT, {FLOOR * 1e3:g} ms)"
        if self.ended == "not listened":
            return f"round trip {_ms(self.rtt)}; did not listen after the handshake ({how})"
        ends = {
            "alert": "the server sent an alert",
            "data": "the server sent application data",
            "close": "the server closed the connection",
            "quiet": "nothing came",
        }[self.ended]
        return (
            f"round trip {_ms(self.rtt)}; listened {_ms(self.listened)} of the "
            f"{_ms(self.planned)} planned ({how}) after the handshake: {ends}"
        )

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready data (seconds)."""
        return dataclasses.asdict(self)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def round_trips(version: str | None, hello_retry: bool) -> int:
    """Round trips a full handshake of ``version`` takes, from the client's side."""
    return (2 if version == "TLSv1.2" else 1) + (1 if hello_retry else 0)


def listen_time(rtt: float, timeout: float) -> float:
    """``max(K * rtt, FLOOR)``, at most ``timeout``."""
    return min(max(K * rtt, FLOOR), timeout)


def connect(
    context: ssl.SSLContext,
    host: str,
    port: int,
    *,
    server_hostname: str | None,
    timeout: float,
    wait: float | None = None,
) -> tuple[Handshake, Listening]:
    """Handshake, then listen for the server's verdict; return the capture and the timing.

    Args:
        context: the client context (its message callback is used while connecting).
        host: server address.
        port: server port.
        server_hostname: SNI; ``None`` or ``""`` sends none.
        timeout: seconds for connecting and for the handshake's reads.
        wait: listen exactly this long (any version); ``None``: the measured
            time, and only where a verdict can still come (TLS 1.3 with a
            CertificateRequest).

    Returns:
        ``(handshake, listening)``: the client's :class:`~pkiviz.tls.handshake.Handshake`
        (a failed handshake or a late alert included) and the :class:`Listening`.

    Raises:
        OSError: the TCP connection could not be made (refused, unreachable, timeout).
    """
    recorder = _msgcallback.attach(context)
    try:
        start = time.perf_counter()
        raw = socket.create_connection((host, port), timeout=timeout)
        connected = time.perf_counter()
        tls: ssl.SSLSocket | None = None
        completed, error = False, None
        shaken = connected
        planned, listened = 0.0, 0.0
        ended: Ended = "not listened"
        trips = 1
        try:
            raw.settimeout(timeout)
            tls = context.wrap_socket(
                raw, server_hostname=server_hostname or None, do_handshake_on_connect=False
            )
            try:
                tls.do_handshake()
                completed = True
            finally:
                shaken = time.perf_counter()
                events = recorder.peek(tls)
                trips = round_trips(tls.version(), _hello_retry(events))
            rtt = _rtt(connected - start, shaken - connected, trips)
            if wait is not None:
                planned = wait
            elif tls.version() == "TLSv1.3" and _requested(events):
                planned = listen_time(rtt, timeout)
            if planned > 0:
                ended, error = _listen(tls, planned)
                listened = time.perf_counter() - shaken
        except (OSError, ssl.SSLError) as exc:
            error = describe_error(exc)
        finally:
            events = recorder.take(tls) if tls is not None else ()
            (tls or raw).close()
            raw.close()
    finally:
        _msgcallback.detach(context)
    handshake = build_handshake(events, "client", completed, error)
    trips = round_trips(handshake.version, handshake.hello_retry)
    timing = Listening(
        connect_seconds=connected - start,
        handshake_seconds=shaken - connected,
        round_trips=trips,
        rtt=_rtt(connected - start, shaken - connected, trips),
        planned=planned,
        listened=listened,
        ended=ended,
        fixed=wait is not None,
    )
    return handshake, timing


def _rtt(connect_seconds: float, handshake_seconds: float, trips: int) -> float:
    return max(connect_seconds, handshake_seconds / trips)


def _listen(tls: ssl.SSLSocket, seconds: float) -> tuple[Ended, str | None]:
    """Read for up to ``seconds``; stop on the server's first word."""
    tls.settimeout(seconds)
    try:
        data = tls.recv(_MAX_READ)
    except TimeoutError:
        return "quiet", None
    except ssl.SSLZeroReturnError:
        return "close", None
    except ssl.SSLEOFError:
        return "close", None
    except ssl.SSLError as exc:
        return "alert", describe_error(exc)
    except OSError as exc:  # a reset
        return "close", describe_error(exc)
    return ("data" if data else "close"), None


def _requested(events: tuple[_msgcallback.Event, ...]) -> bool:
    return any(
        e.direction == "read"
        and e.content_type == 22
        and e.data[:1] == bytes([_CERTIFICATE_REQUEST])
        for e in events
    )


def _hello_retry(events: tuple[_msgcallback.Event, ...]) -> bool:
    # ServerHello: type(1) length(3) legacy_version(2) random(32)
    return any(
        e.direction == "read" and e.content_type == 22 and e.data[:1] == b"\x02"
        and e.data[6:38] == _HELLO_RETRY_RANDOM
        for e in events
    )  # fmt: skip
