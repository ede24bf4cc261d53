"""The DER byte map: which bytes of a certificate encode which field.

A certificate (RFC 5280 4.1) is one DER SEQUENCE of three things::

    Certificate ::= SEQUENCE {
        tbsCertificate       TBSCertificate,   -- what the CA signs
        signatureAlgorithm   AlgorithmIdentifier,
        signatureValue       BIT STRING }      -- the CA's signature

:func:`byte_map` walks the DER with :mod:`pkiviz.x509.der` and returns a
:class:`ByteMap`: a tuple of :class:`Region` s, parents before children. At
every level the children of a region tile it exactly - the tag and length
octets are a region of their own ("TBSCertificate header (tag+length)") - so
every byte belongs to exactly one leaf. :meth:`ByteMap.tiles` checks that.

The map renders itself as a hex view: as text (offset, hex, region name) and
as HTML (the same rows, coloured by field, with a legend; the names make it
readable without colour).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

from cryptography.hazmat.primitives import serialization

from pkiviz import _html
from pkiviz.errors import InputError
from pkiviz.x509.der import TLV, children, decode_oid, oid_name, read_single
from pkiviz.x509.load import as_certificate

#: Colour of each group in the HTML view (light, so black text stays readable).
GROUP_COLOURS: dict[str, str] = {
    "header": "#e6e6e6",
    "version": "#fff2b3",
    "serialNumber": "#ffd9b3",
    "signature": "#f2d9ff",
    "issuer": "#cce0ff",
    "validity": "#d6f5d6",
    "subject": "#b3e6ff",
    "subjectPublicKeyInfo": "#ffcccc",
    "issuerUniqueID": "#eeeeee",
    "subjectUniqueID": "#eeeeee",
    "extensions": "#e0f0c0",
    "signatureAlgorithm": "#f2d9ff",
    "signatureValue": "#ffb3d9",
}

#: What each field is, with the RFC 5280 section that defines it.
FIELD_DESCRIPTIONS: dict[str, str] = {
    "Certificate": "the whole certificate: TBSCertificate, signatureAlgorithm, signatureValue "
    "(RFC 5280 4.1)",
    "TBSCertificate": "the to-be-signed part: every byte the CA's signature covers "
    "(RFC 5280 4.1.1.1)",
    "version": "certificate version, [0] EXPLICIT INTEGER; 2 means v3 (RFC 5280 4.1.2.1)",
    "serialNumber": "serial number the CA assigned, unique per CA (RFC 5280 4.1.2.2)",
    "signature": "algorithm the CA signed with; must equal signatureAlgorithm (RFC 5280 4.1.2.3)",
    "issuer": "name of the CA that signed this certificate (RFC 5280 4.1.2.4)",
    "validity": "the window in which the CA vouches for the certificate (RFC 5280 4.1.2.5)",
    "notBefore": "start of validity (RFC 5280 4.1.2.5)",
    "notAfter": "end of validity (RFC 5280 4.1.2.5)",
    "subject": "name of the entity the certificate is about (RFC 5280 4.1.2.6)",
    "subjectPublicKeyInfo": "the subject's public key and its algorithm (RFC 5280 4.1.2.7)",
    "algorithm": "public key algorithm and parameters (RFC 5280 4.1.2.7)",
    "subjectPublicKey": "the public key itself, a BIT STRING (RFC 5280 4.1.2.7)",
    "issuerUniqueID": "issuer unique identifier, deprecated (RFC 5280 4.1.2.8)",
    "subjectUniqueID": "subject unique identifier, deprecated (RFC 5280 4.1.2.8)",
    "extensions": "[3] EXPLICIT SEQUENCE OF Extension (RFC 5280 4.1.2.9, 4.2)",
    "signatureAlgorithm": "algorithm of the CA's signature (RFC 5280 4.1.1.2)",
    "signatureValue": "the CA's signature over TBSCertificate, a BIT STRING (RFC 5280 4.1.1.3)",
}


@dataclasses.dataclass(frozen=True)
class Region:
    """A named byte range ``[start, end)`` of the DER.

    Attributes:
        name: what the bytes encode, e.g. ``"serialNumber"`` or
            ``"extension subjectAltName"``.
        start: offset of the first byte.
        end: offset just past the last byte.
        depth: 0 for the whole certificate, 1 for its three parts, 2 for
            the TBS fields, and so on.
        description: one line on what the field is (with its RFC section)
            and how it is encoded here.
        group: the top-level field it belongs to (for colour), or ``"header"``.
    """

    name: str
    start: int
    end: int
    depth: int
    description: str
    group: str = ""

    @property
    def length(self) -> int:
        """Number of bytes."""
        return self.end - self.start

    def contains(self, other: Region) -> bool:
        """Whether ``other`` lies within this region."""
        return self.start <= other.start and other.end <= self.end


@dataclasses.dataclass(frozen=True)
class ByteMap:
    """A certificate's DER with every byte range named. Build with :func:`byte_map`.

    Attributes:
        der: the certificate's DER.
        regions: the regions, parents before children, in byte order.
    """

    der: bytes = dataclasses.field(repr=False)
    regions: tuple[Region, ...]

    def find(self, name: str) -> Region:
        """The first region called ``name``.

        Raises:
            KeyError: if there is none.
        """
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    def bytes_of(self, region: Region | str) -> bytes:
        """The bytes a region covers (give the region or its name)."""
        r = self.find(region) if isinstance(region, str) else region
        return self.der[r.start : r.end]

    def children(self, region: Region) -> tuple[Region, ...]:
        """The regions one level below ``region`` that lie inside it, in byte order."""
        return self._levels.children(region)

    @functools.cached_property
    def _levels(self) -> _Levels:
        """The regions indexed by depth and start, built once per map (see :class:`_Levels`)."""
        return _Levels(self.regions)

    def leaves(self) -> tuple[Region, ...]:
        """The regions with no children: together they cover every byte once."""
        return tuple(r for r in self.regions if not self.children(r))

    def tiling_errors(self) -> tuple[str, ...]:
        """Every way the regions fail to tile the DER (empty if they do).

        Returns:
            One line per problem: a gap, an overlap, an orphan region or a
            root that does not span the DER.
        """
        errors: list[str] = []
        roots = [r for r in self.regions if r.depth == 0]
        if len(roots) != 1 or (roots[0].start, roots[0].end) != (0, len(self.der)):
            errors.append(f"need one depth-0 region spanning [0, {len(self.der)})")
        for region in self.regions:
            if region.length <= 0:
                errors.append(f"{region.name}: empty region [{region.start}, {region.end})")
            if region.depth > 0 and not self._levels.has_parent(region):
                errors.append(f"{region.name}: no parent at depth {region.depth - 1}")
            kids = self.children(region)
            if not kids:
                continue
            pos = region.start
            for kid in sorted(kids, key=lambda r: r.start):
                if kid.start != pos:
                    kind = "gap" if kid.start > pos else "overlap"
                    errors.append(f"{region.name}: {kind} at offset {pos} before {kid.name}")
                pos = kid.end
            if pos != region.end:
                errors.append(f"{region.name}: children end at {pos}, region at {region.end}")
        return tuple(errors)

    def tiles(self) -> bool:
        """Whether the children of every region tile it exactly and the root spans the DER."""
        return not self.tiling_errors()

    def text(self, *, width: int = 16) -> str:
        """The hex view as text: one row per region, leaves with their bytes.

        Args:
            width: bytes per hex line.

        Returns:
            Lines of ``offset  hex  name``; a region with children shows its
            size instead of bytes, and names are indented by depth.
        """
        hex_width = width * 3 - 1
        lines = [f"{'offset':<6}  {'hex':<{hex_width}}  region"]
        for region in self.regions:
            label = "  " * region.depth + region.name
            if self.children(region):
                lines.append(
                    f"{region.start:06x}  {'':<{hex_width}}  {label} ({region.length} bytes)"
                )
                continue
            chunk = self.bytes_of(region)
            for i in range(0, len(chunk), width):
                hexes = chunk[i : i + width].hex(" ")
                name = label if i == 0 else ""
                lines.append(f"{region.start + i:06x}  {hexes:<{hex_width}}  {name}".rstrip())
        return "\n".join(lines)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Show :meth:`text` as the notebook's plain-text output."""
        printer.text(self.text())

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        groups = []
        for region in self.leaves():
            if region.group not in groups:
                groups.append(region.group)
        legend = "".join(_html.swatch(GROUP_COLOURS.get(g, "#fff"), g) for g in groups)
        rows = []
        for region in self.regions:
            label = "&nbsp;" * (2 * region.depth) + _html.escape(region.name)
            if self.children(region):
                hex_cell = f"<i>{region.length} bytes</i>"
                label = f"<b>{label}</b>"
            else:
                colour = GROUP_COLOURS.get(region.group, "#fff")
                chunk = self.bytes_of(region)
                lines = "<br>".join(chunk[i : i + 16].hex(" ") for i in range(0, len(chunk), 16))
                hex_cell = (
                    f'<span style="background:{colour};{_html.MONO}" '
                    f'title="{_html.escape(region.name)}">{lines}</span>'
                )
            rows.append(
                (
                    _html.mono(f"{region.start:06x}"),
                    hex_cell,
                    f'<span style="{_html.MONO}">{label}</span>',
                    _html.escape(region.description),
                )
            )
        table = _html.table(
            rows,
            header=("offset", "bytes (hex)", "region", "what it is"),
            caption=f"DER byte map: {len(self.der)} bytes",
            escaped=True,
        )
        return f"<div><div>{legend}</div>{table}</div>"


