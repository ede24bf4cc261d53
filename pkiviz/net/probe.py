"""``pkiviz probe HOST:PORT``: connect to any TLS server and explain what it did.

The probe is a client-side capture (:func:`pkiviz.net.live.connect`) with
certificate verification *off* (``CERT_NONE``), so it sees every server, even
one whose chain would fail; pkiviz then judges for itself:

* the chain the server sent, validated by :func:`pkiviz.validation.validate`
  against the trust anchors given (default: the machine's trust store, as
  ``pkiviz validate`` finds it: :mod:`pkiviz.net.trust_store`);
* the server's handshake signature, verified independently
  (:mod:`pkiviz.tls.signatures`): TLS 1.3 CertificateVerify or TLS 1.2
  ServerKeyExchange;
* whether the server asked for a client certificate, from which CAs, with
  which signature algorithms (the CertificateRequest);
* with a client certificate (``cert=``/``key=``, ``--cert``/``--key``),
  whether the server accepted it. In TLS 1.2 a rejection fails the handshake;
  in TLS 1.3 the client's handshake completes first and the server's verdict
  (an alert such as 116 certificate_required or 48 unknown_ca) arrives
  afterwards, so the probe listens after the handshake for a measured
  time, ``max(3 round trips, 50 ms)`` (:mod:`pkiviz.net.listen`), stopping
  early when the server sends anything. "Accepted" means at the TLS layer:
  no alert came in that time (an application may still refuse the request
  later, e.g. nginx's ``400 No required SSL certificate was sent``);
* whether the server requires a client certificate (``client_auth``:
  required, optional, not requested or unknown, with the evidence;
  :mod:`pkiviz.net.client_auth`). A connection that presented a certificate
  cannot tell, so the probe then makes a second one without a certificate.

Connection problems (unresolvable name, refused, timeout, not TLS) raise
:class:`~pkiviz.errors.InputError` with one line, after at most about
``timeout`` seconds per step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import hashlib
import html
import ipaddress
import os
import re
import socket
import ssl
import tempfile
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz._display import shown
from pkiviz.errors import InputError
from pkiviz.net import listen, live, wire
from pkiviz.net.client_auth import ClientAuth, combine, decide, sent_certificate
from pkiviz.net.listen import Listening
from pkiviz.net.pcap import Pcapng, check_output_path, flow_to_pcapng, write_file
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import Alert, Certificate
from pkiviz.tls.signatures import SignatureCheck, verify_server_signature
from pkiviz.x509.parse import serial_number

if TYPE_CHECKING:
    from pkiviz.validation import Report


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    """What one probe saw and what pkiviz concluded.

    Attributes:
        host: the address connected to.
        port: the port.
        servername: the SNI name sent (``None`` for an IP address).
        handshake: the client-side capture.
        trust: where the trust anchors came from (file names, or the machine's trust store).
        validation: pkiviz's report on the server's chain, ``None`` if not run.
        validation_note: why there is no report, if there is none.
        server_signature: the independently verified server signature, ``None``
            if the server signed nothing (e.g. the handshake failed first).
        at: when the probe ran (wall clock; the validation time).
        offered_certificate: the subject (RFC 4514) of the client certificate
            the probe had ready to present, ``None`` if it had none.
        wait: the fixed seconds the probe was told to listen after the
            handshake, ``None`` if it measured (see :attr:`listening`).
        listening: the round trip measured, and how long the probe listened.
        client_auth: whether the server requires a client certificate, with the evidence.
        second_handshake: the second connection, without a certificate, made when
            the first presented one; ``None`` if none was made.
        keylog_file: where the first connection's key log was written (NSS
            format, mode 0600), ``None`` if not asked for.
        pcap_file: where its pcapng was written, ``None`` if not asked for.
        pcap: the pcapng written (its frames), ``None`` if not asked for.
    """

    host: str
    port: int
    servername: str | None
    handshake: Handshake
    trust: tuple[str, ...]
    validation: Report | None
    validation_note: str | None
    server_signature: SignatureCheck | None
    at: _dt.datetime
    offered_certificate: str | None = None
    wait: float | None = None
    listening: Listening | None = None
    client_auth: ClientAuth | None = None
    second_handshake: Handshake | None = None
    keylog_file: str | None = None
    pcap_file: str | None = None
    pcap: Pcapng | None = dataclasses.field(default=None, repr=False)

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        """The certificates the server sent, leaf first."""
        return self.handshake.server_certificates

    @property
    def tls_version(self) -> str | None:
        """The negotiated version, e.g. ``"TLSv1.3"``."""
        return self.handshake.version

    @property
    def cipher(self) -> str | None:
        """The negotiated cipher suite (IANA name)."""
        return self.handshake.cipher

    @property
    def client_certificate_requested(self) -> bool:
        """Whether the server sent a CertificateRequest."""
        return self.handshake.certificate_request is not None

    @property
    def acceptable_client_ca_names(self) -> tuple[str, ...]:
        """The CA names (RFC 4514) the CertificateRequest lists; empty if none."""
        req = self.handshake.certificate_request
        return req.certificate_authorities if req is not None else ()

    @property
    def requested_signature_algorithms(self) -> tuple[str, ...]:
        """The signature algorithms the CertificateRequest accepts."""
        req = self.handshake.certificate_request
        return req.signature_algorithms if req is not None else ()

    @property
    def client_certificate_sent(self) -> bool:
        """Whether the probe sent a (non-empty) client certificate."""
        msg = self.handshake.find("Certificate", "client")
        return msg is not None and isinstance(msg.body, Certificate) and bool(msg.body.certificates)

    @property
    def server_alert(self) -> Alert | None:
        """The fatal alert the server sent, if any (during or after the handshake)."""
        for m in self.handshake.alerts:
            if m.sender == "server" and isinstance(m.body, Alert) and m.body.level == "fatal":
                return m.body
        return None

    @property
    def alert_after_handshake(self) -> bool:
        """Whether the server's fatal alert came after the client's handshake (TLS 1.3)."""
        return self.server_alert is not None and self.handshake.completed

    @property
    def client_certificate_accepted(self) -> bool | None:
        """Whether the server accepted the client certificate the probe sent.

        ``None`` if none was sent (not requested, or none given); ``False`` if
        the handshake failed or the server sent a fatal alert (in TLS 1.3,
        after the handshake); ``True`` if no alert came within :attr:`wait`
        seconds after the handshake.
        """
        if not self.client_certificate_sent:
            return None
        return (
            self.handshake.completed and self.handshake.error is None and self.server_alert is None
        )

    @property
    def ok(self) -> bool:
        """Handshake completed, server signature verified, and the chain valid (if judged)."""
        return (
            self.handshake.completed
            and self.handshake.error is None
            and self.server_signature is not None
            and self.server_signature.verified
            and (self.validation is None or self.validation.valid)
        )

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready dict; keys listed in :mod:`pkiviz.cli.probe`."""
        req = self.handshake.certificate_request
        return {
            "target": host_port(self.host, self.port),
            "servername": self.servername,
            "tls_version": self.tls_version,
            "cipher": self.cipher,
            "completed": self.handshake.completed,
            "error": self.handshake.error,
            "chain": [_cert_json(c) for c in self.chain],
            "trust": list(self.trust),
            "validation": self._validation_json(),
            "validation_note": self.validation_note,
            "handshake": self.handshake.to_json_list(),
            "server_signature": (
                self.server_signature.to_json_dict() if self.server_signature else None
            ),
            "client_certificate_requested": req is not None,
            "acceptable_client_ca_names": list(self.acceptable_client_ca_names),
            "requested_signature_algorithms": list(self.requested_signature_algorithms),
            "requested_certificate_types": list(req.certificate_types) if req else [],
            "client_certificate_offered": self.offered_certificate,
            "client_certificate_sent": self.client_certificate_sent,
            "client_certificate_accepted": self.client_certificate_accepted,
            "server_alert": self._alert_json(),
            "client_auth": self.client_auth.to_json_dict() if self.client_auth else None,
            "listening": self.listening.to_json_dict() if self.listening else None,
            "second_handshake": (
                self.second_handshake.to_json_list() if self.second_handshake else None
            ),
            "at": self.at.isoformat(),
            "keylog_file": self.keylog_file,
            "pcap_file": self.pcap_file,
        }

    def _validation_json(self) -> dict[str, Any] | None:
        """The report's JSON, with the certificate a failing chain-of-trust check is about.

        The validator reports chain-of-trust for the path as a whole; when it
        fails, the certificate at fault is the last one of the best path found,
        whose issuer is not among the trust anchors.
        """
        if self.validation is None:
            return None
        data = self.validation.to_json_dict()
        path = self.validation.path
        for check in data.get("checks", []):
            at_fault = check["check"] == "chain-of-trust" and check["status"] == "fail"
            if at_fault and path and check["certificate"] is None:
                subject = path[-1].subject.rfc4514_string() or "(empty subject)"
                check["certificate"] = {"subject": subject, "index": len(path) - 1}
        return data

    def _alert_json(self) -> dict[str, Any] | None:
        alert = self.server_alert
        if alert is None:
            return None
        return {
            "level": alert.level,
            "description": alert.description,
            "code": alert.code,
            "after_handshake": self.alert_after_handshake,
        }

    def _client_lines(self) -> list[str]:
        lines = []
        if self.client_certificate_requested:
            cas = "; ".join(self.acceptable_client_ca_names)
            names = f"acceptable CAs: {cas}" if cas else "no CA names sent"
            lines.append(f"  client certificate requested; {names}")
            lines.append(
                f"    signature algorithms: {', '.join(self.requested_signature_algorithms)}"
            )
        else:
            lines.append("  no client certificate requested")
        alert = self.server_alert
        when = "after the handshake" if self.alert_after_handshake else "during the handshake"
        verdict = f"server sent {alert.summary()} {when}" if alert is not None else None
        quiet = (
            "the server finished the handshake"
            if self.tls_version == "TLSv1.2"
            else "no alert while the probe listened"
        )
        if self.client_certificate_sent:
            status = {True: "ACCEPTED", False: "REJECTED"}[bool(self.client_certificate_accepted)]
            reason = verdict or self.handshake.error or quiet
            lines.append(f"  client certificate {self.offered_certificate}: {status} ({reason})")
        elif self.offered_certificate is not None:
            lines.append(f"  client certificate {self.offered_certificate}: not sent (not asked)")
        elif self.client_certificate_requested:
            outcome = verdict or f"the server went on without one ({quiet})"
            lines.append(f"  no client certificate sent: {outcome}")
        if self.client_auth is not None:
            lines.append(f"  {self.client_auth.text()}")
        if self.listening is not None:
            lines.append(f"    {self.listening.text()}")
        return lines

    def _servername_hint(self) -> str | None:
        """Where an IP address was checked (no SNI) and failed: the names to try instead."""
        if (
            self.servername is not None
            or self.validation is None
            or self.validation.status_of("hostname") != "fail"
            or not _is_ip(self.host)
            or not self.chain
        ):
            return None
        try:
            san = self.chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName)
            dns = san.value.get_values_for_type(x509.DNSName)
        except (x509.ExtensionNotFound, ValueError):
            dns = []
        if not dns:
            return (
                f"{self.host} is not among the certificate's names, and it names no DNS "
                "name either; pass --servername NAME to send that SNI and check that name"
            )
        names = "DNS name" if len(dns) == 1 else "DNS names"
        return (
            f"the server's certificate names {names} {', '.join(dns)}; pass "
            "--servername NAME to send that SNI and check that name"
        )

    def text(self) -> str:
        """A human-readable report."""
        lines = [f"{host_port(self.host, self.port)} (SNI {self.servername or 'none'})"]
        lines.append(f"  version: {self.tls_version}  cipher: {self.cipher}")
        if self.handshake.error:
            lines.append(f"  handshake failed: {self.handshake.error}")
        lines.append("  chain:")
        lines += [f"    {i}. {c.subject.rfc4514_string()}" for i, c in enumerate(self.chain)]
        if self.validation is not None:
            verdict = "VALID" if self.validation.valid else "INVALID"
            lines.append(f"  validation ({', '.join(self.trust) or 'no anchors'}): {verdict}")
            first = self.validation.first_failure
            if first is not None:
                lines.append(f"    first failure: {first}")
            hint = self._servername_hint()
            if hint is not None:
                lines.append(f"    hint: {hint}")
        else:
            lines.append(f"  validation: not run ({self.validation_note})")
        if self.server_signature is not None:
            lines += ["  " + line for line in self.server_signature.text().splitlines()]
        else:
            lines.append("  server signature: none captured")
        lines += self._client_lines()
        lines.append("  handshake:")
        lines += ["    " + line for line in self.handshake.text().splitlines()[1:]]
        if self.keylog_file is not None:
            lines.append(f"  key log: {self.keylog_file} (NSS key log format, mode 0600)")
        if self.pcap_file is not None and self.pcap is not None:
            lines.append(
                f"  pcapng: {self.pcap_file} ({len(self.pcap.packets)} frames, the key log "
                "embedded; open it in Wireshark or tshark -r)"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        target = html.escape(host_port(self.host, self.port))
        parts = [f"<h4>{target}</h4>", self.handshake._repr_html_()]
        if self.server_signature is not None:
            parts.append(self.server_signature._repr_html_())
        if self.validation is not None and hasattr(self.validation, "_repr_html_"):
            parts.append(self.validation._repr_html_())
        return "".join(parts)


def _cert_json(cert: x509.Certificate) -> dict[str, Any]:
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial": f"{serial_number(cert):x}",
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sha256": hashlib.sha256(der).hexdigest(),
    }


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")


