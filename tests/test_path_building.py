"""Path building: no path repeats a CA, the shortest path comes first, and the work scales.

A mesh of cross-certified CAs (:func:`pkiviz.validation.pools.cross_mesh`) is where
a depth-first builder goes wrong: leaf -> CA0 -> CA1 -> CA0 -> CA2 -> ... is a path of
distinct certificates through the same CAs again and again, and even without repeats
depth-first finds a long path before the short one. The controls are plain chains, a
key rollover, and the legitimate cross-signs of ``test_validation`` and
``test_chain_graph``.

The scaling checks count, they do not time: the builder's own Python lines
(``sys.settrace``) and its steps and signature verifications, for pools of n, 2n and
4n certificates. A planted quadratic builder shows the check can fail.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from pkiviz.clock import BOOK_CLOCK
from pkiviz.validation import Limits, Report, path, validate, validator
from pkiviz.validation.facts import CertFacts, facts_of
from pkiviz.validation.inputs import CertLike
from pkiviz.validation.path import LIMITS, PathBuilder
from pkiviz.validation.pools import cross_mesh, irrelevant_intermediates
from pkiviz.x509 import der
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import CA, Issued, build

EX = running_example()


def entities(report: Report) -> list[tuple[object, ...]]:
    return [facts_of(cert).entity for cert in report.path]


def repeats_a_ca(report: Report) -> bool:
    return len(set(entities(report))) < len(report.path)


# -- the mesh -------------------------------------------------------------------


def test_mesh_path_is_the_shortest_and_never_comes_back_to_a_ca() -> None:
    mesh = cross_mesh(12)
    report = validate(
        mesh.leaf,
        intermediates=mesh.cross,
        trust_anchors=[mesh.roots[11]],
        peer_name=mesh.hostname,
        at=BOOK_CLOCK,
    )
    assert report.valid, report.text()
    assert report.path_subjects == ("CN=mesh.example.com", "CN=Mesh CA0", "CN=Mesh CA11")
    assert report.path[1] == mesh.cross_certificate(0, 11).certificate
    assert not repeats_a_ca(report)
    assert len(report.candidates) == 1  # nothing rejected on the way
    # Control: the running example is still its three certificates, found the same way.
    plain = validate(
        EX.server, intermediates=[EX.intermediate], trust_anchors=[EX.root], at=BOOK_CLOCK
    )
    assert plain.valid and len(plain.path) == 3 and len(plain.candidates) == 1


def test_mesh_without_a_reachable_anchor_reports_a_path_without_repeats() -> None:
    mesh = cross_mesh(12)
    # The servers sent every CA's self-signed root too; the client trusts none of them.
    pool = [*mesh.roots[1:], *mesh.cross]
    report = validate(mesh.leaf, intermediates=pool, trust_anchors=[EX.root], at=BOOK_CLOCK)
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
    trusted = validate(mesh.leaf, intermediates=pool, trust_anchors=[mesh.roots[11]], at=BOOK_CLOCK)
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
    report = validate(leaf, intermediates=pool, trust_anchors=[EX.root], at=BOOK_CLOCK)
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
        new.issue_server("rollover.example.com"),
        intermediates=[new],
        trust_anchors=[old],
        at=BOOK_CLOCK,
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
    report = validate(
        leaf, intermediates=[by_legacy, by_g2, legacy], trust_anchors=[g2], at=BOOK_CLOCK
    )
    assert report.valid
    assert [c.valid for c in report.candidates] == [False, True]
    assert "self-signed but is not one of the trust anchors" in report.candidates[0].reason
    # Control: given the other way round, the good path is the first and only one tried.
    swapped = validate(
        leaf, intermediates=[by_g2, by_legacy, legacy], trust_anchors=[g2], at=BOOK_CLOCK
    )
    assert swapped.valid and [c.valid for c in swapped.candidates] == [True]


# -- how the work grows -------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Work:
    """What one validation cost the path builder."""

    lines: int  # Python lines the builder's own code executed
    steps: int
    signatures: int
    rounds: int
    valid: bool
    gave_up: str


def _builder_code(cls: type[PathBuilder]) -> set[types.CodeType]:
    """The code objects of ``cls``'s methods and of everything nested in them."""
    stack = [
        member.__code__
        for klass in cls.__mro__
        if issubclass(klass, PathBuilder)
        for member in vars(klass).values()
        if isinstance(member, types.FunctionType)
    ]
    codes: set[types.CodeType] = set()
    while stack:
        code = stack.pop()
        if code not in codes:
            codes.add(code)
            stack.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return codes


