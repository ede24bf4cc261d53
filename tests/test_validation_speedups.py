"""The validator's fast paths agree with what they replace, on every x509-limbo certificate.

Each fast path in :mod:`pkiviz.validation.facts` re-implements a little of
cryptography (or skips a call whose result it already knows). Each is checked
here against cryptography itself on the certificates of the whole suite, and
each test also shows that it catches a deliberate mistake in the fast path
(the "planted bug" controls), so an agreement is not a test that cannot fail.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.utils import CryptographyDeprecationWarning
from hypothesis import given, settings
from hypothesis import strategies as st

from pkiviz import limbo
from pkiviz.validation import facts


@pytest.fixture(scope="module")
def limbo_certs() -> list[tuple[x509.Certificate, bytes]]:
    """Every distinct certificate of the suite, with its DER."""
    if not limbo.DEFAULT_LIMBO.exists():
        pytest.skip(f"x509-limbo not found at {limbo.DEFAULT_LIMBO}")
    pems: dict[str, None] = {}
    for case in limbo.load_cases():
        for pem in (case["peer_certificate"], *case["untrusted_intermediates"]):
            pems.setdefault(pem)
        for pem in case["trusted_certs"]:
            pems.setdefault(pem)
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        for pem in pems:
            try:
                cert = x509.load_pem_x509_certificate(pem.encode())
            except ValueError:
                continue
            out.append((cert, cert.public_bytes(serialization.Encoding.DER)))
    return out


# -- the TBSCertificate cut from the DER (the ECDSA fast path signs over it) ---


def _tbs_disagreements(
    certs: list[tuple[x509.Certificate, bytes]],
    tbs: Callable[[facts._Walked, bytes], bytes],
) -> tuple[int, int]:
    """(certificates compared, how many differ from ``cert.tbs_certificate_bytes``)."""
    compared = differ = 0
    for cert, data in certs:
        walked = facts._walk(data)
        if walked.tbs_end == 0:
            continue
        compared += 1
        differ += tbs(walked, data) != cert.tbs_certificate_bytes
    return compared, differ


def test_the_tbs_cut_from_the_der_is_cryptography_s(limbo_certs) -> None:
    compared, differ = _tbs_disagreements(limbo_certs, lambda w, d: w.tbs(d))
    assert compared > 0.99 * len(limbo_certs) > 10_000
    assert differ == 0


def test_planted_bug_a_tbs_cut_one_octet_short_is_caught(limbo_certs) -> None:
    _, differ = _tbs_disagreements(limbo_certs, lambda w, d: d[w.tbs_start : w.tbs_end - 1])
    assert differ > 0


def test_a_certificate_that_cannot_be_walked_has_no_tbs_span() -> None:
    walked = facts._walk(b"\x30\x03\x02\x01")  # cut short
    assert walked == facts._UNREADABLE
    assert walked.tbs(b"anything") == b""


# -- Names built from their DER (fast_name) -------------------------------------


def _state(name: x509.Name) -> object:
    """Everything a Name holds: classes, order, OIDs, values and string types."""
    return (
        type(name),
        [
            (
                type(rdn),
                rdn._attribute_set,
                [(type(a), a.oid, a.value, a._type) for a in rdn],
            )
            for rdn in name.rdns
        ],
    )


def _name_problem(data: bytes, fast: Callable[[bytes], object]) -> str | None:
    """Why ``fast(data)`` disagrees with cryptography's Name for ``data`` (None: agrees)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a name cryptography warns about is not plain
            real = x509.Name.from_bytes(data)
    except (ValueError, UserWarning):
        real = None
    got = fast(data)
    if got is None:
        return None  # cryptography is asked instead: always right
    if real is None:
        return "built a name cryptography refuses or warns about"
    assert isinstance(got, tuple)
    name, label = got
    if name != real or hash(name) != hash(real) or _state(name) != _state(real):
        return f"{name!r} != {real!r}"
    if label is not None and label != real.rfc4514_string():
        return f"label {label!r} != {real.rfc4514_string()!r}"
    return None


def _limbo_names(certs: list[tuple[x509.Certificate, bytes]]) -> list[bytes]:
    names: dict[bytes, None] = {}
    for _, data in certs:
        walked = facts._walk(data)
        names.setdefault(walked.subject)
        names.setdefault(walked.issuer)
    return [n for n in names if n]


