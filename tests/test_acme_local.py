"""Real ACME against pebble: a certificate issued and validated; wrong token refused."""

from __future__ import annotations

import pytest

from pkiviz.ca import acme_local
from pkiviz.ca.acme_local import Http01Site, order_certificate, pebble
from pkiviz.errors import InputError
from pkiviz.validation import validate
from pkiviz.x509.keys import derive_key

MISSING = acme_local.available()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"needs pebble and acme: {MISSING}")

DOMAIN = "login.example.com"


@pytest.fixture(scope="module")
def account_key():  # type: ignore[no-untyped-def]
    return derive_key("ec-p256", "test ACME account")


def test_order_is_issued_and_validates_against_pebbles_root(account_key) -> None:  # type: ignore[no-untyped-def]
    with Http01Site() as site, pebble(http_port=site.port) as ca:
        order = order_certificate(ca, DOMAIN, site=site, account_key=account_key)
    assert order.statuses == ("pending", "ready", "valid")
    assert order.challenge_status == "valid" and order.error_type is None
    assert order.issued and len(order.chain) == 2
    assert order.certificate.subject.rfc4514_string() == f"CN={DOMAIN}"
    token_path = "/.well-known/acme-challenge/" + order.token
    assert order.requests and set(order.requests) == {(f"{DOMAIN}:{site.port}", token_path)}
    report = validate(
        order.certificate,
        intermediates=order.intermediates,
        trust_anchors=[order.root],
        peer_name=DOMAIN,
        at=order.at,
        profile="rfc5280",
    )
    assert report.valid, report.failed
    # Control: another name, or another CA's root, does not validate.
    assert not validate(
        order.certificate,
        intermediates=order.intermediates,
        trust_anchors=[order.root],
        peer_name="shop.example.com",
        at=order.at,
        profile="rfc5280",
    ).valid
    with Http01Site() as site2, pebble(http_port=site2.port) as other:
        other_root = other.root()
    assert not validate(
        order.certificate,
        intermediates=order.intermediates,
        trust_anchors=[other_root],
        peer_name=DOMAIN,
        at=order.at,
        profile="rfc5280",
    ).valid


def test_wrong_token_is_refused(account_key) -> None:  # type: ignore[no-untyped-def]
    with Http01Site() as site, pebble(http_port=site.port) as ca:
        order = order_certificate(
            ca, DOMAIN, site=site, account_key=account_key, serve="wrong_token"
        )
    assert order.statuses == ("pending", "invalid")
    assert order.challenge_status == "invalid"
    assert order.error_type == "urn:ietf:params:acme:error:unauthorized"
    assert not order.issued and order.chain == ()
    with pytest.raises(InputError, match="no certificate"):
        _ = order.certificate
    # pebble asked for its own token's path, never for the one the site served
    assert all(path.endswith(order.token) for _, path in order.requests)


def test_pebble_stops_and_leaves_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    with Http01Site() as site, pebble(http_port=site.port) as ca:
        url = ca.directory_url
    assert list(tmp_path.iterdir()) == []
    import urllib.request

    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=2)


def test_site_port_needs_a_started_site() -> None:
    with pytest.raises(RuntimeError, match="start the site"):
        _ = Http01Site().port


def _taken_acme_port(monkeypatch: pytest.MonkeyPatch, held: int, attempts: int) -> list[int]:
    """free_port() as pebble() calls it, except that the ACME port of the first ``attempts``
    starts is ``held``, a port another socket listens on (as when another program takes a
    port in the moment between free_port() and pebble's bind)."""
    from pkiviz._loopback import free_port as real

    handed: list[int] = []

    def port() -> int:
        start, position = divmod(len(handed), 5)  # each start asks for five ports
        handed.append(held if position == 1 and start < attempts else real())
        return handed[-1]

    monkeypatch.setattr(acme_local, "free_port", port)
    return handed


def test_pebble_starts_again_when_a_port_it_chose_was_taken(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as squatter, Http01Site() as site:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        held = squatter.getsockname()[1]
        handed = _taken_acme_port(monkeypatch, held, attempts=1)
        with pebble(http_port=site.port) as ca:
            assert (
                ca.directory_url.startswith("https://127.0.0.1:")
                and f":{held}/" not in ca.directory_url
            )
        assert handed.count(held) == 1 and len(handed) == 10  # a second start, on fresh ports
        # Control: taken on every attempt, pebble() gives up with pebble's own reason.
        handed = _taken_acme_port(monkeypatch, held, attempts=acme_local.START_ATTEMPTS)
        with pytest.raises(InputError, match="address already in use"), pebble(http_port=site.port):
            pass
        assert handed.count(held) == acme_local.START_ATTEMPTS
