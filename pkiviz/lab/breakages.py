"""The Break-it lab's scenarios, built: the running example broken one way at a time.

A :class:`Scenario` is everything a verifier is handed in one breakage - the
certificate the peer presents first, the rest of the chain, the trust
anchors, the peer name, the time, the purpose, the CRLs - plus the files
``pkiviz scenario NAME DIR`` writes. The functions here (``valid``,
``expired``, ...) each take the :class:`~pkiviz.x509.example.RunningExample` and
return one; :mod:`pkiviz.lab.catalogue` is the table that names them.

Breaking a certificate is a new spec (:func:`dataclasses.replace`) and a new
build. Only ``tampered_signature`` edits bytes after signing, because that is
the breakage. Everything is deterministic: the same bytes on every run.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pkiviz import clock
from pkiviz.revocation.crl import RevokedEntry, build_crl
from pkiviz.x509.example import HOSTNAME, ORG, RunningExample
from pkiviz.x509.factory import CA, Blob, Issued, build
from pkiviz.x509.parse import parse_der_certificate

if TYPE_CHECKING:
    from pkiviz.ct.known_logs import KnownLogs
    from pkiviz.ct.log import Log

UTC = clock.UTC

#: What the server key, chain and trust files are called in every scenario directory.
FILE_ORDER: tuple[str, ...] = (
    "root.pem",
    "intermediate.pem",
    "server.pem",
    "server.key",
    "chain.pem",
    "crl.pem",
    "client-root.pem",
    "client.pem",
    "client.key",
    "client-chain.pem",
)

#: The revoked entry's CRLs: issued the day before the book clock, next update
#: far enough ahead that the lab's CRLs stay current on a reader's machine.
CRL_THIS_UPDATE = clock.BOOK_CLOCK - _dt.timedelta(days=1)
CRL_NEXT_UPDATE = _dt.datetime(2039, 12, 31, tzinfo=UTC)
REVOKED_AT = _dt.datetime(2026, 2, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Scenario:
    """Everything a verifier is handed in one breakage, plus the files to write.

    Make one with :meth:`Breakage.scenario`.

    Attributes:
        name: the catalogue id.
        leaf: the certificate the peer presents first (the first one of
            ``chain.pem``); ``None`` when the peer presents none.
        intermediates: the rest of what the peer sends, in the order sent.
        anchors: the trust anchors the verifier uses.
        peer_name: the name the leaf must match (``None``: not checked).
        purpose: ``"server"`` (a client checks login.example.com) or
            ``"client"`` (the server checks a client certificate).
        at: the validation time (the book clock).
        crls: CRLs the verifier is given (also written to ``crl.pem``).
        files: (file name, bytes) in :data:`FILE_ORDER`; keys end in ``.key``.
        require_client_cert: the server asks for a client certificate
            issued under ``client-root.pem``.
        crl_issuer: the CA whose CRL revokes something here, if any.
        revoked: the entries that CA revokes.
        ct_policy: the CT policy the verifier enforces (``"chrome"`` in the CT
            scenarios of :mod:`pkiviz.lab.ct_breakages`; ``None``: CT not checked).
        ct_logs: the verifier's CT log list (``None``: the bundled list).
        ct_audit: the logs that issued the leaf's SCTs, for an inclusion audit
            (:func:`pkiviz.lab.ct_breakages.audit_inclusion`).
    """

    name: str
    leaf: x509.Certificate | None
    intermediates: tuple[x509.Certificate, ...]
    anchors: tuple[x509.Certificate, ...]
    peer_name: str | None
    purpose: Literal["server", "client"]
    at: _dt.datetime
    crls: tuple[x509.CertificateRevocationList, ...]
    files: tuple[tuple[str, bytes], ...]
    require_client_cert: bool = False
    crl_issuer: Issued | None = dataclasses.field(default=None, repr=False)
    revoked: tuple[RevokedEntry, ...] = ()
    ct_policy: Literal["chrome", "apple"] | None = None
    ct_logs: KnownLogs | None = dataclasses.field(default=None, repr=False)
    ct_audit: tuple[Log, ...] = dataclasses.field(default=(), repr=False, compare=False)

    @property
    def file_names(self) -> tuple[str, ...]:
        """The names of the files, in the order written."""
        return tuple(name for name, _ in self.files)

    def file(self, name: str) -> bytes:
        """The bytes of one file.

        Args:
            name: a file name such as ``"chain.pem"``.

        Returns:
            Its bytes.

        Raises:
            KeyError: if the scenario has no such file.
        """
        for file_name, data in self.files:
            if file_name == name:
                return data
        raise KeyError(f"scenario {self.name!r} has no file {name!r}")

    def write_to(self, directory: str | Path) -> list[Path]:
        """Write the files into ``directory`` (created if missing); keys get mode 0600.

        Args:
            directory: where to write.

        Returns:
            The paths written, in :data:`FILE_ORDER`.
        """
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        return [
            Blob(data, secret=name.endswith(".key")).write_to_path(out / name)
            for name, data in self.files
        ]

    def _rows(self) -> list[tuple[str, str]]:
        chain = [self.leaf] if self.leaf is not None else []
        chain += list(self.intermediates)
        ct = []
        if self.ct_policy is not None:
            logs = "bundled log list" if self.ct_logs is None else f"{len(self.ct_logs)} known logs"
            ct = [("CT", f"{self.ct_policy.title()} CT policy, {logs}")]
        return [
            ("scenario", self.name),
            ("purpose", self.purpose),
            ("peer sends", " -> ".join(_cn(c) for c in chain) or "no certificate"),
            ("trust anchors", ", ".join(_cn(c) for c in self.anchors)),
            ("peer name", self.peer_name or "-"),
            ("time", self.at.strftime("%Y-%m-%d %H:%M:%S UTC")),
            ("CRLs", ", ".join(f"from {_cn(crl)}" for crl in self.crls) or "none"),
            *ct,
            ("files", " ".join(self.file_names)),
        ]

    def text(self) -> str:
        """Render as aligned ``label  value`` lines."""
        return "\n".join(f"{k:<14}{v}" for k, v in self._rows())

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def _repr_html_(self) -> str:
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._rows()
        )
        return f"<table>{body}</table>"


def _cn(item: x509.Certificate | x509.CertificateRevocationList) -> str:
    name = item.subject if isinstance(item, x509.Certificate) else item.issuer
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def _pem(certs: Sequence[Issued | x509.Certificate]) -> bytes:
    return b"".join(
        (c if isinstance(c, x509.Certificate) else c.certificate).public_bytes(
            serialization.Encoding.PEM
        )
        for c in certs
    )


def _cert(item: Issued | x509.Certificate) -> x509.Certificate:
    return item if isinstance(item, x509.Certificate) else item.certificate


def make_scenario(
    name: str,
    ex: RunningExample,
    *,
    sent: Sequence[Issued | x509.Certificate],
    key: Issued,
    intermediate_file: Sequence[Issued | x509.Certificate] | None = None,
    crls: Sequence[x509.CertificateRevocationList] = (),
    client_files: bool = True,
    purpose: Literal["server", "client"] = "server",
    presented: bool = True,
    crl_issuer: Issued | None = None,
    revoked: Sequence[RevokedEntry] = (),
) -> Scenario:
    """Assemble a scenario: ``sent`` is chain.pem, as the server sends it (first = server.pem)."""
    chain = [_cert(c) for c in sent]
    inter = chain[1:] if intermediate_file is None else [_cert(c) for c in intermediate_file]
    files: dict[str, bytes] = {
        "root.pem": ex.root.pem.data,
        "intermediate.pem": _pem(inter),
        "server.pem": _pem(chain[:1]),
        "server.key": key.key_pem.data,
        "chain.pem": _pem(chain),
        "crl.pem": b"".join(c.public_bytes(serialization.Encoding.PEM) for c in crls),
        "client-root.pem": ex.client_root.pem.data,
    }
    if client_files:
        files["client.pem"] = ex.client.pem.data
        files["client.key"] = ex.client.key_pem.data
        files["client-chain.pem"] = ex.client.chain_pem.data
    if not inter:
        del files["intermediate.pem"]
    if not crls:
        del files["crl.pem"]
    if purpose == "server":
        leaf: x509.Certificate | None = chain[0]
        intermediates = tuple(chain[1:])
        anchors = (ex.root.certificate,)
        peer: str | None = HOSTNAME
    else:
        leaf = ex.client.certificate if presented else None
        intermediates = ()
        anchors = (ex.client_root.certificate,)
        peer = None
    return Scenario(
        name=name,
        leaf=leaf,
        intermediates=intermediates,
        anchors=anchors,
        peer_name=peer,
        purpose=purpose,
        at=clock.BOOK_CLOCK,
        crls=tuple(crls),
        files=tuple((n, files[n]) for n in FILE_ORDER if n in files),
        require_client_cert=purpose == "client",
        crl_issuer=crl_issuer,
        revoked=tuple(revoked),
    )


def _leaf(ex: RunningExample, tag: str, issuer: Issued | None = None, **changes: Any) -> Issued:
    """The running example's server certificate with ``changes``, same key unless changed."""
    spec = ex.server.spec
    changes.setdefault("key_seed", spec.seed)
    new = dataclasses.replace(spec, label=f"{spec.label} [{tag}]", **changes)
    return build(new, ex.intermediate if issuer is None else issuer)


