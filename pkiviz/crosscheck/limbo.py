"""Run x509-limbo (the X.509 path-validation test suite) through pkiviz and cryptography.

Each test case is validated in the same run by
:func:`pkiviz.validation.validate` under each profile (:data:`PROFILE_NAMES`,
the default ``"browser"`` first) and by ``cryptography.x509.verification``.
Every profile sees every case: no profile is chosen from a case's id. Scores
are kept per namespace (the id's prefix before ``::``): cases, agreement with
the expected result, false accepts, false rejects, skipped, seconds. A
validator that rejects everything already agrees on most cases, so read false
accepts and false rejects, not agreement alone.

Limbo mixes the RFC 5280 and the Web PKI readings and marks the pairs of cases
that contradict each other (``conflicts_with``): no one profile can agree with
both cases of a pair. :meth:`LimboRun.conflicts` names them.

Command line: ``python -m pkiviz.crosscheck.limbo [--limbo PATH] [--json] [--only PREFIX]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import lzma
import os
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning

from pkiviz import clock
from pkiviz.crosscheck.verifiers import cryptography_verifier
from pkiviz.errors import InputError
from pkiviz.validation import PROFILES, Inputs, PeerName, Profile, Report, validate

#: The repository's root (this file is ``pkiviz/crosscheck/limbo.py``).
_REPO = Path(__file__).resolve().parents[2]

#: Where the suite is looked for unless ``--limbo`` or ``$PKIVIZ_LIMBO`` says otherwise:
#: ``../shared/limbo/limbo.json.xz`` beside the repository.
DEFAULT_LIMBO = Path(
    os.environ.get("PKIVIZ_LIMBO") or _REPO.parent / "shared" / "limbo" / "limbo.json.xz"
)

#: The profiles every case is validated under, the default first.
PROFILE_NAMES: tuple[str, ...] = tuple(PROFILES)

_KINDS = {"DNS": "dns", "IP": "ip", "RFC822": "email"}


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One validator's outcome on one case.

    Attributes:
        verdict: ``"SUCCESS"``, ``"FAILURE"`` or ``"SKIPPED"``.
        reason: the first failure, or why it skipped (empty on success).
        seconds: time taken, parsing included.
        findings: the issuance rules reported beside the verdict (``"check: message"``).
    """

    verdict: str
    reason: str
    seconds: float
    findings: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """One test case's outcome under every pkiviz profile and cryptography.

    Attributes:
        id: the limbo id, e.g. ``"webpki::san::no-san"``.
        namespace: the id's first component.
        expected: ``"SUCCESS"`` or ``"FAILURE"``.
        conflicts_with: the ids limbo marks as contradicting this case.
        profiles: the profile names, in the order of :attr:`verdicts`.
        verdicts: pkiviz's outcome under each profile.
        cryptography: cryptography's verdict.
        cryptography_reason: its error message, or why it skipped.
        cryptography_seconds: time for cryptography, parsing included.
    """

    id: str
    namespace: str
    expected: str
    conflicts_with: tuple[str, ...]
    profiles: tuple[str, ...]
    verdicts: tuple[Verdict, ...]
    cryptography: str
    cryptography_reason: str
    cryptography_seconds: float

    @property
    def conflicts(self) -> bool:
        """Whether limbo marks this case as contradicting another."""
        return bool(self.conflicts_with)

    def of(self, who: str) -> Verdict:
        """The outcome of ``who``: a profile name, ``"pkiviz"`` (the first profile) or
        ``"cryptography"``."""
        if who == "cryptography":
            return Verdict(self.cryptography, self.cryptography_reason, self.cryptography_seconds)
        if who == "pkiviz":
            return self.verdicts[0]
        return self.verdicts[self.profiles.index(who)]

    @property
    def pkiviz(self) -> str:
        """pkiviz's verdict under the first (default) profile."""
        return self.verdicts[0].verdict

    @property
    def pkiviz_reason(self) -> str:
        """pkiviz's first failure under the first profile."""
        return self.verdicts[0].reason

    @property
    def pkiviz_seconds(self) -> float:
        """pkiviz's time under the first profile."""
        return self.verdicts[0].seconds


