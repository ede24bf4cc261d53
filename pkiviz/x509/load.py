"""Loading real certificates, keys and CRLs from files or bytes, with one-line errors.

This is the one place pkiviz calls cryptography's parsers on user input.
Everything a user might hand in - PEM (one block or a bundle such as
certifi's ``cacert.pem``), DER, a path or bytes - comes through here, and
anything unusable becomes an :class:`~pkiviz.errors.InputError` whose message
names the input and the problem, e.g. ``"server.pem: holds a PRIVATE KEY, not
a certificate"``.

PEM follows RFC 7468: text before a ``-----BEGIN`` line is explanatory and
ignored (section 2; certifi puts ``# Issuer:`` comments there), the END label
must match the BEGIN label, and the body must be valid base64. pkiviz is
stricter than RFC 7468 in one way: after the last END line only whitespace
may follow, so a truncated or concatenated-with-junk file is reported.

Non-positive serial numbers: RFC 5280 4.1.2.2 requires a positive serial,
but a few trusted roots (six in certifi's bundle) have serial 0. They load
without cryptography's deprecation warning (see :mod:`pkiviz.x509.parse`),
because such a certificate is real and worth inspecting;
:func:`pkiviz.x509.anatomy.anatomy` reports the serial as a note instead.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import select
import stat
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from pkiviz._display import shown
from pkiviz.errors import InputError
from pkiviz.x509.der import children, read_single
from pkiviz.x509.parse import parse_der_certificate, quiet_serial_warning

#: Largest input accepted, checked from the file size before reading.
MAX_BYTES = 10 * 1024 * 1024

CERTIFICATE_LABELS = frozenset({"CERTIFICATE", "X509 CERTIFICATE"})
PRIVATE_KEY_LABELS = frozenset(
    {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"}
)
CRL_LABELS = frozenset({"X509 CRL"})
_ENCRYPTED_LABELS = frozenset({"ENCRYPTED PRIVATE KEY"})

_BEGIN = re.compile(rb"-----BEGIN ([^\r\n-]*)-----[ \t]*\r?\n")
_END = re.compile(rb"-----END ([^\r\n-]*)-----")
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\r\n]{16,}")

Source = str | os.PathLike[str] | bytes


class _Block(NamedTuple):
    """One encoded object: its PEM label (or the kind guessed for DER) and its DER."""

    label: str
    der: bytes
    pem: bool
    encrypted: bool


def from_argument(
    argument: str, *, label: str = "", pipe: str = "pkiviz inspect - < FILE"
) -> tuple[Source, str]:
    """A command-line file argument as (source, name): ``-`` is standard input.

    Standard input is read here, up to the size limit, so the loaders see bytes
    named ``stdin``; any other argument is a path, named as typed (a byte that
    is not UTF-8 shown as ``\\xNN``, see :func:`pkiviz._display.shown`).

    Args:
        argument: the path the user typed, or ``-``.
        label: the option it was given to (``"--trust"``), to begin the messages
            about an argument that is no file name at all.
        pipe: how to pipe a file to this argument, for the message when the
            argument is the PEM text itself (``"$(cat cert.pem)"``).

    Returns:
        What to pass to a loader as ``source`` and ``what``.

    Raises:
        InputError: the argument is empty or PEM text, or standard input is over
            the size limit.
    """
    prefix = f"{label}: " if label else ""
    if not argument:
        raise InputError(f"{prefix}the file name is empty")
    if "-----BEGIN" in argument:
        raise InputError(
            f"{prefix}that looks like PEM text, not a file name: give the file's path, "
            f"or pipe it: {pipe}"
        )
    if argument != "-":
        return argument, shown(argument)
    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError(f"stdin: more than the {_MIB} limit")
    return data, "stdin"


def load_certificates(source: Source, *, what: str | None = None) -> tuple[x509.Certificate, ...]:
    """Load one or more certificates: PEM, a PEM bundle, or DER.

    PEM blocks that are not certificates (a private key in the same file,
    say) are skipped as long as at least one certificate is present.

    Args:
        source: a path (``str`` or path-like) or the file's bytes.
        what: names the input in error messages; defaults to the path, or
            ``"input"`` for bytes.

    Returns:
        The certificates in file order.

    Raises:
        InputError: if the input cannot be read or holds no certificate, or
            a certificate in it cannot be parsed.
    """
    name, data = _read(source, what)
    blocks = _with_pkcs7_unpacked(_blocks(data, name), name)
    certs = [b for b in blocks if b.label in CERTIFICATE_LABELS]
    if not certs:
        raise InputError(f"{name}: {_holds(blocks, 'certificate')}")
    out = []
    for index, block in enumerate(certs, start=1):
        where = name if len(certs) == 1 else f"{name}: certificate {index} of {len(certs)}"
        out.append(_parse_certificate(block.der, where))
    return tuple(out)


def _with_pkcs7_unpacked(blocks: list[_Block], name: str) -> list[_Block]:
    """Replace each PKCS#7 certificate bundle (.p7b, PEM or DER) by its certificates.

    PKCS#7 keeps certificates in a DER ``SET OF``, which has no meaningful order
    (RFC 2315 9.1), so they come out in the set's order, not necessarily leaf first.
    """
    from cryptography.hazmat.primitives.serialization import pkcs7

    out: list[_Block] = []
    for block in blocks:
        if block.label not in ("PKCS7", "PKCS #7 SIGNED DATA"):
            out.append(block)
            continue
        try:
            with quiet_serial_warning():
                certs = pkcs7.load_der_pkcs7_certificates(block.der)
        except ValueError as exc:
            raise InputError(f"{name}: cannot read the PKCS#7 bundle ({_short(exc)})") from None
        if not certs:
            raise InputError(f"{name}: the PKCS#7 bundle holds no certificates")
        out += [
            _Block("CERTIFICATE", c.public_bytes(serialization.Encoding.DER), block.pem, False)
            for c in certs
        ]
    return out


def load_certificate(source: Source, *, what: str | None = None) -> x509.Certificate:
    """Load exactly one certificate (PEM or DER).

    Args:
        source: a path or bytes.
        what: names the input in error messages.

    Returns:
        The certificate.

    Raises:
        InputError: as :func:`load_certificates`, and if the input holds
            more than one certificate.
    """
    certs = load_certificates(source, what=what)
    if len(certs) != 1:
        name, _ = _name_of(source, what)
        raise InputError(f"{name}: holds {len(certs)} certificates, expected exactly one")
    return certs[0]


def load_private_key(source: Source, *, what: str | None = None) -> PrivateKeyTypes:
    """Load one unencrypted private key: PEM or DER; PKCS#8, PKCS#1 (RSA) or SEC1 (EC).

    Args:
        source: a path or bytes.
        what: names the input in error messages.

    Returns:
        The cryptography private key object.

    Raises:
        InputError: if the input holds no private key, several, an
            encrypted one, or one cryptography cannot parse.
    """
    name, data = _read(source, what)
    blocks = _blocks(data, name)
    keys = [b for b in blocks if b.label in PRIVATE_KEY_LABELS | _ENCRYPTED_LABELS]
    if not keys:
        raise InputError(f"{name}: {_holds(blocks, 'private key')}")
    if len(keys) > 1:
        raise InputError(f"{name}: holds {len(keys)} private keys, expected exactly one")
    key = keys[0]
    if key.encrypted or key.label in _ENCRYPTED_LABELS:
        raise InputError(
            f"{name}: the private key is encrypted; pkiviz reads unencrypted keys only "
            "(decrypt a copy with 'openssl pkey -in KEY -out PLAIN')"
        )
    try:
        return serialization.load_der_private_key(key.der, password=None)
    except TypeError:  # cryptography: "Password was not given but private key is encrypted"
        raise InputError(f"{name}: the private key is encrypted") from None
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InputError(f"{name}: cannot parse the private key ({_short(exc)})") from None


def load_crl(source: Source, *, what: str | None = None) -> x509.CertificateRevocationList:
    """Load one certificate revocation list (PEM ``X509 CRL`` or DER).

    Args:
        source: a path or bytes.
        what: names the input in error messages.

    Returns:
        The CRL.

    Raises:
        InputError: if the input holds no CRL, several, or one cryptography
            cannot parse.
    """
    name, crls = _crls(source, what)
    if len(crls) > 1:
        raise InputError(f"{name}: holds {len(crls)} CRLs, expected exactly one")
    return crls[0]


def load_crls(
    source: Source, *, what: str | None = None
) -> tuple[x509.CertificateRevocationList, ...]:
    """Load every CRL in a file: one DER CRL, or one or more PEM ``X509 CRL`` blocks.

    A PEM bundle of CRLs is what ``curl --crlfile`` and ``openssl verify
    -CRLfile`` read (one CRL per CA in the chain).

    Args:
        source: a path or bytes.
        what: names the input in error messages.

    Returns:
        The CRLs, in file order.

    Raises:
        InputError: if the input holds no CRL or one cryptography cannot parse
            (numbered from 1 when there are several).
    """
    return _crls(source, what)[1]


def _crls(
    source: Source, what: str | None
) -> tuple[str, tuple[x509.CertificateRevocationList, ...]]:
    name, data = _read(source, what)
    blocks = _blocks(data, name)
    crls = [b for b in blocks if b.label in CRL_LABELS]
    if not crls:
        raise InputError(f"{name}: {_holds(blocks, 'CRL')}")
    out = []
    for number, block in enumerate(crls, 1):
        try:
            out.append(x509.load_der_x509_crl(block.der))
        except ValueError as exc:
            which = f"CRL {number} of {len(crls)}" if len(crls) > 1 else "the CRL"
            raise InputError(f"{name}: cannot parse {which} ({_short(exc)})") from None
    return name, tuple(out)


def as_certificate(obj: object, *, what: str | None = None) -> x509.Certificate:
    """Accept what a chapter is likely to hold and return the certificate.

    Args:
        obj: a cryptography certificate, anything with a ``certificate``
            attribute holding one (such as :class:`pkiviz.x509.factory.Issued`),
            or PEM/DER bytes of exactly one certificate.
        what: names the input in error messages.

    Returns:
        The certificate.

    Raises:
        InputError: for bytes that are not exactly one certificate.
        TypeError: for any other type.
    """
    if isinstance(obj, x509.Certificate):
        return obj
    inner = getattr(obj, "certificate", None)
    if isinstance(inner, x509.Certificate):
        return inner
    if isinstance(obj, bytes | bytearray | memoryview):
        return load_certificate(bytes(obj), what=what)
    raise TypeError(f"need a certificate, an Issued or bytes, not {type(obj).__name__}")


# --- reading ---------------------------------------------------------------


def _name_of(source: Source, what: str | None) -> tuple[str, Path | None]:
    if isinstance(source, bytes | bytearray | memoryview):
        return (what or "input"), None
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        return (what or shown(path)), path
    raise TypeError(f"need a path or bytes, not {type(source).__name__}")


def _read(source: Source, what: str | None) -> tuple[str, bytes]:
    """Return (name for messages, bytes), refusing anything that is not a small file."""
    if isinstance(source, bytes | bytearray | memoryview):
        name = what or "input"
        data = bytes(source)
        if len(data) > MAX_BYTES:
            raise InputError(f"{name}: {len(data)} bytes is over the {_MIB} limit")
    elif isinstance(source, str) and source.lstrip().startswith("-----BEGIN"):
        raise InputError(f"{what or 'input'}: is PEM text, not a path; pass it as bytes")
    elif isinstance(source, str) and not source:
        # Path("") is ".", the current directory: say what is really wrong.
        raise InputError(f"{what}: the file name is empty" if what else "a file name is empty")
    else:
        name, path = _name_of(source, what)
        assert path is not None
        data = _read_file(path, name)
    if not data.strip():
        raise InputError(f"{name}: is empty" if not data else f"{name}: holds only whitespace")
    return name, data


_MIB = f"{MAX_BYTES // (1024 * 1024)} MiB"


def read_file(
    path: str | os.PathLike[str], *, what: str | None = None, limit: int = MAX_BYTES
) -> bytes:
    """Read a file a user named, as the loaders do: bounded, and never blocking for good.

    For a file that is not a certificate, key or CRL (an OCSP response, a CT log
    list): a regular file over ``limit`` is refused from its size before
    anything is read; a FIFO, pipe or device is read until end of file, more
    than ``limit`` bytes, or :data:`STREAM_TIMEOUT` seconds without data.

    Args:
        path: the path the user gave.
        what: names the input in error messages; defaults to the path.
        limit: the largest size accepted, in bytes.

    Returns:
        The bytes (possibly none: an empty file is the caller's to judge).

    Raises:
        InputError: the path is empty, missing, a directory, unreadable, over
            ``limit``, or silent for :data:`STREAM_TIMEOUT` seconds.
    """
    if not os.fspath(path):
        raise InputError(f"{what}: the file name is empty" if what else "a file name is empty")
    return _read_file(Path(path), what or shown(path), limit)


def _read_file(path: Path, name: str, limit: int = MAX_BYTES) -> bytes:
    size = _size_text(limit)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    except ValueError:  # os.stat: "embedded null byte"; no file name can hold one
        raise InputError(f"{name}: a file name cannot hold a NUL byte") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{name}: is a directory, not a file")
    if stat.S_ISREG(info.st_mode) and info.st_size > limit:
        raise InputError(f"{name}: {info.st_size} bytes is over the {size} limit")
    try:
        if stat.S_ISREG(info.st_mode):
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        else:  # a pipe, a FIFO or a device: no size, and it may never send anything
            data = _read_stream(path, name, limit)
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None
    if len(data) > limit:
        raise InputError(f"{name}: more than the {size} limit")
    return data


def _size_text(limit: int) -> str:
    """``10 MiB`` for a whole number of MiB, else ``1500 bytes``."""
    mib = 1024 * 1024
    return f"{limit // mib} MiB" if limit % mib == 0 else f"{limit} bytes"


#: How long a pipe or device may stay silent before pkiviz gives up on it.
STREAM_TIMEOUT = 10.0


def _read_stream(path: Path, name: str, limit: int = MAX_BYTES) -> bytes:
    """Read a FIFO, pipe or device without ever blocking for good.

    Opened non-blocking (opening a FIFO with no writer would otherwise wait
    for one), then read until end of file, more than ``limit`` bytes, or
    :data:`STREAM_TIMEOUT` seconds without data.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            readable, _, _ = select.select([fd], [], [], STREAM_TIMEOUT)
            if not readable:
                raise InputError(
                    f"{name}: nothing arrived for {STREAM_TIMEOUT:g} s "
                    "(a pipe or device with no writer?)"
                )
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


# --- recognising -------------------------------------------------------------


def _blocks(data: bytes, name: str) -> list[_Block]:
    if b"-----BEGIN" in data:
        return _pem_blocks(data, name)
    if data[:1] == b"\x30":
        return [_der_block(data, name)]
    if _is_text(data):
        if _BASE64_TEXT.fullmatch(data):
            raise InputError(f"{name}: looks like bare base64 without PEM BEGIN/END lines")
        raise InputError(f"{name}: is text but not PEM (no -----BEGIN line)")
    raise InputError(f"{name}: is neither PEM nor DER (starts with bytes {data[:4].hex(' ')})")


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _pem_blocks(data: bytes, name: str) -> list[_Block]:
    """Split PEM text into blocks (RFC 7468), checking framing and base64."""
    blocks: list[_Block] = []
    pos = 0
    while True:
        start = data.find(b"-----BEGIN", pos)
        if start < 0:
            break
        begin = _BEGIN.match(data, start)
        if begin is None:
            line = data[start : data.find(b"\n", start) if b"\n" in data[start:] else None]
            raise InputError(f"{name}: malformed PEM BEGIN line {_clip(line)}")
        label = _label_of(begin.group(1))
        end_marker = b"-----END " + begin.group(1) + b"-----"
        end = data.find(end_marker, begin.end())
        other = _END.search(data, begin.end())
        next_begin = data.find(b"-----BEGIN", begin.end())
        if other is not None and other.start() != end and not 0 <= next_begin < other.start():
            other_label = _label_of(other.group(1))
            raise InputError(
                f"{name}: PEM block {label} ends with END {other_label}: the END label must "
                "match the BEGIN label (RFC 7468 2)"
            )
        if end < 0:
            raise InputError(f"{name}: PEM block {label} has no END line (truncated?)")
        body = data[begin.end() : end]
        if b"-----BEGIN" in body:
            raise InputError(f"{name}: PEM block {label} has no END line before the next BEGIN")
        encrypted = False
        if b":" in body:  # RFC 1421 headers, e.g. Proc-Type: 4,ENCRYPTED
            head, sep, rest = body.partition(b"\n\n")
            if not sep:
                head, sep, rest = body.partition(b"\r\n\r\n")
            encrypted = b"ENCRYPTED" in head
            body = rest if sep else body
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError(f"{name}: PEM block {label} has bad base64 ({exc})") from None
        if not der:
            raise InputError(f"{name}: PEM block {label} is empty")
        blocks.append(_Block(label, der, True, encrypted))
        pos = end + len(end_marker)
    tail = data[pos:]
    if tail.strip():
        offset = pos + (len(tail) - len(tail.lstrip()))
        raise InputError(f"{name}: trailing data after the last PEM END line (offset {offset})")
    return blocks


#: Longest PEM label shown in full; RFC 7468's are at most 21 characters.
_LABEL_SHOWN = 64


def _label_of(raw: bytes) -> str:
    """A BEGIN or END line's label as text: a byte that is not ASCII as ``\\xNN``,
    and a label too long for a one-line message cut short (no real label is)."""
    label = raw.decode("ascii", "backslashreplace")
    return label if len(label) <= _LABEL_SHOWN else label[: _LABEL_SHOWN - 3] + "..."


def _der_block(data: bytes, name: str) -> _Block:
    """Check DER framing and guess what kind of object it is."""
    read_single(data, what=name)  # raises on truncation or trailing bytes
    with quiet_serial_warning():
        for label, loader in _DER_KINDS:
            try:
                loader(data)
            except TypeError:  # an encrypted private key
                return _Block("ENCRYPTED PRIVATE KEY", data, False, True)
            except (ValueError, UnsupportedAlgorithm, x509.InvalidVersion):
                continue
            return _Block(label, data, False, False)
    if _looks_like_certificate(data):
        return _Block("CERTIFICATE", data, False, False)  # the parser will say why not
    if _is_pkcs7_signed_data(data):
        return _Block("PKCS7", data, False, False)
    if _is_pkcs12(data):
        raise InputError(
            f"{name}: is a PKCS#12 (.p12/.pfx) bundle, which pkiviz does not open (it may "
            "hold a key behind a password); take the certificates out with "
            "'openssl pkcs12 -in FILE -nokeys -out certs.pem'"
        )
    raise InputError(f"{name}: is DER, but not a certificate, key, CSR or CRL")


#: DER of the OIDs that open a PKCS#7 ContentInfo (RFC 2315 7, 14): data, signedData.
_PKCS7_DATA = bytes.fromhex("06092a864886f70d010701")
_PKCS7_SIGNED = bytes.fromhex("06092a864886f70d010702")


def _is_pkcs7_signed_data(data: bytes) -> bool:
    try:
        parts = children(data, read_single(data))
    except InputError:
        return False
    return bool(parts) and parts[0].encoded(data) == _PKCS7_SIGNED


def _is_pkcs12(data: bytes) -> bool:
    """PFX (RFC 7292 4): SEQUENCE { INTEGER 3, ContentInfo { data ... }, ... }."""
    try:
        parts = children(data, read_single(data))
        if len(parts) < 2 or parts[0].encoded(data) != b"\x02\x01\x03":
            return False
        content_type = children(data, parts[1])[0]
    except (InputError, IndexError):
        return False
    return content_type.encoded(data) == _PKCS7_DATA


def _load_key(data: bytes) -> object:
    return serialization.load_der_private_key(data, password=None)


_DER_KINDS: tuple[tuple[str, Callable[[bytes], object]], ...] = (
    ("CERTIFICATE", x509.load_der_x509_certificate),
    ("X509 CRL", x509.load_der_x509_crl),
    ("CERTIFICATE REQUEST", x509.load_der_x509_csr),
    ("PRIVATE KEY", _load_key),
    ("PUBLIC KEY", serialization.load_der_public_key),
)


def _looks_like_certificate(der: bytes) -> bool:
    """A SEQUENCE { SEQUENCE { [0] ... }, SEQUENCE, BIT STRING }: a v3 certificate's shape."""
    from pkiviz.x509.der import children, read_tlv

    try:
        top = read_tlv(der)
        parts = children(der, top)
        return (
            len(parts) == 3
            and parts[0].is_universal(16)
            and parts[2].is_universal(3)
            and bool(children(der, parts[0]))
            and children(der, parts[0])[0].is_context(0)
        )
    except InputError:
        return False


def _parse_certificate(der: bytes, name: str) -> x509.Certificate:
    read_single(der, what=name)
    try:
        return parse_der_certificate(der)
    except ValueError as exc:
        raise InputError(
            f"{name}: cryptography cannot parse the certificate ({_short(exc)})"
        ) from None


def _article(label: str) -> str:
    return "an" if label[:1] in "AEIOU" or label.startswith(("RSA", "X509", "EC ")) else "a"


_CONVERT = {
    "TRUSTED CERTIFICATE": "openssl x509 -in FILE -out cert.pem",
}


def _holds(blocks: list[_Block], wanted: str) -> str:
    labels = [b.label + ("" if b.pem else " (DER)") for b in blocks]
    if len(labels) == 1:
        hint = _CONVERT.get(labels[0]) if wanted == "certificate" else None
        tail = f"; convert it with '{hint}'" if hint else ""
        return f"holds {_article(labels[0])} {labels[0]}, not a {wanted}{tail}"
    if not labels:
        return f"holds no PEM blocks, no {wanted}"
    return f"holds {len(labels)} PEM blocks ({_tally(labels)}) and no {wanted}"


#: Most distinct kinds a message lists; the rest are counted ("and 3 other kinds").
_TALLY_KINDS = 5


def _tally(labels: list[str]) -> str:
    """``X509 CRL, X509 CRL`` for a few blocks; ``200000 x FOO`` for many of one kind.

    A file of thousands of blocks must still give a one-line message of a
    readable length, naming each kind at most once.
    """
    if len(labels) <= _TALLY_KINDS:
        return ", ".join(labels)
    kinds = [f"{n} x {label}" if n > 1 else label for label, n in Counter(labels).items()]
    rest = len(kinds) - _TALLY_KINDS
    if rest > 0:
        kinds = [*kinds[:_TALLY_KINDS], f"and {rest} other kind{'s' if rest > 1 else ''}"]
    return ", ".join(kinds)


def _short(exc: BaseException) -> str:
    return _clip(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 120)


def _clip(text: str | bytes, limit: int = 40) -> str:
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    text = text.strip().replace("\n", " ")
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")
