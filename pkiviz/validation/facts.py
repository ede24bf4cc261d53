"""The one place where the validator calls into cryptography for things that raise.

:class:`CertFacts` wraps an ``x509.Certificate`` and reads what the checks
need - extensions, the public key, names, the two signature algorithm fields -
lazily and once, turning each exception into an error string the checks
report. :func:`verify_signature` and :func:`verify_crl_signature` do the same
for signatures. Nothing outside this module catches cryptography's exceptions.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from typing import NamedTuple, TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

from pkiviz import vocabulary
from pkiviz.x509 import der
from pkiviz.x509.parse import quiet_serial_warning, serial_number

E = TypeVar("E", bound=x509.ExtensionType)
_V = TypeVar("_V")


class CertFacts:
    """Read-once facts about one certificate; every failure becomes a string.

    Attributes:
        cert: the certificate.
        der: its DER encoding.
        fingerprint: SHA-256 of the DER, hex.
        subject: the subject name.
        issuer: the issuer name.
        label: the subject as RFC 4514 text (``"(empty subject)"`` if empty).
    """

    __slots__ = (
        "_entity",
        "_ext_error",
        "_exts",
        "_hash_name",
        "_key",
        "_key_error",
        "_not_after",
        "_not_before",
        "_walked",
        "cert",
        "der",
        "fingerprint",
        "issuer",
        "label",
        "self_issued",
        "subject",
    )

    def __init__(self, cert: x509.Certificate) -> None:
        self.cert = cert
        self.der = data = cert.public_bytes(serialization.Encoding.DER)
        self.fingerprint = hashlib.sha256(data).hexdigest()
        self._walked = walked = _walk(data)
        if walked.subject:
            # Equal DER gives an equal Name: reuse the one read from an earlier certificate.
            self.subject = subject = _name(walked.subject, cert, "subject")
            self.issuer = issuer = _name(walked.issuer, cert, "issuer")
            self.label = _label(walked.subject, subject)
            self.self_issued = walked.subject == walked.issuer or subject == issuer
        else:
            # The DER walk failed: a stand-in, if needed, is this certificate's alone.
            self.subject = subject = read_name(cert, "subject", b"subject:" + data)
            self.issuer = issuer = read_name(cert, "issuer", b"issuer:" + data)
            self.label = _label(None, subject)
            self.self_issued = subject == issuer
        self._exts: dict[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]] | None = None
        self._ext_error: str | None = None
        self._key: CertificatePublicKeyTypes | None = None
        self._key_error: str | None = None
        self._hash_name: tuple[str | None] | None = None  # (name,) once read
        self._not_before: _dt.datetime | None = None
        self._not_after: _dt.datetime | None = None
        self._entity: tuple[object, ...] | None = None

    def __repr__(self) -> str:
        return f"<CertFacts {self.label}>"

    # -- extensions -------------------------------------------------------

    def _load_extensions(self) -> None:
        if self._exts is not None or self._ext_error is not None:
            return
        try:
            if (self._walked.serial or 0) > 0:
                # No warning to silence: cryptography warns only about a serial <= 0, and
                # catch_warnings costs more than reading the extensions of a small leaf.
                self._exts = {ext.oid: ext for ext in self.cert.extensions}
            else:
                with quiet_serial_warning():
                    self._exts = {ext.oid: ext for ext in self.cert.extensions}
        except x509.DuplicateExtension as exc:
            self._ext_error = f"the extension {_oid_name(exc.oid)} appears more than once"
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            self._ext_error = f"an extension could not be parsed ({_first_line(exc)})"

    @property
    def extension_error(self) -> str | None:
        """Why the extensions could not be read, or ``None`` if they could."""
        if self._exts is None:
            self._load_extensions()
        return self._ext_error

    @property
    def extensions(self) -> dict[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]]:
        """Extensions by OID (empty if they could not be parsed)."""
        if self._exts is None:
            self._load_extensions()
        return self._exts or {}

    def ext(self, kind: type[E]) -> x509.Extension[E] | None:
        """The extension of a given type, or ``None``.

        Args:
            kind: an extension class such as ``x509.BasicConstraints``.

        Returns:
            The extension (with ``.critical`` and ``.value``) or ``None``.
        """
        exts = self._exts
        if exts is None:
            self._load_extensions()
            exts = self._exts
            if exts is None:
                return None
        return exts.get(kind.oid)  # type: ignore[return-value]

    @property
    def is_ca(self) -> bool:
        """basicConstraints present with cA=TRUE."""
        bc = self.ext(x509.BasicConstraints)
        return bc is not None and bc.value.ca

    # -- keys and signatures ---------------------------------------------

    @property
    def public_key(self) -> CertificatePublicKeyTypes | None:
        """The subject public key, or ``None`` if it cannot be loaded."""
        if self._key is None and self._key_error is None:
            spki = self._walked.spki
            known = _KEYS.get(spki) if spki else None
            if known is None:
                try:
                    known = (self.cert.public_key(), None)
                except (ValueError, UnsupportedAlgorithm, TypeError) as exc:
                    known = (None, _first_line(exc))
                if spki:
                    _remember(_KEYS, spki, known)
            self._key, self._key_error = known
        return self._key

    @property
    def public_key_error(self) -> str | None:
        """Why the public key could not be loaded, or ``None``."""
        _ = self.public_key
        return self._key_error

    @property
    def signature_algorithm_fields(self) -> tuple[bytes, bytes, bool]:
        """DER of (Certificate.signatureAlgorithm, TBSCertificate.signature), RFC 5280 4.1.1.2,
        and whether the key's EC parameters are an explicit curve.

        Returns ``(b"", b"", False)`` if the DER cannot be walked.
        """
        walked = self._walked
        return walked.outer, walked.inner, walked.explicit

    @property
    def signature_algorithm_oid(self) -> str:
        """Dotted OID of the signature algorithm."""
        return self.cert.signature_algorithm_oid.dotted_string

    @property
    def signature_algorithm_name(self) -> str:
        """Name of the signature algorithm (``"ecdsa-with-SHA256"``), dotted if not in
        :data:`pkiviz.x509.der.OID_NAMES`."""
        return der.oid_name(self.signature_algorithm_oid)

    @property
    def signature_hash_name(self) -> str | None:
        """The signature's hash name (``"sha256"``), ``None`` if none or unknown."""
        if self._hash_name is None:
            try:
                algorithm = self.cert.signature_hash_algorithm
            except UnsupportedAlgorithm:
                self._hash_name = (None,)
            else:
                self._hash_name = (algorithm.name if algorithm is not None else None,)
        return self._hash_name[0]

    # -- names and times --------------------------------------------------

    @property
    def name_error(self) -> str | None:
        """Why the subject or issuer name cannot be decoded, or ``None`` if both can."""
        if type(self.issuer) is not _Undecodable and type(self.subject) is not _Undecodable:
            return None
        bad = [
            f for f, n in (("issuer", self.issuer), ("subject", self.subject)) if is_undecodable(n)
        ]
        return (
            f"the {' and '.join(bad)} name{'s' if len(bad) > 1 else ''} cannot be decoded: "
            "a string in it is not valid for its ASN.1 string type (a UTF8String that is not "
            "UTF-8, say)"
        )

    def common_names(self) -> tuple[str, ...]:
        """The subject's commonName values as text."""
        return tuple(str(a.value) for a in self.subject.get_attributes_for_oid(NameOID.COMMON_NAME))

    def subject_emails(self) -> tuple[str, ...]:
        """The subject's emailAddress attribute values (RFC 5280 4.1.2.6)."""
        return tuple(
            str(a.value) for a in self.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)
        )

    @property
    def not_before(self) -> _dt.datetime:
        """Start of validity, UTC."""
        if self._not_before is None:
            self._not_before = self.cert.not_valid_before_utc
        return self._not_before

    @property
    def not_after(self) -> _dt.datetime:
        """End of validity, UTC."""
        if self._not_after is None:
            self._not_after = self.cert.not_valid_after_utc
        return self._not_after

    @property
    def serial(self) -> int:
        """The serial number (cryptography warns about non-positive ones; pkiviz explains)."""
        serial = self._walked.serial
        return serial_number(self.cert) if serial is None else serial

    @property
    def explicit_curve(self) -> bool:
        """Whether an EC key spells its curve out (specifiedCurve) instead of naming it."""
        return self._walked.explicit

    @property
    def entity(self) -> tuple[object, ...]:
        """The CA (or end entity) this certificate certifies, for loop detection.

        Its subject and SubjectPublicKeyInfo, byte for byte, and its subjectAltName:
        a path should not repeat a (subject name, public key) pair, the subject
        alternative names counting as part of the name (RFC 4158 2.4.2; Go's
        ``alreadyInChain`` compares the same three). A cross-certificate and the
        self-signed root of the same CA are one entity; a name re-encoded
        differently (a "name rollover" certificate, RFC 4158 5.4) or a new key is
        another. A certificate whose DER or extensions cannot be read is only
        itself (its fingerprint).
        """
        if self._entity is None:
            walked = self._walked
            if not walked.subject or not walked.spki or self.extension_error is not None:
                self._entity = ("certificate", self.fingerprint)
            else:
                san = self.ext(x509.SubjectAlternativeName)
                self._entity = (walked.subject, walked.spki, None if san is None else san.value)
        return self._entity


