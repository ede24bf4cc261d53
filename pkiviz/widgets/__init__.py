"""The book's widgets: controls over :mod:`pkiviz.lab.state`, and nothing else.

Each widget holds no PKI logic. Its observers build a state from the
controls, call a pure function of :mod:`pkiviz.lab.state`, keep what it returned as
``.result`` and write that result's HTML into an ``HTML`` widget's ``.value``.
None of them calls ``display()``: ``.widget`` is the ipywidgets container, to be
a cell's last expression (the object itself displays as that container too).
Set a control's ``.value`` and ``.result`` changes at once, with or without a
kernel, which is how ``tests/test_widgets.py`` tests them.

* :class:`LabPanel` - the Break-it lab (chapter 12): clock, host name, key
  type, catalogue entry, CRL; report, chain graph and three verdicts.
* :class:`ExpiryClock` - a clock over one certificate's validity (chapter 4).
* :class:`HostnameBox` - a host name against the running example's
  certificate and ``*.example.com`` (chapter 4).
* :class:`RevokeSwitch` - revoke the running example's leaf on a CRL (chapter 7).

This is the only part of pkiviz that imports ipywidgets.

Layer 10 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck, draw, lab, ca and widgets itself.
"""

from __future__ import annotations

from pkiviz.widgets.panel import LabPanel
from pkiviz.widgets.small import ExpiryClock, HostnameBox, RevokeSwitch

__all__ = ["ExpiryClock", "HostnameBox", "LabPanel", "RevokeSwitch"]
