"""Certificate Transparency breakages: SCTs no public site can serve, built locally.

badssl.com never served a certificate with bad SCTs (its issues #215, #275,
#372, #402 and #472 asked): no CA will issue one, and a certificate's SCTs are
signed by the logs. Here the CA and the logs are the book's own
(:mod:`pkiviz.ct`), so each one can be made. Every scenario is the running
example's ``login.example.com`` (same key, its own serial number, valid until
2044) issued by *Example Trust TLS CA 2026* through the demo logs on the book's
clock, and judged under **Chrome's CT policy** with the bundled log list
(:func:`pkiviz.ct.bundled_logs`, which lists the demo logs Alder, Birch, Cedar
and Rowan): the scenario's ``ct_policy`` is ``"chrome"``. The lifetime is over
180 days, so Chrome asks for SCTs from 3 distinct logs and 2 operators.

* ``ct-valid`` (the control): SCTs from Alder (operator A), Birch and Cedar (B);
* ``ct-no-scts``: no SCT at all (the running example's own certificate);
* ``ct-one-sct``: Alder's SCT only;
* ``ct-unknown-log``: Alder, Birch, and a log that is on no client's list;
* ``ct-sct-other-certificate``: Alder, Birch, and Cedar's SCT for *another*
  certificate (www.example.org), copied in: its signature covers other bytes;
* ``ct-future-sct``: Alder, Birch, and Cedar's SCT dated 2040-01-01, after
  the time of any check before then;
* ``ct-never-included``: three good SCTs, but Cedar signed and never added the
  entry to its tree. No client can see that during a handshake, so the
  validator accepts it (its expected check is ``None``); the failing check is
  a **log audit**, :func:`audit_inclusion`, which asks each log for the
  entry's inclusion proof, as a monitor or auditor does (RFC 6962 5.3).

A scenario carries the logs its SCTs came from (``Scenario.ct_audit``) for
that audit. ``openssl verify`` and curl accept every one of them: neither
enforces CT, and neither does ``cryptography.x509.verification``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Sequence
from typing import Literal

from pkiviz import clock
from pkiviz.ct.entries import entry_for_certificate
from pkiviz.ct.issue import CTIssuance, embed_scts, issue_through_logs
from pkiviz.ct.known_logs import demo_logs
from pkiviz.ct.log import Log
from pkiviz.ct.merkle import ProofCheck, leaf_hash
from pkiviz.ct.sct import SCT, embedded_scts, merkle_tree_leaf
from pkiviz.lab.breakages import Scenario, make_scenario
from pkiviz.x509.example import RunningExample
from pkiviz.x509.factory import Issued
from pkiviz.x509.spec import CertSpec

#: The CT policy every CT scenario is judged under.
POLICY: Literal["chrome"] = "chrome"

#: The timestamp of the future SCT: after the book clock and (until then) the real clock.
FUTURE = _dt.datetime(2040, 1, 1, tzinfo=clock.UTC)

#: A log no client lists: its SCTs are from an unknown log.
STRANGER = ("pkiviz ct log stranger", "Stranger 'Nowhere' log", "Nobody You Know")


def _spec(ex: RunningExample, tag: str, **changes: object) -> CertSpec:
    spec = ex.server.spec
    changes.setdefault("key_seed", spec.seed)
    return dataclasses.replace(spec, label=f"{spec.label} [ct {tag}]", **changes)  # type: ignore[arg-type]


def _issue(
    ex: RunningExample, tag: str, logs: Sequence[Log], *, include: bool | Sequence[bool] = True
) -> CTIssuance:
    return issue_through_logs(
        _spec(ex, tag), ex.intermediate, logs, at=clock.BOOK_CLOCK, include=include
    )


def _ct(name: str, ex: RunningExample, leaf: Issued, logs: Sequence[Log]) -> Scenario:
    scenario = make_scenario(name, ex, sent=(leaf, ex.intermediate), key=leaf)
    return dataclasses.replace(scenario, ct_policy=POLICY, ct_audit=tuple(logs))


def _mixed(ex: RunningExample, name: str, tag: str, third: SCT, third_log: Log) -> Scenario:
    """Alder's and Birch's good SCTs for this certificate, plus ``third``."""
    alder, birch, _, _ = demo_logs()
    good = _issue(ex, tag, (alder, birch))
    final = embed_scts(good.precertificate, (*good.scts, third))
    return _ct(name, ex, final, (alder, birch, third_log))


def ct_valid(ex: RunningExample) -> Scenario:
    """The control: SCTs from Alder (operator A), Birch and Cedar (operator B)."""
    logs = demo_logs()[:3]
    return _ct("ct-valid", ex, _issue(ex, "valid", logs).certificate, logs)


def ct_no_scts(ex: RunningExample) -> Scenario:
    """The running example's certificate: no SCT at all."""
    return _ct("ct-no-scts", ex, ex.server, ())


