"""The certificate factory: real X.509 certificates from :class:`CertSpec`, like trustme.

Two ways in:

* :func:`build` - the pure function: a spec and an issuer in, an
  :class:`Issued` out. Deterministic mode (the default) gives byte-identical
  DER for the same inputs on every run and machine: the key derives from the
  spec's seed label, the serial from its label, and the signature is
  deterministic (RFC 6979 ECDSA, Ed25519, RSA PKCS#1 v1.5). One exception:
  an ML-DSA issuer's signature. FIPS 204 (3.4, Algorithm 2) makes hedged
  signing the default - 32 fresh random bytes go into every signature - and
  cryptography 50 offers no deterministic variant, so a certificate signed by an
  ML-DSA key has the same TBSCertificate on every run but a different
  signature value (:data:`RANDOMIZED_SIGNERS`).
* :class:`CA` helpers - ``CA.root(...)``, ``ca.intermediate(...)``,
  ``ca.issue_server(...)``, ``ca.issue_client(...)`` - for the common shapes.

Live mode (``live=True``) uses fresh random keys and serials and a validity
window around the real clock, for the handshake chapters.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import hashlib
import ipaddress
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypedDict

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from pkiviz import clock
from pkiviz.vocabulary import EKU_OIDS, HASHES, POLICY_OIDS
from pkiviz.x509.keys import PrivateKey, derive_key, generate_key
from pkiviz.x509.parse import parse_der_certificate
from pkiviz.x509.spec import CertSpec, CustomExtension, HashName, oid_of

if TYPE_CHECKING:  # only to name the type: the factory builds certificates and opens no socket
    import ssl
if TYPE_CHECKING or sys.version_info >= (3, 11):
    # Only in annotations, which ``from __future__ import annotations`` leaves unevaluated, so
    # Python 3.10 (no typing.Unpack, and typing_extensions is no dependency) runs this module too.
    from typing import Unpack


class CertOptions(TypedDict, total=False):
    """The keyword options of :meth:`CA.root`, :meth:`Issued.intermediate`,
    :meth:`Issued.issue_server` and :meth:`Issued.issue_client`: any :class:`CertSpec` field.

    Typed, so that mypy names a misspelt option (``dns_name=`` for ``dns_names=``); at run time
    an unknown one is a :class:`TypeError` naming it. See :class:`CertSpec` for each field.
    """

    label: str
    subject: str
    ca: bool
    path_length: int | None
    key: str
    key_seed: str | None
    hash: HashName
    not_before: _dt.datetime
    not_after: _dt.datetime
    serial: int | None
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    emails: tuple[str, ...]
    key_usage: tuple[str, ...] | None
    extended_key_usage: tuple[str, ...]
    basic_constraints: bool
    permitted_subtrees: tuple[str, ...]
    excluded_subtrees: tuple[str, ...]
    policies: tuple[str, ...]
    ocsp_url: str | None
    ca_issuers_url: str | None
    crl_url: str | None
    must_staple: bool
    subject_key_identifier: bool
    authority_key_identifier: bool
    extra_extensions: tuple[CustomExtension, ...]


#: The option names, which are exactly :class:`CertSpec`'s fields.
OPTION_NAMES: frozenset[str] = frozenset(f.name for f in dataclasses.fields(CertSpec))


def check_options(where: str, options: Mapping[str, object]) -> None:
    """Refuse a keyword option that is no :class:`CertSpec` field, naming it.

    Args:
        where: the method, as the message should name it (``"CA.root"``).
        options: the keyword options it was given.

    Raises:
        TypeError: for the first unknown option, with the closest field name if one is close.
    """
    for name in options:
        if name not in OPTION_NAMES:
            close = difflib.get_close_matches(name, sorted(OPTION_NAMES), n=1, cutoff=0.8)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(
                f"{where}() got an unknown option {name!r}{hint} "
                "(its options are the fields of CertSpec)"
            )


_MLDSA_PRIVATE = (mldsa.MLDSA44PrivateKey, mldsa.MLDSA65PrivateKey, mldsa.MLDSA87PrivateKey)


class _OpenSSLContext(Protocol):
    """The two methods of a pyOpenSSL ``SSL.Context`` that load a private key."""

    def use_privatekey(
        self, pkey: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
    ) -> None: ...

    def use_privatekey_file(self, keyfile: str) -> None: ...


def use_private_key(ctx: _OpenSSLContext, key: PrivateKey) -> None:
    """Load ``key`` into a pyOpenSSL context, whatever its type.

    pyOpenSSL 26's ``use_privatekey`` refuses ML-DSA keys ("Unsupported key
    type"), though the OpenSSL under it (cryptography's, 4.x) serves them; an
    ML-DSA key goes in as PEM through a 0600 temporary file, removed at once.

    Args:
        ctx: a pyOpenSSL ``SSL.Context``.
        key: the private key.
    """
    if isinstance(key, _MLDSA_PRIVATE):
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        with Blob(pem, secret=True).tempfile() as path:
            ctx.use_privatekey_file(str(path))
    else:
        ctx.use_privatekey(key)


def serial_from_label(label: str) -> int:
    """Derive a positive 159-bit serial number from a label (RFC 5280 4.1.2.2: <= 20 octets).

    Args:
        label: the spec's label.

    Returns:
        An int in ``[2**152, 2**159)``, so its DER is always 20 bytes.
    """
    digest = hashlib.sha256(b"pkiviz-serial-v1\x00" + label.encode("utf-8")).digest()
    return (int.from_bytes(digest[:20], "big") >> 1) | (1 << 152)


@dataclasses.dataclass(frozen=True)
class Blob:
    """Some PEM or DER bytes with the two things you do with them.

    Attributes:
        data: the bytes.
        secret: whether this is private key material (written 0600).
    """

    data: bytes
    secret: bool = False

    def bytes(self) -> bytes:
        """Return the bytes."""
        return self.data

    def write_to_path(self, path: str | os.PathLike[str]) -> Path:
        """Write the bytes to ``path``; secrets are created with mode 0600.

        Args:
            path: where to write.

        Returns:
            The path written.
        """
        target = Path(path)
        if self.secret:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(self.data)
        else:
            target.write_bytes(self.data)
        return target

    @contextmanager
    def tempfile(self) -> Iterator[Path]:
        """Write the bytes to a private temporary file (0600) and remove it afterwards.

        Yields:
            The temporary file's path.
        """
        with tempfile.TemporaryDirectory(prefix="pkiviz-") as tmp:
            os.chmod(tmp, 0o700)
            yield self.write_to_path(Path(tmp) / ("key.pem" if self.secret else "data.pem"))


@dataclasses.dataclass(frozen=True)
class Issued:
    """A built certificate with its private key and the issuer that signed it.

    Build one with :func:`build` or the :class:`CA` helpers, not directly.

    Attributes:
        spec: the spec it was built from.
        certificate: the cryptography certificate object.
        private_key: its private key.
        issuer: the :class:`Issued` that signed it, ``None`` if self-signed.
        live: whether it was built in live mode.
    """

    spec: CertSpec
    certificate: x509.Certificate
    private_key: PrivateKey = dataclasses.field(repr=False)
    issuer: Issued | None = dataclasses.field(default=None, repr=False)
    live: bool = False

    @property
    def der(self) -> bytes:
        """The certificate's DER encoding."""
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> Blob:
        """The certificate as PEM."""
        return Blob(self.certificate.public_bytes(serialization.Encoding.PEM))

    @property
    def key_pem(self) -> Blob:
        """The private key as unencrypted PKCS#8 PEM (a secret blob: written 0600)."""
        return Blob(
            self.private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            secret=True,
        )

    @property
    def chain(self) -> tuple[Issued, ...]:
        """Every issuer above this certificate, nearest first, root last."""
        out: list[Issued] = []
        node = self.issuer
        while node is not None:
            out.append(node)
            node = node.issuer
        return tuple(out)

    @property
    def root(self) -> Issued:
        """The self-signed certificate at the top of this certificate's chain."""
        return self.chain[-1] if self.chain else self

    @property
    def intermediates(self) -> tuple[Issued, ...]:
        """The issuers between this certificate and the root (nearest first)."""
        return self.chain[:-1]

    @property
    def chain_pem(self) -> Blob:
        """This certificate then its intermediates, as a server sends them (no root)."""
        return Blob(b"".join(c.pem.data for c in (self, *self.intermediates)))

    @property
    def name(self) -> str:
        """The subject as an RFC 4514 string."""
        return self.certificate.subject.rfc4514_string()

    @property
    def fingerprint_sha256(self) -> str:
        """SHA-256 of the DER, as colon-separated upper-case hex."""
        return ":".join(f"{b:02X}" for b in hashlib.sha256(self.der).digest())

    def configure_cert(self, ctx: ssl.SSLContext) -> None:
        """Load this certificate, its intermediates and its key into an SSLContext.

        The key passes through a 0600 temporary file that is removed at once.

        Args:
            ctx: a server (or mTLS client) context.
        """
        with self.chain_pem.tempfile() as cert_path, self.key_pem.tempfile() as key_path:
            ctx.load_cert_chain(cert_path, key_path)

    def configure_trust(self, ctx: ssl.SSLContext) -> None:
        """Make ``ctx`` trust this certificate as an anchor.

        Args:
            ctx: a client (or mTLS server) context.
        """
        ctx.load_verify_locations(cadata=self.pem.data.decode("ascii"))

    def issue(self, spec: CertSpec) -> Issued:
        """Build ``spec`` signed by this CA, in this CA's mode (deterministic or live).

        Args:
            spec: what to build.

        Returns:
            The new certificate.
        """
        return build(spec, issuer=self, live=self.live)

    def intermediate(self, common_name: str, **options: Unpack[CertOptions]) -> Issued:
        """Issue an intermediate CA under this one. See :meth:`CA.root` for options.

        Raises:
            TypeError: for an option that is no :class:`CertSpec` field.
        """
        check_options("Issued.intermediate", options)
        return self.issue(_ca_spec(common_name, options))

    def issue_server(self, *names: str, **options: Unpack[CertOptions]) -> Issued:
        """Issue a TLS server certificate (EKU serverAuth) for the given names.

        Args:
            *names: SAN dNSNames; an entry that parses as an IP address
                goes into the iPAddress SAN instead. The first is the CN.
            **options: further :class:`CertSpec` fields (``label`` defaults to
                the first name).

        Returns:
            The leaf.

        Raises:
            TypeError: for an option that is no :class:`CertSpec` field.
        """
        check_options("Issued.issue_server", options)
        return self.issue(_leaf_spec(names, ("server_auth",), options))

    def issue_client(self, name: str, **options: Unpack[CertOptions]) -> Issued:
        """Issue a TLS client certificate (EKU clientAuth).

        Args:
            name: the CN; if it contains ``@`` it also goes into the email SAN.
            **options: further :class:`CertSpec` fields.

        Returns:
            The leaf.

        Raises:
            TypeError: for an option that is no :class:`CertSpec` field.
        """
        check_options("Issued.issue_client", options)
        defaults: dict[str, object] = {"emails": (name,)} if "@" in name else {}
        defaults.update(options)
        return self.issue(_leaf_spec((name,), ("client_auth",), defaults, dns=False))


