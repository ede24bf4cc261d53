"""How a CA arranges its keys: an offline root, revocable intermediates, separate hierarchies.

The article: the root's private key lives offline in a hardware security
module and day-to-day signing is done by intermediates, so that "if an
intermediate is compromised, [the CA] can revoke just that intermediate
without touching the root". This module models that as data:

* :func:`key_ceremony` - the root's key comes out of the vault, signs
  intermediates and the root's CRL, and goes back. What you keep afterwards
  (:class:`Ceremony`) holds the root *certificate* with a sealed key: asking
  it to sign raises :class:`RootOfflineError`.
* :func:`compromised_intermediate` - two intermediates; one is compromised,
  and a second ceremony revokes it on the root's CRL. The other, and the
  root, carry on.
* :func:`separate_hierarchies` - server- and client-authentication chains
  under different roots, with EKU-constrained intermediates.

The chain graph and the verdicts come from :mod:`pkiviz.validation`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from pkiviz import clock
from pkiviz.errors import PkivizError
from pkiviz.revocation._common import html_table, when_text
from pkiviz.revocation.crl import BuiltCrl, RevokedEntry, build_crl
from pkiviz.x509.example import ORG
from pkiviz.x509.factory import CA, Issued, build
from pkiviz.x509.keys import PrivateKey
from pkiviz.x509.spec import CertSpec

#: A root CRL's lifetime: the Baseline Requirements (4.9.7) allow up to 12 months
#: for CRLs about CA certificates, because the root key is brought out so rarely.
ROOT_CRL_LIFETIME = _dt.timedelta(days=365)


class RootOfflineError(PkivizError):
    """The root's private key is not here: it signs only at a key ceremony."""


def _offline(name: str) -> NoReturn:
    raise RootOfflineError(
        f"{name}: the root key is offline (in the HSM, in the vault); it signs only at a key "
        "ceremony - issue from an intermediate, or hold a new ceremony with key_ceremony(...)"
    )


class _SealedMixin:
    """Everything a private key can do except its public half refuses."""

    _holder: str
    _public: Any

    def public_key(self) -> Any:
        return self._public

    def sign(self, *args: object, **kwargs: object) -> bytes:
        _offline(self._holder)

    def private_bytes(self, *args: object, **kwargs: object) -> bytes:
        _offline(self._holder)

    def private_numbers(self) -> Any:
        _offline(self._holder)

    def private_bytes_raw(self) -> bytes:
        _offline(self._holder)

    def exchange(self, *args: object, **kwargs: object) -> bytes:
        _offline(self._holder)

    def decrypt(self, *args: object, **kwargs: object) -> bytes:
        _offline(self._holder)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Any:
        return self

    def __repr__(self) -> str:
        return f"<sealed key of {self._holder}: offline>"


class _SealedEC(_SealedMixin, ec.EllipticCurvePrivateKey):
    @property
    def curve(self) -> ec.EllipticCurve:
        curve: ec.EllipticCurve = self._public.curve
        return curve

    @property
    def key_size(self) -> int:
        size: int = self._public.key_size
        return size


class _SealedRSA(_SealedMixin, rsa.RSAPrivateKey):
    @property
    def key_size(self) -> int:
        size: int = self._public.key_size
        return size


class _SealedEd25519(_SealedMixin, ed25519.Ed25519PrivateKey):
    pass


def _sealed_key(key: PrivateKey, name: str) -> PrivateKey:
    cls: type[_SealedMixin]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        cls = _SealedEC
    elif isinstance(key, rsa.RSAPrivateKey):
        cls = _SealedRSA
    else:
        cls = _SealedEd25519
    sealed = cls.__new__(cls)
    sealed._holder, sealed._public = name, key.public_key()
    return sealed  # type: ignore[return-value]


def is_offline(ca: Issued) -> bool:
    """Whether ``ca``'s key is sealed (it came out of a :func:`key_ceremony`)."""
    return isinstance(ca.private_key, _SealedMixin)


def seal(root: Issued) -> Issued:
    """The same root certificate with its private key replaced by a sealed stand-in.

    The public key still works (chains verify, AKIs compute); any attempt to
    sign raises :class:`RootOfflineError`.

    Args:
        root: a CA with its key.

    Returns:
        A new :class:`Issued`; the argument is unchanged.
    """
    if is_offline(root):
        return root
    return dataclasses.replace(root, private_key=_sealed_key(root.private_key, root.name))


def reopen(root: Issued) -> Issued:
    """Bring a sealed root's key back for a new ceremony (HSM out of the vault).

    Deterministic (teaching) keys derive from the spec, so the same key and
    certificate come back. A live root's key was random and is gone for good.

    Args:
        root: a sealed root.

    Returns:
        The root with its key.

    Raises:
        RootOfflineError: for a live root.
    """
    if not is_offline(root):
        return root
    if root.live:
        raise RootOfflineError(
            f"{root.name}: a live root's key was random and is gone for good; it cannot come back"
        )
    return build(root.spec, issuer=root.issuer)


