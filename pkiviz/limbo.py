"""Run x509-limbo (the X.509 path-validation test suite) through pkiviz and cryptography.

Each test case is validated twice in the same run: by
:func:`pkiviz.validation.validate` and by ``cryptography.x509.verification``.
Scores are kept per namespace (the id's prefix before ``::``): cases,
agreement with the expected result, false accepts, false rejects, skipped,
seconds. A validator that rejects everything already agrees on most cases, so
read false accepts and false rejects, not agreement alone.

Profiles: limbo mixes the RFC 5280 and the Web PKI readings and marks the
pairs of cases that contradict each other (``conflicts_with``). The runner
validates the ``rfc5280`` and ``pathlen`` namespaces with pkiviz's
``"rfc5280"`` profile and everything else with ``"webpki"``
(:data:`NAMESPACE_PROFILES`).

Command line: ``python -m pkiviz.limbo [--limbo PATH] [--json] [--only PREFIX]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import ipaddress
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
from cryptography.x509 import verification as xv

from pkiviz import clock
from pkiviz.errors import InputError
from pkiviz.validation import PROFILES, PeerName, Profile, Report, validate

#: Where the suite is looked for unless ``--limbo`` or ``$PKIVIZ_LIMBO`` says otherwise.
DEFAULT_LIMBO = Path(os.environ.get("PKIVIZ_LIMBO", "/work/shared/limbo/limbo.json.xz"))

#: The profile each namespace is validated with; all others use "webpki".
#: BetterTLS (Netflix) predates clients checking BR 7.1.4.3 and puts names in
#: the CN that are not in the SAN on purpose, expecting the CN to be ignored,
#: so it runs with the Web PKI profile minus the CN rule.
NAMESPACE_PROFILES: dict[str, Profile] = {
    "rfc5280": PROFILES["rfc5280"],
    "pathlen": PROFILES["rfc5280"],
    "bettertls": dataclasses.replace(PROFILES["webpki"], name="webpki-cn-ignored", cn_in_san=False),
}

_KINDS = {"DNS": "dns", "IP": "ip", "RFC822": "email"}


@dataclasses.dataclass(frozen=True)
class CaseResult:
    """One test case's outcome for both validators.

    Attributes:
        id: the limbo id, e.g. ``"webpki::san::no-san"``.
        namespace: the id's first component.
        expected: ``"SUCCESS"`` or ``"FAILURE"``.
        conflicts: whether limbo marks this case as contradicting another.
        pkiviz: pkiviz's verdict (``"SUCCESS"``, ``"FAILURE"``, ``"SKIPPED"``).
        pkiviz_reason: pkiviz's first failure, or why it skipped.
        pkiviz_seconds: time for pkiviz, parsing included.
        cryptography: cryptography's verdict.
        cryptography_reason: its error message, or why it skipped.
        cryptography_seconds: time for cryptography, parsing included.
    """

    id: str
    namespace: str
    expected: str
    conflicts: bool
    pkiviz: str
    pkiviz_reason: str
    pkiviz_seconds: float
    cryptography: str
    cryptography_reason: str
    cryptography_seconds: float


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
    """All results of one run, with per-namespace scores for both validators.

    Attributes:
        results: one :class:`CaseResult` per case, in suite order.
        pkiviz: pkiviz's scores, per namespace then ``"all"``.
        cryptography: cryptography's scores, same order.
    """

    results: tuple[CaseResult, ...]
    pkiviz: tuple[Score, ...]
    cryptography: tuple[Score, ...]

    def score(self, namespace: str, who: str = "pkiviz") -> Score:
        """The score for one namespace (``"all"``, ``"bettertls"``, ...) and validator."""
        scores = self.pkiviz if who == "pkiviz" else self.cryptography
        for s in scores:
            if s.namespace == namespace:
                return s
        raise KeyError(namespace)

    def disagreements(self, who: str = "pkiviz") -> tuple[CaseResult, ...]:
        """Cases where ``who`` did not return the expected result."""
        return tuple(
            r
            for r in self.results
            if (r.pkiviz if who == "pkiviz" else r.cryptography) != r.expected
        )

    def table(self) -> str:
        """The per-namespace table as aligned text."""
        head = (
            f"{'namespace':<14}{'cases':>6} | {'pkiviz agree':>16} {'FA':>4} {'FR':>4} "
            f"{'skip':>5} {'s':>7} | {'cryptography agree':>18} {'FA':>4} {'FR':>4} "
            f"{'skip':>5} {'s':>7} | ratio"
        )
        lines = [head, "-" * len(head)]
        for mine, theirs in zip(self.pkiviz, self.cryptography, strict=True):
            ratio = mine.seconds / theirs.seconds if theirs.seconds else float("inf")
            lines.append(
                f"{mine.namespace:<14}{mine.cases:>6} | "
                f"{mine.agree:>6} {100 * mine.agreement:>8.1f}% {mine.false_accepts:>4} "
                f"{mine.false_rejects:>4} {mine.skipped:>5} {mine.seconds:>7.2f} | "
                f"{theirs.agree:>8} {100 * theirs.agreement:>8.1f}% {theirs.false_accepts:>4} "
                f"{theirs.false_rejects:>4} {theirs.skipped:>5} {theirs.seconds:>7.2f} | "
                f"{ratio:5.1f}x"
            )
        return "\n".join(lines)

    def to_json_dict(self) -> dict[str, Any]:
        """Scores and per-case results as JSON-ready data."""
        return {
            "pkiviz": [dataclasses.asdict(s) for s in self.pkiviz],
            "cryptography": [dataclasses.asdict(s) for s in self.cryptography],
            "results": [dataclasses.asdict(r) for r in self.results],
        }

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.table())}</pre>"


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


def validate_case(case: dict[str, Any]) -> Report:
    """Validate one limbo case with pkiviz and return the full report.

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
        profile=NAMESPACE_PROFILES.get(namespace_of(case["id"]), PROFILES["webpki"]),
        max_chain_depth=case.get("max_chain_depth"),
        extended_key_usage=case.get("extended_key_usage") or None,
        key_usage=tuple(case.get("key_usage") or ()),
    )


