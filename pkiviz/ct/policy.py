"""The browsers' CT rules as pure functions: enough valid SCTs, from enough logs and operators?

Verifying each SCT (:mod:`pkiviz.ct.verify`) says which SCTs are genuine; a
browser then asks whether the genuine ones are *enough*. Two policies, as
published on 2026-12-07:

**Chrome** (Chrome Certificate Transparency Policy,
https://googlechrome.github.io/CertificateTransparency/ct_policy.html; source
``ct_policy.md`` in GoogleChrome/CertificateTransparency, commit
6ff6cecc5ca7021a8a2d73a4465f60523380569d of 2026-07-22). A certificate is
CT compliant if one of these holds:

* *Embedded SCTs*: (1) at least one embedded SCT from a log ``Qualified``,
  ``Usable`` or ``ReadOnly`` at the time of check; (2) embedded SCTs from at
  least N distinct logs ``Qualified``, ``Usable``, ``ReadOnly`` or
  ``Retired`` at the time of check, N = 2 for a lifetime of at most 180 days
  and 3 above; (3) among those, SCTs from at least two distinct log operators.
* *SCTs delivered via TLS*: at least two SCTs from logs ``Qualified``,
  ``Usable`` or ``ReadOnly`` at the time of check, from at least two distinct
  operators. Chrome before version 148 also counted SCTs in stapled OCSP
  responses under the same rule (``ocsp_counts=True`` here).

An SCT from a ``Retired`` log counts only if issued before the log's
retirement; Chrome compares the *earliest* of the SCTs that verified (known
log, good signature) with that timestamp, so an unverifiable SCT cannot
backdate the others. Operators are the ``operators`` entries of the log list (a log's
``previous_operators`` are not modelled here).

**Apple** (Apple's Certificate Transparency policy,
https://support.apple.com/en-us/103214): at least two SCTs from logs once or
currently approved at the time of check, and either

* at least two SCTs from currently approved logs with at least one delivered
  via the TLS extension or OCSP stapling; or
* at least one embedded SCT from a currently approved log and embedded SCTs
  from at least N distinct once-or-currently approved logs: N = 2 with at most
  1 counted per operator for a lifetime of 180 days or less, N = 3 with at
  most 2 per operator for 181 to 398 days.

Apple measures the lifetime as RFC 5280 4.1.2.5 does, notBefore through
notAfter *inclusive*, in days of 86,400 seconds, any remainder counting as
another day (:func:`apple_lifetime_days`). Here "currently approved" means the
log list state is ``qualified``, ``usable`` or ``readonly`` and "once approved"
adds ``retired`` logs for SCTs issued before retirement.

Both functions take the per-SCT :class:`~pkiviz.ct.verify.SCTCheck` s (whose
``log`` carries the operator and state from the client's list), the
certificate's validity and ``at``; they return a frozen :class:`PolicyVerdict`
with the counts and the reason, and never raise for a failing certificate.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pkiviz import _html, clock
from pkiviz.ct.known_logs import KnownLog, KnownLogs
from pkiviz.ct.verify import SCTCheck
from pkiviz.x509.load import as_certificate

CHROME_POLICY_URL = "https://googlechrome.github.io/CertificateTransparency/ct_policy.html"
APPLE_POLICY_URL = "https://support.apple.com/en-us/103214"

_CURRENT = frozenset({"qualified", "usable", "readonly"})
_ONCE = _CURRENT | {"retired"}
_DAY = 86_400


@dataclass(frozen=True)
class PolicyVerdict:
    """Whether a certificate's SCTs meet a browser's CT policy.

    Attributes:
        policy: ``"chrome"`` or ``"apple"``.
        compliant: whether the policy is met.
        reason: one sentence: what was met, or the first requirement missed.
        required_logs: distinct logs needed for embedded SCTs (0 if the lifetime has no row).
        valid_scts: SCTs that verified.
        distinct_logs: distinct logs among the SCTs that count.
        distinct_operators: distinct operators among them.
        counted: names of the logs that count, in SCT order.
        lifetime_days: the certificate lifetime in days as the policy measures it.
        source: the policy's URL.
    """

    policy: str
    compliant: bool
    reason: str
    required_logs: int
    valid_scts: int
    distinct_logs: int
    distinct_operators: int
    counted: tuple[str, ...]
    lifetime_days: float
    source: str

    def __bool__(self) -> bool:
        return self.compliant

    def _repr_html_(self) -> str:
        rows = [
            ("verdict", "CT compliant" if self.compliant else "not CT compliant"),
            ("why", self.reason),
            ("lifetime (days)", f"{self.lifetime_days:g}"),
            ("distinct logs required", str(self.required_logs)),
            ("valid SCTs", str(self.valid_scts)),
            ("distinct logs counted", str(self.distinct_logs)),
            ("distinct operators", str(self.distinct_operators)),
            ("logs counted", ", ".join(self.counted) or "(none)"),
            ("policy", self.source),
        ]
        return _html.table(rows, header=("", ""), caption=f"{self.policy.title()} CT policy")


def validity_of(cert: object) -> tuple[dt.datetime, dt.datetime]:
    """``(notBefore, notAfter)`` of a certificate, aware UTC."""
    c = as_certificate(cert)
    return c.not_valid_before_utc, c.not_valid_after_utc


def chrome_lifetime_days(not_before: dt.datetime, not_after: dt.datetime) -> float:
    """notAfter - notBefore in days, as Chrome compares it with 180 days."""
    return (clock.as_utc(not_after) - clock.as_utc(not_before)).total_seconds() / _DAY


def apple_lifetime_days(not_before: dt.datetime, not_after: dt.datetime) -> int:
    """Apple's lifetime: notBefore through notAfter inclusive (RFC 5280 4.1.2.5), whole days up."""
    seconds = (clock.as_utc(not_after) - clock.as_utc(not_before)).total_seconds() + 1
    return math.ceil(seconds / _DAY)


