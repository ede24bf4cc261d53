"""Tampering with a signed certificate: change one field, keep the CA's signature.

:func:`tamper` rebuilds a factory certificate with one field changed, splices
the CA's ORIGINAL signature onto the NEW TBSCertificate bytes (:func:`splice`)
and checks both with :func:`pkiviz.x509.signature.signature_one`: the original is
the passing control, the tampered copy fails. :class:`Tampered` lists the runs
of changed bytes (:class:`ByteChange`) by the TBSCertificate field they fall
in; :func:`tamper_summary` puts several tamperings in one table.

:func:`resign_pss` is the honest counterpart: the same fields, re-signed by
the same issuer with RSA-PSS, whose signatures differ on every call.

:func:`malleate_ecdsa` is the limit of "tamper-evident": it changes the
signature, not the signed bytes. An ECDSA signature ``(r, s)`` has a twin,
``(r, n - s)``, that verifies just as well, so anyone can make a second,
equally valid certificate with a different fingerprint without any key.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from pkiviz._rows import Renders, hex_block, plural, short_hex
from pkiviz.table import Table
from pkiviz.x509 import der
from pkiviz.x509._curves import CURVES
from pkiviz.x509.factory import Blob, Issued, build
from pkiviz.x509.hexdump import HexDump, hexdump
from pkiviz.x509.parse import parse_der_certificate, serial_number
from pkiviz.x509.signature import SignatureOne, Span, certificate_parts, signature_one, tbs_fields
from pkiviz.x509.signature_schemes import describe_key, hash_label

TAMPER_FIELDS: dict[str, str] = {
    "subject": "the subject name (an RFC 4514 string)",
    "san": "the SAN dNSNames (a name or a tuple of names)",
    "public_key": "the public key (a seed label: the key derived from it replaces the real one)",
    "not_before": "the start of validity (a datetime)",
    "not_after": "the end of validity (a datetime)",
    "eku": "the extended key usages (a name or a tuple of names: server_auth, code_signing...)",
    "serial": "the serial number (an int)",
}
"""The fields :func:`tamper` can change, and what ``new_value`` is for each."""

_TAMPER_DEFAULTS: dict[str, object] = {
    "subject": "CN=www.bank.example",
    "san": ("www.bank.example",),
    "public_key": "mallory",
    "eku": ("code_signing",),
}
_SPEC_FIELD = {
    "subject": "subject",
    "san": "dns_names",
    "public_key": "key_seed",
    "not_before": "not_before",
    "not_after": "not_after",
    "eku": "extended_key_usage",
    "serial": "serial",
}


@dataclasses.dataclass(frozen=True)
class ByteChange:
    """One run of changed bytes between the original and the tampered TBSCertificate.

    Attributes:
        field: the TBSCertificate field the change lies in.
        old_start: offset in the original TBS.
        old: the original bytes there.
        new_start: offset in the tampered TBS.
        new: the bytes that replaced them.
    """

    field: str
    old_start: int
    old: bytes
    new_start: int
    new: bytes

    def __str__(self) -> str:
        old = short_hex(self.old, 12) or "(none)"
        new = short_hex(self.new, 12) or "(none)"
        return f"{self.field}: {old} @{self.old_start} -> {new} @{self.new_start}"


def _field_at(spans: Sequence[Span], start: int, end: int) -> str:
    """The name of the smallest span holding ``[start, end)``."""
    best: Span | None = None
    for span in spans:
        if (
            span.start <= start
            and max(end, start + 1) <= span.end
            and (best is None or span.length < best.length)
        ):
            best = span
    if best is None:
        return "?"
    if end <= best.content_start:
        return f"{best.name} (tag and length)"
    return best.name


def _diff(old: bytes, new: bytes) -> tuple[ByteChange, ...]:
    """Runs of changed bytes; runs separated by fewer than 4 equal bytes are merged."""
    ops = [op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()]
    runs: list[list[int]] = []
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            continue
        if runs and i1 - runs[-1][1] < 4 and j1 - runs[-1][3] < 4:
            runs[-1][1], runs[-1][3] = i2, j2
        else:
            runs.append([i1, i2, j1, j2])
    old_spans, new_spans = tbs_fields(old), tbs_fields(new)
    out = []
    for i1, i2, j1, j2 in runs:
        name = _field_at(new_spans, j1, j2) if j2 > j1 else _field_at(old_spans, i1, i2)
        out.append(ByteChange(name, i1, old[i1:i2], j1, new[j1:j2]))
    return tuple(out)


def splice(tbs: bytes, cert_der: bytes) -> bytes:
    """A Certificate with ``tbs`` and the signature algorithm and value of ``cert_der``.

    Args:
        tbs: a TBSCertificate DER.
        cert_der: the certificate whose signature to reuse.

    Returns:
        ``SEQUENCE { tbs, signatureAlgorithm, signatureValue }`` as DER.
    """
    _, alg, sig = certificate_parts(cert_der)
    return der.sequence(tbs, cert_der[alg.start : alg.end], cert_der[sig.start : sig.end])


@dataclasses.dataclass(frozen=True, repr=False)
class Tampered(Renders):
    """A certificate with one field changed and the CA's original signature kept.

    Build with :func:`tamper`.

    Attributes:
        field: which field was changed (a key of :data:`TAMPER_FIELDS`).
        old_value: the original value, as text.
        new_value: the new value, as text.
        certificate: the tampered certificate (real DER, loadable anywhere).
        original: the signature check of the original: the passing control.
        tampered: the signature check of the tampered certificate.
        changes: the runs of bytes that differ between the two TBSCertificates.
    """

    field: str
    old_value: str
    new_value: str
    certificate: x509.Certificate
    original: SignatureOne
    tampered: SignatureOne
    changes: tuple[ByteChange, ...]

    def __repr__(self) -> str:
        verdict = "verified" if self.verified else "FAILED"
        return f"<Tampered {self.field}: {self.old_value!r} -> {self.new_value!r}: {verdict}>"

    _repr_pretty_ = Renders._repr_pretty_

    @property
    def verified(self) -> bool:
        """Whether the tampered certificate still verifies (it should not)."""
        return self.tampered.verified

    @property
    def der(self) -> bytes:
        """The tampered certificate's DER."""
        return self.tampered.der

    @property
    def pem(self) -> Blob:
        """The tampered certificate as PEM, e.g. to hand to ``openssl verify``."""
        return Blob(self.certificate.public_bytes(serialization.Encoding.PEM))

    @property
    def committed_hash(self) -> bytes | None:
        """The hash the CA's signature commits to: the hash of the original TBS."""
        return self.original.tbs_hash

    @property
    def new_hash(self) -> bytes | None:
        """The hash a verifier computes from the tampered TBS."""
        return self.tampered.tbs_hash

    @property
    def changed_bytes(self) -> int:
        """How many bytes of the tampered TBSCertificate differ from the original."""
        return sum(len(c.new) for c in self.changes)

    def new_tbs_dump(self) -> HexDump:
        """The tampered TBSCertificate as a hex dump with the changed bytes marked."""
        marks = [(c.new_start, c.new_start + len(c.new)) for c in self.changes]
        return hexdump(self.tampered.tbs, marks=marks)

    def _table(self) -> tuple[str, list[tuple[str, str]]]:
        old_len, new_len = self.original.tbs_length, self.tampered.tbs_length
        label = hash_label(self.original.hash_name)
        rows = [
            ("signature", "the CA's original signature, unchanged"),
            ("TBSCertificate", f"{old_len} -> {new_len} bytes, "
             f"{plural(self.changed_bytes, 'byte')} changed in "
             f"{plural(len(self.changes), 'run')}"),
        ]  # fmt: skip
        for c in self.changes:
            rows.append(
                (
                    c.field,
                    f"old @{c.old_start}: {short_hex(c.old, 12) or '(none)'}\n"
                    f"new @{c.new_start}: {short_hex(c.new, 12) or '(none)'}",
                )
            )
        if self.committed_hash is not None and self.new_hash is not None:
            recovered = self.tampered.recovered_hash
            how = " (read back out of the signature)" if recovered is not None else ""
            rows += [
                (f"signed {label}{how}", hex_block(recovered or self.committed_hash)),
                (f"{label} of the tampered TBS", hex_block(self.new_hash)),
            ]
        rows += [
            ("original (control)", ("VERIFIED" if self.original.verified else "FAILED")),
            (
                "tampered",
                ("still VERIFIES" if self.verified else "FAILED: ") + self.tampered.reason,
            ),
        ]
        return f"Tampered {self.field}: {self.old_value} -> {self.new_value}", rows

    def _repr_html_(self) -> str:
        return super()._repr_html_() + self.new_tbs_dump()._repr_html_()


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "(derived)" if value is None else str(value)


