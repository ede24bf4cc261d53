"""Build OCSP requests and responses (RFC 6960), deterministically, and check them.

An OCSP responder answers one question - "is serial S, issued by CA I, still
good?" - with a signed, short-lived statement: good, revoked (with time and
reason) or unknown. The CA itself can sign it, or a *delegated responder*: a
certificate the CA issued with extended key usage OCSPSigning (RFC 6960
4.2.2.2).

cryptography stamps producedAt with the wall clock and signs ECDSA with a
random nonce; :func:`build_ocsp_response` replaces both, so the same inputs
give the same DER. Checking a response is :func:`check_ocsp`, re-exported here
from :mod:`pkiviz.revocation.ocsp_check`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ObjectIdentifier

from pkiviz import clock
from pkiviz.revocation._common import (
    cert_id_hashes,
    certificate_of,
    default_hash,
    hash_named,
    html_table,
    reason_flag,
    sign,
    when_text,
)
from pkiviz.revocation.ocsp_check import OcspResult, check_ocsp
from pkiviz.vocabulary import OCSP_NOCHECK_OID
from pkiviz.x509 import der
from pkiviz.x509.anatomy import serial_hex
from pkiviz.x509.factory import Issued
from pkiviz.x509.parse import serial_number

CertStatusName = Literal["good", "revoked", "unknown"]
ResponderErrorName = Literal[
    "malformed_request", "internal_error", "try_later", "sig_required", "unauthorized"
]

#: Default OCSP lifetime (nextUpdate - thisUpdate); the Baseline Requirements
#: (4.9.10) cap it at 10 days.
DEFAULT_OCSP_LIFETIME = _dt.timedelta(days=4)

#: Default thisUpdate: an hour before the book clock.
DEFAULT_THIS_UPDATE = clock.BOOK_CLOCK - _dt.timedelta(hours=1)

#: id-pkix-ocsp-nocheck (RFC 6960 4.2.2.2.1): "do not check this responder
#: certificate's own revocation status".
OCSP_NOCHECK = ObjectIdentifier(OCSP_NOCHECK_OID)

_STATUS = {
    "good": ocsp.OCSPCertStatus.GOOD,
    "revoked": ocsp.OCSPCertStatus.REVOKED,
    "unknown": ocsp.OCSPCertStatus.UNKNOWN,
}
_ERRORS = {
    "malformed_request": ocsp.OCSPResponseStatus.MALFORMED_REQUEST,
    "internal_error": ocsp.OCSPResponseStatus.INTERNAL_ERROR,
    "try_later": ocsp.OCSPResponseStatus.TRY_LATER,
    "sig_required": ocsp.OCSPResponseStatus.SIG_REQUIRED,
    "unauthorized": ocsp.OCSPResponseStatus.UNAUTHORIZED,
}


@dataclasses.dataclass(frozen=True)
class BuiltOcspResponse:
    """A DER OCSP response. Make one with :func:`build_ocsp_response` or :func:`build_ocsp_error`.

    Attributes:
        der: the bytes a responder sends (``application/ocsp-response``).
    """

    der: bytes

    @property
    def response(self) -> ocsp.OCSPResponse:
        """The parsed response."""
        return ocsp.load_der_ocsp_response(self.der)

    def _rows(self) -> list[tuple[str, str]]:
        resp = self.response
        rows = [("responseStatus", resp.response_status.name.lower())]
        if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return rows
        for single in resp.responses:
            status = single.certificate_status.name.lower()
            rows.append((f"serial {serial_hex(single.serial_number)}", status))
            if single.revocation_time_utc is not None:
                reason = single.revocation_reason
                rows.append(
                    (
                        "revoked",
                        f"{when_text(single.revocation_time_utc)}"
                        f" ({reason.name if reason is not None else 'no reason given'})",
                    )
                )
            rows.append(("thisUpdate", when_text(single.this_update_utc)))
            rows.append(("nextUpdate", when_text(single.next_update_utc)))
        rows.append(("producedAt", when_text(resp.produced_at_utc)))
        signer = resp.responder_name
        rows.append(
            (
                "responder",
                signer.rfc4514_string()
                if signer is not None
                else f"key hash {(resp.responder_key_hash or b'').hex()}",
            )
        )
        return rows

    def __str__(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v in self._rows())

    def _repr_html_(self) -> str:
        return html_table("OCSP response", self._rows())


@dataclasses.dataclass(frozen=True)
class BuiltOcspRequest:
    """A DER OCSP request. Make one with :func:`build_ocsp_request`.

    Attributes:
        der: the bytes a client POSTs (``application/ocsp-request``).
        nonce: the nonce it carries, if any.
    """

    der: bytes
    nonce: bytes | None = None

    @property
    def request(self) -> ocsp.OCSPRequest:
        """The parsed request."""
        return ocsp.load_der_ocsp_request(self.der)

    def __str__(self) -> str:
        req = self.request
        nonce = "none" if self.nonce is None else self.nonce.hex()
        return f"OCSP request for serial {serial_hex(req.serial_number)} (nonce {nonce})"


def build_ocsp_request(
    cert: Issued | x509.Certificate,
    issuer: Issued | x509.Certificate,
    *,
    nonce: bytes | None = None,
    hash: str = "sha1",
) -> BuiltOcspRequest:
    """Build the request a client sends about ``cert``.

    Args:
        cert: the certificate asked about.
        issuer: its issuer (the CertID hashes the issuer's name and key).
        nonce: an OCSP nonce (RFC 8954: 1 to 32 octets) the responder should
            echo; ``None`` for none. pkiviz never invents one: pass
            ``os.urandom(16)`` in live code.
        hash: the CertID hash; SHA-1 is what clients and responders use.

    Returns:
        The request.
    """
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        certificate_of(cert), certificate_of(issuer), hash_named(hash)
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return BuiltOcspRequest(
        der=builder.build().public_bytes(serialization.Encoding.DER), nonce=nonce
    )


def build_ocsp_error(status: ResponderErrorName) -> BuiltOcspResponse:
    """An unsuccessful, unsigned response (RFC 6960 4.2.1), e.g. ``"try_later"``.

    Args:
        status: the responseStatus.

    Returns:
        The response.
    """
    resp = ocsp.OCSPResponseBuilder.build_unsuccessful(_ERRORS[status])
    return BuiltOcspResponse(der=resp.public_bytes(serialization.Encoding.DER))


def issue_ocsp_responder(issuer: Issued, common_name: str, **options: object) -> Issued:
    """Issue a delegated OCSP responder certificate (RFC 6960 4.2.2.2).

    It carries EKU id-kp-OCSPSigning, keyUsage digitalSignature and the
    id-pkix-ocsp-nocheck extension.

    Args:
        issuer: the CA that delegates; it must be the CA that issued the
            certificates the responder answers for.
        common_name: the responder's CN (and label unless given).
        **options: further :class:`~pkiviz.x509.spec.CertSpec` fields.

    Returns:
        The responder certificate and key.
    """
    from pkiviz.x509.spec import CertSpec, CustomExtension

    fields: dict[str, object] = {
        "label": common_name,
        "subject": x509.Name(
            [x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)]
        ).rfc4514_string(),
        "extended_key_usage": ("ocsp_signing",),
        "key_usage": ("digital_signature",),
        "extra_extensions": (CustomExtension(OCSP_NOCHECK.dotted_string, b"\x05\x00"),),
    }
    fields.update(options)
    return issuer.issue(CertSpec(**fields))  # type: ignore[arg-type]


def build_ocsp_response(
    issuer: Issued | x509.Certificate,
    cert: Issued | x509.Certificate | int,
    *,
    status: CertStatusName = "good",
    revoked_at: _dt.datetime | None = None,
    reason: str | None = None,
    this_update: _dt.datetime = DEFAULT_THIS_UPDATE,
    lifetime: _dt.timedelta | None = DEFAULT_OCSP_LIFETIME,
    produced_at: _dt.datetime | None = None,
    responder: Issued | None = None,
    nonce: bytes | None = None,
    responder_id: Literal["name", "key_hash"] = "name",
    include_responder_certificate: bool | None = None,
    cert_id_hash: str = "sha1",
    hash: str | None = None,
) -> BuiltOcspResponse:
    """Build and sign an OCSP response about one certificate; same inputs, same DER.

    Args:
        issuer: the CA that issued ``cert``. If ``responder`` is ``None`` it
            signs the response and must be an :class:`Issued` with its key.
        cert: the certificate (or just its serial number) the answer is about.
        status: ``"good"``, ``"revoked"`` or ``"unknown"``.
        revoked_at: revocationTime (required for ``"revoked"``).
        reason: revocationReason name (see :data:`pkiviz.revocation.crl.REASONS`).
        this_update: thisUpdate.
        lifetime: nextUpdate is ``this_update + lifetime``; ``None`` omits it
            ("newer information is always available", RFC 6960 4.2.2.1).
        produced_at: producedAt; defaults to ``this_update``.
        responder: who signs: ``None`` for the issuer itself, else a delegated
            responder (see :func:`issue_ocsp_responder`) - or, to show a
            forgery, any certificate with a key.
        nonce: the request's nonce to echo, if any.
        responder_id: identify the signer by ``"name"`` or ``"key_hash"``.
        include_responder_certificate: put the signer's certificate in the
            response; default: only when a delegated responder signs.
        cert_id_hash: the CertID hash (``"sha1"`` as nearly all use).
        hash: signature hash; defaults to the signer key's usual one.

    Returns:
        The response.

    Raises:
        ValueError: ``"revoked"`` without ``revoked_at``, or a reason or
            revocation time with another status.
    """
    if status == "revoked" and revoked_at is None:
        raise ValueError("a revoked status needs revoked_at")
    if status != "revoked" and (revoked_at is not None or reason is not None):
        raise ValueError("revoked_at and reason only go with status='revoked'")
    signer = responder if responder is not None else issuer
    if not isinstance(signer, Issued):
        raise ValueError("the signer must be an Issued with its private key")
    issuer_cert = certificate_of(issuer)
    serial = cert if isinstance(cert, int) else serial_number(certificate_of(cert))
    name_hash, key_hash = cert_id_hashes(issuer_cert, cert_id_hash)
    start = clock.as_utc(this_update)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=name_hash,
            issuer_key_hash=key_hash,
            serial_number=serial,
            algorithm=hash_named(cert_id_hash),
            cert_status=_STATUS[status],
            this_update=start,
            next_update=None if lifetime is None else start + lifetime,
            revocation_time=None if revoked_at is None else clock.as_utc(revoked_at),
            revocation_reason=reason_flag(reason),
        )
        .responder_id(
            ocsp.OCSPResponderEncoding.NAME
            if responder_id == "name"
            else ocsp.OCSPResponderEncoding.HASH,
            signer.certificate,
        )
    )
    include = (
        responder is not None
        if include_responder_certificate is None
        else include_responder_certificate
    )
    if include:
        builder = builder.certificates([signer.certificate])
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    algorithm = hash_named(hash) if hash is not None else default_hash(signer.private_key)
    draft = builder.sign(signer.private_key, algorithm)
    der = _restamp(
        draft.public_bytes(serialization.Encoding.DER),
        produced_at=clock.as_utc(produced_at) if produced_at is not None else start,
        signer=signer,
        algorithm=algorithm,
    )
    return BuiltOcspResponse(der=der)


def _restamp(
    data: bytes,
    *,
    produced_at: _dt.datetime,
    signer: Issued,
    algorithm: hashes.HashAlgorithm | None,
) -> bytes:
    """Replace producedAt and the signature of a successful response, keeping the rest."""
    # OCSPResponse ::= SEQUENCE { responseStatus, [0] EXPLICIT ResponseBytes }
    status, wrapped = der.children(data, der.read_single(data))
    (response_bytes,) = der.children(data, wrapped)
    response_type, octets = der.children(data, response_bytes)
    # BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm,
    #                                  signature BIT STRING, [0] certs OPTIONAL }
    basic_der = octets.content(data)
    basic = der.children(basic_der, der.read_single(basic_der))
    fields = [
        der.generalized_time(produced_at)
        if part.identifier == der.GENERALIZED_TIME
        else part.encoded(basic_der)
        for part in der.children(basic_der, basic[0])
    ]
    new_tbs = der.sequence(*fields)
    signature = sign(signer.private_key, new_tbs, algorithm)
    new_basic = der.sequence(
        new_tbs,
        basic[1].encoded(basic_der),
        der.bit_string(signature),
        *(p.encoded(basic_der) for p in basic[3:]),
    )
    new_bytes = der.sequence(response_type.encoded(data), der.octet_string(new_basic))
    return der.sequence(status.encoded(data), der.encode_tlv(wrapped.identifier, new_bytes))


__all__ = [
    "DEFAULT_OCSP_LIFETIME",
    "DEFAULT_THIS_UPDATE",
    "OCSP_NOCHECK",
    "BuiltOcspRequest",
    "BuiltOcspResponse",
    "CertStatusName",
    "OcspResult",
    "ResponderErrorName",
    "build_ocsp_error",
    "build_ocsp_request",
    "build_ocsp_response",
    "check_ocsp",
    "issue_ocsp_responder",
]
