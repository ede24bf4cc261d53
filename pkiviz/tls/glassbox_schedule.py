"""The TLS 1.3 key schedule (RFC 8446 7.1, 7.3, 4.4.4) as a list of derivations one can read.

Every secret is one :class:`Derivation`: the function (HKDF-Extract,
Derive-Secret or HKDF-Expand-Label), its inputs by name, the label, the
transcript hash it binds, and the output bytes. A :class:`KeySchedule` is
those derivations in the order RFC 8446 7.1 draws them::

    0 -> HKDF-Extract = early_secret
         Derive-Secret(., "derived", "") = derived
    (EC)DHE -> HKDF-Extract = handshake_secret
         Derive-Secret(., "c hs traffic", CH..SH)  -> key, iv, finished_key
         Derive-Secret(., "s hs traffic", CH..SH)  -> key, iv, finished_key
         Derive-Secret(., "derived", "") = derived
    0 -> HKDF-Extract = master_secret
         Derive-Secret(., "c ap traffic", CH..server Finished) -> key, iv
         Derive-Secret(., "s ap traffic", CH..server Finished) -> key, iv
         Derive-Secret(., "exp master", CH..server Finished)

Only TLS_AES_128_GCM_SHA256 is taught (SHA-256, 16-byte keys, 12-byte IVs);
:func:`pkiviz.tls.keyschedule.hkdf_expand_label` does the HKDF-Expand-Label.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import html

from pkiviz.tls.keyschedule import hkdf_expand_label

HASH = "sha256"
HASH_LEN = 32
KEY_LEN = 16
IV_LEN = 12
EMPTY_HASH = hashlib.sha256(b"").digest()

#: NSS key log labels (what OpenSSL's keylog callback writes) of the secrets that have one.
KEYLOG_LABELS: dict[str, str] = {
    "client_handshake_traffic_secret": "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "server_handshake_traffic_secret": "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "client_application_traffic_secret_0": "CLIENT_TRAFFIC_SECRET_0",
    "server_application_traffic_secret_0": "SERVER_TRAFFIC_SECRET_0",
    "exporter_master_secret": "EXPORTER_SECRET",
}


@dataclasses.dataclass(frozen=True)
class Input:
    """One input of a derivation.

    Attributes:
        role: ``"salt"``, ``"IKM"``, ``"secret"`` or ``"context"``.
        source: where it comes from: an earlier derivation's name, or a
            description such as ``"shared secret"`` or
            ``"Transcript-Hash(ClientHello..ServerHello)"``.
        value: its bytes.
    """

    role: str
    source: str
    value: bytes = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Derivation:
    """One step of the key schedule.

    Attributes:
        name: the secret's name in RFC 8446, e.g. ``"client_handshake_traffic_secret"``.
        function: ``"HKDF-Extract"``, ``"Derive-Secret"`` or ``"HKDF-Expand-Label"``.
        inputs: what went in, by role.
        label: the HKDF label without ``"tls13 "`` (``None`` for HKDF-Extract).
        output: the derived bytes.
        section: the RFC section that defines it.
    """

    name: str
    function: str
    inputs: tuple[Input, ...]
    label: str | None
    output: bytes = dataclasses.field(repr=False)
    section: str = "RFC 8446 7.1"

    @property
    def keylog_label(self) -> str | None:
        """The NSS key log label of this secret, if servers log it."""
        return KEYLOG_LABELS.get(self.name)

    def text(self) -> str:
        """One line: ``name = function(inputs, "label") = output``."""
        args = ", ".join(i.source for i in self.inputs)
        label = f', "{self.label}"' if self.label is not None else ""
        return f"{self.name} = {self.function}({args}{label}) = {self.output.hex()}"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(i.role)}</th><td>{html.escape(i.source)}</td>"
            f"<td><code>{i.value.hex()}</code></td></tr>"
            for i in self.inputs
        )
        label = f" label <code>tls13 {html.escape(self.label)}</code>" if self.label else ""
        return (
            f"<p><b>{html.escape(self.name)}</b> = {html.escape(self.function)}{label} "
            f"({html.escape(self.section)})</p><table>{rows}<tr><th>output</th><td></td>"
            f"<td><code>{self.output.hex()}</code></td></tr></table>"
        )


@dataclasses.dataclass(frozen=True)
class KeySchedule:
    """The derivations made so far, in RFC 8446 order.

    Attributes:
        steps: the derivations.
    """

    steps: tuple[Derivation, ...]

    def __getitem__(self, name: str) -> bytes:
        return self.step(name).output

    def __contains__(self, name: object) -> bool:
        return any(s.name == name for s in self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def step(self, name: str) -> Derivation:
        """The derivation called ``name``.

        Raises:
            KeyError: no such step (yet).
        """
        for s in self.steps:
            if s.name == name:
                return s
        raise KeyError(name)

    def keylog_secrets(self) -> dict[str, bytes]:
        """``{NSS label: secret}`` for every secret a key log names."""
        return {s.keylog_label: s.output for s in self.steps if s.keylog_label is not None}

    def keylog(self, client_random: bytes) -> str:
        """The NSS key log lines for these secrets (what ``SSLKEYLOGFILE`` holds)."""
        return "".join(
            f"{label} {client_random.hex()} {secret.hex()}\n"
            for label, secret in self.keylog_secrets().items()
        )

    def text(self) -> str:
        """One line per derivation."""
        return "\n".join(s.text() for s in self.steps)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{i}</td><td><b>{html.escape(s.name)}</b></td><td>{html.escape(s.function)}"
            f"</td><td>{html.escape(s.label or '')}</td><td>"
            f"{html.escape(', '.join(x.source for x in s.inputs))}</td>"
            f"<td><code>{s.output.hex()[:32]}...</code></td></tr>"
            for i, s in enumerate(self.steps, 1)
        )
        head = "<tr><th>#</th><th>secret</th><th>function</th><th>label</th><th>inputs</th>"
        return f"<table>{head}<th>output</th></tr>{rows}</table>"


def hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """RFC 5869 HKDF-Extract with SHA-256: HMAC(salt, IKM)."""
    return hmac.new(salt, ikm, HASH).digest()


def derive_secret(secret: bytes, label: str, transcript_hash: bytes) -> bytes:
    """RFC 8446 7.1 Derive-Secret: HKDF-Expand-Label(secret, label, transcript hash, 32).

    Args:
        secret: the PRK.
        label: e.g. ``"c hs traffic"``.
        transcript_hash: Transcript-Hash of the messages it binds (of nothing:
            SHA-256 of the empty string).

    Returns:
        32 bytes.
    """
    return hkdf_expand_label(secret, label, transcript_hash, HASH_LEN, HASH)


def _extract(name: str, salt: Input, ikm: Input) -> Derivation:
    return Derivation(name, "HKDF-Extract", (salt, ikm), None, hkdf_extract(salt.value, ikm.value))


def _derive(name: str, secret: Derivation, label: str, context: Input) -> Derivation:
    out = derive_secret(secret.output, label, context.value)
    return Derivation(
        name, "Derive-Secret", (Input("secret", secret.name, secret.output), context), label, out
    )


def _expand(name: str, secret: Derivation, label: str, length: int, section: str) -> Derivation:
    out = hkdf_expand_label(secret.output, label, b"", length, HASH)
    inputs = (Input("secret", secret.name, secret.output), Input("context", "empty", b""))
    return Derivation(name, "HKDF-Expand-Label", inputs, label, out, section)


def _traffic(prefix: str, secret: Derivation, finished: bool) -> list[Derivation]:
    out = [
        _expand(f"{prefix}_write_key", secret, "key", KEY_LEN, "RFC 8446 7.3"),
        _expand(f"{prefix}_write_iv", secret, "iv", IV_LEN, "RFC 8446 7.3"),
    ]
    if finished:
        out.append(
            _expand(f"{prefix}_finished_key", secret, "finished", HASH_LEN, "RFC 8446 4.4.4")
        )
    return out


def handshake_schedule(shared_secret: bytes, hello_hash: bytes) -> KeySchedule:
    """The schedule up to the handshake traffic keys (no PSK: early secret from zeros).

    Args:
        shared_secret: the (EC)DHE or hybrid shared secret.
        hello_hash: Transcript-Hash(ClientHello..ServerHello).

    Returns:
        early, derived, handshake secret, both handshake traffic secrets with
        their keys, IVs and finished keys.
    """
    zeros = bytes(HASH_LEN)
    empty = Input("context", "Transcript-Hash() (empty)", EMPTY_HASH)
    hello = Input("context", "Transcript-Hash(ClientHello..ServerHello)", hello_hash)
    early = _extract(
        "early_secret", Input("salt", "zeros", zeros), Input("IKM", "PSK (zeros)", zeros)
    )
    derived = _derive("derived_for_handshake", early, "derived", empty)
    hs = _extract("handshake_secret", Input("salt", derived.name, derived.output),
                  Input("IKM", "shared secret", shared_secret))  # fmt: skip
    c_hs = _derive("client_handshake_traffic_secret", hs, "c hs traffic", hello)
    s_hs = _derive("server_handshake_traffic_secret", hs, "s hs traffic", hello)
    steps = [early, derived, hs, c_hs, s_hs]
    steps += _traffic("client_handshake", c_hs, True) + _traffic("server_handshake", s_hs, True)
    return KeySchedule(tuple(steps))


def application_schedule(schedule: KeySchedule, finished_hash: bytes) -> KeySchedule:
    """Extend a handshake schedule with the master secret and the application traffic keys.

    Args:
        schedule: what :func:`handshake_schedule` returned.
        finished_hash: Transcript-Hash(ClientHello..server Finished).

    Returns:
        A new schedule with the further steps appended.
    """
    zeros = bytes(HASH_LEN)
    empty = Input("context", "Transcript-Hash() (empty)", EMPTY_HASH)
    done = Input("context", "Transcript-Hash(ClientHello..server Finished)", finished_hash)
    derived = _derive("derived_for_master", schedule.step("handshake_secret"), "derived", empty)
    master = _extract("master_secret", Input("salt", derived.name, derived.output),
                      Input("IKM", "zeros", zeros))  # fmt: skip
    c_ap = _derive("client_application_traffic_secret_0", master, "c ap traffic", done)
    s_ap = _derive("server_application_traffic_secret_0", master, "s ap traffic", done)
    exp = _derive("exporter_master_secret", master, "exp master", done)
    steps = [derived, master, c_ap, s_ap, exp]
    steps += _traffic("client_application", c_ap, False) + _traffic(
        "server_application", s_ap, False
    )
    return KeySchedule(schedule.steps + tuple(steps))


@dataclasses.dataclass(frozen=True)
class FinishedMac:
    """A Finished message's MAC (RFC 8446 4.4.4): HMAC(finished_key, transcript hash).

    Attributes:
        sender: whose Finished.
        finished_key: HKDF-Expand-Label(handshake traffic secret, "finished", "", 32).
        transcript_hash: the transcript hash it covers (up to the message before it).
        verify_data: the HMAC computed here.
        received: the verify_data the peer sent (``None`` for the client's own).
    """

    sender: str
    finished_key: bytes = dataclasses.field(repr=False)
    transcript_hash: bytes = dataclasses.field(repr=False)
    verify_data: bytes = dataclasses.field(repr=False)
    received: bytes | None = dataclasses.field(default=None, repr=False)

    @property
    def matches(self) -> bool | None:
        """Whether the received verify_data equals the computed one (``None``: nothing received)."""
        if self.received is None:
            return None
        return hmac.compare_digest(self.received, self.verify_data)

    def _repr_html_(self) -> str:
        verdict = {None: "sent", True: "matches", False: "does NOT match"}[self.matches]
        return (
            f"<p><b>{html.escape(self.sender)} Finished</b> ({verdict}): HMAC-SHA256(finished_key "
            f"<code>{self.finished_key.hex()[:16]}...</code>, transcript hash "
            f"<code>{self.transcript_hash.hex()[:16]}...</code>) = "
            f"<code>{self.verify_data.hex()}</code></p>"
        )


def finished_mac(
    sender: str, finished_key: bytes, transcript_hash: bytes, received: bytes | None = None
) -> FinishedMac:
    """Compute a Finished MAC.

    Args:
        sender: ``"client"`` or ``"server"``.
        finished_key: that sender's finished key.
        transcript_hash: the transcript hash it covers.
        received: what the peer sent, to compare.

    Returns:
        The MAC with its inputs.
    """
    mac = hmac.new(finished_key, transcript_hash, HASH).digest()
    return FinishedMac(sender, finished_key, transcript_hash, mac, received)


__all__ = [
    "KEYLOG_LABELS",
    "Derivation",
    "FinishedMac",
    "Input",
    "KeySchedule",
    "application_schedule",
    "derive_secret",
    "finished_mac",
    "handshake_schedule",
    "hkdf_extract",
]
