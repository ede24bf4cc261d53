"""Real verdicts on a catalogue scenario: pkiviz, cryptography and ``openssl verify``, run.

Nothing here is typed in: each function hands a
:class:`~pkiviz.lab.catalogue.Scenario`, as one :class:`~pkiviz.validation.Inputs`
(:func:`scenario_inputs`), to one verifier adapter of :mod:`pkiviz.crosscheck.verifiers`
and returns a :class:`Verdict` with the tool's own words. :func:`catalogue_table` runs all
three on every entry of the catalogue and renders the result as a
:class:`~pkiviz.table.Table`.

OpenSSL is run as ``openssl verify`` with the options a TLS client sets:
``-purpose sslserver`` (or ``sslclient``), ``-verify_hostname``, and
``-auth_level 2``, the security level Debian's OpenSSL applies in TLS (without
it ``openssl verify`` accepts SHA-1 signatures and RSA-1024 keys that curl
refuses). ``-attime`` pins the validation time; where the scenario has CRLs,
``-crl_check -CRLfile crl.pem``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import os
import re
import tempfile
from typing import Any, Literal

from pkiviz import clock
from pkiviz.crosscheck.verifiers import (
    OPENSSL_TLS,
    OpenSSLFiles,
    VerifierVerdict,
    cryptography_verifier,
    pkiviz_verifier,
)
from pkiviz.lab.catalogue import CATALOGUE, Breakage, Scenario
from pkiviz.net.tools import ToolRun
from pkiviz.table import Table
from pkiviz.validation import Inputs

Tool = Literal["pkiviz", "cryptography", "openssl"]

#: The TLS security level ``openssl verify`` is asked to apply (``-auth_level``).
AUTH_LEVEL = 2

_DEPTH = re.compile(r" \(error \d+ at depth \d+\)$")
_ENCOUNTERED = re.compile(r"\s*\(encountered processing <.*$", re.DOTALL)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What one verifier said about one scenario.

    Attributes:
        tool: ``"pkiviz"``, ``"cryptography"`` or ``"openssl"``.
        scenario: the scenario's name.
        accepted: whether it accepted; ``None`` when it could not be asked
            (no certificate reached it).
        error: the tool's own error text (``""`` when accepted), or why it
            could not be asked.
        checks: pkiviz only: the checks that failed, first failure first.
        run: openssl only: the command as run and everything it printed.
    """

    tool: Tool
    scenario: str
    accepted: bool | None
    error: str = ""
    checks: tuple[str, ...] = ()
    run: ToolRun | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def check(self) -> str | None:
        """pkiviz's first failing check, ``None`` if none failed."""
        return self.checks[0] if self.checks else None

    @property
    def summary(self) -> str:
        """One short cell: ``accepted``, ``rejected: <error>`` or ``n/a: <why>``."""
        if self.accepted is None:
            return f"n/a: {self.error}"
        if self.accepted:
            return "accepted"
        if self.tool == "pkiviz":
            also = f" (also: {', '.join(self.checks[1:])})" if len(self.checks) > 1 else ""
            return f"rejected: {self.check}{also}"
        return f"rejected: {_short(self.error)}"

    @property
    def reason(self) -> str:
        """The first error, without the wrapping (``validation failed:``, object reprs).

        pkiviz's own message is one explanation and may contain ``"; "``;
        the real tools' errors are clauses joined by ``"; "``, of which the
        first is the reason.
        """
        return _short(self.error, limit=10_000, clauses=self.tool != "pkiviz")

    def text(self) -> str:
        """Render as ``tool on scenario: verdict``, then the error in full."""
        head = f"{self.tool} on {self.scenario}: {self.summary}"
        if self.accepted is False and self.error:
            return f"{head}\n  {self.error}"
        return head

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text())}</pre>"


