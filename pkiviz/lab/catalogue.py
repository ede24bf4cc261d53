"""The Break-it lab's catalogue: one table of ways to break the running example.

Each :class:`Breakage` says what it breaks and how - as code: a function
from the :func:`~pkiviz.x509.example.running_example` to a
:class:`~pkiviz.lab.breakages.Scenario` (the certificate a client is handed
first, the rest of the chain, the trust anchors, the peer name, the time, the
purpose, the CRLs and the files ``pkiviz scenario NAME DIR`` writes). The
functions live in :mod:`pkiviz.lab.breakages`; this module is the table.

The entry also records which pkiviz check must fail, the badssl.com
subdomain that fails for the same rule, the x509-limbo cases that exercise
it, and what OpenSSL and curl say (``openssl_error``, ``curl_error``).
Those are *expectations*, not verdicts: :func:`pkiviz.lab.verdicts.catalogue_table`
runs the tools, and the tests check every recorded word against them.

Every entry is broken both at the book clock (2026-03-01) and against the real
clock (until 2040, when ``not-yet-valid`` starts being valid and the CRLs run
out), so the files stay broken on a reader's machine.

:data:`CT_CATALOGUE` is a second table, of Certificate Transparency breakages
(:mod:`pkiviz.lab.ct_breakages`), reachable by name like the first
(``pkiviz scenario ct-one-sct DIR``, ``pkiviz serve ct-one-sct``). It is kept
apart because its verdicts need a CT policy that the first table's verifiers
do not apply (the validator's CT check is off by default, as in RFC 5280) and
that OpenSSL, curl and cryptography do not implement at all: every CT entry is
accepted by all three, which the table records and the tests check. Its
control is ``ct-valid``.
"""

from __future__ import annotations

import dataclasses
import functools
import html
from collections.abc import Callable
from typing import Any

from pkiviz.lab import breakages, ct_breakages
from pkiviz.lab.breakages import FILE_ORDER, Scenario
from pkiviz.x509.example import RunningExample, running_example


@dataclasses.dataclass(frozen=True)
class Breakage:
    """One row of the catalogue.

    Attributes:
        id: the scenario name (``pkiviz scenario ID DIR``).
        title: a short human title.
        breaks: what is changed and how, in one line.
        make: the change, as code: running example -> :class:`Scenario`.
        expected_check: the pkiviz check that must fail first; ``None`` for
            the control and when no certificate reaches the validator.
        also_fails: further pkiviz checks that fail (path building checks
            signatures, so a bad one fails ``chain-of-trust`` first).
        badssl: the badssl.com subdomain that fails for the same rule.
        limbo_ids: x509-limbo cases that exercise the same rule.
        openssl_error: what ``openssl verify`` prints (a substring of its
            error line); ``None``: OpenSSL accepts (or, with no certificate
            to verify, cannot be asked).
        cryptography_note: why cryptography's verifier accepts or cannot be
            asked; ``None``: it rejects.
        curl_error: a substring of curl's error against ``pkiviz serve``;
            ``None``: curl gets HTTP 200 (or the entry cannot be served).
        curl_exit: curl's exit status (0: accepted).
        serve_note: why ``pkiviz serve`` cannot serve it; ``None``: it can.
        note: anything else a reader should know.
        sct_status: CT entries: the status one of its SCTs gets
            (:data:`pkiviz.ct.verify.STATUSES`), ``None`` if every SCT verifies.
        audit: a check outside the validator that must fail: ``"inclusion"``
            (:func:`pkiviz.lab.ct_breakages.audit_inclusion`), the log audit.
    """

    id: str
    title: str
    breaks: str
    make: Callable[[RunningExample], Scenario] = dataclasses.field(repr=False, compare=False)
    expected_check: str | None
    also_fails: tuple[str, ...] = ()
    badssl: str | None = None
    limbo_ids: tuple[str, ...] = ()
    openssl_error: str | None = None
    cryptography_note: str | None = None
    curl_error: str | None = None
    curl_exit: int = 0
    serve_note: str | None = None
    note: str = ""
    sct_status: str | None = None
    audit: str | None = None

    def scenario(self) -> Scenario:
        """Build this entry's scenario from the deterministic running example (cached)."""
        return _build_scenario(self.id)

    @property
    def badssl_url(self) -> str | None:
        """``https://<subdomain>.badssl.com/``, if badssl.com has one."""
        return None if self.badssl is None else f"https://{self.badssl}.badssl.com/"

    def text(self) -> str:
        """One line: the id, then what it breaks."""
        return f"{self.id}\t{self.breaks}"

    def __str__(self) -> str:
        return self.text()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def _repr_html_(self) -> str:
        return f"<p><code>{html.escape(self.id)}</code>: {html.escape(self.breaks)}</p>"


