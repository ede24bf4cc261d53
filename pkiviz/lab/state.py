"""The Break-it lab's model: a state of the controls in, real verdicts out.

The lab in chapter 12 has a few controls - a clock, a host name, a key type,
one catalogue entry, and whether the client has the CA's CRL. Their values
are one frozen :class:`LabState`; :func:`evaluate` turns a state into a
:class:`LabResult`: the scenario built from the running example with those
changes, pkiviz's :class:`~pkiviz.validation.Report`, the chain graph as data,
and the verdicts of pkiviz, ``cryptography`` and ``openssl verify`` side by
side. Nothing in it is typed in: every verdict is a verifier, run.

The widgets in :mod:`pkiviz.widgets` are a thin skin over this module: each
observer builds a state from its controls, calls :func:`evaluate` (or
:func:`check_validity`, :func:`match_hostname`, :func:`revocation_state`), and
writes the result's HTML into a widget. So everything a widget shows can be
computed, and tested, without a kernel or a browser.

Builds are cached: keys by the factory, scenarios by (entry, key type, CRL),
results by state, so moving a control back and forth re-runs nothing twice.

This module imports no ipywidgets, matplotlib or networkx
(:meth:`LabResult.draw` imports the renderer when called).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import html
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz import clock
from pkiviz.crosscheck.verifiers import verdict_of
from pkiviz.draw.chaingraph import ChainGraph, chain_graph
from pkiviz.lab.breakages import FILE_ORDER
from pkiviz.lab.catalogue import BY_ID, Breakage, Scenario, get
from pkiviz.lab.verdicts import (
    Verdict,
    cryptography_verdict,
    openssl_verdict,
    pkiviz_verdict,
    report_verdict,
    scenario_inputs,
)
from pkiviz.table import Table
from pkiviz.validation import Report, validate, validate_inputs
from pkiviz.validation.report import SYMBOLS
from pkiviz.x509.example import HOSTNAME, running_example
from pkiviz.x509.factory import Issued
from pkiviz.x509.keys import check_key_type

#: The clock slider's range, in days from the book clock (2024-01-21 to 2045-04-30):
#: from before the intermediate's notBefore to past the leaf's notAfter.
LAB_DAYS: tuple[int, int] = (-800, 7000)

#: The key types the lab offers (the running example rebuilt with each; RSA-2048 keys
#: are derived from their labels, which takes a few seconds the first time).
LAB_KEY_TYPES: tuple[str, ...] = ("ec-p256", "ec-p384", "ed25519", "rsa-2048")


def days_from_book_clock(when: _dt.datetime) -> int:
    """Whole days from the book clock to ``when``, rounded down.

    Args:
        when: an instant (naive means UTC).

    Returns:
        ``d`` such that ``BOOK_CLOCK + d days <= when < BOOK_CLOCK + (d+1) days``.
    """
    return (clock.as_utc(when) - clock.BOOK_CLOCK) // _dt.timedelta(days=1)


def at_day(days: int) -> _dt.datetime:
    """The instant ``days`` days after the book clock (before it if negative)."""
    return clock.BOOK_CLOCK + _dt.timedelta(days=days)


@dataclasses.dataclass(frozen=True)
class LabState:
    """What the lab's controls say. Every field has the control's starting value.

    Attributes:
        days: the client's clock, in days from the book clock (2026-03-01 12:00 UTC).
        hostname: the name the client asks for, stripped of surrounding
            blanks (empty: no name is checked).
        key: the running example's key type (leaves and intermediate; see
            :func:`~pkiviz.x509.example.running_example`).
        breakage: the catalogue entry switched on (``"valid"``: nothing broken).
        crl: hand the verifiers the TLS CA's current CRL (the ``revoked``
            entry's, which lists a copy of the leaf, not the leaf itself).
            The ``revoked`` entry always has it.

    Raises:
        ValueError: for an unknown key type or catalogue entry.
    """

    days: int = 0
    hostname: str = HOSTNAME
    key: str = "ec-p256"
    breakage: str = "valid"
    crl: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "hostname", self.hostname.strip())
        if isinstance(self.days, bool) or not isinstance(self.days, int):
            raise TypeError(f"days must be an int, not {type(self.days).__name__}")
        check_key_type(self.key)
        if self.breakage not in BY_ID:
            raise ValueError(
                f"unknown catalogue entry {self.breakage!r}; one of {', '.join(BY_ID)}"
            )

    @property
    def at(self) -> _dt.datetime:
        """The validation time: the book clock plus :attr:`days`."""
        return at_day(self.days)

    @property
    def entry(self) -> Breakage:
        """The catalogue entry switched on."""
        return get(self.breakage)

    def changes(self) -> tuple[str, ...]:
        """What differs from the starting state, in words (empty for the control)."""
        start = LabState()
        out = []
        if self.breakage != start.breakage:
            out.append(f"{self.breakage} ({self.entry.title.lower()})")
        if self.days != start.days:
            out.append(f"clock {self.days:+d} days ({self.at:%Y-%m-%d})")
        if self.hostname != start.hostname:
            out.append(f"host name {self.hostname!r}")
        if self.key != start.key:
            out.append(f"{self.key} keys")
        if self.crl and self.breakage != "revoked":
            out.append("the CA's CRL given")
        return tuple(out)


@dataclasses.dataclass(frozen=True, repr=False)
class LabResult:
    """What :func:`evaluate` found for one :class:`LabState`.

    Attributes:
        state: the controls.
        scenario: what the verifiers were handed (the entry's scenario, with
            the state's time, host name and CRLs).
        report: pkiviz's report; ``None`` when no certificate reached a
            verifier (``client-certificate-missing``).
        graph: the chain graph of the report (``None`` with no report).
        verdicts: pkiviz's, cryptography's and OpenSSL's verdicts, in that order.
    """

    state: LabState
    scenario: Scenario
    report: Report | None
    graph: ChainGraph | None
    verdicts: tuple[Verdict, Verdict, Verdict]

    @property
    def entry(self) -> Breakage:
        """The catalogue entry switched on."""
        return self.state.entry

    @property
    def pkiviz(self) -> Verdict:
        """pkiviz's verdict."""
        return self.verdicts[0]

    @property
    def cryptography(self) -> Verdict:
        """cryptography's verdict."""
        return self.verdicts[1]

    @property
    def openssl(self) -> Verdict:
        """``openssl verify``'s verdict."""
        return self.verdicts[2]

    @property
    def valid(self) -> bool | None:
        """pkiviz's verdict: True, False, or None when there was nothing to validate."""
        return None if self.report is None else self.report.valid

    @property
    def first_failure(self) -> str | None:
        """The name of pkiviz's first failing check, ``None`` if none failed."""
        first = None if self.report is None else self.report.first_failure
        return None if first is None else first.check

    @property
    def failed_checks(self) -> tuple[str, ...]:
        """pkiviz's failed checks, without repeats, first failure first."""
        return self.pkiviz.checks

    def headline(self) -> str:
        """One line: pkiviz's verdict and what was changed."""
        changes = "; ".join(self.state.changes()) or "nothing changed (the control)"
        if self.report is None:
            verdict = f"– nothing to validate: {self.pkiviz.error}"
        elif self.report.valid:
            verdict = "✓ VALID: every check passed"
        else:
            verdict = f"✗ INVALID: first failing check: {self.first_failure}"
        return f"{verdict}  [{changes}]"

    def verdict_table(self) -> Table:
        """The three verifiers side by side: verdict, and the reason in the tool's words."""
        rows = tuple(
            (
                v.tool,
                _verdict_word(v),
                (v.check or "-") if v.tool == "pkiviz" else "-",
                v.reason or "-",
            )
            for v in self.verdicts
        )
        return Table(
            ("verifier", "verdict", "pkiviz check", "in its own words"),
            rows,
            caption=f"at {self.state.at:%Y-%m-%d %H:%M} UTC, host name {self.state.hostname!r}",
        )

    def text(self) -> str:
        """Plain text: the headline, the verdicts, then pkiviz's report."""
        parts = [self.headline(), self.verdict_table().text()]
        if self.report is not None:
            parts.append(self.report.text())
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def summary_html(self) -> str:
        """The headline and the verdict table, as HTML (no report)."""
        return (
            f'<div class="pkiviz-lab-summary"><p><b>{html.escape(self.headline())}</b></p>'
            f"{self.verdict_table()._repr_html_()}</div>"
        )

    def report_html(self) -> str:
        """pkiviz's report as HTML (or why there is none)."""
        if self.report is None:
            return f"<p>No report: {html.escape(self.pkiviz.error)}.</p>"
        return self.report._repr_html_()

    def _repr_html_(self) -> str:
        return f"<div>{self.summary_html()}{self.report_html()}</div>"

    def draw(self, ax: Any = None) -> Any:
        """Draw the chain graph (imports matplotlib and networkx).

        Args:
            ax: axes to draw into; ``None`` makes a new figure.

        Returns:
            The matplotlib figure.

        Raises:
            ValueError: when there is no graph (no certificate was presented).
        """
        if self.graph is None:
            raise ValueError(f"{self.state.breakage}: no certificate was presented, so no graph")
        from pkiviz.draw.chain import draw_chain

        return draw_chain(self.graph, ax)


def _verdict_word(verdict: Verdict) -> str:
    if verdict.accepted is None:
        return "– not asked"
    return "✓ accepted" if verdict.accepted else "✗ rejected"


# -- building -------------------------------------------------------------------------


def _with_crls(scenario: Scenario, crls: tuple[x509.CertificateRevocationList, ...]) -> Scenario:
    """The scenario with ``crls`` handed to the verifiers and written as crl.pem."""
    files = dict(scenario.files)
    files["crl.pem"] = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in crls)
    ordered = tuple((name, files[name]) for name in FILE_ORDER if name in files)
    return dataclasses.replace(scenario, crls=crls, files=ordered)