def _short(error: str, limit: int = 56, *, clauses: bool = True) -> str:
    head = error.split("; ")[0] if clauses else error
    first = _ENCOUNTERED.sub("", head.splitlines()[0] if error else "")
    for prefix in ("validation failed: ", "candidates exhausted: "):
        first = first.removeprefix(prefix)
    first = _DEPTH.sub("", first)
    return first if len(first) <= limit else first[: limit - 3] + "..."


def _when(scenario: Scenario, at: _dt.datetime | None) -> _dt.datetime:
    return clock.as_utc(scenario.at if at is None else at)


def _nothing(scenario: Scenario, tool: Tool) -> Verdict:
    who = "client" if scenario.purpose == "client" else "server"
    return Verdict(tool, scenario.name, None, f"the {who} sent no certificate to verify")


def scenario_inputs(scenario: Scenario, *, at: _dt.datetime | None = None) -> Inputs:
    """What every verifier is handed for a scenario, as one :class:`Inputs`.

    Args:
        scenario: a scenario whose peer presents a certificate.
        at: validation time; ``None`` uses the scenario's (the book clock).

    Returns:
        Leaf, intermediates, anchors, peer name, time, purpose, CRLs and CT policy.

    Raises:
        ValueError: if the peer presents no certificate.
    """
    if scenario.leaf is None:
        raise ValueError(f"scenario {scenario.name!r}: the peer sends no certificate")
    return Inputs(
        scenario.leaf,
        intermediates=scenario.intermediates,
        trust_anchors=scenario.anchors,
        peer_name=scenario.peer_name,
        at=_when(scenario, at),
        purpose=scenario.purpose,
        crls=scenario.crls,
        ct_policy=scenario.ct_policy,
        ct_logs=scenario.ct_logs,
    )


def pkiviz_verdict(scenario: Scenario, *, at: _dt.datetime | None = None) -> Verdict:
    """Validate the scenario with :func:`pkiviz.validation.validate`.

    Args:
        scenario: what to validate.
        at: validation time; ``None`` uses the scenario's (the book clock).

    Returns:
        The verdict; ``checks`` lists every failed check, first failure first.
    """
    if scenario.leaf is None:
        return _nothing(scenario, "pkiviz")
    return report_verdict(scenario, pkiviz_verifier(scenario_inputs(scenario, at=at)))


def report_verdict(scenario: Scenario, said: VerifierVerdict) -> Verdict:
    """pkiviz's verdict on a scenario from its adapter's (the report's) answer.

    The lab, which holds the report already, calls this with
    :func:`pkiviz.crosscheck.verifiers.verdict_of` instead of validating again.

    Args:
        scenario: the scenario validated.
        said: pkiviz's adapter verdict, with its report.

    Returns:
        The verdict; ``checks`` lists every failed check, first failure first.
    """
    assert said.report is not None, "a pkiviz verdict carries its report"
    failed: list[str] = []
    for check in said.report.failed:
        if check.check not in failed:
            failed.append(check.check)
    return Verdict("pkiviz", scenario.name, said.accepted, said.error, tuple(failed))


def cryptography_verdict(scenario: Scenario, *, at: _dt.datetime | None = None) -> Verdict:
    """Verify the scenario with ``cryptography.x509.verification`` (Web PKI policy).

    Its verifier takes no CRLs: for a scenario with CRLs it answers as if
    there were none, which is the point of showing it.

    Args:
        scenario: what to verify.
        at: validation time; ``None`` uses the scenario's.

    Returns:
        The verdict, with cryptography's exception message as the error; a
        question it cannot take (an empty trust store, a name it cannot
        parse) is ``accepted=None``, ``"cannot be asked: ..."``.

    Raises:
        ValueError: for a server scenario without a peer name.
    """
    if scenario.leaf is None:
        return _nothing(scenario, "cryptography")
    if scenario.purpose == "server" and scenario.peer_name is None:
        raise ValueError("a server scenario needs a peer name")
    said = cryptography_verifier(scenario_inputs(scenario, at=at))
    if said.accepted is None:
        return Verdict("cryptography", scenario.name, None, f"cannot be asked: {said.error}")
    return Verdict("cryptography", scenario.name, said.accepted, said.error)


