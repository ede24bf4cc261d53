"""ACME-style HTTP-01 domain control, run for real on 127.0.0.1 before issuance."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from pkiviz import running_example
from pkiviz.ca.domain_control import (
    ChallengeServer,
    Http01Challenge,
    check_http01,
    issue_if_controlled,
    jwk_thumbprint,
    new_challenge,
)
from pkiviz.x509.keys import derive_key

ACCOUNT = derive_key("ec-p256", "ACME account of Example Login Inc.")


#: The token of RFC 8555's HTTP-01 example (section 8.3).
TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"


def _challenge() -> Http01Challenge:
    return new_challenge("login.example.com", ACCOUNT, token=TOKEN)


def test_rfc7638_thumbprint_example() -> None:
    # RFC 7638 section 3.1 uses an RSA key; its thumbprint is given there.
    import base64

    from cryptography.hazmat.primitives.asymmetric import rsa

    def b64(s: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")

    n = b64(
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_B"
        "JECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_F"
        "DW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    public = rsa.RSAPublicNumbers(b64("AQAB"), n).public_key()
    assert jwk_thumbprint(public) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    # ... and RFC 8555 8.3's example key authorization uses that key with TOKEN.
    example = Http01Challenge("example.org", TOKEN, jwk_thumbprint(public))
    assert example.key_authorization == TOKEN + ".NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_key_authorization_shape() -> None:
    challenge = _challenge()
    token, thumb = challenge.key_authorization.split(".")
    assert token == challenge.token and thumb == jwk_thumbprint(ACCOUNT.public_key())
    assert challenge.path == "/.well-known/acme-challenge/" + challenge.token
    assert challenge.url.startswith("http://login.example.com/.well-known/")


def test_random_tokens_differ() -> None:
    first = new_challenge("login.example.com", ACCOUNT)
    assert first.token != new_challenge("login.example.com", ACCOUNT).token
    assert len(first.token) >= 22  # 128 bits, base64url


def test_correct_server_passes_and_the_ca_issues() -> None:
    ca = running_example().intermediate
    with ChallengeServer(_challenge()) as site:
        decision = issue_if_controlled(ca, _challenge(), address=site.address)
        assert site.requests == [_challenge().path]
    assert decision.check.ok and decision.check.outcome == "valid"
    assert decision.issued is not None
    assert decision.issued.certificate.issuer == ca.certificate.subject
    assert decision.issued.spec.dns_names == ("login.example.com",)


@pytest.mark.parametrize(
    ("serve", "outcome"),
    [("wrong_content", "wrong_content"), ("wrong_token", "not_found"), ("nothing", "not_found")],
)
def test_wrong_answers_are_refused(serve: str, outcome: str) -> None:
    ca = running_example().intermediate
    with ChallengeServer(_challenge(), serve=serve) as site:  # type: ignore[arg-type]
        decision = issue_if_controlled(ca, _challenge(), address=site.address)
    assert decision.issued is None
    assert decision.check.outcome == outcome
    assert decision.message.startswith("not issued")


def test_challenge_for_another_account_is_refused() -> None:
    ca = running_example().intermediate
    other = new_challenge(
        "login.example.com",
        ec.derive_private_key(12345, ec.SECP256R1()),
        token=_challenge().token,
    )
    with ChallengeServer(other) as site:  # serves the other account's key authorization
        result = check_http01(_challenge(), address=site.address)
    assert result.outcome == "wrong_content" and result.received == other.key_authorization
    with ChallengeServer(_challenge()) as site:
        assert issue_if_controlled(ca, _challenge(), address=site.address).issued is not None


def test_server_down_is_refused_not_hung() -> None:
    with ChallengeServer(_challenge(), serve="down") as site:
        result = check_http01(_challenge(), address=site.address, timeout=1.0)
    assert result.outcome == "unreachable" and not result.ok


def test_check_renders() -> None:
    with ChallengeServer(_challenge()) as site:
        result = check_http01(_challenge(), address=site.address)
    assert str(result).startswith("valid")
    assert "<table>" in result._repr_html_()


def test_address_needs_a_started_server() -> None:
    with pytest.raises(RuntimeError, match="start the server"):
        _ = ChallengeServer(_challenge()).address
