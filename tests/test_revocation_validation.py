"""CRLs built here, judged by the validator (which owns CRL checking): revoked, stale, controls."""

from __future__ import annotations

import datetime as dt

from pkiviz import BOOK_CLOCK, running_example
from pkiviz.ca.hierarchy import compromised_intermediate
from pkiviz.revocation.crl import RevokedEntry, build_crl
from pkiviz.validation import validate
from pkiviz.validation.report import Report
from pkiviz.x509.factory import Issued

DAY = dt.timedelta(days=1)


def _server_report(
    crl_this_update: dt.datetime, revoked: bool, at: dt.datetime = BOOK_CLOCK
) -> Report:
    ex = running_example()
    entries = [RevokedEntry.of(ex.server, at=BOOK_CLOCK - 2 * DAY, reason="key_compromise")]
    leaf_crl = build_crl(ex.intermediate, entries if revoked else [], this_update=crl_this_update)
    root_crl = build_crl(ex.root, this_update=crl_this_update)
    return validate(
        ex.server,
        intermediates=[ex.intermediate],
        trust_anchors=[ex.root],
        peer_name=ex.hostname,
        at=at,
        crls=[leaf_crl.crl, root_crl.crl],
    )


def _failures(report: Report) -> str:
    return " ".join(str(c) for c in report.failed)


def test_fresh_crl_without_the_leaf_passes() -> None:
    assert _server_report(BOOK_CLOCK - DAY, revoked=False).valid


def test_revoked_leaf_fails() -> None:
    report = _server_report(BOOK_CLOCK - DAY, revoked=True)
    assert not report.valid and "REVOKED" in _failures(report)


def test_stale_crl_fails_and_the_same_crl_earlier_passes() -> None:
    stale = _server_report(BOOK_CLOCK - 30 * DAY, revoked=False)
    assert not stale.valid and "expired" in _failures(stale)
    earlier = _server_report(BOOK_CLOCK - 30 * DAY, revoked=False, at=BOOK_CLOCK - 29 * DAY)
    assert earlier.valid


def test_leaf_under_the_revoked_intermediate_fails_and_its_sibling_passes() -> None:
    story = compromised_intermediate()

    def report(leaf: Issued, ca: Issued) -> Report:
        return validate(
            leaf,
            intermediates=[ca],
            trust_anchors=[story.root],
            peer_name=leaf.spec.dns_names[0],
            crls=[story.crl.crl, build_crl(ca, this_update=BOOK_CLOCK - DAY).crl],
            at=BOOK_CLOCK,
        )

    assert report(story.good_leaf, story.good_ca).valid
    bad = report(story.bad_leaf, story.compromised_ca)
    assert not bad.valid and "REVOKED" in _failures(bad)
