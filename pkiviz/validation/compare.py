"""Differential validation: pkiviz beside cryptography's verifier and ``openssl verify``.

:func:`verdicts` runs one chain through all three. :data:`SCENARIOS` is a
small catalogue of broken chains built with the factory, and
:func:`disagreement_table` returns the scenarios on which the two real
stacks (cryptography and OpenSSL) disagree - data a chapter can show.
``openssl`` runs as a subprocess; without it the OpenSSL column is ``None``.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification as xv

from pkiviz.validation import scenarios
from pkiviz.validation.chain import Chain
from pkiviz.validation.policy import PROFILES
from pkiviz.validation.validator import validate


@dataclasses.dataclass(frozen=True)
class Verdicts:
    """What each validator said about one chain.

    Attributes:
        name: the chain's name.
        pkiviz: pkiviz accepted it.
        pkiviz_reason: pkiviz's first failure.
        cryptography: cryptography accepted it.
        cryptography_reason: cryptography's error.
        openssl: ``openssl verify`` accepted it (``None`` if not run).
        openssl_reason: OpenSSL's error line.
    """

    name: str
    pkiviz: bool
    pkiviz_reason: str
    cryptography: bool
    cryptography_reason: str
    openssl: bool | None
    openssl_reason: str

    @property
    def stacks_agree(self) -> bool:
        """Whether cryptography and OpenSSL gave the same verdict."""
        return self.openssl is not None and self.openssl == self.cryptography


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def cryptography_verdict(chain: Chain) -> tuple[bool, str]:
    """Run ``cryptography.x509.verification`` on ``chain``."""
    try:
        builder = xv.PolicyBuilder().store(xv.Store(list(chain.anchors))).time(chain.at)
        if chain.purpose == "client":
            builder.build_client_verifier().verify(chain.leaf, list(chain.intermediates))
        else:
            name = chain.peer_name or ""
            subject: xv.Subject = (
                x509.IPAddress(ipaddress.ip_address(name)) if _is_ip(name) else x509.DNSName(name)
            )
            builder.build_server_verifier(subject).verify(chain.leaf, list(chain.intermediates))
    except (xv.VerificationError, ValueError, TypeError) as exc:
        return False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return True, ""


def openssl_verdict(chain: Chain, *, openssl: str | None = None) -> tuple[bool | None, str]:
    """Run ``openssl verify -x509_strict`` on ``chain`` at ``chain.at``."""
    program = openssl or shutil.which("openssl")
    if program is None:
        return None, "openssl not found"
    with tempfile.TemporaryDirectory(prefix="pkiviz-verify-") as tmp:
        folder = Path(tmp)

        def write(name: str, certs: Sequence[x509.Certificate]) -> str:
            path = folder / name
            path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
            return str(path)

        args = [program, "verify", "-x509_strict", "-attime", str(int(chain.at.timestamp()))]
        args += ["-purpose", "sslclient" if chain.purpose == "client" else "sslserver"]
        args += ["-CAfile", write("anchors.pem", chain.anchors)]
        if chain.intermediates:
            args += ["-untrusted", write("untrusted.pem", chain.intermediates)]
        if chain.peer_name:
            flag = "-verify_ip" if _is_ip(chain.peer_name) else "-verify_hostname"
            args += [flag, chain.peer_name]
        args.append(write("leaf.pem", [chain.leaf]))
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode == 0:
        return True, ""
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "error" in ln.lower()]
    return False, (lines[0] if lines else f"exit {done.returncode}").strip()


def verdicts(chain: Chain, *, profile: str = "browser") -> Verdicts:
    """All three verdicts on one chain."""
    report = validate(
        chain.leaf,
        intermediates=chain.intermediates,
        trust_anchors=chain.anchors,
        peer_name=chain.peer_name,
        at=chain.at,
        purpose="client" if chain.purpose == "client" else "server",
        profile=PROFILES[profile],
    )
    first = report.first_failure
    crypto_ok, crypto_why = cryptography_verdict(chain)
    ossl_ok, ossl_why = openssl_verdict(chain)
    return Verdicts(
        name=chain.name,
        pkiviz=report.valid,
        pkiviz_reason=f"{first.check}: {first.message}" if first else "",
        cryptography=crypto_ok,
        cryptography_reason=crypto_why,
        openssl=ossl_ok,
        openssl_reason=ossl_why,
    )


# -- a catalogue of broken chains --------------------------------------------


@functools.lru_cache(maxsize=1)
def disagreement_table() -> tuple[Verdicts, ...]:
    """The catalogue's chains on which cryptography and OpenSSL disagree, with pkiviz beside.

    Returns:
        One :class:`Verdicts` per disagreeing chain (empty without openssl).
    """
    rows = [verdicts(make()) for make in scenarios.CATALOGUE.values()]
    return tuple(r for r in rows if r.openssl is not None and not r.stacks_agree)
