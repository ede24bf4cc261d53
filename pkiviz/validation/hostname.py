"""Matching the peer's name against the leaf: DNS (with wildcards), IP addresses, emails.

The rules are RFC 9525 (which replaced RFC 6125) sections 6.3 (DNS names)
and 6.4 (IP addresses), and the CA/B Forum BRs 7.1.2.7.12: only
subjectAltName counts, never the subject CN (RFC 9525 has no CN-ID; RFC 6125
6.4.4 allowed the CN as a fallback); DNS names compare case-insensitively as
A-labels; a wildcard ``*`` is allowed only as the whole left-most label and
stands for exactly one label; an IP address matches an iPAddress entry byte
for byte, never a dNSName.

The name the client asks for (the reference identifier) is a host name,
never a pattern: wildcards exist only in the certificate's names (RFC 9525
6.3, RFC 6125 6.4.3). :func:`requested_name_problem` says why a requested
DNS name is not one.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Literal

from pkiviz.validation.policy import is_public_suffix

PeerKind = Literal["dns", "ip", "email"]

_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")  # used with fullmatch

#: Longest DNS name in text form, without the trailing dot (RFC 1034 3.1: 255 octets on the wire).
MAX_NAME_LENGTH = 253


@dataclasses.dataclass(frozen=True)
class PeerName:
    """A name to check the leaf against, with its kind made explicit.

    Attributes:
        kind: ``"dns"``, ``"ip"`` or ``"email"``.
        value: the name as given.
    """

    kind: PeerKind
    value: str

    def __post_init__(self) -> None:
        if self.kind not in ("dns", "ip", "email"):
            raise ValueError(f"unknown peer name kind {self.kind!r}; use dns, ip or email")

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, name: str | PeerName) -> PeerName:
        """Guess the kind: an IP literal, an email (contains ``@``), else DNS.

        Args:
            name: the name, or a :class:`PeerName` (returned as is).

        Returns:
            The typed name.
        """
        if isinstance(name, PeerName):
            return name
        text = name.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        try:
            ipaddress.ip_address(text)
        except ValueError:
            return cls("email" if "@" in text else "dns", text)
        return cls("ip", text)


def to_a_label(name: str) -> str | None:
    """Lower-case ASCII (A-label) form of a DNS name, ``None`` if it cannot be encoded."""
    name = name.rstrip(".")
    if name.isascii():
        return name.lower()
    try:
        return name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None


def dns_syntax_problem(name: str, *, wildcard_ok: bool = True) -> str | None:
    """Why ``name`` is not a valid dNSName (RFC 5280 4.2.1.6, RFC 1034 3.5), or ``None``.

    Args:
        name: the dNSName value.
        wildcard_ok: allow a ``*`` as the whole left-most label.

    Returns:
        A reason, or ``None`` if the name is well-formed.
    """
    if not name:
        return "it is empty"
    if name == " ":
        return "it is a single space"
    if not name.isascii():
        return "it contains non-ASCII characters (IDNs must be A-labels, xn--...)"
    labels = name.lower().split(".")
    if labels[-1] == "":
        labels = labels[:-1]
    for i, label in enumerate(labels):
        if label == "*" and i == 0 and wildcard_ok and len(labels) > 1:
            continue
        if "*" in label:
            return f"the wildcard in label {label!r} is not a whole left-most label"
        if not _LABEL.fullmatch(label):
            return f"the label {label!r} is not a valid DNS label (letters, digits, hyphens)"
    return None


def requested_name_problem(name: str) -> str | None:
    """Why ``name`` is not a host name a client can ask for, or ``None`` if it is one.

    The requested name is a host name, never a pattern: ``*`` is refused
    outright (RFC 9525 6.3, RFC 6125 6.4.3), as cryptography's verifier
    refuses it. One trailing dot (the root, ``example.com.``) is allowed;
    an IDN may be given as U-labels and is checked as its A-labels.

    Args:
        name: the DNS name the client asks for, as given.

    Returns:
        A reason that completes "... is not a valid host name: ", or ``None``.
    """
    if not name:
        return "it is empty"
    if "*" in name:
        return (
            "it contains a wildcard ('*'); the name a client asks for is a host name, "
            "never a pattern - only a certificate's names may hold a wildcard"
        )
    body = name[:-1] if name.endswith(".") else name
    if not body.isascii():
        try:
            body = body.encode("idna").decode("ascii")
        except UnicodeError:
            return "it cannot be written in A-labels (xn--...) as an internationalized name"
    if len(body) > MAX_NAME_LENGTH:
        return f"it is {len(body)} characters long; a DNS name has at most {MAX_NAME_LENGTH}"
    for label in body.lower().split("."):
        if not label:
            return "it has an empty label (a leading dot, or two dots in a row)"
        if not _LABEL.fullmatch(label):
            return f"the label {label!r} is not a valid DNS label (letters, digits, hyphens)"
    return None


def match_dns(pattern: str, name: str, *, refuse_public_suffix: bool) -> tuple[bool, str]:
    """Match one SAN dNSName ``pattern`` against the peer's DNS ``name``.

    Args:
        pattern: the dNSName from the certificate (may start with ``*.``).
        name: the peer name, already an A-label in lower case.
        refuse_public_suffix: a wildcard over a public suffix matches nothing.

    Returns:
        (matched, note) - the note explains a near miss, else is empty.
    """
    pat = to_a_label(pattern)
    if pat is None:
        return False, ""
    if pat == name:
        return True, ""
    if not pat.startswith("*."):
        return False, ""
    base = pat[2:]
    if "*" in base or not base:
        return False, ""
    head, sep, rest = name.partition(".")
    if not sep or rest != base or not head:
        return False, ""
    if refuse_public_suffix and is_public_suffix(base):
        return False, f"the wildcard {pattern} would cover the public suffix {base}"
    return True, ""


def match_email(pattern: str, name: str) -> bool:
    """Match an rfc822Name SAN: local part exactly, domain case-insensitively."""
    local, sep, domain = pattern.rpartition("@")
    plocal, psep, pdomain = name.rpartition("@")
    return bool(sep and psep) and local == plocal and domain.lower() == pdomain.lower()


def canonical_ip(text: str) -> str | None:
    """The canonical text of an IP address (dotted decimal, RFC 5952), ``None`` if not one."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