@functools.lru_cache(maxsize=128)
def build_scenario(breakage: str, key: str = "ec-p256", crl: bool = False) -> Scenario:
    """One catalogue entry's scenario, from the running example with ``key`` keys (cached).

    Args:
        breakage: a catalogue id.
        key: the running example's key type.
        crl: hand the verifiers the TLS CA's CRL (the ``revoked`` entry's) as well.

    Returns:
        The scenario, at the book clock and for login.example.com.
    """
    entry = get(breakage)
    scenario = entry.scenario() if key == "ec-p256" else entry.make(running_example(key=key))
    if crl and not scenario.crls:
        scenario = _with_crls(scenario, build_scenario("revoked", key).crls)
    return scenario


def _asked(tool: str, scenario: Scenario, run: Any) -> Verdict:
    """Run one verifier; a question it cannot take (a name it cannot parse) is "not asked"."""
    try:
        verdict: Verdict = run(scenario)
    except (ValueError, TypeError, UnicodeError) as exc:
        return Verdict(tool, scenario.name, None, f"cannot be asked: {exc}")  # type: ignore[arg-type]
    return verdict


@functools.lru_cache(maxsize=512)
def evaluate(state: LabState) -> LabResult:
    """Build the state's scenario and ask all three verifiers about it (cached by state).

    Args:
        state: the controls.

    Returns:
        The result: scenario, report, chain graph and the three verdicts.
    """
    base = build_scenario(state.breakage, state.key, state.crl)
    peer = None if base.purpose == "client" else (state.hostname or None)
    scenario = dataclasses.replace(base, at=state.at, peer_name=peer)
    report: Report | None = None
    graph: ChainGraph | None = None
    if scenario.leaf is None:
        ours = pkiviz_verdict(scenario)  # "the peer sent no certificate": nothing validated
    else:
        report = validate_inputs(scenario_inputs(scenario))
        graph = chain_graph(report)  # reads the report: validates nothing again
        ours = report_verdict(scenario, verdict_of(report))
    if scenario.leaf is not None and scenario.purpose == "server" and peer is None:
        theirs = Verdict(
            "cryptography", scenario.name, None, "its server verifier needs a host name"
        )
    else:
        theirs = _asked("cryptography", scenario, cryptography_verdict)
    verdicts = (
        ours,
        theirs,
        _asked("openssl", scenario, openssl_verdict),
    )
    return LabResult(state, scenario, report, graph, verdicts)