def facts_of(cert: x509.Certificate) -> CertFacts:
    """``CertFacts(cert)``.

    Not cached across validations: keeping the facts of recently seen certificates
    (an LRU of 256) made the limbo suite slower, not faster (8.2 s -> 7.5 s without
    it), as objects freed long after use are cold; what is worth sharing by DER (the
    DER walk, names, labels) is cached below.

    Args:
        cert: the certificate.

    Returns:
        Its facts.
    """
    return CertFacts(cert)


def verify_signature(child: CertFacts, issuer: CertFacts) -> str | None:
    """Check that ``issuer``'s key signed ``child`` (RFC 5280 6.1.3 (a)(1)).

    Args:
        child: the signed certificate.
        issuer: the candidate issuer.

    Returns:
        ``None`` if the signature verifies, else why not.
    """
    if child.signature_hash_name == "sha1":
        return sha1_refusal(child)
    walked = child._walked
    ecdsa = _ECDSA.get(walked.outer)
    if (
        ecdsa is not None
        and walked.inner == walked.outer
        and walked.issuer == issuer._walked.subject
    ):
        # The common case, verified as verify_directly_issued_by would after its checks
        # (inner == outer algorithm, issuer name == issuer's subject, byte for byte):
        # ECDSA over the TBSCertificate, with the issuer's key already loaded.
        key = issuer.public_key
        if isinstance(key, ec.EllipticCurvePublicKey):
            tbs = walked.tbs(child.der)
            checked = vocabulary.verify_signature(
                key, child.cert.signature, tbs, hash_algorithm=ecdsa.algorithm
            )
            if checked.outcome == "invalid":
                return f"the signature does not verify with the public key of {issuer.label}"
            if checked:
                return None
            # else let verify_directly_issued_by say why, in its own words
    try:
        child.cert.verify_directly_issued_by(issuer.cert)
    except InvalidSignature:
        return f"the signature does not verify with the public key of {issuer.label}"
    except ValueError as exc:
        text = _first_line(exc)
        lowered = text.lower()
        # cryptography 50: "Issuer certificate subject does not match certificate issuer."
        if "issuer name" in lowered or ("subject" in lowered and "does not match" in lowered):
            return f"its issuer name does not match the subject of {issuer.label}"
        return f"the signature could not be checked ({text})"
    except (TypeError, UnsupportedAlgorithm) as exc:
        return f"the signature could not be checked ({_first_line(exc)})"
    return None


