"""The widgets, without a kernel: set a control's value, read ``.result`` and the HTML shown."""

from __future__ import annotations

import ast
import base64
import subprocess
import sys
from pathlib import Path

import pytest

from pkiviz.lab import state as lab
from pkiviz.lab.catalogue import CATALOGUE, Breakage
from pkiviz.lab.state import LabState, evaluate
from pkiviz.widgets import ExpiryClock, HostnameBox, LabPanel, RevokeSwitch, _base, panel
from pkiviz.x509.example import running_example

WIDGETS = Path(panel.__file__).parent
PAST_NOT_AFTER = (
    lab.days_from_book_clock(running_example().server.certificate.not_valid_after_utc) + 1
)


def _shown(lab_panel: LabPanel) -> str:
    return str(lab_panel.summary_view.value + lab_panel.report_view.value)


def test_import_pkiviz_does_not_import_ipywidgets() -> None:
    code = "import sys, pkiviz, pkiviz.lab.state\nprint('ipywidgets' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "False"
    # Control: importing the widgets does import it.
    code = "import sys, pkiviz.widgets\nprint('ipywidgets' in sys.modules)\n"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "True"


def test_no_widget_calls_display() -> None:
    for path in WIDGETS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                assert name != "display", f"{path.name}:{node.lineno} calls display()"


def test_the_panel_starts_at_the_control() -> None:
    p = LabPanel()
    assert p.state == LabState() and p.result is evaluate(LabState())
    assert p.result.valid is True and p.error is None
    assert "✓ VALID" in p.summary_view.value and "nothing changed" in p.summary_view.value
    assert p.graph_view.value.startswith(
        '<img class="pkiviz-chain-graph" src="data:image/svg+xml;base64,'
    )
    assert 'alt="Graph of the chain of trust for login.example.com; the chain is valid' in (
        p.graph_view.value
    )
    assert "2026-03-01 12:00 UTC" in p.when.value
    bundle = p._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == p.widget.model_id


def test_the_clock_past_not_after_fails_validity() -> None:
    p = LabPanel()
    p.clock.value = PAST_NOT_AFTER - 1  # control: the last day inside the window
    assert p.result.valid is True
    p.clock.value = PAST_NOT_AFTER
    assert p.result.first_failure == "validity"
    assert "first failing check: validity" in p.summary_view.value
    assert "certificate has expired" in p.summary_view.value  # OpenSSL, side by side
    assert "cert is not valid at validation time" in p.summary_view.value  # cryptography
    assert "first failure validity" in p.graph_view.value  # the graph's alt text
    assert "expired on 2044-12-31 23:59:59 UTC" in p.report_view.value
    assert "2045-01-01 12:00 UTC" in p.when.value
    assert p.clock.min <= PAST_NOT_AFTER <= p.clock.max


@pytest.mark.parametrize("entry", CATALOGUE, ids=lambda e: e.id)
def test_each_entry_names_its_failing_check(entry: Breakage) -> None:
    p = LabPanel()
    p.breakage.value = entry.id
    expected = entry.expected_check
    assert p.result.first_failure == expected
    assert p.result is evaluate(LabState(breakage=entry.id))
    if expected is None:
        shown = "✓ VALID" if entry.id == "valid" else "nothing to validate"
        assert shown in p.summary_view.value
    else:
        assert f"first failing check: {expected}" in p.summary_view.value
        assert f"first failure {expected}" in p.graph_view.value
    p.breakage.value = "valid"  # the control, on the same panel
    assert p.result.valid is True and "✓ VALID" in p.summary_view.value


def test_the_host_name_box() -> None:
    p = LabPanel()
    p.hostname.value = "www.example.org"
    assert p.result.first_failure == "hostname"
    assert "hostname mismatch" in _shown(p)
    p.breakage.value = "wrong-host"  # a certificate for www.example.org
    assert p.result.valid is True
    p.hostname.value = "login.example.com"
    assert p.result.first_failure == "hostname"


def test_the_key_type_dropdown() -> None:
    p = LabPanel()
    assert p.key.options == lab.LAB_KEY_TYPES
    p.key.value = "ed25519"
    assert p.result.first_failure == "algorithms"
    assert "Ed25519" in p.report_view.value
    p.key.value = "ec-p384"
    assert p.result.valid is True