class _Levels:
    """The regions of a map grouped by depth and sorted by start, for range queries.

    Built once per map, so rendering or checking a map is O(n log n) in its
    regions, not O(n^2) (a certificate with 5,000 extensions has 25,000). The
    answers are exactly those of scanning every region (any list of regions,
    even one that does not tile), in the order of ``regions``.
    """

    def __init__(self, regions: Sequence[Region]) -> None:
        by_depth: dict[int, list[tuple[int, Region]]] = {}
        for position, region in enumerate(regions):
            by_depth.setdefault(region.depth, []).append((position, region))
        self._levels = {depth: _Level(entries) for depth, entries in by_depth.items()}

    def children(self, region: Region) -> tuple[Region, ...]:
        """The regions at ``region.depth + 1`` that ``region`` contains, in list order."""
        level = self._levels.get(region.depth + 1)
        return () if level is None else level.inside(region)

    def has_parent(self, region: Region) -> bool:
        """Whether some region at ``region.depth - 1`` contains ``region``."""
        level = self._levels.get(region.depth - 1)
        return level is not None and level.any_contains(region)


class _Level:
    """The regions at one depth, sorted by start, with the running maximum of their ends."""

    def __init__(self, entries: list[tuple[int, Region]]) -> None:
        self.entries = sorted(entries, key=lambda e: (e[1].start, e[0]))
        self.starts = [region.start for _, region in self.entries]
        self.max_end: list[int] = []
        for _, region in self.entries:
            self.max_end.append(max(region.end, self.max_end[-1] if self.max_end else region.end))
        # Regions ending before they start (never in a real map) lie inside any region
        # whose end they do not pass, wherever they start: kept aside to stay exact.
        self.inverted = [e for e in self.entries if e[1].start > e[1].end]

    def inside(self, outer: Region) -> tuple[Region, ...]:
        """The regions ``outer`` contains, in list order."""
        lo = bisect.bisect_left(self.starts, outer.start)
        hi = bisect.bisect_right(self.starts, outer.end)
        candidates = self.entries[lo:hi] + [e for e in self.inverted if e[1].start > outer.end]
        return tuple(r for _, r in sorted(candidates) if outer.contains(r))

    def any_contains(self, inner: Region) -> bool:
        """Whether a region here starts at or before ``inner`` and ends at or after it."""
        k = bisect.bisect_right(self.starts, inner.start)
        return k > 0 and self.max_end[k - 1] >= inner.end


