"""pkiviz's vocabulary: the names of what certificates identify by number, the hash names, and
the one place a signature is checked with a public key.

One table per concept, each said once: OID names (:data:`OID_NAMES`, and the short names a
:class:`~pkiviz.x509.spec.CertSpec` uses for EKUs and policies), the signature algorithms' labels,
the digest OIDs of a DigestInfo, curve names, the ML-DSA OIDs and key classes, the CT extension
OIDs, and hash names to cryptography's hash classes (:data:`HASHES`). :func:`verify_signature`
checks a signature with a key of any type pkiviz meets (RSA PKCS#1 v1.5 and PSS, ECDSA,
Ed25519, Ed448, DSA, ML-DSA) and returns a :class:`SignatureCheck` instead of raising: each
caller words the outcome its own way.

Tables that are *not* here on purpose, because they are another registry: the TLS
SignatureScheme code points (``pkiviz.tls.names``), CT's TLS HashAlgorithm/SignatureAlgorithm
enums (``pkiviz.ct.sct``), and policies that choose a subset (``pkiviz.validation.policy``'s
Web PKI algorithms and curves).

Layer: base. This module imports only cryptography and the standard library.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, mldsa, rsa
from cryptography.hazmat.primitives.asymmetric.padding import AsymmetricPadding, PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import ExtendedKeyUsageOID

# --- OIDs --------------------------------------------------------------------------

#: Names of OIDs that appear in certificates: extensions (RFC 5280 4.2),
#: signature and key algorithms (RFC 3279, 4055, 5758, 8410), extended key
#: usages (RFC 5280 4.2.1.12), access methods (RFC 5280 4.2.2.1) and the
#: CA/Browser Forum policy identifiers (Baseline Requirements 7.1.6.1).
OID_NAMES: dict[str, str] = {
    # extensions
    "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.15": "keyUsage",
    "2.5.29.17": "subjectAltName",
    "2.5.29.18": "issuerAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.32": "certificatePolicies",
    "2.5.29.33": "policyMappings",
    "2.5.29.35": "authorityKeyIdentifier",
    "2.5.29.36": "policyConstraints",
    "2.5.29.37": "extKeyUsage",
    "2.5.29.46": "freshestCRL",
    "2.5.29.54": "inhibitAnyPolicy",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
    "1.3.6.1.5.5.7.1.11": "subjectInfoAccess",
    "1.3.6.1.5.5.7.1.24": "tlsFeature",
    "1.3.6.1.4.1.11129.2.4.2": "signedCertificateTimestampList",
    "1.3.6.1.4.1.11129.2.4.3": "ctPrecertificatePoison",
    "2.16.840.1.113730.1.1": "netscapeCertType",
    "2.16.840.1.113730.1.13": "netscapeComment",
    # signature algorithms
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.10": "rsassa-pss",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.3.101.112": "Ed25519",
    "1.3.101.113": "Ed448",
    "1.2.840.10040.4.3": "dsa-with-sha1",
    "2.16.840.1.101.3.4.3.1": "dsa-with-sha224",
    "2.16.840.1.101.3.4.3.2": "dsa-with-sha256",
    # ML-DSA (FIPS 204): one OID names both the key and the signature (RFC 9881 2)
    "2.16.840.1.101.3.4.3.17": "ML-DSA-44",
    "2.16.840.1.101.3.4.3.18": "ML-DSA-65",
    "2.16.840.1.101.3.4.3.19": "ML-DSA-87",
    # public key algorithms
    "1.2.840.113549.1.1.1": "rsaEncryption",
    "1.2.840.10045.2.1": "id-ecPublicKey",
    "1.2.840.10040.4.1": "id-dsa",
    # curves
    "1.2.840.10045.3.1.7": "prime256v1",
    "1.3.132.0.34": "secp384r1",
    "1.3.132.0.35": "secp521r1",
    # extended key usages
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "2.5.29.37.0": "anyExtendedKeyUsage",
    # access methods
    "1.3.6.1.5.5.7.48.1": "ocsp",
    "1.3.6.1.5.5.7.48.2": "caIssuers",
    # policies
    "2.5.29.32.0": "anyPolicy",
    "2.23.140.1.2.1": "CA/B Forum domain validated (DV)",
    "2.23.140.1.2.2": "CA/B Forum organization validated (OV)",
    "2.23.140.1.2.3": "CA/B Forum individual validated (IV)",
    "2.23.140.1.1": "CA/B Forum extended validation (EV)",
}


#: The short names a :class:`~pkiviz.x509.spec.CertSpec` uses for extended key usages.
EKU_OIDS: dict[str, ObjectIdentifier] = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "time_stamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "any": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}

#: The RFC 5280 name of each EKU above (``serverAuth``), by OID: what the validator says.
EKU_NAMES: dict[ObjectIdentifier, str] = {
    oid: OID_NAMES[oid.dotted_string] for oid in EKU_OIDS.values()
}

#: CA/Browser Forum reserved policy identifiers (Baseline Requirements 7.1.6.1)
#: and anyPolicy (RFC 5280 4.2.1.4), by the short names a CertSpec uses.
POLICY_OIDS: dict[str, ObjectIdentifier] = {
    "dv": ObjectIdentifier("2.23.140.1.2.1"),
    "ov": ObjectIdentifier("2.23.140.1.2.2"),
    "iv": ObjectIdentifier("2.23.140.1.2.3"),
    "ev": ObjectIdentifier("2.23.140.1.1"),
    "any": ObjectIdentifier("2.5.29.32.0"),
}

SIGNATURE_ALGORITHMS: dict[str, str] = {
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.10": "RSASSA-PSS",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.3.101.112": "Ed25519",
    "2.16.840.1.101.3.4.3.17": "ML-DSA-44",
    "2.16.840.1.101.3.4.3.18": "ML-DSA-65",
    "2.16.840.1.101.3.4.3.19": "ML-DSA-87",
}
"""The signature algorithms signature_one explains (RFC 4055, RFC 5758, RFC 8410, RFC 9881), with
the labels it shows: :data:`OID_NAMES`' names, except that PSS is written ``RSASSA-PSS`` as
RFC 4055's prose writes it (the chapter shows that label)."""

