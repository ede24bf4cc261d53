"""pkiviz.vocabulary: one table per concept, and one signature check for every key type.

The tables are checked against copies of the tables they replaced (taken from the modules as
they were before the move), so no name was lost or renamed; verify_signature is run on every key
type with a control (the same signature over a flipped byte fails).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import ExtendedKeyUsageOID

from pkiviz import vocabulary
from pkiviz.vocabulary import (
    CURVE_NAMES,
    DIGEST_OIDS,
    EKU_NAMES,
    EKU_OIDS,
    HASHES,
    MLDSA_OIDS,
    OCSP_NOCHECK_OID,
    OCSP_SCT_OID,
    OID_NAMES,
    POISON_OID,
    POLICY_OIDS,
    SCT_LIST_OID,
    SIGNATURE_ALGORITHMS,
    mldsa_name,
    verify_signature,
)

# --- the tables as they were, copied from the modules that held them -----------------

# pkiviz/x509/der.py
OLD_DER_OID_NAMES: dict[str, str] = {
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


# pkiviz/x509/signature.py
OLD_SIGNATURE_EXTENSION_NAMES = {
    "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.15": "keyUsage",
    "2.5.29.17": "subjectAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.32": "certificatePolicies",
    "2.5.29.35": "authorityKeyIdentifier",
    "2.5.29.37": "extKeyUsage",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
    "1.3.6.1.5.5.7.1.24": "tlsFeature",
    "1.3.6.1.4.1.11129.2.4.2": "signedCertificateTimestampList",
}


OLD_SIGNATURE_ALGORITHMS = {
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


# pkiviz/x509/spec.py
OLD_EKU_OIDS = {
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "time_stamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "any": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
}
OLD_POLICY_OIDS = {
    "dv": ObjectIdentifier("2.23.140.1.2.1"),
    "ov": ObjectIdentifier("2.23.140.1.2.2"),
    "iv": ObjectIdentifier("2.23.140.1.2.3"),
    "ev": ObjectIdentifier("2.23.140.1.1"),
    "any": ObjectIdentifier("2.5.29.32.0"),
}

# pkiviz/validation/rules_path.py
OLD_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
}

# pkiviz/x509/signature_schemes.py
OLD_DIGEST_OIDS = {
    "sha1": "1.3.14.3.2.26",
    "sha224": "2.16.840.1.101.3.4.2.4",
    "sha256": "2.16.840.1.101.3.4.2.1",
    "sha384": "2.16.840.1.101.3.4.2.2",
    "sha512": "2.16.840.1.101.3.4.2.3",
}

# pkiviz/validation/policy.py (MLDSA_OIDS, WEBPKI_CURVES) and pkiviz/x509/anatomy.py (_CURVE_NAMES)
OLD_MLDSA_OIDS = {
    "2.16.840.1.101.3.4.3.17": "ML-DSA-44",
    "2.16.840.1.101.3.4.3.18": "ML-DSA-65",
    "2.16.840.1.101.3.4.3.19": "ML-DSA-87",
}
OLD_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

# pkiviz/ct/entries.py, pkiviz/validation/rules_ct.py, pkiviz/revocation/ocsp.py
OLD_SINGLE_OIDS = {
    "SCT_LIST_OID": "1.3.6.1.4.1.11129.2.4.2",
    "POISON_OID": "1.3.6.1.4.1.11129.2.4.3",
    "OCSP_SCT_OID": "1.3.6.1.4.1.11129.2.4.5",
    "OCSP_NOCHECK_OID": "1.3.6.1.5.5.7.48.1.5",
}

# The five hash-name tables: revocation/_common.py and factory.py; tls/signatures.py;
# tls/keyschedule.py; tls/impostor.py (instances there, classes elsewhere).
OLD_HASH_TABLES: tuple[dict[str, type[hashes.HashAlgorithm]], ...] = (
    {
        "sha1": hashes.SHA1,
        "sha256": hashes.SHA256,
        "sha384": hashes.SHA384,
        "sha512": hashes.SHA512,
    },
    {
        "sha1": hashes.SHA1,
        "sha256": hashes.SHA256,
        "sha384": hashes.SHA384,
        "sha512": hashes.SHA512,
    },
    {
        "sha1": hashes.SHA1,
        "sha224": hashes.SHA224,
        "sha256": hashes.SHA256,
        "sha384": hashes.SHA384,
        "sha512": hashes.SHA512,
    },
    {"sha256": hashes.SHA256, "sha384": hashes.SHA384},
    {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512},
)


# --- no name lost -----------------------------------------------------------------------


def test_oid_names_keep_every_old_name() -> None:
    assert OID_NAMES == OLD_DER_OID_NAMES
    # signature.py's byte map named 12 extensions; each keeps its name in the one table.
    assert {oid: OID_NAMES[oid] for oid in OLD_SIGNATURE_EXTENSION_NAMES} == (
        OLD_SIGNATURE_EXTENSION_NAMES
    )
    # EKU and policy OIDs are all named there too, as the validator and the byte maps say them.
    assert all(oid.dotted_string in OID_NAMES for oid in OLD_EKU_OIDS.values())
    assert all(oid.dotted_string in OID_NAMES for oid in OLD_POLICY_OIDS.values())
    assert all(OID_NAMES[oid] == name for oid, name in OLD_MLDSA_OIDS.items())


def test_short_name_tables_unchanged() -> None:
    assert EKU_OIDS == OLD_EKU_OIDS
    assert POLICY_OIDS == OLD_POLICY_OIDS
    assert EKU_NAMES == OLD_EKU_NAMES
    assert DIGEST_OIDS == OLD_DIGEST_OIDS
    assert MLDSA_OIDS == OLD_MLDSA_OIDS
    assert CURVE_NAMES == OLD_CURVE_NAMES
    assert {name: getattr(vocabulary, name) for name in OLD_SINGLE_OIDS} == OLD_SINGLE_OIDS
    assert tuple(OLD_SINGLE_OIDS.values()) == (
        SCT_LIST_OID,
        POISON_OID,
        OCSP_SCT_OID,
        OCSP_NOCHECK_OID,
    )


def test_signature_algorithm_labels_differ_from_oid_names_only_for_pss() -> None:
    assert SIGNATURE_ALGORITHMS == OLD_SIGNATURE_ALGORITHMS
    differ = {oid for oid, name in SIGNATURE_ALGORITHMS.items() if OID_NAMES[oid] != name}
    assert differ == {"1.2.840.113549.1.1.10"}  # "RSASSA-PSS" shown, "rsassa-pss" in byte maps


def test_hashes_are_the_union_of_the_five_tables() -> None:
    union: dict[str, type[hashes.HashAlgorithm]] = {}
    for table in OLD_HASH_TABLES:
        for name, cls in table.items():
            assert union.setdefault(name, cls) is cls  # no two tables disagreed
    assert union == HASHES
    assert all(cls().name == name for name, cls in HASHES.items())  # cryptography's own names


def _source(module: str) -> Path:
    """The file a module is read from (by its dotted name, so it follows the module if it moves)."""
    found = importlib.util.find_spec(module)
    assert found is not None and found.origin is not None, module
    return Path(found.origin)


def test_the_old_tables_are_gone_from_their_modules() -> None:
    """Each duplicate now reads the vocabulary (control: the vocabulary itself defines them)."""

    def assigned(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in tree.body:
            targets = (
                node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            )
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
        return names

    gone = {
        "pkiviz.x509.der": {"OID_NAMES"},
        "pkiviz.x509.spec": {"EKU_OIDS", "POLICY_OIDS"},
        "pkiviz.x509.signature": {"_EXTENSION_NAMES", "SIGNATURE_ALGORITHMS", "_MLDSA_KEYS"},
        "pkiviz.x509.signature_schemes": {"DIGEST_OIDS"},
        "pkiviz.x509.anatomy": {"_CURVE_NAMES"},
        "pkiviz.x509.factory": {"_HASHES"},
        "pkiviz.revocation._common": {"_HASHES"},
        "pkiviz.tls.signatures": {"_HASHES"},
        "pkiviz.tls.keyschedule": {"_HASHES"},
        "pkiviz.net.impostor": {"_HASHES"},
        "pkiviz.validation.rules_path": {"_EKU_NAMES"},
        "pkiviz.validation.policy": {"MLDSA_OIDS"},
        "pkiviz.validation.rules_ct": {"OCSP_SCT_OID"},
        "pkiviz.ct.entries": {"SCT_LIST_OID", "POISON_OID"},
    }
    for module, names in gone.items():
        assert not names & assigned(_source(module)), module
    assert {"OID_NAMES", "HASHES", "EKU_OIDS", "SCT_LIST_OID"} <= assigned(
        _source("pkiviz.vocabulary")
    )


def test_vocabulary_is_base_layer() -> None:
    """It imports only cryptography and the standard library (control: der imports pkiviz)."""
    import sys

    def imported(path: Path) -> set[str]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tops = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                tops.add(node.module.split(".")[0])
        return tops

    allowed = {"cryptography", *sys.stdlib_module_names}
    assert imported(_source("pkiviz.vocabulary")) <= allowed
    assert not imported(_source("pkiviz.x509.der")) <= allowed


# --- one signature check for every key type ------------------------------------------

DATA = b"the TBSCertificate bytes, or a handshake transcript"


def _flipped(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


def _signed() -> list[tuple[str, object, bytes, dict[str, object]]]:
    """(label, public key, signature over DATA, keyword arguments) for each key type."""
    out: list[tuple[str, object, bytes, dict[str, object]]] = []
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sha256 = hashes.SHA256()
    out.append(
        (
            "rsa-pkcs1v15",
            rsa_key.public_key(),
            rsa_key.sign(DATA, padding.PKCS1v15(), sha256),
            {"hash_algorithm": sha256},
        )
    )
    pss = padding.PSS(padding.MGF1(sha256), sha256.digest_size)
    out.append(
        (
            "rsa-pss",
            rsa_key.public_key(),
            rsa_key.sign(DATA, pss, sha256),
            {"hash_algorithm": sha256, "padding": pss},
        )
    )
    ec_key = ec.generate_private_key(ec.SECP256R1())
    out.append(
        (
            "ecdsa",
            ec_key.public_key(),
            ec_key.sign(DATA, ec.ECDSA(sha256)),
            {"hash_algorithm": sha256},
        )
    )
    for cls in (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey):
        key = cls.generate()
        out.append((cls.__name__, key.public_key(), key.sign(DATA), {}))
    dsa_key = dsa.generate_private_key(key_size=2048)
    out.append(
        ("dsa", dsa_key.public_key(), dsa_key.sign(DATA, sha256), {"hash_algorithm": sha256})
    )
    for mcls in (mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey, mldsa.MLDSA87PrivateKey):
        mkey = mcls.generate()
        out.append((mcls.__name__, mkey.public_key(), mkey.sign(DATA), {}))
    return out


SIGNED = _signed()


@pytest.mark.parametrize(
    ("label", "key", "signature", "options"), SIGNED, ids=[s[0] for s in SIGNED]
)
def test_verify_signature_each_key_type(
    label: str, key: object, signature: bytes, options: dict[str, object]
) -> None:
    ok = verify_signature(key, signature, DATA, **options)  # type: ignore[arg-type]
    assert ok and ok.outcome == "valid" and ok.detail == ""
    # control: one flipped byte of the data, and of the signature, and it fails
    bad = verify_signature(key, signature, _flipped(DATA), **options)  # type: ignore[arg-type]
    assert not bad and bad.outcome == "invalid"
    worse = verify_signature(key, _flipped(signature), DATA, **options)  # type: ignore[arg-type]
    assert not worse and worse.outcome in ("invalid", "unusable")


def test_verify_signature_never_raises() -> None:
    _, rsa_public, signature, _options = SIGNED[0]
    # a key that needs a hash, given none
    missing = verify_signature(rsa_public, signature, DATA)
    assert missing.outcome == "unsupported" and "needs a hash" in missing.detail
    # an object that is no key
    assert verify_signature("not a key", signature, DATA).outcome == "unsupported"
    # inputs cryptography refuses (a "digest" of the wrong length): its words are kept
    short = verify_signature(rsa_public, signature, b"short", hash_algorithm=Prehashed(SHA256()))
    assert short.outcome == "unusable" and "digest" in short.detail
    right = verify_signature(
        rsa_public, signature, hashlib.sha256(DATA).digest(), hash_algorithm=Prehashed(SHA256())
    )
    assert right.ok  # control: the right digest verifies
    # an ECDSA signature checked with an Ed25519 key
    assert verify_signature(SIGNED[3][1], SIGNED[2][2], DATA).outcome == "invalid"


def test_mldsa_name() -> None:
    assert [mldsa_name(s[1]) for s in SIGNED if s[0].startswith("MLDSA")] == [
        "ML-DSA-44",
        "ML-DSA-65",
        "ML-DSA-87",
    ]
    assert mldsa_name(SIGNED[2][1]) is None  # control: an EC key is no ML-DSA key
