"""The impostor: a server with a copied certificate but not its private key.

A certificate is public - anyone can copy ``login.example.com``'s chain from
any handshake. What stops them impersonating the site is signature two: the
server must sign the handshake transcript with the private key matching the
certificate (TLS 1.3 CertificateVerify; TLS 1.2 ServerKeyExchange).

What can really be done on this machine, and what this module shows:

1. **Neither OpenSSL front end will even load the mismatched pair.** Python's
   ``SSLContext.load_cert_chain`` refuses (``KEY_VALUES_MISMATCH``); with
   pyOpenSSL, ``use_certificate`` then ``use_privatekey`` refuses ("key values
   mismatch"), and the other order silently *drops* the key (OpenSSL 3's
   ``ssl_set_cert`` frees a private key that does not match), so the context
   has no key and cannot handshake. :func:`mismatched_pair_refusals` runs
   these attempts and returns what each front end said. (A live impostor would
   need a TLS stack that signs with an arbitrary key - e.g. a hand-written one
   - which is exactly what the next point simulates, byte for byte.)
2. **At the signature level**, :func:`forge_server_signature` takes a real
   captured handshake and re-signs exactly the bytes the server signed, with
   another key - what an impostor holding the copied certificate could best
   send. pkiviz's independent verification
   (:mod:`pkiviz.tls.signatures`) rejects it, because the public key in the
   certificate does not match; re-signing with the real key (the control)
   verifies.
3. **Live**, :func:`impostor_handshake` runs a server with a *different*
   certificate and key for the same name (self-issued under its own root):
   the client's real error is ``certificate verify failed: unable to get
   local issuer certificate`` and the server's capture holds the client's
   ``unknown_ca`` alert.
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from pkiviz.table import Table
from pkiviz.tls import names, signatures
from pkiviz.tls.handshake import Handshake
from pkiviz.tls.messages import CertificateVerify, Sender, ServerKeyExchange, parse_message
from pkiviz.vocabulary import HASHES
from pkiviz.x509.factory import Issued, use_private_key
from pkiviz.x509.keys import PrivateKey

if TYPE_CHECKING:
    from pkiviz.net.live import Session

_SCHEME_CODES = {name: code for code, name in names.SIGNATURE_SCHEMES.items()}
_CURVE_SCHEMES = {"secp256r1": "ecdsa_secp256r1_sha256", "secp384r1": "ecdsa_secp384r1_sha384"}


@dataclasses.dataclass(frozen=True)
class Refusal:
    """What one TLS front end did when given a certificate and someone else's key.

    Attributes:
        front_end: e.g. ``"Python ssl load_cert_chain"``.
        loaded: whether it accepted the pair.
        message: its error, or what happened instead.
    """

    front_end: str
    loaded: bool
    message: str


def mismatched_pair_refusals(certificate: Issued, key: PrivateKey) -> tuple[Refusal, ...]:
    """Try to load ``certificate`` with a key that is not its own, every way we can.

    Args:
        certificate: the real certificate (and chain) to copy.
        key: the impostor's key.

    Returns:
        One :class:`Refusal` per attempt (pyOpenSSL attempts only if installed).
    """
    impostor = dataclasses.replace(certificate, private_key=key)
    out: list[Refusal] = []
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        impostor.configure_cert(ctx)
        out.append(Refusal("Python ssl load_cert_chain", True, "loaded"))
    except ssl.SSLError as exc:
        out.append(Refusal("Python ssl load_cert_chain", False, exc.reason or str(exc)))
    try:
        from OpenSSL import SSL
    except ImportError:  # pragma: no cover - pyOpenSSL is in the [tls] extra
        return tuple(out)
    for order in ("certificate then key", "key then certificate"):
        octx = SSL.Context(SSL.TLS_SERVER_METHOD)
        front = f"pyOpenSSL ({order})"
        try:
            if order == "certificate then key":
                octx.use_certificate(certificate.certificate)
                use_private_key(octx, key)
            else:
                use_private_key(octx, key)
                octx.use_certificate(certificate.certificate)
        except SSL.Error as exc:
            out.append(Refusal(front, False, _openssl_reason(exc)))
            continue
        try:
            octx.check_privatekey()
        except SSL.Error as exc:
            out.append(Refusal(front, False, f"accepted, but then: {_openssl_reason(exc)}"))
            continue
        out.append(Refusal(front, True, "loaded"))  # pragma: no cover - OpenSSL 3 refuses
    return tuple(out)


def refusal_table(refusals: Sequence[Refusal]) -> Table:
    """What each TLS front end did with a certificate and someone else's key.

    Args:
        refusals: from :func:`mismatched_pair_refusals`.

    Returns:
        One row per attempt.
    """
    return Table(
        ("front end", "loaded the pair", "what it said"),
        tuple((r.front_end, "yes" if r.loaded else "no", r.message) for r in refusals),
    )


def _openssl_reason(exc: Exception) -> str:
    try:
        return "; ".join(str(e[2]) for e in exc.args[0])
    except (IndexError, TypeError):
        return str(exc)


def scheme_for(key: PrivateKey) -> str:
    """The TLS 1.3 signature scheme a key of this type signs with."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        try:
            return _CURVE_SCHEMES[key.curve.name]
        except KeyError:
            raise ValueError(f"no TLS 1.3 scheme for curve {key.curve.name}") from None
    if isinstance(key, rsa.RSAPrivateKey):
        return "rsa_pss_rsae_sha256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise ValueError(f"cannot sign TLS handshakes with {type(key).__name__}")


