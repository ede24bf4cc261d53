"""The byte map's work grows linearly with its regions (counted, not timed).

Rendering and checking a map once asked, for every region, which regions are
its children by scanning them all: quadratic, 46 s for ``pkiviz inspect --map``
on a certificate with 5,000 extensions. The work is counted here as the Python
lines executed (every line event of the tracer, comprehensions and generator
steps included), for a certificate with N and 4N extensions: linear work grows
about 4x, quadratic about 16x. The control runs the same count on the old
quadratic ``children`` and sees it fail the check. Timings are in
``benchmarks/bytemap.py``.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pkiviz.x509.bytemap import ByteMap, Region, byte_map
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import build
from pkiviz.x509.spec import CustomExtension

EX = running_example()
N = 60
#: The most the work may grow for 4x the extensions (linear: about 3.4x here, from the
#: fixed fields; the old quadratic children: about 11x).
BOUND = 5


def _map(extensions: int) -> ByteMap:
    spec = dataclasses.replace(
        EX.server.spec,
        label=f"scaling-{extensions}",
        extra_extensions=tuple(
            CustomExtension(f"1.3.6.1.4.1.55555.{i}", b"\x05\x00") for i in range(extensions)
        ),
    )
    return byte_map(build(spec, EX.intermediate))


class _QuadraticByteMap(ByteMap):
    """The planted control: ``children`` as it was, scanning every region each time."""

    def children(self, region: Region) -> tuple[Region, ...]:
        return tuple(r for r in self.regions if r.depth == region.depth + 1 and region.contains(r))


def _lines_executed(action: Callable[[], object]) -> int:
    """The number of trace events (calls, lines, returns) while ``action`` runs."""
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        action()
    finally:
        sys.settrace(previous)
    return count


def _work(m: ByteMap) -> int:
    """Render the map as text and HTML, list its leaves and check its tiling, on a fresh copy."""
    fresh = type(m)(m.der, m.regions)  # nothing cached from an earlier run

    def everything() -> None:
        fresh.text()
        fresh._repr_html_()
        fresh.leaves()
        fresh.tiling_errors()

    return _lines_executed(everything)


def _growth(make: Callable[[ByteMap], ByteMap]) -> float:
    small, large = make(_map(N)), make(_map(4 * N))
    assert len(large.regions) > 3 * len(small.regions)  # the input really grows ~4x
    return _work(large) / _work(small)


def test_byte_map_work_grows_linearly() -> None:
    assert _growth(lambda m: m) <= BOUND


def test_the_count_catches_a_quadratic_children() -> None:
    # The control: the old algorithm, counted the same way, fails the same check.
    assert _growth(lambda m: _QuadraticByteMap(m.der, m.regions)) > BOUND


def test_the_control_gives_the_same_answers() -> None:
    # So the two counts compare the same work: identical text, HTML, leaves and tiling.
    m = _map(N)
    old = _QuadraticByteMap(m.der, m.regions)
    assert m.text() == old.text() and m._repr_html_() == old._repr_html_()
    assert m.leaves() == old.leaves() and m.tiling_errors() == old.tiling_errors() == ()


regions = st.lists(
    st.builds(Region, st.just("r"), st.integers(0, 40), st.integers(0, 40), st.integers(0, 3),
              st.just("")),
    max_size=30,
).map(lambda rs: tuple(dataclasses.replace(r, name=f"r{i}") for i, r in enumerate(rs)))  # fmt: skip


@settings(max_examples=300, deadline=None)  # a busy machine must not fail an example
@given(regions, st.integers(0, 40))
def test_the_index_gives_the_scans_answers_for_any_regions(
    rs: tuple[Region, ...], size: int
) -> None:
    # Overlaps, gaps, empty and inverted regions included: what tiling_errors must report.
    m, scan = ByteMap(bytes(size), rs), _QuadraticByteMap(bytes(size), rs)
    for r in (*rs, Region("probe", 5, 20, 0, ""), Region("probe", 30, 2, 2, "")):
        assert m.children(r) == scan.children(r)
        has_parent = any(p.depth == r.depth - 1 and p.contains(r) for p in rs)
        assert m._levels.has_parent(r) == has_parent
    assert m.leaves() == scan.leaves() and m.tiling_errors() == scan.tiling_errors()
    assert m.text() == scan.text() and m._repr_html_() == scan._repr_html_()