def _files(scenario: Scenario) -> OpenSSLFiles:
    server = scenario.purpose == "server"
    return OpenSSLFiles(
        anchors="root.pem" if server else "client-root.pem",
        untrusted="chain.pem",
        leaf="server.pem" if server else "client.pem",
        crls="crl.pem",
    )


def openssl_argv(scenario: Scenario, *, at: _dt.datetime | None = None) -> tuple[str, ...]:
    """The ``openssl verify`` command for a scenario, with file names relative to its directory.

    Args:
        scenario: the scenario (its files name what is passed).
        at: validation time for ``-attime``; ``None`` uses the scenario's.

    Returns:
        The argv, program name first.
    """
    return OPENSSL_TLS.argv(scenario_inputs(scenario, at=at), _files(scenario))


def openssl_verdict(scenario: Scenario, *, at: _dt.datetime | None = None) -> Verdict:
    """Run ``openssl verify`` on the scenario's files, written to a private temporary directory.

    Args:
        scenario: what to verify.
        at: validation time (``-attime``); ``None`` uses the scenario's.

    Returns:
        The verdict; the error is OpenSSL's ``error N at D depth lookup``
        lines, and ``run`` holds the whole run (``accepted=None`` without
        ``openssl``).

    Raises:
        InputError: if ``openssl`` hangs.
    """
    if scenario.leaf is None:
        return _nothing(scenario, "openssl")
    inputs = scenario_inputs(scenario, at=at)
    with tempfile.TemporaryDirectory(prefix="pkiviz-verdict-") as tmp:
        os.chmod(tmp, 0o700)
        scenario.write_to(tmp)
        said = OPENSSL_TLS.run_in(inputs, tmp, _files(scenario))
    return Verdict("openssl", scenario.name, said.accepted, said.error, run=said.run)


def verdicts_for(
    scenario: Scenario, *, at: _dt.datetime | None = None
) -> tuple[Verdict, Verdict, Verdict]:
    """pkiviz's, cryptography's and OpenSSL's verdicts on one scenario.

    Args:
        scenario: what to verify.
        at: validation time; ``None`` uses the scenario's.

    Returns:
        The three verdicts, in that order.
    """
    return (
        pkiviz_verdict(scenario, at=at),
        cryptography_verdict(scenario, at=at),
        openssl_verdict(scenario, at=at),
    )


def catalogue_table(
    *, at: _dt.datetime = clock.BOOK_CLOCK, entries: tuple[Breakage, ...] = CATALOGUE
) -> Table:
    """Run the three verifiers on every catalogue entry and tabulate what they said.

    Args:
        at: validation time for all of them.
        entries: which entries (default: the whole catalogue).

    Returns:
        A table: entry, pkiviz (failed checks), cryptography, OpenSSL, badssl.com.
        The badssl.com column is each entry's recorded ``badssl`` subdomain (a static
        mapping); badssl.com itself is never contacted.
    """
    rows = []
    for entry in entries:
        ours, theirs, openssl = verdicts_for(entry.scenario(), at=at)
        rows.append(
            (
                entry.id,
                ours.summary,
                theirs.summary,
                openssl.summary,
                entry.badssl or "-",
            )
        )
    return Table(
        ("entry", "pkiviz", "cryptography", "OpenSSL", "badssl.com"),
        tuple(rows),
        caption=(
            f"The Break-it catalogue, verified at {at:%Y-%m-%d %H:%M} UTC"
            f" (OpenSSL: openssl verify -auth_level {AUTH_LEVEL}; badssl.com: the page with the"
            " same mistake, a fixed mapping, not run)"
        ),
    )


__all__ = [
    "AUTH_LEVEL",
    "Verdict",
    "catalogue_table",
    "cryptography_verdict",
    "openssl_argv",
    "openssl_verdict",
    "pkiviz_verdict",
    "report_verdict",
    "scenario_inputs",
    "verdicts_for",
]
