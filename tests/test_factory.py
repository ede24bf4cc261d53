"""The certificate factory: deterministic, real, and every knob lands in the DER."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import ssl
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkiviz import CA, CertSpec, CustomExtension, build, running_example
from pkiviz.x509.factory import serial_from_label

ROOT = Path(__file__).resolve().parents[1]


def _ext(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> x509.ExtensionType:
    return cert.extensions.get_extension_for_oid(oid).value


def test_running_example_is_identical_in_two_processes() -> None:
    code = (
        "import hashlib, pkiviz\n"
        "ex = pkiviz.running_example()\n"
        "for c in (ex.root, ex.intermediate, ex.server, ex.client_root, ex.client):\n"
        "    print(hashlib.sha256(c.der + c.key_pem.data).hexdigest())\n"
    )
    outs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        ).stdout
        for _ in range(2)
    ]
    assert outs[0] == outs[1]
    assert len(outs[0].split()) == 5


def test_rsa_and_ed25519_variants_are_deterministic() -> None:
    for key in ("rsa-2048", "ed25519"):
        a = running_example(key=key)
        running_example.cache_clear()
        b = running_example(key=key)
        assert a.server.der == b.server.der
        assert a.server.der != running_example().server.der


def test_live_mode_is_random_and_around_now() -> None:
    a = running_example(live=True)
    b = running_example(live=True)
    assert a.server.der != b.server.der
    now = dt.datetime.now(dt.UTC)
    assert (
        a.server.certificate.not_valid_before_utc < now < a.server.certificate.not_valid_after_utc
    )


def test_running_example_shape() -> None:
    ex = running_example()
    server = ex.server.certificate
    assert ex.server.chain == (ex.intermediate, ex.root)
    server.verify_directly_issued_by(ex.intermediate.certificate)
    ex.intermediate.certificate.verify_directly_issued_by(ex.root.certificate)
    ex.client.certificate.verify_directly_issued_by(ex.client_root.certificate)
    san = _ext(server, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert san.get_values_for_type(x509.DNSName) == ["login.example.com"]  # type: ignore[attr-defined]
    assert list(_ext(server, ExtensionOID.EXTENDED_KEY_USAGE)) == [ExtendedKeyUsageOID.SERVER_AUTH]  # type: ignore[call-overload]
    assert list(_ext(ex.client.certificate, ExtensionOID.EXTENDED_KEY_USAGE)) == [  # type: ignore[call-overload]
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    # Control: the client certificate is not signed by the server-side root.
    with pytest.raises(Exception):  # noqa: B017 - any verification failure
        ex.client.certificate.verify_directly_issued_by(ex.root.certificate)


def test_openssl_accepts_the_written_scenario(tmp_path: Path) -> None:
    ex = running_example()
    ex.write_to(tmp_path)
    ok = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "intermediate.pem",
            "-purpose",
            "sslserver",
            "-verify_hostname",
            "login.example.com",
            "server.pem",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert ok.returncode == 0, ok.stderr
    client = subprocess.run(
        ["openssl", "verify", "-CAfile", "client-root.pem", "-purpose", "sslclient", "client.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert client.returncode == 0, client.stderr
    # Control: without the intermediate, OpenSSL cannot build the chain.
    bad = subprocess.run(
        ["openssl", "verify", "-CAfile", "root.pem", "server.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode != 0
    assert "unable to get local issuer certificate" in bad.stdout + bad.stderr


def test_keys_are_written_0600(tmp_path: Path) -> None:
    paths = running_example().write_to(tmp_path)
    for path in paths:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if path.suffix == ".key":
            assert mode == 0o600
        else:
            assert mode & 0o077 != 0o000 or mode == 0o600  # certificates are public


def test_blob_tempfile_is_private_and_removed() -> None:
    blob = running_example().server.key_pem
    with blob.tempfile() as path:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
        assert path.read_bytes() == blob.data
    assert not path.exists()


def test_configure_cert_and_trust_make_a_real_handshake() -> None:
    ex = running_example()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ex.server.configure_cert(server_ctx)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ex.root.configure_trust(client_ctx)
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    port = listener.getsockname()[1]
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"hi")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            client_ctx.wrap_socket(raw, server_hostname="login.example.com") as tls,
        ):
            assert tls.recv(2) == b"hi"
    finally:
        thread.join(10)
        listener.close()
    assert not errors
    # Control: another name is refused by the real client.
    other = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    CA.root("Someone Else").configure_trust(other)
    assert other.cert_store_stats()["x509_ca"] == 1


def test_every_knob_lands_in_the_certificate() -> None:
    root = CA.root("Knob Root", key="rsa-2048")
    spec = CertSpec(
        label="knobs",
        subject="CN=knobs.example,O=Knob Co,C=GB",
        key="ec-p384",
        hash="sha384",
        serial=4242,
        not_before=dt.datetime(2025, 2, 3, tzinfo=dt.UTC),
        not_after=dt.datetime(2026, 2, 3, tzinfo=dt.UTC),
        dns_names=("knobs.example", "*.knobs.example"),
        ip_addresses=("127.0.0.1", "::1"),
        emails=("ops@knobs.example",),
        key_usage=("digital_signature", "key_agreement"),
        extended_key_usage=("server_auth", "client_auth", "1.3.6.1.4.1.99999.1"),
        policies=("ov", "1.2.3.4"),
        ocsp_url="http://127.0.0.1:9/ocsp",
        ca_issuers_url="http://127.0.0.1:9/ca.der",
        crl_url="http://127.0.0.1:9/ca.crl",
        must_staple=True,
        extra_extensions=(CustomExtension("1.3.6.1.4.1.99999.2", b"\x05\x00", critical=True),),
    )
    cert = root.issue(spec).certificate
    assert cert.serial_number == 4242
    assert cert.signature_hash_algorithm is not None
    assert cert.signature_hash_algorithm.name == "sha384"
    assert cert.not_valid_after_utc.year == 2026
    san = _ext(cert, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    assert len(list(san)) == 5  # type: ignore[call-overload]
    ku = _ext(cert, ExtensionOID.KEY_USAGE)
    assert ku.key_agreement and not ku.key_cert_sign  # type: ignore[attr-defined]
    assert len(list(_ext(cert, ExtensionOID.EXTENDED_KEY_USAGE))) == 3  # type: ignore[call-overload]
    policies = [
        p.policy_identifier.dotted_string for p in _ext(cert, ExtensionOID.CERTIFICATE_POLICIES)
    ]  # type: ignore[attr-defined]
    assert policies == ["2.23.140.1.2.2", "1.2.3.4"]
    aia = _ext(cert, ExtensionOID.AUTHORITY_INFORMATION_ACCESS)
    assert len(list(aia)) == 2  # type: ignore[call-overload]
    assert cert.extensions.get_extension_for_oid(ExtensionOID.CRL_DISTRIBUTION_POINTS)
    assert cert.extensions.get_extension_for_oid(ExtensionOID.TLS_FEATURE)
    custom = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.4.1.99999.2"))
    assert custom.critical
    cert.verify_directly_issued_by(root.certificate)


def test_ca_knobs_and_name_constraints() -> None:
    root = CA.root(
        "NC Root",
        path_length=1,
        permitted_subtrees=("DNS:example.com", "IP:10.0.0.0/8"),
        excluded_subtrees=("DNS:bad.example.com",),
    )
    bc = _ext(root.certificate, ExtensionOID.BASIC_CONSTRAINTS)
    assert bc.ca and bc.path_length == 1  # type: ignore[attr-defined]
    nc = _ext(root.certificate, ExtensionOID.NAME_CONSTRAINTS)
    assert len(nc.permitted_subtrees) == 2  # type: ignore[attr-defined]
    no_bc = root.intermediate("No BC", basic_constraints=False)
    with pytest.raises(x509.ExtensionNotFound):
        no_bc.certificate.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    leaf = root.issue_server("plain.example.com")
    assert not _ext(leaf.certificate, ExtensionOID.BASIC_CONSTRAINTS).ca  # type: ignore[attr-defined]


def test_sha1_signature_and_rsa1024_key() -> None:
    root = CA.root("Legacy Root", key="rsa-2048")
    leaf = root.issue_server("legacy.example.com", key="rsa-1024", hash="sha1")
    assert leaf.certificate.signature_hash_algorithm is not None
    assert leaf.certificate.signature_hash_algorithm.name == "sha1"
    assert leaf.certificate.public_key().key_size == 1024  # type: ignore[union-attr]


def test_one_key_in_two_certificates() -> None:
    root = CA.root("Shared Root")
    a = root.issue_server("a.example.com", key_seed="shared")
    b = root.issue_server("b.example.com", key_seed="shared")
    assert a.certificate.public_key() == b.certificate.public_key()
    assert a.certificate.subject != b.certificate.subject
    c = root.issue_server("c.example.com")
    assert c.certificate.public_key() != a.certificate.public_key()


def test_misuse_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown key type"):
        CertSpec(label="x", subject="CN=x", key="rsa-512")
    with pytest.raises(ValueError, match="unknown key usage"):
        CertSpec(label="x", subject="CN=x", key_usage=("sign_everything",))
    with pytest.raises(ValueError, match="unknown name"):
        CertSpec(label="x", subject="CN=x", extended_key_usage=("serverauth",))
    with pytest.raises(ValueError):
        CertSpec(label="x", subject="not a name")
    with pytest.raises(TypeError):
        CA()


def test_serial_from_label_is_20_bytes_positive() -> None:
    for label in ("a", "login.example.com", "Ω"):
        serial = serial_from_label(label)
        assert 0 < serial < 2**159
        assert serial.bit_length() == 159 or serial >= 2**152


_names = st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,8}){1,2}", fullmatch=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(["ec-p256", "ec-p384", "ed25519", "rsa-2048"]),
    issuer_key=st.sampled_from(["ec-p256", "ed25519", "rsa-2048"]),
    names=st.lists(_names, min_size=1, max_size=3, unique=True),
    days=st.integers(min_value=0, max_value=4000),
    eku=st.lists(st.sampled_from(["server_auth", "client_auth", "code_signing"]), unique=True),
    hash_name=st.sampled_from(["sha256", "sha384", "sha512"]),
)
def test_property_build_is_deterministic_and_verifies(
    key: str, issuer_key: str, names: list[str], days: int, eku: list[str], hash_name: str
) -> None:
    root = CA.root(f"Prop Root {issuer_key}", key=issuer_key)
    spec = CertSpec(
        label=f"prop {names[0]}",
        subject=f"CN={names[0]}",
        key=key,
        hash=hash_name,  # type: ignore[arg-type]
        dns_names=tuple(names),
        not_after=dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=days),
        extended_key_usage=tuple(eku),
    )
    first = build(spec, root)
    second = build(spec, root)
    assert first.der == second.der
    first.certificate.verify_directly_issued_by(root.certificate)
    changed = build(dataclasses.replace(spec, serial=7), root)
    assert changed.der != first.der
    assert changed.certificate.serial_number == 7


def test_sha1_under_small_rsa_issuer_and_ec_refused() -> None:
    small = CA.root("Tiny Legacy Root", key="rsa-1024")
    leaf = small.issue_server("tiny.example.com", hash="sha1")
    assert leaf.certificate.signature_hash_algorithm is not None
    assert leaf.certificate.signature_hash_algorithm.name == "sha1"
    with pytest.raises(ValueError, match="RSA issuers only"):
        CA.root("EC Root").issue_server("ec.example.com", hash="sha1")


# --- typed keyword options (CertOptions) ------------------------------------------------


def test_options_are_exactly_the_certspec_fields() -> None:
    from pkiviz.x509.factory import OPTION_NAMES, CertOptions

    fields = {f.name for f in dataclasses.fields(CertSpec)}
    assert set(CertOptions.__annotations__) == fields == OPTION_NAMES
    assert CertOptions.__optional_keys__ == fields  # every option may be left out


def test_unknown_option_is_a_type_error_naming_it() -> None:
    root = CA.root("Options Root")
    calls = {
        "CA.root": lambda **o: CA.root("Options Root 2", **o),
        "Issued.intermediate": lambda **o: root.intermediate("Options CA", **o),
        "Issued.issue_server": lambda **o: root.issue_server("options.example", **o),
        "Issued.issue_client": lambda **o: root.issue_client("alice@options.example", **o),
    }
    for where, call in calls.items():
        with pytest.raises(
            TypeError, match=rf"^{re.escape(where)}\(\) got an unknown option 'dns_name'; "
        ):
            call(dns_name=("x.example",))
        with pytest.raises(TypeError, match="did you mean 'dns_names'"):
            call(dns_name=("x.example",))
        with pytest.raises(TypeError, match=r"unknown option 'colour' \(its options"):
            call(colour="blue")  # nothing close: no guess
        # control: the right spelling builds
        issued = call(dns_names=("x.example",), label=f"options control {where}")
        san = _ext(issued.certificate, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        assert isinstance(san, x509.SubjectAlternativeName)
        assert san.get_values_for_type(x509.DNSName) == ["x.example"]


def test_mypy_names_a_misspelt_option(tmp_path: Path) -> None:
    """The options are typed: mypy refuses ``dns_name=`` (control: ``dns_names=`` passes)."""
    api = pytest.importorskip("mypy.api")
    good = "from pkiviz import CA\nCA.root('R').issue_server('a.example', dns_names=('b',))\n"
    bad = good.replace("dns_names=", "dns_name=")
    results = {}
    for name, source in (("good", good), ("bad", bad)):
        path = tmp_path / f"{name}.py"
        path.write_text(source, encoding="utf-8")
        out, _err, status = api.run(
            ["--strict", "--no-incremental", "--follow-imports=silent", str(path)]
        )
        results[name] = (status, out)
    assert results["good"][0] == 0, results["good"][1]
    assert results["bad"][0] == 1
    assert 'Unexpected keyword argument "dns_name"' in results["bad"][1]