def _log_of(check: SCTCheck, logs: KnownLogs | None) -> KnownLog | None:
    return check.log if logs is None else logs.find(check.log_id)


def _counts(
    check: SCTCheck, log: KnownLog | None, states: frozenset[str], at: dt.datetime, earliest: int
) -> bool:
    """Whether a verified SCT's log is in one of ``states`` at ``at`` (retired: SCT before)."""
    if not check.ok or log is None:
        return False
    state = log.state_at(at)
    if state not in states:
        return False
    if state == "retired" and log.state_since is not None:
        return earliest < int(log.state_since.timestamp() * 1000)
    return True


def _distinct(pairs: Sequence[tuple[SCTCheck, KnownLog]]) -> tuple[list[KnownLog], set[str]]:
    seen: dict[bytes, KnownLog] = {}
    for _, log in pairs:
        seen.setdefault(log.log_id, log)
    return list(seen.values()), {log.operator for log in seen.values()}


def _verdict(
    policy: str,
    url: str,
    required: int,
    valid: int,
    lifetime: float,
    ok: bool,
    reason: str,
    counted: Sequence[tuple[SCTCheck, KnownLog]],
) -> PolicyVerdict:
    """A policy's verdict, with the distinct logs and operators among the SCTs it counted."""
    distinct, operators = _distinct(counted)
    return PolicyVerdict(
        policy,
        ok,
        reason,
        required,
        valid,
        len(distinct),
        len(operators),
        tuple(log.name for log in distinct),
        lifetime,
        url,
    )


def chrome_policy(
    checks: Iterable[SCTCheck],
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    at: dt.datetime,
    logs: KnownLogs | None = None,
    ocsp_counts: bool = False,
) -> PolicyVerdict:
    """Chrome's CT policy (see the module docstring for the rule and its source).

    Args:
        checks: one verdict per SCT presented (embedded, TLS or OCSP; their
            ``sct.source`` says which).
        not_before: the certificate's notBefore.
        not_after: the certificate's notAfter.
        at: the time of the check (log states are read at this time).
        logs: the log list to read operators and states from (default: each
            check's own ``log``).
        ocsp_counts: count OCSP-stapled SCTs like TLS ones (Chrome before 148).

    Returns:
        The :class:`PolicyVerdict`.
    """
    at = clock.as_utc(at)
    all_checks = list(checks)
    lifetime = chrome_lifetime_days(not_before, not_after)
    required = 2 if lifetime <= 180 else 3
    valid = [c for c in all_checks if c.ok]
    earliest = min((c.sct.timestamp for c in valid), default=0)
    pairs = [(c, _log_of(c, logs)) for c in valid]
    known = [(c, log) for c, log in pairs if log is not None]

    verdict = functools.partial(
        _verdict, "chrome", CHROME_POLICY_URL, required, len(valid), lifetime
    )

    delivered = {"tls"} | ({"ocsp"} if ocsp_counts else set())
    tls = [
        (c, log)
        for c, log in known
        if c.sct.source in delivered and _counts(c, log, _CURRENT, at, earliest)
    ]
    _, tls_ops = _distinct(tls)
    if len(tls) >= 2 and len(tls_ops) >= 2:
        return verdict(
            True, f"{len(tls)} SCTs delivered via TLS from {len(tls_ops)} operators", tls
        )
    embedded = [(c, log) for c, log in known if c.sct.source == "embedded"]
    current = [(c, log) for c, log in embedded if _counts(c, log, _CURRENT, at, earliest)]
    once = [(c, log) for c, log in embedded if _counts(c, log, _ONCE, at, earliest)]
    once_logs, once_ops = _distinct(once)
    if not current:
        return verdict(
            False,
            "no valid embedded SCT from a log Qualified, Usable or ReadOnly at the time of check",
            once,
        )
    if len(once_logs) < required:
        return verdict(
            False,
            f"valid embedded SCTs from {len(once_logs)} distinct log(s); a lifetime of "
            f"{lifetime:.0f} days needs {required}",
            once,
        )
    if len(once_ops) < 2:
        return verdict(
            False, f"all counted SCTs come from one log operator ({next(iter(once_ops))})", once
        )
    return verdict(
        True,
        f"valid embedded SCTs from {len(once_logs)} distinct logs and {len(once_ops)} operators "
        f"(lifetime {lifetime:.0f} days needs {required})",
        once,
    )


