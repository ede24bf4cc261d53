"""The key schedule as a drawing and as a stepping widget, from a real glass-box connection."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pkiviz.draw.keyschedule import draw_key_schedule, key_schedule_alt_text, schedule_boxes
from pkiviz.net.glassbox_run import glassbox_session
from pkiviz.tls import glassbox_schedule as ks
from pkiviz.widgets.keyschedule import KeyScheduleStepper


@pytest.fixture(scope="module")
def session():
    return glassbox_session(group="X25519MLKEM768")


def test_every_secret_is_one_box_with_its_own_bytes(session):
    schedule = session.client.schedule
    secrets = [s.name for s in schedule.steps if s.function != "HKDF-Expand-Label"]
    boxes, arrows = schedule_boxes(schedule)
    by_name = {b.name: b for b in boxes}
    assert len(secrets) == 10 and all(name in by_name for name in secrets)
    for name in secrets:
        assert by_name[name].detail == schedule[name].hex()[:16] + "..."
    inputs = [b.title for b in boxes if b.kind == "input"]
    assert inputs == ["PSK (zeros)", "shared secret", "zeros"]
    assert sum(b.kind == "keys" for b in boxes) == 4
    labels = {(a.source, a.target): a.label for a in arrows}
    assert labels[("handshake_secret", "client_handshake_traffic_secret")] == (
        "c hs traffic, H(CH..SH)"
    )
    assert labels[("master_secret", "server_application_traffic_secret_0")].startswith(
        "s ap traffic"
    )


def test_control_a_handshake_only_schedule_draws_the_first_half(session):
    schedule = session.client.schedule
    hello_hash = schedule.step("client_handshake_traffic_secret").inputs[1].value
    half = ks.handshake_schedule(session.client.shared.value, hello_hash)
    names = {b.name for b in schedule_boxes(half)[0]}
    assert "handshake_secret" in names and "master_secret" not in names
    assert "Master Secret" in key_schedule_alt_text(schedule)
    assert "Master Secret" not in key_schedule_alt_text(half)


def test_drawing_returns_its_figure(session):
    schedule = session.client.schedule
    from matplotlib.figure import Figure

    fig = draw_key_schedule(schedule)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("Handshake Secret\n") for t in texts)
    assert any("c hs traffic" in t for t in texts)
    own = Figure()
    ax = own.add_subplot()
    assert draw_key_schedule(schedule, ax=ax) is own


def test_stepper_shows_one_derivation_per_step(session):
    schedule = session.client.schedule
    stepper = KeyScheduleStepper(session.client)
    assert stepper.result.name == "early_secret" and stepper.step.max == len(schedule) == 20
    index = [s.name for s in schedule.steps].index("client_handshake_traffic_secret")
    stepper.step.value = index + 1
    shown = stepper.view.value
    assert stepper.result.name == "client_handshake_traffic_secret"
    assert (
        "tls13 c hs traffic" in shown and schedule["client_handshake_traffic_secret"].hex() in shown
    )
    assert schedule["handshake_secret"].hex() in shown  # its input
    stepper.step.value = 1  # control: back to the first step, another derivation
    assert stepper.result.name == "early_secret"
    assert schedule["client_handshake_traffic_secret"].hex() not in stepper.view.value
    assert KeyScheduleStepper(schedule, step=3).result.name == "handshake_secret"
    with pytest.raises(ValueError):
        KeyScheduleStepper(ks.KeySchedule(()))


def test_glassbox_core_imports_no_drawing_or_widgets():
    code = (
        "import sys, pkiviz.net.glassbox_run, pkiviz.net.forward_secrecy\n"
        "import pkiviz.net.glassbox_sizes\n"
        "print([m for m in ('matplotlib', 'ipywidgets', 'IPython') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    control = subprocess.run(
        [sys.executable, "-c", "import sys, pkiviz.widgets.keyschedule; "
         "print('ipywidgets' in sys.modules)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert control.stdout.strip() == "True"
