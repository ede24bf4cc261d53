"""The glass-box client's ClientHello, built byte by byte, and the ServerHello fields it reads.

RFC 8446 4.1.2: legacy_version 0x0303, a 32-byte random, an empty
legacy_session_id, one cipher suite, the null compression method and five
extensions - server_name, supported_groups (one group), signature_algorithms,
supported_versions (TLS 1.3 only) and key_share (one share).
"""

from __future__ import annotations

from pkiviz.tls._wire import Reader
from pkiviz.tls.glassbox_kex import ClientShare
from pkiviz.tls.names import SIGNATURE_SCHEMES

SUITE = "TLS_AES_128_GCM_SHA256"
SUITE_CODE = 0x1301
#: The signature schemes offered, by code point (RFC 8446 4.2.3; draft-ietf-tls-mldsa).
SCHEMES: dict[int, str] = {c: SIGNATURE_SCHEMES[c] for c in (0x0403, 0x0804, 0x0904, 0x0905)}


def client_hello(share: ClientShare, random: bytes, server_name: str, *,
                 send_key_share: bool = True) -> bytes:  # fmt: skip
    """Build the ClientHello handshake message (header included), RFC 8446 4.1.2.

    Args:
        share: the key share to offer (its group is the only one offered).
        random: the 32-byte client random.
        server_name: the SNI host name.
        send_key_share: ``False`` offers the group without a share (which
            makes any server answer with a HelloRetryRequest).

    Returns:
        The message bytes as they enter the transcript.
    """

    def vec(n: int, data: bytes) -> bytes:
        return len(data).to_bytes(n, "big") + data

    def ext(code: int, data: bytes) -> bytes:
        return code.to_bytes(2, "big") + vec(2, data)

    host = server_name.encode("ascii")
    shares = share.code.to_bytes(2, "big") + vec(2, share.public) if send_key_share else b""
    schemes = b"".join(c.to_bytes(2, "big") for c in SCHEMES)
    extensions = (
        ext(0, vec(2, b"\x00" + vec(2, host)))  # server_name
        + ext(10, vec(2, share.code.to_bytes(2, "big")))  # supported_groups
        + ext(13, vec(2, schemes))  # signature_algorithms
        + ext(43, vec(1, b"\x03\x04"))  # supported_versions: TLS 1.3 only
        + ext(51, vec(2, shares))  # key_share
    )
    body = (
        b"\x03\x03" + random + vec(1, b"") + vec(2, SUITE_CODE.to_bytes(2, "big"))
        + vec(1, b"\x00") + vec(2, extensions)
    )  # fmt: skip
    return b"\x01" + vec(3, body)


def server_hello_fields(raw: bytes) -> tuple[bytes, int, int | None, int | None, bytes]:
    """Read what the client needs from a ServerHello (header included).

    Args:
        raw: the ServerHello message.

    Returns:
        ``(random, cipher suite, selected version, key share group, key share bytes)``;
        the version and group are ``None`` when the extension is absent.

    Raises:
        HandshakeParseError: the bytes do not parse.
    """
    r = Reader(raw[4:], "ServerHello")
    r.uint(2, "legacy_version")
    random = r.take(32, "random")
    r.vector(1, "legacy_session_id_echo")
    suite = r.uint(2, "cipher_suite")
    r.uint(1, "legacy_compression_method")
    exts = r.sub(2, "extensions")
    version = group = None
    share = b""
    while exts.remaining:
        code, data = exts.uint(2, "extension type"), Reader(exts.vector(2, "extension"), "ext")
        if code == 43:
            version = data.uint(2, "selected_version")
        elif code == 51:
            group = data.uint(2, "group")
            share = data.vector(2, "key_exchange") if data.remaining else b""
    return random, suite, version, group, share


__all__ = ["SCHEMES", "SUITE", "SUITE_CODE", "client_hello", "server_hello_fields"]