def sign(key: PrivateKey, scheme: str, content: bytes) -> bytes:
    """Sign ``content`` under a TLS signature scheme.

    Args:
        key: the private key.
        scheme: e.g. ``"ecdsa_secp256r1_sha256"``, ``"rsa_pss_rsae_sha256"``, ``"ed25519"``.
        content: the bytes to sign.

    Returns:
        The signature.
    """
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(content)
    algorithm = HASHES[scheme.rsplit("_", 1)[1]]()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(content, ec.ECDSA(algorithm))
    if isinstance(key, rsa.RSAPrivateKey):
        if scheme.startswith("rsa_pkcs1_"):
            return key.sign(content, padding.PKCS1v15(), algorithm)
        return key.sign(
            content, padding.PSS(padding.MGF1(algorithm), algorithm.digest_size), algorithm
        )
    raise ValueError(f"cannot sign with {type(key).__name__}")


def forge_server_signature(
    handshake: Handshake, key: PrivateKey, *, signer: Sender = "server"
) -> Handshake:
    """Re-sign the handshake signature of ``signer`` with ``key``, keeping everything else.

    The bytes signed are exactly the ones the real signer signed (the TLS 1.3
    CertificateVerify content, or the TLS 1.2 ServerKeyExchange content); only
    the key differs. The certificate stays the real one - the impostor copied it.

    Args:
        handshake: a captured handshake.
        key: the key to sign with (the impostor's; the real key is the control).
        signer: whose signature to replace.

    Returns:
        A new handshake with the replaced CertificateVerify / ServerKeyExchange.

    Raises:
        ValueError: the handshake has no such signature.
    """
    if signer == "server":
        check = signatures.verify_server_signature(handshake)
        if check is None:
            raise ValueError("the server signed nothing in this handshake")
    else:
        check = signatures.verify_certificate_verify(handshake, signer)
    msg = handshake.find(check.message, signer)
    assert msg is not None
    scheme = scheme_for(key) if handshake.tls13 else _tls12_scheme(key, check.scheme)
    signature = sign(key, scheme, check.signed_content)
    tail = _SCHEME_CODES[scheme].to_bytes(2, "big") + len(signature).to_bytes(2, "big") + signature
    if isinstance(msg.body, ServerKeyExchange):
        body = msg.body.params + tail
    else:
        assert isinstance(msg.body, CertificateVerify)
        body = tail
    raw = msg.raw[:1] + len(body).to_bytes(3, "big") + body
    new = parse_message(
        msg.sender, msg.content_type, raw, encrypted=msg.encrypted, tls13=handshake.tls13
    )
    index = handshake.index(msg)
    messages = (*handshake.messages[:index], new, *handshake.messages[index + 1 :])
    return dataclasses.replace(handshake, messages=messages)


def _tls12_scheme(key: PrivateKey, original: str) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey) and original.startswith("ecdsa_"):
        return original
    if isinstance(key, rsa.RSAPrivateKey) and original.startswith("rsa_"):
        return original
    return scheme_for(key)


def impostor_handshake(*, key: str = "ec-p256", timeout: float = 5.0) -> Session:
    """A live server with its *own* certificate for ``login.example.com``, not the real one.

    The impostor's CA is a fresh self-signed root nobody trusts; the client
    trusts the running example's root.

    Args:
        key: the key type for both the real and the impostor certificates.
        timeout: seconds per socket operation.

    Returns:
        The :class:`~pkiviz.net.live.Session`: the client's handshake failed
        with ``certificate verify failed``; the server's holds the client's alert.
    """
    from pkiviz.net import live
    from pkiviz.x509.example import HOSTNAME, running_example
    from pkiviz.x509.factory import CA

    real = running_example(key=key, live=True)
    fake_root = CA.root("Example Trust Root CA", live=True, key=key)
    fake = fake_root.issue_server(HOSTNAME, key=key)
    return live.run_handshake(
        live.server_context(fake),
        live.client_context(real.root),
        server_hostname=HOSTNAME,
        timeout=timeout,
    )