def _ca_spec(common_name: str, options: Mapping[str, object]) -> CertSpec:
    fields: dict[str, object] = {
        "label": common_name,
        "subject": x509.Name(
            [x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)]
        ).rfc4514_string(),
        "ca": True,
        "not_before": clock.CA_NOT_BEFORE,
        "not_after": clock.CA_NOT_AFTER,
    }
    fields.update(options)
    return CertSpec(**fields)  # type: ignore[arg-type]


def _leaf_spec(
    names: tuple[str, ...],
    eku: tuple[str, ...],
    options: Mapping[str, object],
    *,
    dns: bool = True,
) -> CertSpec:
    if not names:
        raise ValueError("give at least one name")
    dns_names: list[str] = []
    ips: list[str] = []
    for name in names:
        try:
            ipaddress.ip_address(name)
            ips.append(name)
        except ValueError:
            dns_names.append(name)
    cn = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, names[0])]).rfc4514_string()
    fields: dict[str, object] = {
        "label": names[0],
        "subject": cn,
        "extended_key_usage": eku,
    }
    if dns:
        fields["dns_names"] = tuple(dns_names)
        fields["ip_addresses"] = tuple(ips)
    fields.update(options)
    return CertSpec(**fields)  # type: ignore[arg-type]


class CA:
    """Namespace for making root CAs: ``CA.root("Example Root CA")``."""

    def __init__(self) -> None:
        raise TypeError("use CA.root(...) to make a root CA")

    @staticmethod
    def root(common_name: str, *, live: bool = False, **options: Unpack[CertOptions]) -> Issued:
        """Build a self-signed root CA.

        Args:
            common_name: the CN (and, unless given, the label).
            live: random key and serial, validity around the real clock.
            **options: further :class:`CertSpec` fields, e.g. ``key="rsa-2048"``,
                ``subject="C=US,O=Example,CN=Root"``, ``path_length=1``.

        Returns:
            The root, which can issue further certificates.

        Raises:
            TypeError: for an option that is no :class:`CertSpec` field.
        """
        check_options("CA.root", options)
        return build(_ca_spec(common_name, options), live=live)


