"""The book's closing tables, generated from captures: HTTPS beside mTLS, and the glossary.

* :func:`summary_table` - the article's "normal HTTPS vs mutual TLS" table. Every cell but the
  last row is read from two captured handshakes and from :func:`pkiviz.validation.validate`'s
  verdicts on the chains in them: who sent a non-empty Certificate, who signed the handshake
  (and whether the signature verifies), whether the server sent a CertificateRequest, which
  truststore the client's chain was validated against and which anchor it reached. The
  "typical use case" row is prose and says so.
* :func:`compare_flows` - the two handshakes aligned message by message, to show that mutual
  TLS only *adds* messages to HTTPS; :func:`added_messages` lists the additions.
* :func:`glossary_table` - glossary entries (any objects with ``term``, ``definition`` and
  ``forms``, such as :data:`pkiviz.site.glossary.TERMS`) as an alphabetical table.

Nothing here opens a socket: the captures come from :mod:`pkiviz.net.live` or
:mod:`pkiviz.net.mtls`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
from collections.abc import Iterable, Sequence
from typing import Protocol

from cryptography import x509

from pkiviz.x509.factory import Issued
from pkiviz.table import Table
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import Alert, Message, Sender
from pkiviz.tls.signatures import SignatureCheck, verify_all
from pkiviz.validation import Report, validate

TrustAnchor = x509.Certificate | Issued

#: The article's row labels, in its order. The last row is prose, not derived.
ROWS = (
    "Who presents a certificate?",
    "Who validates?",
    "Trust store used for client cert",
    "Who signs the live handshake?",
    "Client certificate required?",
    "Typical use case (prose, not from the captures)",
)

#: The one row that is typed in: where each is used in practice (the article's words).
USE_CASES = ("all public websites", "API-to-API calls, machine identity, zero-trust networks")


@dataclasses.dataclass(frozen=True)
class _Facts:
    """What one captured handshake shows, with pkiviz's verdicts on its chains."""

    handshake: Handshake
    presented: tuple[tuple[Sender, x509.Certificate], ...]
    reports: tuple[tuple[Sender, Report], ...]
    signatures: tuple[SignatureCheck, ...]
    requested: bool
    client_trust_size: int


def summary_table(
    https: Handshake,
    mtls: Handshake,
    *,
    server_trust: Sequence[TrustAnchor],
    client_trust: Sequence[TrustAnchor],
    at: _dt.datetime,
    peer_name: str | None = None,
    no_certificate: Handshake | None = None,
) -> Table:
    """The article's HTTPS-vs-mTLS summary, every cell but the use case read from captures.

    Each chain a capture holds is validated by :func:`pkiviz.validation.validate`: the
    server's for ``purpose="server"`` against ``server_trust`` (the client's trust store),
    the client's for ``purpose="client"`` against ``client_trust`` (the server's own client
    truststore). The handshake signatures are verified with
    :func:`pkiviz.tls.signatures.verify_all`.

    Args:
        https: a captured ordinary HTTPS handshake.
        mtls: a captured mutual-TLS handshake (pass an HTTPS one and the column says so).
        server_trust: the client's trust anchors.
        client_trust: the server's trust anchors for client certificates.
        at: the validation time (for live certificates, the moment of the handshake).
        peer_name: the server name the client asked for; ``None`` skips the SAN check.
        no_certificate: the client's capture of a handshake with the mTLS server by a client
            that had no certificate; with it, the "required?" row says how the server
            answered. Without it the row can only say whether a certificate was requested.

    Returns:
        Columns ``property``, ``normal HTTPS``, ``mutual TLS (mTLS)``; rows :data:`ROWS`.

    Raises:
        ValueError: ``no_certificate`` holds a client certificate.
    """
    columns = []
    for hs, refused in ((https, None), (mtls, no_certificate)):
        facts = _facts(
            hs, server_trust=server_trust, client_trust=client_trust, at=at, peer_name=peer_name
        )
        columns.append(
            (
                _presents(facts),
                _validates(facts),
                _client_truststore(facts),
                _signs(facts),
                _required(facts, refused),
            )
        )
    rows = (*zip(ROWS[:-1], *columns, strict=True), (ROWS[-1], *USE_CASES))
    return Table(
        ("property", "normal HTTPS", "mutual TLS (mTLS)"),
        rows,
        caption=f"From the captured {_versions(https, mtls)} handshakes; the last row is prose",
    )


