"""Which CT logs a client knows: log ID, name, operator, key and state, as browsers list them.

A browser trusts an SCT only from a log on its list. Chrome's list is the v3
``log_list.json`` (https://www.gstatic.com/ct/log_list/v3/log_list.json):
operators, each with logs carrying ``log_id`` (base64 SHA-256 of the key),
``key`` (base64 DER SubjectPublicKeyInfo), ``url``, a ``state`` (``pending``,
``qualified``, ``usable``, ``readonly``, ``retired`` or ``rejected``, each
with the timestamp it was entered) and an optional ``temporal_interval``.
:meth:`KnownLogs.from_log_list` reads that format; Apple publishes its own
list in a similar format.

:func:`bundled_logs` is the list pkiviz ships: the book's demo logs
(:func:`demo_logs`, keys derived from labels) and two real logs whose keys
are copied from Chromium's ``log_list.json`` (see ``tests/data/ct/PROVENANCE.md``),
so ``pkiviz inspect`` can name them. It is no substitute for a current list.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from pkiviz import _html
from pkiviz.ct.log import Log
from pkiviz.errors import InputError

#: The states of Chrome's log lifecycle
#: (googlechrome.github.io/CertificateTransparency/log_states.html).
STATES = ("pending", "qualified", "usable", "readonly", "retired", "rejected")


@dataclass(frozen=True)
class KnownLog:
    """One log on a client's list.

    Attributes:
        log_id: SHA-256 of the key's DER SubjectPublicKeyInfo.
        name: the log's description, e.g. ``"Google 'Icarus' log"``.
        operator: who runs it (the policies count distinct operators).
        key_der: the DER SubjectPublicKeyInfo.
        url: the log's submission prefix.
        state: one of :data:`STATES`.
        state_since: when the log entered that state (``None`` if unknown).
        interval: the ``temporal_interval`` (start inclusive, end exclusive) of
            certificate expiry dates the log accepts, if sharded.
    """

    log_id: bytes
    name: str
    operator: str
    key_der: bytes
    url: str = ""
    state: str = "usable"
    state_since: dt.datetime | None = None
    interval: tuple[dt.datetime, dt.datetime] | None = None

    @property
    def public_key(self) -> object:
        """The log's public key (raises ``InputError`` if the DER is unreadable)."""
        try:
            return serialization.load_der_public_key(self.key_der)
        except ValueError as exc:
            raise InputError(f"log {self.name}: unreadable public key ({exc})") from None

    def state_at(self, at: dt.datetime) -> str:
        """The state at time ``at``, from the one state transition the list records.

        Before ``state_since`` a ``retired`` or ``readonly`` log was ``usable``
        and any other log was ``pending``; with no timestamp the state holds always.
        """
        if self.state_since is None or at >= self.state_since:
            return self.state
        return "usable" if self.state in ("retired", "readonly") else "pending"

    @classmethod
    def of(
        cls, log: Log, *, state: str = "usable", since: dt.datetime | None = None, url: str = ""
    ) -> KnownLog:
        """The list entry for a pkiviz :class:`~pkiviz.ct.log.Log`."""
        return cls(log.log_id, log.name, log.operator, log.spki_der, url, state, since)


@dataclass(frozen=True)
class KnownLogs:
    """A client's log list: look a log up by its ID.

    Attributes:
        logs: the logs, in list order.
    """

    logs: tuple[KnownLog, ...]

    def __iter__(self) -> Iterator[KnownLog]:
        return iter(self.logs)

    def __len__(self) -> int:
        return len(self.logs)

    def find(self, log_id: bytes) -> KnownLog | None:
        """The log with this ID, or ``None``."""
        for log in self.logs:
            if log.log_id == log_id:
                return log
        return None

    def __add__(self, other: KnownLogs) -> KnownLogs:
        return KnownLogs(self.logs + other.logs)

    @classmethod
    def of(cls, *logs: Log | KnownLog, since: dt.datetime | None = None) -> KnownLogs:
        """A list of pkiviz logs (state ``usable``) and/or ready-made entries."""
        return cls(
            tuple(x if isinstance(x, KnownLog) else KnownLog.of(x, since=since) for x in logs)
        )

    @classmethod
    def from_log_list(cls, data: bytes | str) -> KnownLogs:
        """Read a v3 ``log_list.json`` (Chrome's schema).

        Raises:
            InputError: if it is not JSON of that shape, or a ``log_id`` is not
                the SHA-256 of its ``key``.
        """
        try:
            doc = json.loads(data)
            out = [
                _log_from_json(op["name"], entry) for op in doc["operators"] for entry in op["logs"]
            ]
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise InputError(f"log list: not a v3 log_list.json ({exc})") from None
        return cls(tuple(out))

    def _repr_html_(self) -> str:
        rows = [
            (log.name, log.operator, base64.b64encode(log.log_id).decode(), log.state)
            for log in self.logs
        ]
        return _html.table(rows, header=("log", "operator", "log id (base64)", "state"))


