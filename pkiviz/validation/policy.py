"""Profiles: what a client enforces, what a CA must issue, and the bare RFC 5280 reading.

A :class:`Profile` is a bundle of switches the checks consult. Three are named:

``"browser"`` (the default) is what a browser-grade client enforces when it
validates a server's chain: a rule is enforced when Chrome's certificate
verifier, rustls-webpki or ``cryptography.x509.verification``'s
``PolicyBuilder`` (which follows Chrome) rejects a chain that breaks it - SAN
required (no name from the CN), no CA as the leaf, no critical EKU or
anyExtendedKeyUsage in a leaf, SAN criticality, AKI with a keyIdentifier, no
wildcard over a public suffix, BR key sizes and algorithms. The CA/Browser
Forum's issuance rules that none of them enforces are reported as findings
beside the verdict (``Report.findings``), not failures: the CN copies a SAN
(BR 7.1.4.3), the leaf carries EKU (BR 7.1.2.7.10), a root carries no EKU
(BR 7.1.2.1), a root's AKI has no authorityCertIssuer/SerialNumber and matches
its SKI (BR 7.1.2.11.1).

``"webpki"`` is the same rules with the issuance ones enforced as failures: the
CA/B Forum Baseline Requirements (BRs) as x509-limbo reads them, what a CA must
issue. ``"rfc5280"`` is the RFC alone: no SAN requirement, a CA may sit in the
leaf position, any algorithm the library can verify, but name constraints and
policy constraints must be critical.

The algorithm policy lives here too (:func:`key_problem`,
:func:`signature_problem`), and the public suffix list used to refuse
``*.co.uk`` (:func:`is_public_suffix`).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, mldsa, rsa
from publicsuffixlist import PublicSuffixList

from pkiviz.validation.facts import CertFacts, sha1_refusal
from pkiviz.vocabulary import CURVE_NAMES, MLDSA_OIDS

#: What the ``revocation`` check does when no source answers: pass (``"soft"``) or fail.
RevocationPolicy = Literal["soft", "hard"]
#: Whose Certificate Transparency policy the ``certificate-transparency`` check applies.
CTPolicy = Literal["chrome", "apple"]


@dataclasses.dataclass(frozen=True)
class Profile:
    """The switches one validation profile sets.

    Attributes:
        name: ``"browser"``, ``"webpki"`` or ``"rfc5280"`` (or a custom name).
        require_san: the leaf must carry subjectAltName (BR 7.1.2.7.12).
        cn_in_san: a server leaf's CN must copy one SAN value (BR 7.1.4.3).
        require_leaf_eku: the leaf must carry EKU (BR 7.1.2.7.10).
        leaf_any_eku: anyExtendedKeyUsage in a leaf satisfies the purpose.
        leaf_eku_critical_ok: EKU in a leaf may be critical.
        leaf_may_be_ca: a CA certificate may be validated as the leaf.
        root_eku_forbidden: a self-signed trust anchor must not carry EKU (BR 7.1.2.1).
        nc_must_be_critical: nameConstraints must be critical (RFC 5280 4.2.1.10).
        pc_must_be_critical: policyConstraints must be critical (RFC 5280 4.2.1.11).
        strict_aki: AKI must hold keyIdentifier only, matching SKI on a root (BR 7.1.2.11.1).
        strict_san_criticality: SAN critical if and only if the subject is empty.
        wildcard_public_suffix: refuse wildcards that cover a public suffix.
        restrict_algorithms: only the BR key sizes and algorithms (BR 6.1.5, 7.1.3).
        anchor_key_ids: the trust anchor itself must carry AKI (unless self-signed)
            and SKI; otherwise an anchor is trusted as given.
        max_chain_depth: default cap on (non-self-issued) intermediates.
        issuance_findings: report the CA issuance rules that clients do not
            enforce (CN in SAN, leaf EKU present, no EKU in a root, a root's AKI
            form) as findings beside the verdict instead of failing on them.
    """

    name: str
    require_san: bool
    cn_in_san: bool
    require_leaf_eku: bool
    leaf_any_eku: bool
    leaf_eku_critical_ok: bool
    leaf_may_be_ca: bool
    root_eku_forbidden: bool
    nc_must_be_critical: bool
    pc_must_be_critical: bool
    strict_aki: bool
    strict_san_criticality: bool
    wildcard_public_suffix: bool
    restrict_algorithms: bool
    anchor_key_ids: bool
    max_chain_depth: int = 8
    issuance_findings: bool = False


_WEBPKI = Profile(
    name="webpki",
    require_san=True,
    cn_in_san=True,
    require_leaf_eku=True,
    leaf_any_eku=False,
    leaf_eku_critical_ok=False,
    leaf_may_be_ca=False,
    root_eku_forbidden=True,
    nc_must_be_critical=False,
    pc_must_be_critical=False,
    strict_aki=True,
    strict_san_criticality=True,
    wildcard_public_suffix=True,
    restrict_algorithms=True,
    anchor_key_ids=False,
)

PROFILES: dict[str, Profile] = {
    "browser": dataclasses.replace(_WEBPKI, name="browser", issuance_findings=True),
    "webpki": _WEBPKI,
    "rfc5280": Profile(
        name="rfc5280",
        require_san=False,
        cn_in_san=False,
        require_leaf_eku=False,
        leaf_any_eku=True,
        leaf_eku_critical_ok=True,
        leaf_may_be_ca=True,
        root_eku_forbidden=False,
        nc_must_be_critical=True,
        pc_must_be_critical=True,
        strict_aki=False,
        strict_san_criticality=False,
        wildcard_public_suffix=False,
        restrict_algorithms=False,
        anchor_key_ids=True,
    ),
}

#: Signature algorithms the BRs (7.1.3.2) allow, by dotted OID. A policy (a chosen subset, with
#: the labels its refusals print), so it stays here; the names of OIDs are in pkiviz.vocabulary.
WEBPKI_SIGNATURE_ALGORITHMS: dict[str, str] = {
    "1.2.840.113549.1.1.11": "RSA PKCS#1 v1.5 with SHA-256",
    "1.2.840.113549.1.1.12": "RSA PKCS#1 v1.5 with SHA-384",
    "1.2.840.113549.1.1.13": "RSA PKCS#1 v1.5 with SHA-512",
    "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.2.840.10045.4.3.2": "ECDSA with SHA-256",
    "1.2.840.10045.4.3.3": "ECDSA with SHA-384",
    "1.2.840.10045.4.3.4": "ECDSA with SHA-512",
}

#: Curves the BRs (7.1.3.1.2) allow.
WEBPKI_CURVES: dict[str, str] = {c: CURVE_NAMES[c] for c in ("secp256r1", "secp384r1", "secp521r1")}

#: Smallest RSA modulus the BRs allow (6.1.5).
MIN_RSA_BITS = 2048

#: Why the Web PKI profile refuses ML-DSA, said once for keys and signatures.
MLDSA_NOT_YET = (
    "RFC 9881 defines ML-DSA for X.509, but the CA/B Forum BRs (as of v2.2.6, March 2026) do "
    "not yet permit it in publicly trusted TLS certificates: 6.1.5 and 7.1.3 allow only RSA "
    "and ECDSA (the ballots proposing ML-DSA were still drafts in May 2026), so browsers do "
    "not accept it; the rfc5280 profile does"
)


def get_profile(name: str | Profile) -> Profile:
    """Look a profile up by name (a :class:`Profile` is returned as is).

    Args:
        name: ``"browser"``, ``"webpki"``, ``"rfc5280"``, or a custom :class:`Profile`.

    Returns:
        The profile.

    Raises:
        ValueError: for an unknown name.
    """
    if isinstance(name, Profile):
        return name
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; use one of {', '.join(PROFILES)}") from None


def key_description(facts: CertFacts) -> str:
    """A short description of a certificate's public key, e.g. ``"EC P-256"``."""
    key = facts.public_key
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {CURVE_NAMES.get(key.curve.name, key.curve.name)}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA-{key.key_size}"
    if isinstance(key, mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey):
        return MLDSA_OIDS.get(facts.cert.public_key_algorithm_oid.dotted_string, "ML-DSA")
    return "an unreadable key" if key is None else type(key).__name__


