"""The book's running example: ``login.example.com`` and a client certificate.

Two hierarchies, kept apart as real CAs keep them:

* server side: *Example Trust Root CA* (P-384, self-signed, offline in the
  story) -> *Example Trust TLS CA 2026* (P-256 intermediate, serverAuth only)
  -> ``login.example.com`` (P-256 leaf, SAN ``login.example.com``, EKU
  serverAuth, DV policy).
* client side: *Example Trust Client Auth Root CA* -> ``alice@example.com``
  (EKU clientAuth).

:func:`running_example` is deterministic by default (same DER everywhere) and
takes ``key=`` to make an RSA or Ed25519 variant, and ``live=True`` for fresh
keys valid around the real clock.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from cryptography import x509

from pkiviz.table import Table
from pkiviz.x509.factory import CA, Issued
from pkiviz.x509.keys import key_type_of
from pkiviz.x509.spec import HashName

HOSTNAME = "login.example.com"
ORG = "O=Example Trust Co,C=US"


@dataclasses.dataclass(frozen=True)
class RunningExample:
    """The certificates of the running example.

    Attributes:
        root: the server-side trust anchor.
        intermediate: the intermediate CA that issues TLS server certificates.
        server: ``login.example.com``'s certificate and key.
        client_root: the client-authentication root (a separate hierarchy).
        client: ``alice@example.com``'s client certificate and key.
    """

    root: Issued
    intermediate: Issued
    server: Issued
    client_root: Issued
    client: Issued

    @property
    def hostname(self) -> str:
        """The server's name, ``login.example.com``."""
        return HOSTNAME

    def summary(self) -> Table:
        """One row per certificate: role, subject CN, issuer CN, key, validity, fingerprint."""
        rows = []
        for role, item in (
            ("root (server side)", self.root),
            ("intermediate", self.intermediate),
            ("server leaf", self.server),
            ("root (client side)", self.client_root),
            ("client leaf", self.client),
        ):
            cert = item.certificate
            rows.append(
                (
                    role,
                    _cn(cert.subject),
                    _cn(cert.issuer),
                    key_type_of(cert.public_key()),  # type: ignore[arg-type]
                    cert.not_valid_before_utc.date().isoformat(),
                    cert.not_valid_after_utc.date().isoformat(),
                    item.fingerprint_sha256[:23] + "...",
                )
            )
        return Table(
            ("role", "subject CN", "issuer CN", "key", "not before", "not after", "SHA-256"),
            tuple(rows),
        )

    def files(self) -> dict[str, bytes]:
        """The PEM files ``pkiviz scenario valid`` writes, by file name."""
        return {
            "root.pem": self.root.pem.data,
            "intermediate.pem": self.intermediate.pem.data,
            "server.pem": self.server.pem.data,
            "server.key": self.server.key_pem.data,
            "chain.pem": self.server.chain_pem.data,
            "client-root.pem": self.client_root.pem.data,
            "client.pem": self.client.pem.data,
            "client.key": self.client.key_pem.data,
            "client-chain.pem": self.client.chain_pem.data,
        }

    def write_to(self, directory: str | Path) -> list[Path]:
        """Write :meth:`files` into ``directory`` (created if missing); keys get 0600.

        Args:
            directory: target directory.

        Returns:
            The paths written, in a fixed order.
        """
        from pkiviz.x509.factory import Blob

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        return [
            Blob(data, secret=name.endswith(".key")).write_to_path(out / name)
            for name, data in self.files().items()
        ]


def _cn(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(values[0].value) if values else name.rfc4514_string()


def running_example(*, key: str = "ec-p256", live: bool = False) -> RunningExample:
    """Build the running example.

    Args:
        key: key type of the two leaves and the intermediate (the roots are
            P-384 for EC and Ed25519 variants, and the same RSA size for RSA).
        live: fresh random keys, validity around the real clock. Not cached.

    Returns:
        The five certificates. Deterministic calls are cached.
    """
    if live:
        return _build(key, live=True)
    return _cached(key)


@functools.lru_cache(maxsize=16)
def _cached(key: str) -> RunningExample:
    return _build(key, live=False)


running_example.cache_clear = _cached.cache_clear  # type: ignore[attr-defined]


def _build(key: str, *, live: bool) -> RunningExample:
    root_key = key if key.startswith("rsa") else "ec-p384"
    root_hash: HashName = "sha256" if key.startswith("rsa") else "sha384"
    suffix = "" if key == "ec-p256" else f" [{key}]"
    root = CA.root(
        "Example Trust Root CA",
        label="Example Trust Root CA" + suffix,
        subject=f"CN=Example Trust Root CA,{ORG}",
        key=root_key,
        hash=root_hash,
        live=live,
    )
    intermediate = root.intermediate(
        "Example Trust TLS CA 2026",
        label="Example Trust TLS CA 2026" + suffix,
        subject=f"CN=Example Trust TLS CA 2026,{ORG}",
        key=key,
        hash=root_hash,
        path_length=0,
        extended_key_usage=("server_auth",),
        policies=("dv",),
    )
    server = intermediate.issue_server(
        HOSTNAME,
        label=HOSTNAME + suffix,
        key=key,
        policies=("dv",),
    )
    client_root = CA.root(
        "Example Trust Client Auth Root CA",
        label="Example Trust Client Auth Root CA" + suffix,
        subject=f"CN=Example Trust Client Auth Root CA,{ORG}",
        key=root_key,
        hash=root_hash,
        path_length=0,
        live=live,
    )
    client = client_root.issue_client(
        "alice@example.com",
        label="alice@example.com" + suffix,
        subject="CN=alice@example.com,O=Example Corp,C=US",
        key=key,
        hash=root_hash,
    )
    return RunningExample(root, intermediate, server, client_root, client)