def tamper(cert: Issued, field: str, new_value: object = None) -> Tampered:
    """Change one field of a certificate but keep the CA's original signature.

    The changed certificate is built by the factory from the same spec with
    the field replaced (``dataclasses.replace``) and the same issuer; its
    fresh, valid signature is thrown away, and the ORIGINAL signature value is
    spliced onto the NEW TBSCertificate bytes. The result is a real DER
    certificate - exactly what an attacker who edits a certificate gets.

    Args:
        cert: a deterministic certificate from the factory.
        field: one of :data:`TAMPER_FIELDS`.
        new_value: the new value; ``None`` picks a telling one (a bank's name,
            Mallory's key, validity stretched by five years, code signing
            instead of serverAuth, the next serial number).

    Returns:
        A :class:`Tampered`, which renders itself.

    Raises:
        ValueError: for an unknown field, a live certificate (rebuilding it
            would change its key and serial too), or a value equal to the
            original.
        TypeError: for a value of the wrong type.
    """
    if field not in TAMPER_FIELDS:
        raise ValueError(f"unknown field {field!r}; choose one of {', '.join(TAMPER_FIELDS)}")
    if not isinstance(cert, Issued):
        raise TypeError("tamper needs an Issued from the factory (it rebuilds the spec)")
    if cert.live:
        raise ValueError("tamper needs a deterministic certificate, not a live one")
    spec = cert.spec
    if new_value is None:
        if field == "serial":
            new_value = serial_number(cert.certificate) + 1
        elif field in ("not_before", "not_after"):
            when: _dt.datetime = getattr(spec, field)
            new_value = when.replace(year=when.year + (5 if field == "not_after" else -5))
        else:
            new_value = _TAMPER_DEFAULTS[field]
    if field in ("san", "eku") and isinstance(new_value, str):
        new_value = (new_value,)
    expected: type | tuple[type, ...] = {
        "not_before": _dt.datetime,
        "not_after": _dt.datetime,
        "serial": int,
        "san": tuple,
        "eku": tuple,
    }.get(field, str)
    if not isinstance(new_value, expected):
        raise TypeError(f"{field}: expected {TAMPER_FIELDS[field]}, got {new_value!r}")
    attr = _SPEC_FIELD[field]
    if field == "serial":
        old_value: object = serial_number(cert.certificate)
    elif field == "public_key":
        old_value = spec.seed
    else:
        old_value = getattr(spec, attr)
    changes: dict[str, Any] = {attr: new_value}
    changed = build(dataclasses.replace(spec, **changes), issuer=cert.issuer)
    old_der, new_tbs = cert.der, changed.certificate.tbs_certificate_bytes
    if new_tbs == cert.certificate.tbs_certificate_bytes:
        raise ValueError(f"{field}: {new_value!r} is the value the certificate already has")
    forged = parse_der_certificate(splice(new_tbs, old_der))
    issuer = cert.issuer if cert.issuer is not None else cert
    original = signature_one(cert.certificate, issuer)
    tampered = signature_one(forged, issuer)
    shown = {"public_key": "key derived from {!r}"}.get(field, "{}")
    return Tampered(
        field=field,
        old_value=shown.format(_text(old_value)) if field == "public_key" else _text(old_value),
        new_value=shown.format(_text(new_value)) if field == "public_key" else _text(new_value),
        certificate=forged,
        original=original,
        tampered=tampered,
        changes=_diff(cert.certificate.tbs_certificate_bytes, new_tbs),
    )