def run_pkiviz(case: dict[str, Any]) -> tuple[str, str]:
    """Validate one case with pkiviz.

    Returns:
        (verdict, first failure or empty).
    """
    try:
        report = validate_case(case)
    except ValueError as exc:
        return "FAILURE", f"unparseable input: {exc}"
    first = report.first_failure
    return ("SUCCESS", "") if first is None else ("FAILURE", f"{first.check}: {first.message}")


def run_cryptography(case: dict[str, Any]) -> tuple[str, str]:
    """Validate one case with ``cryptography.x509.verification``.

    Returns:
        (verdict, error or reason for skipping).
    """
    if case.get("crls"):
        return "SKIPPED", "CRLs given: cryptography.x509.verification has no revocation input"
    peer = case.get("expected_peer_name")
    server = case["validation_kind"] == "SERVER"
    subject: xv.Subject | None = None
    if server:
        if not peer or peer["kind"] not in ("DNS", "IP"):
            return "SKIPPED", "server validation needs a DNS or IP peer name"
        if peer["kind"] == "DNS":
            subject = x509.DNSName(peer["value"])
        else:
            subject = x509.IPAddress(ipaddress.ip_address(peer["value"]))
    try:
        (leaf,) = _certs([case["peer_certificate"]])
        intermediates = _certs(case["untrusted_intermediates"])
        builder = xv.PolicyBuilder().store(xv.Store(_certs(case["trusted_certs"])))
        builder = builder.time(_time_of(case))
        if case.get("max_chain_depth") is not None:
            builder = builder.max_chain_depth(case["max_chain_depth"])
        if server:
            assert subject is not None
            builder.build_server_verifier(subject).verify(leaf, intermediates)
        else:
            builder.build_client_verifier().verify(leaf, intermediates)
    except (xv.VerificationError, ValueError, TypeError) as exc:
        return "FAILURE", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return "SUCCESS", ""