def _name(rfc4514: str) -> x509.Name:
    return x509.Name.from_rfc4514_string(rfc4514)


def _general_subtree(entry: str) -> x509.GeneralName:
    kind, sep, value = entry.partition(":")
    if not sep:
        raise ValueError(f"name constraint {entry!r} needs a kind prefix: DNS:, IP:, email:")
    kind = kind.lower()
    if kind == "dns":
        return x509.DNSName(value)
    if kind == "ip":
        return x509.IPAddress(ipaddress.ip_network(value, strict=False))
    if kind == "email":
        return x509.RFC822Name(value)
    if kind == "uri":
        return x509.UniformResourceIdentifier(value)
    if kind == "dirname":
        return x509.DirectoryName(_name(value))
    raise ValueError(f"unknown name constraint kind {kind!r} in {entry!r}")


def _key_usage(spec: CertSpec, key: PrivateKey) -> x509.KeyUsage | None:
    usages = spec.key_usage
    if usages is None:
        if spec.ca:
            usages = ("digital_signature", "key_cert_sign", "crl_sign")
        elif isinstance(key, rsa.RSAPrivateKey):
            usages = ("digital_signature", "key_encipherment")
        else:
            usages = ("digital_signature",)
    if not usages:
        return None
    flags = {
        name: name in usages
        for name in (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        )
    }
    return x509.KeyUsage(**flags)