@dataclasses.dataclass(frozen=True)
class Score:
    """One validator's figures for one namespace.

    Attributes:
        namespace: the namespace (``"all"`` for the total).
        cases: number of cases.
        agree: verdict equals the expected result.
        false_accepts: accepted although FAILURE was expected.
        false_rejects: rejected although SUCCESS was expected.
        skipped: not run.
        conflicting_false_accepts: false accepts on cases marked ``conflicts_with``.
        seconds: total time.
    """

    namespace: str
    cases: int
    agree: int
    false_accepts: int
    false_rejects: int
    skipped: int
    conflicting_false_accepts: int
    seconds: float

    @property
    def agreement(self) -> float:
        """Agreement as a fraction of the cases."""
        return self.agree / self.cases if self.cases else 0.0


@dataclasses.dataclass(frozen=True)
class LimboRun:
    """All results of one run, with per-namespace scores for each validator.

    Attributes:
        results: one :class:`CaseResult` per case, in suite order.
        profiles: the pkiviz profiles run, the default first.
        scores: per validator (each profile name, then ``"cryptography"``), its
            scores per namespace then ``"all"``.
    """

    results: tuple[CaseResult, ...]
    profiles: tuple[str, ...]
    scores: tuple[tuple[str, tuple[Score, ...]], ...]

    def _scores(self, who: str) -> tuple[Score, ...]:
        name = self.profiles[0] if who == "pkiviz" else who
        for key, scores in self.scores:
            if key == name:
                return scores
        raise KeyError(who)

    @property
    def pkiviz(self) -> tuple[Score, ...]:
        """The default profile's scores, per namespace then ``"all"``."""
        return self._scores("pkiviz")

    @property
    def cryptography(self) -> tuple[Score, ...]:
        """cryptography's scores, same order."""
        return self._scores("cryptography")

    def score(self, namespace: str, who: str = "pkiviz") -> Score:
        """The score for one namespace (``"all"``, ``"bettertls"``, ...) and validator.

        Args:
            namespace: a namespace or ``"all"``.
            who: a profile name, ``"pkiviz"`` (the default profile) or ``"cryptography"``.

        Returns:
            The score.

        Raises:
            KeyError: for an unknown namespace or validator.
        """
        for s in self._scores(who):
            if s.namespace == namespace:
                return s
        raise KeyError(namespace)

    def disagreements(self, who: str = "pkiviz") -> tuple[CaseResult, ...]:
        """Cases where ``who`` did not return the expected result."""
        return tuple(r for r in self.results if r.of(who).verdict != r.expected)

    def conflicts(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Each case limbo marks as contradicting others, with the ids it contradicts."""
        return tuple((r.id, r.conflicts_with) for r in self.results if r.conflicts_with)

    def table(self, who: str = "pkiviz") -> str:
        """The per-namespace table of one profile beside cryptography, as aligned text.

        Args:
            who: a profile name or ``"pkiviz"`` (the default profile).
        """
        name = self.profiles[0] if who == "pkiviz" else who
        head = (
            f"{'namespace':<14}{'cases':>6} | {name + ' agree':>16} {'FA':>4} {'FR':>4} "
            f"{'skip':>5} {'s':>7} | {'cryptography agree':>18} {'FA':>4} {'FR':>4} "
            f"{'skip':>5} {'s':>7} | ratio"
        )
        lines = [head, "-" * len(head)]
        for mine, theirs in zip(self._scores(name), self.cryptography, strict=True):
            ratio = mine.seconds / theirs.seconds if theirs.seconds else float("inf")
            lines.append(
                f"{mine.namespace:<14}{mine.cases:>6} | "
                f"{mine.agree:>6} {100 * mine.agreement:>8.2f}% {mine.false_accepts:>4} "
                f"{mine.false_rejects:>4} {mine.skipped:>5} {mine.seconds:>7.2f} | "
                f"{theirs.agree:>8} {100 * theirs.agreement:>8.2f}% {theirs.false_accepts:>4} "
                f"{theirs.false_rejects:>4} {theirs.skipped:>5} {theirs.seconds:>7.2f} | "
                f"{ratio:5.1f}x"
            )
        return "\n".join(lines)

    def tables(self) -> str:
        """One table per profile, then the cases limbo's own expectations contradict."""
        parts = [f"profile {name!r}:\n{self.table(name)}" for name in self.profiles]
        conflicting = self.conflicts()
        if conflicting:
            lines = [
                f"{len(conflicting)} cases whose expectation contradicts another's "
                "(conflicts_with; no one profile can agree with both):"
            ]
            for case_id, others in conflicting:
                verdicts = ", ".join(
                    f"{p} {self._result(case_id).of(p).verdict}" for p in self.profiles
                )
                lines.append(
                    f"  {case_id} (expects {self._result(case_id).expected}; {verdicts}) "
                    f"contradicts {', '.join(others)}"
                )
            parts.append("\n".join(lines))
        return "\n\n".join(parts)

    def _result(self, case_id: str) -> CaseResult:
        return next(r for r in self.results if r.id == case_id)

    def to_json_dict(self) -> dict[str, Any]:
        """Scores and per-case results as JSON-ready data."""
        return {
            "profiles": list(self.profiles),
            "scores": {who: [dataclasses.asdict(s) for s in scores] for who, scores in self.scores},
            "results": [dataclasses.asdict(r) for r in self.results],
        }

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.tables())}</pre>"


