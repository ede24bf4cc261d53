"""``pkiviz probe HOST[:PORT]``: capture a real handshake with any TLS server and explain it.

Prints the TLS version, cipher, the server's chain, pkiviz's validation report,
the handshake messages, the server's handshake signature verified
independently, and whether (and from which CAs) a client certificate was
requested. With ``--cert FILE --key FILE`` it presents that client certificate
if asked and reports whether the server accepted it, including a TLS 1.3
rejection that arrives as an alert after the handshake: the probe listens
after the handshake for max(3 round trips, 50 ms), measured on the
connection, and stops as soon as the server sends anything. It says whether
the server requires a client certificate (``client_auth``: required,
optional, not requested or unknown, with the evidence); a connection that
presented one cannot tell, so the probe then connects once more without one.
``--keylog FILE`` writes the connection's TLS secrets in the NSS key log
format (as SSLKEYLOGFILE; created with mode 0600: anyone holding it can read
the traffic); ``--pcap FILE`` writes the connection as a pcapng file with the
key log embedded (also 0600), recorded by a relay on 127.0.0.1 that the probe
connects through, so Wireshark or ``tshark -r FILE`` shows it decrypted.

``--json`` prints one JSON object with at least these keys: ``tls_version``,
``cipher``, ``chain``, ``validation``, ``handshake`` (list of
``{"from", "type", ...}``), ``server_signature`` (``message``, ``scheme``,
``verified``, ...), ``client_certificate_requested``,
``acceptable_client_ca_names`` (RFC 4514), ``requested_signature_algorithms``,
``client_certificate_offered`` (subject or null), ``client_certificate_sent``,
``client_certificate_accepted`` (true, false, or null if none was sent) and
``server_alert`` (``level``, ``description``, ``code``, ``after_handshake``;
or null), ``client_auth`` (``verdict``, ``evidence``, ``connections``) and
``listening`` (``rtt``, ``planned``, ``listened``, ``ended``, in seconds),
``keylog_file`` and ``pcap_file`` (the paths written, or null). An
error is ``{"error": "..."}``, with exit status 2.

Exit status: 0 handshake completed, server signature verified and chain valid
(and the client certificate, if sent, accepted); 1 something failed, a
required client certificate missing included (the report says what); 2 the
server could not be reached or does not speak TLS, or an argument or a file
given is unusable (a one-line message on standard error).
"""

from __future__ import annotations

import argparse
import json

from pkiviz.cli import Subcommands


def _plain(paragraph: str) -> str:
    """A docstring paragraph for --help: one line, without reST markup."""
    return " ".join(paragraph.replace("``", "").split())


_PARAGRAPHS = (__doc__ or "").split("\n\n")
_DESCRIPTION = _plain(_PARAGRAPHS[0])
_EPILOG = _plain(next(p for p in _PARAGRAPHS if p.startswith("Exit status:")))


def register(sub: Subcommands) -> None:
    """Add the ``probe`` subcommand."""
    parser = sub.add_parser(
        "probe",
        help="capture a TLS handshake with a server and verify it independently",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    parser.add_argument(
        "target",
        metavar="HOST[:PORT]",
        help="server to probe: HOST:PORT, HOST (port 443), [IPv6]:PORT or an https:// URL",
    )
    parser.add_argument(
        "--servername",
        metavar="NAME",
        help="host name to send as SNI and to validate (default HOST; not an IP address)",
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="FILE",
        help=(
            "trust anchors (PEM/DER); repeatable; default the machine's trust store, "
            "as for pkiviz validate"
        ),
    )
    parser.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="seconds per step (default 5)"
    )
    parser.add_argument(
        "--cert", metavar="FILE", help="client certificate (PEM, leaf first) to present if asked"
    )
    parser.add_argument("--key", metavar="FILE", help="the client certificate's private key (PEM)")
    parser.add_argument(
        "--wait",
        type=float,
        default=None,
        metavar="S",
        help="listen exactly S seconds after the handshake for a late alert (0: not at all); "
        "default: max(3 measured round trips, 0.05 s), ending when the server sends anything",
    )
    parser.add_argument(
        "--crl",
        action="append",
        default=[],
        metavar="FILE",
        help="CRLs for the revocation check: DER, or PEM with one or more (repeatable); "
        "without them revocation is not checked",
    )
    parser.add_argument(
        "--keylog",
        metavar="FILE",
        help="write the connection's TLS secrets to FILE (NSS key log format, mode 0600)",
    )
    parser.add_argument(
        "--pcap",
        metavar="FILE",
        help="write the connection to FILE as pcapng with its key log embedded (mode 0600), "
        "for Wireshark or tshark",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Probe the server and print the result."""
    from pkiviz.errors import PkivizError
    from pkiviz.net.probe import parse_target, probe

    try:
        host, port = parse_target(args.target)
        result = probe(
            host,
            port,
            servername=args.servername,
            trust=args.trust,
            timeout=args.timeout,
            cert=args.cert,
            key=args.key,
            wait=args.wait,
            crls=args.crl,
            keylog=args.keylog,
            pcap=args.pcap,
        )
    except PkivizError as exc:
        if args.json:  # a script reading standard output gets a JSON document, errors too
            print(json.dumps({"error": str(exc)}, indent=2))
        raise
    if args.json:
        print(json.dumps(result.to_json_dict(), indent=2))
    else:
        print(result.text())
    return 0 if result.ok else 1