#: ML-DSA (FIPS 204) in X.509, RFC 9881: one OID names both the key and the signature.
MLDSA_OIDS: dict[str, str] = {
    "2.16.840.1.101.3.4.3.17": "ML-DSA-44",
    "2.16.840.1.101.3.4.3.18": "ML-DSA-65",
    "2.16.840.1.101.3.4.3.19": "ML-DSA-87",
}

#: Hash algorithm OIDs as they appear in a DigestInfo (RFC 8017 9.2, note 1) and in RSASSA-PSS
#: parameters (RFC 4055 3.1). Not in :data:`OID_NAMES`, whose names the byte maps show.
DIGEST_OIDS: dict[str, str] = {
    "sha1": "1.3.14.3.2.26",
    "sha224": "2.16.840.1.101.3.4.2.4",
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}

#: The X.509 extension holding embedded SCTs (RFC 6962 3.3).
SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2"
#: The precertificate poison extension (RFC 6962 3.1).
POISON_OID = "1.3.6.1.4.1.11129.2.4.3"
#: The OCSP single-response extension carrying an SCT list (RFC 6962 3.3).
OCSP_SCT_OID = "1.3.6.1.4.1.11129.2.4.5"
#: id-pkix-ocsp-nocheck, the OCSP responder certificate extension (RFC 6960 4.2.2.2.1).
OCSP_NOCHECK_OID = "1.3.6.1.5.5.7.48.1.5"

# --- curves and keys ---------------------------------------------------------------

#: NIST's names of the SEC 2 prime curves (FIPS 186-5), by cryptography's curve name.
CURVE_NAMES: dict[str, str] = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

#: ML-DSA public key classes and the parameter set each is (FIPS 204).
MLDSA_PUBLIC_KEYS: dict[type, str] = {
    mldsa.MLDSA44PublicKey: "ML-DSA-44",
    mldsa.MLDSA65PublicKey: "ML-DSA-65",
    mldsa.MLDSA87PublicKey: "ML-DSA-87",
}


def mldsa_name(key: object) -> str | None:
    """``"ML-DSA-44"``/``-65``/``-87`` for an ML-DSA public key, else ``None``."""
    return next((name for cls, name in MLDSA_PUBLIC_KEYS.items() if isinstance(key, cls)), None)


