"""The verifier adapters give what the direct drivers they replace gave.

``_old_*`` below are the drivers as they were written in ``pkiviz.lab.verdicts``,
``pkiviz.crosscheck.compare`` and ``pkiviz.crosscheck.limbo`` before the adapters: each
test runs both on the same question and wants the same answer, on every
catalogue entry, every differential chain and a slice of x509-limbo. Each has
a control that shows the question can tell verdicts apart.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification as xv

from pkiviz.clock import BOOK_CLOCK
from pkiviz.crosscheck import compare as differential
from pkiviz.crosscheck import limbo
from pkiviz.crosscheck.verifiers import (
    OPENSSL_STRICT,
    OPENSSL_TLS,
    VerifierVerdict,
    cryptography_verifier,
    pkiviz_verifier,
    verdict_of,
)
from pkiviz.lab import verdicts
from pkiviz.lab.catalogue import CATALOGUE, CT_CATALOGUE, Breakage, Scenario, get
from pkiviz.net.tools import run_tool
from pkiviz.validation import Inputs, validate
from pkiviz.validation import scenarios as chains
from pkiviz.validation.chain import Chain
from pkiviz.x509.example import running_example

EX = running_example()
NEEDS_OPENSSL = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")
ENTRIES = [e for e in (*CATALOGUE, *CT_CATALOGUE) if e.scenario().leaf is not None]


# -- the drivers as they were ------------------------------------------------------


def _old_lab_cryptography(s: Scenario) -> tuple[bool | None, str]:
    builder = xv.PolicyBuilder().store(xv.Store(list(s.anchors))).time(s.at)
    assert s.leaf is not None
    try:
        if s.purpose == "server":
            assert s.peer_name is not None
            builder.build_server_verifier(x509.DNSName(s.peer_name)).verify(
                s.leaf, list(s.intermediates)
            )
        else:
            builder.build_client_verifier().verify(s.leaf, list(s.intermediates))
    except xv.VerificationError as exc:
        return False, str(exc) or type(exc).__name__
    return True, ""


def _old_lab_openssl(s: Scenario) -> tuple[tuple[str, ...], bool, str]:
    server = s.purpose == "server"
    argv = ["openssl", "verify", "-attime", str(int(s.at.timestamp())), "-auth_level", "2"]
    argv += ["-purpose", "sslserver" if server else "sslclient"]
    argv += ["-CAfile", "root.pem" if server else "client-root.pem", "-untrusted", "chain.pem"]
    if s.peer_name is not None:
        argv += ["-verify_hostname", s.peer_name]
    if s.crls:
        argv += ["-crl_check", "-CRLfile", "crl.pem"]
    argv.append("server.pem" if server else "client.pem")
    with tempfile.TemporaryDirectory() as tmp:
        s.write_to(tmp)
        run = run_tool(argv, cwd=tmp)
    found = re.findall(r"^error (\d+) at (\d+) depth lookup: (.*)$", run.output, re.MULTILINE)
    errors = [f"{m} (error {c} at depth {d})" for c, d, m in found]
    error = "" if run.ok else "; ".join(errors) or run.output.strip().splitlines()[0]
    return tuple(argv), run.ok, error


def _old_compare_cryptography(chain: Chain) -> tuple[bool, str]:
    try:
        builder = xv.PolicyBuilder().store(xv.Store(list(chain.anchors))).time(chain.at)
        if chain.purpose == "client":
            builder.build_client_verifier().verify(chain.leaf, list(chain.intermediates))
        else:
            name = chain.peer_name or ""
            try:
                subject: xv.Subject = x509.IPAddress(ipaddress.ip_address(name))
            except ValueError:
                subject = x509.DNSName(name)
            builder.build_server_verifier(subject).verify(chain.leaf, list(chain.intermediates))
    except (xv.VerificationError, ValueError, TypeError) as exc:
        return False, str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return True, ""


def _old_compare_openssl(chain: Chain) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory() as tmp:

        def write(name: str, certs: Any) -> str:
            path = Path(tmp) / name
            path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
            return str(path)

        args = ["openssl", "verify", "-x509_strict", "-attime", str(int(chain.at.timestamp()))]
        args += ["-purpose", "sslclient" if chain.purpose == "client" else "sslserver"]
        args += ["-CAfile", write("anchors.pem", chain.anchors)]
        if chain.intermediates:
            args += ["-untrusted", write("untrusted.pem", chain.intermediates)]
        if chain.peer_name:
            try:
                ipaddress.ip_address(chain.peer_name)
                args += ["-verify_ip", chain.peer_name]
            except ValueError:
                args += ["-verify_hostname", chain.peer_name]
        args.append(write("leaf.pem", [chain.leaf]))
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    if done.returncode == 0:
        return True, ""
    lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "error" in ln.lower()]
    return False, (lines[0] if lines else f"exit {done.returncode}").strip()


# -- the catalogue (the lab's verdicts) ----------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_catalogue_cryptography_and_pkiviz_as_before(entry: Breakage) -> None:
    scenario = entry.scenario()
    said = verdicts.cryptography_verdict(scenario)
    assert (said.accepted, said.error) == _old_lab_cryptography(scenario)
    ours = verdicts.pkiviz_verdict(scenario)
    report = validate(
        scenario.leaf,  # type: ignore[arg-type]
        intermediates=scenario.intermediates,
        trust_anchors=scenario.anchors,
        peer_name=scenario.peer_name,
        at=scenario.at,
        purpose=scenario.purpose,
        crls=scenario.crls,
        ct_policy=scenario.ct_policy,
        ct_logs=scenario.ct_logs,
    )
    first = report.first_failure
    assert ours.accepted is report.valid
    assert ours.error == ("" if first is None else f"{first.check}: {first.message}")


@NEEDS_OPENSSL
@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_catalogue_openssl_as_before(entry: Breakage) -> None:
    scenario = entry.scenario()
    argv, ok, error = _old_lab_openssl(scenario)
    assert verdicts.openssl_argv(scenario) == argv
    said = verdicts.openssl_verdict(scenario)
    assert (said.accepted, said.error) == (ok, error)


@NEEDS_OPENSSL
def test_catalogue_verdicts_tell_entries_apart() -> None:
    # control: the comparisons above are not vacuous
    good, expired = get("valid").scenario(), get("expired").scenario()
    for ask in (verdicts.cryptography_verdict, verdicts.openssl_verdict, verdicts.pkiviz_verdict):
        assert ask(good).accepted is True
        assert ask(expired).accepted is False and ask(expired).error


# -- the differential chains (chapter 4) ---------------------------------------------


@NEEDS_OPENSSL
@pytest.mark.parametrize("name", list(chains.CATALOGUE))
def test_differential_chains_as_before(name: str) -> None:
    chain = chains.CATALOGUE[name]()
    assert differential.cryptography_verdict(chain) == _old_compare_cryptography(chain)
    assert differential.openssl_verdict(chain) == _old_compare_openssl(chain)


def test_differential_control_and_missing_openssl() -> None:
    chain = chains.make_chain("none")
    assert differential.cryptography_verdict(chain) == (True, "")
    assert differential.openssl_verdict(chain, openssl="/nonexistent/openssl")[0] is None


# -- x509-limbo ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limbo_slice() -> list[dict[str, Any]]:
    if not limbo.DEFAULT_LIMBO.exists():
        pytest.skip(f"x509-limbo not found at {limbo.DEFAULT_LIMBO}")
    cases = limbo.load_cases()
    return cases[::40]  # about 250 cases across every namespace


def _old_limbo_cryptography(case: dict[str, Any]) -> tuple[str, str]:
    if case.get("crls"):
        return "SKIPPED", "CRLs given: cryptography.x509.verification has no revocation input"
    peer = case.get("expected_peer_name")
    server = case["validation_kind"] == "SERVER"
    subject: xv.Subject | None = None
    if server:
        if not peer or peer["kind"] not in ("DNS", "IP"):
            return "SKIPPED", "server validation needs a DNS or IP peer name"
        if peer["kind"] == "DNS":
            subject = x509.DNSName(peer["value"])
        else:
            subject = x509.IPAddress(ipaddress.ip_address(peer["value"]))
    try:
        (leaf,) = limbo._certs([case["peer_certificate"]])
        intermediates = limbo._certs(case["untrusted_intermediates"])
        builder = xv.PolicyBuilder().store(xv.Store(limbo._certs(case["trusted_certs"])))
        builder = builder.time(limbo._time_of(case))
        if case.get("max_chain_depth") is not None:
            builder = builder.max_chain_depth(case["max_chain_depth"])
        if server:
            assert subject is not None
            builder.build_server_verifier(subject).verify(leaf, intermediates)
        else:
            builder.build_client_verifier().verify(leaf, intermediates)
    except (xv.VerificationError, ValueError, TypeError) as exc:
        return "FAILURE", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return "SUCCESS", ""


def test_limbo_cryptography_as_before(limbo_slice: list[dict[str, Any]]) -> None:
    outcomes = [(limbo.run_cryptography(c), _old_limbo_cryptography(c)) for c in limbo_slice]
    assert all(new == old for new, old in outcomes)
    # control: the slice has both verdicts and skips, so agreeing means something
    assert {new[0] for new, _ in outcomes} == {"SUCCESS", "FAILURE", "SKIPPED"}


# -- one record in, one record out ---------------------------------------------------


@NEEDS_OPENSSL
def test_every_adapter_takes_inputs_and_gives_a_verdict() -> None:
    good = Inputs(
        EX.server,
        intermediates=[EX.intermediate],
        trust_anchors=[EX.root],
        peer_name="login.example.com",
        at=BOOK_CLOCK,
    )
    wrong_name = Inputs(
        EX.server,
        intermediates=[EX.intermediate],
        trust_anchors=[EX.root],
        peer_name="other.example.net",
        at=BOOK_CLOCK,
    )
    for ask in (pkiviz_verifier, cryptography_verifier, OPENSSL_TLS, OPENSSL_STRICT):
        yes, no = ask(good), ask(wrong_name)
        assert isinstance(yes, VerifierVerdict) and (yes.accepted, yes.error) == (True, "")
        assert no.accepted is False and no.error and no.reason == no.error.splitlines()[0]
    strict = OPENSSL_STRICT(good).run
    assert strict is not None and "-x509_strict" in strict.argv
    report = validate(good.leaf, intermediates=good.intermediates, trust_anchors=good.trust_anchors)
    assert verdict_of(report).report is report  # read from a report: nothing validated again


def test_openssl_adapter_without_the_program() -> None:
    missing = dataclasses.replace(OPENSSL_TLS, program="/nonexistent/openssl")
    said = missing(Inputs(EX.server, trust_anchors=[EX.root], at=BOOK_CLOCK))
    assert said.accepted is None and "not found" in said.error


def test_cryptography_adapter_cannot_take_an_email_or_an_empty_store() -> None:
    email = Inputs(EX.server, trust_anchors=[EX.root], peer_name="a@example.com", at=BOOK_CLOCK)
    assert cryptography_verifier(email).accepted is None
    empty = Inputs(EX.server, peer_name="login.example.com", at=BOOK_CLOCK)
    assert cryptography_verifier(empty).accepted is None
    # control: a DNS name and a trust store can be asked
    asked = Inputs(EX.server, trust_anchors=[EX.root], peer_name="login.example.com", at=BOOK_CLOCK)
    assert cryptography_verifier(asked).accepted is not None
