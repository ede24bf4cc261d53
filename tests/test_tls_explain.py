"""pkiviz.tls.explain: structure-only views of live handshakes.

The key property: two live handshakes give the *same* tables (no live values
leak), while their bytes differ (the control). Every "breaks the signature"
row is paired with a row or control that verifies.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from pkiviz.net.impostor import mismatched_pair_refusals, refusal_table
from pkiviz.net.live import live_handshake
from pkiviz.tls import explain
from pkiviz.tls.signatures import verify_all, verify_server_signature
from pkiviz.validation import validate
from pkiviz.x509.example import running_example
from pkiviz.x509.keys import generate_key

EXAMPLE = running_example(live=True)


@pytest.fixture(scope="module")
def sessions():
    return {
        "1.3": live_handshake(example=EXAMPLE, wire=True),
        "1.3 again": live_handshake(example=EXAMPLE),
        "1.2": live_handshake(example=EXAMPLE, version="1.2", wire=True),
        "1.2 again": live_handshake(example=EXAMPLE, version="1.2"),
        "hrr": live_handshake(example=EXAMPLE, hello_retry=True),
        "hrr again": live_handshake(example=EXAMPLE, hello_retry=True),
        "mtls 1.2": live_handshake(example=EXAMPLE, version="1.2", mtls=True),
    }


def _live_hex(hs):
    """Hex strings of live values in a handshake that must never appear in a table."""
    out = []
    for m in hs.messages:
        body = m.body
        for field in ("random", "signature", "verify_data", "ticket", "public"):
            value = getattr(body, field, None)
            if isinstance(value, bytes) and len(value) >= 8:
                out.append(value[:8].hex())
    return out


@pytest.mark.parametrize("version", ["1.3", "1.2", "hrr"])
def test_tables_are_identical_across_live_runs(sessions, version):
    a, b = sessions[version].client, sessions[f"{version} again"].client
    ca, cb = verify_server_signature(a), verify_server_signature(b)
    assert a.messages[0].raw != b.messages[0].raw  # control: the bytes differ run to run
    assert ca.signed_content != cb.signed_content
    assert explain.message_table(a).text() == explain.message_table(b).text()
    assert explain.message_table(a)._repr_html_() == explain.message_table(b)._repr_html_()
    assert explain.signed_layout(ca).text() == explain.signed_layout(cb).text()
    assert explain.tamper_each(a).text() == explain.tamper_each(b).text()
    assert explain.compare_signatures(ca).text() == explain.compare_signatures(cb).text()
    text = explain.message_table(a).text() + explain.signed_layout(ca).text()
    for live in _live_hex(a):
        assert live not in text


def test_raw_summaries_do_hold_live_values(sessions):
    # The control for the test above: the handshake's own text shows live bytes.
    hs = sessions["1.3"].client
    assert any(live in hs.text() for live in _live_hex(hs))
    assert not any(live in explain.message_table(hs).text() for live in _live_hex(hs))


def test_stable_summary_of_a_client_key_exchange(sessions):
    from pkiviz.tls.messages import ClientKeyExchange

    hs = sessions["1.2"].client
    cke = hs.find("ClientKeyExchange", "client")
    assert explain.stable_summary(cke) == "32-byte key share"  # x25519: fixed by the group
    # A DHE value (or RSA's encrypted premaster) may be a byte shorter next time:
    # no length, so both give the same line.
    long, short = (
        dataclasses.replace(cke, body=ClientKeyExchange(b"\x01" * n, kind="rsa-or-dhe"))
        for n in (256, 255)
    )
    assert explain.stable_summary(long) == explain.stable_summary(short)
    assert "256" not in explain.stable_summary(long)
    assert "256" in long.summary  # control: the raw summary does give the length


def test_message_table_tls13(sessions):
    hs = sessions["1.3"].client
    table = explain.message_table(hs)
    assert len(table.rows) == len(hs.messages)
    assert table.column("message") == tuple(m.type for m in hs.messages)
    assert table.column("on the wire") == tuple(
        "encrypted" if m.encrypted else "plaintext" for m in hs.messages
    )
    signed = dict(zip(table.column("message"), table.column("server's signature"), strict=False))
    assert signed["ClientHello"] == signed["Certificate"] == "signed"
    assert signed["CertificateVerify"] == "the signature"
    assert signed["Finished"] == signed["ChangeCipherSpec"] == "no"
    assert table.caption == "TLSv1.3 TLS_AES_256_GCM_SHA384, captured at the client"


def test_message_table_tls12_signs_randoms_and_params(sessions):
    table = explain.message_table(sessions["1.2"].client)
    signed = dict(zip(table.column("message"), table.column("server's signature"), strict=False))
    assert signed["ClientHello"] == signed["ServerHello"] == "random only"
    assert signed["ServerKeyExchange"] == "params + the signature"
    assert signed["Certificate"] == "no"


def test_message_table_hello_retry_marks_message_hash(sessions):
    table = explain.message_table(sessions["hrr"].client)
    assert table.column("server's signature")[:2] == ("signed as message_hash", "signed")


def test_message_table_client_signature_tls12(sessions):
    hs = sessions["mtls 1.2"].client
    table = explain.message_table(hs, signer="client")
    assert "client's signature" in table.columns
    cv = hs.index(hs.find("CertificateVerify", "client"))
    assert table.column("client's signature")[cv] == "the signature"
    assert set(table.column("client's signature")[:cv]) == {"signed"}
    layout = explain.signed_layout(verify_all(hs)[1])
    assert sum(int(n) for n in layout.column("length")) == len(verify_all(hs)[1].signed_content)


def test_message_table_failed_handshake_has_no_signature(sessions):
    hs = sessions["1.3"].client
    cut = dataclasses.replace(hs, messages=hs.messages[:5], error="boom", completed=False)
    table = explain.message_table(cut)
    assert set(table.column("server's signature")) == {"no"}
    assert table.caption.endswith("failed: boom")


def test_signed_layout_tls13_matches_the_bytes(sessions):
    check = verify_server_signature(sessions["1.3"].client)
    layout = explain.signed_layout(check)
    assert layout.column("part") == ("padding", "context string", "separator", "transcript hash")
    assert layout.column("length") == ("64", "33", "1", "48")
    assert sum(int(n) for n in layout.column("length")) == len(check.signed_content) == 146
    assert check.signed_content[:64] == b" " * 64
    assert repr(check.context.decode()) == layout.column("holds")[1]
    assert "SHA-384 of 4 messages, ClientHello ... Certificate" in layout.column("holds")[3]


def test_signed_layout_tls12_matches_the_bytes(sessions):
    check = verify_server_signature(sessions["1.2"].client)
    layout = explain.signed_layout(check)
    assert sum(int(n) for n in layout.column("length")) == len(check.signed_content) == 100
    assert check.signed_content[64:68].hex() == "03001d20"
    assert layout.column("holds")[3] == "0x001d x25519"


def test_compare_signatures(sessions):
    c13 = verify_server_signature(sessions["1.3"].client)
    c12 = verify_server_signature(sessions["1.2"].client)
    table = explain.compare_signatures(c13, c12)
    assert table.columns == ("", "TLSv1.3", "TLSv1.2")
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["covers the certificate"] == ("yes", "no")
    assert rows["length"] == ("146 bytes", "100 bytes")
    assert rows["verdict"] == ("verified", "verified")
    forged = dataclasses.replace(c12, verified=False)  # control: the verdict is read, not assumed
    assert explain.compare_signatures(forged).rows[-1] == ("verdict", "NOT verified")


def test_both_signatures_with_a_failing_control(sessions):
    s = sessions["1.3"]
    chain = s.client.server_certificates
    check = verify_server_signature(s.client)
    good = validate(
        chain[0], intermediates=chain[1:], trust_anchors=[EXAMPLE.root], peer_name=EXAMPLE.hostname,
        at=s.at,
    )  # fmt: skip
    table = explain.both_signatures(good, check)
    assert table.column("signature") == ("one", "one", "one", "two")
    assert table.column("verdict") == ("verified", "verified", "not relied on", "verified")
    assert table.caption == "chain: valid; handshake signature: verified"
    other_root = running_example(live=True).root  # control: a root that did not sign the chain
    bad = validate(chain[0], intermediates=chain[1:], trust_anchors=[other_root], at=s.at)
    assert explain.both_signatures(bad, check).caption.startswith("chain: INVALID")


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_tamper_each(sessions, version):
    hs = sessions[version].client
    table = explain.tamper_each(hs)
    verdicts = dict(zip(table.column("flipped"), table.column("verdict"), strict=True))
    assert verdicts["(nothing flipped: the control)"] == "verified"
    for covered, verdict in zip(
        table.column("server's signature"), table.column("verdict"), strict=True
    ):
        assert (verdict == "verified") == (covered in ("no", "-"))
    assert "NOT verified" in verdicts.values() and "verified" in verdicts.values()
    cert = verdicts["server Certificate, last byte"]
    assert cert == ("NOT verified" if version == "1.3" else "verified")


def test_tamper_each_needs_a_signature(sessions):
    hs = sessions["1.3"].client
    with pytest.raises(ValueError, match="signed nothing"):
        explain.tamper_each(dataclasses.replace(hs, messages=hs.messages[:4]))


def test_hello_retry_rule(sessions):
    table = explain.hello_retry_rule(sessions["hrr"].client)
    assert table.column("verdict") == ("NOT verified", "verified")
    assert "fe 00 00 30" in table.rows[1][0]
    with pytest.raises(ValueError, match="no HelloRetryRequest"):
        explain.hello_retry_rule(sessions["1.3"].client)


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_compare_captures_agree(sessions, version):
    s = sessions[version]
    table = explain.compare_captures(client=s.client, server=s.server, wire=s.wire)
    assert set(table.column("server")) == set(table.column("wire")) == {"same bytes"}
    assert explain.same_messages(s.client, s.wire)


def test_compare_captures_controls(sessions):
    s = sessions["1.3"]
    from pkiviz.tls.signatures import flip_byte

    tampered = flip_byte(s.wire, 0)
    short = dataclasses.replace(s.wire, messages=s.wire.messages[:3])
    table = explain.compare_captures(client=s.client, tampered=tampered, short=short)
    assert table.column("tampered")[0] == "DIFFERENT"
    assert set(table.column("tampered")[1:]) == {"same bytes"}
    assert table.column("short")[3:] == ("missing",) * (len(s.client) - 3)
    assert not explain.same_messages(s.client, tampered)
    longer = explain.compare_captures(short=short, client=s.client)
    assert "client has" in longer.caption
    with pytest.raises(ValueError):
        explain.compare_captures()


def test_refusal_table():
    refusals = mismatched_pair_refusals(EXAMPLE.server, generate_key("ec-p256"))
    table = refusal_table(refusals)
    assert set(table.column("loaded the pair")) == {"no"}
    assert table.column("what it said")[0] == "KEY_VALUES_MISMATCH"
    control = mismatched_pair_refusals(EXAMPLE.server, EXAMPLE.server.private_key)
    assert refusal_table(control).column("loaded the pair")[0] == "yes"


def test_import_stays_light():
    code = "import sys, pkiviz.tls.explain; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