@dataclasses.dataclass(frozen=True)
class Ceremony:
    """What leaves the room after a key ceremony.

    Attributes:
        root: the root certificate, its key sealed.
        signed: the intermediates signed at this ceremony (their ``issuer``
            is the sealed root).
        crl: the root's CRL signed at this ceremony.
        at: when the ceremony took place.
    """

    root: Issued
    signed: tuple[Issued, ...]
    crl: BuiltCrl
    at: _dt.datetime

    def _rows(self) -> list[tuple[str, str]]:
        rows = [("when", when_text(self.at)), ("root", f"{self.root.name} (key sealed)")]
        rows += [("signed", ca.name) for ca in self.signed]
        rows.append(
            (
                "root CRL",
                f"number {self.crl.number}, {len(self.crl.entries)} revoked, "
                f"next by {when_text(self.crl.next_update)}",
            )
        )
        return rows

    def __str__(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v in self._rows())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show the text rendering as a notebook's plain-text output."""
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return html_table("Key ceremony", self._rows())


def key_ceremony(
    root: Issued,
    intermediates: Sequence[CertSpec] = (),
    *,
    revoke: Sequence[RevokedEntry] = (),
    crl_number: int = 1,
    at: _dt.datetime = clock.BOOK_CLOCK,
) -> Ceremony:
    """Use the root key once: sign intermediates and the root CRL, then seal it.

    Args:
        root: the root with its key (see :func:`reopen` for a sealed one).
        intermediates: CA specs to sign; a root signs nothing else.
        revoke: intermediates to list on the root's CRL.
        crl_number: the CRL's number (one more than the last ceremony's).
        at: the ceremony's time (the CRL's thisUpdate).

    Returns:
        The ceremony's record; its root can no longer sign.

    Raises:
        RootOfflineError: if ``root`` is already sealed.
        ValueError: if a spec is not a CA certificate.
    """
    if is_offline(root):
        _offline(root.name)
    for spec in intermediates:
        if not spec.ca:
            raise ValueError(
                f"{spec.label}: a root signs only intermediate CAs at a ceremony; "
                "leaf certificates come from an intermediate"
            )
    signed = [build(spec, issuer=root, live=root.live) for spec in intermediates]
    crl = build_crl(root, revoke, this_update=at, lifetime=ROOT_CRL_LIFETIME, number=crl_number)
    sealed = seal(root)
    return Ceremony(
        root=sealed,
        signed=tuple(dataclasses.replace(ca, issuer=sealed) for ca in signed),
        crl=dataclasses.replace(crl, issuer=sealed),
        at=clock.as_utc(at),
    )


def _intermediate_spec(common_name: str, **options: object) -> CertSpec:
    fields: dict[str, object] = {
        "label": common_name,
        "subject": f"CN={common_name},{ORG}",
        "ca": True,
        "path_length": 0,
        "not_before": clock.CA_NOT_BEFORE,
        "not_after": clock.CA_NOT_AFTER,
        "hash": "sha384",
    }
    fields.update(options)
    return CertSpec(**fields)  # type: ignore[arg-type]


def _root(common_name: str) -> Issued:
    return CA.root(common_name, subject=f"CN={common_name},{ORG}", key="ec-p384", hash="sha384")


@dataclasses.dataclass(frozen=True)
class CompromiseStory:
    """An intermediate is compromised; the root revokes it and nothing else changes.

    Attributes:
        first: the ceremony that signed both intermediates.
        second: the ceremony that revoked the compromised one.
        root: the root (sealed).
        good_ca: the intermediate that carries on.
        compromised_ca: the revoked intermediate.
        good_leaf: a server certificate under ``good_ca``.
        bad_leaf: a server certificate under ``compromised_ca``.
    """

    first: Ceremony
    second: Ceremony
    root: Issued
    good_ca: Issued
    compromised_ca: Issued
    good_leaf: Issued
    bad_leaf: Issued

    @property
    def crl(self) -> BuiltCrl:
        """The root's CRL from the second ceremony, listing the compromised intermediate."""
        return self.second.crl

    @property
    def issuing_crls(self) -> tuple[BuiltCrl, BuiltCrl]:
        """The intermediates' own CRLs, listing no leaf: CA A's current one, CA B's last one.

        CA A signs its CRL at the revocation ceremony's time; CA B's last CRL
        was signed a day before its key was compromised. A checker that wants
        a CRL from every CA on the path (``openssl verify -crl_check_all``)
        needs these besides the root's.
        """
        entry = self.crl.entry_for(self.compromised_ca)
        compromised_at = entry.revoked_at if entry is not None else self.second.at
        return (
            build_crl(self.good_ca, this_update=self.second.at),
            build_crl(self.compromised_ca, this_update=compromised_at - _dt.timedelta(days=1)),
        )

    def write_to(self, directory: str | os.PathLike[str]) -> tuple[Path, ...]:
        """Write the story as PEM files for real tools (no private keys).

        Files: ``root.pem``, ``ca-a.pem``, ``ca-b.pem`` (the compromised one),
        ``login.pem`` (under CA A), ``shop.pem`` (under CA B), ``root-crl.pem``,
        ``ca-a-crl.pem`` and ``ca-b-crl.pem``.

        Args:
            directory: an existing directory.

        Returns:
            The paths written, in that order.
        """
        crl_a, crl_b = self.issuing_crls
        blobs = {
            "root.pem": self.root.pem,
            "ca-a.pem": self.good_ca.pem,
            "ca-b.pem": self.compromised_ca.pem,
            "login.pem": self.good_leaf.pem,
            "shop.pem": self.bad_leaf.pem,
            "root-crl.pem": self.crl.pem,
            "ca-a-crl.pem": crl_a.pem,
            "ca-b-crl.pem": crl_b.pem,
        }
        return tuple(blob.write_to_path(Path(directory) / name) for name, blob in blobs.items())

    def __str__(self) -> str:
        return "\n".join(
            [
                f"root: {self.root.name} (offline)",
                f"good intermediate: {self.good_ca.name}",
                f"compromised intermediate: {self.compromised_ca.name} - "
                f"{self.crl.entry_for(self.compromised_ca)}",
            ]
        )


