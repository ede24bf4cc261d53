"""The HTTPS-vs-mTLS summary and the flow comparison, from live handshakes, with controls."""

from __future__ import annotations

import ssl
from types import SimpleNamespace
from typing import Any

import pytest

from pkiviz.book.summary import (
    ROWS,
    USE_CASES,
    added_messages,
    compare_flows,
    glossary_table,
    summary_table,
)
from pkiviz.net.live import (
    Session,
    client_context,
    live_handshake,
    run_handshake,
    server_context,
)
from pkiviz.table import Table
from pkiviz.tls.signatures import flip_byte
from pkiviz.x509.example import running_example

EX = running_example()
MTLS_ONLY = (
    ("server", "CertificateRequest"),
    ("client", "Certificate"),
    ("client", "CertificateVerify"),
)


@pytest.fixture(scope="module", params=["1.3", "1.2"])
def captures(request: pytest.FixtureRequest) -> SimpleNamespace:
    version = request.param
    return SimpleNamespace(
        version=version,
        https=live_handshake(example=EX, version=version),
        mtls=live_handshake(example=EX, version=version, mtls=True),
        bare=live_handshake(example=EX, version=version, mtls=True, send_client_cert=False),
    )


def _table(https: Session, mtls: Session, **kwargs: Any) -> Table:
    options: dict[str, Any] = {
        "server_trust": [EX.root],
        "client_trust": [EX.client_root],
        "at": https.at,
        "peer_name": EX.hostname,
    }
    options.update(kwargs)
    return summary_table(https.client, mtls.client, **options)


def _cells(table: Table, column: str) -> dict[str, str]:
    return dict(zip(table.column("property"), table.column(column), strict=True))


def test_the_table_is_derived_from_an_https_and_an_mtls_capture(captures: SimpleNamespace) -> None:
    table = _table(captures.https, captures.mtls, no_certificate=captures.bare.client)
    assert table.column("property") == ROWS
    https, mtls = _cells(table, "normal HTTPS"), _cells(table, "mutual TLS (mTLS)")
    assert https[ROWS[0]] == "server only: login.example.com"
    assert mtls[ROWS[0]] == "both: server (login.example.com), client (alice@example.com)"
    assert https[ROWS[1]] == "client only: server's chain valid for purpose=server"
    assert mtls[ROWS[1]] == (
        "both: client (server's chain valid for purpose=server), "
        "server (client's chain valid for purpose=client)"
    )
    assert https[ROWS[2]].startswith("not applicable")
    assert mtls[ROWS[2]] == (
        "the server's own client truststore (1 certificate): chain ends at "
        "Example Trust Client Auth Root CA, not the server's root"
    )
    server_signs = "CertificateVerify" if captures.version == "1.3" else "ServerKeyExchange"
    assert https[ROWS[3]] == f"server only: {server_signs}, verified"
    assert mtls[ROWS[3]] == (
        f"both: server ({server_signs}, verified), client (CertificateVerify, verified)"
    )
    assert https[ROWS[4]].startswith("no: no CertificateRequest")
    alert = "certificate_required (116)" if captures.version == "1.3" else "handshake_failure (40)"
    assert mtls[ROWS[4]] == f"yes: CertificateRequest sent; a client without one got {alert}"
    assert (https[ROWS[5]], mtls[ROWS[5]]) == USE_CASES
    assert "prose" in ROWS[5] and "prose" in table.caption


def test_an_https_capture_passed_as_mtls_shows_no_client_certificate(
    captures: SimpleNamespace,
) -> None:
    table = _table(captures.https, captures.https)
    https, mtls = _cells(table, "normal HTTPS"), _cells(table, "mutual TLS (mTLS)")
    assert [mtls[row] for row in ROWS[:-1]] == [https[row] for row in ROWS[:-1]]
    assert mtls[ROWS[0]] == "server only: login.example.com"
    assert mtls[ROWS[2]].startswith("not applicable")
    # control: the real mTLS capture does show one
    assert (
        "alice@example.com"
        in _cells(_table(captures.https, captures.mtls), "mutual TLS (mTLS)")[ROWS[0]]
    )


def test_a_client_without_a_certificate_is_seen_as_an_empty_certificate(
    captures: SimpleNamespace,
) -> None:
    mtls = _cells(_table(captures.https, captures.bare), "mutual TLS (mTLS)")
    assert mtls[ROWS[0]] == "server only: login.example.com; the client's Certificate was empty"
    assert mtls[ROWS[3]].startswith("server only:")
    assert (
        mtls[ROWS[4]] == "requested (CertificateRequest); whether required is not in this capture"
    )


