"""The IANA code points a reader of a TLS handshake needs, as names.

One table per registry (RFC 8446 section 4 and appendix B.3, RFC 5246 7.4,
RFC 8422, RFC 7919): handshake types, cipher suites, signature schemes,
named groups, extensions, alerts and TLS 1.2 client certificate types.
:func:`name_of` turns an unknown code point into ``"unknown(0x....)"``
instead of failing, because a real server may send anything.
"""

from __future__ import annotations

from collections.abc import Mapping

#: RFC 8446 4 / RFC 5246 7.4 HandshakeType.
HANDSHAKE_TYPES: Mapping[int, str] = {
    0: "HelloRequest",
    1: "ClientHello",
    2: "ServerHello",
    4: "NewSessionTicket",
    5: "EndOfEarlyData",
    8: "EncryptedExtensions",
    11: "Certificate",
    12: "ServerKeyExchange",
    13: "CertificateRequest",
    14: "ServerHelloDone",
    15: "CertificateVerify",
    16: "ClientKeyExchange",
    20: "Finished",
    22: "CertificateStatus",
    24: "KeyUpdate",
    254: "message_hash",
}

#: TLS record content types (RFC 8446 5.1).
CONTENT_TYPES: Mapping[int, str] = {
    20: "change_cipher_spec",
    21: "alert",
    22: "handshake",
    23: "application_data",
}

#: Protocol versions.
VERSIONS: Mapping[int, str] = {
    0x0300: "SSLv3",
    0x0301: "TLSv1",
    0x0302: "TLSv1.1",
    0x0303: "TLSv1.2",
    0x0304: "TLSv1.3",
}

#: Cipher suites OpenSSL 3 negotiates by default (and a few more), by IANA name.
CIPHER_SUITES: Mapping[int, str] = {
    0x1301: "TLS_AES_128_GCM_SHA256",
    0x1302: "TLS_AES_256_GCM_SHA384",
    0x1303: "TLS_CHACHA20_POLY1305_SHA256",
    0x1304: "TLS_AES_128_CCM_SHA256",
    0x1305: "TLS_AES_128_CCM_8_SHA256",
    0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256",
    0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384",
    0x009E: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
    0x009F: "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
    0x0067: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    0x006B: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    0xC02B: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    0xC02C: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    0xC02F: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    0xC030: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    0xCCA8: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCA9: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    0xCCAA: "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
}

#: RFC 8446 4.2.3 SignatureScheme (TLS 1.2 SignatureAndHashAlgorithm shares the space).
SIGNATURE_SCHEMES: Mapping[int, str] = {
    0x0401: "rsa_pkcs1_sha256",
    0x0501: "rsa_pkcs1_sha384",
    0x0601: "rsa_pkcs1_sha512",
    0x0403: "ecdsa_secp256r1_sha256",
    0x0503: "ecdsa_secp384r1_sha384",
    0x0603: "ecdsa_secp521r1_sha512",
    0x0804: "rsa_pss_rsae_sha256",
    0x0805: "rsa_pss_rsae_sha384",
    0x0806: "rsa_pss_rsae_sha512",
    0x0807: "ed25519",
    0x0808: "ed448",
    0x0809: "rsa_pss_pss_sha256",
    0x080A: "rsa_pss_pss_sha384",
    0x080B: "rsa_pss_pss_sha512",
    0x081A: "ecdsa_brainpoolP256r1tls13_sha256",
    0x081B: "ecdsa_brainpoolP384r1tls13_sha384",
    0x081C: "ecdsa_brainpoolP512r1tls13_sha512",
    0x0201: "rsa_pkcs1_sha1",
    0x0203: "ecdsa_sha1",
    0x0301: "rsa_pkcs1_sha224",
    0x0303: "ecdsa_sha224",
    0x0402: "dsa_sha256",
    # TLS 1.2 SignatureAndHashAlgorithm pairs still offered (RFC 5246 7.4.1.4.1):
    # hash sha1/sha224/sha384/sha512 (2, 3, 5, 6) with dsa (2), IANA "RESERVED" now
    0x0202: "dsa_sha1",
    0x0302: "dsa_sha224",
    0x0502: "dsa_sha384",
    0x0602: "dsa_sha512",
    0x0708: "sm2sig_sm3",  # RFC 8998
    # ML-DSA (draft-ietf-tls-mldsa), which OpenSSL 3.5 offers
    0x0904: "mldsa44",
    0x0905: "mldsa65",
    0x0906: "mldsa87",
}