def tamper_summary(results: Sequence[Tampered]) -> Table:
    """One row per tampered certificate: what changed, how many bytes, both verdicts.

    Args:
        results: :class:`Tampered` results.

    Returns:
        A :class:`~pkiviz.table.Table`, which renders itself.
    """
    rows = tuple(
        (
            t.field,
            f"{t.old_value} -> {t.new_value}",
            str(t.changed_bytes),
            "verified" if t.original.verified else "FAILED",
            "still verifies" if t.verified else "FAILED",
        )
        for t in results
    )
    columns = ("field", "change", "bytes changed", "original", "tampered")
    return Table(columns, rows, caption="Tampered certificates, each keeping the CA's signature")


def resign_pss(cert: Issued, *, salt_length: int | None = None) -> x509.Certificate:
    """The same certificate, signed by the same RSA issuer with RSA-PSS instead of PKCS#1 v1.5.

    Every field is copied; only the signature algorithm (and so the signature)
    differs. PSS salts every signature with fresh random bytes, so two calls
    give two different signatures over the same fields.

    Args:
        cert: a certificate whose issuer holds an RSA key.
        salt_length: PSS salt length in bytes; ``None`` means the hash length.

    Returns:
        The RSA-PSS-signed certificate.

    Raises:
        ValueError: if the issuer's key is not RSA.
    """
    issuer = cert.issuer if cert.issuer is not None else cert
    key = issuer.private_key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"RSA-PSS needs an RSA issuer, not {describe_key(key.public_key())}")
    old = cert.certificate
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.issuer)
        .public_key(old.public_key())
        .serial_number(old.serial_number)
        .not_valid_before(old.not_valid_before_utc)
        .not_valid_after(old.not_valid_after_utc)
    )
    for ext in old.extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    algorithm = old.signature_hash_algorithm
    if not isinstance(algorithm, hashes.SHA256 | hashes.SHA384 | hashes.SHA512):
        algorithm = hashes.SHA256()
    salt = padding.PSS.DIGEST_LENGTH if salt_length is None else salt_length
    pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=salt)
    return builder.sign(key, algorithm, rsa_padding=pss)


