"""Differential tests: where cryptography's verifier and ``openssl verify`` agree, pkiviz agrees.

Hypothesis draws a defect (expired, wrong host, missing intermediate, CA:FALSE
intermediate, wrong EKU, path length, name constraints, SHA-1, RSA-1024,
untrusted root, ...) and a leaf key type; the chain is built with the factory
(keys come from a few fixed seeds, so they are derived once). The only
allowed difference is deliberate: pkiviz's Web PKI profile also judges the
*leaf's* key (BR 6.1.5, 7.1.3.1; x509-limbo's pedantic-webpki-subscriber-key),
which neither stack does.
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkiviz.crosscheck import compare
from pkiviz.validation import scenarios

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _stricter_by_design(v: compare.Verdicts) -> bool:
    """pkiviz rejects a leaf key both stacks accept (RSA-1024, Ed25519): the BRs' rule."""
    return (not v.pkiviz) and v.pkiviz_reason.startswith("algorithms:") and "key" in v.pkiviz_reason


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    defect=st.sampled_from(scenarios.DEFECTS),
    leaf_key=st.sampled_from(scenarios.LEAF_KEYS),
)
def test_pkiviz_agrees_where_the_stacks_agree(defect: str, leaf_key: str) -> None:
    v = compare.verdicts(scenarios.make_chain(defect, leaf_key))
    if not v.stacks_agree:
        return  # recorded in disagreement_table(), not judged here
    if v.pkiviz != v.cryptography:
        assert _stricter_by_design(v), v
        assert v.cryptography and v.openssl
    else:
        assert v.pkiviz == v.cryptography == v.openssl


@pytest.mark.parametrize("defect", scenarios.DEFECTS)
def test_every_defect_with_the_default_key(defect: str) -> None:
    # Deterministic sweep beside the random one: every defect at least once.
    v = compare.verdicts(scenarios.make_chain(defect))
    if v.stacks_agree and not _stricter_by_design(v):
        assert v.pkiviz == v.cryptography, v
    # "none" is the passing control of every broken chain.
    if defect == "none":
        assert v.pkiviz and v.cryptography and v.openssl


def test_disagreement_table_is_data() -> None:
    rows = compare.disagreement_table()
    names = {r.name.split(" (")[0] for r in rows}
    # OpenSSL 3.0 still verifies SHA-1 signatures and falls back to the CN
    # without a SAN; cryptography refuses both. pkiviz sides with cryptography.
    assert {"sha1", "no-san"} <= names
    for row in rows:
        assert row.openssl is not None and row.openssl != row.cryptography
        assert row.pkiviz == row.cryptography
    assert all(r.stacks_agree for r in [compare.verdicts(scenarios.make_chain("none"))])
