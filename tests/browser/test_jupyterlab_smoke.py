"""JupyterLab runs the book in a real Chromium, and ipywidgets sync both ways."""

from __future__ import annotations

import pytest
from labdriver import JupyterLabServer, Lab

pytestmark = pytest.mark.browser


def test_the_appendix_chapter_runs_in_jupyterlab(lab: Lab) -> None:
    notebook = lab.open("book/14-how-this-book-works.ipynb")
    verify = notebook.cell_index("verify = run_tool(")
    notebook.clear_outputs()  # the chapter is stored with its outputs
    assert "server.pem" not in notebook.output_text(verify)

    notebook.run_all()

    assert notebook.errors() == []
    assert None not in notebook.execution_counts()  # every code cell ran
    assert "server.pem: OK" in notebook.output_text(verify)
    notebook.screenshot("appendix-openssl-verify", verify)
    lab.screenshot("appendix")
    assert lab.console_errors == []
    assert lab.failed_requests == []


def test_an_error_cell_is_reported(lab: Lab, jupyterlab: JupyterLabServer) -> None:
    # Control for the test above: errors() and execution_counts() do see a failing cell.
    path = jupyterlab.write_notebook("scratch/error.ipynb", ["1 + 1", "1 / 0", "2 + 2"])
    notebook = lab.open(path)
    notebook.run_all()
    assert notebook.errors() == ["cell 1: ZeroDivisionError: division by zero"]
    assert notebook.execution_counts()[2] is None  # Run All stops at the error
    assert "2" in notebook.output_text(0)


def test_widget_value_set_in_the_browser_reaches_the_kernel(
    lab: Lab, jupyterlab: JupyterLabServer
) -> None:
    path = jupyterlab.write_notebook(
        "scratch/widgets.ipynb",
        [
            "import ipywidgets as w\ns = w.IntSlider(value=1, max=10)\ns",
            "c = w.Checkbox(value=False, description='on')\n"
            "d = w.Dropdown(options=['RSA', 'ECDSA'], value='RSA')\n"
            "t = w.Text(value='')\n"
            "w.VBox([c, d, t])",
            "print(f'kernel sees {s.value} {c.value} {d.value} {t.value!r}')",
        ],
    )
    notebook = lab.open(path)
    notebook.run_all()
    assert "kernel sees 1 False RSA ''" in notebook.output_text(2)

    notebook.set_widget(0, 7)
    notebook.set_widget(1, True, nth=0)
    notebook.set_widget(1, "ECDSA", nth=1)
    notebook.set_widget(1, "login.example.com", nth=2)
    notebook.run_cell(2)

    assert "kernel sees 7 True ECDSA 'login.example.com'" in notebook.output_text(2)
    notebook.screenshot("widgets-slider", 0)
    notebook.screenshot("widgets-controls", 1)
    assert lab.console_errors == []
    assert lab.failed_requests == []


def test_a_port_taken_before_jupyterlab_binds_it_is_retried(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The port comes from free_port(), free a moment before JupyterLab binds it; if
    # another program takes it first (here: we do), start() must use another port.
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        server = JupyterLabServer(tmp_path, port=taken)
        try:
            server.start()
            assert server.port != taken
            assert server.api("GET", "status") is not None
        finally:
            server.stop()