def _extensions(
    spec: CertSpec, key: PrivateKey, issuer_key: PrivateKey, self_signed: bool
) -> list[tuple[x509.ExtensionType | x509.UnrecognizedExtension, bool]]:
    exts: list[tuple[x509.ExtensionType | x509.UnrecognizedExtension, bool]] = []
    if spec.basic_constraints:
        exts.append(
            (
                x509.BasicConstraints(
                    ca=spec.ca, path_length=spec.path_length if spec.ca else None
                ),
                True,
            )
        )
    usage = _key_usage(spec, key)
    if usage is not None:
        exts.append((usage, True))
    if spec.extended_key_usage:
        exts.append(
            (x509.ExtendedKeyUsage([oid_of(e, EKU_OIDS) for e in spec.extended_key_usage]), False)
        )
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in spec.dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in spec.ip_addresses]
    sans += [x509.RFC822Name(e) for e in spec.emails]
    if sans:
        # RFC 5280 4.2.1.6: critical only when the subject is empty.
        exts.append((x509.SubjectAlternativeName(sans), not _name(spec.subject)))
    if spec.permitted_subtrees or spec.excluded_subtrees:
        exts.append(
            (
                x509.NameConstraints(
                    permitted_subtrees=[_general_subtree(e) for e in spec.permitted_subtrees]
                    or None,
                    excluded_subtrees=[_general_subtree(e) for e in spec.excluded_subtrees] or None,
                ),
                True,
            )
        )
    if spec.policies:
        exts.append(
            (
                x509.CertificatePolicies(
                    [x509.PolicyInformation(oid_of(p, POLICY_OIDS), None) for p in spec.policies]
                ),
                False,
            )
        )
    access: list[x509.AccessDescription] = []
    if spec.ocsp_url:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP,
                x509.UniformResourceIdentifier(spec.ocsp_url),
            )
        )
    if spec.ca_issuers_url:
        access.append(
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(spec.ca_issuers_url),
            )
        )
    if access:
        exts.append((x509.AuthorityInformationAccess(access), False))
    if spec.crl_url:
        exts.append(
            (
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            full_name=[x509.UniformResourceIdentifier(spec.crl_url)],
                            relative_name=None,
                            reasons=None,
                            crl_issuer=None,
                        )
                    ]
                ),
                False,
            )
        )
    if spec.must_staple:
        exts.append((x509.TLSFeature([x509.TLSFeatureType.status_request]), False))
    if spec.subject_key_identifier:
        exts.append((x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    if spec.authority_key_identifier and not self_signed:
        exts.append(
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False)
        )
    for custom in spec.extra_extensions:
        exts.append(
            (
                x509.UnrecognizedExtension(x509.ObjectIdentifier(custom.oid), custom.value),
                custom.critical,
            )
        )
    return exts


#: Issuer key types whose certificate signatures differ from run to run (hedged ML-DSA,
#: FIPS 204 Algorithm 2: cryptography 50 signs with fresh randomness and has no
#: deterministic option). The TBSCertificate is still deterministic.
RANDOMIZED_SIGNERS: tuple[str, ...] = ("ml-dsa-44", "ml-dsa-65", "ml-dsa-87")

_NO_HASH = (ed25519.Ed25519PrivateKey, *_MLDSA_PRIVATE)


def _signature_hash(spec: CertSpec, issuer_key: PrivateKey) -> hashes.HashAlgorithm | None:
    # Ed25519 and ML-DSA (pure mode, RFC 9881 3) sign the message itself: no separate hash.
    if isinstance(issuer_key, _NO_HASH):
        return None
    return HASHES[spec.hash]()


# AlgorithmIdentifier DER for sha256WithRSAEncryption and sha1WithRSAEncryption
# (RFC 4055 / RFC 3279 2.2.1): same length, so one can replace the other in place.
_RSA_SHA256_ALG = bytes.fromhex("300d06092a864886f70d01010b0500")
_RSA_SHA1_ALG = bytes.fromhex("300d06092a864886f70d0101050500")


def _sign_sha1(builder: x509.CertificateBuilder, issuer_key: PrivateKey) -> x509.Certificate:
    """Sign with SHA-1, which cryptography's builder refuses (it is broken for signatures).

    The book needs a real SHA-1-signed certificate to show validators rejecting
    it, so: build with SHA-256, swap the AlgorithmIdentifier (TBS and outer)
    for sha1WithRSAEncryption and re-sign the new TBS with PKCS#1 v1.5 + SHA-1.
    RSA signatures keep the modulus length, so every DER length is unchanged.
    """
    if not isinstance(issuer_key, rsa.RSAPrivateKey):
        raise ValueError("SHA-1 signatures are built for RSA issuers only")
    draft = builder.sign(issuer_key, hashes.SHA256(), rsa_padding=padding.PKCS1v15())
    der = draft.public_bytes(serialization.Encoding.DER)
    tbs = draft.tbs_certificate_bytes.replace(_RSA_SHA256_ALG, _RSA_SHA1_ALG, 1)
    signature = issuer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    head = der[: der.index(draft.tbs_certificate_bytes)]
    rest = der[len(head) + len(tbs) :]
    if not rest.startswith(_RSA_SHA256_ALG):  # pragma: no cover - the builder's own encoding
        raise ValueError("unexpected signature algorithm encoding")
    bit_string_header = rest[len(_RSA_SHA256_ALG) : -len(draft.signature)]
    out = head + tbs + _RSA_SHA1_ALG + bit_string_header + signature
    if len(out) != len(der):  # pragma: no cover - guarded by the length argument above
        raise ValueError("SHA-1 re-signing changed the encoding length")
    return parse_der_certificate(out)


def build(spec: CertSpec, issuer: Issued | None = None, *, live: bool = False) -> Issued:
    """Build the certificate a spec describes.

    Args:
        spec: what to build.
        issuer: the CA that signs it; ``None`` makes it self-signed.
        live: fresh random key and serial, and (unless the spec's window was
            changed from the defaults) validity from one hour before the real
            clock to one day after it.

    Returns:
        The built certificate with its key.

    Raises:
        ValueError: if ``issuer`` is not a CA-shaped certificate with a key
            able to sign, or the spec cannot be encoded.
    """
    if live:
        key = generate_key(spec.key)
        serial = x509.random_serial_number() if spec.serial is None else spec.serial
        now = clock.wall_clock()
        not_before, not_after = spec.not_before, spec.not_after
        if (not_before, not_after) in (
            (clock.LEAF_NOT_BEFORE, clock.LEAF_NOT_AFTER),
            (clock.CA_NOT_BEFORE, clock.CA_NOT_AFTER),
        ):
            not_before, not_after = now - _dt.timedelta(hours=1), now + _dt.timedelta(days=1)
    else:
        key = derive_key(spec.key, spec.seed)
        serial = serial_from_label(spec.label) if spec.serial is None else spec.serial
        not_before, not_after = spec.not_before, spec.not_after

    issuer_key = key if issuer is None else issuer.private_key
    issuer_name = _name(spec.subject) if issuer is None else issuer.certificate.subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(spec.subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(clock.as_utc(not_before))
        .not_valid_after(clock.as_utc(not_after))
    )
    for ext, critical in _extensions(spec, key, issuer_key, issuer is None):
        builder = builder.add_extension(ext, critical=critical)
    algorithm = _signature_hash(spec, issuer_key)
    if spec.hash == "sha1" and algorithm is not None:
        cert = _sign_sha1(builder, issuer_key)
    elif isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        cert = builder.sign(issuer_key, algorithm, ecdsa_deterministic=not live)  # type: ignore[arg-type]
    elif isinstance(issuer_key, rsa.RSAPrivateKey):
        cert = builder.sign(issuer_key, algorithm, rsa_padding=padding.PKCS1v15())  # type: ignore[arg-type]
    else:
        cert = builder.sign(issuer_key, algorithm)  # type: ignore[arg-type]
    return Issued(spec=spec, certificate=cert, private_key=key, issuer=issuer, live=live)