def _reissued_intermediate(ex: RunningExample, tag: str, **changes: Any) -> Issued:
    """The TLS CA re-issued by the root with ``changes``: same name, same key, new serial."""
    spec = ex.intermediate.spec
    new = dataclasses.replace(spec, label=f"{spec.label} [{tag}]", key_seed=spec.seed, **changes)
    return build(new, ex.root)


# -- the breakages, one function each: running example -> Scenario -------


def valid(ex: RunningExample) -> Scenario:
    """The control: login.example.com, Example Trust TLS CA 2026, the root."""
    return make_scenario("valid", ex, sent=(ex.server, ex.intermediate), key=ex.server)


def expired(ex: RunningExample) -> Scenario:
    """The leaf, valid 2024-06-01 to 2025-06-01: over before the book clock."""
    leaf = _leaf(
        ex,
        "expired",
        not_before=_dt.datetime(2024, 6, 1, tzinfo=UTC),
        not_after=_dt.datetime(2025, 6, 1, tzinfo=UTC),
    )
    return make_scenario("expired", ex, sent=(leaf, ex.intermediate), key=leaf)


def not_yet_valid(ex: RunningExample) -> Scenario:
    """The leaf, valid from 2040-01-01: after the book clock and today."""
    leaf = _leaf(ex, "not yet valid", not_before=_dt.datetime(2040, 1, 1, tzinfo=UTC))
    return make_scenario("not-yet-valid", ex, sent=(leaf, ex.intermediate), key=leaf)


