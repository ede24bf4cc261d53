"""The machine's trust store, found the way Python's ``ssl`` finds it, for every command.

``pkiviz validate`` and ``pkiviz probe`` without ``--trust`` both trust what
:func:`system_trust_store` returns: the certificates in the default CA file
and the default CA directory that :func:`ssl.get_default_verify_paths` names
(as OpenSSL, and so a Python client with ``ssl.create_default_context()``,
reads them), and certifi's bundle when the platform has neither.
"""

from __future__ import annotations

import dataclasses
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pkiviz.errors import InputError
from pkiviz.x509.load import load_certificates


@dataclasses.dataclass(frozen=True)
class TrustStore:
    """Trust anchors and where they came from.

    Attributes:
        certificates: the anchors, each once (by SHA-256 fingerprint), in file order.
        source: a description such as ``platform trust store (/etc/ssl/certs/ca-certificates.crt)``.
    """

    certificates: tuple[x509.Certificate, ...]
    source: str


def _load_quietly(path: Path) -> tuple[x509.Certificate, ...]:
    try:
        return load_certificates(path)
    except InputError:  # a CA directory also holds CRLs, hash links to them, READMEs
        return ()


def system_trust_store() -> TrustStore:
    """The platform's trust store as Python's ssl finds it, else certifi's bundle.

    Returns:
        The store.

    Raises:
        InputError: if there is no platform store and certifi is not installed.
    """
    paths = ssl.get_default_verify_paths()
    certs: dict[bytes, x509.Certificate] = {}
    sources = []
    if paths.cafile and Path(paths.cafile).is_file():
        for cert in _load_quietly(Path(paths.cafile)):
            certs.setdefault(cert.fingerprint(hashes.SHA256()), cert)
        sources.append(paths.cafile)
    if paths.capath and Path(paths.capath).is_dir():
        before = len(certs)
        for entry in sorted(Path(paths.capath).iterdir()):
            if entry.is_file():
                for cert in _load_quietly(entry):
                    certs.setdefault(cert.fingerprint(hashes.SHA256()), cert)
        if len(certs) > before:
            sources.append(paths.capath)
    if certs:
        return TrustStore(tuple(certs.values()), f"platform trust store ({', '.join(sources)})")
    try:
        import certifi
    except ImportError:
        raise InputError(
            "no --trust given and no platform trust store found (install certifi or pass --trust)"
        ) from None
    where = certifi.where()
    return TrustStore(load_certificates(where, what=where), f"certifi ({where})")