#: ECDSA signature AlgorithmIdentifiers (RFC 5758 3.2: no parameters), by their DER.
_ECDSA: dict[bytes, ec.ECDSA] = {
    der.sequence(der.object_identifier(oid)): ec.ECDSA(hash_algorithm)
    for oid, hash_algorithm in (
        ("1.2.840.10045.4.3.2", hashes.SHA256()),
        ("1.2.840.10045.4.3.3", hashes.SHA384()),
        ("1.2.840.10045.4.3.4", hashes.SHA512()),
    )
}


def sha1_refusal(facts: CertFacts) -> str:
    """The plain reason a SHA-1 signature is refused, under every profile (cryptography
    refuses to verify one too)."""
    name = facts.signature_algorithm_name
    return (
        f"it is signed with SHA-1 ({name}), and SHA-1 signatures are refused: the CA/B "
        "Forum BRs (7.1.3.2) forbid them, and the SHAttered collision (2017) showed SHA-1 "
        "is broken, so a SHA-1 signature no longer proves who signed"
    )


def verify_crl_signature(crl: x509.CertificateRevocationList, issuer: CertFacts) -> str | None:
    """Check that ``issuer``'s key signed ``crl`` (RFC 5280 6.3.3 (g)).

    Args:
        crl: the CRL.
        issuer: the CA that should have signed it.

    Returns:
        ``None`` if the signature verifies, else why not.
    """
    key = issuer.public_key
    if key is None:
        return f"the public key of {issuer.label} cannot be loaded"
    try:
        ok = crl.is_signature_valid(key)  # type: ignore[arg-type]
    except (TypeError, ValueError, UnsupportedAlgorithm) as exc:
        return f"the CRL signature could not be checked ({_first_line(exc)})"
    return None if ok else f"the CRL signature does not verify with the key of {issuer.label}"