# --- hashes ------------------------------------------------------------------------

#: cryptography's hash classes by the names pkiviz (and cryptography's ``.name``) uses.
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

# --- verifying a signature: the one place cryptography's verify() is called ---------

Outcome = Literal["valid", "invalid", "unusable", "unsupported"]


@dataclasses.dataclass(frozen=True)
class SignatureCheck:
    """What :func:`verify_signature` found.

    Attributes:
        outcome: ``"valid"``; ``"invalid"`` (the key did not make this signature over these
            bytes: cryptography's ``InvalidSignature``); ``"unusable"`` (cryptography refused the
            inputs: a ``ValueError``, ``TypeError`` or ``UnsupportedAlgorithm``, such as a hash
            the key cannot use); or ``"unsupported"`` (a key type this function does not
            check, or a key that needs a hash given none).
        detail: for ``"unusable"``, the text of cryptography's exception; for
            ``"unsupported"``, what is missing; else empty.
    """

    outcome: Outcome
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether the signature verified."""
        return self.outcome == "valid"

    def __bool__(self) -> bool:
        return self.ok


_VALID = SignatureCheck("valid")
#: Keys that sign the message itself, with no separate hash.
_MESSAGE_SIGNERS = (
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    mldsa.MLDSA44PublicKey,
    mldsa.MLDSA65PublicKey,
    mldsa.MLDSA87PublicKey,
)
_INVALID = SignatureCheck("invalid")


def verify_signature(
    public_key: object,
    signature: bytes,
    data: bytes,
    *,
    hash_algorithm: hashes.HashAlgorithm | Prehashed | None = None,
    padding: AsymmetricPadding | None = None,
) -> SignatureCheck:
    """Check ``signature`` over ``data`` with ``public_key``; never raises.

    RSA uses ``padding`` (PKCS#1 v1.5 when none is given, or the :class:`~cryptography.
    hazmat.primitives.asymmetric.padding.PSS` the caller builds) with ``hash_algorithm``;
    ECDSA and DSA use ``hash_algorithm``; Ed25519, Ed448 and ML-DSA (pure, empty context,
    RFC 9881 3) sign the message itself and ignore it.

    Args:
        public_key: a cryptography public key (any other object is ``"unsupported"``).
        signature: the signature bytes.
        data: the signed bytes.
        hash_algorithm: the hash named by the signature algorithm (RSA, ECDSA, DSA), or
            ``Prehashed`` when ``data`` is already its digest.
        padding: RSA's padding; PKCS#1 v1.5 by default.

    Returns:
        The outcome, with cryptography's words when it refused the inputs.
    """
    try:
        if isinstance(public_key, _MESSAGE_SIGNERS):
            public_key.verify(signature, data)
        elif isinstance(
            public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | dsa.DSAPublicKey
        ):
            if hash_algorithm is None:
                return SignatureCheck("unsupported", f"a {_kind(public_key)} key needs a hash")
            if isinstance(public_key, rsa.RSAPublicKey):
                public_key.verify(signature, data, padding or PKCS1v15(), hash_algorithm)
            elif isinstance(public_key, ec.EllipticCurvePublicKey):
                public_key.verify(signature, data, ec.ECDSA(hash_algorithm))
            else:
                public_key.verify(signature, data, hash_algorithm)
        else:
            return SignatureCheck("unsupported", f"no check for {type(public_key).__name__} keys")
    except InvalidSignature:
        return _INVALID
    except (UnsupportedAlgorithm, ValueError, TypeError) as exc:
        return SignatureCheck("unusable", str(exc))
    return _VALID


def _kind(public_key: object) -> str:
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA"
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return "ECDSA"
    return "DSA"


__all__ = [
    "CURVE_NAMES",
    "DIGEST_OIDS",
    "EKU_NAMES",
    "EKU_OIDS",
    "HASHES",
    "MLDSA_OIDS",
    "MLDSA_PUBLIC_KEYS",
    "OCSP_NOCHECK_OID",
    "OCSP_SCT_OID",
    "OID_NAMES",
    "POISON_OID",
    "POLICY_OIDS",
    "SCT_LIST_OID",
    "SIGNATURE_ALGORITHMS",
    "Outcome",
    "SignatureCheck",
    "mldsa_name",
    "verify_signature",
]