@pytest.fixture
def measure(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Work]:
    """``measure(leaf, pool, anchors, builder=, limits=)``: one validation's :class:`Work`."""

    def run(
        leaf: Issued,
        pool: Sequence[Issued],
        anchors: Sequence[Issued],
        builder: type[PathBuilder] = PathBuilder,
        limits: Limits = LIMITS,
    ) -> Work:
        made: list[PathBuilder] = []

        class Recorded(builder):  # type: ignore[valid-type,misc]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                made.append(self)

        monkeypatch.setattr(validator, "PathBuilder", Recorded)
        codes = _builder_code(builder)
        lines = 0

        def local(frame: types.FrameType, event: str, arg: object) -> Any:
            nonlocal lines
            lines += event == "line"
            return local

        def calls(frame: types.FrameType, event: str, arg: object) -> Any:
            return local if frame.f_code in codes else None

        validate(
            leaf, intermediates=pool, trust_anchors=anchors, limits=limits, at=BOOK_CLOCK
        )  # warm caches
        previous = sys.gettrace()
        sys.settrace(calls)
        try:
            report = validate(
                leaf, intermediates=pool, trust_anchors=anchors, limits=limits, at=BOOK_CLOCK
            )
        finally:
            sys.settrace(previous)
        built = made[-1]
        return Work(
            lines, built.steps, len(built.signatures), built.rounds, report.valid, built.gave_up
        )

    return run


def at_most_linear(sizes: Sequence[int], counts: Sequence[int]) -> bool:
    """Whether ``counts`` grows at most linearly with ``sizes`` (three increasing sizes).

    The growth per unit of size between the two larger sizes may be at most 1.25 times
    the growth per unit between the two smaller ones: 1 for linear growth, about 1.1
    for n log n when the sizes double, (4n + 2n) / (2n + n) = 2 for quadratic.
    """
    (s1, s2, s3), (c1, c2, c3) = sizes, counts
    first, second = (c2 - c1) / (s2 - s1), (c3 - c2) / (s3 - s2)
    return second <= 1.25 * max(first, 0) + 0.01 * c1 / s1


class QuadraticBuilder(PathBuilder):
    """A planted bug: drops duplicates from the pool by comparing with each kept one."""

    def __init__(self, leaf: Any, pool: Any, anchors: Any, **kwargs: Any) -> None:
        kept: list[Any] = []
        for cert in pool:
            if all(cert != other for other in kept):
                kept.append(cert)
        super().__init__(leaf, kept, anchors, **kwargs)


SIZES = (100, 200, 400)


Measure = Callable[..., Work]


def _irrelevant(measure: Measure, builder: type[PathBuilder] = PathBuilder) -> list[Work]:
    return [
        measure(
            EX.server, [EX.intermediate, *irrelevant_intermediates(n)], [EX.root], builder=builder
        )
        for n in SIZES
    ]


def test_irrelevant_intermediates_cost_at_most_linear_work(measure: Measure) -> None:
    work = _irrelevant(measure)
    assert all(w.valid for w in work)
    # The search itself does not look at them: the same steps and signatures at every size.
    assert len({(w.steps, w.signatures, w.rounds) for w in work}) == 1, work
    assert work[0].steps == 2 and work[0].signatures == 2
    # Indexing them is linear.
    assert at_most_linear(SIZES, [w.lines for w in work]), work


def test_planted_quadratic_builder_is_caught(measure: Measure) -> None:
    work = _irrelevant(measure, QuadraticBuilder)
    assert all(w.valid for w in work)
    assert not at_most_linear(SIZES, [w.lines for w in work]), work
    # Control: the check itself passes n log n growth and fails quadratic growth.
    assert at_most_linear(SIZES, [n * n.bit_length() for n in SIZES])
    assert not at_most_linear(SIZES, [n * n for n in SIZES])


MESH_SIZES = (4, 8, 16)


def test_mesh_work_is_bounded_by_the_number_of_cas(measure: Measure) -> None:
    work = []
    for n in MESH_SIZES:
        mesh = cross_mesh(n)
        work.append(measure(mesh.leaf, mesh.cross, [mesh.roots[-1]]))
    assert all(w.valid for w in work)
    # One signature per CA certificate of CA 0 tried, then the anchor: n, not n * (n - 1).
    assert [(w.steps, w.signatures) for w in work] == [(n, n) for n in MESH_SIZES]
    # The builder's lines: linear in the pool (indexing it), n * (n - 1) certificates.
    assert at_most_linear([n * (n - 1) for n in MESH_SIZES], [w.lines for w in work]), work


def test_mesh_without_a_reachable_anchor_stops_at_the_limits(measure: Measure) -> None:
    limits = Limits(steps=400, signatures=100)
    work = []
    for n in MESH_SIZES[1:]:
        mesh = cross_mesh(n)
        work.append(measure(mesh.leaf, mesh.cross, [EX.root], limits=limits))
    assert not any(w.valid for w in work)
    assert all(w.gave_up for w in work), work
    assert all(w.steps <= limits.steps and w.signatures <= limits.signatures for w in work)
    # Control: the same mesh with its anchor needs a handful of steps, far from the limits.
    mesh = cross_mesh(MESH_SIZES[-1])
    found = measure(mesh.leaf, mesh.cross, [mesh.roots[-1]], limits=limits)
    assert found.valid and not found.gave_up and found.steps == MESH_SIZES[-1]


# -- facts only for the certificates the search reaches --------------------------------


