"""``pkiviz inspect FILE [--json] [--map]``: the anatomy of each certificate in a file.

FILE is PEM (one certificate or a bundle such as certifi's ``cacert.pem``)
or DER; ``-`` reads standard input. Text output prints each certificate's
:class:`~pkiviz.x509.anatomy.Anatomy`, then its embedded SCTs (log, log ID, time,
signature algorithm; the log named from :func:`pkiviz.ct.known_logs.bundled_logs`);
``--json`` prints a JSON list with one object per certificate (SCTs under
``"scts"``, always a list; when the SCT list cannot be read it is empty and
``"scts_error"`` says why), in file order - always a list, even for a single
certificate, so scripts never need to check the shape.
"""

from __future__ import annotations

import argparse
import json

from pkiviz.cli import Subcommands

_EPILOG = (
    "With --json the output is always a JSON list with one object per certificate, in file "
    "order, even when FILE holds a single certificate (use jq '.[0]' for the first). "
    "Times are ISO 8601 UTC ending in Z. Exit status: 0 on success, 2 on unreadable input "
    "or bad usage, with a one-line message on standard error."
)


def register(sub: Subcommands) -> None:
    """Add the ``inspect`` subcommand."""
    parser = sub.add_parser(
        "inspect",
        help="show every field of each certificate in a file",
        description="Print the anatomy of each certificate in FILE: subject, issuer, serial, "
        "validity, public key, extensions and the CA's signature. FILE may be PEM, a PEM "
        "bundle or DER; '-' reads standard input.",
        epilog=_EPILOG,
    )
    parser.add_argument("file", metavar="FILE", help="certificate file (PEM, bundle or DER), or -")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list, one object per certificate"
    )
    parser.add_argument(
        "--map",
        action="store_true",
        help="also show the DER byte map (which bytes encode which field)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Load FILE and print the anatomy of each certificate in it."""
    from pkiviz.x509.anatomy import anatomy
    from pkiviz.x509.bytemap import byte_map
    from pkiviz.x509.load import from_argument, load_certificates

    source, what = from_argument(args.file)
    certs = load_certificates(source, what=what)
    if args.json:
        out = []
        for cert in certs:
            data = anatomy(cert).to_json_dict()
            data["scts"], error = _scts(cert)
            if error is not None:
                data["scts_error"] = error
            if args.map:
                data["byte_map"] = [
                    {"name": r.name, "start": r.start, "end": r.end, "depth": r.depth}
                    for r in byte_map(cert).regions
                ]
            out.append(data)
        print(json.dumps(out, indent=2))
        return 0
    blocks = []
    for index, cert in enumerate(certs, start=1):
        text = anatomy(cert).text() + _scts_text(*_scts(cert))
        if len(certs) > 1:
            text = f"# {what}: certificate {index} of {len(certs)}\n{text}"
        if args.map:
            text += "\n\nDER byte map:\n" + byte_map(cert).text()
        blocks.append(text)
    print("\n\n".join(blocks))
    return 0


def _scts(cert: object) -> tuple[list[dict[str, str]], str | None]:
    """The embedded SCTs as JSON-ready dicts (not verified: inspect has no issuer).

    Returns:
        ``(scts, error)``: the SCTs, and why the list could not be read
        (``None`` if it could; the list is then empty). An SCT of a version
        other than v1 gives only ``version`` and ``unsupported``: its other
        fields are not v1's, so no log id or time is shown.
    """
    import base64

    from pkiviz.ct.known_logs import log_name
    from pkiviz.ct.sct import VERSION_V1, embedded_scts
    from pkiviz.errors import InputError
    from pkiviz.x509.anatomy import iso_utc

    try:
        scts = embedded_scts(cert)  # type: ignore[arg-type]
    except InputError as exc:
        return [], f"unreadable: {exc}"
    out = []
    for sct in scts:
        if sct.version != VERSION_V1:
            out.append(
                {
                    "version": f"v{sct.version + 1}",
                    "unsupported": f"unsupported version {sct.version} (RFC 6962 defines v1 = 0)",
                }
            )
            continue
        out.append(
            {
                "log_id": base64.b64encode(sct.log_id).decode(),
                "log_name": log_name(sct.log_id) or "(unknown log)",
                "timestamp": iso_utc(sct.time)[:-1] + f".{sct.timestamp % 1000:03d}Z",
                "signature_algorithm": sct.algorithm,
                "version": f"v{sct.version + 1}",
            }
        )
    return out, None


def _scts_text(scts: list[dict[str, str]], error: str | None) -> str:
    if error is not None:
        return f"\n  Embedded SCTs: {error}"
    if not scts:
        return ""
    lines = [f"\n  Embedded SCTs ({len(scts)}, not verified: that needs the issuer)"]
    for i, sct in enumerate(scts, start=1):
        if "unsupported" in sct:
            lines.append(f"    {i}. {sct['unsupported']}: log id and time not shown")
            continue
        lines.append(f"    {i}. {sct['log_name']}")
        lines.append(f"       log id     {sct['log_id']}")
        lines.append(f"       timestamp  {sct['timestamp']}")
        lines.append(f"       signature  {sct['signature_algorithm']} ({sct['version']})")
    return "\n".join(lines)