def load_cases(path: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """Load limbo's test cases from ``limbo.json`` or ``limbo.json.xz``.

    Args:
        path: the file; defaults to :data:`DEFAULT_LIMBO`.

    Returns:
        The test case dicts.

    Raises:
        InputError: if the file is missing or not a limbo suite.
    """
    source = Path(path) if path is not None else DEFAULT_LIMBO
    if not source.exists():
        how = "pass --limbo PATH or set $PKIVIZ_LIMBO" if path is None else "check the path"
        raise InputError(
            f"{source}: the x509-limbo suite is not there ({how}; get limbo.json from "
            "https://github.com/C2SP/x509-limbo)"
        )
    try:
        if source.suffix == ".xz":
            with lzma.open(source) as handle:
                raw = handle.read()
        else:
            raw = source.read_bytes()
        data = json.loads(raw)
    except (OSError, lzma.LZMAError, ValueError) as exc:
        raise InputError(f"{source}: cannot read the limbo suite ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("testcases"), list):
        raise InputError(f"{source}: not a limbo suite (no 'testcases' list)")
    return list(data["testcases"])


def namespace_of(case_id: str) -> str:
    """The namespace of a limbo id: the part before the first ``::``."""
    return case_id.split("::", 1)[0]


def _time_of(case: dict[str, Any]) -> _dt.datetime:
    when = case.get("validation_time")
    if not when:
        return clock.wall_clock()
    return clock.as_utc(_dt.datetime.fromisoformat(when.replace("Z", "+00:00")))


def _certs(pems: Iterable[str]) -> list[x509.Certificate]:
    # cryptography warns (and will one day refuse) non-positive serials; the cases test them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return [x509.load_pem_x509_certificate(p.encode()) for p in pems]


def validate_case(case: dict[str, Any], profile: str | Profile = "browser") -> Report:
    """Validate one limbo case with pkiviz and return the full report.

    Args:
        case: the limbo test case.
        profile: the profile (the same for every case: never chosen from the id).

    Raises:
        ValueError: if a certificate or CRL in the case cannot be parsed.
    """
    untrusted, trusted = case["untrusted_intermediates"], case["trusted_certs"]
    leaf, *certs = _certs([case["peer_certificate"], *untrusted, *trusted])
    intermediates, anchors = certs[: len(untrusted)], certs[len(untrusted) :]
    crls = [x509.load_pem_x509_crl(p.encode()) for p in case.get("crls") or ()]
    peer = case.get("expected_peer_name")
    kind = "server" if case["validation_kind"] == "SERVER" else "client"
    return validate(
        leaf,
        intermediates=intermediates,
        trust_anchors=anchors,
        peer_name=PeerName(_KINDS[peer["kind"]], peer["value"]) if peer else None,  # type: ignore[arg-type]
        at=_time_of(case),
        purpose=kind,  # type: ignore[arg-type]
        crls=crls,
        profile=profile,  # type: ignore[arg-type]
        max_chain_depth=case.get("max_chain_depth"),
        extended_key_usage=case.get("extended_key_usage") or None,
        key_usage=tuple(case.get("key_usage") or ()),
    )


def run_pkiviz(case: dict[str, Any], profile: str | Profile = "browser") -> tuple[str, str]:
    """Validate one case with pkiviz under one profile.

    Returns:
        (verdict, first failure or empty).
    """
    verdict, reason, _ = _pkiviz_outcome(case, profile)
    return verdict, reason


def _pkiviz_outcome(
    case: dict[str, Any], profile: str | Profile
) -> tuple[str, str, tuple[str, ...]]:
    try:
        report = validate_case(case, profile)
    except ValueError as exc:
        return "FAILURE", f"unparseable input: {exc}", ()
    findings = tuple(f"{f.check}: {f.message}" for f in report.findings)
    first = report.first_failure
    if first is None:
        return "SUCCESS", "", findings
    return "FAILURE", f"{first.check}: {first.message}", findings


def run_cryptography(case: dict[str, Any]) -> tuple[str, str]:
    """Validate one case with ``cryptography.x509.verification``, through its adapter.

    The adapter is :func:`pkiviz.crosscheck.verifiers.cryptography_verifier`.

    Returns:
        (verdict, error or reason for skipping).
    """
    if case.get("crls"):
        return "SKIPPED", "CRLs given: cryptography.x509.verification has no revocation input"
    peer = case.get("expected_peer_name")
    server = case["validation_kind"] == "SERVER"
    if server and (not peer or peer["kind"] not in ("DNS", "IP")):
        return "SKIPPED", "server validation needs a DNS or IP peer name"
    try:
        (leaf,) = _certs([case["peer_certificate"]])
        inputs = Inputs(
            leaf,
            intermediates=_certs(case["untrusted_intermediates"]),
            trust_anchors=_certs(case["trusted_certs"]),
            peer_name=PeerName(_KINDS[peer["kind"]], peer["value"]) if server else None,  # type: ignore[arg-type,index]
            at=_time_of(case),
            purpose="server" if server else "client",
            max_chain_depth=case.get("max_chain_depth"),
        )
    except (ValueError, TypeError) as exc:
        return "FAILURE", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    said = cryptography_verifier(inputs)
    return ("SUCCESS", "") if said.accepted else ("FAILURE", said.reason)


def _score(namespace: str, rows: Sequence[CaseResult], who: str) -> Score:
    outcomes = [(r, r.of(who)) for r in rows]
    fa = [r for r, v in outcomes if v.verdict == "SUCCESS" and r.expected == "FAILURE"]
    return Score(
        namespace=namespace,
        cases=len(rows),
        agree=sum(v.verdict == r.expected for r, v in outcomes),
        false_accepts=len(fa),
        false_rejects=sum(v.verdict == "FAILURE" and r.expected == "SUCCESS" for r, v in outcomes),
        skipped=sum(v.verdict == "SKIPPED" for _, v in outcomes),
        conflicting_false_accepts=sum(r.conflicts for r in fa),
        seconds=sum(v.seconds for _, v in outcomes),
    )


def run(
    path: str | os.PathLike[str] | None = None,
    *,
    only: str | None = None,
    cases: Sequence[dict[str, Any]] | None = None,
    profiles: Sequence[str] = PROFILE_NAMES,
) -> LimboRun:
    """Run the suite (or the cases whose id starts with ``only``) through every validator.

    Args:
        path: the suite file; defaults to :data:`DEFAULT_LIMBO`.
        only: an id prefix such as ``"webpki::"``.
        cases: already loaded cases (skips loading).
        profiles: the pkiviz profiles, each run on every case; the first is the one
            :attr:`CaseResult.pkiviz` and :attr:`LimboRun.pkiviz` report.

    Returns:
        The results and scores.

    Raises:
        InputError: if the suite cannot be read.
        ValueError: for an unknown profile or an empty list of them.
    """
    if not profiles:
        raise ValueError("name at least one profile")
    for name in profiles:
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}")
    loaded = list(cases) if cases is not None else load_cases(path)
    if only:
        loaded = [c for c in loaded if c["id"].startswith(only)]
    results = []
    for case in loaded:
        verdicts = []
        for name in profiles:
            start = time.perf_counter()
            mine, mine_reason, findings = _pkiviz_outcome(case, name)
            verdicts.append(Verdict(mine, mine_reason, time.perf_counter() - start, findings))
        start = time.perf_counter()
        theirs, their_reason = run_cryptography(case)
        end = time.perf_counter()
        results.append(
            CaseResult(
                id=case["id"],
                namespace=namespace_of(case["id"]),
                expected=case["expected_result"],
                conflicts_with=tuple(case.get("conflicts_with") or ()),
                profiles=tuple(profiles),
                verdicts=tuple(verdicts),
                cryptography=theirs,
                cryptography_reason=their_reason,
                cryptography_seconds=end - start,
            )
        )
    namespaces = sorted({r.namespace for r in results}, key=lambda n: (n != "bettertls", n))
    groups = {n: [r for r in results if r.namespace == n] for n in namespaces}
    return LimboRun(
        results=tuple(results),
        profiles=tuple(profiles),
        scores=tuple(
            (
                who,
                (
                    *(_score(n, g, who) for n, g in groups.items()),
                    _score("all", results, who),
                ),
            )
            for who in (*profiles, "cryptography")
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print one table per profile (or JSON); exit 0.

    Args:
        argv: arguments without the program name.

    Returns:
        The exit status (2 if the suite cannot be read).
    """
    parser = argparse.ArgumentParser(
        prog="python -m pkiviz.crosscheck.limbo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--limbo",
        type=Path,
        default=None,
        help=f"suite file (default $PKIVIZ_LIMBO or {DEFAULT_LIMBO})",
    )
    parser.add_argument("--json", action="store_true", help="print scores and results as JSON")
    parser.add_argument("--only", default=None, help="run only ids starting with this prefix")
    parser.add_argument(
        "--profile",
        action="append",
        choices=PROFILE_NAMES,
        help="a profile to score (repeatable; default: all, the default profile first)",
    )
    parser.add_argument("--failures", action="store_true", help="list each profile's disagreements")
    args = parser.parse_args(argv)
    try:
        outcome = run(args.limbo, only=args.only, profiles=args.profile or PROFILE_NAMES)
    except InputError as exc:
        print(f"pkiviz.crosscheck.limbo: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(outcome.to_json_dict(), sys.stdout, indent=1)
        print()
        return 0
    print(outcome.tables())
    if args.failures:
        for name in outcome.profiles:
            for r in outcome.disagreements(name):
                v = r.of(name)
                print(f"{name}: {r.id}: expected {r.expected}, got {v.verdict}: {v.reason}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
