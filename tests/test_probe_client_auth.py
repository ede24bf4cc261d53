"""``pkiviz probe``: is a client certificate required? Decided from what the server does.

The servers of :mod:`pkiviz.net.detect_servers` (required, optional, not asked), on
loopback and behind :class:`delay_proxy.DelayProxy`, which adds 0.2 s each way: a
fixed short wait after the handshake would miss the TLS 1.3 refusal there.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from delay_proxy import DelayProxy

from pkiviz import _loopback
from pkiviz.cli import main
from pkiviz.net.client_auth import decide
from pkiviz.net.detect_servers import detection_server
from pkiviz.net.listen import Listening
from pkiviz.net.live import Server, server_context
from pkiviz.net.probe import probe
from pkiviz.tls import names
from pkiviz.x509.example import running_example

EXAMPLE = running_example()
HOST = EXAMPLE.hostname
DELAY = 0.2
VERDICTS = {"mtls-named": "required", "optional": "optional", "https": "not requested"}
STATUS = {"required": 1, "optional": 0, "not requested": 0}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("client-auth")
    EXAMPLE.write_to(d)
    return d


@contextlib.contextmanager
def target(kind, version, delay):
    """The server's port, directly or behind a proxy adding ``delay`` each way."""
    with detection_server(kind, EXAMPLE, version=version) as srv:
        if delay is None:
            yield srv.port
        else:
            with DelayProxy(("127.0.0.1", srv.port), delay=delay) as proxy:
                yield proxy.port


def cli(port, files, *extra):
    return main(["probe", f"127.0.0.1:{port}", "--servername", HOST,
                 "--trust", str(files / "root.pem"), *extra])  # fmt: skip


@pytest.mark.parametrize("delay", [DELAY, None], ids=["behind-0.2s-proxy", "loopback"])
@pytest.mark.parametrize("version", ["1.3", "1.2"])
@pytest.mark.parametrize("kind", list(VERDICTS))
def test_the_verdict_and_exit_status(files, kind, version, delay, capsys):
    """required -> exit 1; its controls: optional and not requested -> exit 0."""
    with target(kind, version, delay) as port:
        status = cli(port, files, "--json")
    data = json.loads(capsys.readouterr().out)
    verdict = VERDICTS[kind]
    assert data["client_auth"]["verdict"] == verdict and data["client_auth"]["connections"] == 1
    assert status == STATUS[verdict]
    if delay is not None:  # the proxy really delays: every round trip is at least 2 x 0.2 s
        assert data["listening"]["rtt"] >= 2 * DELAY
    if verdict == "required" and version == "1.3":
        assert data["server_alert"]["code"] == 116 and data["server_alert"]["after_handshake"]
        assert data["completed"] is True  # the client's handshake did complete; then the alert
        assert data["listening"]["ended"] == "alert"
    if verdict == "required" and version == "1.2":
        assert data["server_alert"]["code"] == 40 and not data["server_alert"]["after_handshake"]
        assert data["completed"] is False
        assert "RFC 5246 7.4.6" in data["client_auth"]["evidence"][0]
    if verdict == "optional" and version == "1.3":  # listened for its round trips, heard nothing
        assert data["listening"]["ended"] == "quiet"
        assert data["listening"]["listened"] >= 2 * data["listening"]["rtt"]


def test_the_tls12_refusal_is_explained_in_words(files):
    with target("mtls-named", "1.2", None) as port:
        result = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"])
    line = next(x.strip() for x in result.text().splitlines() if "client authentication" in x)
    assert line.startswith(
        "client authentication: required (the server answered the probe's empty Certificate "
        "with fatal handshake_failure (40) right after its CertificateRequest: TLS 1.2 has no "
        "certificate_required alert"
    )
    # Control: the same alert without a CertificateRequest before it says nothing about one.
    with target("https", "1.2", None) as port:
        plain = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"])
    assert plain.client_auth.verdict == "not requested"


@pytest.mark.parametrize("kind", ["mtls-named", "optional"])
@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_with_a_certificate_a_second_connection_without_one_decides(files, kind, version):
    with target(kind, version, None) as port:
        result = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"],
                       cert=files / "client.pem", key=files / "client.key")  # fmt: skip
    assert result.client_certificate_accepted is True and result.ok
    assert result.client_auth.connections == 2 and result.second_handshake is not None
    assert result.client_auth.verdict == VERDICTS[kind]
    assert "a second connection, without a certificate: " in result.client_auth.text()
    assert not result.second_handshake.client_certificates
    # Control: without a certificate one connection is enough.
    with target(kind, version, None) as port:
        bare = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"])
    assert bare.client_auth.verdict == VERDICTS[kind] and bare.client_auth.connections == 1
    assert bare.second_handshake is None


