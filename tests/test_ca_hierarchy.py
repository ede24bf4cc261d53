"""The offline root, the revoked intermediate and the split hierarchies."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from pkiviz import BOOK_CLOCK, CertSpec
from pkiviz.ca.hierarchy import (
    RootOfflineError,
    compromised_intermediate,
    is_offline,
    key_ceremony,
    reopen,
    seal,
    separate_hierarchies,
)
from pkiviz.revocation.crl import build_crl
from pkiviz.x509.factory import CA

DAY_BEFORE = BOOK_CLOCK - dt.timedelta(days=1)
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def _ca_spec(name: str) -> CertSpec:
    return CertSpec(label=name, subject=f"CN={name}", ca=True, path_length=0)


def test_ceremony_signs_then_the_key_is_gone() -> None:
    root = CA.root("Ceremony Root", key="ec-p384")
    ceremony = key_ceremony(root, [_ca_spec("Ceremony Intermediate")])
    (intermediate,) = ceremony.signed
    intermediate.certificate.verify_directly_issued_by(ceremony.root.certificate)
    assert is_offline(ceremony.root) and not is_offline(root)
    assert intermediate.issuer is ceremony.root  # the kept chain holds no root key
    with pytest.raises(RootOfflineError, match="offline"):
        ceremony.root.intermediate("Another Intermediate")
    with pytest.raises(RootOfflineError):
        _ = ceremony.root.key_pem
    # Control: the intermediate's own key is online and issues leaves.
    leaf = intermediate.issue_server("login.example.com")
    assert leaf.chain[-1] is ceremony.root


@pytest.mark.parametrize("key", ["rsa-2048", "ed25519"])
def test_sealing_works_for_every_key_type(key: str) -> None:
    sealed = seal(CA.root(f"Sealed {key}", key=key))
    with pytest.raises(RootOfflineError):
        sealed.intermediate("x")
    assert sealed.certificate.public_key() == sealed.private_key.public_key()


def test_sealed_root_cannot_hold_a_ceremony_until_reopened() -> None:
    first = key_ceremony(CA.root("Reopen Root"))
    with pytest.raises(RootOfflineError):
        key_ceremony(first.root, [_ca_spec("Late Intermediate")])
    second = key_ceremony(reopen(first.root), [_ca_spec("Late Intermediate")], crl_number=2)
    assert second.root.der == first.root.der  # the same root, brought out again
    assert second.crl.number == 2


def test_live_root_cannot_come_back() -> None:
    sealed = seal(CA.root("Live Root", live=True))
    with pytest.raises(RootOfflineError, match="gone for good"):
        reopen(sealed)


def test_root_signs_only_intermediates() -> None:
    leaf_spec = CertSpec(label="leaf", subject="CN=leaf.example.com")
    with pytest.raises(ValueError, match="only intermediate"):
        key_ceremony(CA.root("Strict Root"), [leaf_spec])


def test_ceremony_record_renders() -> None:
    ceremony = key_ceremony(CA.root("Render Root"), [_ca_spec("Render CA")])
    assert "key sealed" in str(ceremony) and "<table>" in ceremony._repr_html_()


def test_compromised_intermediate_is_on_the_root_crl_and_the_other_is_not() -> None:
    story = compromised_intermediate()
    entry = story.crl.entry_for(story.compromised_ca)
    assert entry is not None and entry.reason == "ca_compromise"
    assert story.crl.entry_for(story.good_ca) is None
    assert story.crl.crl.is_signature_valid(story.root.certificate.public_key())
    assert story.first.crl.entries == ()  # before the compromise, nothing was revoked
    assert is_offline(story.root)
    assert story.bad_leaf.issuer is story.compromised_ca
    assert "ca_compromise" in str(story)


def _verify(
    tmp: Path,
    *,
    root: bytes,
    crls: list[bytes],
    untrusted: bytes,
    leaf: bytes,
    purpose: str = "sslserver",
    crl_check: bool = True,
) -> subprocess.CompletedProcess[str]:
    paths = {}
    for name, data in {"root": root, "untrusted": untrusted, "leaf": leaf}.items():
        paths[name] = tmp / f"{name}.pem"
        paths[name].write_bytes(data)
    args = [
        "openssl",
        "verify",
        "-CAfile",
        str(paths["root"]),
        "-untrusted",
        str(paths["untrusted"]),
        "-purpose",
        purpose,
        "-attime",
        str(int(BOOK_CLOCK.timestamp())),
    ]
    if crl_check:
        args.append("-crl_check_all")
    for i, crl in enumerate(crls):
        path = tmp / f"crl{i}.pem"
        path.write_bytes(crl)
        args += ["-CRLfile", str(path)]
    return subprocess.run(
        [*args, str(paths["leaf"])], capture_output=True, text=True, timeout=20, check=False
    )


@needs_openssl
def test_openssl_rejects_the_revoked_intermediate_and_accepts_the_other(tmp_path: Path) -> None:
    story = compromised_intermediate()
    root_crl = story.crl.pem.data
    good = _verify(
        tmp_path,
        root=story.root.pem.data,
        untrusted=story.good_ca.pem.data,
        leaf=story.good_leaf.pem.data,
        crls=[
            root_crl,
            build_crl(story.good_ca, this_update=BOOK_CLOCK - dt.timedelta(days=1)).pem.data,
        ],
    )
    assert good.returncode == 0, good.stderr + good.stdout
    bad = _verify(
        tmp_path,
        root=story.root.pem.data,
        untrusted=story.compromised_ca.pem.data,
        leaf=story.bad_leaf.pem.data,
        crls=[
            root_crl,
            build_crl(story.compromised_ca, this_update=BOOK_CLOCK - dt.timedelta(days=1)).pem.data,
        ],
    )
    assert bad.returncode != 0 and "revoked" in (bad.stderr + bad.stdout)


def test_split_hierarchies_have_eku_constrained_intermediates() -> None:
    split = separate_hierarchies()
    server_eku = split.server_ca.certificate.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage
    ).value
    client_eku = split.client_ca.certificate.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage
    ).value
    assert list(server_eku) == [x509.ExtendedKeyUsageOID.SERVER_AUTH]
    assert list(client_eku) == [x509.ExtendedKeyUsageOID.CLIENT_AUTH]
    assert split.server_root.certificate.subject != split.client_root.certificate.subject
    assert split.server.chain[-1] is split.server_root
    assert split.client.chain[-1] is split.client_root
    assert is_offline(split.server_root) and is_offline(split.client_root)


@needs_openssl
def test_openssl_enforces_the_eku_split(tmp_path: Path) -> None:
    split = separate_hierarchies()
    ok = _verify(
        tmp_path,
        root=split.server_root.pem.data,
        untrusted=split.server_ca.pem.data,
        leaf=split.server.pem.data,
        crls=[],
        crl_check=False,
    )
    assert ok.returncode == 0, ok.stderr
    client_ok = _verify(
        tmp_path,
        root=split.client_root.pem.data,
        untrusted=split.client_ca.pem.data,
        leaf=split.client.pem.data,
        crls=[],
        purpose="sslclient",
        crl_check=False,
    )
    assert client_ok.returncode == 0, client_ok.stderr
    # A server certificate slipped under the client-auth intermediate is refused.
    rogue = split.client_ca.issue_server("login.example.com", label="rogue server")
    refused = _verify(
        tmp_path,
        root=split.client_root.pem.data,
        untrusted=split.client_ca.pem.data,
        leaf=rogue.pem.data,
        crls=[],
        crl_check=False,
    )
    assert refused.returncode != 0 and "purpose" in (refused.stderr + refused.stdout)


def test_a_ca_eku_limit_cites_eku_chaining_not_rfc_5280() -> None:
    """RFC 5280 gives a CA's EKU no meaning; the limit comes from the BRs and the verifiers."""
    from cryptography.x509.verification import DNSName, PolicyBuilder, Store, VerificationError

    from pkiviz.validation import validate

    split = separate_hierarchies()
    rogue = split.client_ca.issue_server("login.example.com", label="rogue server")
    trust = [split.server_root, split.client_root]
    report = validate(rogue, intermediates=[split.client_ca], trust_anchors=trust, at=BOOK_CLOCK)
    failed = [(c.check, c.certificate.index, c.rfc) for c in report.failed]
    assert failed == [("extended-key-usage", 1, failed[0][2])]
    assert failed[0][2].startswith("EKU chaining: not in RFC 5280; BR 7.1.2.10.6")
    # control: a leaf's own EKU is RFC 5280's (4.2.1.12)
    leaf_only = validate(
        split.client, intermediates=[split.client_ca], trust_anchors=trust, at=BOOK_CLOCK
    )
    cited = [(c.certificate.index, c.rfc) for c in leaf_only.failed]
    assert cited == [(0, "RFC 5280 4.2.1.12"), (1, failed[0][2])]
    # the citation's claim: cryptography enforces it too (and accepts the right CA's leaf)
    store = Store([root.certificate for root in trust])
    verifier = (
        PolicyBuilder()
        .store(store)
        .time(BOOK_CLOCK)
        .build_server_verifier(DNSName("login.example.com"))
    )
    with pytest.raises(VerificationError, match="EKU"):
        verifier.verify(rogue.certificate, [split.client_ca.certificate])
    assert verifier.verify(split.server.certificate, [split.server_ca.certificate])