def revocation_state(revoked: bool, *, days: int = 0) -> LabState:
    """The lab state of the revocation switch.

    Both sides hand the verifiers the same CRL from Example Trust TLS CA 2026.
    Switched off, the running example's leaf is presented, and the CRL does not
    list it; switched on, the copy of the leaf that the CRL lists is presented
    (the catalogue's ``revoked`` entry).

    Args:
        revoked: the switch.
        days: the clock, in days from the book clock.

    Returns:
        The state to :func:`evaluate`.
    """
    return LabState(days=days, breakage="revoked" if revoked else "valid", crl=True)


# -- the small widgets' questions -------------------------------------------------------


def _chain_of(certificate: Issued) -> tuple[tuple[Issued, ...], tuple[Issued, ...]]:
    return certificate.intermediates, (certificate.root,)


def validity_window(certificate: Issued) -> tuple[int, int]:
    """The certificate's notBefore and notAfter, in days from the book clock (rounded down)."""
    cert = certificate.certificate
    return (
        days_from_book_clock(cert.not_valid_before_utc),
        days_from_book_clock(cert.not_valid_after_utc),
    )


def check_validity(certificate: Issued | None = None, *, days: int = 0) -> Report:
    """Validate a certificate under its own chain with the clock moved by ``days``.

    Args:
        certificate: a certificate built by pkiviz (its issuers are its chain
            and its root the trust anchor); default: the running example's leaf.
        days: the clock, in days from the book clock.

    Returns:
        The report (no host name is checked; the ``validity`` rows are the point).
    """
    cert = running_example().server if certificate is None else certificate
    intermediates, anchors = _chain_of(cert)
    return validate(cert, intermediates=intermediates, trust_anchors=anchors, at=at_day(days))