def wrong_host(ex: RunningExample) -> Scenario:
    """The leaf issued for www.example.org instead of login.example.com."""
    leaf = _leaf(ex, "wrong host", subject="CN=www.example.org", dns_names=("www.example.org",))
    return make_scenario("wrong-host", ex, sent=(leaf, ex.intermediate), key=leaf)


def self_signed(ex: RunningExample) -> Scenario:
    """The leaf signed by its own key, sent alone."""
    spec = ex.server.spec
    leaf = build(dataclasses.replace(spec, label=f"{spec.label} [self-signed]", key_seed=spec.seed))
    return make_scenario("self-signed", ex, sent=(leaf,), key=leaf)


def untrusted_root(ex: RunningExample) -> Scenario:
    """The same leaf key under a complete chain from a root nobody trusts."""
    org = "O=Nobody You Know,C=US"
    other_root = CA.root(
        "Untrusted Root CA", subject=f"CN=Untrusted Root CA,{org}", key="ec-p384", hash="sha384"
    )
    other_ca = other_root.intermediate(
        "Untrusted TLS CA",
        subject=f"CN=Untrusted TLS CA,{org}",
        hash="sha384",
        path_length=0,
        extended_key_usage=("server_auth",),
    )
    leaf = _leaf(ex, "untrusted root", issuer=other_ca)
    return make_scenario("untrusted-root", ex, sent=(leaf, other_ca, other_root), key=leaf)