def parse_target(target: str) -> tuple[str, int]:
    """Read what a user types or pastes as the server to probe.

    Accepted: ``HOST:PORT``, ``HOST`` (port 443, as curl assumes for https),
    ``[IPv6]:PORT``, ``[IPv6]``, a bare IPv6 address, and an ``https://`` URL
    (its port or 443; a path, query or user part is ignored, since the TLS
    handshake never sees them).

    Args:
        target: e.g. ``"example.com:443"`` or ``"https://example.com/login"``.

    Returns:
        ``(host, port)``; an internationalised name comes back in its A-label
        (``xn--``) form, without a trailing dot.

    Raises:
        InputError: another scheme than https, an empty or malformed host name,
            or a port that is not a number in 1-65535.
    """
    text = target.strip()
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme != "https":
            hint = " (plain HTTP has no TLS handshake to probe)" if scheme == "http" else ""
            raise InputError(f"{target!r}: probe needs an https:// URL or HOST:PORT{hint}")
        try:
            parts = urllib.parse.urlsplit(text)
            host, port = parts.hostname or "", parts.port
        except ValueError as exc:
            raise InputError(f"{target!r}: not a usable URL ({exc})") from None
        return _checked_host(target, host), _port(target, "443" if port is None else str(port))
    if _is_ip(text):  # a bare IPv4 or IPv6 address
        return text, 443
    if text.startswith("["):
        inner, close, rest = text[1:].partition("]")
        if not close or not _is_ip(inner) or ":" not in inner:
            raise InputError(f"{target!r}: expected [IPv6]:PORT, e.g. [::1]:8443")
        if not rest:
            return inner, 443
        if not rest.startswith(":"):
            raise InputError(f"{target!r}: expected [IPv6]:PORT, e.g. [::1]:8443")
        return inner, _port(target, rest[1:])
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = text, "443"
    return _checked_host(target, host), _port(target, port_text)


