"""Did the server require a client certificate? Decided from what it did, with the evidence.

One connection's capture (:class:`~pkiviz.tls.handshake.Handshake`) and how
long the client listened after it (:class:`~pkiviz.net.listen.Listening`)
give one of four verdicts (:data:`Verdict`):

* ``not requested``: the server's flight ended without a CertificateRequest;
* ``required``: the client sent no certificate and the server refused: in
  TLS 1.3 with certificate_required (116, RFC 8446 4.4.2.4) after the
  handshake; in TLS 1.2, which has no such alert, with a handshake_failure
  (40) right after the CertificateRequest and the client's empty Certificate,
  which RFC 5246 7.4.6 names as the server's way to refuse;
* ``optional``: the client sent no certificate and the server went on: in
  TLS 1.2 it sent its Finished after reading the empty Certificate; in TLS 1.3
  no alert came while the client listened for at least two round trips, or it
  sent application data;
* ``unknown``: anything else, with the reason (the client sent a
  certificate, so the server never had to decide; it closed without a word;
  the client did not listen long enough; the handshake failed before).

A connection that presented a certificate cannot tell ``required`` from
``optional``; :func:`pkiviz.net.probe.probe` then makes a second connection
without one and says so (:func:`combine`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pkiviz.net.listen import Listening
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import Alert, Certificate

Verdict = Literal["required", "optional", "not requested", "unknown"]

#: Alerts a server answers an empty Certificate with when it requires one:
#: 116 certificate_required (TLS 1.3); 40 handshake_failure (RFC 5246 7.4.6),
#: 42 bad_certificate and 41 no_certificate (SSL 3.0) from older stacks.
_REFUSALS = {116, 40, 41, 42}


@dataclasses.dataclass(frozen=True)
class ClientAuth:
    """Whether the server requires a client certificate, and why pkiviz thinks so.

    Attributes:
        verdict: ``required``, ``optional``, ``not requested`` or ``unknown``.
        evidence: the reasons, in plain words, one sentence each.
        connections: how many connections the verdict rests on (2 when a second
            one, without a certificate, was needed).
    """

    verdict: Verdict
    evidence: tuple[str, ...]
    connections: int = 1

    def text(self) -> str:
        """One line: the verdict and its evidence."""
        return f"client authentication: {self.verdict} ({'; '.join(self.evidence)})"

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        import html

        return f"<p>{html.escape(self.text())}</p>"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "verdict": self.verdict,
            "evidence": list(self.evidence),
            "connections": self.connections,
        }


def sent_certificate(handshake: Handshake) -> bool:
    """Whether the client sent a non-empty Certificate."""
    msg = handshake.find("Certificate", "client")
    return msg is not None and isinstance(msg.body, Certificate) and bool(msg.body.certificates)


def _server_fatal(handshake: Handshake) -> tuple[int, Alert] | None:
    for i, m in enumerate(handshake.messages):
        if m.sender == "server" and isinstance(m.body, Alert) and m.body.level == "fatal":
            return i, m.body
    return None


def decide(handshake: Handshake, listening: Listening) -> ClientAuth:
    """The verdict one connection supports.

    Args:
        handshake: the client's capture.
        listening: how long it listened after the handshake, and how that ended.

    Returns:
        The verdict with its evidence.
    """
    if handshake.version is None:
        return ClientAuth("unknown", ("the server never answered with a ServerHello",))
    tls12 = handshake.version == "TLSv1.2"
    request = handshake.find("CertificateRequest", "server")
    if request is None:
        last = "ServerHelloDone" if tls12 else "Finished"
        if handshake.find(last, "server") is not None:
            return ClientAuth(
                "not requested",
                (f"the server's flight ended ({last}) without a CertificateRequest",),
            )
        return ClientAuth("unknown", ("the handshake failed before the server's flight ended",))
    if sent_certificate(handshake):
        return ClientAuth(
            "unknown",
            (
                "the server asked and the probe presented a certificate, so the server never "
                "had to decide what to do without one",
            ),
        )
    empty = handshake.find("Certificate", "client")
    fatal = _server_fatal(handshake)
    if fatal is not None:
        index, alert = fatal
        after_empty = empty is not None and index > handshake.index(empty)
        if after_empty and alert.code in _REFUSALS:
            return ClientAuth("required", (_refusal(alert, tls12),))
        return ClientAuth(
            "unknown", (f"the server sent {alert.summary()}, which does not say why",)
        )
    if not handshake.completed:
        return ClientAuth("unknown", (f"the handshake failed: {handshake.error}",))
    if tls12:
        return ClientAuth(
            "optional",
            (
                "the server asked, the probe sent an empty Certificate, and the server "
                "finished the handshake: in TLS 1.2 its Finished comes after it has read "
                "the client's Certificate",
            ),
        )
    return _tls13_went_on(listening)


def _refusal(alert: Alert, tls12: bool) -> str:
    answered = f"the server answered the probe's empty Certificate with {alert.summary()}"
    if alert.code == 116:
        return f"{answered}, as RFC 8446 4.4.2.4 provides"
    if tls12 and alert.code == 40:
        return (
            f"{answered} right after its CertificateRequest: TLS 1.2 has no "
            "certificate_required alert, and RFC 5246 7.4.6 lets a server that requires a "
            "certificate refuse an empty one with a fatal handshake_failure"
        )
    return f"{answered}, a refusal of the missing certificate"


def _tls13_went_on(listening: Listening) -> ClientAuth:
    waited = f"{listening.listened * 1e3:.0f} ms"
    rtt = f"{listening.rtt * 1e3:.1f} ms"
    if listening.ended == "data":
        return ClientAuth(
            "optional", ("the server went on without a certificate: it sent application data",)
        )
    if listening.ended == "close":
        return ClientAuth(
            "unknown", ("the server closed the connection after the handshake without an alert",)
        )
    if listening.ended == "not listened":
        return ClientAuth(
            "unknown",
            ("the probe did not listen after the handshake, where a TLS 1.3 refusal arrives",),
        )
    if not listening.enough:
        return ClientAuth(
            "unknown",
            (
                f"no alert within {waited}, less than two round trips of {rtt}: a refusal "
                "could still have been on its way",
            ),
        )
    return ClientAuth(
        "optional",
        (
            f"the server went on without a certificate: no alert within {waited}, "
            f"{listening.listened / listening.rtt:.0f} round trips of {rtt}",
        ),
    )


def combine(first: ClientAuth, second: ClientAuth) -> ClientAuth:
    """The verdict of a connection with a certificate, settled by a second one without.

    Args:
        first: what the connection that presented a certificate supports.
        second: what a second connection, without a certificate, supports.

    Returns:
        The second's verdict, with both connections' evidence.
    """
    return ClientAuth(
        second.verdict,
        (
            *first.evidence,
            *(f"a second connection, without a certificate: {e}" for e in second.evidence),
        ),
        connections=2,
    )
