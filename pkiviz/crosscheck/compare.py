"""Differential validation: pkiviz beside cryptography's verifier and ``openssl verify``.

:func:`verdicts` runs one chain through all three. :data:`SCENARIOS` is a
small catalogue of broken chains built with the factory, and
:func:`disagreement_table` returns the scenarios on which the two real
stacks (cryptography and OpenSSL) disagree - data a chapter can show.
``openssl`` runs as a subprocess; without it the OpenSSL column is ``None``.
Each verifier is asked through its adapter in :mod:`pkiviz.crosscheck.verifiers`, with the
chain as one :class:`~pkiviz.validation.Inputs` (:func:`chain_inputs`).
"""

from __future__ import annotations

import dataclasses
import functools
import shutil

from pkiviz.crosscheck.verifiers import OpenSSLVerify, cryptography_verifier, pkiviz_verifier
from pkiviz.validation import scenarios
from pkiviz.validation.chain import Chain
from pkiviz.validation.inputs import Inputs
from pkiviz.validation.policy import PROFILES


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


def chain_inputs(chain: Chain, *, profile: str = "browser") -> Inputs:
    """What every verifier is handed for ``chain``, as one :class:`Inputs`.

    Args:
        chain: the chain.
        profile: pkiviz's profile (the other verifiers have none).

    Returns:
        Leaf, intermediates, anchors, peer name, time, purpose and profile.
    """
    return Inputs(
        chain.leaf,
        intermediates=chain.intermediates,
        trust_anchors=chain.anchors,
        peer_name=chain.peer_name,
        at=chain.at,
        purpose="client" if chain.purpose == "client" else "server",
        profile=PROFILES[profile],
    )


def cryptography_verdict(chain: Chain) -> tuple[bool, str]:
    """Run ``cryptography.x509.verification`` on ``chain``.

    Returns:
        (accepted, the first line of its error; ``""`` when accepted). A
        question it cannot take counts as a rejection.
    """
    said = cryptography_verifier(chain_inputs(chain))
    return bool(said.accepted), said.reason


def openssl_verdict(chain: Chain, *, openssl: str | None = None) -> tuple[bool | None, str]:
    """Run ``openssl verify -x509_strict`` on ``chain`` at ``chain.at``.

    Returns:
        (accepted, the first line of its output naming an error; ``""`` when
        accepted); ``(None, "openssl not found")`` without ``openssl``.
    """
    program = openssl or shutil.which("openssl")
    if program is None:
        return None, "openssl not found"
    said = OpenSSLVerify(strict=True, program=program)(chain_inputs(chain))
    if said.accepted is not False or said.run is None:
        return said.accepted, said.error
    lines = [ln for ln in said.output.splitlines() if "error" in ln.lower()]
    return False, (lines[0] if lines else f"exit {said.run.returncode}").strip()


def verdicts(chain: Chain, *, profile: str = "browser") -> Verdicts:
    """All three verdicts on one chain."""
    ours = pkiviz_verifier(chain_inputs(chain, profile=profile))
    crypto_ok, crypto_why = cryptography_verdict(chain)
    ossl_ok, ossl_why = openssl_verdict(chain)
    return Verdicts(
        name=chain.name,
        pkiviz=bool(ours.accepted),
        pkiviz_reason=ours.error,
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