def test_the_client_chain_against_the_wrong_truststore_is_invalid(
    captures: SimpleNamespace,
) -> None:
    mtls = _cells(
        _table(captures.https, captures.mtls, client_trust=[EX.root]), "mutual TLS (mTLS)"
    )
    assert "client's chain INVALID for purpose=client" in mtls[ROWS[1]]
    assert mtls[ROWS[2]] == "the server's own client truststore (1 certificate): no anchor reached"
    assert "server's chain valid for purpose=server" in mtls[ROWS[1]]  # control: the other side


def test_a_flipped_byte_breaks_both_handshake_signatures(captures: SimpleNamespace) -> None:
    options: dict[str, Any] = dict(
        server_trust=[EX.root], client_trust=[EX.client_root], at=captures.https.at
    )
    broken = flip_byte(captures.mtls.client, 0, 10)  # inside the client random: covered by both
    table = summary_table(captures.https.client, broken, **options)
    cell = _cells(table, "mutual TLS (mTLS)")[ROWS[3]]
    assert cell.count("NOT verified") == 2
    assert _cells(table, "normal HTTPS")[ROWS[3]].endswith(", verified")  # control


def test_a_certificate_only_asked_for_is_not_required() -> None:
    server_ctx = server_context(EX.server, client_ca=EX.client_root)
    server_ctx.verify_mode = ssl.CERT_OPTIONAL
    bare = run_handshake(server_ctx, client_context(EX.root), server_hostname=EX.hostname)
    assert bare.client.completed and bare.client.error is None
    https = live_handshake(example=EX)
    mtls = live_handshake(example=EX, mtls=True)
    table = _table(https, mtls, no_certificate=bare.client)
    assert _cells(table, "mutual TLS (mTLS)")[ROWS[4]] == (
        "no, only requested: a client without one was let in"
    )


def test_no_certificate_must_hold_no_client_certificate(captures: SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="no_certificate"):
        _table(captures.https, captures.mtls, no_certificate=captures.mtls.client)


def test_mtls_adds_exactly_three_messages_and_the_server_certificate_is_unchanged(
    captures: SimpleNamespace,
) -> None:
    https, mtls = captures.https.client, captures.mtls.client
    assert added_messages(https, mtls) == MTLS_ONLY
    assert added_messages(https, https) == ()  # control
    assert added_messages(mtls, https) == ()  # HTTPS adds nothing to mTLS
    flows = compare_flows(https, mtls)
    rows = {(r[0], r[1]): r for r in flows.rows}
    assert rows[("server -> client", "Certificate")][2:] == ("yes", "yes", "yes")
    assert rows[("client -> server", "ClientHello")][4] == "no"  # fresh random every time
    added = [(r[0].split(" ")[0], r[1]) for r in flows.rows if r[2] == ""]
    assert added == list(MTLS_ONLY)
    assert flows.rows[-1][:2] == ("client -> server", "Finished")  # tickets left out


def test_compare_flows_marks_an_empty_client_certificate(captures: SimpleNamespace) -> None:
    flows = compare_flows(captures.mtls.client, captures.bare.client)
    assert ("client -> server", "Certificate (empty in mTLS)") in [r[:2] for r in flows.rows]
    assert added_messages(captures.bare.client, captures.mtls.client) == (
        ("client", "CertificateVerify"),
    )


def test_glossary_table_is_alphabetical_ignoring_case() -> None:
    entries = [
        SimpleNamespace(term="trust anchor", definition="d1.", forms=()),
        SimpleNamespace(term="ACME", definition="d2.", forms=("x", "y")),
        SimpleNamespace(term="certificate", definition="d3.", forms=()),
    ]
    table = glossary_table(entries)
    assert table.column("term") == ("ACME", "certificate", "trust anchor")
    assert table.rows[0] == ("ACME", "x, y", "d2.")
    with pytest.raises(ValueError, match="headword"):
        glossary_table([*entries, SimpleNamespace(term="Acme", definition="d.", forms=())])


def test_the_books_glossary_has_the_terms_the_summary_uses() -> None:
    from pkiviz.book.glossary import TERMS

    table = glossary_table(TERMS)
    assert len(table.rows) == len(TERMS)
    terms = set(table.column("term"))
    needed = {"asymmetric cryptography", "signature", "certificate authority", "mutual TLS"}
    assert needed | {"HTTPS", "CertificateRequest", "trust store"} <= terms
    chapters_6_to_8 = {"validation level", "certificate policy", "hardware security module"}
    chapters_6_to_8 |= {"key ceremony", "alert", "Server Name Indication", "ServerKeyExchange"}
    assert chapters_6_to_8 | {"HelloRetryRequest"} <= terms
