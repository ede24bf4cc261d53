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
from typing import TypeVar

from cryptography.hazmat.primitives import serialization

from pkiviz import _html
from pkiviz.ct.log import Log
from pkiviz.errors import InputError

#: The states of Chrome's log lifecycle
#: (googlechrome.github.io/CertificateTransparency/log_states.html).
STATES = ("pending", "qualified", "usable", "readonly", "retired", "rejected")

T = TypeVar("T")


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

        Timestamps must carry a time zone (``Z`` or an offset), as Chrome's
        list writes them: one without is refused rather than guessed.

        Raises:
            InputError: if it is not JSON of that shape (wrong types, nesting
                too deep to read, a timestamp without a time zone), or a
                ``log_id`` is not the SHA-256 of its ``key``.
        """
        try:
            doc = json.loads(data)
            operators = _field(doc, "operators", list, "the document")
            out = []
            for op in operators:
                name = _field(op, "name", str, "an operator")
                for entry in _field(op, "logs", list, f"operator {name!r}"):
                    out.append(_log_from_json(name, entry))
        except RecursionError:
            raise InputError("log list: not a v3 log_list.json (nested too deeply)") from None
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
            raise InputError(f"log list: not a v3 log_list.json ({exc})") from None
        return cls(tuple(out))

    def _repr_html_(self) -> str:
        rows = [
            (log.name, log.operator, base64.b64encode(log.log_id).decode(), log.state)
            for log in self.logs
        ]
        return _html.table(rows, header=("log", "operator", "log id (base64)", "state"))


def _object(value: object, where: str) -> dict[str, object]:
    """``value``, checked to be a JSON object (``TypeError`` naming the place if not)."""
    if not isinstance(value, dict):
        raise TypeError(f"{where} is not a JSON object")
    return value


def _field(value: object, key: str, kind: type[T], where: str) -> T:
    """``value[key]``, checked to be a ``kind`` (``TypeError``/``KeyError`` naming the place)."""
    obj = _object(value, where)
    if key not in obj:
        raise KeyError(f"{where} has no {key!r}")
    value = obj[key]
    if not isinstance(value, kind):
        raise TypeError(f"{key!r} of {where} is not a {_JSON_NAMES[kind]}")
    return value


_JSON_NAMES: dict[type, str] = {str: "string", list: "list", dict: "JSON object"}


def _time(value: object, what: str) -> dt.datetime:
    """An RFC 3339 timestamp of the log list, as an aware datetime.

    Raises:
        TypeError: not a string.
        ValueError: not ISO 8601, or without a time zone (refused, not read as UTC).
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} is not a timestamp string: {value!r}")
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what} ({value!r}) has no time zone: write Z or an offset")
    return when


def _log_from_json(operator: str, value: object) -> KnownLog:
    entry = _object(value, f"a log of operator {operator!r}")
    description = _field(entry, "description", str, f"a log of operator {operator!r}")
    where = f"log {description!r}"
    key = base64.b64decode(_field(entry, "key", str, where), validate=True)
    log_id = base64.b64decode(_field(entry, "log_id", str, where), validate=True)
    if hashlib.sha256(key).digest() != log_id:
        raise ValueError(f"log_id of {description} is not SHA-256 of its key")
    url = entry.get("url", "")
    if not isinstance(url, str):
        raise TypeError(f"'url' of {where} is not a string")
    state, since = "pending", None
    states = {} if entry.get("state") is None else _object(entry["state"], f"'state' of {where}")
    if states:
        state, detail = next(iter(states.items()))
        if state not in STATES:
            raise ValueError(f"{where} has the unknown state {state!r}")
        stamp = _field(detail, "timestamp", object, f"state {state!r} of {where}")
        since = _time(stamp, f"the {state} timestamp of {where}")
    interval = None
    window = entry.get("temporal_interval")
    if window is not None:
        span = f"'temporal_interval' of {where}"
        start = _time(_field(window, "start_inclusive", object, span), f"the start of {span}")
        end = _time(_field(window, "end_exclusive", object, span), f"the end of {span}")
        interval = (start, end)
    return KnownLog(log_id, description, operator, key, url, state, since, interval)


# --- the book's demo logs and the bundled list ---------------------------------------------------

#: Seed label, name and operator of the demo logs: two operators, so Chrome's rule can be met.
DEMO_LOGS: tuple[tuple[str, str, str, str], ...] = (
    ("pkiviz ct log alder", "Example 'Alder2026' log", "Example Log Operator A", "ec-p256"),
    ("pkiviz ct log birch", "Example 'Birch2026' log", "Example Log Operator B", "ec-p256"),
    ("pkiviz ct log cedar", "Example 'Cedar2026' log", "Example Log Operator B", "ec-p256"),
    ("pkiviz ct log rowan", "Example 'Rowan2026' RSA log", "Example Log Operator C", "rsa-2048"),
)

#: When the demo logs became usable in the book's story.
DEMO_USABLE_SINCE = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


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
            KnownLog(
                hashlib.sha256(key).digest(), name, operator, key, url, "usable", _time(since, name)
            )
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