_SSL_PROBLEM = "SSL certificate problem: "

#: The catalogue, the control first.
CATALOGUE: tuple[Breakage, ...] = (
    Breakage(
        "valid",
        "Nothing broken: the control",
        "nothing: login.example.com under Example Trust TLS CA 2026 and the root",
        breakages.valid,
        expected_check=None,
        badssl="ecc256",
        limbo_ids=("pathlen::ee-with-intermediate-pathlen-0", "webpki::san::exact-dns-san"),
    ),
    Breakage(
        "expired",
        "Expired certificate",
        "leaf validity set to 2024-06-01..2025-06-01, over before the book clock and today",
        breakages.expired,
        expected_check="validity",
        badssl="expired",
        limbo_ids=("rfc5280::validity::expired-leaf",),
        openssl_error="certificate has expired",
        curl_error=_SSL_PROBLEM + "certificate has expired",
        curl_exit=60,
    ),
    Breakage(
        "not-yet-valid",
        "Not yet valid",
        "leaf notBefore set to 2040-01-01, after the book clock and today",
        breakages.not_yet_valid,
        expected_check="validity",
        limbo_ids=(
            "rfc5280::validity::not-yet-valid-1-second",
            "rfc5280::validity::not-yet-valid-5-seconds",
        ),
        openssl_error="certificate is not yet valid",
        curl_error=_SSL_PROBLEM + "certificate is not yet valid",
        curl_exit=60,
    ),
    Breakage(
        "wrong-host",
        "Wrong host name",
        "leaf issued for www.example.org (CN and SAN) instead of login.example.com",
        breakages.wrong_host,
        expected_check="hostname",
        badssl="wrong.host",
        limbo_ids=("webpki::san::mismatch-domain-san",),
        openssl_error="hostname mismatch",
        curl_error="no alternative certificate subject name matches target host name",
        curl_exit=60,
    ),
    Breakage(
        "self-signed",
        "Self-signed certificate",
        "the leaf signed by its own key instead of the CA's, sent alone",
        breakages.self_signed,
        expected_check="chain-of-trust",
        badssl="self-signed",
        openssl_error="self-signed certificate",
        curl_error=_SSL_PROBLEM + "self-signed certificate",
        curl_exit=60,
        note="x509-limbo has no case of a self-signed leaf presented on its own",
    ),
    Breakage(
        "untrusted-root",
        "Untrusted root",
        "a complete chain (root included) from Untrusted Root CA, which root.pem is not",
        breakages.untrusted_root,
        expected_check="chain-of-trust",
        badssl="untrusted-root",
        limbo_ids=("rfc5280::chain-untrusted-root",),
        openssl_error="self-signed certificate in certificate chain",
        curl_error=_SSL_PROBLEM + "self-signed certificate in certificate chain",
        curl_exit=60,
    ),
    Breakage(
        "missing-intermediate",
        "Missing intermediate",
        "chain.pem holds the leaf only: the server forgot Example Trust TLS CA 2026",
        breakages.missing_intermediate,
        expected_check="chain-of-trust",
        badssl="incomplete-chain",
        limbo_ids=("webpki::cryptographydotio-chain-missing-intermediate",),
        openssl_error="unable to get local issuer certificate",
        curl_error=_SSL_PROBLEM + "unable to get local issuer certificate",
        curl_exit=60,
    ),
    Breakage(
        "chain-out-of-order",
        "Chain out of order",
        "chain.pem = intermediate then leaf, so the CA's certificate is presented as the server's",
        breakages.chain_out_of_order,
        expected_check="hostname",
        limbo_ids=("webpki::ca-as-leaf",),
        openssl_error="hostname mismatch",
        serve_note=(
            "Python's ssl refuses to load it, as nginx and Apache do: the first certificate "
            "of chain.pem must match server.key (key values mismatch)"
        ),
        note=(
            "only the first certificate's place matters: clients reorder the rest (RFC 8446 4.4.2)"
        ),
    ),
    Breakage(
        "revoked",
        "Revoked certificate",
        "leaf listed on Example Trust TLS CA 2026's CRL (keyCompromise), given as crl.pem",
        breakages.revoked,
        expected_check="revocation",
        badssl="revoked",
        limbo_ids=("crl::revoked-certificate-with-crl",),
        openssl_error="certificate revoked",
        cryptography_note=(
            "cryptography.x509.verification takes no CRLs and does not check revocation"
        ),
        curl_error=_SSL_PROBLEM + "certificate revoked",
        curl_exit=60,
        note="OpenSSL and curl check it only when given the CRL (-CRLfile, --crlfile)",
    ),
    Breakage(
        "wrong-eku",
        "Wrong extended key usage",
        "leaf EKU is clientAuth only, presented by a server",
        breakages.wrong_eku,
        expected_check="extended-key-usage",
        limbo_ids=("rfc5280::eku::ee-wrong-eku",),
        openssl_error="unsuitable certificate purpose",
        curl_error=_SSL_PROBLEM + "unsuitable certificate purpose",
        curl_exit=60,
    ),
    Breakage(
        "intermediate-not-ca",
        "Intermediate is not a CA",
        "Example Trust TLS CA 2026 re-issued (same name and key) with basicConstraints CA:FALSE",
        breakages.intermediate_not_ca,
        expected_check="basic-constraints",
        limbo_ids=("rfc5280::intermediate-ca-without-ca-bit",),
        openssl_error="invalid CA certificate",
        curl_error=_SSL_PROBLEM + "invalid CA certificate",
        curl_exit=60,
    ),
    Breakage(
        "path-length-exceeded",
        "Path length exceeded",
        "a further CA below Example Trust TLS CA 2026, whose pathLenConstraint is 0",
        breakages.path_length_exceeded,
        expected_check="path-length",
        limbo_ids=("pathlen::intermediate-violates-pathlen-0",),
        openssl_error="path length constraint exceeded",
        curl_error=_SSL_PROBLEM + "path length constraint exceeded",
        curl_exit=60,
    ),
    Breakage(
        "name-constraints-violated",
        "Name constraints violated",
        "Example Trust TLS CA 2026 re-issued with nameConstraints permitting only example.net",
        breakages.name_constraints_violated,
        expected_check="name-constraints",
        limbo_ids=("rfc5280::nc::permitted-dns-mismatch",),
        openssl_error="permitted subtree violation",
        curl_error=_SSL_PROBLEM + "permitted subtree violation",
        curl_exit=60,
    ),
    Breakage(
        "tampered-signature",
        "Tampered certificate",
        "leaf notAfter edited from 2044 to 2046 after signing; the CA's signature kept",
        breakages.tampered_signature,
        expected_check="chain-of-trust",
        also_fails=("signature",),
        openssl_error="certificate signature failure",
        curl_error="asn1 encoding routines::EVP lib",
        curl_exit=35,
        note=(
            "curl reports OpenSSL's last queued error (the failed signature check's) instead "
            "of the verify result; x509-limbo has no bad signature on an otherwise valid chain"
        ),
    ),
    Breakage(
        "sha1-signature",
        "SHA-1 signature",
        "leaf signed with sha1WithRSAEncryption by an RSA intermediate under the same root",
        breakages.sha1_signature,
        expected_check="chain-of-trust",
        also_fails=("signature", "algorithms"),
        badssl="sha1-intermediate",
        openssl_error="CA signature digest algorithm too weak",
        curl_error=_SSL_PROBLEM + "CA signature digest algorithm too weak",
        curl_exit=60,
        note=(
            "badssl.com's SHA-1 is one level up (the intermediate); x509-limbo has no SHA-1 "
            "case; openssl verify needs -auth_level 2 to apply the TLS security level"
        ),
    ),
    Breakage(
        "rsa-1024",
        "RSA-1024 key",
        "leaf key is RSA 1024 bits (the Baseline Requirements ask for 2048 or more)",
        breakages.rsa_1024,
        expected_check="algorithms",
        limbo_ids=("webpki::forbidden-weak-rsa-in-leaf",),
        openssl_error="EE certificate key too weak",
        cryptography_note=(
            "cryptography's verifier limits signature algorithms and CA keys, "
            "not the leaf's key size"
        ),
        curl_error=_SSL_PROBLEM + "EE certificate key too weak",
        curl_exit=60,
        note="openssl verify needs -auth_level 2 to apply the TLS security level",
    ),
    Breakage(
        "cn-only-no-san",
        "Name in the CN only, no SAN",
        "leaf without subjectAltName: login.example.com only in the subject CN",
        breakages.cn_only_no_san,
        expected_check="hostname",
        limbo_ids=("webpki::san::no-san",),
        note=(
            "OpenSSL and curl still fall back to the CN when there is no SAN; browsers "
            "stopped in 2017 (Chrome 58)"
        ),
    ),
    Breakage(
        "wildcard-misuse",
        "Wildcard misuse",
        "leaf for *.com: a wildcard asked to cover two labels (login.example) of a public suffix",
        breakages.wildcard_misuse,
        expected_check="hostname",
        limbo_ids=(
            "webpki::san::wildcard-match-across-labels-san",
            "webpki::san::public-suffix-wildcard-san",
        ),
        openssl_error="hostname mismatch",
        curl_error="no alternative certificate subject name matches target host name",
        curl_exit=60,
    ),
    Breakage(
        "client-certificate-missing",
        "Client certificate missing (mTLS)",
        "the server requires a client certificate from client-root.pem; the client has none",
        breakages.client_certificate_missing,
        expected_check=None,
        badssl="client-cert-missing",
        cryptography_note="no client certificate reaches a verifier: the TLS layer refuses first",
        curl_error="alert certificate required",
        curl_exit=56,
        note="TLS 1.3 servers refuse with the certificate_required alert (RFC 8446 6.2)",
    ),
)