def _versions(https: Handshake, mtls: Handshake) -> str:
    names = dict.fromkeys(v for v in (https.version, mtls.version) if v)
    return " and ".join(names) or "TLS"


def _facts(
    hs: Handshake,
    *,
    server_trust: Sequence[TrustAnchor],
    client_trust: Sequence[TrustAnchor],
    at: _dt.datetime,
    peer_name: str | None,
) -> _Facts:
    presented: list[tuple[Sender, x509.Certificate]] = []
    reports: list[tuple[Sender, Report]] = []
    sides: tuple[Sender, ...] = ("server", "client")
    for side in sides:
        chain = hs.certificates(side)
        if not chain:
            continue
        presented.append((side, chain[0]))
        server = side == "server"
        reports.append(
            (
                side,
                validate(
                    chain[0],
                    intermediates=chain[1:],
                    trust_anchors=tuple(server_trust if server else client_trust),
                    peer_name=peer_name if server else None,
                    at=at,
                    purpose=side,
                ),
            )
        )
    return _Facts(
        hs,
        tuple(presented),
        tuple(reports),
        verify_all(hs),
        hs.certificate_request is not None,
        len(client_trust),
    )


def _cn(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _who(items: Sequence[tuple[str, str]]) -> str:
    """``server only: ...`` for one side, ``both: server (...), client (...)`` for two."""
    if not items:
        return "nobody"
    if len(items) == 1:
        side, detail = items[0]
        return f"{side} only: {detail}"
    return "both: " + ", ".join(f"{side} ({detail})" for side, detail in items)


def _presents(facts: _Facts) -> str:
    text = _who([(side, _cn(leaf.subject)) for side, leaf in facts.presented])
    empty = facts.handshake.find("Certificate", "client")
    if empty is not None and not facts.handshake.client_certificates:
        text += "; the client's Certificate was empty"
    return text


def _verdict(report: Report) -> str:
    if report.valid:
        return f"valid for purpose={report.purpose}"
    first = report.first_failure
    return f"INVALID for purpose={report.purpose}: {first.check if first else 'no path'}"


def _validates(facts: _Facts) -> str:
    other = {"server": "client", "client": "server"}
    return _who([(other[side], f"{side}'s chain {_verdict(r)}") for side, r in facts.reports])


def _client_truststore(facts: _Facts) -> str:
    reports = dict(facts.reports)
    if "client" not in reports:
        return "not applicable: no client certificate in the capture"
    report = reports["client"]
    size = facts.client_trust_size
    store = f"the server's own client truststore ({size} certificate{'s' if size != 1 else ''})"
    if not (report.valid and report.path):
        return f"{store}: no anchor reached"
    anchor = report.path[-1]
    text = f"{store}: chain ends at {_cn(anchor.subject)}"
    server = reports.get("server")
    if server is not None and server.valid and server.path:
        text += (
            ", the server's root too" if server.path[-1] == anchor else ", not the server's root"
        )
    return text


def _signs(facts: _Facts) -> str:
    return _who(
        [
            (c.signer, f"{c.message}, {'verified' if c.verified else 'NOT verified'}")
            for c in facts.signatures
        ]
    )


def _alert(hs: Handshake) -> str | None:
    msg = hs.failure_alert
    if msg is None or not isinstance(msg.body, Alert):
        return None
    return f"{msg.body.description} ({msg.body.code})"


def _required(facts: _Facts, refused: Handshake | None) -> str:
    hs = facts.handshake
    if not facts.requested:
        if hs.completed and hs.error is None and not hs.client_certificates:
            return "no: no CertificateRequest, and the handshake completed without one"
        return "no: the server sent no CertificateRequest"
    if refused is None:
        return "requested (CertificateRequest); whether required is not in this capture"
    if refused.client_certificates:
        raise ValueError("no_certificate: the client did send a certificate in that capture")
    alert = _alert(refused)
    if alert is not None:
        return f"yes: CertificateRequest sent; a client without one got {alert}"
    if refused.completed and refused.error is None:
        return "no, only requested: a client without one was let in"
    return f"yes: CertificateRequest sent; a client without one failed ({refused.error})"


# --- mTLS extends HTTPS -------------------------------------------------------


def _handshake_proper(hs: Handshake) -> tuple[Message, ...]:
    """The messages up to and including the client's Finished (no tickets, no alerts)."""
    out = []
    for m in hs.messages:
        if m.type in ("Alert", "NewSessionTicket"):
            continue
        out.append(m)
        if m.type == "Finished" and m.sender == "client":
            break
    return tuple(out)


def _aligned(https: Handshake, mtls: Handshake) -> list[tuple[Message | None, Message | None]]:
    a, b = _handshake_proper(https), _handshake_proper(mtls)
    keys_a = [(m.sender, m.type) for m in a]
    keys_b = [(m.sender, m.type) for m in b]
    pairs: list[tuple[Message | None, Message | None]] = []
    matcher = difflib.SequenceMatcher(a=keys_a, b=keys_b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += list(zip(a[i1:i2], b[j1:j2], strict=True))
        else:
            pairs += [(m, None) for m in a[i1:i2]]
            pairs += [(None, m) for m in b[j1:j2]]
    return pairs


def added_messages(https: Handshake, mtls: Handshake) -> tuple[tuple[Sender, str], ...]:
    """The ``(sender, type)`` of the messages ``mtls`` has and ``https`` has not, in order.

    Both handshakes are cut after the client's Finished (session tickets and alerts are left
    out) and aligned by sender and message type.

    Args:
        https: a captured HTTPS handshake.
        mtls: a captured mutual-TLS handshake.

    Returns:
        The additions; empty if ``mtls`` adds nothing.
    """
    return tuple((m.sender, m.type) for h, m in _aligned(https, mtls) if h is None and m)


def compare_flows(https: Handshake, mtls: Handshake) -> Table:
    """The two handshakes side by side, aligned message by message.

    Each row is one message (up to the client's Finished): whether it is in each capture and,
    where it is in both, whether its bytes are identical. Randoms, key shares, signatures
    and Finished values are fresh in every handshake; a certificate that did not change
    travels as the same bytes.

    Args:
        https: a captured HTTPS handshake.
        mtls: a captured mutual-TLS handshake.

    Returns:
        Columns ``direction``, ``message``, ``HTTPS``, ``mTLS``, ``same bytes``.
    """
    rows = []
    for h, m in _aligned(https, mtls):
        msg = h or m
        assert msg is not None  # every pair has at least one side
        arrow = "client -> server" if msg.sender == "client" else "server -> client"
        name = msg.type
        if msg.type == "Certificate":
            empty = [
                label
                for label, hs, one in (("HTTPS", https, h), ("mTLS", mtls, m))
                if one is not None and not hs.certificates(one.sender)
            ]
            if empty:
                both = h is not None and m is not None
                name += f" (empty in {empty[0]})" if both and len(empty) == 1 else " (empty)"
        same = "-" if h is None or m is None else ("yes" if h.raw == m.raw else "no")
        rows.append((arrow, name, "yes" if h else "", "yes" if m else "", same))
    return Table(
        ("direction", "message", "HTTPS", "mTLS", "same bytes"),
        tuple(rows),
        caption="The two handshakes aligned, up to the client's Finished",
    )


# --- glossary -----------------------------------------------------------------


class GlossaryEntry(Protocol):
    """What :func:`glossary_table` reads from an entry (:class:`pkiviz.site.glossary.Term`)."""

    @property
    def term(self) -> str: ...

    @property
    def definition(self) -> str: ...

    @property
    def forms(self) -> tuple[str, ...]: ...


def glossary_table(terms: Iterable[GlossaryEntry]) -> Table:
    """Glossary entries as a table, alphabetical by headword (ignoring case).

    Args:
        terms: the entries, e.g. :data:`pkiviz.site.glossary.TERMS`.

    Returns:
        Columns ``term``, ``also written``, ``definition``.

    Raises:
        ValueError: two entries share a headword.
    """
    entries = sorted(terms, key=lambda t: t.term.lower())
    heads = [t.term.lower() for t in entries]
    if len(set(heads)) != len(heads):
        raise ValueError("two glossary entries share a headword")
    return Table(
        ("term", "also written", "definition"),
        tuple((t.term, ", ".join(t.forms), t.definition) for t in entries),
        caption=f"Glossary: {len(entries)} terms",
    )
