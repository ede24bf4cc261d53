"""Verifier adapters: pkiviz, pyca/cryptography and ``openssl verify``, one question each.

Each adapter takes the same :class:`~pkiviz.validation.inputs.Inputs` (what a
validation is given) and returns the same :class:`VerifierVerdict` (which
verifier, accepted or not, its own error text, and its raw output where there
is one). Every place that puts pkiviz beside another verifier asks through
here: the differential tests and chapter 4's tables
(:mod:`pkiviz.crosscheck.compare`), the break-it lab and its catalogue
(:mod:`pkiviz.lab.verdicts`) and the x509-limbo runner (:mod:`pkiviz.crosscheck.limbo`).

* :func:`pkiviz_verifier` validates; :func:`verdict_of` reads a report already
  made, so a caller holding one does not validate again.
* :func:`cryptography_verifier` drives ``cryptography.x509.verification``
  (``PolicyBuilder`` -> ``ServerVerifier``/``ClientVerifier``), which follows
  Chrome's Web PKI rules. It has no revocation, EKU, key-usage or profile
  input: those fields of the inputs are not passed (say so where it matters).
* :class:`OpenSSLVerify` runs ``openssl verify`` with the flags its caller
  chooses (``-x509_strict``, ``-auth_level``); time, purpose, peer name and
  CRLs come from the inputs.

This module does I/O: the OpenSSL adapter writes PEM files to a private
temporary directory and starts a process (through
:func:`pkiviz.net.tools.run_tool`). That is why it sits above the validation core,
which starts no process, and not inside it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import verification as xv

from pkiviz import clock
from pkiviz.net.tools import ToolRun, run_tool
from pkiviz.validation.inputs import Inputs
from pkiviz.validation.report import Report
from pkiviz.validation.validator import validate_inputs

VerifierName = Literal["pkiviz", "cryptography", "openssl"]

_OPENSSL_ERROR = re.compile(r"^error (\d+) at (\d+) depth lookup: (.*)$", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class VerifierVerdict:
    """What one verifier said about one set of inputs.

    Attributes:
        verifier: ``"pkiviz"``, ``"cryptography"`` or ``"openssl"``.
        accepted: whether it accepted; ``None`` when the question could not be
            put to it (a name it cannot take, a program not installed).
        error: its own words: pkiviz's first failed check (``"check:
            message"``), cryptography's exception text, OpenSSL's ``error N at
            D depth lookup`` lines as ``"message (error N at depth D)"``
            joined by ``"; "``; or why it could not be asked. ``""`` when
            accepted.
        output: the raw output where there is one (what ``openssl`` printed).
        run: openssl only: the command as run and what it printed.
        report: pkiviz only: the full report.
    """

    verifier: VerifierName
    accepted: bool | None
    error: str = ""
    output: str = ""
    run: ToolRun | None = dataclasses.field(default=None, repr=False, compare=False)
    report: Report | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def reason(self) -> str:
        """The first line of :attr:`error`."""
        return self.error.splitlines()[0] if self.error else ""


# -- pkiviz ------------------------------------------------------------------------


def verdict_of(report: Report) -> VerifierVerdict:
    """pkiviz's verdict read from a report already made (nothing is validated again).

    Args:
        report: a report of :func:`pkiviz.validation.validate`.

    Returns:
        The verdict; ``error`` is the first failed check as ``"check: message"``.
    """
    first = report.first_failure
    error = "" if first is None else f"{first.check}: {first.message}"
    return VerifierVerdict("pkiviz", first is None, error, report=report)


def pkiviz_verifier(inputs: Inputs) -> VerifierVerdict:
    """Validate with pkiviz (:func:`pkiviz.validation.validate_inputs`).

    Args:
        inputs: what to validate; every field is used.

    Returns:
        The verdict, with the report.
    """
    return verdict_of(validate_inputs(inputs))


# -- pyca/cryptography -------------------------------------------------------------


def _subject(inputs: Inputs) -> xv.Subject:
    peer = inputs.peer
    if peer is None:
        return x509.DNSName("")
    if peer.kind == "ip":
        return x509.IPAddress(ipaddress.ip_address(peer.value))
    if peer.kind == "email":
        raise ValueError(
            f"cryptography's server verifier takes a DNS name or an IP address, not {peer.value!r}"
        )
    return x509.DNSName(peer.value)


def cryptography_verifier(inputs: Inputs) -> VerifierVerdict:
    """Verify with ``cryptography.x509.verification`` (its Web PKI policy).

    Passed: leaf, intermediates, trust anchors, time (``None``: now), purpose
    (a server verifier for the peer name, else a client verifier) and
    ``max_chain_depth``. Not passed, because it has no such input: CRLs, OCSP,
    EKU and key-usage overrides, the profile, CT.

    Args:
        inputs: what to verify.

    Returns:
        The verdict. A ``VerificationError`` (or a ``ValueError``/``TypeError``
        while verifying) rejects, with its text as the error; a question it
        cannot take (an empty trust store, an email or malformed peer name)
        is ``accepted=None``, with the exception's text.
    """
    when = clock.wall_clock() if inputs.at is None else inputs.at
    try:
        builder = xv.PolicyBuilder().store(xv.Store(list(inputs.anchor_certificates)))
        builder = builder.time(when)
        if inputs.max_chain_depth is not None:
            builder = builder.max_chain_depth(inputs.max_chain_depth)
        verifier: xv.ServerVerifier | xv.ClientVerifier
        if inputs.purpose == "client":
            verifier = builder.build_client_verifier()
        else:
            verifier = builder.build_server_verifier(_subject(inputs))
    except (ValueError, TypeError) as exc:
        return VerifierVerdict("cryptography", None, str(exc) or type(exc).__name__)
    try:
        verifier.verify(inputs.leaf_certificate, list(inputs.intermediate_certificates))
    except (xv.VerificationError, ValueError, TypeError) as exc:
        return VerifierVerdict("cryptography", False, str(exc) or type(exc).__name__)
    return VerifierVerdict("cryptography", True)


# -- openssl verify ----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class OpenSSLFiles:
    """The PEM file names ``openssl verify`` is pointed at (relative to its directory).

    Attributes:
        anchors: the trust anchors (``-CAfile``).
        untrusted: the untrusted certificates (``-untrusted``); ``None``: none.
        leaf: the certificate to verify (the last argument).
        crls: the CRLs (``-crl_check -CRLfile``), used when the inputs have CRLs.
    """

    anchors: str = "anchors.pem"
    untrusted: str | None = "untrusted.pem"
    leaf: str = "leaf.pem"
    crls: str = "crl.pem"


@dataclasses.dataclass(frozen=True)
class OpenSSLVerify:
    """``openssl verify`` with the flags a caller chooses; call it with :class:`Inputs`.

    The argv is, in order: ``verify``, ``-x509_strict`` (if ``strict``),
    ``-attime``, ``-auth_level`` (if set), ``-purpose sslserver|sslclient``,
    ``-CAfile``, ``-untrusted`` (if any), ``-verify_hostname``/``-verify_ip``/
    ``-verify_email`` for the peer name, ``-crl_check -CRLfile`` (if CRLs), the
    leaf. Not passed: OCSP, EKU and key-usage overrides, the profile, CT,
    ``max_chain_depth``.

    Attributes:
        strict: add ``-x509_strict``.
        auth_level: the TLS security level (``-auth_level``), ``None`` for
            OpenSSL's default (level 0 for ``verify``).
        program: the ``openssl`` to run.
    """

    strict: bool = False
    auth_level: int | None = None
    program: str = "openssl"

    def argv(self, inputs: Inputs, files: OpenSSLFiles = OpenSSLFiles()) -> tuple[str, ...]:
        """The command for ``inputs``, naming ``files`` (relative to where it runs).

        Args:
            inputs: what to verify (time ``None``: now).
            files: the file names.

        Returns:
            The argv, program name first.
        """
        when = clock.wall_clock() if inputs.at is None else inputs.at
        argv = [self.program, "verify"]
        if self.strict:
            argv.append("-x509_strict")
        argv += ["-attime", str(int(when.timestamp()))]
        if self.auth_level is not None:
            argv += ["-auth_level", str(self.auth_level)]
        argv += ["-purpose", "sslclient" if inputs.purpose == "client" else "sslserver"]
        argv += ["-CAfile", files.anchors]
        if files.untrusted is not None:
            argv += ["-untrusted", files.untrusted]
        peer = inputs.peer
        if peer is not None:
            flag = {"dns": "-verify_hostname", "ip": "-verify_ip", "email": "-verify_email"}
            argv += [flag[peer.kind], peer.value]
        if inputs.crls:
            argv += ["-crl_check", "-CRLfile", files.crls]
        argv.append(files.leaf)
        return tuple(argv)

    def __call__(self, inputs: Inputs) -> VerifierVerdict:
        """Write the inputs' certificates and CRLs to a private directory and verify.

        Args:
            inputs: what to verify.

        Returns:
            The verdict (``accepted=None`` if ``openssl`` is not installed).
        """
        files = OpenSSLFiles(untrusted="untrusted.pem" if inputs.intermediates else None)
        with tempfile.TemporaryDirectory(prefix="pkiviz-verify-") as tmp:
            os.chmod(tmp, 0o700)
            folder = Path(tmp)
            _write_pem(folder / files.anchors, inputs.anchor_certificates)
            if files.untrusted is not None:
                _write_pem(folder / files.untrusted, inputs.intermediate_certificates)
            _write_pem(folder / files.leaf, (inputs.leaf_certificate,))
            if inputs.crls:
                (folder / files.crls).write_bytes(
                    b"".join(c.public_bytes(serialization.Encoding.PEM) for c in inputs.crls)
                )
            return self.run_in(inputs, folder, files)

    def run_in(
        self, inputs: Inputs, directory: str | os.PathLike[str], files: OpenSSLFiles
    ) -> VerifierVerdict:
        """Verify with the files already written in ``directory`` (as a chapter's lab does).

        Args:
            inputs: what the files hold (time, purpose, peer name and CRLs
                choose the flags).
            directory: where the files are; the command runs there.
            files: their names.

        Returns:
            The verdict (``accepted=None`` if ``openssl`` is not installed).
        """
        if shutil.which(self.program) is None:
            return VerifierVerdict("openssl", None, f"{self.program} not found")
        run = run_tool(self.argv(inputs, files), cwd=directory)
        if run.ok:
            return VerifierVerdict("openssl", True, output=run.output, run=run)
        errors = [
            f"{message} (error {code} at depth {depth})"
            for code, depth, message in _OPENSSL_ERROR.findall(run.output)
        ]
        lines = run.output.strip().splitlines()
        error = "; ".join(errors) or (lines[0] if lines else f"exit {run.returncode}")
        return VerifierVerdict("openssl", False, error, output=run.output, run=run)


def _write_pem(path: Path, certs: Sequence[x509.Certificate]) -> None:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))


#: ``openssl verify`` as a TLS client on Debian applies it (security level 2).
OPENSSL_TLS = OpenSSLVerify(auth_level=2)

#: ``openssl verify -x509_strict`` (RFC 5280 strictness, OpenSSL's default security level).
OPENSSL_STRICT = OpenSSLVerify(strict=True)


__all__ = [
    "OPENSSL_STRICT",
    "OPENSSL_TLS",
    "OpenSSLFiles",
    "OpenSSLVerify",
    "VerifierVerdict",
    "cryptography_verifier",
    "pkiviz_verifier",
    "verdict_of",
]