def test_too_short_a_listen_is_unknown_not_optional(files):
    """Quiet for less than two round trips proves nothing; quiet for longer does."""
    with target("optional", "1.3", None) as port:
        result = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"])
    heard = result.listening
    assert result.client_auth.verdict == "optional" and heard.ended == "quiet"
    short = Listening(heard.connect_seconds, heard.handshake_seconds, 1, rtt=0.4,
                      planned=0.3, listened=0.3, ended="quiet", fixed=True)  # fmt: skip
    verdict = decide(result.handshake, short)
    assert verdict.verdict == "unknown" and "less than two round trips" in verdict.text()
    longer = Listening(heard.connect_seconds, heard.handshake_seconds, 1, rtt=0.4,
                       planned=0.9, listened=0.9, ended="quiet", fixed=True)  # fmt: skip
    assert decide(result.handshake, longer).verdict == "optional"


def test_a_fixed_wait_behind_the_proxy_misses_the_refusal(files):
    """A fixed 0.3 s (the old default) hears nothing behind the proxy; the measured wait does.

    0.3 s is less than two round trips there, so pkiviz says unknown, not optional.
    """
    with target("mtls-named", "1.3", DELAY) as port:
        fixed = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"], wait=0.3)
        measured = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"])
    assert fixed.server_alert is None and fixed.client_auth.verdict == "unknown"
    assert measured.client_auth.verdict == "required"


def test_json_errors_are_json_with_exit_2(capsys):
    with _loopback.refuse() as closed:
        status = main(["probe", f"127.0.0.1:{closed.port}", "--json", "--timeout", "2"])
    captured = capsys.readouterr()
    assert status == 2 and "connection refused" in json.loads(captured.out)["error"]
    assert captured.err.count("\n") == 1
    # Control: without --json, standard output stays empty and the one line goes to stderr.
    with _loopback.refuse() as closed:
        assert main(["probe", f"127.0.0.1:{closed.port}", "--timeout", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "connection refused" in captured.err
    assert main(["probe", "http://example.com", "--json"]) == 2  # refused before connecting
    assert "plain HTTP" in json.loads(capsys.readouterr().out)["error"]


def test_a_failing_chain_of_trust_check_names_its_certificate(files, tmp_path):
    other = running_example(key="rsa-2048")
    other.write_to(tmp_path)
    with Server(server_context(EXAMPLE.server)) as srv:
        bad = probe("127.0.0.1", srv.port, servername=HOST, trust=[tmp_path / "root.pem"])
        good = probe("127.0.0.1", srv.port, servername=HOST, trust=[files / "root.pem"])
    (check,) = [c for c in bad.to_json_dict()["validation"]["checks"]
                if c["check"] == "chain-of-trust"]  # fmt: skip
    path = bad.validation.path
    assert check["status"] == "fail"
    assert check["certificate"] == {
        "subject": path[-1].subject.rfc4514_string(), "index": len(path) - 1
    }  # fmt: skip
    # Control: a passing check is about the path as a whole, as the validator says.
    (ok,) = [c for c in good.to_json_dict()["validation"]["checks"]
             if c["check"] == "chain-of-trust"]  # fmt: skip
    assert ok["status"] == "pass" and ok["certificate"] is None


@pytest.mark.parametrize("version", ["1.2", "1.3"])
def test_every_requested_signature_algorithm_has_a_name(files, version):
    with target("optional", version, None) as port:
        result = probe("127.0.0.1", port, servername=HOST, trust=[files / "root.pem"])
    algorithms = result.requested_signature_algorithms
    assert algorithms and not [a for a in algorithms if a.startswith("unknown(")]
    assert {"dsa_sha224", "dsa_sha384", "dsa_sha512"} <= set(names.SIGNATURE_SCHEMES.values())
    # Control: a code point nobody assigned still reads as unknown.
    assert names.name_of(names.SIGNATURE_SCHEMES, 0xFEFE) == "unknown(0xfefe)"


def test_json_is_printed_for_a_refused_argument_too(capsys):
    # argparse refuses --timeout abc before probe runs; --json still gets a JSON document.
    with pytest.raises(SystemExit) as exit_info:
        main(["probe", "127.0.0.1:1", "--json", "--timeout", "abc"])
    captured = capsys.readouterr()
    assert exit_info.value.code == 2
    assert "--timeout" in json.loads(captured.out)["error"]
    assert captured.err.startswith("pkiviz: error: ") and captured.err.count("\n") == 1
    # Control: without --json standard output stays empty.
    with pytest.raises(SystemExit):
        main(["probe", "127.0.0.1:1", "--timeout", "abc"])
    assert capsys.readouterr().out == ""