def compromised_intermediate(
    *,
    compromised_at: _dt.datetime = clock.BOOK_CLOCK - _dt.timedelta(days=3),
    at: _dt.datetime = clock.BOOK_CLOCK - _dt.timedelta(days=1),
) -> CompromiseStory:
    """Two intermediates under one offline root; one is compromised and revoked.

    Args:
        compromised_at: when the key was compromised (the revocation time).
        at: when the revocation ceremony took place (the CRL's thisUpdate).

    Returns:
        The story's certificates and ceremonies.
    """
    root = _root("Example Trust Root CA R2")
    first = key_ceremony(
        root,
        [
            _intermediate_spec("Example Trust TLS CA A", extended_key_usage=("server_auth",)),
            _intermediate_spec("Example Trust TLS CA B", extended_key_usage=("server_auth",)),
        ],
        at=clock.CA_NOT_BEFORE,
    )
    good_ca, bad_ca = first.signed
    second = key_ceremony(
        reopen(first.root),
        revoke=[RevokedEntry.of(bad_ca, at=compromised_at, reason="ca_compromise")],
        crl_number=2,
        at=at,
    )
    return CompromiseStory(
        first=first,
        second=second,
        root=second.root,
        good_ca=good_ca,
        compromised_ca=bad_ca,
        good_leaf=good_ca.issue_server("login.example.com", label="login.example.com [CA A]"),
        bad_leaf=bad_ca.issue_server("shop.example.com", label="shop.example.com [CA B]"),
    )


@dataclasses.dataclass(frozen=True)
class SplitHierarchies:
    """Server and client authentication under separate roots, EKU-constrained.

    Attributes:
        server_root: trust anchor for TLS servers (offline).
        server_ca: intermediate with EKU serverAuth only.
        server: ``login.example.com`` (EKU serverAuth).
        client_root: trust anchor for TLS clients (offline).
        client_ca: intermediate with EKU clientAuth only.
        client: ``alice@example.com`` (EKU clientAuth).
    """

    server_root: Issued
    server_ca: Issued
    server: Issued
    client_root: Issued
    client_ca: Issued
    client: Issued


def separate_hierarchies() -> SplitHierarchies:
    """Build two hierarchies: one for server certificates, one for client certificates.

    A server that trusts only the client root for mTLS cannot be fooled by
    any web server certificate, and the EKU in each intermediate limits what
    it can vouch for (a constraint browsers and OpenSSL enforce down the chain).

    Returns:
        Both chains; the roots are sealed.
    """
    server_side = key_ceremony(
        _root("Example Trust Server Root CA"),
        [_intermediate_spec("Example Trust Server CA 2026", extended_key_usage=("server_auth",))],
        at=clock.CA_NOT_BEFORE,
    )
    client_side = key_ceremony(
        _root("Example Trust Client Root CA"),
        [_intermediate_spec("Example Trust Client CA 2026", extended_key_usage=("client_auth",))],
        at=clock.CA_NOT_BEFORE,
    )
    (server_ca,) = server_side.signed
    (client_ca,) = client_side.signed
    return SplitHierarchies(
        server_root=server_side.root,
        server_ca=server_ca,
        server=server_ca.issue_server("login.example.com", label="login.example.com [split]"),
        client_root=client_side.root,
        client_ca=client_ca,
        client=client_ca.issue_client(
            "alice@example.com",
            label="alice@example.com [split]",
            subject="CN=alice@example.com,O=Example Corp,C=US",
        ),
    )


__all__ = [
    "ROOT_CRL_LIFETIME",
    "Ceremony",
    "CompromiseStory",
    "RootOfflineError",
    "SplitHierarchies",
    "compromised_intermediate",
    "is_offline",
    "key_ceremony",
    "reopen",
    "seal",
    "separate_hierarchies",
]