def _facts_built(monkeypatch: pytest.MonkeyPatch) -> list[x509.Certificate]:
    """The certificates path building builds facts for, from now on, in order."""
    built: list[x509.Certificate] = []

    def counted(cert: x509.Certificate) -> CertFacts:
        built.append(cert)
        return facts_of(cert)

    monkeypatch.setattr(path, "facts_of", counted)
    return built


def test_irrelevant_intermediates_change_no_report_and_get_no_facts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = _facts_built(monkeypatch)

    def run(extra: Sequence[CertLike]) -> Report:
        built.clear()
        return validate(
            EX.server,
            intermediates=[*extra, EX.intermediate, *extra],
            trust_anchors=[EX.root],
            peer_name=EX.hostname,
            at=BOOK_CLOCK,
        )

    alone = run(())
    reached = list(built)
    crowded = run(irrelevant_intermediates(1000))
    assert crowded.valid and crowded.to_json_dict() == alone.to_json_dict()
    assert crowded.text() == alone.text()
    assert built == reached == [EX.intermediate.certificate, EX.root.certificate]
    # Control: an intermediate with the name the leaf names (given twice, as the
    # irrelevant ones were) gets its facts built, each time it is given.
    twin = build(dataclasses.replace(EX.intermediate.spec, serial=4242), EX.root).certificate
    run([twin])
    assert built == [twin, EX.intermediate.certificate, twin, EX.root.certificate]


def test_a_pool_certificate_equal_to_an_anchor_counts_as_the_anchor() -> None:
    # Built lazily, the pool's copy of the root is still the anchor (the anchors come
    # first), and a leaf given again as an anchor is still trusted as given.
    report = validate(
        EX.server,
        intermediates=[EX.root, EX.intermediate, EX.root],
        trust_anchors=[EX.root],
        peer_name=EX.hostname,
        at=BOOK_CLOCK,
    )
    assert report.valid and report.path[-1] == EX.root.certificate
    assert len(report.candidates) == 1
    itself = validate(EX.server, trust_anchors=[EX.server], peer_name=EX.hostname, at=BOOK_CLOCK)
    assert itself.path == (EX.server.certificate,)
    # Control: without the root among the anchors, the pool's copy does not anchor.
    untrusted = validate(
        EX.server,
        intermediates=[EX.root, EX.intermediate],
        trust_anchors=[],
        peer_name=EX.hostname,
        at=BOOK_CLOCK,
    )
    assert not untrusted.valid
    assert "is self-signed but is not one of the trust anchors" in untrusted.candidates[0].reason


# -- issuers found by name as cryptography compares names ------------------------------


def _name(tag: int, text: str) -> x509.Name:
    """CN=``text`` with the string type ``tag``, as cryptography reads it from DER (a
    CRL around it: cryptography parses a Name only inside a structure)."""
    rdn = der.encode_tlv(
        0x31, der.sequence(der.object_identifier("2.5.4.3"), der.encode_tlv(tag, text.encode()))
    )
    algorithm = der.sequence(der.object_identifier("1.2.840.10045.4.3.2"))
    tbs = der.sequence(algorithm, der.sequence(rdn), der.encode_tlv(0x17, b"700101000000Z"))
    return x509.load_der_x509_crl(der.sequence(tbs, algorithm, der.bit_string(b""))).issuer


def _leaf_naming(issuer_name: x509.Name, ca: Issued) -> x509.Certificate:
    key = ec.derive_private_key(7, ec.SECP256R1())
    ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "typed.example")]))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(BOOK_CLOCK.replace(year=2025))
        .not_valid_after(BOOK_CLOCK.replace(year=2027))
    )
    for ext, critical in (
        (x509.SubjectAlternativeName([x509.DNSName("typed.example")]), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski.value), False),
        (x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False),
    ):
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(ca.private_key, hashes.SHA256())


def test_an_issuer_name_in_another_string_type_finds_the_ca_as_cryptography_compares() -> None:
    ca = CA.root("Typed CA")  # its subject's CN is a UTF8String
    printable = _name(0x13, "Typed CA")
    assert printable == ca.certificate.subject  # cryptography's Name equality: the text
    assert printable.public_bytes() != ca.certificate.subject.public_bytes()  # not the bytes

    def run(issuer_name: x509.Name) -> Report:
        leaf = _leaf_naming(issuer_name, ca)
        return validate(leaf, trust_anchors=[ca], peer_name="typed.example", at=BOOK_CLOCK)

    # Found by name, then refused where cryptography refuses it: its
    # verify_directly_issued_by compares the encoded names (and its verifier rejects
    # the chain too).
    typed = run(printable)
    assert [c.subjects for c in typed.candidates] == [("CN=typed.example", "CN=Typed CA")]
    assert "its issuer name does not match the subject of CN=Typed CA" in typed.candidates[0].reason
    # Control: the same name as the CA encodes it chains and is valid.
    same = run(_name(0x0C, "Typed CA"))
    assert same.valid and same.path_subjects == ("CN=typed.example", "CN=Typed CA")
    # Control: a name that really differs finds no issuer at all.
    other = run(_name(0x13, "Other CA"))
    assert [c.subjects for c in other.candidates] == [("CN=typed.example",)]
    assert "no certificate with subject CN=Other CA" in other.candidates[0].reason