def test_fast_names_are_cryptography_s_on_every_limbo_name(limbo_certs) -> None:
    names = _limbo_names(limbo_certs)
    built = sum(facts.fast_name(n) is not None for n in names)
    labelled = sum((facts.fast_name(n) or (None, None))[1] is not None for n in names)
    assert built > 0.99 * len(names) > 10_000 and labelled > 0.9 * len(names)
    assert [p for n in names if (p := _name_problem(n, facts.fast_name))] == []


def test_the_subject_s_label_and_names_are_as_before(limbo_certs) -> None:
    for cert, _data in limbo_certs[:3000]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            got = facts.CertFacts(cert)
        assert got.subject == cert.subject and _state(got.subject) == _state(cert.subject)
        assert got.issuer == cert.issuer and _state(got.issuer) == _state(cert.issuer)
        assert got.label == (cert.subject.rfc4514_string() or "(empty subject)")


_TYPES = [
    x509.name._ASN1Type.UTF8String,
    x509.name._ASN1Type.PrintableString,
    x509.name._ASN1Type.IA5String,
    x509.name._ASN1Type.BMPString,
    x509.name._ASN1Type.T61String,
]
_OIDS = [
    x509.NameOID.COMMON_NAME,
    x509.NameOID.COUNTRY_NAME,
    x509.NameOID.ORGANIZATION_NAME,
    x509.NameOID.EMAIL_ADDRESS,
    x509.NameOID.DOMAIN_COMPONENT,
    x509.ObjectIdentifier("1.2.3.4"),
]
_attribute = st.builds(
    lambda oid, value, kind: (oid, value, kind),
    st.sampled_from(_OIDS),
    st.text(alphabet=st.sampled_from(" #+,;<>\\\"=a-Z0.\x00é'?*"), max_size=70),
    st.sampled_from(_TYPES),
)


def _encode(rdns: list[list[tuple[x509.ObjectIdentifier, str, object]]]) -> bytes | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return x509.Name(
                [
                    x509.RelativeDistinguishedName(
                        [x509.NameAttribute(o, v, k, _validate=False) for o, v, k in rdn]  # type: ignore[arg-type]
                    )
                    for rdn in rdns
                ]
            ).public_bytes()
    except (ValueError, TypeError):
        return None


@given(st.lists(st.lists(_attribute, min_size=1, max_size=2), max_size=8))
@settings(max_examples=400, deadline=None)
def test_fast_names_agree_on_generated_names(rdns) -> None:
    data = _encode(rdns)
    if data is not None:
        assert _name_problem(data, facts.fast_name) is None


@given(st.binary(max_size=80), st.integers(0, 79), st.integers(0, 255))
@settings(max_examples=400, deadline=None)
def test_fast_names_agree_on_damaged_names(tail, where, octet) -> None:
    data = bytearray(x509.Name.from_rfc4514_string("CN=a,O=b c,C=DE").public_bytes())
    data[where % len(data)] = octet
    assert _name_problem(bytes(data) + tail[: where % 3], facts.fast_name) is None


_plain_attribute = st.builds(
    lambda oid, value, kind: [(oid, value, kind)],
    st.sampled_from(_OIDS),
    st.text(alphabet=st.sampled_from("abcdefXYZ0189 .-'()=?:/+,#;<>\"\\"), min_size=1, max_size=12),
    st.sampled_from(_TYPES[:3]),
)


@given(st.lists(_plain_attribute, max_size=5))
@settings(max_examples=600, deadline=None)
def test_fast_names_agree_on_generated_plain_names(rdns) -> None:
    data = _encode(rdns)
    if data is not None:
        assert _name_problem(data, facts.fast_name) is None


def _planted(mistake: str) -> Callable[[bytes], object]:
    def fast(data: bytes) -> object:
        got = facts.fast_name(data)
        if got is None:
            return None
        name, label = got
        attribute = next(iter(name), None)
        if mistake == "type" and attribute is not None:
            attribute._type = x509.name._ASN1Type.UTF8String
        if mistake == "order" and len(name.rdns) > 1:
            name._attributes = name.rdns[::-1]
        if mistake == "escape" and label is not None and "," in label:
            label = label.replace(",", "+", 1)
        return name, label

    return fast


@pytest.mark.parametrize("mistake", ["type", "order", "escape"])
def test_planted_bug_in_fast_names_is_caught(limbo_certs, mistake) -> None:
    names = _limbo_names(limbo_certs)[:2000]
    assert any(_name_problem(n, _planted(mistake)) for n in names)