def test_the_crl_checkbox() -> None:
    p = LabPanel()
    assert p.result.report is not None and p.result.report.status_of("revocation") == "skipped"
    p.crl.value = True
    assert p.result.report is not None and p.result.report.status_of("revocation") == "pass"
    p.breakage.value = "revoked"
    assert p.result.first_failure == "revocation"


def test_controls_combine_and_reset() -> None:
    p = LabPanel()
    p.breakage.value = "wrong-eku"
    p.clock.value = PAST_NOT_AFTER
    assert p.result.failed_checks[:2] == ("validity", "extended-key-usage")
    p.reset_button.click()
    assert p.state == LabState() and p.result.valid is True


def test_a_panel_can_start_anywhere() -> None:
    p = LabPanel(LabState(breakage="expired", days=-2000))
    assert p.clock.value == -2000 and p.clock.min == -2000
    assert p.result.first_failure == "validity"


def test_an_update_that_raises_is_shown_and_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    p = LabPanel()

    def broken(state: LabState) -> lab.LabResult:
        raise RuntimeError("boom")

    monkeypatch.setattr(panel, "evaluate", broken)
    with pytest.raises(RuntimeError, match="boom"):
        p.clock.value = 5
    assert isinstance(p.error, RuntimeError)
    assert "could not evaluate" in p.summary_view.value and "boom" in p.summary_view.value
    monkeypatch.setattr(panel, "evaluate", evaluate)
    p.clock.value = 6  # control: it recovers
    assert p.error is None and p.result.valid is True


def test_the_graph_is_an_svg_image_of_the_graph() -> None:
    result = evaluate(LabState(breakage="missing-intermediate"))
    assert result.graph is not None
    source = _base.graph_html(result.graph).split('src="data:image/svg+xml;base64,')[1]
    svg = base64.b64decode(source.split('"')[0]).decode()
    assert svg.startswith("<?xml") and "<svg" in svg
    assert "INVALID (chain-of-trust)" in svg and "issuer not found" in svg  # text, not paths
    assert "<dc:date>" not in svg  # the same graph, the same bytes
    _base.graph_html.cache_clear()
    assert _base.graph_html(result.graph).split('src="')[1] == "data:image/svg+xml;base64," + source


def test_the_graph_is_cached_by_graph() -> None:
    _base.graph_html.cache_clear()
    p = LabPanel()
    p.clock.value = 1  # same chain, same verdicts: same graph, no redraw
    assert _base.graph_html.cache_info().misses == 1
    p.breakage.value = "expired"
    assert _base.graph_html.cache_info().misses == 2


def test_the_expiry_clock() -> None:
    ex = running_example()
    short = ex.intermediate.issue_server(
        "login.example.com",
        label="widget test: short-lived",
        not_before=lab.at_day(-100),
        not_after=lab.at_day(-30),
    )
    clock = ExpiryClock(short)
    assert (clock.clock.min, clock.clock.max) == (-160, 30)
    assert clock.clock.value == 0 and clock.result.first_failure is not None
    assert clock.result.first_failure.check == "validity"
    assert "✗ INVALID (validity)" in clock.view.value and "expired on" in clock.view.value
    clock.clock.value = -50  # inside the window: the control
    assert clock.result.valid and "✓ VALID" in clock.view.value
    clock.clock.value = -101
    assert clock.result.status_of("validity") == "fail" and "not valid yet" in (
        clock.result.first_failure.message
    )


def test_the_expiry_clock_of_the_running_example() -> None:
    clock = ExpiryClock()
    assert clock.result.valid
    clock.clock.value = PAST_NOT_AFTER
    assert clock.result.first_failure is not None
    assert clock.result.first_failure.check == "validity"


def test_the_hostname_box() -> None:
    box = HostnameBox()
    assert box.result.status() == {"DNS:login.example.com": "pass", "DNS:*.example.com": "pass"}
    box.hostname.value = "api.example.com"
    assert box.result.status() == {"DNS:login.example.com": "fail", "DNS:*.example.com": "pass"}
    assert "does not match the SAN" in box.view.value and "✓ pass" in box.view.value
    box.hostname.value = "example.com"
    assert set(box.result.status().values()) == {"fail"}


def test_the_revoke_switch() -> None:
    switch = RevokeSwitch()
    assert switch.result.valid is True and "✓ pass" in switch.view.value
    switch.revoked.value = True
    assert switch.result.first_failure == "revocation"
    assert "✗ FAIL" in switch.view.value and "certificate revoked" in switch.view.value
    switch.revoked.value = False
    assert switch.result.valid is True
