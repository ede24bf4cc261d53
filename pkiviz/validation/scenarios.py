"""Broken chains for differential testing, built with the factory, one defect at a time.

:func:`make_chain` builds the chain for one defect (and a leaf key type);
:data:`CATALOGUE` lists one chain per defect with the default key. Keys are
derived from fixed seeds, so each key is computed once per process.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
from collections.abc import Callable

from pkiviz import clock
from pkiviz.validation.chain import Chain
from pkiviz.x509.factory import CA, CertOptions, Issued, build

UTC = _dt.UTC
HOST = "www.diff.example"

#: Every defect :func:`make_chain` knows, "none" first.
DEFECTS: tuple[str, ...] = (
    "none",
    "expired",
    "not-yet-valid",
    "wrong-host",
    "missing-intermediate",
    "ca-false-intermediate",
    "wrong-eku",
    "path-length",
    "name-constraints",
    "sha1",
    "rsa-1024-leaf",
    "untrusted-root",
    "no-san",
    "wildcard",
    "wildcard-two-labels",
    "ip-address",
    "client-purpose",
)

#: Leaf key types the differential test draws from.
LEAF_KEYS: tuple[str, ...] = ("ec-p256", "ec-p384", "ed25519")


@functools.lru_cache(maxsize=4)
def _root(name: str = "Diff Root") -> Issued:
    return CA.root(name)


@functools.lru_cache(maxsize=8)
def _intermediate(variant: str = "plain") -> Issued:
    root = _root()
    options: CertOptions = {"label": f"Diff CA {variant}", "key_seed": "Diff CA"}
    if variant == "ca-false":
        options["ca"] = False
    elif variant == "pathlen0":
        options["path_length"] = 0
    elif variant == "nc":
        options["permitted_subtrees"] = ("DNS:other.example",)
    elif variant == "rsa":
        options["key"], options["key_seed"] = "rsa-2048", "Diff CA rsa"
    return root.intermediate("Diff CA", **options)


def _leaf(issuer: Issued, key: str, label: str, **changes: object) -> Issued:
    base = issuer.issue_server(HOST, label=f"{label} {key}", key=key, key_seed=f"diff leaf {key}")
    if not changes:
        return base
    return build(dataclasses.replace(base.spec, **changes), issuer)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=128)
def make_chain(defect: str, leaf_key: str = "ec-p256") -> Chain:
    """Build the chain for one defect.

    Args:
        defect: one of :data:`DEFECTS`.
        leaf_key: the leaf's key type (``"rsa-1024-leaf"`` ignores it).

    Returns:
        The chain, named ``"<defect> (<key>)"``.

    Raises:
        ValueError: for an unknown defect.
    """
    if defect not in DEFECTS:
        raise ValueError(f"unknown defect {defect!r}; use one of {', '.join(DEFECTS)}")
    root, inter = _root(), _intermediate()
    inters: tuple[Issued, ...] = (inter,)
    anchors = (root,)
    peer: str | None = HOST
    purpose = "server"
    at = clock.BOOK_CLOCK
    label = defect
    if defect == "expired":
        leaf = _leaf(inter, leaf_key, label, not_after=_dt.datetime(2026, 1, 1, tzinfo=UTC))
    elif defect == "not-yet-valid":
        leaf = _leaf(inter, leaf_key, label, not_before=_dt.datetime(2026, 6, 1, tzinfo=UTC))
    elif defect in ("ca-false-intermediate", "path-length", "name-constraints", "sha1"):
        variant = {
            "ca-false-intermediate": "ca-false",
            "path-length": "pathlen0",
            "name-constraints": "nc",
            "sha1": "rsa",
        }[defect]
        inter = _intermediate(variant)
        if defect == "path-length":
            second = inter.intermediate("Diff CA 2", label="Diff CA 2", key_seed="Diff CA 2")
            inters = (inter, second)
            inter = second
        else:
            inters = (inter,)
        changes: dict[str, object] = {"hash": "sha1"} if defect == "sha1" else {}
        leaf = _leaf(inter, leaf_key, label, **changes)
    elif defect == "wrong-eku":
        leaf = _leaf(inter, leaf_key, label, extended_key_usage=("client_auth",))
    elif defect == "rsa-1024-leaf":
        leaf = _leaf(inter, "rsa-1024", label)
    elif defect == "no-san":
        leaf = _leaf(inter, leaf_key, label, dns_names=())
    elif defect in ("wildcard", "wildcard-two-labels"):
        leaf = _leaf(
            inter, leaf_key, label, subject="CN=*.diff.example", dns_names=("*.diff.example",)
        )
        peer = "a.diff.example" if defect == "wildcard" else "a.b.diff.example"
    elif defect == "ip-address":
        leaf = _leaf(
            inter,
            leaf_key,
            label,
            subject="CN=192.0.2.10",
            dns_names=(),
            ip_addresses=("192.0.2.10",),
        )
        peer = "192.0.2.10"
    elif defect == "client-purpose":
        leaf = inter.issue_client(
            "carol@diff.example",
            label=f"{label} {leaf_key}",
            key=leaf_key,
            key_seed=f"diff leaf {leaf_key}",
        )
        peer, purpose = None, "client"
    else:
        leaf = _leaf(inter, leaf_key, label)
    if defect == "wrong-host":
        peer = "other.diff.example"
    elif defect == "missing-intermediate":
        inters = ()
    elif defect == "untrusted-root":
        anchors = (_root("Diff Other Root"),)
    return Chain(
        name=f"{defect} ({leaf.spec.key})",
        leaf=leaf.certificate,
        intermediates=tuple(i.certificate for i in inters),
        anchors=tuple(a.certificate for a in anchors),
        peer_name=peer,
        at=at,
        purpose=purpose,
    )


#: One chain maker per defect, default leaf key.
CATALOGUE: dict[str, Callable[[], Chain]] = {d: functools.partial(make_chain, d) for d in DEFECTS}
