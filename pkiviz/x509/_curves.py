"""Elliptic-curve arithmetic in plain Python ints: P-256, P-384 and Ed25519.

Written to be read, not used: :mod:`pkiviz.x509.signature_schemes` redoes the
ECDSA and Ed25519 verification equations with these functions so a chapter
can show every intermediate number, and compares the outcome with
cryptography's verdict, which is the one that counts. Nothing here is
constant-time; never use it on a secret.

* Short Weierstrass curves ``y^2 = x^3 + ax + b`` over GF(p) (SEC 2 2.4.2,
  2.5.1), affine coordinates, ``None`` for the point at infinity.
* The twisted Edwards curve edwards25519 (RFC 8032 5.1), affine coordinates,
  with the point encoding of RFC 8032 5.1.2 and 5.1.3.
"""

from __future__ import annotations

import dataclasses

# --- short Weierstrass curves (ECDSA) ----------------------------------------------

Point = tuple[int, int] | None
"""An affine point ``(x, y)``, or ``None`` for the point at infinity."""


@dataclasses.dataclass(frozen=True)
class Curve:
    """A short Weierstrass curve ``y^2 = x^3 + ax + b`` over GF(p), with its base point.

    Attributes:
        name: ``"P-256"`` or ``"P-384"``.
        p: the field prime.
        a: the coefficient a.
        b: the coefficient b.
        g: the base point G.
        n: the order of G.
    """

    name: str
    p: int
    a: int
    b: int
    g: tuple[int, int]
    n: int

    def add(self, p1: Point, p2: Point) -> Point:
        """The sum of two points (the chord-and-tangent rule).

        Args:
            p1: a point on the curve.
            p2: another point on the curve (or the same one, to double it).

        Returns:
            ``p1 + p2``; ``None`` for the point at infinity.
        """
        if p1 is None:
            return p2
        if p2 is None:
            return p1
        (x1, y1), (x2, y2) = p1, p2
        if x1 == x2 and (y1 + y2) % self.p == 0:
            return None
        if p1 == p2:
            slope = (3 * x1 * x1 + self.a) * pow(2 * y1, -1, self.p)
        else:
            slope = (y2 - y1) * pow(x2 - x1, -1, self.p)
        x3 = (slope * slope - x1 - x2) % self.p
        return x3, (slope * (x1 - x3) - y1) % self.p

    def mul(self, k: int, point: Point) -> Point:
        """Scalar multiplication ``[k]point`` by double-and-add.

        Args:
            k: a non-negative scalar.
            point: a point on the curve.

        Returns:
            ``[k]point``; ``None`` for the point at infinity.
        """
        result: Point = None
        while k:
            if k & 1:
                result = self.add(result, point)
            point = self.add(point, point)
            k >>= 1
        return result


_P256 = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P384 = 2**384 - 2**128 - 2**96 + 2**32 - 1

CURVES: dict[str, Curve] = {
    "secp256r1": Curve(
        "P-256",
        _P256,
        _P256 - 3,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
        (
            0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
            0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
        ),
        0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
    ),
    "secp384r1": Curve(
        "P-384",
        _P384,
        _P384 - 3,
        int(
            "B3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875A"
            "C656398D8A2ED19D2A85C8EDD3EC2AEF",
            16,
        ),
        (
            int(
                "AA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A38"
                "5502F25DBF55296C3A545E3872760AB7",
                16,
            ),
            int(
                "3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C0"
                "0A60B1CE1D7E819D7A431D7C90EA0E5F",
                16,
            ),
        ),
        int(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF"
            "581A0DB248B0A77AECEC196ACCC52973",
            16,
        ),
    ),
}
"""The curves pkiviz checks by hand, by cryptography's curve name (SEC 2 2.4.2, 2.5.1)."""


# --- edwards25519 (Ed25519) --------------------------------------------------------

_ED_P = 2**255 - 19
_ED_D = -121665 * pow(121666, -1, _ED_P) % _ED_P
_ED_SQRT_M1 = pow(2, (_ED_P - 1) // 4, _ED_P)

ED_L = 2**252 + 27742317777372353535851937790883648493
"""The order L of the Ed25519 base point (RFC 8032 5.1)."""


def ed_add(p1: tuple[int, int], p2: tuple[int, int]) -> tuple[int, int]:
    """The sum of two edwards25519 points (RFC 8032 5.1.4, affine form).

    Args:
        p1: a point.
        p2: another point (or the same one, to double it).

    Returns:
        ``p1 + p2``; the neutral element is ``(0, 1)``.
    """
    (x1, y1), (x2, y2) = p1, p2
    t = _ED_D * x1 * x2 * y1 * y2 % _ED_P
    x3 = (x1 * y2 + x2 * y1) * pow(1 + t, -1, _ED_P) % _ED_P
    y3 = (y1 * y2 + x1 * x2) * pow(1 - t, -1, _ED_P) % _ED_P
    return x3, y3


def ed_mul(k: int, point: tuple[int, int]) -> tuple[int, int]:
    """Scalar multiplication ``[k]point`` on edwards25519 by double-and-add.

    Args:
        k: a non-negative scalar.
        point: a point.

    Returns:
        ``[k]point``.
    """
    result = (0, 1)
    while k:
        if k & 1:
            result = ed_add(result, point)
        point = ed_add(point, point)
        k >>= 1
    return result


def ed_decode(data: bytes) -> tuple[int, int] | None:
    """Decode a point (RFC 8032 5.1.3).

    Args:
        data: 32 bytes: y little-endian, with the sign of x in the top bit.

    Returns:
        The point, or ``None`` if it is not on the curve.
    """
    value = int.from_bytes(data, "little")
    y, sign = value & ((1 << 255) - 1), value >> 255
    if y >= _ED_P:
        return None
    xx = (y * y - 1) * pow(_ED_D * y * y + 1, -1, _ED_P) % _ED_P
    x = pow(xx, (_ED_P + 3) // 8, _ED_P)
    if (x * x - xx) % _ED_P:
        x = x * _ED_SQRT_M1 % _ED_P
    if (x * x - xx) % _ED_P or (x == 0 and sign):
        return None
    return (_ED_P - x if x & 1 != sign else x), y


def ed_encode(point: tuple[int, int]) -> bytes:
    """Encode a point (RFC 8032 5.1.2).

    Args:
        point: an edwards25519 point.

    Returns:
        32 bytes: y little-endian, with the low bit of x in the top bit.
    """
    x, y = point
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


ED_B = ed_decode((4 * pow(5, -1, _ED_P) % _ED_P).to_bytes(32, "little"))
"""The Ed25519 base point B (RFC 8032 5.1): the point with y = 4/5 and x even."""