def _score(namespace: str, rows: Sequence[CaseResult], who: str) -> Score:
    def verdict(r: CaseResult) -> str:
        return r.pkiviz if who == "pkiviz" else r.cryptography

    def seconds(r: CaseResult) -> float:
        return r.pkiviz_seconds if who == "pkiviz" else r.cryptography_seconds

    fa = [r for r in rows if verdict(r) == "SUCCESS" and r.expected == "FAILURE"]
    return Score(
        namespace=namespace,
        cases=len(rows),
        agree=sum(verdict(r) == r.expected for r in rows),
        false_accepts=len(fa),
        false_rejects=sum(verdict(r) == "FAILURE" and r.expected == "SUCCESS" for r in rows),
        skipped=sum(verdict(r) == "SKIPPED" for r in rows),
        conflicting_false_accepts=sum(r.conflicts for r in fa),
        seconds=sum(seconds(r) for r in rows),
    )


def run(
    path: str | os.PathLike[str] | None = None,
    *,
    only: str | None = None,
    cases: Sequence[dict[str, Any]] | None = None,
) -> LimboRun:
    """Run the suite (or the cases whose id starts with ``only``) through both validators.

    Args:
        path: the suite file; defaults to :data:`DEFAULT_LIMBO`.
        only: an id prefix such as ``"webpki::"``.
        cases: already loaded cases (skips loading).

    Returns:
        The results and scores.
    """
    loaded = list(cases) if cases is not None else load_cases(path)
    if only:
        loaded = [c for c in loaded if c["id"].startswith(only)]
    results = []
    for case in loaded:
        start = time.perf_counter()
        mine, mine_reason = run_pkiviz(case)
        middle = time.perf_counter()
        theirs, their_reason = run_cryptography(case)
        end = time.perf_counter()
        results.append(
            CaseResult(
                id=case["id"],
                namespace=namespace_of(case["id"]),
                expected=case["expected_result"],
                conflicts=bool(case.get("conflicts_with")),
                pkiviz=mine,
                pkiviz_reason=mine_reason,
                pkiviz_seconds=middle - start,
                cryptography=theirs,
                cryptography_reason=their_reason,
                cryptography_seconds=end - middle,
            )
        )
    namespaces = sorted({r.namespace for r in results}, key=lambda n: (n != "bettertls", n))
    groups = {n: [r for r in results if r.namespace == n] for n in namespaces}
    return LimboRun(
        results=tuple(results),
        pkiviz=(
            *(_score(n, g, "pkiviz") for n, g in groups.items()),
            _score("all", results, "pkiviz"),
        ),
        cryptography=(
            *(_score(n, g, "cryptography") for n, g in groups.items()),
            _score("all", results, "cryptography"),
        ),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: print the table (or JSON); exit 0.

    Args:
        argv: arguments without the program name.

    Returns:
        The exit status (2 if the suite cannot be read).
    """
    parser = argparse.ArgumentParser(
        prog="python -m pkiviz.limbo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--limbo", type=Path, default=None, help=f"suite file (default {DEFAULT_LIMBO})"
    )
    parser.add_argument("--json", action="store_true", help="print scores and results as JSON")
    parser.add_argument("--only", default=None, help="run only ids starting with this prefix")
    parser.add_argument("--failures", action="store_true", help="list pkiviz's disagreements")
    args = parser.parse_args(argv)
    try:
        outcome = run(args.limbo, only=args.only)
    except InputError as exc:
        print(f"pkiviz.limbo: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(outcome.to_json_dict(), sys.stdout, indent=1)
        print()
        return 0
    print(outcome.table())
    if args.failures:
        for r in outcome.disagreements():
            print(f"{r.id}: expected {r.expected}, pkiviz {r.pkiviz}: {r.pkiviz_reason}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