def _time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _log_from_json(operator: str, entry: dict[str, object]) -> KnownLog:
    key = base64.b64decode(str(entry["key"]), validate=True)
    log_id = base64.b64decode(str(entry["log_id"]), validate=True)
    if hashlib.sha256(key).digest() != log_id:
        raise ValueError(f"log_id of {entry.get('description')} is not SHA-256 of its key")
    state, since = "pending", None
    states = entry.get("state")
    if isinstance(states, dict) and states:
        state, detail = next(iter(states.items()))
        since = _time(detail["timestamp"]) if isinstance(detail, dict) else None
    interval = None
    window = entry.get("temporal_interval")
    if isinstance(window, dict):
        interval = (_time(window["start_inclusive"]), _time(window["end_exclusive"]))
    return KnownLog(
        log_id,
        str(entry["description"]),
        operator,
        key,
        str(entry.get("url", "")),
        state,
        since,
        interval,
    )


# --- the book's demo logs and the bundled list ---------------------------------------------------

#: Seed label, name and operator of the demo logs: two operators, so Chrome's rule can be met.
DEMO_LOGS: tuple[tuple[str, str, str, str], ...] = (
    ("pkiviz ct log alder", "Example 'Alder2026' log", "Example Log Operator A", "ec-p256"),
    ("pkiviz ct log birch", "Example 'Birch2026' log", "Example Log Operator B", "ec-p256"),
    ("pkiviz ct log cedar", "Example 'Cedar2026' log", "Example Log Operator B", "ec-p256"),
    ("pkiviz ct log rowan", "Example 'Rowan2026' RSA log", "Example Log Operator C", "rsa-2048"),
)

#: When the demo logs became usable in the book's story.
DEMO_USABLE_SINCE = dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc)


def demo_logs() -> tuple[Log, ...]:
    """Fresh, empty demo logs (Alder, Birch, Cedar: P-256; Rowan: RSA-2048); same keys every run."""
    return tuple(Log(seed, name=name, operator=op, key=key) for seed, name, op, key in DEMO_LOGS)


# Real logs, copied from Chromium's components/certificate_transparency/data/log_list.json
# (chromium/chromium commit 0003d1b1edc05097872a08e0dbdf1153b81707d5, list version 3.52).
_REAL_LOGS = (
    (
        "Google 'Icarus' log",
        "Google",
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETtK8v7MICve56qTHHDhhBOuV4IlUaESxZryCfk9QbG9co/"
        "CqPvTsgPDbCpp6oFtyAHwlDhnvr7JijXRD9Cb2FA==",
        "https://ct.googleapis.com/icarus/",
        "2017-03-06T19:35:01Z",
    ),
    (
        "Sectigo 'Mammoth' CT log",
        "Sectigo",
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7+R9dC4VFbbpuyOL+yy14ceAmEf7QGlo/EmtYU6DRzwat43f/"
        "3swtLr/L8ugFOOt1YU/RFmMjGCL17ixv66MZw==",
        "https://mammoth.ct.comodo.com/",
        "2017-10-10T00:38:10Z",
    ),
)


@functools.lru_cache(maxsize=1)
def bundled_logs() -> KnownLogs:
    """The log list pkiviz ships: the demo logs, then two real logs (states as of list 3.52)."""
    demo = [KnownLog.of(log, since=DEMO_USABLE_SINCE) for log in demo_logs()]
    real = []
    for name, operator, key_b64, url, since in _REAL_LOGS:
        key = base64.b64decode(key_b64)
        real.append(
            KnownLog(hashlib.sha256(key).digest(), name, operator, key, url, "usable", _time(since))
        )
    return KnownLogs(tuple(demo + real))


def log_name(log_id: bytes, logs: Iterable[KnownLog] | None = None) -> str | None:
    """The name of the log with this ID in ``logs`` (default: :func:`bundled_logs`), or ``None``."""
    for log in bundled_logs() if logs is None else logs:
        if log.log_id == log_id:
            return log.name
    return None


__all__ = [
    "DEMO_LOGS",
    "DEMO_USABLE_SINCE",
    "STATES",
    "KnownLog",
    "KnownLogs",
    "bundled_logs",
    "demo_logs",
    "log_name",
]
