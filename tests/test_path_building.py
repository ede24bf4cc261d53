"""Path building: no path repeats a CA, and the shortest path comes first.

A mesh of cross-certified CAs (:func:`pkiviz.validation.pools.cross_mesh`) is where
a depth-first builder goes wrong: leaf -> CA0 -> CA1 -> CA0 -> CA2 -> ... is a path of
distinct certificates through the same CAs again and again, and even without repeats
depth-first finds a long path before the short one. The controls are plain chains, a
key rollover, and the legitimate cross-signs of ``test_validation`` and
``test_chain_graph``.
"""

from __future__ import annotations

import dataclasses

from pkiviz.example import running_example
from pkiviz.factory import CA, Issued, build
from pkiviz.validation import Report, validate
from pkiviz.validation.facts import facts_of
from pkiviz.validation.pools import cross_mesh

EX = running_example()


def entities(report: Report) -> list[tuple[object, ...]]:
    return [facts_of(cert).entity for cert in report.path]


def repeats_a_ca(report: Report) -> bool:
    return len(set(entities(report))) < len(report.path)


# -- the mesh -------------------------------------------------------------------


def test_mesh_path_is_the_shortest_and_never_comes_back_to_a_ca() -> None:
    mesh = cross_mesh(12)
    report = validate(
        mesh.leaf, intermediates=mesh.cross, trust_anchors=[mesh.roots[11]], peer_name=mesh.hostname
    )
    assert report.valid, report.text()
    assert report.path_subjects == ("CN=mesh.example.com", "CN=Mesh CA0", "CN=Mesh CA11")
    assert report.path[1] == mesh.cross_certificate(0, 11).certificate
    assert not repeats_a_ca(report)
    assert len(report.candidates) == 1  # nothing rejected on the way
    # Control: the running example is still its three certificates, found the same way.
    plain = validate(EX.server, intermediates=[EX.intermediate], trust_anchors=[EX.root])
    assert plain.valid and len(plain.path) == 3 and len(plain.candidates) == 1


def test_mesh_without_a_reachable_anchor_reports_a_path_without_repeats() -> None:
    mesh = cross_mesh(12)
    # The servers sent every CA's self-signed root too; the client trusts none of them.
    pool = [*mesh.roots[1:], *mesh.cross]
    report = validate(mesh.leaf, intermediates=pool, trust_anchors=[EX.root])
    assert not report.valid
    assert report.first_failure is not None and report.first_failure.check == "chain-of-trust"
    assert not repeats_a_ca(report), report.path_subjects
    # A CA's self-signed root and its cross-certificates are one CA: after the root, a
    # cross-certificate of the same CA is a cycle, not a way on.
    root_then_cross = [
        c
        for c in report.candidates
        if "the same name and key" in c.reason
        and c.fingerprints[-2] in {facts_of(r.certificate).fingerprint for r in mesh.roots}
    ]
    assert root_then_cross
    # Control: trusting CA11's root gives the three-certificate path.
    trusted = validate(mesh.leaf, intermediates=pool, trust_anchors=[mesh.roots[11]])
    assert trusted.valid and len(trusted.path) == 3


def two_cas_cross_certified() -> tuple[Issued, list[Issued]]:
    """A and B cross-certify each other; A is also certified by C, which nobody has."""
    a, b, c = (CA.root(f"Loop {x}", label=f"loop {x}") for x in "ABC")
    a_by_b = build(dataclasses.replace(a.spec, label="A by B", key_seed=a.spec.seed), b)
    b_by_a = build(dataclasses.replace(b.spec, label="B by A", key_seed=b.spec.seed), a)
    a_by_c = build(dataclasses.replace(a.spec, label="A by C", key_seed=a.spec.seed), c)
    return a.issue_server("loop.example.com"), [a_by_b, b_by_a, a_by_c]


def test_a_second_certificate_of_the_same_ca_is_a_cycle() -> None:
    leaf, pool = two_cas_cross_certified()
    a_by_b, b_by_a, a_by_c = (facts_of(c.certificate).fingerprint for c in pool)
    report = validate(leaf, intermediates=pool, trust_anchors=[EX.root])
    assert not report.valid
    assert not repeats_a_ca(report), report.path_subjects
    # leaf -> A (by B) -> B (by A) -> A (by C) would be three CAs in four certificates.
    reasons = {c.fingerprints[1:]: c.reason for c in report.candidates}
    assert "the same name and key, so the same CA (a cycle)" in reasons[(a_by_b, b_by_a, a_by_c)]
    assert "already on this path (a cycle)" in reasons[(a_by_b, b_by_a, a_by_b)]
    # Control: the same name with another key is another CA. A key rollover puts one
    # name twice on a valid path: the new key certified by the old (RFC 5280 6.1, the
    # self-issued certificates of a CA changing its key).
    old = CA.root("Rollover CA", label="rollover old")
    new = build(dataclasses.replace(old.spec, label="rollover new"), old)
    rolled = validate(
        new.issue_server("rollover.example.com"), intermediates=[new], trust_anchors=[old]
    )
    assert rolled.valid, rolled.text()
    assert rolled.path_subjects == ("CN=rollover.example.com", "CN=Rollover CA", "CN=Rollover CA")


def test_shortest_path_first_keeps_the_order_among_equally_long_ones() -> None:
    # A cross-signed intermediate whose first alternative ends at an untrusted root
    # and whose second reaches the anchor: both are three certificates long, so the
    # builder tries them in the order given, and the rejected one is listed first.
    legacy = CA.root("Order Legacy Root")
    g2 = CA.root("Order Root G2")
    by_g2 = g2.intermediate("Order Cross CA")
    by_legacy = build(
        dataclasses.replace(by_g2.spec, label="Order Cross CA (legacy)", key_seed=by_g2.spec.seed),
        legacy,
    )
    leaf = by_g2.issue_server("order.example.com")
    report = validate(leaf, intermediates=[by_legacy, by_g2, legacy], trust_anchors=[g2])
    assert report.valid
    assert [c.valid for c in report.candidates] == [False, True]
    assert "self-signed but is not one of the trust anchors" in report.candidates[0].reason
    # Control: given the other way round, the good path is the first and only one tried.
    swapped = validate(leaf, intermediates=[by_g2, by_legacy, legacy], trust_anchors=[g2])
    assert swapped.valid and [c.valid for c in swapped.candidates] == [True]