def host_port(host: str, port: int) -> str:
    """``host:port``, with an IPv6 address in brackets (``[::1]:443``), as URLs write it."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def checked_servername(name: str, host: str = "", port: int = 443) -> str:
    """Check a ``--servername``: a host name, as SNI carries (RFC 6066 3).

    Args:
        name: the name to send as SNI and to check the certificate against.
        host: the target probed, and ``port`` its port (for the hint).
        port: the target's port.

    Returns:
        Its A-label form, without a trailing dot.

    Raises:
        InputError: not a valid host name, or an IP address (SNI carries host
            names only; literal IP addresses are not permitted).
    """
    if _is_ip(name):
        same = _is_ip(host) and ipaddress.ip_address(host) == ipaddress.ip_address(name)
        hint = (
            "the IP address is already the target, and without --servername the "
            "certificate is checked for it"
            if same
            else f"to check the certificate for {name}, make it the target "
            f"({host_port(name, port)}) and leave out --servername"
        )
        raise InputError(
            f"--servername {name}: SNI carries host names only, not IP addresses "
            f"(RFC 6066 3); {hint}"
        )
    try:
        return _checked_host(name, name)
    except InputError:
        raise InputError(
            f"--servername {name!r}: not a valid host name (e.g. login.example.com)"
        ) from None


def _port(target: str, text: str) -> int:
    # ASCII digits only: str.isdigit() also takes "²" (which int() refuses) and int()
    # takes other scripts' digits ("٤٤٣"), which no URL parser reads as a port
    if not (text.isascii() and text.isdigit()):
        raise InputError(f"{target!r}: the port must be a number (HOST:PORT, e.g. example.com:443)")
    port = int(text)
    if not 0 < port < 65536:
        raise InputError(f"{target!r}: port {port} is outside 1-65535")
    return port


def _checked_host(target: str, host: str) -> str:
    if not host:
        raise InputError(f"{target!r}: no host name (expected HOST:PORT, e.g. example.com:443)")
    if _is_ip(host):
        return host
    name = host.rstrip(".")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    if (
        not ascii_name
        or len(ascii_name) > 253
        or not all(_HOST_LABEL.fullmatch(label) for label in ascii_name.split("."))
    ):
        raise InputError(f"{target!r}: {host!r} is not a valid host name")
    return ascii_name  # the A-label form, as sent in SNI and matched against the SAN


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _system_trust() -> tuple[tuple[x509.Certificate, ...], tuple[str, ...]]:
    """The same trust store ``pkiviz validate`` uses; none found: no anchors, said in the report."""
    from pkiviz.net.trust_store import system_trust_store

    try:
        store = system_trust_store()
    except InputError:
        return (), ()
    return store.certificates, (store.source,)


def _validate(
    chain: tuple[x509.Certificate, ...],
    anchors: Sequence[x509.Certificate],
    peer_name: str,
    at: _dt.datetime,
    crls: Sequence[x509.CertificateRevocationList] = (),
) -> tuple[Report | None, str | None]:
    if not chain:
        return None, "the server sent no certificate"
    try:
        from pkiviz.validation import validate
    except ImportError:  # pragma: no cover - the validator ships with pkiviz
        return None, "pkiviz.validation is not available in this installation"
    report = validate(
        chain[0],
        intermediates=chain[1:],
        trust_anchors=anchors,
        peer_name=peer_name,
        at=at,
        crls=crls,
    )
    return report, None


def probe(
    host: str,
    port: int,
    *,
    servername: str | None = None,
    trust: Sequence[str | os.PathLike[str]] = (),
    timeout: float = 5.0,
    at: _dt.datetime | None = None,
    cert: str | os.PathLike[str] | None = None,
    key: str | os.PathLike[str] | None = None,
    wait: float | None = None,
    crls: Sequence[str | os.PathLike[str]] = (),
    keylog: str | os.PathLike[str] | None = None,
    pcap: str | os.PathLike[str] | None = None,
) -> ProbeResult:
    """Handshake with ``host:port``, capture it, and judge the server.

    Args:
        host: name or address.
        port: TCP port.
        servername: SNI and the name to validate (default: ``host``; none for an
            IP, when the report hints at the certificate's DNS names if the
            hostname check fails). A host name: an IP address is refused, since
            SNI carries host names only (RFC 6066 3).
        trust: PEM/DER files of trust anchors; default the machine's trust
            store (:func:`pkiviz.net.trust_store.system_trust_store`).
        timeout: seconds for connecting and for each read.
        at: validation time (default: now).
        cert: a PEM client certificate (chain) to present if the server asks.
        key: its PEM private key (default: read from ``cert``).
        wait: listen exactly this many seconds after the handshake (0: not
            at all); ``None`` (default): listen ``max(3 round trips, 50 ms)``
            where a verdict can still come (TLS 1.3 after a CertificateRequest),
            stopping when the server sends anything (:mod:`pkiviz.net.listen`).
        crls: CRL files (DER, or PEM with one or more CRLs) for the revocation
            check; without them revocation is not checked (soft-fail, as browsers).
        keylog: write the connection's TLS secrets here (NSS key log format, as
            ``SSLKEYLOGFILE``; a secret, created with mode 0600).
        pcap: write the connection as a pcapng file here, its key log embedded
            (mode 0600). The probe then connects through a loopback relay
            (:class:`~pkiviz.net.wire.Tap`) that records the bytes each way; the
            frames are synthesized (:mod:`pkiviz.net.pcap`): 127.0.0.1 at both
            ends, the target's port, timestamps from the probe's start.
            Both cover the first connection only, not the second one made
            without a certificate. Each must be a new file or an existing
            regular file (a symbolic link, FIFO or device is refused), and the
            two must differ. They are written only once there was a TLS
            handshake, each through a temporary file that replaces the path:
            a probe that fails leaves both paths as they were.

    Returns:
        The result, even if the handshake failed after the server answered.

    Raises:
        InputError: an invalid ``servername``; a bad trust, certificate or key
            file; a key log or pcapng path that cannot be written (or
            one file given as both); an
            unresolvable host, a refused or timed-out connection, or a peer
            that does not speak TLS.
    """
    from pkiviz.x509.load import load_certificates, load_crls

    if not (0 < timeout <= 3600):  # also refuses NaN
        raise InputError(f"timeout must be a number of seconds in (0, 3600], not {timeout}")
    if wait is not None and not (0 <= wait <= 60):
        raise InputError(f"wait must be a number of seconds in [0, 60], not {wait}")
    if key is not None and cert is None:
        raise InputError("a client key (--key) needs a client certificate (--cert)")
    revocation_lists = [crl for path in crls for crl in load_crls(path)]
    anchors: list[x509.Certificate] = []
    for path in trust:
        anchors += load_certificates(path)
    sources = tuple(shown(p) for p in trust)
    if not trust:
        system, sources = _system_trust()
        anchors += system
    target = host_port(host, port)
    if servername is not None:
        servername = checked_servername(servername, host, port)
    sni = servername if servername is not None else (None if _is_ip(host) else host)
    when = at if at is not None else live.now()
    ctx = live.client_context(None)
    offered = _load_client_certificate(ctx, cert, key) if cert is not None else None
    # Both paths are checked before connecting; nothing is written to them until
    # there is a handshake to record (a failed probe leaves them as they were).
    _check_outputs(keylog, pcap)
    try:
        relay_timeout = timeout + (wait or 0.0) + 1.0  # never shorter than the listening
        with _recording(ctx, host, port, keylog, pcap, relay_timeout) as rec:
            handshake, listening = listen.connect(
                ctx, *rec.address, server_hostname=sni, timeout=timeout, wait=wait
            )
            rec.finish(when)
        client_auth = decide(handshake, listening)
        second = None
        if sent_certificate(handshake):  # it cannot tell: ask again without one
            second, second_auth = _without_certificate(host, port, sni, timeout, wait)
            client_auth = combine(client_auth, second_auth)
    except socket.gaierror as exc:
        raise InputError(f"{host}: cannot resolve ({exc.strerror})") from None
    except TimeoutError:
        raise InputError(f"{target}: no answer within {timeout:g} s") from None
    except ConnectionRefusedError:
        raise InputError(f"{target}: connection refused") from None
    except OSError as exc:
        raise InputError(f"{target}: cannot connect ({exc.strerror or exc})") from None
    if handshake.version is None:
        reason = handshake.error or "the server said nothing"
        if "WRONG_VERSION_NUMBER" in reason.upper() or "RECORD_LAYER" in reason.upper():
            reason = f"the server does not speak TLS ({reason})"
        unwritten = [p for p in (keylog, pcap) if p is not None]
        if unwritten:
            reason += f" (nothing written to {' or '.join(shown(p) for p in unwritten)})"
        raise InputError(f"{target}: no TLS handshake: {reason}")
    if keylog is not None and rec.secrets is not None:
        write_file(keylog, rec.secrets.encode("ascii"), secret=True, what="key log")
    if pcap is not None and rec.pcap is not None:
        rec.pcap.write_to_path(pcap)
    report, note = _validate(
        handshake.server_certificates, anchors, sni or host, when, revocation_lists
    )
    if report is not None and not anchors:
        note = "no trust anchors given (--trust) and no trust store found on this machine"
    return ProbeResult(
        host=host,
        port=port,
        servername=sni,
        handshake=handshake,
        trust=sources,
        validation=report,
        validation_note=note,
        server_signature=verify_server_signature(handshake),
        at=when,
        offered_certificate=offered,
        wait=wait,
        listening=listening,
        client_auth=client_auth,
        second_handshake=second,
        keylog_file=None if keylog is None else str(keylog),
        pcap_file=None if pcap is None else str(pcap),
        pcap=rec.pcap,
    )


def _check_outputs(
    keylog: str | os.PathLike[str] | None, pcap: str | os.PathLike[str] | None
) -> None:
    """Refuse a key log or pcapng path that cannot be written, or the same file for both.

    Raises:
        InputError: an empty path, not a regular file (a symbolic link, a FIFO,
            a device, a directory), a directory that cannot take the file, or
            ``--keylog`` and ``--pcap`` naming one file.
    """
    if keylog is not None:
        check_output_path(keylog, what="key log")
    if pcap is not None:
        check_output_path(pcap, what="pcapng file")
    if keylog is not None and pcap is not None:
        same = Path(keylog).resolve() == Path(pcap).resolve()
        with contextlib.suppress(OSError):
            same = same or os.path.samefile(keylog, pcap)
        if same:
            raise InputError(
                f"{shown(keylog)}: the key log and the pcapng file must be two files "
                "(--keylog and --pcap name the same one)"
            )


class _Recorder:
    """Where the probe connects, and what it records there (see :func:`_recording`)."""

    def __init__(self, target: tuple[str, int], keylog: Path | None, tap: wire.Tap | None) -> None:
        self.target, self.keylog, self.tap = target, keylog, tap
        self.pcap: Pcapng | None = None
        self.secrets: str | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The target itself, or the recording relay in front of it."""
        return self.tap.address if self.tap is not None else self.target

    def finish(self, at: _dt.datetime) -> None:
        """Raise the relay's connection error, if any; read the key log, build the pcapng.

        Nothing is written to the user's paths here: :func:`probe` writes them
        once the handshake is known to have happened.

        Raises:
            OSError: the relay could not connect to the target (as a direct
                connection would have raised it).
        """
        if self.keylog is not None:
            self.secrets = self.keylog.read_text("ascii")
        if self.tap is None:
            return
        (flow,) = self.tap.wait(1)  # the relay is done: connected and relayed, or failed
        if self.tap.upstream_errors:
            raise self.tap.upstream_errors[0]
        self.pcap = flow_to_pcapng(
            flow, keylog=self.secrets, client=("127.0.0.1", 50000),
            server=("127.0.0.1", self.target[1]), at=at,
        )  # fmt: skip


