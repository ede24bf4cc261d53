"""The mutual-TLS failure matrix: a missing or bad client certificate, captured live.

Four ways Alice's client certificate can fail, beside a control that works:

======================  ==========================================================
``valid``               Alice's certificate (the control)
``none``                the client has no certificate to send
``untrusted-ca``        Alice's name, issued by a CA the server does not trust
``server-auth-only``    issued by the right CA, but with EKU serverAuth only
``expired``             issued by the right CA, expired yesterday
======================  ==========================================================

Each runs against the same server (Python's ssl, ``CERT_REQUIRED``, trusting
only the client-authentication root), once over TLS 1.3 and once over TLS 1.2,
and :class:`FailureCase` records both captures. What they show, with OpenSSL:

* TLS 1.2: the server's verdict is part of the handshake, so the client's
  handshake itself fails with the server's alert.
* TLS 1.3: the client sends Certificate, CertificateVerify and Finished in one
  flight and considers the handshake complete; the server's alert
  (116 certificate_required, 48 unknown_ca, ...) arrives one round trip later,
  on the client's first read.

Nothing here is typed in: :func:`failure_table` reads every cell from the
captures.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import ssl
from collections.abc import Callable, Sequence

from pkiviz.net.live import Session, Version, client_context, now, run_handshake, server_context
from pkiviz.table import Table
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import Alert, Certificate
from pkiviz.x509.example import RunningExample, running_example
from pkiviz.x509.factory import CA, Issued

#: The scenarios, in table order, with what the client presents.
SCENARIOS: dict[str, str] = {
    "valid": "Alice's (control)",
    "none": "none",
    "untrusted-ca": "from an untrusted CA",
    "server-auth-only": "EKU serverAuth only",
    "expired": "expired",
}

#: In deterministic mode the expired certificate's fixed window (long past).
EXPIRED_WINDOW = (
    _dt.datetime(2024, 1, 1, tzinfo=_dt.UTC),
    _dt.datetime(2025, 1, 1, tzinfo=_dt.UTC),
)


def failure_certificates(example: RunningExample) -> dict[str, Issued | None]:
    """Alice's certificate and its broken variants, one per scenario.

    Every variant has Alice's subject and key type; only what the scenario
    names differs. Live examples get live variants (the expired one ended a
    day before the real clock); deterministic ones get deterministic variants
    (expired in 2025).

    Args:
        example: the running example whose client certificate is varied.

    Returns:
        ``{scenario: certificate or None}`` in :data:`SCENARIOS` order.
    """
    alice = example.client
    live = alice.live
    subject, key = alice.spec.subject, alice.spec.key
    stranger = CA.root(
        "Unknown Client Auth CA",
        live=live,
        key=example.client_root.spec.key,
        subject="CN=Unknown Client Auth CA,O=Somewhere Else,C=US",
    )
    if live:
        t = now()
        window = (t - _dt.timedelta(days=30), t - _dt.timedelta(days=1))
    else:
        window = EXPIRED_WINDOW
    return {
        "valid": alice,
        "none": None,
        "untrusted-ca": stranger.issue_client(
            "alice@example.com", label="alice@example.com (unknown CA)", subject=subject, key=key
        ),
        "server-auth-only": example.client_root.issue_client(
            "alice@example.com",
            label="alice@example.com (serverAuth only)",
            extended_key_usage=("server_auth",),
            subject=subject,
            key=key,
        ),
        "expired": example.client_root.issue_client(
            "alice@example.com",
            label="alice@example.com (expired)",
            not_before=window[0],
            not_after=window[1],
            subject=subject,
            key=key,
        ),
    }


@dataclasses.dataclass(frozen=True)
class FailureCase:
    """One scenario over one TLS version: both sides' captures.

    Attributes:
        scenario: a key of :data:`SCENARIOS`.
        version: ``"1.3"`` or ``"1.2"``.
        session: the live session (``session.client``, ``session.server``).
    """

    scenario: str
    version: Version
    session: Session

    @property
    def presented(self) -> str:
        """What the client presents, in words."""
        return SCENARIOS[self.scenario]

    @property
    def server_alert(self) -> Alert | None:
        """The alert the server sent, from its own capture."""
        return _alert(self.session.server, "server")

    @property
    def client_alert(self) -> Alert | None:
        """The alert the client received from the server, from the client's capture."""
        return _alert(self.session.client, "server")

    @property
    def client_handshake_completed(self) -> bool:
        """Whether the client's handshake call returned successfully."""
        return self.session.client.completed

    @property
    def server_accepted(self) -> bool:
        """Whether the server completed the handshake without error."""
        return self.session.server.completed and self.session.server.error is None

    @property
    def client_sent(self) -> str:
        """What the client answered the CertificateRequest with."""
        hs = self.session.client
        cert = hs.find("Certificate", "client")
        if cert is None or not isinstance(cert.body, Certificate):
            return "no Certificate message"
        parts = ["empty Certificate" if not cert.body.certificates else "Certificate"]
        if hs.find("CertificateVerify", "client") is not None:
            parts.append("CertificateVerify")
        return " + ".join(parts)

    @property
    def server_read(self) -> str:
        """The client's handshake messages the server processed (ChangeCipherSpec left out)."""
        hs = self.session.server
        after_hello = [
            m.type
            + (" (empty)" if isinstance(m.body, Certificate) and not m.body.certificates else "")
            for m in hs.sent_by("client")
            if m.type not in ("ClientHello", "ChangeCipherSpec")
        ]
        return ", ".join(after_hello) or "nothing after ClientHello"

    @property
    def server_sees(self) -> str:
        """The server's verdict: its error, or that it accepted the client."""
        return self.session.server.error or "accepted"

    @property
    def client_when(self) -> str:
        """When the client learns the verdict."""
        hs = self.session.client
        if not hs.completed:
            return "handshake fails"
        if hs.error:
            return "handshake OK; first read fails"
        return "handshake OK; reads the response"

    @property
    def client_sees(self) -> str:
        """The client's error (OpenSSL's reason), or that all went well."""
        return self.session.client.error or "HTTP response"


