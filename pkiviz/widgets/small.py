"""Small widgets for the early chapters: one control, one check.

* :class:`ExpiryClock` (chapter 4): a clock slider over a certificate's
  validity window -> the ``validity`` check.
* :class:`HostnameBox` (chapter 4): a host name -> the ``hostname`` check of
  the running example's certificate and of a ``*.example.com`` one.
* :class:`RevokeSwitch` (chapter 7): a checkbox that revokes the running
  example's leaf on its CA's CRL -> the ``revocation`` check.

Each is ``.widget`` to display, ``.result`` for what it shows, and its control
as an attribute; the logic is :mod:`pkiviz.lab.state`'s.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from pkiviz.lab.state import (
    HostnameResult,
    LabResult,
    at_day,
    check_rows,
    check_validity,
    evaluate,
    match_hostname,
    revocation_state,
    validity_window,
)
from pkiviz.validation import Report
from pkiviz.widgets._base import BookWidget
from pkiviz.x509.example import HOSTNAME, running_example
from pkiviz.x509.factory import Issued

_STYLE = {"description_width": "8em"}


class ExpiryClock(BookWidget):
    """A clock slider over one certificate's validity window; shows the ``validity`` check.

    Args:
        certificate: a certificate built by pkiviz, validated under its own
            chain (default: the running example's leaf).
        days: the starting clock, in days from the book clock.
        margin: how many days the slider reaches before notBefore and past notAfter.

    Attributes:
        certificate: the certificate.
        clock: days from the book clock (``IntSlider``).
        view: the ``validity`` rows of the report (``HTML``).
        widget: the slider over the view (``VBox``).
        result: the :class:`~pkiviz.validation.Report` now shown.
    """

    def __init__(self, certificate: Issued | None = None, *, days: int = 0, margin: int = 60):
        self.certificate = running_example().server if certificate is None else certificate
        start, end = validity_window(self.certificate)
        self.clock: Any = w.IntSlider(
            value=days,
            min=min(start - margin, days),
            max=max(end + margin, days),
            description="clock (days)",
            continuous_update=False,
            style=_STYLE,
            layout=w.Layout(width="36em"),
        )
        self.view: Any = w.HTML()
        self.widget: Any = w.VBox([self.clock, self.view])
        self.result: Report
        self._observe((self.clock,), self._update)
        self._guarded(self._update)

    def _update(self) -> None:
        days = int(self.clock.value)
        self.result = check_validity(self.certificate, days=days)
        cert = self.certificate.certificate
        window = (
            f"notBefore {cert.not_valid_before_utc:%Y-%m-%d %H:%M:%S}, "
            f"notAfter {cert.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC; "
            f"the clock reads {at_day(days):%Y-%m-%d %H:%M} UTC (book clock {days:+d} days)"
        )
        self.view.value = (
            f"<p>{html.escape(window)}</p>{check_rows(self.result, 'validity')._repr_html_()}"
        )

    def _show_error(self, message: str) -> None:
        self.view.value = message


class HostnameBox(BookWidget):
    """A host name box; shows the ``hostname`` check for login.example.com and *.example.com.

    Args:
        hostname: the starting name.

    Attributes:
        hostname: the name the client asks for (``Text``; updates as you type).
        view: one row per certificate (``HTML``).
        widget: the box over the view (``VBox``).
        result: the :class:`~pkiviz.lab.state.HostnameResult` now shown.
    """

    def __init__(self, hostname: str = HOSTNAME) -> None:
        self.hostname: Any = w.Text(
            value=hostname, description="host name", continuous_update=True, style=_STYLE
        )
        self.view: Any = w.HTML()
        self.widget: Any = w.VBox([self.hostname, self.view])
        self.result: HostnameResult
        self._observe((self.hostname,), self._update)
        self._guarded(self._update)

    def _update(self) -> None:
        self.result = match_hostname(str(self.hostname.value))
        self.view.value = self.result._repr_html_()

    def _show_error(self, message: str) -> None:
        self.view.value = message


class RevokeSwitch(BookWidget):
    """Revoke the running example's leaf on its CA's CRL; shows the ``revocation`` check.

    Both positions hand the verifiers the same CRL from Example Trust TLS CA
    2026 (see :func:`pkiviz.lab.state.revocation_state`): off, the leaf is not on it;
    on, the leaf presented is the copy the CRL lists.

    Args:
        revoked: the starting position.

    Attributes:
        revoked: the switch (``Checkbox``).
        view: the revocation rows and the three verifiers (``HTML``).
        widget: the switch over the view (``VBox``).
        result: the :class:`~pkiviz.lab.state.LabResult` now shown.
    """

    def __init__(self, revoked: bool = False) -> None:
        self.revoked: Any = w.Checkbox(
            value=revoked, description="revoke login.example.com", style=_STYLE
        )
        self.view: Any = w.HTML()
        self.widget: Any = w.VBox([self.revoked, self.view])
        self.result: LabResult
        self._observe((self.revoked,), self._update)
        self._guarded(self._update)

    def _update(self) -> None:
        self.result = evaluate(revocation_state(bool(self.revoked.value)))
        assert self.result.report is not None  # the running example always presents a leaf
        rows = check_rows(self.result.report, "revocation")._repr_html_()
        self.view.value = f"{rows}{self.result.verdict_table()._repr_html_()}"

    def _show_error(self, message: str) -> None:
        self.view.value = message
