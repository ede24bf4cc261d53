"""The compromised-intermediate story for real tools: issuing CAs' CRLs, PEM files, text output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pkiviz import BOOK_CLOCK
from pkiviz.ca.domain_control import ChallengeServer, check_http01, new_challenge
from pkiviz.ca.hierarchy import compromised_intermediate
from pkiviz.validation import validate
from pkiviz.x509.keys import derive_key

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def test_issuing_crls_list_nothing_and_are_current_at_the_book_clock() -> None:
    story = compromised_intermediate()
    crl_a, crl_b = story.issuing_crls
    assert crl_a.issuer is story.good_ca and crl_b.issuer is story.compromised_ca
    assert crl_a.entries == () and crl_b.entries == ()
    entry = story.crl.entry_for(story.compromised_ca)
    assert entry is not None and crl_b.this_update < entry.revoked_at  # signed before the theft
    for crl in (crl_a, crl_b):
        assert crl.next_update is not None and crl.this_update <= BOOK_CLOCK < crl.next_update


def test_with_every_crl_only_the_branch_under_the_revoked_ca_fails() -> None:
    story = compromised_intermediate()
    crls = [story.crl.crl, *(c.crl for c in story.issuing_crls)]
    pool = [story.good_ca, story.compromised_ca]
    good = validate(
        story.good_leaf, intermediates=pool, trust_anchors=[story.root], crls=crls, at=BOOK_CLOCK
    )
    bad = validate(
        story.bad_leaf, intermediates=pool, trust_anchors=[story.root], crls=crls, at=BOOK_CLOCK
    )
    assert good.valid and good.status_of("revocation") == "pass"
    assert [(c.check, c.certificate.index if c.certificate else None) for c in bad.failed] == [
        ("revocation", 1)
    ]


def _verify(directory: Path, ca: str, leaf: str) -> subprocess.CompletedProcess[str]:
    args = [
        "openssl",
        "verify",
        "-attime",
        str(int(BOOK_CLOCK.timestamp())),
        "-crl_check_all",
        "-CAfile",
        "root.pem",
        "-CRLfile",
        "root-crl.pem",
        "-untrusted",
        f"{ca}.pem",
        "-CRLfile",
        f"{ca}-crl.pem",
        f"{leaf}.pem",
    ]
    return subprocess.run(
        args, cwd=directory, capture_output=True, text=True, timeout=20, check=False
    )


@needs_openssl
def test_written_files_let_openssl_check_every_crl(tmp_path: Path) -> None:
    story = compromised_intermediate()
    written = story.write_to(tmp_path)
    assert [p.name for p in written] == [
        "root.pem",
        "ca-a.pem",
        "ca-b.pem",
        "login.pem",
        "shop.pem",
        "root-crl.pem",
        "ca-a-crl.pem",
        "ca-b-crl.pem",
    ]
    assert not any(b"PRIVATE KEY" in p.read_bytes() for p in written)
    good = _verify(tmp_path, "ca-a", "login")
    assert good.returncode == 0, good.stdout + good.stderr
    bad = _verify(tmp_path, "ca-b", "shop")
    assert bad.returncode == 2 and "error 23 at 1 depth lookup" in bad.stdout + bad.stderr


class _Printer:
    def __init__(self) -> None:
        self.out = ""

    def text(self, value: str) -> None:
        self.out += value


def test_ceremony_and_domain_check_show_their_text_in_a_notebook() -> None:
    story = compromised_intermediate()
    printer = _Printer()
    story.second._repr_pretty_(printer, False)
    assert printer.out == str(story.second) and "number 2, 1 revoked" in printer.out
    challenge = new_challenge("login.example.com", derive_key("ec-p256", "acct"), token="t" * 22)
    with ChallengeServer(challenge, serve="nothing") as site:
        check = check_http01(challenge, address=site.address)
    printer = _Printer()
    check._repr_pretty_(printer, False)
    assert printer.out == str(check) and printer.out.startswith("not_found: ")
