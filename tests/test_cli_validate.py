"""``pkiviz validate``: exit 0 valid, 1 invalid, 2 bad input with a one-line message."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pkiviz import cli
from pkiviz.clock import BOOK_CLOCK
from pkiviz.revocation import build_crl, build_ocsp_response
from pkiviz.revocation.responder import Responder
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import CA


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("scenario")
    running_example().write_to(directory)
    return directory


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        status = cli.main(["validate", *argv])
    except SystemExit as exc:  # argparse usage errors
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_valid_chain_exits_0(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys,
        str(files / "chain.pem"),
        "--trust",
        str(files / "root.pem"),
        "--host",
        "login.example.com",
    )
    assert status == 0
    assert out.startswith("VALID")
    assert "✓ pass    hostname" in out


def test_wrong_host_exits_1(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys,
        str(files / "chain.pem"),
        "--trust",
        str(files / "root.pem"),
        "--host",
        "evil.example.com",
    )
    assert status == 1
    assert out.startswith("INVALID: hostname")


def test_untrusted_flag_supplies_the_intermediate(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(files / "server.pem"), "--trust", str(files / "root.pem")]
    status, out, _ = run(capsys, *args)
    assert status == 1
    assert "no path to a trust anchor" in out
    status, _, _ = run(capsys, *args, "--untrusted", str(files / "intermediate.pem"))
    assert status == 0


def test_json_output(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, str(files / "chain.pem"), "--trust", str(files / "root.pem"), "--json"
    )
    data = json.loads(out)
    assert status == 0
    assert data["valid"] is True
    assert {"check", "status", "certificate", "message", "rfc"} <= set(data["checks"][0])
    assert data["path"][0]["subject"] == "CN=login.example.com"
    assert data["candidates"][0]["valid"] is True
    assert data["trust_store"] == "the --trust files given"


def test_at_and_purpose_and_ip(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    client = [str(files / "client.pem"), "--trust", str(files / "client-root.pem")]
    assert run(capsys, *client, "--purpose", "client")[0] == 0
    assert run(capsys, *client)[0] == 1  # a client certificate is not a server certificate
    status, out, _ = run(
        capsys, str(files / "chain.pem"), "--trust", str(files / "root.pem"), "--at", "2099-01-01"
    )
    assert status == 1
    assert "expired" in out
    status, out, _ = run(
        capsys, str(files / "chain.pem"), "--trust", str(files / "root.pem"), "--ip", "192.0.2.1"
    )
    assert status == 1
    assert "192.0.2.1 does not match" in out


def test_crl_revokes(files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = running_example()
    issuer = example.intermediate

    def crl(serials: list[int]) -> Path:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.certificate.subject)
            .last_update(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
            .next_update(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
            .add_extension(x509.CRLNumber(1), critical=False)
        )
        for serial in serials:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
                .build()
            )
        path = tmp_path / f"crl-{len(serials)}.pem"
        signed = builder.sign(issuer.private_key, hashes.SHA256())
        path.write_bytes(signed.public_bytes(serialization.Encoding.PEM))
        return path

    base = [str(files / "chain.pem"), "--trust", str(files / "root.pem")]
    status, out, _ = run(capsys, *base, "--crl", str(crl([])))
    assert status == 0
    assert "✓ pass    revocation" in out
    status, out, _ = run(
        capsys, *base, "--crl", str(crl([example.server.certificate.serial_number]))
    )
    assert status == 1
    assert "REVOKED" in out


def test_default_trust_store_is_named(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, str(files / "chain.pem"))
    assert status == 1  # the book's root is in no platform store
    assert "trust anchors:" in out
    assert "platform trust store" in out or "certifi" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{junk}"], "junk"),
        (["{key}"], "PRIVATE KEY"),
        (["{leaf}", "--trust", "{root}", "--at", "yesterday"], "--at 'yesterday': not an ISO 8601"),
        (["{leaf}", "--trust", "{empty}"], "empty"),
        (["{leaf}", "--trust", "{root}", "--ip", "999.1.1.1"], "not an IPv4 or IPv6"),
        (["{leaf}", "--trust", "{root}", "--host", "10.0.0.1"], "use --ip"),
        (["{leaf}", "--trust", "{root}", "--host", "*.example.com"], "contains a wildcard"),
        (["{leaf}", "--trust", "{root}", "--host", "login..example.com"], "empty label"),
        (["{leaf}", "--host", "a.example", "--ip", "10.0.0.1"], "not allowed with"),
        (["{missing}"], "missing.pem"),
        (["{leaf}", "--trust", "{root}", "--crl", "{leaf}"], "CRL"),
        (["{leaf}", "--trust", "{root}", "--ocsp-response", "{missing}"], "--ocsp-response"),
        (["{leaf}", "--trust", "{root}", "--ocsp-response", "{empty}"], "is empty"),
        (["{leaf}", "--trust", "{root}", "--ocsp-response", "{junk}"], "is not DER"),
        (["{leaf}", "--trust", "{root}", "--ocsp-response", "{root}"], "holds PEM text"),
        (["{leaf}", "--trust", "{root}", "--ocsp-response", "{root_der}"], "a DER certificate"),
        (["{leaf}", "--trust", "{root}", "--revocation", "lenient"], "invalid choice"),
    ],
)
def test_bad_input_exits_2(
    files: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"this is not a certificate\n")
    empty = tmp_path / "empty.pem"
    empty.write_bytes(b"")
    names = {
        "junk": str(junk),
        "key": str(files / "server.key"),
        "leaf": str(files / "chain.pem"),
        "root": str(files / "root.pem"),
        "empty": str(empty),
        "missing": str(tmp_path / "missing.pem"),
        "root_der": str(tmp_path / "root.der"),
    }
    root_der = tmp_path / "root.der"
    root_der.write_bytes(running_example().root.der)
    status, _, err = run(capsys, *(a.format(**names) for a in argv))
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


def test_good_input_beside_each_bad_one(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The passing control: the same flags with well-formed values are accepted.
    status, _, err = run(
        capsys,
        str(files / "chain.pem"),
        "--trust",
        str(files / "root.pem"),
        "--at",
        "2026-03-01T12:00:00Z",
        "--host",
        "login.example.com",
        "--profile",
        "rfc5280",
    )
    assert (status, err) == (0, "")
    status, _, err = run(
        capsys, str(files / "chain.pem"), "--trust", str(files / "root.pem"), "--ip", "192.0.2.1"
    )
    assert status == 1 and err == ""


def test_wildcard_host_is_bad_input_beside_a_host_it_covers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The name asked for is a host name, never a pattern (RFC 9525 6.3): against a
    # *.example.com certificate, --host '*.example.com' is refused in one line, exit 2.
    ex = running_example()
    leaf = ex.intermediate.issue_server("*.example.com", label="cli wildcard")
    chain = tmp_path / "wild.pem"
    chain.write_bytes(leaf.pem.data + ex.intermediate.pem.data)
    root = ex.root.pem.write_to_path(tmp_path / "root.pem")
    status, out, err = run(capsys, str(chain), "--trust", str(root), "--host", "*.example.com")
    assert (status, out) == (2, "")
    assert err.strip() == (
        "pkiviz: error: --host '*.example.com' is not a valid host name: it contains a "
        "wildcard ('*'); the name a client asks for is a host name, never a pattern - only "
        "a certificate's names may hold a wildcard"
    )
    # Control: a host name the wildcard covers is valid against the same files.
    status, out, err = run(capsys, str(chain), "--trust", str(root), "--host", "a.example.com")
    assert (status, err) == (0, "")
    assert "a.example.com matches the SAN entry DNS:*.example.com" in out


# -- revocation: OCSP response files, fetching, the policy ----------------------


BOOK_AT = ["--at", BOOK_CLOCK.isoformat()]


def test_default_time_is_now_not_the_book_clock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = CA.root("cli clock root")
    leaf = root.issue_server(
        "clock.example.com",
        not_before=BOOK_CLOCK - dt.timedelta(days=30),
        not_after=BOOK_CLOCK + dt.timedelta(days=30),
    )
    (tmp_path / "root.pem").write_bytes(root.pem.bytes())
    (tmp_path / "leaf.pem").write_bytes(leaf.pem.bytes())
    base = [str(tmp_path / "leaf.pem"), "--trust", str(tmp_path / "root.pem"), "--json"]
    status, out, _ = run(capsys, *base, *BOOK_AT)
    assert status == 0  # control: valid at the book clock
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    status, out, _ = run(capsys, *base)
    after = dt.datetime.now(dt.UTC)
    at = dt.datetime.fromisoformat(json.loads(out)["at"].replace("Z", "+00:00"))
    assert before <= at <= after  # the real clock, read while the command ran
    assert status == (0 if at < BOOK_CLOCK + dt.timedelta(days=30) else 1)


def _revocation_rows(out: str) -> list[dict[str, object]]:
    return [c for c in json.loads(out)["checks"] if c["check"] == "revocation"]


def test_ocsp_response_files(
    files: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = running_example()
    at = dt.datetime(2026, 2, 27, tzinfo=dt.UTC)
    impostor = CA.root("cli impostor", subject=example.intermediate.spec.subject)
    responses = {
        "good": build_ocsp_response(example.intermediate, example.server),
        "revoked": build_ocsp_response(
            example.intermediate, example.server, status="revoked", revoked_at=at
        ),
        "forged": build_ocsp_response(example.intermediate, example.server, responder=impostor),
    }
    for name, response in responses.items():
        (tmp_path / f"{name}.der").write_bytes(response.der)
    # A damaged response is a revocation finding (exit 1), not bad input.
    (tmp_path / "junk.der").write_bytes(responses["good"].der[:40])
    base = [str(files / "chain.pem"), "--trust", str(files / "root.pem"), "--json", *BOOK_AT]
    expected = {
        "good": (0, "pass", "good: the response signed by"),
        "revoked": (1, "fail", "REVOKED on 2026-02-27"),
        "forged": (1, "fail", "does not verify with the public key"),
        "junk": (1, "fail", "not a DER OCSPResponse"),
    }
    for name, (code, state, text) in expected.items():
        status, out, err = run(capsys, *base, "--ocsp-response", str(tmp_path / f"{name}.der"))
        leaf = _revocation_rows(out)[0]
        assert (status, leaf["status"], err) == (code, state, ""), name
        assert text in str(leaf["message"]), leaf


def test_fetch_revocation_from_the_responder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = running_example()
    (tmp_path / "root.pem").write_bytes(example.root.pem.bytes())
    (tmp_path / "root.crl").write_bytes(build_crl(example.root).der)
    with Responder(example.intermediate, at=BOOK_CLOCK) as served:
        leaf = served.issue_server("cli-fetch.example.com")
        (tmp_path / "chain.pem").write_bytes(leaf.pem.bytes() + example.intermediate.pem.bytes())
        base = [str(tmp_path / "chain.pem"), "--trust", str(tmp_path / "root.pem"), "--json"]
        base += BOOK_AT  # the responder answers for the book clock
        status, out, _ = run(capsys, *base)  # control: without the flag nothing is asked
        assert status == 0 and served.requests == 0
        assert _revocation_rows(out)[0]["status"] == "skipped"
        status, out, _ = run(capsys, *base, "--fetch-revocation")
        assert status == 0 and served.requests == 1
        assert "[OCSP from http://127.0.0.1:" in str(_revocation_rows(out)[0]["message"])
        served.revoke(leaf, at=BOOK_CLOCK - dt.timedelta(days=1), reason="key_compromise")
        status, out, _ = run(capsys, *base, "--fetch-revocation")
        assert status == 1
        assert str(_revocation_rows(out)[0]["message"]).startswith("REVOKED on 2026-02-28")
        served.behaviour = "http_error"
        status, out, _ = run(capsys, *base, "--fetch-revocation")
        assert status == 0  # soft-fail: the revocation goes unseen
        assert "Soft-fail (revocation_policy='soft')" in str(_revocation_rows(out)[0]["message"])
        hard = [*base, "--fetch-revocation", "--revocation", "hard"]
        status, out, _ = run(capsys, *hard, "--crl", str(tmp_path / "root.crl"))
        assert status == 1
        assert "Hard-fail (revocation_policy='hard')" in str(_revocation_rows(out)[0]["message"])
        served.behaviour = "ok"  # control: hard-fail with an answer for every certificate
        good = served.issue_server("cli-fetch-good.example.com")
        (tmp_path / "good.pem").write_bytes(good.pem.bytes() + example.intermediate.pem.bytes())
        status, out, _ = run(
            capsys,
            str(tmp_path / "good.pem"),
            *base[1:],
            *hard[len(base) :],
            "--crl",
            str(tmp_path / "root.crl"),
        )
        assert status == 0, out


def test_a_chain_given_as_trust_is_trusted_as_is_and_said(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = str(files / "chain.pem")
    status, out, _ = run(capsys, chain, "--trust", chain, "--host", "login.example.com", *BOOK_AT)
    assert status == 0 and "note: the trust anchor used, CN=login.example.com" in out
    root = str(files / "root.pem")
    status, out, _ = run(capsys, chain, "--trust", root, "--host", "login.example.com", *BOOK_AT)
    assert status == 0 and "note:" not in out  # control: a self-signed root


def test_no_note_about_an_anchor_when_no_path_reached_one(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The missing-intermediate scenario: the leaf alone, the root as --trust; no path,
    # so no anchor was used and nothing may be said about one (the path is just the leaf).
    leaf, root = str(files / "server.pem"), str(files / "root.pem")
    status, out, _ = run(capsys, leaf, "--trust", root, "--host", "login.example.com", *BOOK_AT)
    assert status == 1 and "✗ FAIL    chain-of-trust: no path to a trust anchor" in out
    assert "note:" not in out and "trust anchor used" not in out
    # Control: the same leaf with the intermediate (not a root) as --trust reaches it,
    # so the note about the non-root anchor used still appears.
    intermediate = str(files / "intermediate.pem")
    status, out, _ = run(
        capsys, leaf, "--trust", intermediate, "--host", "login.example.com", *BOOK_AT
    )
    assert status == 0
    assert "note: the trust anchor used, CN=Example Trust TLS CA 2026" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ROOT"], "LEAF: that looks like PEM text, not a file name: give the file's path, "
         "or pipe it: pkiviz validate - --trust ROOT < FILE"),
        (["chain.pem", "--trust", "ROOT"], "--trust: that looks like PEM text, not a file name: "
         "give the file's path, or pipe it: pkiviz validate LEAF --trust - < FILE"),
        ([""], "LEAF: the file name is empty"),
        (["chain.pem", "--trust", ""], "--trust: the file name is empty"),
        (["chain.pem", "--untrusted", ""], "--untrusted: the file name is empty"),
        (["chain.pem", "--trust", "root.pem", "--crl", ""], "--crl: the file name is empty"),
        (["chain.pem", "--trust", "root.pem", "--ocsp-response", ""],
         "--ocsp-response: the file name is empty"),
    ],
)  # fmt: skip
def test_pem_text_or_an_empty_name_is_named_by_its_option(
    files: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    root_pem = (files / "root.pem").read_text()
    argv = [root_pem if a == "ROOT" else str(files / a) if a.endswith(".pem") else a for a in argv]
    status, out, err = run(capsys, *argv)
    assert (status, out, err) == (2, "", f"pkiviz: error: {message}\n")
    # control: the files themselves validate
    status, _, _ = run(capsys, str(files / "chain.pem"), "--trust", str(files / "root.pem"))
    assert status == 0