def crl_extensions(
    crl: x509.CertificateRevocationList,
) -> tuple[dict[x509.ObjectIdentifier, x509.Extension[x509.ExtensionType]], str | None]:
    """A CRL's extensions by OID, and why they could not be read (or ``None``)."""
    try:
        return {ext.oid: ext for ext in crl.extensions}, None
    except x509.DuplicateExtension as exc:
        return {}, f"the CRL extension {_oid_name(exc.oid)} appears more than once"
    except (ValueError, TypeError) as exc:
        return {}, f"a CRL extension could not be parsed ({_first_line(exc)})"


def crl_is_revoked(crl: x509.CertificateRevocationList, serial: int) -> bool | str:
    """Whether ``serial`` is listed on ``crl``; a string says why it could not be read."""
    try:
        return crl.get_revoked_certificate_by_serial_number(serial) is not None
    except (ValueError, TypeError) as exc:
        return f"the CRL's entries could not be read ({_first_line(exc)})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _oid_name(oid: x509.ObjectIdentifier) -> str:
    name = der.oid_name(oid.dotted_string)
    return oid.dotted_string if name == oid.dotted_string else f"{name} ({oid.dotted_string})"


def oid_label(oid: x509.ObjectIdentifier) -> str:
    """A readable name for an OID: ``"subjectAltName (2.5.29.17)"``."""
    return _oid_name(oid)


# -- the two AlgorithmIdentifier fields, read with pkiviz's one DER reader -----


class _Walked(NamedTuple):
    """What one walk of a certificate's DER gives (all empty if it is not well formed)."""

    outer: bytes  # Certificate.signatureAlgorithm
    inner: bytes  # TBSCertificate.signature
    explicit: bool  # the key's algorithm parameters are a SEQUENCE (a specifiedCurve)
    serial: int | None  # TBSCertificate.serialNumber
    issuer: bytes  # TBSCertificate.issuer, DER
    subject: bytes  # TBSCertificate.subject, DER
    tbs_start: int  # where the TBSCertificate's TLV starts in the DER
    tbs_end: int  # and where it ends
    spki: bytes = b""  # TBSCertificate.subjectPublicKeyInfo, DER

    def tbs(self, data: bytes) -> bytes:
        """The TBSCertificate's DER: ``cert.tbs_certificate_bytes`` cut from ``data``
        (the certificate's ``public_bytes``), without cryptography encoding it again."""
        return data[self.tbs_start : self.tbs_end]


_UNREADABLE = _Walked(b"", b"", False, None, b"", b"", 0, 0)


def _der_fields(data: bytes) -> tuple[bytes, bytes, bool]:
    """(Certificate.signatureAlgorithm, TBSCertificate.signature, explicit EC curve).

    Args:
        data: a certificate's DER.

    Returns:
        The two AlgorithmIdentifiers' DER and whether the key's algorithm
        parameters are a SEQUENCE (a specifiedCurve, RFC 5480 2.1.1), or
        ``(b"", b"", False)`` if the DER is not a well-formed certificate.
    """
    walked = _walk(data)
    return walked.outer, walked.inner, walked.explicit


def _walk(data: bytes) -> _Walked:
    """Walk a certificate's DER once with :func:`pkiviz.x509.der.spans` (the checks of
    :func:`pkiviz.x509.der.read_tlv`) for the fields read here rather than through cryptography.

    Not cached: it runs once per :class:`CertFacts`, and takes a few microseconds.
    """
    spans = der.spans
    try:
        top = spans(data, 0, len(data))
        if len(top) != 1 or not top[0][0] & 0x20:
            return _UNREADABLE
        tbs, outer, _signature = spans(data, top[0][2], top[0][3])
        if not tbs[0] & 0x20:
            return _UNREADABLE
        fields = spans(data, tbs[2], tbs[3])
        if fields[0][0] & 0xDF == 0x80:  # [0] EXPLICIT version
            fields = fields[1:]
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        serial, inner, issuer, subject, spki = fields[0], fields[1], fields[2], fields[4], fields[5]
        if not spki[0] & 0x20:
            return _UNREADABLE
        algorithm = spans(data, spki[2], spki[3])[0]
        if not algorithm[0] & 0x20:
            return _UNREADABLE
        params = spans(data, algorithm[2], algorithm[3])[1:]
    except (ValueError, IndexError):  # InputError is a ValueError; so is a bad unpack
        return _UNREADABLE
    names = issuer[0] == subject[0] == der.SEQUENCE
    return _Walked(
        outer=data[outer[1] : outer[3]],
        inner=data[inner[1] : inner[3]],
        explicit=bool(params) and params[0][0] == der.SEQUENCE,
        serial=(
            int.from_bytes(data[serial[2] : serial[3]], "big", signed=True)
            if serial[0] == der.INTEGER
            else None
        ),
        issuer=data[issuer[1] : issuer[3]] if names else b"",
        subject=data[subject[1] : subject[3]] if names else b"",
        tbs_start=tbs[1],
        tbs_end=tbs[3],
        spki=data[spki[1] : spki[3]],
    )


