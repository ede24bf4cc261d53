"""``pkiviz validate LEAF``: validate a certificate chain and explain every check.

LEAF may be a bundle: its first certificate is the leaf, the rest are
untrusted intermediates. Without ``--trust`` the platform's trust store is
used, found the way Python's :mod:`ssl` finds it (then certifi), and the
output says which one. Revocation: ``--crl`` and ``--ocsp-response`` files,
or ``--fetch-revocation`` from the URLs in the certificates (over HTTP, by
:func:`pkiviz.revocation.fetch.fetch`, the fetcher this command hands the
validator), judged under
``--revocation soft|hard``; the verdict is the ``revocation`` check.
Certificate Transparency is off unless ``--ct chrome|apple`` asks for that
browser's CT policy, judged with the bundled log list or ``--ct-log-list``
(a v3 ``log_list.json``, as Chrome publishes it). Exit status: 0 valid, 1
invalid, 2 bad input.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import ipaddress
import json
import os

from cryptography import x509

from pkiviz import clock
from pkiviz._display import shown
from pkiviz.cli import Subcommands
from pkiviz.ct.known_logs import KnownLogs
from pkiviz.errors import InputError
from pkiviz.net.trust_store import system_trust_store
from pkiviz.revocation.fetch import fetch
from pkiviz.validation import PeerName, validate
from pkiviz.validation.facts import facts_of
from pkiviz.validation.hostname import requested_name_problem
from pkiviz.x509.load import from_argument, load_certificates, load_crls, read_file


def register(sub: Subcommands) -> None:
    """Add the ``validate`` subcommand."""
    parser = sub.add_parser(
        "validate",
        help="validate a certificate chain and explain every check",
        description="Validate LEAF (a certificate, or a bundle whose first certificate is the "
        "leaf) and print every check with the reason and the RFC section. "
        "Exit 0 if valid, 1 if not, 2 on bad input.",
    )
    parser.add_argument(
        "leaf", metavar="LEAF", help="leaf certificate or bundle (PEM or DER), or - for stdin"
    )
    parser.add_argument(
        "--untrusted",
        action="append",
        default=[],
        metavar="FILE",
        help="untrusted intermediates (repeatable; bundles allowed)",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="FILE",
        help="trust anchors (repeatable); default: the platform's trust store",
    )
    name = parser.add_mutually_exclusive_group()
    name.add_argument("--host", metavar="NAME", help="DNS name the leaf must be valid for")
    name.add_argument("--ip", metavar="ADDR", help="IP address the leaf must be valid for")
    parser.add_argument(
        "--at",
        metavar="ISO8601",
        help="validation time, e.g. 2026-03-01T12:00:00Z; without a zone it is UTC "
        "(default: now; the book's chapters use the book clock, 2026-03-01T12:00:00Z)",
    )
    parser.add_argument(
        "--purpose",
        choices=("server", "client"),
        default="server",
        help="what the leaf must be good for: a TLS server (EKU serverAuth, the default) "
        "or a TLS client (EKU clientAuth, as in mutual TLS)",
    )
    parser.add_argument(
        "--crl",
        action="append",
        default=[],
        metavar="FILE",
        help="CRLs to check: a DER CRL or a PEM file of one or more (repeatable)",
    )
    parser.add_argument(
        "--ocsp-response",
        action="append",
        default=[],
        metavar="FILE",
        help="DER OCSP responses to check (repeatable)",
    )
    parser.add_argument(
        "--fetch-revocation",
        action="store_true",
        help="fetch OCSP, then the CRL, from the URLs in the certificates when the CRLs and "
        "OCSP responses given settle nothing (127.0.0.1 only unless --allow-network)",
    )
    parser.add_argument(
        "--allow-network",
        action="store_true",
        help="let --fetch-revocation reach hosts outside 127.0.0.0/8",
    )
    parser.add_argument(
        "--revocation",
        choices=("soft", "hard"),
        default="soft",
        help="without a revocation answer: soft accepts (as browsers do), hard rejects "
        "(default: soft)",
    )
    parser.add_argument(
        "--profile",
        choices=("browser", "webpki", "rfc5280"),
        default="browser",
        help="browser: what a browser-grade client enforces, CA issuance rules it does not "
        "enforce (CN among the SANs...) reported as findings (default); webpki: those "
        "issuance rules enforced too (the CA/Browser Forum Baseline Requirements); "
        "rfc5280: RFC 5280 alone (SHA-1 signatures are refused under all three)",
    )
    parser.add_argument(
        "--ct",
        choices=("chrome", "apple"),
        help="check Certificate Transparency under Chrome's or Apple's CT policy: enough "
        "verified embedded SCTs from distinct known logs (default: off, as in RFC 5280)",
    )
    parser.add_argument(
        "--ct-log-list",
        metavar="FILE",
        help="the CT logs to trust, as a v3 log_list.json (default: pkiviz's bundled list: "
        "the book's demo logs and two real logs; no substitute for a current list)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(run=run)


def read_log_list(path: str) -> KnownLogs:
    """Read ``--ct-log-list``: a v3 ``log_list.json``.

    Raises:
        InputError: if the file cannot be read (missing, a directory, over the
            loaders' 10 MiB limit, a FIFO silent for 10 s) or is not a v3 log list.
    """
    try:
        os.stat(path)  # a missing file: "cannot read (No such file or directory)", as ever
    except OSError as exc:
        raise InputError(f"{shown(path)}: cannot read ({exc.strerror or exc})") from None
    # bounded, and a FIFO or device that never sends gives up (see read_file)
    data = read_file(path, what=shown(path))
    try:
        return KnownLogs.from_log_list(data)
    except InputError as exc:
        raise InputError(f"{shown(path)}: {exc}") from None


def parse_time(text: str) -> _dt.datetime:
    """Parse ``--at``: ISO 8601, ``Z`` allowed, naive taken as UTC.

    Raises:
        InputError: if ``text`` is not an ISO 8601 time, or one whose offset takes
            it outside the years 1-9999 in UTC.
    """
    try:
        when = _dt.datetime.fromisoformat(
            text.strip().replace("Z", "+00:00").replace("z", "+00:00")
        )
    except ValueError:
        raise InputError(
            f"--at {text!r}: not an ISO 8601 time (try 2026-03-01T12:00:00Z)"
        ) from None
    try:
        return clock.as_utc(when)
    except ValueError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InputError(
            f"--at {text!r}: in UTC that is outside the years 1-9999 a time can hold"
        ) from None


def peer_from(args: argparse.Namespace) -> PeerName | None:
    """The peer name from ``--host`` / ``--ip``.

    Raises:
        InputError: for an IP that does not parse, an IP given to ``--host``, a
            ``--host`` that is not a valid host name (a wildcard, an empty label...):
            the name a client asks for is never a pattern (RFC 9525 6.3), or an
            email address with nothing before the ``@`` or no valid domain after it.
    """
    if args.ip is not None:
        address = _unbracketed(args.ip)
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise InputError(f"--ip {args.ip!r}: not an IPv4 or IPv6 address") from None
        return PeerName("ip", address)
    if args.host is not None:
        host = args.host.strip()
        if not host:
            raise InputError("--host: empty name")
        try:
            ipaddress.ip_address(_unbracketed(host))
        except ValueError:
            pass
        else:
            raise InputError(f"--host {host!r} is an IP address; use --ip {host}")
        if "@" in host:
            local, _, domain = host.rpartition("@")
            problem = requested_name_problem(domain)
            if not local or problem is not None:
                why = "nothing before the '@'" if not local else f"its domain {domain!r}: {problem}"
                raise InputError(f"--host {host!r} is not a valid email address: {why}")
            return PeerName("email", host)
        problem = requested_name_problem(host)
        if problem is not None:
            raise InputError(f"--host {host!r} is not a valid host name: {problem}")
        return PeerName("dns", host)
    return None


def _unbracketed(text: str) -> str:
    """``[::1]`` as ``::1``, as URLs write an IPv6 address; only a matched pair is removed."""
    return text[1:-1] if text.startswith("[") and text.endswith("]") else text


def default_trust_store() -> tuple[tuple[x509.Certificate, ...], str]:
    """The machine's trust store (:func:`pkiviz.net.trust_store.system_trust_store`), as a pair.

    Returns:
        (certificates, a description of where they came from).

    Raises:
        InputError: if no store can be found.
    """
    store = system_trust_store()
    return store.certificates, store.source


def read_ocsp_response(path: str) -> bytes:
    """Read a DER OCSP response file; the validator judges the bytes.

    Raises:
        InputError: if the file cannot be read (a FIFO silent for 10 s included), is
            empty or is over 1 MiB.
    """
    if not path:
        raise InputError("--ocsp-response: the file name is empty")
    name = f"--ocsp-response {shown(path)}"
    # bounded, and a FIFO or device that never sends gives up (see read_file)
    data = read_file(path, what=name, limit=OCSP_MAX_BYTES)
    if not data:
        raise InputError(f"{name}: is empty")
    wrong = _not_an_ocsp_response(data)
    if wrong:
        raise InputError(
            f"{name}: {wrong}, not a DER OCSP response (openssl ocsp -respout FILE writes one)"
        )
    return data


def _not_an_ocsp_response(data: bytes) -> str | None:
    """What the file plainly is instead of an OCSP response, or ``None`` to let the
    validator judge the bytes (a damaged response is a revocation finding, not bad input)."""
    from pkiviz.x509.parse import parse_der_certificate

    if data.lstrip().startswith(b"-----BEGIN"):
        label = data.lstrip()[11:].split(b"-----", 1)[0].decode("ascii", "replace")
        return f"holds PEM text ({label})"
    if data[:1] != b"\x30":
        return "is not DER (a DER OCSP response starts with a SEQUENCE, byte 0x30)"
    try:
        parse_der_certificate(data)
    except ValueError:
        pass
    else:
        return "holds a DER certificate"
    try:
        x509.load_der_x509_crl(data)
    except ValueError:
        return None
    return "holds a DER CRL"


#: Largest OCSP response file read (real ones are a few kilobytes).
OCSP_MAX_BYTES = 1 << 20


def _certificates(argument: str, label: str) -> tuple[x509.Certificate, ...]:
    source, what = from_argument(argument, label=label, pipe=_pipe(label))
    return load_certificates(source, what=what)


def _crls(argument: str) -> tuple[x509.CertificateRevocationList, ...]:
    source, what = from_argument(argument, label="--crl", pipe=_pipe("--crl"))
    return load_crls(source, what=what)


def _pipe(label: str) -> str:
    """How to give this argument a file on standard input."""
    if label == "LEAF":
        return "pkiviz validate - --trust ROOT < FILE"
    return f"pkiviz validate LEAF {label} - < FILE"


def run(args: argparse.Namespace) -> int:
    """Validate and print; 0 valid, 1 invalid (2 via InputError)."""
    # A command-line user validates real certificates now; only the book fixes the clock.
    at = parse_time(args.at) if args.at is not None else clock.wall_clock()
    peer = peer_from(args)
    files = [args.leaf, *args.untrusted, *args.trust, *args.crl]
    if files.count("-") > 1:
        raise InputError("only one of LEAF, --untrusted, --trust and --crl can be - (stdin)")
    bundle = _certificates(args.leaf, "LEAF")
    leaf, intermediates = bundle[0], list(bundle[1:])
    for path in args.untrusted:
        intermediates.extend(_certificates(path, "--untrusted"))
    if args.trust:
        anchors: list[x509.Certificate] = []
        for path in args.trust:
            anchors.extend(_certificates(path, "--trust"))
        store = "the --trust files given"
    else:
        found, store = default_trust_store()
        anchors = list(found)
    crls = [crl for path in args.crl for crl in _crls(path)]
    responses = [read_ocsp_response(path) for path in args.ocsp_response]
    if args.ct_log_list is not None and args.ct is None:
        raise InputError("--ct-log-list needs --ct chrome or --ct apple")
    ct_logs = None if args.ct_log_list is None else read_log_list(args.ct_log_list)
    report = validate(
        leaf,
        intermediates=intermediates,
        trust_anchors=anchors,
        peer_name=peer,
        at=at,
        purpose=args.purpose,
        crls=crls,
        ocsp_responses=responses,
        fetch_revocation=args.fetch_revocation,
        fetcher=fetch if args.fetch_revocation else None,
        allow_network=args.allow_network,
        revocation_policy=args.revocation,
        profile=args.profile,
        ct_policy=args.ct,
        ct_logs=ct_logs,
    )
    if args.json:
        data = report.to_json_dict()
        data["trust_store"] = store
        print(json.dumps(data, indent=2))
    else:
        print(report.text())
        print(f"trust anchors: {len(anchors)} from {store}")
        # Only an anchor the chain of trust reached was used: without a path,
        # report.path[-1] is merely where path building stopped.
        if args.trust and report.path and report.status_of("chain-of-trust") == "pass":
            anchor = facts_of(report.path[-1])  # its names even when they cannot be decoded
            if not anchor.self_issued:
                print(
                    f"note: the trust anchor used, {anchor.label}, is not a "
                    "self-signed root: every certificate in a --trust file is trusted as is "
                    "(RFC 5280 6.1.1 (d)), so a chain file given with --trust trusts its own "
                    "leaf or intermediate (openssl verify needs -partial_chain for that)"
                )
    return 0 if report.valid else 1
