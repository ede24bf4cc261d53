"""What the validator returns: a :class:`Report` of ordered :class:`Check` results.

Everything here is a frozen dataclass with tuple fields. A report renders
itself as an HTML table in a notebook (``_repr_html_``) and as plain text
(``str(report)``); pass and fail are told apart by a symbol *and* a word,
never by colour alone. :meth:`Report.to_json_dict` is what ``pkiviz validate
--json`` prints.

A :class:`Finding` is a rule that binds a certificate authority when it issues
(a CA/Browser Forum Baseline Requirement) but that clients do not enforce when
they validate: the default profile reports it beside the verdict, in
:attr:`Report.findings`, without counting it against :attr:`Report.valid`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509

if TYPE_CHECKING:
    from pkiviz.validation.inputs import Inputs

Status = Literal["pass", "fail", "skipped"]

#: Symbol and word for each status, for text and HTML alike.
SYMBOLS: dict[str, tuple[str, str]] = {
    "pass": ("✓", "pass"),
    "fail": ("✗", "FAIL"),
    "skipped": ("–", "skipped"),
}


@dataclasses.dataclass(frozen=True)
class CertRef:
    """Which certificate a check is about.

    Attributes:
        subject: the subject as an RFC 4514 string (``"(empty subject)"`` if empty).
        index: position in the reported path (0 = leaf), or ``None`` for a
            certificate outside it (a CRL, say, or an unused candidate).
    """

    subject: str
    index: int | None = None

    def __str__(self) -> str:
        return self.subject if self.index is None else f"[{self.index}] {self.subject}"

    def to_json_dict(self) -> dict[str, Any]:
        """The reference as JSON-ready data."""
        return {"subject": self.subject, "index": self.index}


@dataclasses.dataclass(frozen=True)
class Check:
    """One verdict: a named check applied to one certificate (or the whole path).

    Attributes:
        check: the stable check name from :data:`pkiviz.validation.checks.CHECKS`,
            e.g. ``"validity"``.
        status: ``"pass"``, ``"fail"`` or ``"skipped"``.
        message: a plain-English explanation of *why*.
        rfc: the rule's source, e.g. ``"RFC 5280 4.1.2.5"``.
        certificate: the certificate concerned, ``None`` for the path as a whole.
    """

    check: str
    status: Status
    message: str
    rfc: str
    certificate: CertRef | None = None

    @property
    def passed(self) -> bool:
        """Whether the status is ``"pass"``."""
        return self.status == "pass"

    @property
    def failed(self) -> bool:
        """Whether the status is ``"fail"``."""
        return self.status == "fail"

    def __str__(self) -> str:
        symbol, word = SYMBOLS[self.status]
        where = f" {self.certificate}" if self.certificate else ""
        return f"{symbol} {word:<7} {self.check}{where}: {self.message} ({self.rfc})"

    def to_json_dict(self) -> dict[str, Any]:
        """The check as JSON-ready data."""
        return {
            "check": self.check,
            "status": self.status,
            "certificate": self.certificate.to_json_dict() if self.certificate else None,
            "message": self.message,
            "rfc": self.rfc,
        }


@dataclasses.dataclass(frozen=True)
class Finding:
    """An issuance rule the certificates break, reported beside the verdict.

    The CA/Browser Forum's Baseline Requirements bind a CA when it issues; a
    client validating a chain does not enforce every one of them (no browser
    checks that the CN copies a SAN, BR 7.1.4.3). Under a profile that reports
    such rules as findings, a broken one is a :class:`Finding`, not a failed
    :class:`Check`, and the chain may still be valid.

    Attributes:
        check: the check that found it, e.g. ``"common-name"``.
        message: what is wrong, in plain English.
        rfc: the rule, e.g. ``"BR 7.1.4.3"``.
        certificate: the certificate concerned, ``None`` for the path as a whole.
    """

    check: str
    message: str
    rfc: str
    certificate: CertRef | None = None

    def __str__(self) -> str:
        where = f" {self.certificate}" if self.certificate else ""
        return f"! finding {self.check}{where}: {self.message} ({self.rfc})"

    def to_json_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "check": self.check,
            "certificate": self.certificate.to_json_dict() if self.certificate else None,
            "message": self.message,
            "rfc": self.rfc,
        }


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A path the path builder tried, and what became of it.

    Attributes:
        subjects: subjects along the path, leaf first.
        fingerprints: SHA-256 fingerprints (hex) along the path, leaf first.
        complete: whether the path reached a trust anchor.
        valid: whether every check passed on it.
        reason: why it was rejected (empty if it was chosen and valid).
        checks: every check run on it, in report order: for a path that
            reached a trust anchor, and for the reported path; empty for a
            path the builder abandoned before any check ran (``reason`` says
            why). Not part of :meth:`to_json_dict`.
        links: for each issued-by link along it (certificate ``i`` to
            ``i + 1``), what the path builder found when it verified the
            signature: ``("pass", "the signature verifies")``, ``("fail",
            why)``, or ``("skipped", ...)`` for a link it never verified (the
            repeat that closes a cycle, a step past the depth limit). Not part
            of :meth:`to_json_dict`.
    """

    subjects: tuple[str, ...]
    fingerprints: tuple[str, ...]
    complete: bool
    valid: bool
    reason: str
    checks: tuple[Check, ...] = dataclasses.field(default=(), repr=False)
    links: tuple[tuple[Status, str], ...] = dataclasses.field(default=(), repr=False)

    def __str__(self) -> str:
        verdict = "valid" if self.valid else f"rejected: {self.reason}"
        return " -> ".join(self.subjects) + f"  [{verdict}]"

    def to_json_dict(self) -> dict[str, Any]:
        """The candidate as JSON-ready data (without its checks)."""
        return {
            "subjects": list(self.subjects),
            "fingerprints": list(self.fingerprints),
            "complete": self.complete,
            "valid": self.valid,
            "reason": self.reason,
        }