def _capped(
    pairs: Sequence[tuple[SCTCheck, KnownLog]], cap: int
) -> list[tuple[SCTCheck, KnownLog]]:
    """One SCT per distinct log, at most ``cap`` logs per operator."""
    out: list[tuple[SCTCheck, KnownLog]] = []
    logs_seen: set[bytes] = set()
    per_operator: dict[str, int] = {}
    for check, log in pairs:
        if log.log_id in logs_seen or per_operator.get(log.operator, 0) >= cap:
            continue
        logs_seen.add(log.log_id)
        per_operator[log.operator] = per_operator.get(log.operator, 0) + 1
        out.append((check, log))
    return out


def apple_policy(
    checks: Iterable[SCTCheck],
    *,
    not_before: dt.datetime,
    not_after: dt.datetime,
    at: dt.datetime,
    logs: KnownLogs | None = None,
) -> PolicyVerdict:
    """Apple's CT policy (see the module docstring for the rule and its source).

    Args:
        checks: one verdict per SCT presented.
        not_before: the certificate's notBefore.
        not_after: the certificate's notAfter.
        at: the time of the check.
        logs: the log list to read operators and states from (default: each check's ``log``).

    Returns:
        The :class:`PolicyVerdict`.
    """
    at = clock.as_utc(at)
    all_checks = list(checks)
    days = apple_lifetime_days(not_before, not_after)
    required, cap = (2, 1) if days <= 180 else (3, 2) if days <= 398 else (0, 0)
    valid = [c for c in all_checks if c.ok]
    earliest = min((c.sct.timestamp for c in valid), default=0)
    known = [(c, log) for c in valid if (log := _log_of(c, logs)) is not None]
    once = [(c, log) for c, log in known if _counts(c, log, _ONCE, at, earliest)]
    current = [(c, log) for c, log in known if _counts(c, log, _CURRENT, at, earliest)]

    verdict = functools.partial(
        _verdict, "apple", APPLE_POLICY_URL, required, len(valid), float(days)
    )

    if len(once) < 2:
        return verdict(
            False, f"{len(once)} valid SCT(s) from approved logs; at least 2 needed", once
        )
    delivered = [(c, log) for c, log in current if c.sct.source in ("tls", "ocsp")]
    if len(current) >= 2 and delivered:
        return verdict(
            True, f"{len(current)} SCTs from approved logs, one delivered via TLS or OCSP", current
        )
    if required == 0:
        return verdict(False, f"a lifetime of {days} days is beyond the table (398 days)", once)
    embedded_current = [p for p in current if p[0].sct.source == "embedded"]
    if not embedded_current:
        return verdict(False, "no valid embedded SCT from a currently approved log", once)
    counted = _capped([p for p in once if p[0].sct.source == "embedded"], cap)
    if len(counted) < required:
        return verdict(
            False,
            f"{len(counted)} embedded SCT(s) count (distinct logs, at most {cap} per operator); "
            f"a lifetime of {days} days needs {required}",
            counted,
        )
    return verdict(
        True,
        f"{len(counted)} embedded SCTs from distinct logs count (at most {cap} per operator); "
        f"a lifetime of {days} days needs {required}",
        counted,
    )


__all__ = [
    "APPLE_POLICY_URL",
    "CHROME_POLICY_URL",
    "PolicyVerdict",
    "apple_lifetime_days",
    "apple_policy",
    "chrome_lifetime_days",
    "chrome_policy",
    "validity_of",
]