def missing_intermediate(ex: RunningExample) -> Scenario:
    """The server sends the leaf without its intermediate."""
    return make_scenario(
        "missing-intermediate",
        ex,
        sent=(ex.server,),
        key=ex.server,
        intermediate_file=(ex.intermediate,),
    )


def chain_out_of_order(ex: RunningExample) -> Scenario:
    """``cat intermediate.pem server.pem``: the CA is presented as the server."""
    # `cat intermediate.pem server.pem > chain.pem`: the CA comes first, so the
    # certificate presented as the server's is the CA's, not login.example.com.
    return make_scenario(
        "chain-out-of-order",
        ex,
        sent=(ex.intermediate, ex.server),
        key=ex.server,
        intermediate_file=(ex.intermediate,),
    )


def revoked(ex: RunningExample) -> Scenario:
    """The leaf, revoked (keyCompromise) on its CA's CRL; the root's CRL beside it."""
    leaf = _leaf(ex, "revoked")
    entry = RevokedEntry.of(leaf, at=REVOKED_AT, reason="key_compromise")
    lifetime = CRL_NEXT_UPDATE - CRL_THIS_UPDATE
    crls = (
        build_crl(ex.intermediate, [entry], this_update=CRL_THIS_UPDATE, lifetime=lifetime).crl,
        # The root's (empty) CRL too: curl's --crlfile checks every certificate.
        build_crl(ex.root, [], this_update=CRL_THIS_UPDATE, lifetime=lifetime).crl,
    )
    return make_scenario(
        "revoked",
        ex,
        sent=(leaf, ex.intermediate),
        key=leaf,
        crls=crls,
        crl_issuer=ex.intermediate,
        revoked=(entry,),
    )


def wrong_eku(ex: RunningExample) -> Scenario:
    """The leaf with EKU clientAuth only, presented by a server."""
    leaf = _leaf(ex, "clientAuth only", extended_key_usage=("client_auth",))
    return make_scenario("wrong-eku", ex, sent=(leaf, ex.intermediate), key=leaf)


def intermediate_not_ca(ex: RunningExample) -> Scenario:
    """The TLS CA re-issued with cA=FALSE (keyCertSign kept)."""
    not_ca = _reissued_intermediate(
        ex,
        "CA:FALSE",
        ca=False,
        path_length=None,
        key_usage=("digital_signature", "key_cert_sign", "crl_sign"),
    )
    return make_scenario("intermediate-not-ca", ex, sent=(ex.server, not_ca), key=ex.server)


def path_length_exceeded(ex: RunningExample) -> Scenario:
    """A further CA below the TLS CA, whose pathLenConstraint is 0."""
    sub_ca = ex.intermediate.intermediate(
        "Example Trust TLS Issuing CA 2026",
        subject=f"CN=Example Trust TLS Issuing CA 2026,{ORG}",
        extended_key_usage=("server_auth",),
    )
    leaf = _leaf(ex, "below pathLen 0", issuer=sub_ca)
    return make_scenario("path-length-exceeded", ex, sent=(leaf, sub_ca, ex.intermediate), key=leaf)