@dataclasses.dataclass(frozen=True)
class Report:
    """The outcome of :func:`pkiviz.validation.validate`.

    Attributes:
        checks: every check in table order, then certificate order.
        path: the chosen chain, leaf first (the best attempt if invalid).
        candidates: every candidate path tried while building, in order.
        peer_name: the name the leaf was matched against, if any.
        purpose: ``"server"`` or ``"client"``.
        profile: the profile's name (``"browser"``, ``"webpki"``, ``"rfc5280"``).
        at: the validation time.
        findings: issuance rules the chosen path breaks that the profile reports
            beside the verdict instead of failing on (see :class:`Finding`);
            they do not count against :attr:`valid`.
        inputs: everything the validation was given
            (:class:`~pkiviz.validation.inputs.Inputs`, with ``at`` the time it
            used), so a reader of the report (the chain graph, another
            verifier) never has to be handed the certificates again or to
            validate again; ``None`` for a report built by hand. Not part of
            :meth:`to_json_dict`.
    """

    checks: tuple[Check, ...]
    path: tuple[x509.Certificate, ...]
    candidates: tuple[Candidate, ...] = ()
    peer_name: str | None = None
    purpose: str = "server"
    profile: str = "browser"
    at: _dt.datetime | None = None
    findings: tuple[Finding, ...] = ()
    inputs: Inputs | None = dataclasses.field(default=None, repr=False)

    @property
    def valid(self) -> bool:
        """True when no check failed (findings do not count)."""
        return not any(c.failed for c in self.checks)

    @property
    def failed(self) -> tuple[Check, ...]:
        """The failed checks, in report order."""
        return tuple(c for c in self.checks if c.failed)

    @property
    def first_failure(self) -> Check | None:
        """The first failed check, or ``None`` if the chain is valid."""
        return next((c for c in self.checks if c.failed), None)

    @property
    def path_subjects(self) -> tuple[str, ...]:
        """Subjects along the chosen path, leaf first."""
        return tuple(subject_text(c) for c in self.path)

    def by_check(self, name: str) -> tuple[Check, ...]:
        """The checks with a given name.

        Args:
            name: a check name such as ``"hostname"``.

        Returns:
            Those checks, in report order.
        """
        return tuple(c for c in self.checks if c.check == name)

    def status_of(self, name: str) -> Status:
        """The combined status of one check: fail if any failed, else pass if any passed.

        Args:
            name: a check name.

        Returns:
            ``"fail"``, ``"pass"`` or ``"skipped"`` (also when the check never ran).
        """
        statuses = {c.status for c in self.by_check(name)}
        if "fail" in statuses:
            return "fail"
        return "pass" if "pass" in statuses else "skipped"

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready data: verdict, checks, findings, path, candidates and the inputs."""
        return {
            "valid": self.valid,
            "checks": [c.to_json_dict() for c in self.checks],
            "findings": [f.to_json_dict() for f in self.findings],
            "path": [
                {"subject": subject_text(c), "fingerprint_sha256": fingerprint(c)}
                for c in self.path
            ],
            "candidates": [c.to_json_dict() for c in self.candidates],
            "peer_name": self.peer_name,
            "purpose": self.purpose,
            "profile": self.profile,
            "at": self.at.isoformat() if self.at else None,
        }

    def text(self) -> str:
        """A plain-text rendering: verdict, path, then one line per check."""
        verdict = "VALID" if self.valid else "INVALID"
        lines = [f"{verdict}: {self._summary()}"]
        if self.path:
            lines.append("path: " + " -> ".join(self.path_subjects))
        lines.extend(str(c) for c in self.checks)
        if self.findings:
            lines.append(f"{len(self.findings)} finding(s) beside the verdict ({FINDINGS_NOTE}):")
            lines.extend(f"  {f}" for f in self.findings)
        chosen = tuple(fingerprint(c) for c in self.path)
        rejected = [c for c in self.candidates if not c.valid and c.fingerprints != chosen]
        if rejected:
            lines.append(f"{len(rejected)} other candidate path(s) rejected:")
            lines.extend(f"  {c}" for c in rejected)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def _summary(self) -> str:
        first = self.first_failure
        if first is None:
            passed = sum(c.passed for c in self.checks)
            return f"{passed} checks passed" + (f" for {self.peer_name}" if self.peer_name else "")
        return f"{first.check}: {first.message}"

    def _repr_html_(self) -> str:
        verdict = "✓ VALID" if self.valid else "✗ INVALID"
        rows = []
        for c in self.checks:
            symbol, word = SYMBOLS[c.status]
            background = {"pass": "#efe", "fail": "#fdd", "skipped": "#f4f4f4"}[c.status]
            cells = (
                f"{symbol} {word}",
                c.check,
                str(c.certificate) if c.certificate else "(path)",
                c.message,
                c.rfc,
            )
            tds = "".join(f'<td style="{_CELL}">{html.escape(x)}</td>' for x in cells)
            rows.append(f'<tr style="background:{background}">{tds}</tr>')
        head = "".join(
            f'<th style="{_CELL}">{h}</th>'
            for h in ("status", "check", "certificate", "why", "rule")
        )
        path = " → ".join(html.escape(s) for s in self.path_subjects) or "(no path)"
        return (
            f"<div><p><b>{html.escape(verdict)}</b>: {html.escape(self._summary())}<br>"
            f"path: {path}</p>"
            f'<table style="border-collapse:collapse;font-size:0.9em;text-align:left">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"{self._findings_html()}</div>"
        )

    def _findings_html(self) -> str:
        if not self.findings:
            return ""
        rows = []
        for f in self.findings:
            cells = (
                "! finding",
                f.check,
                str(f.certificate) if f.certificate else "(path)",
                f.message,
                f.rfc,
            )
            tds = "".join(f'<td style="{_CELL}">{html.escape(x)}</td>' for x in cells)
            rows.append(f'<tr style="background:#ffd">{tds}</tr>')
        head = "".join(
            f'<th style="{_CELL}">{h}</th>' for h in ("", "check", "certificate", "what", "rule")
        )
        return (
            f"<p>{len(self.findings)} finding(s) beside the verdict "
            f"({html.escape(FINDINGS_NOTE)}):</p>"
            f'<table style="border-collapse:collapse;font-size:0.9em;text-align:left">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )


#: What a finding is, in the words the text and HTML renderings use.
FINDINGS_NOTE = "CA issuance rules clients do not enforce; not counted in the verdict"

_CELL = "border:1px solid #ccc;padding:2px 6px;vertical-align:top;text-align:left"


def subject_text(cert: x509.Certificate) -> str:
    """A certificate's subject as RFC 4514 text, or ``"(empty subject)"``."""
    try:
        text = cert.subject.rfc4514_string()
    except ValueError:  # cryptography cannot decode it (a UTF8String that is not UTF-8, say)
        text = "(undecodable subject)"
    return text or "(empty subject)"


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint of a certificate's DER as lower-case hex."""
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex()