@contextlib.contextmanager
def _recording(
    ctx: ssl.SSLContext,
    host: str,
    port: int,
    keylog: str | os.PathLike[str] | None,
    pcap: str | os.PathLike[str] | None,
    timeout: float,
) -> Iterator[_Recorder]:
    """Set up the key log and the loopback relay the probe's connection goes through.

    With neither file asked for, the probe connects directly, as before. Python's
    ssl appends each secret as the handshake derives it to a private temporary
    file (in a 0700 directory), never to the user's path: :func:`probe` copies
    it there afterwards, so OpenSSL never opens, follows or truncates a path
    the user named.
    """
    with contextlib.ExitStack() as stack:
        path: Path | None = None
        if keylog is not None or pcap is not None:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pkiviz-keylog-"))
            os.chmod(tmp, 0o700)
            path = Path(tmp) / "keylog.txt"
            ctx.keylog_filename = str(path)
            stack.callback(setattr, ctx, "keylog_filename", None)
        tap = None
        if pcap is not None:
            tap = stack.enter_context(wire.Tap((host, port), timeout=timeout))
        yield _Recorder((host, port), path, tap)


def _without_certificate(
    host: str, port: int, sni: str | None, timeout: float, wait: float | None
) -> tuple[Handshake | None, ClientAuth]:
    """A second connection, without a certificate, and the verdict it supports.

    A server that served one connection only (``openssl s_server -naccept 1``)
    or went away leaves the verdict unknown, with the reason.
    """
    try:
        second, listening = listen.connect(
            live.client_context(None), host, port, server_hostname=sni, timeout=timeout, wait=wait
        )
    except OSError as exc:
        reason = live.describe_error(exc)
        if isinstance(exc, ConnectionRefusedError):
            reason = "connection refused"
        return None, ClientAuth("unknown", (f"could not be made ({reason})",))
    return second, decide(second, listening)


