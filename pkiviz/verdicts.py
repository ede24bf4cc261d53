"""Real verdicts on a catalogue scenario: pkiviz, cryptography and ``openssl verify``, run.

Nothing here is typed in: each function hands a
:class:`~pkiviz.catalogue.Scenario` to one verifier and returns a
:class:`Verdict` with the tool's own words. :func:`catalogue_table` runs all
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

from cryptography import x509
from cryptography.x509 import verification as xv

from pkiviz import clock
from pkiviz.catalogue import CATALOGUE, Breakage, Scenario
from pkiviz.table import Table
from pkiviz.tools import ToolRun, run_tool
from pkiviz.validation import validate

Tool = Literal["pkiviz", "cryptography", "openssl"]

#: The TLS security level ``openssl verify`` is asked to apply (``-auth_level``).
AUTH_LEVEL = 2

_OPENSSL_ERROR = re.compile(r"^error (\d+) at (\d+) depth lookup: (.*)$", re.MULTILINE)
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
    report = validate(
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
    failed: list[str] = []
    for check in report.failed:
        if check.check not in failed:
            failed.append(check.check)
    first = report.first_failure
    error = "" if first is None else f"{first.check}: {first.message}"
    return Verdict("pkiviz", scenario.name, first is None, error, tuple(failed))


def cryptography_verdict(scenario: Scenario, *, at: _dt.datetime | None = None) -> Verdict:
    """Verify the scenario with ``cryptography.x509.verification`` (Web PKI policy).

    Its verifier takes no CRLs: for a scenario with CRLs it answers as if
    there were none, which is the point of showing it.

    Args:
        scenario: what to verify.
        at: validation time; ``None`` uses the scenario's.

    Returns:
        The verdict, with cryptography's exception message as the error.
    """
    if scenario.leaf is None:
        return _nothing(scenario, "cryptography")
    builder = xv.PolicyBuilder().store(xv.Store(list(scenario.anchors)))
    builder = builder.time(_when(scenario, at))
    try:
        if scenario.purpose == "server":
            if scenario.peer_name is None:
                raise ValueError("a server scenario needs a peer name")
            verifier = builder.build_server_verifier(x509.DNSName(scenario.peer_name))
            verifier.verify(scenario.leaf, list(scenario.intermediates))
        else:
            builder.build_client_verifier().verify(scenario.leaf, list(scenario.intermediates))
    except xv.VerificationError as exc:
        return Verdict("cryptography", scenario.name, False, str(exc) or type(exc).__name__)
    return Verdict("cryptography", scenario.name, True)


def openssl_argv(scenario: Scenario, *, at: _dt.datetime | None = None) -> tuple[str, ...]:
    """The ``openssl verify`` command for a scenario, with file names relative to its directory.

    Args:
        scenario: the scenario (its files name what is passed).
        at: validation time for ``-attime``; ``None`` uses the scenario's.

    Returns:
        The argv, program name first.
    """
    when = int(_when(scenario, at).timestamp())
    purpose = "sslserver" if scenario.purpose == "server" else "sslclient"
    argv = ["openssl", "verify", "-attime", str(when), "-auth_level", str(AUTH_LEVEL)]
    argv += ["-purpose", purpose]
    trust = "root.pem" if scenario.purpose == "server" else "client-root.pem"
    argv += ["-CAfile", trust, "-untrusted", "chain.pem"]
    if scenario.peer_name is not None:
        argv += ["-verify_hostname", scenario.peer_name]
    if scenario.crls:
        argv += ["-crl_check", "-CRLfile", "crl.pem"]
    leaf = "server.pem" if scenario.purpose == "server" else "client.pem"
    return (*argv, leaf)


def openssl_verdict(scenario: Scenario, *, at: _dt.datetime | None = None) -> Verdict:
    """Run ``openssl verify`` on the scenario's files, written to a private temporary directory.

    Args:
        scenario: what to verify.
        at: validation time (``-attime``); ``None`` uses the scenario's.

    Returns:
        The verdict; the error is OpenSSL's ``error N at D depth lookup``
        lines, and ``run`` holds the whole run.

    Raises:
        InputError: if ``openssl`` is not installed or hangs.
    """
    if scenario.leaf is None:
        return _nothing(scenario, "openssl")
    argv = openssl_argv(scenario, at=at)
    with tempfile.TemporaryDirectory(prefix="pkiviz-verdict-") as tmp:
        os.chmod(tmp, 0o700)
        scenario.write_to(tmp)
        run = run_tool(argv, cwd=tmp)
    if run.ok:
        return Verdict("openssl", scenario.name, True, run=run)
    errors = [
        f"{message} (error {code} at depth {depth})"
        for code, depth, message in _OPENSSL_ERROR.findall(run.output)
    ]
    error = "; ".join(errors) or run.output.strip().splitlines()[0]
    return Verdict("openssl", scenario.name, False, error, run=run)


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
    "verdicts_for",
]
