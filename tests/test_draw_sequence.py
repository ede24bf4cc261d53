"""Figure 2 drawn from captured handshakes: steps, styles, alt text, determinism."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys

import pytest

from pkiviz.draw.sequence import draw_handshake, sequence_alt_text, sequence_steps
from pkiviz.net import impostor
from pkiviz.net.live import live_handshake
from pkiviz.x509.example import running_example
from pkiviz.x509.keys import generate_key

EXAMPLE = running_example(live=True)


@pytest.fixture(scope="module")
def mtls():
    return live_handshake(mtls=True, example=EXAMPLE).client


@pytest.fixture(scope="module")
def plain():
    return live_handshake(example=EXAMPLE).client


def test_one_step_per_message_without_ccs(mtls):
    steps = sequence_steps(mtls)
    assert [s.label for s in steps] == [m.type for m in mtls if m.type != "ChangeCipherSpec"]
    assert len(sequence_steps(mtls, show_change_cipher_spec=True)) == len(mtls)


def test_mtls_only_steps_are_exactly_the_three(mtls, plain):
    dashed = [(s.sender, s.label) for s in sequence_steps(mtls) if s.mtls_only]
    assert dashed == [("server", "CertificateRequest"), ("client", "Certificate"),
                      ("client", "CertificateVerify")]  # fmt: skip
    assert not any(s.mtls_only for s in sequence_steps(plain))


def test_signatures_marked_and_verified(mtls):
    signed = [s for s in sequence_steps(mtls) if s.signature]
    assert [(s.sender, s.label, s.verified) for s in signed] == [
        ("server", "CertificateVerify", True), ("client", "CertificateVerify", True),
    ]  # fmt: skip


def test_forged_signature_is_marked_not_verified(plain):
    forged = impostor.forge_server_signature(plain, generate_key("ec-p256"))
    (step,) = [s for s in sequence_steps(forged) if s.signature]
    assert step.verified is False
    assert "NOT verified" in sequence_alt_text(forged)
    assert "NOT verified" not in sequence_alt_text(plain)


def test_encrypted_flags_follow_the_capture(plain):
    assert [s.encrypted for s in sequence_steps(plain)] == [
        m.encrypted for m in plain if m.type != "ChangeCipherSpec"
    ]


def test_failed_handshake_ends_with_alert():
    failed = live_handshake(mtls=True, send_client_cert=False, example=EXAMPLE).server
    steps = sequence_steps(failed)
    assert steps[-1].alert and "certificate_required (116)" in steps[-1].detail
    text = sequence_alt_text(failed)
    assert "certificate_required" in text and "failed" in text
    fig = draw_handshake(failed)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("handshake failed") for t in texts)


def test_drawing_has_an_arrow_per_step_and_dashed_mtls(mtls):
    fig = draw_handshake(mtls)
    ax = fig.axes[0]
    arrows = [a for a in ax.texts if a.get_text() == "" and hasattr(a, "arrow_patch")]
    assert len(arrows) == len(sequence_steps(mtls))
    styles = [a.arrow_patch.get_linestyle() for a in arrows]
    assert sum(1 for s in styles if s != "-" and s != "solid") == 3
    labels = [t.get_text() for t in ax.texts]
    assert "CertificateVerify  [encrypted]" in labels and "ClientHello" in labels


def test_draw_into_given_axes(plain):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert draw_handshake(plain, ax=ax) is fig


def test_same_handshake_same_svg(plain):
    import matplotlib

    def svg() -> bytes:
        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.hashsalt": "pkiviz"}):
            draw_handshake(plain).savefig(buf, format="svg", metadata={"Date": None})
        return buf.getvalue()

    first = svg()
    assert first == svg()
    other = live_handshake(version="1.2", example=EXAMPLE).client
    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "pkiviz"}):
        draw_handshake(other).savefig(buf, format="svg", metadata={"Date": None})
    assert buf.getvalue() != first  # control: a different handshake draws differently


def _png(hs) -> bytes:
    buf = io.BytesIO()
    draw_handshake(hs).savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _live_hex(hs):
    """Hex of the live values in a handshake: none may reach the drawing."""
    values = (getattr(m.body, f, None) for m in hs for f in ("random", "signature", "verify_data"))
    return [v[:4].hex() for v in values if isinstance(v, bytes) and len(v) >= 8]


@pytest.fixture(scope="module")
def pairs():
    """Two live handshakes each, run with the same parameters."""
    return {
        version: tuple(live_handshake(version=version, example=EXAMPLE).client for _ in "ab")
        for version in ("1.3", "1.2")
    }


@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_same_parameters_same_png_and_alt_text(pairs, version):
    a, b = pairs[version]
    # Control: the handshakes differ, and their raw summaries show it (verify_data, ...).
    assert a.messages[0].raw != b.messages[0].raw
    assert [m.summary for m in a] != [m.summary for m in b]
    assert sequence_steps(a) == sequence_steps(b)
    assert sequence_alt_text(a) == sequence_alt_text(b)
    assert _png(a) == _png(b)
    texts = " ".join(t.get_text() for t in draw_handshake(a).axes[0].texts)
    assert _live_hex(a) and not any(live in texts for live in _live_hex(a))


def test_different_parameters_different_png_and_alt_text(pairs, mtls):
    tls13, tls12 = pairs["1.3"][0], pairs["1.2"][0]
    pictures = {_png(tls13), _png(tls12), _png(mtls)}
    assert len(pictures) == 3
    assert len({sequence_alt_text(h) for h in (tls13, tls12, mtls)}) == 3


def test_details_are_the_stable_summaries(mtls):
    from pkiviz.tls.explain import stable_summary

    steps = sequence_steps(mtls, show_change_cipher_spec=True)
    for step, message in zip(steps, mtls, strict=True):
        assert stable_summary(message).startswith(step.detail.removesuffix("..."))
    finished = [s.detail for s in steps if s.label == "Finished"]
    assert finished == ["48-byte MAC of the transcript"] * 2


def test_tls_core_does_not_import_matplotlib():
    code = ("import sys, pkiviz.net.live, pkiviz.tls.signatures, pkiviz.net.probe, "
            "pkiviz.net.impostor, pkiviz.net.wire; "
            "bad = [m for m in ('matplotlib', 'networkx', 'IPython', 'ipywidgets') "
            "if m in sys.modules]; print(bad)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
    control = subprocess.run(
        [sys.executable, "-c", "import sys, pkiviz.draw.sequence as s; s.draw_handshake; "
         "import matplotlib; print('matplotlib' in sys.modules)"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert control.stdout.strip() == "True"


THREE = (
    ("server", "Certificate", "the CA's signature"),
    ("server", "Certificate", "the trust store"),
    ("server", "CertificateVerify", "the server's signature"),
)


def _badges(fig) -> list[str]:
    from matplotlib.colors import to_hex

    from pkiviz.draw.sequence import NOTE_COLOUR

    return [
        t.get_text()
        for t in fig.axes[0].texts
        if t.get_bbox_patch() is not None
        and to_hex(t.get_bbox_patch().get_facecolor()) == NOTE_COLOUR
    ]


def test_notes_mark_the_named_messages_in_order(plain):
    steps = sequence_steps(plain, notes=THREE)
    marked = [(s.sender, s.label, s.notes) for s in steps if s.notes]
    assert marked == [
        ("server", "Certificate", ((1, "the CA's signature"), (2, "the trust store"))),
        ("server", "CertificateVerify", ((3, "the server's signature"),)),
    ]
    # Control: without notes nothing is marked, and the steps are otherwise the same.
    assert not any(s.notes for s in sequence_steps(plain))
    assert [dataclasses.replace(s, notes=()) for s in steps] == list(sequence_steps(plain))
    text = sequence_alt_text(plain, notes=THREE)
    assert (
        "Certificate (encrypted); marked 1: the CA's signature; marked 2: the trust store." in text
    )
    assert "marked" not in sequence_alt_text(plain)


def test_notes_are_drawn_as_badges_with_a_key(plain):
    fig = draw_handshake(plain, notes=THREE)
    # One badge per note on the arrows, and one per note in the key.
    assert sorted(_badges(fig)) == ["1", "1", "2", "2", "3", "3"]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert all(text in texts for _, _, text in THREE)
    assert _badges(draw_handshake(plain)) == []  # control: no notes, no badges


def test_a_note_must_name_a_message_of_the_capture(plain, mtls):
    with pytest.raises(ValueError, match="note 1: no client Certificate"):
        sequence_steps(plain, notes=[("client", "Certificate", "the client's certificate")])
    with pytest.raises(ValueError, match="no server ChangeCipherSpec is drawn"):
        sequence_steps(plain, notes=[("server", "ChangeCipherSpec", "not drawn")])
    # Control: the same note on a mutual-TLS capture marks the client's Certificate.
    (step,) = [s for s in sequence_steps(mtls, notes=[("client", "Certificate", "x")]) if s.notes]
    assert (step.sender, step.label, step.mtls_only) == ("client", "Certificate", True)
    shown = sequence_steps(
        plain, notes=[("server", "ChangeCipherSpec", "y")], show_change_cipher_spec=True
    )
    assert [s.label for s in shown if s.notes] == ["ChangeCipherSpec"]
