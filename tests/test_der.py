"""pkiviz.x509.der: the DER reader and encoder agree, and the reader accepts DER only.

Every rejection is paired with a passing control: the same value, encoded as
DER requires, reads back.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from pkiviz.errors import InputError
from pkiviz.x509 import der

# identifier octets with a low tag number (the high tag number form is 0x1F in the low bits)
low_identifiers = st.integers(0, 0xFF).filter(lambda octet: octet & 0x1F != 0x1F)
oids = st.integers(0, 2).flatmap(
    lambda first: st.tuples(
        st.just(first),
        st.integers(0, 39 if first < 2 else 10**6),
        st.lists(st.integers(0, 2**64), max_size=8),
    )
)


# --- lengths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "encoded"),
    [(0, "00"), (127, "7f"), (128, "8180"), (255, "81ff"), (256, "820100"), (65536, "83010000")],
)
def test_encode_length(length: int, encoded: str) -> None:
    assert der.encode_length(length).hex() == encoded


def test_encode_length_refuses_a_negative_length() -> None:
    assert der.encode_length(0) == b"\x00"  # control
    with pytest.raises(ValueError, match="negative"):
        der.encode_length(-1)


@settings(deadline=None)  # a busy machine must not fail an example
@given(st.integers(0, 2**40))
def test_encoded_lengths_are_minimal(length: int) -> None:
    encoded = der.encode_length(length)
    if length < 0x80:
        assert encoded == bytes([length])  # short form below 128 (X.690 8.1.3.4)
        return
    count = encoded[0] & 0x7F
    assert encoded[0] & 0x80 and count == len(encoded) - 1
    assert encoded[1] != 0  # no leading zero octet (X.690 10.1)
    assert int.from_bytes(encoded[1:], "big") == length


@settings(deadline=None)  # a busy machine must not fail an example
@given(st.integers(0, 70_000))
def test_length_round_trip(length: int) -> None:
    encoded = der.octet_string(bytes(length))
    tlv = der.read_single(encoded)
    assert (tlv.length, tlv.header_length) == (length, 1 + len(der.encode_length(length)))


# --- round trips ---------------------------------------------------------------------------


@settings(deadline=None)  # a busy machine must not fail an example
@given(low_identifiers, st.binary(max_size=70_000))
def test_tlv_round_trip(identifier: int, content: bytes) -> None:
    encoded = der.encode_tlv(identifier, content)
    tlv = der.read_single(encoded)
    assert tlv.identifier == identifier
    assert tlv.number == identifier & 0x1F
    assert tlv.constructed == bool(identifier & 0x20)
    assert tlv.tag_class == ("universal", "application", "context", "private")[identifier >> 6]
    assert (tlv.start, tlv.end) == (0, len(encoded))
    assert tlv.content(encoded) == content


@settings(deadline=None)  # a busy machine must not fail an example
@given(st.binary(max_size=300), st.binary(max_size=300), oids)
def test_sequence_round_trip(octets: bytes, bits: bytes, arcs: tuple[int, int, list[int]]) -> None:
    dotted = ".".join(str(a) for a in (arcs[0], arcs[1], *arcs[2]))
    encoded = der.sequence(
        der.octet_string(octets), der.null(), der.object_identifier(dotted), der.bit_string(bits)
    )
    top = der.read_single(encoded)
    assert top.identifier == der.SEQUENCE and top.is_universal(16)
    kids = der.children(encoded, top)
    assert [k.identifier for k in kids] == [der.OCTET_STRING, der.NULL, der.OID, der.BIT_STRING]
    assert kids[0].content(encoded) == octets
    assert kids[1].length == 0
    assert der.decode_oid(kids[2].content(encoded)) == dotted
    assert kids[3].content(encoded) == b"\x00" + bits  # no unused bits


@settings(deadline=None)  # a busy machine must not fail an example
@given(oids)
def test_oid_round_trip(arcs: tuple[int, int, list[int]]) -> None:
    dotted = ".".join(str(a) for a in (arcs[0], arcs[1], *arcs[2]))
    encoded = der.object_identifier(dotted)
    assert der.decode_oid(der.read_single(encoded).content(encoded)) == dotted


def test_oids_match_cryptography() -> None:
    oid = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
    name = x509.Name([x509.NameAttribute(oid, "x")])
    assert der.object_identifier(oid.dotted_string) in name.public_bytes()
    assert der.object_identifier("2.5.29.17") == bytes.fromhex("0603551d11")


@pytest.mark.parametrize("bad", ["1.40", "3.1", "1", "one.two", "1.2.-3"])
def test_object_identifier_refuses_invalid_oids(bad: str) -> None:
    assert der.object_identifier("1.39")  # control: the largest second arc under 1
    with pytest.raises(ValueError):
        der.object_identifier(bad)


def test_decode_oid_refuses_a_cut_off_arc() -> None:
    assert der.decode_oid(bytes.fromhex("551d11")) == "2.5.29.17"  # control
    for bad in (b"", bytes.fromhex("551d91")):
        with pytest.raises(InputError, match="malformed OBJECT IDENTIFIER"):
            der.decode_oid(bad)


def test_generalized_time() -> None:
    when = dt.datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    encoded = der.generalized_time(when)
    assert encoded == b"\x18\x0f" + b"20260304030607Z"  # UTC, whole seconds (RFC 5280 4.1.2.5.2)
    assert der.read_single(encoded).identifier == der.GENERALIZED_TIME


def test_generalized_time_refuses_a_naive_datetime() -> None:
    aware = dt.datetime(2026, 3, 4, tzinfo=dt.UTC)
    assert der.generalized_time(aware).endswith(b"20260304000000Z")  # control
    with pytest.raises(ValueError, match="aware"):
        der.generalized_time(aware.replace(tzinfo=None))


@settings(deadline=None)  # a busy machine must not fail an example
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_encoded_slices_a_whole_tlv(first: bytes, second: bytes) -> None:
    parts = (der.octet_string(first), der.bit_string(second))
    encoded = der.sequence(*parts)
    kids = der.children(encoded, der.read_single(encoded))
    assert tuple(k.encoded(encoded) for k in kids) == parts
    assert der.sequence(*(k.encoded(encoded) for k in kids)) == encoded


# --- the reader accepts DER only ------------------------------------------------------------


def test_rejects_indefinite_length() -> None:
    assert der.read_single(b"\x30\x02\x05\x00").length == 2  # control: definite
    with pytest.raises(InputError, match="indefinite length"):
        der.read_tlv(b"\x30\x80\x05\x00\x00\x00")


@settings(deadline=None)  # a busy machine must not fail an example
@given(st.integers(0, 300))
def test_rejects_a_leading_zero_in_the_length(length: int) -> None:
    content = bytes(length)
    minimal = der.encode_tlv(der.OCTET_STRING, content)
    assert der.read_single(minimal).content(minimal) == content  # control
    padded = b"\x00" + length.to_bytes(max(1, (length.bit_length() + 7) // 8), "big")
    with pytest.raises(InputError, match="non-minimal length"):
        der.read_tlv(b"\x04" + bytes([0x80 | len(padded)]) + padded + content)


def test_rejects_long_form_for_a_short_length() -> None:
    assert der.read_single(b"\x04\x05" + bytes(5)).length == 5  # control: short form
    with pytest.raises(InputError, match="non-minimal length"):
        der.read_tlv(b"\x04\x81\x05" + bytes(5))


def test_rejects_a_high_tag_number_form_for_a_low_tag() -> None:
    assert der.read_single(b"\x01\x01\x00").number == 1  # control: BOOLEAN, one octet
    assert der.read_single(b"\x1f\x1f\x00").number == 31  # control: 31 needs the high form
    with pytest.raises(InputError, match="needs no high tag number form"):
        der.read_tlv(b"\x1f\x01\x00")
    with pytest.raises(InputError, match="leading zero"):
        der.read_tlv(b"\x1f\x80\x1f\x00")


def test_high_tag_number_identifier() -> None:
    tlv = der.read_single(bytes([0xBF, 0x81, 0x00, 0x00]))
    assert (tlv.tag_class, tlv.number, tlv.tag_name) == ("context", 128, "[128]")
    assert tlv.identifier == 0xBF and tlv.header_length == 4


@pytest.mark.parametrize(
    ("bad", "good"),
    [
        (b"", b"\x05\x00"),
        (b"\x30", b"\x30\x00"),
        (b"\x30\x05\x00", b"\x30\x01\x00"),
        (b"\x30\x82\x01", b"\x30\x82\x01\x00" + bytes(256)),
        (b"\xbf\x81", b"\xbf\x81\x00\x00"),
    ],
)
def test_rejects_truncated_der(bad: bytes, good: bytes) -> None:
    assert der.read_single(good).end == len(good)  # control
    with pytest.raises(InputError, match="truncated"):
        der.read_tlv(bad)


def test_read_single_rejects_trailing_bytes() -> None:
    assert der.read_single(b"\x05\x00").end == 2  # control
    with pytest.raises(InputError, match="1 trailing byte after"):
        der.read_single(b"\x05\x00\x00")


def test_children_stay_inside_their_parent() -> None:
    good = der.sequence(der.null(), der.octet_string(b"ab"))
    assert len(der.children(good, der.read_single(good))) == 2  # control
    overrun = b"\x30\x03\x04\x05\x00" + bytes(5)  # the child claims 5 octets, the parent has 1
    with pytest.raises(InputError, match="truncated"):
        der.children(overrun, der.read_tlv(overrun))
    primitive = der.octet_string(der.null())
    with pytest.raises(InputError, match="primitive"):
        der.children(primitive, der.read_single(primitive))


def test_errors_are_value_errors_naming_the_input() -> None:
    with pytest.raises(ValueError, match=r"^server\.der: indefinite length at offset 0"):
        der.read_tlv(b"\x30\x80\x00\x00", what="server.der")


def _one_by_one(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tlv = der.read_tlv(data, pos, end=end)
        out.append((data[pos], pos, tlv.content_start, tlv.end))
        pos = tlv.end
    return out


def _same_as_one_by_one(data: bytes, start: int, end: int) -> None:
    try:
        expected: object = _one_by_one(data, start, end)
    except InputError:
        expected = InputError
    try:
        got: object = der.spans(data, start, end)
    except InputError:
        got = InputError
    assert got == expected


_LEAF_DER = None


def _leaf_der() -> bytes:
    global _LEAF_DER
    if _LEAF_DER is None:
        from pkiviz.x509.example import running_example

        _LEAF_DER = running_example().server.der
    return _LEAF_DER


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600))
def test_spans_reads_exactly_what_read_tlv_reads_on_any_bytes(data: bytes) -> None:
    _same_as_one_by_one(data, 0, len(data))


@settings(max_examples=500, deadline=None)
@given(st.data())
def test_spans_reads_exactly_what_read_tlv_reads_in_a_corrupted_certificate(data) -> None:
    cert = bytearray(_leaf_der())
    for _ in range(data.draw(st.integers(1, 3))):
        cert[data.draw(st.integers(0, len(cert) - 1))] = data.draw(st.integers(0, 255))
    raw = bytes(cert)
    outer = der.read_tlv(_leaf_der())
    # the TBSCertificate's fields, where the validator uses spans
    tbs = der.read_tlv(_leaf_der(), outer.content_start)
    end = min(tbs.end, len(raw))
    _same_as_one_by_one(raw, tbs.content_start, end)
    _same_as_one_by_one(raw, outer.content_start, min(outer.end, len(raw)))


def test_spans_control_on_a_real_certificate() -> None:
    data = _leaf_der()
    outer = der.read_tlv(data)
    assert der.spans(data, outer.content_start, outer.end) == _one_by_one(
        data, outer.content_start, outer.end
    )
    assert len(der.spans(data, outer.content_start, outer.end)) == 3  # tbs, alg, signature


_length_forms = st.one_of(
    st.integers(0, 0x7F).map(lambda n: bytes([n])),
    st.integers(0, 0xFF).map(lambda n: bytes([0x81, n])),  # minimal only from 0x80
    st.integers(0, 0xFFFF).map(lambda n: bytes([0x82]) + n.to_bytes(2, "big")),
    st.integers(0, 0xFFFFFF).map(lambda n: bytes([0x83]) + n.to_bytes(3, "big")),
    st.just(b"\x80"),  # indefinite
    st.binary(min_size=1, max_size=3),
)


@st.composite
def _tlv_like(draw: st.DrawFn) -> bytes:
    identifier = draw(
        st.one_of(st.integers(0, 0xFF).map(lambda n: bytes([n])), st.binary(min_size=1, max_size=3))
    )
    head = identifier + draw(_length_forms)
    return head + draw(st.binary(max_size=400))


@settings(max_examples=1000, deadline=None)
@given(st.lists(_tlv_like(), max_size=4).map(b"".join), st.integers(0, 8))
def test_spans_reads_exactly_what_read_tlv_reads_on_tlv_like_bytes(data: bytes, cut: int) -> None:
    _same_as_one_by_one(data, 0, len(data))
    _same_as_one_by_one(data, 0, max(0, len(data) - cut))