def key_problem(facts: CertFacts, profile: Profile) -> str | None:
    """Why a certificate's public key is not acceptable under ``profile``, or ``None``."""
    key = facts.public_key
    if key is None:
        return f"its public key cannot be loaded ({facts.public_key_error})"
    if facts.explicit_curve:
        return (
            "its EC key spells out the curve parameters instead of naming the curve "
            "(RFC 5480 2.1.1)"
        )
    if not profile.restrict_algorithms:
        return None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            return f"its RSA key has {key.key_size} bits; the BRs require at least {MIN_RSA_BITS}"
        if key.key_size % 8:
            return f"its RSA modulus ({key.key_size} bits) is not a multiple of 8 bits"
        return None
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in WEBPKI_CURVES:
            return f"its EC key is on {key.curve.name}; the BRs allow only P-256, P-384 and P-521"
        return None
    if key_description(facts).startswith("ML-DSA"):
        return f"its key is {key_description(facts)} (FIPS 204, post-quantum): {MLDSA_NOT_YET}"
    return f"its key type ({key_description(facts)}) is not one the BRs allow (RSA or ECDSA)"


def signature_problem(facts: CertFacts, profile: Profile) -> str | None:
    """Why a certificate's signature algorithm is not acceptable, or ``None``."""
    outer, inner, _ = facts.signature_algorithm_fields
    if outer != inner:
        return (
            "its signatureAlgorithm differs from the signature field inside the signed part "
            "(RFC 5280 4.1.1.2 requires them to be identical)"
        )
    if not profile.restrict_algorithms:
        return None
    oid = facts.signature_algorithm_oid
    if facts.signature_hash_name == "sha1":
        return sha1_refusal(facts)
    if oid in MLDSA_OIDS:
        return f"it is signed with {MLDSA_OIDS[oid]} (FIPS 204, post-quantum): {MLDSA_NOT_YET}"
    if oid not in WEBPKI_SIGNATURE_ALGORITHMS:
        name = facts.signature_algorithm_name
        return f"it is signed with {name}; the BRs allow RSA or ECDSA with SHA-256/384/512"
    return None


# -- public suffixes -------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _public_suffix_list() -> PublicSuffixList:
    # The list the publicsuffixlist package ships: the same on every machine,
    # whatever the operating system has installed.
    return PublicSuffixList(accept_unknown=True, only_icann=False)


def is_public_suffix(domain: str) -> bool:
    """Whether ``domain`` is a public suffix (``com``, ``co.uk``, ``s3.amazonaws.com``).

    Uses the Public Suffix List shipped by the ``publicsuffixlist`` package
    (ICANN and private sections), so the answer does not depend on the
    machine. An unknown top-level label counts as a public suffix.

    Args:
        domain: an A-label domain name without a trailing dot.

    Returns:
        True for a public suffix.
    """
    domain = domain.lower().rstrip(".")
    if "." not in domain:
        return True
    return bool(_public_suffix_list().is_public(domain))