def _alert(hs: Handshake, sender: str) -> Alert | None:
    for m in hs.alerts:
        if m.sender == sender and isinstance(m.body, Alert) and m.body.level == "fatal":
            return m.body
    return None


def capture_failures(
    *,
    example: RunningExample | None = None,
    versions: Sequence[Version] = ("1.3", "1.2"),
    scenarios: Sequence[str] = tuple(SCENARIOS),
    server: ssl.SSLContext | None = None,
    timeout: float = 5.0,
) -> tuple[FailureCase, ...]:
    """Run every scenario over every version on 127.0.0.1 and capture both sides.

    Args:
        example: the certificates (default: the deterministic running example).
        versions: TLS versions to run.
        scenarios: keys of :data:`SCENARIOS`.
        server: a server context of your own, serving ``example``'s server
            certificate, used as it is for every case (only the client is pinned
            to each version); default: the book's mTLS server, Python's ssl with
            ``CERT_REQUIRED`` trusting only the client-authentication root.
        timeout: seconds per socket operation.

    Returns:
        One case per (version, scenario), versions outermost.

    Raises:
        ValueError: an unknown scenario.
    """
    unknown = [s for s in scenarios if s not in SCENARIOS]
    if unknown:
        raise ValueError(f"unknown scenarios {unknown}; choose from {list(SCENARIOS)}")
    ex = example if example is not None else running_example()
    certs = failure_certificates(ex)
    cases = []
    for version in versions:
        for name in scenarios:
            if server is None:
                context = server_context(ex.server, version=version, client_ca=ex.client_root)
            else:
                context = server
            session = run_handshake(
                context,
                client_context(ex.root, version=version, client=certs[name]),
                server_hostname=ex.hostname,
                timeout=timeout,
            )
            cases.append(FailureCase(name, version, session))
    return tuple(cases)


def _alert_text(alert: Alert | None) -> str:
    return f"{alert.description} ({alert.code})" if alert is not None else "-"


def failure_table(cases: Sequence[FailureCase], *, words: bool | None = None) -> Table:
    """The failure matrix as a table, every cell read from the captures.

    Two of its columns are OpenSSL's own words (the server's and the client's
    error strings), which another OpenSSL build may phrase differently; the
    others are facts read from the captured messages.

    Args:
        cases: from :func:`capture_failures`.
        words: ``None`` for every column; ``False`` for the captured facts
            only; ``True`` for OpenSSL's words only (beside the TLS version and
            what the client presents).

    Returns:
        Columns: TLS, client presents, client sent, server's verdict, server
        sends, when the client learns it, client's error (or the subset asked for).
    """
    columns: dict[str, Callable[[FailureCase], str]] = {
        "TLS": lambda c: c.version,
        "client presents": lambda c: c.presented,
        "client sent": lambda c: c.client_sent,
        "server's verdict": lambda c: c.server_sees,
        "server sends": lambda c: _alert_text(c.server_alert),
        "the client...": lambda c: c.client_when,
        "client's error": lambda c: c.client_sees,
    }
    openssl_words = ("server's verdict", "client's error")
    chosen = [
        name
        for name in columns
        if words is None or name in ("TLS", "client presents") or (name in openssl_words) == words
    ]
    caption = "Missing or bad client certificates, captured on both ends (Python's ssl, OpenSSL)"
    if words is True:
        caption = "The same cases in OpenSSL's words: the server's error and the client's"
    return Table(
        tuple(chosen),
        tuple(tuple(columns[name](c) for name in chosen) for c in cases),
        caption=caption,
    )


def failure_matrix(
    *,
    example: RunningExample | None = None,
    versions: Sequence[Version] = ("1.3", "1.2"),
    timeout: float = 5.0,
) -> Table:
    """Capture every scenario live and return :func:`failure_table` of the result."""
    return failure_table(capture_failures(example=example, versions=versions, timeout=timeout))
