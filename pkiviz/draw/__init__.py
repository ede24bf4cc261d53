"""Drawings built from pkiviz's data: build the data first, render second.

Each renderer takes ``ax=None`` and returns the matplotlib figure; matplotlib
is imported inside the functions, so ``import pkiviz.draw`` stays light.

Layer 7 (see :mod:`pkiviz`): imports only base, x509, revocation, ct, validation, tls, net,
crosscheck and draw itself.
"""

from __future__ import annotations

from pkiviz.draw.anatomy import anatomy_alt_text, draw_anatomy
from pkiviz.draw.chain import chain_alt_text, draw_chain
from pkiviz.draw.sequence import draw_handshake, sequence_alt_text

__all__ = [
    "anatomy_alt_text",
    "chain_alt_text",
    "draw_anatomy",
    "draw_chain",
    "draw_handshake",
    "sequence_alt_text",
]