def _load_client_certificate(
    ctx: ssl.SSLContext, cert: str | os.PathLike[str], key: str | os.PathLike[str] | None
) -> str:
    """Load a client certificate and key into ``ctx``; return the leaf's subject.

    Both files are read once through :mod:`pkiviz.x509.load` (so a pipe, a FIFO or a
    bad file gets pkiviz's own error, never a hang), the key is checked against
    the leaf, and OpenSSL gets them through 0600 temporary files.
    """
    from cryptography.hazmat.primitives import serialization

    from pkiviz.x509.factory import Blob
    from pkiviz.x509.load import load_certificates, load_private_key

    what = shown(cert) + (f" / {shown(key)}" if key is not None else "")
    chain = load_certificates(cert)
    try:
        private = load_private_key(cert if key is None else key)
    except InputError as exc:
        if key is not None:
            raise
        raise InputError(f"{exc} (give the client certificate's key with --key)") from None
    leaf = chain[0]
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private.public_key().public_bytes(*spki) != leaf.public_key().public_bytes(*spki):
        raise InputError(f"{what}: the private key does not belong to the first certificate")
    chain_pem = Blob(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    key_pem = Blob(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        secret=True,
    )
    try:
        with chain_pem.tempfile() as cert_path, key_pem.tempfile() as key_path:
            ctx.load_cert_chain(cert_path, key_path)
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        raise InputError(f"{what}: cannot use as a client certificate and key ({reason})") from None
    return leaf.subject.rfc4514_string()