def name_constraints_violated(ex: RunningExample) -> Scenario:
    """The TLS CA re-issued with nameConstraints permitting only example.net."""
    constrained = _reissued_intermediate(
        ex, "example.net only", permitted_subtrees=("DNS:example.net",)
    )
    return make_scenario(
        "name-constraints-violated", ex, sent=(ex.server, constrained), key=ex.server
    )


def tampered_signature(ex: RunningExample) -> Scenario:
    """The leaf with notAfter edited (2044 -> 2046) after signing."""
    # Someone stretched notAfter from 2044 to 2046 after the CA signed: build
    # the edited TBSCertificate, keep the CA's original signature.
    original = ex.server
    edited = build(
        dataclasses.replace(original.spec, not_after=original.spec.not_after.replace(year=2046)),
        ex.intermediate,
    )
    old_tbs = original.certificate.tbs_certificate_bytes
    new_tbs = edited.certificate.tbs_certificate_bytes
    if len(old_tbs) != len(new_tbs):  # pragma: no cover - UTCTime keeps its length
        raise ValueError("the edited TBSCertificate changed length")
    forged = parse_der_certificate(original.der.replace(old_tbs, new_tbs, 1))
    return make_scenario("tampered-signature", ex, sent=(forged, ex.intermediate), key=ex.server)


def sha1_signature(ex: RunningExample) -> Scenario:
    """The leaf signed with SHA-1 by an RSA intermediate under the same root."""
    rsa_ca = ex.root.intermediate(
        "Example Trust RSA TLS CA 2026",
        subject=f"CN=Example Trust RSA TLS CA 2026,{ORG}",
        key="rsa-2048",
        hash="sha384",
        path_length=0,
        extended_key_usage=("server_auth",),
    )
    leaf = _leaf(ex, "sha1", issuer=rsa_ca, hash="sha1")
    return make_scenario("sha1-signature", ex, sent=(leaf, rsa_ca), key=leaf)


def rsa_1024(ex: RunningExample) -> Scenario:
    """The leaf with a 1024-bit RSA key."""
    spec = ex.server.spec
    leaf = _leaf(ex, "rsa-1024", key="rsa-1024", key_seed=f"{spec.label} [rsa-1024]")
    return make_scenario("rsa-1024", ex, sent=(leaf, ex.intermediate), key=leaf)


def cn_only_no_san(ex: RunningExample) -> Scenario:
    """The leaf without subjectAltName: its name only in the CN."""
    leaf = _leaf(ex, "CN only", dns_names=())
    return make_scenario("cn-only-no-san", ex, sent=(leaf, ex.intermediate), key=leaf)


def wildcard_misuse(ex: RunningExample) -> Scenario:
    """The leaf for ``*.com``: one wildcard asked to cover two labels."""
    leaf = _leaf(ex, "wildcard", subject="CN=*.com", dns_names=("*.com",))
    return make_scenario("wildcard-misuse", ex, sent=(leaf, ex.intermediate), key=leaf)


def client_certificate_missing(ex: RunningExample) -> Scenario:
    """mTLS: the server requires a client certificate; the client has none."""
    return make_scenario(
        "client-certificate-missing",
        ex,
        sent=(ex.server, ex.intermediate),
        key=ex.server,
        client_files=False,
        purpose="client",
        presented=False,
    )


__all__ = [
    "CRL_NEXT_UPDATE",
    "CRL_THIS_UPDATE",
    "FILE_ORDER",
    "REVOKED_AT",
    "Scenario",
    "chain_out_of_order",
    "client_certificate_missing",
    "cn_only_no_san",
    "expired",
    "intermediate_not_ca",
    "missing_intermediate",
    "name_constraints_violated",
    "not_yet_valid",
    "path_length_exceeded",
    "revoked",
    "rsa_1024",
    "self_signed",
    "sha1_signature",
    "tampered_signature",
    "untrusted_root",
    "valid",
    "wildcard_misuse",
    "wrong_eku",
    "wrong_host",
]
