"""The chain graph: data first (nodes, edges, statuses), then the drawing.

Every broken chain sits beside a passing control built from the same
certificates, so a test fails if the graph stops telling the two apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import subprocess
import sys
from collections.abc import Sequence

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from pkiviz.clock import BOOK_CLOCK
from pkiviz.draw.chain import chain_alt_text, draw_chain
from pkiviz.draw.chaingraph import ChainGraph, chain_graph
from pkiviz.validation import validate
from pkiviz.x509.example import HOSTNAME, running_example
from pkiviz.x509.factory import CA, Issued, build

UTC = dt.UTC
EX = running_example()
ROOT, TLS_CA, LOGIN = "Example Trust Root CA", "Example Trust TLS CA 2026", HOSTNAME


def graph_of(
    leaf: Issued,
    intermediates: Sequence[Issued],
    anchors: Sequence[Issued],
    name: str = HOSTNAME,
) -> ChainGraph:
    report = validate(
        leaf, intermediates=intermediates, trust_anchors=anchors, peer_name=name, at=BOOK_CLOCK
    )
    return chain_graph(report, intermediates=intermediates, trust_anchors=anchors)


@dataclasses.dataclass(frozen=True)
class Cross:
    legacy: Issued
    g2: Issued
    by_legacy: Issued
    by_g2: Issued
    leaf: Issued


def cross(*, legacy_expired: bool = True) -> Cross:
    """An intermediate cross-signed by two roots: the legacy one expired (or not)."""
    end = dt.datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    legacy = CA.root(
        "Example Legacy Root CA",
        not_before=dt.datetime(2006, 1, 1, tzinfo=UTC),
        not_after=end if legacy_expired else dt.datetime(2030, 12, 31, tzinfo=UTC),
        label="Example Legacy Root CA" + ("" if legacy_expired else " (current)"),
    )
    g2 = CA.root("Example Trust Root CA G2")
    by_g2 = g2.intermediate("Example Cross TLS CA")
    by_legacy = build(
        dataclasses.replace(
            by_g2.spec, label="Example Cross TLS CA (cross)", key_seed=by_g2.spec.seed
        ),
        legacy,
    )
    return Cross(legacy, g2, by_legacy, by_g2, by_g2.issue_server("cross.example.com"))


# -- the data -------------------------------------------------------------------


def test_valid_chain_is_three_passing_nodes_and_two_signed_edges() -> None:
    graph = graph_of(EX.server, [EX.intermediate], [EX.root])
    assert graph.valid
    assert graph.statuses == {LOGIN: "pass", TLS_CA: "pass", ROOT: "pass"}
    assert [n.role for n in graph.nodes] == ["leaf", "intermediate", "anchor"]
    assert [n.depth for n in graph.nodes] == [0, 1, 2]
    assert all(n.on_path and n.column == 0 for n in graph.nodes)
    assert graph.anchors == (ROOT,)
    assert graph.edge_statuses == {(LOGIN, TLS_CA): "pass", (TLS_CA, ROOT): "pass"}
    assert graph.node(ROOT).checks[0].check == "chain-of-trust"
    assert graph.candidate_lines() == (f"1. ✓ {LOGIN} → {TLS_CA} → {ROOT}  [valid, chosen]",)


def test_missing_intermediate_is_a_dashed_placeholder_that_fails() -> None:
    graph = graph_of(EX.server, [], [EX.root])
    assert not graph.valid
    missing = graph.node("? " + TLS_CA)
    assert missing.role == "missing" and missing.status == "fail"
    assert missing.failed_checks == ("chain-of-trust",)
    assert graph.node(LOGIN).status == "pass"  # the leaf itself is fine
    assert graph.edge_statuses == {(LOGIN, "? " + TLS_CA): "fail"}
    # control: the same leaf with its intermediate
    control = graph_of(EX.server, [EX.intermediate], [EX.root])
    assert all(n.role != "missing" for n in control.nodes)


def test_untrusted_root_fails_chain_of_trust_on_the_root() -> None:
    stranger = CA.root("Somebody Else Root")
    pool = [EX.intermediate, EX.root]
    graph = graph_of(EX.server, pool, [stranger])
    root = graph.node(ROOT)
    assert root.role == "untrusted-root" and root.status == "fail"
    assert root.failed_checks == ("chain-of-trust",)
    assert "self-signed but is not one of the trust anchors" in root.note
    assert graph.statuses[TLS_CA] == "pass"
    assert graph.edge_statuses[(TLS_CA, ROOT)] == "pass"  # the signature is fine
    assert "Somebody Else Root" not in graph.statuses  # an unrelated anchor is not drawn
    # control: the same pool with the root trusted
    control = graph_of(EX.server, pool, [EX.root])
    assert control.node(ROOT).role == "anchor" and control.node(ROOT).status == "pass"


def test_cross_signed_shows_the_expired_alternative_and_picks_the_good_path() -> None:
    c = cross()
    graph = graph_of(c.leaf, [c.by_legacy, c.by_g2], [c.legacy, c.g2], "cross.example.com")
    assert graph.valid
    by_legacy = "Example Cross TLS CA (by Example Legacy Root CA)"
    by_g2 = "Example Cross TLS CA (by Example Trust Root CA G2)"
    assert graph.statuses == {
        "cross.example.com": "pass",
        by_g2: "pass",
        "Example Trust Root CA G2": "pass",
        by_legacy: "pass",
        "Example Legacy Root CA": "fail",
    }
    legacy = graph.node("Example Legacy Root CA")
    assert legacy.anchor and not legacy.on_path and legacy.failed_checks == ("validity",)
    assert "expired on 2025-12-31" in legacy.note
    assert [graph.label_of(k) for k in graph.path] == [
        "cross.example.com",
        by_g2,
        "Example Trust Root CA G2",
    ]
    assert {
        (graph.label_of(e.child), graph.label_of(e.issuer)) for e in graph.edges if not e.on_path
    } == {
        ("cross.example.com", by_legacy),
        (by_legacy, "Example Legacy Root CA"),
    }
    assert all(e.status == "pass" for e in graph.edges)
    assert graph.node(by_legacy).column == 1 and graph.node(by_g2).column == 0
    lines = graph.candidate_lines()
    assert len(lines) == 2 and "rejected: validity: expired" in lines[0]
    assert lines[1].endswith("[valid, chosen]")
    # control: with the legacy root still current, its path is the first tried and valid
    ok = cross(legacy_expired=False)
    control = graph_of(ok.leaf, [ok.by_legacy, ok.by_g2], [ok.legacy, ok.g2], "cross.example.com")
    assert control.valid and len(control.candidates) == 1
    assert control.node("Example Legacy Root CA").status == "pass"
    assert control.node("Example Legacy Root CA").on_path


def test_cross_signed_with_the_legacy_root_untrusted() -> None:
    c = cross()
    pool = [c.by_legacy, c.by_g2, c.legacy]
    graph = graph_of(c.leaf, pool, [c.g2], "cross.example.com")
    assert graph.valid
    legacy = graph.node("Example Legacy Root CA")
    assert legacy.role == "untrusted-root" and legacy.status == "fail"
    assert graph.node("Example Cross TLS CA (by Example Legacy Root CA)").status == "skipped"
    # control: trusting it makes it an anchor
    control = graph_of(c.leaf, pool, [c.g2, c.legacy], "cross.example.com")
    assert control.node("Example Legacy Root CA").role == "anchor"


def test_a_signature_that_does_not_verify_is_a_failed_edge() -> None:
    impostor = EX.root.intermediate(
        TLS_CA, label="impostor CA", subject=EX.intermediate.spec.subject
    )
    leaf = impostor.issue_server(HOSTNAME, label="impostor leaf")
    graph = graph_of(leaf, [EX.intermediate], [EX.root])
    assert not graph.valid
    edge = graph.edge(LOGIN, TLS_CA)
    assert edge.status == "fail" and "does not verify" in edge.note
    assert edge.short == "✗ not signed"
    # control: with the intermediate that really signed it
    control = graph_of(leaf, [impostor], [EX.root])
    assert control.valid and control.edge(LOGIN, TLS_CA).status == "pass"


def test_the_graph_reads_the_report_and_never_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    c = cross()
    report = validate(
        c.leaf,
        intermediates=[c.by_legacy, c.by_g2],
        trust_anchors=[c.legacy, c.g2],
        peer_name="cross.example.com",
        at=BOOK_CLOCK,
    )
    given = chain_graph(
        report, intermediates=[c.by_legacy, c.by_g2], trust_anchors=[c.legacy, c.g2]
    )

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the chain graph validated again")

    for module in ("pkiviz.validation", "pkiviz.validation.validator"):
        monkeypatch.setattr(f"{module}.validate", refuse)
        monkeypatch.setattr(f"{module}.validate_inputs", refuse)
    monkeypatch.setattr("pkiviz.draw.chaingraph.verify_signature", refuse)
    # the report alone: its inputs give the certificates, its candidates their checks
    bare = chain_graph(report)
    assert bare == given
    legacy = bare.node("Example Legacy Root CA")
    assert legacy.anchor and legacy.failed_checks == ("validity",)
    rejected = next(k for k in report.candidates if k.complete and not k.valid)
    assert legacy.checks == tuple(
        k for k in rejected.checks if k.certificate is not None and k.certificate.index == 2
    )
    assert all(e.status == "pass" for e in bare.edges)  # the builder's verified signatures
    # control: a report that keeps neither inputs nor candidate checks cannot judge them
    stripped = dataclasses.replace(
        report,
        inputs=None,
        candidates=tuple(dataclasses.replace(k, checks=(), links=()) for k in report.candidates),
    )
    off = [n for n in chain_graph(stripped).nodes if not n.on_path]
    assert off and all(n.status == "skipped" for n in off)


def test_graph_is_deterministic_and_renders_as_text() -> None:
    one = graph_of(EX.server, [EX.intermediate], [EX.root])
    two = graph_of(EX.server, [EX.intermediate], [EX.root])
    assert one == two
    text = one.text()
    assert text.startswith("chain graph: VALID")
    assert "candidate paths tried:" in text and str(one) == repr(one) == text
    assert "<pre>" in one._repr_html_()
    assert one.table().column("certificate") == (LOGIN, TLS_CA, ROOT)


def test_to_networkx() -> None:
    c = cross()
    graph = graph_of(c.leaf, [c.by_legacy, c.by_g2], [c.legacy, c.g2], "cross.example.com")
    nx_graph = graph.to_networkx()
    assert nx_graph.number_of_nodes() == 5 and nx_graph.number_of_edges() == 4
    leaf_key = graph.path[0]
    assert nx_graph.in_degree(leaf_key) == 0 and nx_graph.out_degree(leaf_key) == 2
    assert nx_graph.nodes[graph.path[-1]]["role"] == "anchor"


# -- the drawing ----------------------------------------------------------------


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [
        ax.get_title(loc="left") for ax in fig.axes
    ]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def test_drawing_labels_every_node_and_edge_with_a_symbol() -> None:
    report = validate(EX.server, trust_anchors=[EX.root], peer_name=HOSTNAME, at=BOOK_CLOCK)
    fig = draw_chain(report, trust_anchors=[EX.root])
    texts = _texts(fig)
    assert "Chain of trust for login.example.com: ✗ INVALID (chain-of-trust)" in texts
    assert f"✓ {LOGIN}" in texts and f"✗ ? {TLS_CA}" in texts
    assert "✗ issuer not found" in texts and "✗ chain-of-trust" in texts
    control = _texts(
        draw_chain(
            validate(
                EX.server,
                intermediates=[EX.intermediate],
                trust_anchors=[EX.root],
                peer_name=HOSTNAME,
                at=BOOK_CLOCK,
            )
        )
    )
    assert "Chain of trust for login.example.com: ✓ VALID" in control
    assert "✓ signed" in control and "TRUST ANCHOR" in control


def test_drawing_is_byte_for_byte_deterministic() -> None:
    c = cross()
    pool, anchors = [c.by_legacy, c.by_g2], [c.legacy, c.g2]
    report = validate(
        c.leaf,
        intermediates=pool,
        trust_anchors=anchors,
        peer_name="cross.example.com",
        at=BOOK_CLOCK,
    )
    first = _png(draw_chain(report, intermediates=pool, trust_anchors=anchors))
    assert first == _png(draw_chain(report, intermediates=pool, trust_anchors=anchors))
    assert first == _png(draw_chain(chain_graph(report, intermediates=pool, trust_anchors=anchors)))
    # control: a different verdict draws differently
    other = validate(c.leaf, intermediates=[c.by_legacy], trust_anchors=[c.legacy], at=BOOK_CLOCK)
    assert _png(draw_chain(other)) != first


def test_draws_into_given_axes() -> None:
    fig = Figure()
    ax: Axes = fig.add_subplot()
    report = validate(
        EX.server, intermediates=[EX.intermediate], trust_anchors=[EX.root], at=BOOK_CLOCK
    )
    assert draw_chain(report, ax=ax) is fig
    assert any(ROOT in t.get_text() for t in ax.texts)


def test_alt_text_names_every_node_edge_and_candidate() -> None:
    c = cross()
    pool, anchors = [c.by_legacy, c.by_g2], [c.legacy, c.g2]
    report = validate(
        c.leaf,
        intermediates=pool,
        trust_anchors=anchors,
        peer_name="cross.example.com",
        at=BOOK_CLOCK,
    )
    graph = chain_graph(report, intermediates=pool, trust_anchors=anchors)
    alt = chain_alt_text(report, intermediates=pool, trust_anchors=anchors)
    assert alt == chain_alt_text(graph)
    for node in graph.nodes:
        assert node.label in alt
    assert "✗ FAIL: Example Legacy Root CA, trust anchor, on an alternative path" in alt
    assert "the chain is valid" in alt and "[valid, chosen]" in alt
    invalid = chain_alt_text(validate(EX.server, trust_anchors=[EX.root], at=BOOK_CLOCK))
    assert "the chain is invalid, first failure chain-of-trust" in invalid


@pytest.mark.parametrize("module", ["pkiviz.draw.chaingraph", "pkiviz.draw.chain"])
def test_import_keeps_matplotlib_and_networkx_out(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "print(sorted(m for m in ('matplotlib', 'networkx') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
    # control: the same probe sees a module that is imported
    seen = subprocess.run(
        [sys.executable, "-c", code.replace(f"import sys, {module}", "import sys, networkx")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert seen.stdout.strip() == "['networkx']"