@functools.cache
def wildcard_certificate() -> Issued:
    """``*.example.com`` issued by the running example's TLS CA (as in chapter 4)."""
    return running_example().intermediate.issue_server(
        "*.example.com", label="wildcard example.com"
    )


@dataclasses.dataclass(frozen=True, repr=False)
class HostnameResult:
    """One host name tried against the running example's certificate and a wildcard one.

    Attributes:
        hostname: the name as typed (stripped).
        certificates: what each certificate's SAN says, in order.
        reports: one report per certificate, in the same order.
    """

    hostname: str
    certificates: tuple[str, ...]
    reports: tuple[Report, ...]

    def status(self) -> dict[str, str]:
        """Certificate -> status of its hostname check (``"skipped"`` for a blank name)."""
        return {
            c: r.status_of("hostname") for c, r in zip(self.certificates, self.reports, strict=True)
        }

    def table(self) -> Table:
        """One row per certificate: its SAN, the hostname check, the validator's reason."""
        rows = []
        for cert, report in zip(self.certificates, self.reports, strict=True):
            check = report.by_check("hostname")[0]
            rows.append((cert, " ".join(SYMBOLS[check.status]), check.message))
        return Table(
            ("certificate (SAN)", "hostname check", "why"),
            tuple(rows),
            caption=f"host name {self.hostname!r}",
        )

    def text(self) -> str:
        """The table as text."""
        return self.table().text()

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


@functools.lru_cache(maxsize=256)
def match_hostname(hostname: str) -> HostnameResult:
    """Validate the running example's leaf and ``*.example.com`` for a host name.

    Args:
        hostname: the name the client asks for (stripped; blank checks no name).

    Returns:
        Both reports, the running example's certificate first.
    """
    ex = running_example()
    name = hostname.strip()
    certs = (ex.server, wildcard_certificate())
    reports = tuple(
        validate(
            cert,
            intermediates=[ex.intermediate],
            trust_anchors=[ex.root],
            peer_name=name or None,
            at=clock.BOOK_CLOCK,
        )
        for cert in certs
    )
    labels = tuple("DNS:" + ", DNS:".join(c.spec.dns_names) for c in certs)
    return HostnameResult(name, labels, reports)


def check_rows(report: Report, check: str) -> Table:
    """The rows of one check in a report, as a table (status, certificate, why).

    Args:
        report: a validation report.
        check: a check name, e.g. ``"validity"``.

    Returns:
        The table, headed by the report's verdict.
    """
    verdict = "✓ VALID" if report.valid else f"✗ INVALID ({report.first_failure.check})"  # type: ignore[union-attr]
    when = "" if report.at is None else f" at {report.at:%Y-%m-%d %H:%M} UTC"
    rows = tuple(
        (" ".join(SYMBOLS[c.status]), str(c.certificate or "(path)"), c.message)
        for c in report.by_check(check)
    )
    return Table(("status", "certificate", "why"), rows, caption=f"{check}{when}: {verdict}")


__all__ = [
    "LAB_DAYS",
    "LAB_KEY_TYPES",
    "HostnameResult",
    "LabResult",
    "LabState",
    "at_day",
    "build_scenario",
    "check_rows",
    "check_validity",
    "days_from_book_clock",
    "evaluate",
    "match_hostname",
    "revocation_state",
    "validity_window",
    "wildcard_certificate",
]
