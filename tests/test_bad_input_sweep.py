"""Bad input found by an adversarial sweep of the command line and the loaders.

Each input here once ended in a traceback, a hang, unbounded memory or a
message no one could read; each is paired with a control input that must keep
working. What could hang or eat memory runs in a subprocess, with a timeout
and an address-space cap, and with the loaders' silence timeout for FIFOs
(:data:`pkiviz.x509.load.STREAM_TIMEOUT`, 10 s) shortened to half a second.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pkiviz.cli import main
from pkiviz.draw.chain import draw_chain
from pkiviz.draw.chaingraph import chain_graph
from pkiviz.errors import InputError
from pkiviz.net.pcap import check_output_path
from pkiviz.net.probe import parse_target
from pkiviz.validation import Report, validate
from pkiviz.x509 import der
from pkiviz.x509.example import running_example
from pkiviz.x509.load import load_certificates, load_crls

EX = running_example()
AT = ["--at", "2026-03-01T12:00:00Z"]
LOG_LIST = Path(__file__).parent / "data" / "ct" / "log_list.json"

#: The silence timeout for FIFOs in the subprocesses, seconds.
QUICK = 0.5


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("example")
    EX.write_to(directory)
    return directory


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def one_line_error(status: int, out: str, err: str, fragment: str) -> None:
    """Exit 2 with exactly one line, ``pkiviz: error: ...``, holding ``fragment``."""
    assert status == 2, (status, out, err)
    assert err.startswith("pkiviz: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and fragment in err, err


def _small_address_space() -> None:  # pragma: no cover - runs in the child
    cap = 2 << 30  # 2 GiB: a reader without a limit on /dev/zero fails fast, not the machine
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def pkiviz(*argv: str) -> subprocess.CompletedProcess[str]:
    """``pkiviz ARGV`` in a child with the FIFO timeout at :data:`QUICK` s, memory capped."""
    code = (
        "import sys; import pkiviz.x509.load as load; load.STREAM_TIMEOUT = float(sys.argv[1]); "
        "from pkiviz.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(QUICK), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_small_address_space,
    )


def feed(fifo: Path, data: bytes) -> threading.Thread:
    """Write ``data`` into ``fifo`` once a reader has opened it, then close it."""

    def write() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                time.sleep(0.02)
                continue
            os.set_blocking(fd, True)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            return

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


# --- validate --at --------------------------------------------------------------------


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_at_time_outside_the_years_utc_can_hold_is_bad_input(
    files: Path, capsys: pytest.CaptureFixture[str], at: str
) -> None:
    # was: OverflowError traceback, exit 1 (converting to UTC leaves year 1..9999)
    leaf, root = str(files / "chain.pem"), str(files / "root.pem")
    one_line_error(
        *run(capsys, "validate", leaf, "--trust", root, "--at", at),
        f"--at '{at}': in UTC that is outside the years 1-9999",
    )
    # control: an hour later is year 1 in UTC too, and the chain is judged (not yet valid)
    status, out, err = run(
        capsys, "validate", leaf, "--trust", root, "--at", "0001-01-01T01:00+01:00"
    )
    assert (status, err) == (1, "") and "not valid yet" in out


# --- validate --ct-log-list and --ocsp-response: FIFOs and devices ------------------------


def test_a_ct_log_list_fifo_that_never_sends_gives_up(files: Path, tmp_path: Path) -> None:
    # was: a hang, for good (Path.read_bytes() on a FIFO without a writer)
    fifo = tmp_path / "log_list.fifo"
    os.mkfifo(fifo)
    base = ["validate", str(files / "chain.pem"), "--trust", str(files / "root.pem"), *AT]
    silent = pkiviz(*base, "--ct", "chrome", "--ct-log-list", str(fifo))
    one_line_error(
        silent.returncode, silent.stdout, silent.stderr, f"nothing arrived for {QUICK:g} s"
    )
    # control: the real log list, through the same FIFO, is read and used
    writer = feed(fifo, LOG_LIST.read_bytes())
    fed = pkiviz(*base, "--ct", "chrome", "--ct-log-list", str(fifo))
    writer.join(timeout=30)
    assert (fed.returncode, fed.stderr) == (1, "")  # the example has no SCTs: Chrome refuses
    assert "certificate-transparency" in fed.stdout


def test_an_ocsp_response_fifo_that_never_sends_gives_up(files: Path, tmp_path: Path) -> None:
    # was: a hang, for good (open() and read() on a FIFO without a writer)
    fifo = tmp_path / "response.fifo"
    os.mkfifo(fifo)
    base = ["validate", str(files / "chain.pem"), "--trust", str(files / "root.pem"), *AT]
    silent = pkiviz(*base, "--ocsp-response", str(fifo))
    one_line_error(
        silent.returncode,
        silent.stdout,
        silent.stderr,
        f"--ocsp-response {fifo}: nothing arrived for {QUICK:g} s",
    )
    # control: DER through the same FIFO reaches the validator, which judges it (not an
    # OCSP response: revocation status unknown), with no error
    writer = feed(fifo, b"\x30\x03\x02\x01\x00")
    fed = pkiviz(*base, "--ocsp-response", str(fifo), "--revocation", "hard")
    writer.join(timeout=30)
    assert (fed.returncode, fed.stderr) == (1, "") and "not a DER OCSPResponse" in fed.stdout


@pytest.mark.parametrize(
    ("option", "limit"),
    [(["--ct", "chrome", "--ct-log-list"], "10 MiB"), (["--ocsp-response"], "1 MiB")],
)
def test_a_device_that_never_ends_is_cut_at_the_limit(
    files: Path, option: list[str], limit: str
) -> None:
    # was (--ct-log-list): /dev/zero read whole, gigabytes a second until memory ran out
    base = ["validate", str(files / "chain.pem"), "--trust", str(files / "root.pem"), *AT]
    zero = pkiviz(*base, *option, "/dev/zero")
    one_line_error(zero.returncode, zero.stdout, zero.stderr, f"more than the {limit} limit")
    if option[0] == "--ct":  # control: the real log list, a regular file, is read
        real = pkiviz(*base, *option, str(LOG_LIST))
        assert (real.returncode, real.stderr) == (1, "")


# --- validate --ip and an email in --host -----------------------------------------------


@pytest.mark.parametrize("ip", ["[::1", "::1]", "[[::1]]"])
def test_ip_brackets_must_come_as_a_pair(
    files: Path, capsys: pytest.CaptureFixture[str], ip: str
) -> None:
    # was: strip("[]") took any brackets on either side
    leaf, root = str(files / "chain.pem"), str(files / "root.pem")
    one_line_error(
        *run(capsys, "validate", leaf, "--trust", root, *AT, "--ip", ip),
        "not an IPv4 or IPv6 address",
    )
    # control: [::1], as a URL writes it, is the address ::1 (not in this leaf's SAN)
    status, out, err = run(capsys, "validate", leaf, "--trust", root, *AT, "--ip", "[::1]")
    assert (status, err) == (1, "") and "::1 does not match the SAN" in out


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("@", "nothing before the '@'"),
        ("@example.com", "nothing before the '@'"),
        ("user@", "its domain '': it is empty"),
        ("user@bad host", "its domain 'bad host'"),
    ],
)
def test_an_email_address_needs_a_name_and_a_domain(
    files: Path, capsys: pytest.CaptureFixture[str], host: str, why: str
) -> None:
    # was: any text with an @ was an email to match, exit 1 ("does not match the SAN")
    leaf, root = str(files / "chain.pem"), str(files / "root.pem")
    one_line_error(
        *run(capsys, "validate", leaf, "--trust", root, *AT, "--host", host),
        f"--host '{host}' is not a valid email address: {why}",
    )
    # control: a whole address is matched against the SAN's rfc822Names (there are none)
    status, out, err = run(
        capsys, "validate", leaf, "--trust", root, *AT, "--host", "a@example.com"
    )
    assert (status, err) == (1, "") and "no rfc822Name entries" in out


# --- probe: the port -----------------------------------------------------------------------


@pytest.mark.parametrize("target", ["127.0.0.1:²", "[::1]:①", "127.0.0.1:٤٤٣", "127.0.0.1:４４３"])
def test_a_port_is_ascii_digits(capsys: pytest.CaptureFixture[str], target: str) -> None:
    # was: "²" passed str.isdigit() and int() raised ValueError (a traceback); other
    # scripts' digits were silently read as port 443
    with pytest.raises(InputError, match="the port must be a number"):
        parse_target(target)
    one_line_error(*run(capsys, "probe", target), "the port must be a number")
    # control: the same targets in ASCII digits parse (nothing is connected to)
    host = "::1" if target.startswith("[") else "127.0.0.1"
    plain = f"[{host}]:443" if ":" in host else f"{host}:443"
    assert parse_target(plain) == (host, 443)


# --- the loaders: many PEM blocks, odd labels, a NUL in a path ------------------------------


def test_many_pem_blocks_give_a_message_of_one_short_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # was: every label listed: 200,000 blocks made a 1 MB "one-line" message
    path = tmp_path / "blocks.pem"
    path.write_bytes(b"-----BEGIN FOO-----\nAAAA\n-----END FOO-----\n" * 200_000)
    status, out, err = run(capsys, "inspect", str(path))
    one_line_error(status, out, err, "holds 200000 PEM blocks (200000 x FOO) and no certificate")
    assert len(err) < 200
    kinds = b"".join(b"-----BEGIN K%d-----\nAAAA\n-----END K%d-----\n" % (i, i) for i in range(9))
    with pytest.raises(InputError, match=r"\(K0, K1, K2, K3, K4, and 4 other kinds\)"):
        load_certificates(kinds)
    # control: a few blocks are still listed one by one
    two_crls = (
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"
    )
    with pytest.raises(InputError, match=r"holds 2 PEM blocks \(X509 CRL, X509 CRL\)"):
        load_certificates(two_crls)


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        (b"A" * 2_000_000, "an " + "A" * 61 + "..."),  # was: the whole 2 MB label, in one line
        (b"CERTIFIC\xe9TE", "a CERTIFIC\\xe9TE"),  # was: CERTIFIC\ufffdTE, the byte lost
    ],
)
def test_a_pem_label_is_shown_short_and_byte_exact(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], label: bytes, shown: str
) -> None:
    path = tmp_path / "odd.pem"
    path.write_bytes(b"-----BEGIN %s-----\nAAAA\n-----END %s-----\n" % (label, label))
    one_line_error(*run(capsys, "inspect", str(path)), f"holds {shown}, not a certificate")
    # control: a real label is named as it is
    path.write_bytes(EX.server.key_pem.bytes())
    one_line_error(*run(capsys, "inspect", str(path)), "holds a PRIVATE KEY, not a certificate")


def test_a_nul_in_a_path_is_named(files: Path) -> None:
    # was: ValueError "embedded null byte" from os.stat, not pkiviz's InputError
    for load in (load_certificates, load_crls):
        with pytest.raises(InputError, match=r"^bad\\x00\.pem: a file name cannot hold a NUL"):
            load("bad\x00.pem")
    assert len(load_certificates(str(files / "chain.pem"))) == 2  # control


# --- names cryptography cannot decode: the validator reports them ---------------------------

#: Four bytes that are not UTF-8, put in place of the four of a placeholder after issuance.
BAD_UTF8 = b"\xff\xfe\xc0\x80"


def _signed(tbs: bytes, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """A Certificate over ``tbs``, signed with ``key`` (ECDSA as RFC 6979: deterministic)."""
    ecdsa_with_sha256 = bytes.fromhex("2a8648ce3d040302")  # 1.2.840.10045.4.3.2
    algorithm = der.sequence(der.encode_tlv(der.OID, ecdsa_with_sha256))
    value = key.sign(tbs, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    signature = der.encode_tlv(der.BIT_STRING, b"\x00" + value)
    return x509.load_der_x509_certificate(der.sequence(tbs, algorithm, signature))


def _chain(*, broken: bool) -> tuple[x509.Certificate, x509.Certificate, x509.Certificate]:
    """Root -> intermediate -> login.example.com, every signature good; with ``broken``, the
    intermediate's CN (so also the leaf's issuer) is a UTF8String whose bytes are not UTF-8."""
    keys = [ec.derive_private_key(n, ec.SECP256R1()) for n in (1001, 1002, 1003)]
    names = [
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        for cn in ("Sweep Root", "QQQQ Intermediate", "login.example.com")
    ]
    certs: list[x509.Certificate] = []
    for i, (name, key) in enumerate(zip(names, keys, strict=True)):
        issuer = max(i - 1, 0)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(names[issuer])
            .public_key(key.public_key())
            .serial_number(100 + i)
            .not_valid_before(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
            .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        )
        builder = builder.add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        if i > 0:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(keys[issuer].public_key()),
                critical=False,
            )
        if i < 2:
            builder = builder.add_extension(x509.BasicConstraints(True, None), critical=True)
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("login.example.com")]), critical=False
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        tbs = builder.sign(keys[issuer], hashes.SHA256()).tbs_certificate_bytes
        certs.append(_signed(tbs.replace(b"QQQQ", BAD_UTF8) if broken else tbs, keys[issuer]))
    root, intermediate, leaf = certs
    return leaf, intermediate, root


def _validate(
    leaf: x509.Certificate, intermediate: x509.Certificate, root: x509.Certificate
) -> Report:
    return validate(
        leaf,
        intermediates=[intermediate],
        trust_anchors=[root],
        peer_name="login.example.com",
        at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
    )


def test_an_intermediate_whose_name_cannot_be_decoded_is_reported_not_raised() -> None:
    leaf, intermediate, root = _chain(broken=True)
    with pytest.raises(ValueError):  # what cryptography does with such a name
        _ = intermediate.subject
    report = _validate(leaf, intermediate, root)
    assert not report.valid and len(report.path) == 3  # the path is still built, byte for byte
    failed = [c for c in report.checks if c.failed]
    assert [(c.check, c.certificate.index if c.certificate else None) for c in failed] == [
        ("names", 0),
        ("names", 1),
    ]  # nothing else is wrong with the chain
    assert "the issuer name cannot be decoded" in failed[0].message
    assert "the subject name cannot be decoded" in failed[1].message
    assert failed[1].certificate is not None
    assert failed[1].certificate.subject == "(undecodable subject)"
    signatures = [c.status for c in report.checks if c.check == "signature"]
    assert signatures == ["pass", "pass", "skipped"]  # the two links verify; the anchor is given
    assert "(undecodable subject)" in str(report)


def test_the_same_chain_with_a_decodable_name_is_valid() -> None:
    report = _validate(*_chain(broken=False))  # control
    assert report.valid, report.first_failure


def test_the_validator_reports_a_certificate_whose_subject_cannot_be_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    leaf, intermediate, root = _chain(broken=True)
    for name, cert in (("leaf", leaf), ("intermediate", intermediate), ("root", root)):
        (tmp_path / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    # control: inspect shows it, the subject as "(undecodable)"
    status, out, _ = run(capsys, "inspect", str(tmp_path / "intermediate.pem"))
    assert status == 0 and "(undecodable)" in out
    # as an intermediate, and as the leaf and the trust anchor at once
    for argv in (
        ["leaf.pem", "--untrusted", "intermediate.pem", "--trust", "root.pem"],
        ["intermediate.pem", "--trust", "intermediate.pem"],
    ):
        status, out, err = run(
            capsys, "validate", *(str(tmp_path / a) if a.endswith(".pem") else a for a in argv), *AT
        )
        assert status == 1 and err == "" and out.startswith("INVALID"), (argv, out, err)
        assert "cannot be decoded" in out


# --- the Python entry points: a wrong time, a huge length ---------------------------------


def test_validate_names_a_time_that_is_not_a_datetime_or_leaves_utc() -> None:
    leaf, intermediate, root = _chain(broken=False)
    with pytest.raises(TypeError, match=r"expected a datetime\.datetime, not str"):
        validate(leaf, intermediates=[intermediate], trust_anchors=[root], at="2026-03-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"not date"):
        validate(leaf, intermediates=[intermediate], trust_anchors=[root], at=dt.date(2026, 3, 1))  # type: ignore[arg-type]
    plus_one = dt.timezone(dt.timedelta(hours=1))
    with pytest.raises(ValueError, match=r"^0001-01-01T00:00:00\+01:00 falls outside years 1-9999"):
        validate(leaf, at=dt.datetime(1, 1, 1, tzinfo=plus_one))
    # control: the same instant-shaped value that stays inside the calendar
    report = validate(leaf, trust_anchors=[root], at=dt.datetime(2026, 3, 1, 1, tzinfo=plus_one))
    assert report.at == dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def test_a_der_length_too_large_to_write_out_is_summed_up() -> None:
    huge = bytes([0x30, 0xFE]) + b"\x01" * 126  # a 126-byte length: about 2**1000 bytes
    with pytest.raises(InputError) as caught:
        der.read_tlv(huge)
    assert "needs about 2**1000 bytes, only 0 present" in str(caught.value)
    assert len(str(caught.value)) < 120
    # control: a small truncated value still says exactly how many bytes it needs
    with pytest.raises(InputError, match=r"needs 5 bytes, only 2 present"):
        der.read_tlv(bytes([0x04, 0x05, 1, 2]))


def test_an_output_path_in_a_directory_that_takes_no_file_blames_the_directory(
    tmp_path: Path,
) -> None:
    # /proc/version is a regular file, but /proc takes no new file and says ENOENT
    with pytest.raises(InputError, match=r"its directory /proc cannot take a new file"):
        check_output_path("/proc/version", what="key log")
    with pytest.raises(InputError, match=r"its directory .*/missing cannot take a new file"):
        check_output_path(tmp_path / "missing" / "keys.log", what="key log")
    assert check_output_path(tmp_path / "keys.log", what="key log") == tmp_path / "keys.log"


def test_the_chain_graph_draws_a_chain_with_an_undecodable_name() -> None:
    for broken, shown_as in ((True, "(undecodable subject)"), (False, "QQQQ Intermediate")):
        graph = chain_graph(_validate(*_chain(broken=broken)))
        text = str(graph)
        assert f"login.example.com → {shown_as}" in text, text
        assert graph._repr_html_()  # the HTML rendering reads the names too
        assert draw_chain(graph) is not None  # and the matplotlib figure
    assert "names: the subject name cannot be decoded" in str(
        chain_graph(_validate(*_chain(broken=True)))
    )
