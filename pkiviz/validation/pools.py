"""Certificate pools that exercise the path builder: a mesh of cross-certified CAs, and
intermediates that have nothing to do with the chain.

:func:`cross_mesh` builds ``size`` CAs, each with its self-signed certificate and a
cross-certificate from every other CA (RFC 4158 1.5.2, a mesh), and a leaf issued by
CA 0. :func:`irrelevant_intermediates` builds intermediates whose names no chain
uses. Both come from the factory with keys derived from fixed seeds, so the same call
gives the same certificates on every run; one key per CA, one key for all the
irrelevant intermediates, so building a few hundred takes well under a second.
"""

from __future__ import annotations

import dataclasses
import functools

from pkiviz.x509.factory import CA, Issued, build


@dataclasses.dataclass(frozen=True)
class Mesh:
    """CAs that have all cross-certified each other, and a leaf under CA 0.

    Attributes:
        roots: each CA's self-signed certificate, CA 0 first.
        cross: every cross-certificate, "CA i by CA j" for each i != j, ordered by i
            then j (so the leaf's possible issuers come as CA 0 by CA 1, by CA 2, ...).
        leaf: a server certificate for :attr:`hostname`, issued by CA 0.
        hostname: the leaf's DNS name.
    """

    roots: tuple[Issued, ...]
    cross: tuple[Issued, ...]
    leaf: Issued
    hostname: str

    @property
    def size(self) -> int:
        """How many CAs."""
        return len(self.roots)

    def cross_certificate(self, subject: int, issuer: int) -> Issued:
        """CA ``subject``'s certificate issued by CA ``issuer`` (``subject != issuer``).

        Raises:
            ValueError: if the two are equal or out of range.
        """
        n = self.size
        if subject == issuer or not (0 <= subject < n and 0 <= issuer < n):
            raise ValueError(f"no cross-certificate of CA {subject} by CA {issuer} in a {n}-mesh")
        return self.cross[subject * (n - 1) + issuer - (issuer > subject)]


@functools.lru_cache(maxsize=8)
def cross_mesh(size: int = 12, *, name: str = "Mesh") -> Mesh:
    """Build a mesh of ``size`` CAs named ``"{name} CA0"`` ... and its leaf.

    Args:
        size: how many CAs (at least 2); the pool has ``size * (size - 1)``
            cross-certificates.
        name: the prefix of the CA names, so two meshes can be told apart.

    Returns:
        The mesh.

    Raises:
        ValueError: if ``size`` is below 2.
    """
    if size < 2:
        raise ValueError("a mesh needs at least 2 CAs")
    roots = tuple(CA.root(f"{name} CA{i}", label=f"{name} CA{i}") for i in range(size))
    cross = tuple(
        build(
            dataclasses.replace(
                roots[i].spec, label=f"{name} CA{i} by CA{j}", key_seed=roots[i].spec.seed
            ),
            roots[j],
        )
        for i in range(size)
        for j in range(size)
        if i != j
    )
    hostname = f"{name.lower()}.example.com"
    return Mesh(roots, cross, roots[0].issue_server(hostname, label=f"{name} leaf"), hostname)


@functools.lru_cache(maxsize=8)
def irrelevant_intermediates(count: int) -> tuple[Issued, ...]:
    """``count`` intermediate CAs, ``"Irrelevant CA 0"`` ..., under ``"Irrelevant Root"``.

    No chain built elsewhere uses these names, so a path builder given them should
    look at none of them; they share one key, to build fast.

    Args:
        count: how many.

    Returns:
        The intermediates, in name order.
    """
    root = CA.root("Irrelevant Root")
    first = root.intermediate("Irrelevant CA 0")
    return (
        first,
        *(
            build(
                dataclasses.replace(
                    first.spec,
                    label=f"Irrelevant CA {i}",
                    subject=f"CN=Irrelevant CA {i}",
                    key_seed=first.spec.seed,
                ),
                root,
            )
            for i in range(1, count)
        ),
    )[:count]
