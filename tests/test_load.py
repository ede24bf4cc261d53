"""pkiviz.x509.load: real certificates in, one-line InputErrors for everything else.

Every malformed input in the table is paired with a well-formed control of
the same family, loaded by the same call.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import os
import threading
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from pkiviz.errors import InputError
from pkiviz.x509 import load as pkiviz_load
from pkiviz.x509.example import running_example
from pkiviz.x509.load import (
    MAX_BYTES,
    as_certificate,
    load_certificate,
    load_certificates,
    load_crl,
    load_private_key,
)

EX = running_example()
SERVER = EX.server
PEM = SERVER.pem.data
DER = SERVER.der
KEY = SERVER.private_key
NAME = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _key(
    encoding: serialization.Encoding, fmt: serialization.PrivateFormat, pw: bytes = b""
) -> bytes:
    algo = serialization.BestAvailableEncryption(pw) if pw else serialization.NoEncryption()
    return KEY.private_bytes(encoding, fmt, algo)


def _public(encoding: serialization.Encoding) -> bytes:
    return KEY.public_key().public_bytes(encoding, serialization.PublicFormat.SubjectPublicKeyInfo)


def _csr(encoding: serialization.Encoding) -> bytes:
    csr = x509.CertificateSigningRequestBuilder().subject_name(NAME).sign(KEY, hashes.SHA256())
    return csr.public_bytes(encoding)


def _crl(encoding: serialization.Encoding) -> bytes:
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(EX.intermediate.certificate.subject)
        .last_update(WHEN)
        .next_update(WHEN + dt.timedelta(days=7))
        .sign(EX.intermediate.private_key, hashes.SHA256())
    )
    return crl.public_bytes(encoding)


def _pem(label: str, der: bytes) -> bytes:
    body = base64.encodebytes(der)
    return f"-----BEGIN {label}-----\n".encode() + body + f"-----END {label}-----\n".encode()


# A v3 certificate whose version INTEGER says 5: shaped right, refused by cryptography.
BAD_VERSION_DER = DER.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x05", 1)
PEM_DER = serialization.Encoding.PEM, serialization.Encoding.DER


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    bad: bytes
    fragment: str
    good: bytes = PEM


CASES = [
    Case("empty", b"", "input: is empty"),
    Case("whitespace only", b" \n\t\n", "holds only whitespace"),
    Case("binary junk", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "neither PEM nor DER"),
    Case("text, not PEM", b"hello, this is a certificate\n", "is text but not PEM"),
    Case(
        "bare base64",
        base64.encodebytes(DER),
        "bare base64 without PEM BEGIN/END",
        _pem("CERTIFICATE", DER),
    ),
    Case("truncated DER", DER[:-7], "truncated DER", DER),
    Case("DER, trailing byte", DER + b"\x00", "1 trailing byte after the DER value", DER),
    Case("DER, cut inside header", DER[:3], "truncated DER", DER),
    Case("BER indefinite length", b"\x30\x80\x02\x01\x01\x00\x00", "indefinite length", DER),
    Case("DER, not a known object", b"\x30\x03\x02\x01\x01", "is DER, but not a certificate", DER),
    Case(
        "DER certificate cryptography refuses",
        BAD_VERSION_DER,
        "cryptography cannot parse the certificate",
        DER,
    ),
    Case(
        "PEM certificate cryptography refuses",
        _pem("CERTIFICATE", BAD_VERSION_DER),
        "cryptography cannot parse the certificate",
    ),
    Case("PEM with bad base64", PEM.replace(b"MII", b"M*I", 1), "has bad base64"),
    Case("PEM with trailing garbage", PEM + b"garbage\n", "trailing data after the last PEM END"),
    Case("PEM without END line", PEM[:-30], "PEM block CERTIFICATE has no END line"),
    Case(
        "PEM END label mismatch",
        PEM.replace(b"END CERTIFICATE", b"END X509 CRL"),
        "PEM block CERTIFICATE ends with END X509 CRL: the END label must match the BEGIN label",
    ),
    Case("PEM BEGIN line broken", PEM.replace(b"CERTIFICATE-----\n", b"CERTIFICATE\n", 1), "BEGIN"),
    Case(
        "PEM with empty body", b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "empty"
    ),
    Case("PEM holding truncated DER", _pem("CERTIFICATE", DER[:100]), "truncated DER"),
    Case(
        "PEM private key",
        _key(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8),
        "holds a PRIVATE KEY, not a certificate",
    ),
    Case(
        "PEM EC private key (SEC1)",
        _key(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL),
        "holds an EC PRIVATE KEY, not a certificate",
    ),
    Case(
        "DER private key",
        _key(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8),
        "holds a PRIVATE KEY (DER), not a certificate",
        DER,
    ),
    Case(
        "PEM encrypted private key",
        _key(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, b"pw"),
        "holds an ENCRYPTED PRIVATE KEY, not a certificate",
    ),
    Case(
        "PEM public key",
        _public(serialization.Encoding.PEM),
        "holds a PUBLIC KEY, not a certificate",
    ),
    Case(
        "DER public key",
        _public(serialization.Encoding.DER),
        "holds a PUBLIC KEY (DER), not a certificate",
        DER,
    ),
    Case("PEM CSR", _csr(serialization.Encoding.PEM), "holds a CERTIFICATE REQUEST, not a"),
    Case(
        "DER CSR",
        _csr(serialization.Encoding.DER),
        "holds a CERTIFICATE REQUEST (DER), not a",
        DER,
    ),
    Case("PEM CRL", _crl(serialization.Encoding.PEM), "holds an X509 CRL, not a certificate"),
    Case("DER CRL", _crl(serialization.Encoding.DER), "holds an X509 CRL (DER), not a", DER),
    Case(
        "PEM key and CRL",
        _key(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8)
        + _crl(serialization.Encoding.PEM),
        "holds 2 PEM blocks (PRIVATE KEY, X509 CRL) and no certificate",
        _key(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8) + PEM,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input_is_named(case: Case) -> None:
    with pytest.raises(InputError) as info:
        load_certificates(case.bad)
    message = str(info.value)
    assert case.fragment in message
    assert message.startswith("input: ")
    assert "\n" not in message
    # control: the well-formed input of the same family loads
    (cert,) = load_certificates(case.good)
    assert cert == SERVER.certificate


def test_table_is_big_enough() -> None:
    assert len(CASES) >= 15
    assert len({c.id for c in CASES}) == len(CASES)


def test_what_names_the_input() -> None:
    with pytest.raises(InputError, match=r"^server\.pem: holds a PRIVATE KEY"):
        load_certificates(SERVER.key_pem.data, what="server.pem")
    assert load_certificates(PEM, what="server.pem") == (SERVER.certificate,)


def test_error_is_a_value_error_without_traceback_noise() -> None:
    with pytest.raises(ValueError) as info:
        load_certificates(b"")
    assert info.value.__cause__ is None
    assert load_certificates(DER)


# --- paths -----------------------------------------------------------------------


def test_path_str_and_pathlike(tmp_path: Path) -> None:
    target = SERVER.pem.write_to_path(tmp_path / "server.pem")
    assert load_certificates(target) == load_certificates(str(target)) == (SERVER.certificate,)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(InputError, match=r"nope\.pem: no such file$"):
        load_certificates(missing)
    SERVER.pem.write_to_path(missing)
    assert load_certificates(missing)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory, not a file"):
        load_certificates(tmp_path)
    assert load_certificates(SERVER.pem.write_to_path(tmp_path / "ok.pem"))


def test_huge_file_is_refused_by_size_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = tmp_path / "huge.pem"
    with huge.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: costs no disk
    opened: list[Path] = []
    real_open = Path.open

    def spy(self: Path, *args: object, **kwargs: object) -> object:
        opened.append(self)
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", spy)
    with pytest.raises(InputError, match="over the 10 MiB limit"):
        load_certificates(huge)
    assert huge not in opened
    # control: a bundle just under the limit's order of magnitude loads
    small = tmp_path / "small.pem"
    small.write_bytes(PEM * 100)
    assert len(load_certificates(small)) == 100


def test_a_fifo_with_no_writer_is_refused_instead_of_hanging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pkiviz_load, "STREAM_TIMEOUT", 0.2)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"nothing arrived for 0\.2 s"):
        load_certificates(fifo)


def test_control_a_fifo_with_a_writer_loads(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with fifo.open("wb") as handle:  # blocks until the reader opens it
            handle.write(PEM)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert load_certificates(fifo)[0].subject == SERVER.certificate.subject
    finally:
        writer.join(timeout=10)
    assert not writer.is_alive()


def test_an_endless_device_stops_at_the_limit() -> None:
    with pytest.raises(InputError, match="more than the 10 MiB limit"):
        load_certificates("/dev/zero")


def test_huge_bytes_are_refused() -> None:
    with pytest.raises(InputError, match="over the 10 MiB limit"):
        load_certificates(b"\x00" * (MAX_BYTES + 1))
    assert load_certificates(PEM * 3)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = SERVER.pem.write_to_path(tmp_path / "secret.pem")
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self == target:
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    # chmod 000 does not stop root, so simulate the refusal
    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(InputError, match=r"secret\.pem: permission denied"):
        load_certificates(target)
    monkeypatch.undo()
    assert load_certificates(target)


def test_pem_text_passed_as_a_path() -> None:
    with pytest.raises(InputError, match="is PEM text, not a path; pass it as bytes"):
        load_certificates(PEM.decode())
    assert load_certificates(PEM.decode().encode())


def test_an_empty_path_is_called_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Path("") is "."; the message must not send the user looking at the current directory.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"^a file name is empty$"):
        load_certificates("")
    with pytest.raises(InputError, match=r"^--trust: the file name is empty$"):
        load_certificates("", what="--trust")
    with pytest.raises(InputError, match="is a directory"):
        load_certificates(".")  # control: the directory itself is still called one


def test_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        load_certificates(42)  # type: ignore[arg-type]
    assert load_certificates(bytearray(DER))  # type: ignore[arg-type]


# --- bundles ---------------------------------------------------------------------


def test_bundle_in_order_with_comments_between_blocks() -> None:
    bundle = b"# leaf\n" + PEM + b"\n# intermediate\n" + EX.intermediate.pem.data
    assert load_certificates(bundle) == (SERVER.certificate, EX.intermediate.certificate)


def test_other_blocks_beside_certificates_are_skipped() -> None:
    combined = SERVER.key_pem.data + SERVER.chain_pem.data
    assert load_certificates(combined) == (SERVER.certificate, EX.intermediate.certificate)


def test_bad_certificate_in_bundle_is_numbered() -> None:
    bundle = PEM + _pem("CERTIFICATE", BAD_VERSION_DER)
    with pytest.raises(InputError, match="certificate 2 of 2: cryptography cannot parse"):
        load_certificates(bundle)
    assert len(load_certificates(PEM + PEM)) == 2


def test_load_certificate_wants_exactly_one() -> None:
    with pytest.raises(InputError, match="holds 2 certificates, expected exactly one"):
        load_certificate(SERVER.chain_pem.data)
    assert load_certificate(PEM) == SERVER.certificate
    assert load_certificate(DER) == SERVER.certificate


def test_certifi_bundle_loads_and_has_the_digicert_roots() -> None:
    certs = load_certificates(certifi.where())
    assert len(certs) > 100
    subjects = {c.subject.rfc4514_string() for c in certs}
    for cn in (
        "DigiCert Global Root G2",
        "DigiCert Assured ID Root G2",
        "DigiCert Assured ID Root G3",
    ):
        assert any(f"CN={cn}," in s for s in subjects), cn
    # control: a name that is not a root there is not found
    assert not any("Example Trust Root CA" in s for s in subjects)


# --- private keys ----------------------------------------------------------------

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.mark.parametrize("encoding", PEM_DER, ids=["PEM", "DER"])
@pytest.mark.parametrize(
    "fmt",
    [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL],
    ids=["PKCS#8", "SEC1"],
)
def test_private_key_formats(
    encoding: serialization.Encoding, fmt: serialization.PrivateFormat
) -> None:
    key = load_private_key(_key(encoding, fmt))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.private_numbers() == KEY.private_numbers()  # type: ignore[union-attr]


@pytest.mark.parametrize("encoding", PEM_DER, ids=["PEM", "DER"])
def test_rsa_pkcs1_private_key(encoding: serialization.Encoding) -> None:
    data = RSA_KEY.private_bytes(
        encoding, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    key = load_private_key(data)
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.private_numbers() == RSA_KEY.private_numbers()


@pytest.mark.parametrize(
    ("encoding", "fmt"),
    [
        (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8),
        (serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL),
        (serialization.Encoding.DER, serialization.PrivateFormat.PKCS8),
    ],
    ids=["PEM PKCS#8", "PEM traditional (Proc-Type)", "DER PKCS#8"],
)
def test_encrypted_private_key_is_refused_clearly(
    encoding: serialization.Encoding, fmt: serialization.PrivateFormat
) -> None:
    with pytest.raises(InputError, match="the private key is encrypted"):
        load_private_key(_key(encoding, fmt, b"secret"))
    assert load_private_key(_key(encoding, fmt))


def test_private_key_wrong_content() -> None:
    with pytest.raises(InputError, match="holds a CERTIFICATE, not a private key"):
        load_private_key(PEM)
    with pytest.raises(InputError, match="holds 2 private keys"):
        load_private_key(SERVER.key_pem.data * 2)
    with pytest.raises(InputError, match="holds a PUBLIC KEY"):
        load_private_key(_public(serialization.Encoding.PEM))
    assert load_private_key(SERVER.key_pem.data + PEM)


# --- CRLs ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", PEM_DER, ids=["PEM", "DER"])
def test_crl_loads(encoding: serialization.Encoding) -> None:
    crl = load_crl(_crl(encoding))
    assert crl.issuer == EX.intermediate.certificate.subject


def test_crl_wrong_content() -> None:
    with pytest.raises(InputError, match="holds a CERTIFICATE, not a CRL"):
        load_crl(PEM)
    with pytest.raises(InputError, match="holds 2 CRLs"):
        load_crl(_crl(serialization.Encoding.PEM) * 2)
    with pytest.raises(InputError, match="truncated DER"):
        load_crl(_crl(serialization.Encoding.DER)[:-1])
    assert isinstance(load_crl(_crl(serialization.Encoding.PEM)), x509.CertificateRevocationList)


# --- as_certificate ----------------------------------------------------------------


def test_as_certificate_accepts_what_chapters_hold() -> None:
    for obj in (SERVER, SERVER.certificate, DER, PEM):
        assert as_certificate(obj) == SERVER.certificate
    with pytest.raises(TypeError):
        as_certificate("login.example.com")
    with pytest.raises(InputError):
        as_certificate(b"")


@pytest.mark.parametrize("encoding", [serialization.Encoding.PEM, serialization.Encoding.DER])
def test_a_pkcs7_bundle_is_read_as_its_certificates(encoding: serialization.Encoding) -> None:
    from cryptography.hazmat.primitives.serialization import pkcs7

    ex = running_example()
    chain = [ex.server.certificate, ex.intermediate.certificate]
    p7b = pkcs7.serialize_certificates(chain, encoding)
    assert list(load_certificates(p7b)) == chain
    # control: the same certificates as a PEM bundle
    assert list(load_certificates(ex.server.pem.bytes() + ex.intermediate.pem.bytes())) == chain


def test_a_pkcs12_bundle_is_named_with_the_command_that_opens_it() -> None:
    from cryptography.hazmat.primitives.serialization import pkcs12

    ex = running_example()
    pfx = pkcs12.serialize_key_and_certificates(
        b"login", ex.server.private_key, ex.server.certificate, None,
        serialization.BestAvailableEncryption(b"secret"),
    )  # fmt: skip
    with pytest.raises(InputError, match=r"PKCS#12 .* 'openssl pkcs12 -in FILE -nokeys"):
        load_certificates(pfx)


def test_a_trusted_certificate_block_is_named_with_its_conversion() -> None:
    body = SERVER.pem.bytes().replace(b"CERTIFICATE-----", b"TRUSTED CERTIFICATE-----")
    with pytest.raises(InputError, match="TRUSTED CERTIFICATE, not a certificate; convert"):
        load_certificates(body)