_CT_TOOLS = "openssl verify, curl and cryptography accept: none of them enforces CT"
_CT_CRYPTOGRAPHY = "cryptography parses SCTs but its verifier never checks them (no CT policy)"
_CT_SERVED = "served with the SCTs embedded: Python's ssl cannot send SCTs in the TLS extension"


def _ct(
    id: str,
    title: str,
    breaks: str,
    make: Callable[[RunningExample], Scenario],
    *,
    expected: str | None = "certificate-transparency",
    sct_status: str | None = None,
    audit: str | None = None,
    badssl_issue: str = "",
) -> Breakage:
    asked = f"; badssl.com issue {badssl_issue} asked for it" if badssl_issue else ""
    return Breakage(
        id,
        title,
        breaks,
        make,
        expected_check=expected,
        cryptography_note=_CT_CRYPTOGRAPHY,
        note=f"{_CT_TOOLS}; {_CT_SERVED}{asked}",
        sct_status=sct_status,
        audit=audit,
    )


#: The Certificate Transparency breakages, judged under Chrome's CT policy; the control first.
CT_CATALOGUE: tuple[Breakage, ...] = (
    _ct(
        "ct-valid",
        "Three good SCTs: the CT control",
        "SCTs from 3 logs of 2 operators (Alder; Birch, Cedar), as Chrome asks for a long lifetime",
        ct_breakages.ct_valid,
        expected=None,
    ),
    _ct(
        "ct-no-scts",
        "No SCTs",
        "the running example's certificate: no SCT embedded, none sent via TLS or OCSP",
        ct_breakages.ct_no_scts,
        badssl_issue="#215",
    ),
    _ct(
        "ct-one-sct",
        "One SCT only",
        "one embedded SCT, from Alder: Chrome asks for 3 distinct logs and 2 operators",
        ct_breakages.ct_one_sct,
        badssl_issue="#275",
    ),
    _ct(
        "ct-unknown-log",
        "SCT from an unknown log",
        "Alder's and Birch's SCTs plus one from a log on no client's list",
        ct_breakages.ct_unknown_log,
        sct_status="unknown-log",
        badssl_issue="#372",
    ),
    _ct(
        "ct-sct-other-certificate",
        "SCT for another certificate",
        "Cedar's SCT for www.example.org copied in beside Alder's and Birch's",
        ct_breakages.ct_sct_other_certificate,
        sct_status="bad-signature",
        badssl_issue="#402",
    ),
    _ct(
        "ct-future-sct",
        "SCT from the future",
        "Cedar's SCT dated 2040-01-01, beside Alder's and Birch's",
        ct_breakages.ct_future_sct,
        sct_status="future-timestamp",
        badssl_issue="#472",
    ),
    _ct(
        "ct-never-included",
        "Log signed but never included",
        "three good SCTs, but Cedar never added the entry to its tree: its inclusion proof fails",
        ct_breakages.ct_never_included,
        expected=None,
        audit="inclusion",
    ),
)

#: Every entry of both tables by id.
BY_ID: dict[str, Breakage] = {b.id: b for b in CATALOGUE + CT_CATALOGUE}


def get(name: str) -> Breakage:
    """Look an entry up by id.

    Args:
        name: an id such as ``"expired"``.

    Returns:
        The entry.

    Raises:
        KeyError: for an unknown id.
    """
    try:
        return BY_ID[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; one of {', '.join(BY_ID)}") from None


@functools.cache
def _build_scenario(name: str) -> Scenario:
    return BY_ID[name].make(running_example())


__all__ = [
    "BY_ID",
    "CATALOGUE",
    "CT_CATALOGUE",
    "FILE_ORDER",
    "Breakage",
    "Scenario",
    "get",
]
