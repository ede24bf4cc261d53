"""CRLs built by pkiviz: deterministic, signed by the CA, listing what they should."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from cryptography import x509

from pkiviz import BOOK_CLOCK, running_example
from pkiviz.revocation.crl import BuiltCrl, RevokedEntry, build_crl, entries_of
from pkiviz.revocation.ocsp import build_ocsp_request, build_ocsp_response
from pkiviz.x509.anatomy import anatomy, serial_hex
from pkiviz.x509.factory import CA

DAY = dt.timedelta(days=1)


def _revoked_server() -> BuiltCrl:
    ex = running_example()
    return build_crl(
        ex.intermediate,
        [RevokedEntry.of(ex.server, at=BOOK_CLOCK - 2 * DAY, reason="key_compromise")],
        number=7,
    )


def test_same_inputs_give_same_der() -> None:
    assert _revoked_server().der == _revoked_server().der


def test_different_inputs_give_different_der_control() -> None:
    ex = running_example()
    assert build_crl(ex.intermediate, number=8).der != build_crl(ex.intermediate, number=7).der


def test_crl_fields() -> None:
    crl = _revoked_server()
    ex = running_example()
    assert crl.crl.issuer == ex.intermediate.certificate.subject
    assert crl.number == 7
    assert crl.this_update == BOOK_CLOCK - DAY
    assert crl.next_update == BOOK_CLOCK + 6 * DAY
    aki = crl.crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ex.intermediate.certificate.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier
    ).value
    assert aki.key_identifier == ski.digest
    assert crl.pem.data.startswith(b"-----BEGIN X509 CRL-----")
    assert x509.load_der_x509_crl(crl.der) == crl.crl


def test_signature_verifies_with_issuer_key_and_not_another() -> None:
    ex = running_example()
    crl = _revoked_server().crl
    assert crl.is_signature_valid(ex.intermediate.certificate.public_key())
    assert not crl.is_signature_valid(ex.root.certificate.public_key())


def test_listed_certificate_is_found_and_an_unlisted_one_is_not() -> None:
    ex = running_example()
    crl = _revoked_server()
    entry = crl.entry_for(ex.server)
    assert entry is not None
    assert entry.reason == "key_compromise"
    assert entry.revoked_at == BOOK_CLOCK - 2 * DAY
    assert crl.entry_for(ex.client) is None
    assert crl.entries == (entry,)


def test_empty_crl_lists_nothing() -> None:
    crl = build_crl(running_example().intermediate)
    assert crl.entries == ()
    assert "revoked: none" in str(crl)


def test_no_reason_means_no_reason_extension() -> None:
    ex = running_example()
    crl = build_crl(ex.intermediate, [RevokedEntry.of(ex.server, at=BOOK_CLOCK)])
    (revoked,) = list(crl.crl)
    with pytest.raises(x509.ExtensionNotFound):
        revoked.extensions.get_extension_for_class(x509.CRLReason)
    assert entries_of(crl.crl)[0].reason is None


def test_lifetime_sets_next_update() -> None:
    crl = build_crl(running_example().intermediate, lifetime=DAY)
    assert crl.next_update == crl.this_update + DAY


@pytest.mark.parametrize("key", ["rsa-2048", "ed25519", "ec-p384"])
def test_other_key_types_sign_and_verify(key: str) -> None:
    root = CA.root(f"CRL root {key}", key=key)
    crl = build_crl(root, [RevokedEntry(serial=12345, revoked_at=BOOK_CLOCK)])
    assert crl.crl.is_signature_valid(root.certificate.public_key())
    assert crl.der == build_crl(root, [RevokedEntry(serial=12345, revoked_at=BOOK_CLOCK)]).der


def test_duplicate_serials_refused() -> None:
    entry = RevokedEntry(serial=5, revoked_at=BOOK_CLOCK)
    with pytest.raises(ValueError, match="twice"):
        build_crl(running_example().intermediate, [entry, dataclasses.replace(entry)])


def test_unknown_reason_refused_and_known_accepted() -> None:
    with pytest.raises(ValueError, match="unknown revocation reason"):
        RevokedEntry(serial=5, revoked_at=BOOK_CLOCK, reason="lost it")
    assert RevokedEntry(serial=5, revoked_at=BOOK_CLOCK, reason="superseded").reason == "superseded"


def test_renders_as_text_and_html() -> None:
    crl = _revoked_server()
    assert "key_compromise" in str(crl)
    assert "<table>" in crl._repr_html_()


def test_serials_print_as_the_anatomy_prints_them() -> None:
    ex = running_example()
    padded = anatomy(ex.server.certificate).serial_hex
    assert padded.startswith("0") and len(padded) % 2 == 0  # 0x09..., 20 octets
    assert serial_hex(ex.server.certificate.serial_number) == padded
    assert f"serial {padded}:" in str(_revoked_server())
    assert f"serial {padded} revoked" in str(_revoked_server().entries[0])
    assert f"serial {padded}: good" in str(build_ocsp_response(ex.intermediate, ex.server))
    assert f"serial {padded} " in str(build_ocsp_request(ex.server, ex.intermediate))
    # control: an even-length serial is not padded
    assert serial_hex(0xABCD) == "ABCD" and serial_hex(0xBCD) == "0BCD"
