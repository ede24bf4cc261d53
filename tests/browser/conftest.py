"""Fixtures for the real-browser tests: one JupyterLab per session, one Chromium per module.

``jupyterlab`` serves a temporary root holding a copy of ``book/``. ``chromium`` is Debian's
``/usr/bin/chromium`` driven by Playwright; it lives only as long as one test module, because
Playwright's sync API leaves an asyncio loop marked as running in the main thread while it is
open, which breaks ``asyncio.run`` (and nbval's kernel client) in any later test. ``lab`` is a
fresh browser context on that server for each test; it shuts the test's kernels down and, when
the test fails, a screenshot goes into ``test-artifacts/browser/`` and the report shows the
browser's console errors, its failed requests and the end of JupyterLab's log. Tests using these
are marked ``browser`` and skip, saying why, where Chromium or Playwright is missing.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from labdriver import CHROMIUM, CHROMIUM_ARGS, JupyterLabServer, Lab

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """On a failing browser test, save a screenshot and add what the browser saw to the report."""
    report = yield
    driver = getattr(item, "funcargs", {}).get("lab")
    if report.when == "call" and report.failed and isinstance(driver, Lab):
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
        with contextlib.suppress(Exception):  # a broken page must not hide the failure
            report.sections.append(("screenshot", str(driver.screenshot(f"{name}-FAILED"))))
        report.sections.append(("browser console errors", "\n".join(driver.console_errors)))
        report.sections.append(("browser failed requests", "\n".join(driver.failed_requests)))
        report.sections.append(("JupyterLab log (end)", driver.server.log_tail()))
    return report


@pytest.fixture(scope="session")
def jupyterlab() -> Iterator[JupyterLabServer]:
    """A running JupyterLab whose root holds a copy of ``book/`` (as ``book/``)."""
    with tempfile.TemporaryDirectory(prefix="pkiviz-lab-root-") as root:
        server = JupyterLabServer(Path(root))
        server.add_notebook(ROOT / "book")
        try:
            server.start()
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Playwright's Chromium driver on Debian's ``/usr/bin/chromium``, headless."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    # launch() gives Chromium a fresh, empty --user-data-dir of its own and removes it after.
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS), timeout=60_000
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def lab(chromium: Any, jupyterlab: JupyterLabServer) -> Iterator[Lab]:
    """A JupyterLab page of its own (fresh context and workspace), loaded and restored."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        driver = Lab(page, jupyterlab, ARTIFACTS)
        driver.load()
        yield driver
    finally:
        context.close()
        jupyterlab.shutdown_kernels()