def ct_one_sct(ex: RunningExample) -> Scenario:
    """One SCT only, from Alder."""
    logs = demo_logs()[:1]
    return _ct("ct-one-sct", ex, _issue(ex, "one SCT", logs).certificate, logs)


def ct_unknown_log(ex: RunningExample) -> Scenario:
    """Alder, Birch, and a log on no client's list."""
    seed, name, operator = STRANGER
    stranger = Log(seed, name=name, operator=operator)
    other = _issue(ex, "unknown log", (stranger,))
    return _mixed(ex, "ct-unknown-log", "unknown log", other.scts[0], stranger)


def ct_sct_other_certificate(ex: RunningExample) -> Scenario:
    """Alder, Birch, and Cedar's SCT for www.example.org, copied into this certificate."""
    cedar = demo_logs()[2]
    other_spec = _spec(ex, "other", subject="CN=www.example.org", dns_names=("www.example.org",))
    other = issue_through_logs(other_spec, ex.intermediate, (cedar,), at=clock.BOOK_CLOCK)
    return _mixed(ex, "ct-sct-other-certificate", "other certificate's SCT", other.scts[0], cedar)


def ct_future_sct(ex: RunningExample) -> Scenario:
    """Alder, Birch, and Cedar's SCT for this certificate dated 2040-01-01."""
    cedar = demo_logs()[2]
    tag = "future SCT"
    future = issue_through_logs(_spec(ex, tag), ex.intermediate, (cedar,), at=FUTURE)
    return _mixed(ex, "ct-future-sct", tag, future.scts[0], cedar)


def ct_never_included(ex: RunningExample) -> Scenario:
    """Three good SCTs; Cedar signed its SCT but never added the entry to its tree."""
    logs = demo_logs()[:3]
    issued = _issue(ex, "never included", logs, include=(True, True, False))
    return _ct("ct-never-included", ex, issued.certificate, logs)


@dataclasses.dataclass(frozen=True)
class InclusionAudit:
    """One embedded SCT's audit: is the entry it promised in the log's tree?

    Attributes:
        log: the log's name (``"(not audited)"`` if the scenario does not hold it).
        sct: the SCT.
        result: the inclusion proof's verdict, with the reason.
    """

    log: str
    sct: SCT
    result: ProofCheck

    @property
    def ok(self) -> bool:
        """Whether the entry is in the tree and its audit path verifies."""
        return bool(self.result)

    def __str__(self) -> str:
        status = "included" if self.ok else "NOT INCLUDED"
        return f"{status:<13} {self.log}: {self.result.reason}"


def audit_inclusion(scenario: Scenario) -> tuple[InclusionAudit, ...]:
    """Ask each log in ``scenario.ct_audit`` for the inclusion proof of its embedded SCT's entry.

    In process (the chapter does the same over HTTP with
    :class:`~pkiviz.ct.LogServer` and :meth:`~pkiviz.ct.LogClient.check_inclusion`):
    the leaf hash of the ``MerkleTreeLeaf`` the SCT promised, its index in the
    log, the audit path to the current root (RFC 6962 2.1.1, 4.5).

    Args:
        scenario: a CT scenario (its leaf, the issuer after it, its logs).

    Returns:
        One :class:`InclusionAudit` per embedded SCT, in certificate order.
    """
    if scenario.leaf is None or not scenario.intermediates:
        return ()
    entry = entry_for_certificate(scenario.leaf, scenario.intermediates[0])
    logs = {log.log_id: log for log in scenario.ct_audit}
    out = []
    for sct in embedded_scts(scenario.leaf):
        log = logs.get(sct.log_id)
        if log is None:
            result = ProofCheck(False, "the scenario does not hold this log", "RFC 6962 5.3")
            out.append(InclusionAudit("(not audited)", sct, result))
            continue
        index = log.index_of(leaf_hash(merkle_tree_leaf(entry, sct.timestamp, sct.extensions)))
        if index is None:
            reason = (
                f"the log signed an SCT at {sct.time:%Y-%m-%d %H:%M:%S} UTC but its tree of "
                f"{log.size} entries has no such leaf: no inclusion proof exists"
            )
            result = ProofCheck(False, reason, "RFC 6962 3, 4.5")
        else:
            result = log.inclusion_proof(index).verify(log.root_hash())
        out.append(InclusionAudit(log.name, sct, result))
    return tuple(out)


__all__ = [
    "FUTURE",
    "POLICY",
    "InclusionAudit",
    "audit_inclusion",
    "ct_future_sct",
    "ct_never_included",
    "ct_no_scts",
    "ct_one_sct",
    "ct_sct_other_certificate",
    "ct_unknown_log",
    "ct_valid",
]