#: Names (and subject labels) already read, by their DER: a CA's subject is the
#: issuer of the certificates it signs, so each is read from cryptography once per
#: validation (and a trust anchor given again is not read again). Kept small: on
#: limbo 64 entries ran faster than 4096 (7.6 s -> 7.5 s), as long-kept objects are
#: cold when finally freed.
NAME_CACHE_SIZE = 64
_NAMES: dict[bytes, x509.Name] = {}
_LABELS: dict[bytes, str] = {}
#: Public keys (or why they cannot be loaded) by their SubjectPublicKeyInfo DER, which is
#: all ``cert.public_key()`` reads: an anchor's key recurs in every validation that reaches
#: it (one root key occurs 9,598 times in limbo's 39,912 certificates), and loading one
#: costs about 10 us.
#: On limbo, pkiviz alone: 8.63 s -> 8.33 s (mean of 4 alternating runs each).
_KEYS: dict[bytes, tuple[CertificatePublicKeyTypes | None, str | None]] = {}


def _remember(cache: dict[bytes, _V], key: bytes, value: _V) -> _V:
    if len(cache) >= NAME_CACHE_SIZE:
        cache.pop(next(iter(cache)), None)  # the oldest entry
    cache[key] = value
    return value


#: The attribute type of the stand-in for a name cryptography cannot decode (a UTF8String
#: whose bytes are not UTF-8, say): a UUID-based OID (ITU-T X.667, arc 2.25) of pkiviz's own.
UNDECODABLE_NAME = x509.ObjectIdentifier("2.25.329800735698586629295641978511506172918")


class _Undecodable(x509.Name):
    """A stand-in name (its class tells it apart at no cost)."""


def undecodable_name(der_bytes: bytes) -> x509.Name:
    """The stand-in for a name that cannot be decoded: one attribute of type
    :data:`UNDECODABLE_NAME` holding the name's DER in hex. Equal DER gives an equal
    stand-in, so path building still matches such a name byte for byte (RFC 5280 7.1
    allows binary comparison), and no decodable name ever equals it."""
    return _Undecodable([x509.NameAttribute(UNDECODABLE_NAME, der_bytes.hex())])


def is_undecodable(name: x509.Name) -> bool:
    """Whether ``name`` is the stand-in :func:`undecodable_name` made."""
    return type(name) is _Undecodable


def read_name(cert: x509.Certificate, field: str, der_bytes: bytes) -> x509.Name:
    """``cert.subject`` or ``cert.issuer``, or :func:`undecodable_name` of its DER when
    cryptography cannot decode it (it raises ValueError)."""
    try:
        return cert.subject if field == "subject" else cert.issuer
    except ValueError:
        return undecodable_name(der_bytes)


def _name(key: bytes, cert: x509.Certificate, field: str) -> x509.Name:
    """The Name whose DER is ``key``, read from ``cert``'s ``field`` unless known."""
    name = _NAMES.get(key)
    if name is None:
        name = _remember(_NAMES, key, read_name(cert, field, key))
    return name


def _label(key: bytes | None, subject: x509.Name) -> str:
    """The subject as RFC 4514 text, ``"(empty subject)"`` if empty."""
    label = _LABELS.get(key) if key is not None else None
    if label is None:
        if is_undecodable(subject):
            label = "(undecodable subject)"
        else:
            try:
                label = subject.rfc4514_string() or "(empty subject)"
            except ValueError:  # pragma: no cover - a decoded name RFC 4514 cannot write
                label = "(unreadable subject)"
        if key is not None:
            _remember(_LABELS, key, label)
    return label
