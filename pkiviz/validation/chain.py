"""The record of one chain to validate, shared by :mod:`.compare` and :mod:`.scenarios`.

Its own module so that the catalogue of broken chains (:mod:`.scenarios`) and the
differential runner (:mod:`.compare`) can each import it without importing each other.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

from cryptography import x509

from pkiviz import clock


@dataclasses.dataclass(frozen=True)
class Chain:
    """One chain to validate.

    Attributes:
        name: what is special about it.
        leaf: the leaf.
        intermediates: untrusted certificates.
        anchors: trust anchors.
        peer_name: DNS name or IP literal to check.
        at: validation time.
        purpose: ``"server"`` or ``"client"``.
    """

    name: str
    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]
    anchors: tuple[x509.Certificate, ...]
    peer_name: str | None
    at: _dt.datetime = clock.BOOK_CLOCK
    purpose: str = "server"