def byte_map(cert_or_der: object) -> ByteMap:
    """Name every byte range of a certificate's DER.

    Args:
        cert_or_der: DER bytes (read as they are, even if cryptography would
            refuse them), a cryptography certificate, or anything with a
            ``certificate`` attribute such as :class:`~pkiviz.x509.factory.Issued`.

    Returns:
        The map; ``byte_map(c).bytes_of("TBSCertificate") == c.tbs_certificate_bytes``.

    Raises:
        InputError: if the bytes are not DER shaped like a certificate.
        TypeError: for any other type.
    """
    if isinstance(cert_or_der, bytes | bytearray | memoryview):
        der = bytes(cert_or_der)
    else:
        der = as_certificate(cert_or_der).public_bytes(serialization.Encoding.DER)
    return ByteMap(der, tuple(_Walker(der).walk()))


class _Walker:
    """Turns certificate DER into regions; one instance per map."""

    what = "certificate"

    def __init__(self, der: bytes) -> None:
        self.der = der
        self.out: list[Region] = []

    def fail(self, message: str) -> InputError:
        return InputError(f"{self.what}: not shaped like a certificate: {message}")

    def add(self, name: str, start: int, end: int, depth: int, desc: str, group: str) -> None:
        if end > start:
            self.out.append(Region(name, start, end, depth, desc, group))

    def node(self, name: str, tlv: TLV, depth: int, group: str, detail: str = "") -> None:
        desc = FIELD_DESCRIPTIONS.get(name, name)
        encoding = f"{tlv.tag_name}, {tlv.length} content bytes"
        desc = f"{desc}; {encoding}" + (f"; {detail}" if detail else "")
        self.add(name, tlv.start, tlv.end, depth, desc, group)

    def header(self, name: str, tlv: TLV, depth: int) -> None:
        self.add(
            f"{name} header (tag+length)",
            tlv.start,
            tlv.content_start,
            depth,
            f"{tlv.tag_name} tag and length {tlv.length} of {name}",
            "header",
        )

    def expect(self, tlv: TLV | None, test: Callable[[TLV], bool], field: str, want: str) -> TLV:
        if tlv is None:
            raise self.fail(f"{field} is missing")
        if not test(tlv):
            raise self.fail(f"{field} is {tlv.tag_name} at offset {tlv.start}, expected {want}")
        return tlv

    def kids(self, tlv: TLV) -> tuple[TLV, ...]:
        return children(self.der, tlv, what=self.what)

    def walk(self) -> list[Region]:
        der = self.der
        top = read_single(der, what=self.what)
        self.expect(top, lambda t: t.is_universal(16), "Certificate", "SEQUENCE")
        parts = self.kids(top)
        if len(parts) != 3:
            raise self.fail(f"the outer SEQUENCE has {len(parts)} elements, expected 3")
        tbs, alg, sig = parts
        self.expect(tbs, lambda t: t.is_universal(16), "TBSCertificate", "SEQUENCE")
        self.expect(alg, lambda t: t.is_universal(16), "signatureAlgorithm", "SEQUENCE")
        self.expect(sig, lambda t: t.is_universal(3), "signatureValue", "BIT STRING")
        self.node("Certificate", top, 0, "Certificate")
        self.header("Certificate", top, 1)
        self.node("TBSCertificate", tbs, 1, "TBSCertificate")
        self.header("TBSCertificate", tbs, 2)
        self.tbs_fields(tbs)
        self.node("signatureAlgorithm", alg, 1, "signatureAlgorithm", self.algorithm(alg))
        self.bit_string("signatureValue", sig, 1, "signature bytes", "signatureValue")
        return self.out

    def algorithm(self, tlv: TLV) -> str:
        inner = self.kids(tlv)
        if inner and inner[0].is_universal(6):
            dotted = decode_oid(inner[0].content(self.der))
            return f"{oid_name(dotted)} ({dotted})"
        return "unreadable AlgorithmIdentifier"

    def bit_string(self, name: str, tlv: TLV, depth: int, body: str, group: str) -> None:
        if tlv.length < 1:
            raise self.fail(f"{name} BIT STRING at offset {tlv.start} has no unused-bits octet")
        unused = self.der[tlv.content_start]
        self.node(name, tlv, depth, group)
        self.header(name, tlv, depth + 1)
        self.add(
            f"{name} unused-bits octet",
            tlv.content_start,
            tlv.content_start + 1,
            depth + 1,
            f"number of unused bits in the last octet of {name}: {unused} (X.690 8.6.2)",
            group,
        )
        self.add(
            f"{name} {body}",
            tlv.content_start + 1,
            tlv.end,
            depth + 1,
            f"the {body} of {name}, {tlv.length - 1} bytes",
            group,
        )

    def tbs_fields(self, tbs: TLV) -> None:
        der = self.der
        fields = list(self.kids(tbs))
        pos = 0

        def take(test: Callable[[TLV], bool], field: str, want: str) -> TLV:
            nonlocal pos
            tlv = self.expect(fields[pos] if pos < len(fields) else None, test, field, want)
            pos += 1
            return tlv

        def sequence(t: TLV) -> bool:
            return t.is_universal(16)

        if fields and fields[0].is_context(0):
            version = take(lambda t: t.is_context(0), "version", "[0]")
            inner = self.kids(version)
            number = int.from_bytes(inner[0].content(der), "big") if inner else -1
            self.node("version", version, 2, "version", f"value {number} = v{number + 1}")
        serial = take(lambda t: t.is_universal(2), "serialNumber", "INTEGER")
        value = int.from_bytes(serial.content(der), "big", signed=True)
        self.node("serialNumber", serial, 2, "serialNumber", f"value 0x{value:x}")
        alg = take(sequence, "signature", "SEQUENCE")
        self.node("signature", alg, 2, "signature", self.algorithm(alg))
        issuer = take(sequence, "issuer", "SEQUENCE")
        self.node("issuer", issuer, 2, "issuer")
        validity = take(sequence, "validity", "SEQUENCE")
        self.node("validity", validity, 2, "validity")
        self.header("validity", validity, 3)
        times = self.kids(validity)
        if len(times) != 2:
            raise self.fail(f"validity has {len(times)} elements, expected 2")
        for name, when in zip(("notBefore", "notAfter"), times, strict=True):
            text = when.content(der).decode("ascii", "replace")
            self.node(name, when, 3, "validity", f"value {text}")
        subject = take(sequence, "subject", "SEQUENCE")
        self.node("subject", subject, 2, "subject")
        spki = take(sequence, "subjectPublicKeyInfo", "SEQUENCE")
        self.node("subjectPublicKeyInfo", spki, 2, "subjectPublicKeyInfo")
        self.header("subjectPublicKeyInfo", spki, 3)
        spki_parts = self.kids(spki)
        if len(spki_parts) != 2 or not spki_parts[1].is_universal(3):
            raise self.fail("subjectPublicKeyInfo is not SEQUENCE { algorithm, BIT STRING }")
        key_alg, key_bits = spki_parts
        self.node("algorithm", key_alg, 3, "subjectPublicKeyInfo", self.algorithm(key_alg))
        self.bit_string("subjectPublicKey", key_bits, 3, "key bytes", "subjectPublicKeyInfo")
        for number, name in ((1, "issuerUniqueID"), (2, "subjectUniqueID")):
            if pos < len(fields) and fields[pos].is_context(number):
                self.node(name, take(lambda t: True, name, ""), 2, name)
        if pos < len(fields):
            exts = take(lambda t: t.is_context(3), "extensions", "[3]")
            self.extensions(exts)
        if pos != len(fields):
            raise self.fail(f"unexpected {fields[pos].tag_name} at offset {fields[pos].start}")

    def extensions(self, wrapper: TLV) -> None:
        inner = self.kids(wrapper)
        if len(inner) != 1 or not inner[0].is_universal(16):
            raise self.fail("extensions [3] does not hold one SEQUENCE")
        seq = inner[0]
        self.node("extensions", wrapper, 2, "extensions")
        self.add(
            "extensions [3] header (tag+length)",
            wrapper.start,
            wrapper.content_start,
            3,
            f"[3] EXPLICIT tag and length {wrapper.length}",
            "header",
        )
        self.add(
            "Extensions SEQUENCE header (tag+length)",
            seq.start,
            seq.content_start,
            3,
            f"SEQUENCE OF Extension tag and length {seq.length}",
            "header",
        )
        for ext in self.kids(seq):
            parts = self.kids(ext)
            if not parts or not parts[0].is_universal(6):
                raise self.fail(f"extension at offset {ext.start} does not start with an OID")
            dotted = decode_oid(parts[0].content(self.der))
            name = oid_name(dotted)
            critical = len(parts) == 3 and parts[1].content(self.der) != b"\x00"
            label = f"extension {name}"
            self.node(
                label,
                ext,
                3,
                "extensions",
                f"{dotted}, {'critical' if critical else 'not critical'} (RFC 5280 4.2)",
            )
            self.header(label, ext, 4)
            roles = (
                ("extnID", "critical", "extnValue") if len(parts) == 3 else ("extnID", "extnValue")
            )
            if len(parts) != len(roles):
                raise self.fail(f"extension {dotted} has {len(parts)} elements")
            for role, part in zip(roles, parts, strict=True):
                self.add(
                    f"{name} {role}",
                    part.start,
                    part.end,
                    4,
                    f"{role} of {name}: {part.tag_name}, {part.length} content bytes",
                    "extensions",
                )