#: RFC 8446 4.2.7 NamedGroup (and RFC 8422 for TLS 1.2 curves).
GROUPS: Mapping[int, str] = {
    0x0017: "secp256r1",
    0x0018: "secp384r1",
    0x0019: "secp521r1",
    0x001D: "x25519",
    0x001E: "x448",
    0x0100: "ffdhe2048",
    0x0101: "ffdhe3072",
    0x0102: "ffdhe4096",
    0x0103: "ffdhe6144",
    0x0104: "ffdhe8192",
    0x11EC: "X25519MLKEM768",
}

#: Extension types.
EXTENSIONS: Mapping[int, str] = {
    0: "server_name",
    1: "max_fragment_length",
    5: "status_request",
    10: "supported_groups",
    11: "ec_point_formats",
    13: "signature_algorithms",
    14: "use_srtp",
    15: "heartbeat",
    16: "application_layer_protocol_negotiation",
    18: "signed_certificate_timestamp",
    21: "padding",
    22: "encrypt_then_mac",
    23: "extended_master_secret",
    27: "compress_certificate",
    35: "session_ticket",
    41: "pre_shared_key",
    42: "early_data",
    43: "supported_versions",
    44: "cookie",
    45: "psk_key_exchange_modes",
    47: "certificate_authorities",
    48: "oid_filters",
    49: "post_handshake_auth",
    50: "signature_algorithms_cert",
    51: "key_share",
    0xFF01: "renegotiation_info",
}

#: RFC 8446 6 AlertDescription.
ALERTS: Mapping[int, str] = {
    0: "close_notify",
    10: "unexpected_message",
    20: "bad_record_mac",
    21: "decryption_failed",
    22: "record_overflow",
    40: "handshake_failure",
    42: "bad_certificate",
    43: "unsupported_certificate",
    44: "certificate_revoked",
    45: "certificate_expired",
    46: "certificate_unknown",
    47: "illegal_parameter",
    48: "unknown_ca",
    49: "access_denied",
    50: "decode_error",
    51: "decrypt_error",
    70: "protocol_version",
    71: "insufficient_security",
    80: "internal_error",
    86: "inappropriate_fallback",
    90: "user_canceled",
    100: "no_renegotiation",
    109: "missing_extension",
    110: "unsupported_extension",
    112: "unrecognized_name",
    113: "bad_certificate_status_response",
    115: "unknown_psk_identity",
    116: "certificate_required",
    120: "no_application_protocol",
}

#: RFC 8446 6 AlertLevel.
ALERT_LEVELS: Mapping[int, str] = {1: "warning", 2: "fatal"}

#: RFC 5246 7.4.4 ClientCertificateType (TLS 1.2 CertificateRequest).
CERTIFICATE_TYPES: Mapping[int, str] = {
    1: "rsa_sign",
    2: "dss_sign",
    3: "rsa_fixed_dh",
    4: "dss_fixed_dh",
    64: "ecdsa_sign",
    65: "rsa_fixed_ecdh",
    66: "ecdsa_fixed_ecdh",
}


def name_of(table: Mapping[int, str], code: int) -> str:
    """Name a code point, or ``"unknown(0x....)"`` if the table lacks it.

    Args:
        table: one of this module's tables.
        code: the code point.

    Returns:
        The IANA name.
    """
    name = table.get(code)
    return name if name is not None else f"unknown(0x{code:04x})"


def hash_name_of_suite(suite: str) -> str:
    """The hash a cipher suite's PRF / key schedule uses: ``"sha256"`` or ``"sha384"``.

    Args:
        suite: an IANA cipher suite name, e.g. ``"TLS_AES_256_GCM_SHA384"``.

    Returns:
        ``"sha384"`` for ``*_SHA384`` suites, else ``"sha256"`` (the TLS 1.2
        default PRF hash and every other TLS 1.3 suite).
    """
    return "sha384" if suite.endswith("SHA384") else "sha256"