def malleate_ecdsa(
    cert: Issued | x509.Certificate,
    issuer: Issued | x509.Certificate | ec.EllipticCurvePublicKey | None = None,
) -> x509.Certificate:
    """The same certificate with its ECDSA signature ``(r, s)`` replaced by ``(r, n - s)``.

    ECDSA verification (FIPS 186-5 6.4.2) uses ``s`` only through
    ``w = s^-1 mod n``, and negating ``s`` negates ``u1`` and ``u2``, so the
    point ``R`` becomes ``-R``, which has the same x-coordinate: the second
    signature verifies for the same signed bytes. No key is needed to make it.
    The TBSCertificate is untouched; only the signatureValue (and so the
    certificate's fingerprint) changes.

    Args:
        cert: an ECDSA-signed certificate.
        issuer: whose key made the signature (its certificate, :class:`Issued` or
            public key); it gives the curve order ``n``. ``None`` takes ``cert``'s
            issuer if ``cert`` is an :class:`Issued`, or ``cert`` itself if it is
            self-issued.

    Returns:
        The malleated certificate; malleating it again gives back the original.

    Raises:
        ValueError: if the issuer's key is not on P-256 or P-384, or the
            signature is not ECDSA.
        TypeError: if ``issuer`` is ``None`` and cannot be found.
    """
    certificate = cert.certificate if isinstance(cert, Issued) else cert
    if issuer is None:
        if isinstance(cert, Issued):
            issuer = cert.issuer if cert.issuer is not None else cert
        elif certificate.issuer == certificate.subject:
            issuer = certificate
        else:
            raise TypeError("give the issuer: its certificate, Issued or public key")
    if isinstance(issuer, Issued):
        issuer = issuer.certificate
    key = issuer.public_key() if isinstance(issuer, x509.Certificate) else issuer
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name not in CURVES:
        raise ValueError(f"needs a P-256 or P-384 ECDSA issuer, not {describe_key(key)}")
    if "ecdsa" not in der.oid_name(certificate.signature_algorithm_oid.dotted_string):
        raise ValueError("the certificate's signature is not ECDSA")
    n = CURVES[key.curve.name].n
    r, s = decode_dss_signature(certificate.signature)
    cert_der = certificate.public_bytes(serialization.Encoding.DER)
    tbs, alg, _ = certificate_parts(cert_der)
    value = der.bit_string(encode_dss_signature(r, n - s))
    return parse_der_certificate(
        der.sequence(cert_der[tbs.start : tbs.end], cert_der[alg.start : alg.end], value)
    )
