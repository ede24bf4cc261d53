"""pkiviz.net.nginx: the real nginx on 127.0.0.1 in each ssl_verify_client mode, always stopped."""

from __future__ import annotations

import os
import shutil
import socket
import stat

import pytest

from pkiviz.errors import InputError
from pkiviz.net import nginx as nginx_module
from pkiviz.net.detect import run_curl, run_s_client
from pkiviz.net.mtls_failures import failure_certificates
from pkiviz.net.nginx import nginx_config, nginx_server, nginx_version
from pkiviz.net.nginx_modes import NGINX_CONFIGS, answer, nginx_table, try_nginx_configs
from pkiviz.x509.example import running_example

EXAMPLE = running_example()
needs_nginx = pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx not installed (apt-get install nginx)"
)
needs_tools = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("openssl") is None,
    reason="curl or openssl not installed",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("nginx")
    EXAMPLE.write_to(d)
    stranger = failure_certificates(EXAMPLE)["untrusted-ca"]
    stranger.chain_pem.write_to_path(d / "stranger.pem")
    stranger.key_pem.write_to_path(d / "stranger.key")
    return d


@pytest.fixture(scope="module")
def trials(files):
    return {(t.verify_client, t.ca): t for t in try_nginx_configs(EXAMPLE, cwd=files)}


def test_config_stays_inside_its_directory():
    text = nginx_config(8443, verify_client="optional", ca="ssl_trusted_certificate")
    assert "listen 127.0.0.1:8443 ssl;" in text
    assert (
        "ssl_verify_client optional;" in text and "ssl_trusted_certificate client-root.pem;" in text
    )
    assert "daemon off;" in text and "master_process off;" in text
    assert [w for w in text.split() if w.startswith("/")] == ["/"]  # location /: no paths
    # Control: no CA directive at all when none is asked for.
    assert "client-root.pem" not in nginx_config(8443, verify_client="off", ca=None)
    with pytest.raises(ValueError, match="verify_client must be one of"):
        nginx_config(8443, verify_client="required")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ca must be"):
        nginx_config(8443, ca="ssl_certificate")  # type: ignore[arg-type]


def test_missing_nginx_is_an_input_error(monkeypatch):
    monkeypatch.setattr(nginx_module.shutil, "which", lambda name: None)
    missing = r"nginx: not installed \(apt-get install nginx\)"
    with pytest.raises(InputError, match=missing), nginx_server(EXAMPLE):
        pass
    assert nginx_version() is None


@needs_nginx
@needs_tools
def test_on_refuses_in_http_what_optional_lets_through(trials):
    on, optional = (
        trials["on", "ssl_client_certificate"],
        trials["optional", "ssl_client_certificate"],
    )
    # Without a certificate: on answers nginx's 400 page, optional serves with verify=NONE.
    assert answer(on.without) == "400 (no certificate)"
    assert (
        on.without.run.returncode == 0
        and "No required SSL certificate was sent" in on.without.run.stdout
    )
    assert answer(optional.without) == "200, verify=NONE"
    # Control: with Alice's certificate both serve the page, and the application sees her name.
    for trial in (on, optional):
        assert answer(trial.alice) == "200, verify=SUCCESS"
        assert (
            trial.alice.run.stdout == "verify=SUCCESS dn=CN=alice@example.com,O=Example Corp,C=US\n"
        )
    # A certificate from an unknown CA: a completed handshake, then 400 The SSL certificate error.
    for trial in (on, optional):
        assert answer(trial.stranger) == "400 (certificate error)"
        assert not any("alert" in line for line in trial.stranger.lines)


@needs_nginx
@needs_tools
def test_optional_no_ca_serves_everyone_and_says_failed(trials):
    trial = trials["optional_no_ca", "ssl_trusted_certificate"]
    assert answer(trial.without) == "200, verify=NONE"
    assert answer(trial.alice) == "200, verify=SUCCESS"
    assert answer(trial.stranger) == "200, verify=FAILED"
    assert trial.stranger.run.stdout.startswith("verify=FAILED:")


@needs_nginx
@needs_tools
def test_off_asks_for_nothing(trials):
    trial = trials["off", None]
    assert (
        not trial.without.has("Request CERT (13)") and not trial.probe.client_certificate_requested
    )
    assert {answer(v) for v in (trial.without, trial.alice, trial.stranger)} == {"200, verify=NONE"}
    # Control: every other mode asks, as curl, s_client and the probe all see.
    for key, other in trials.items():
        if key != ("off", None):
            assert other.without.has("Request CERT (13)")
            assert other.s_client.has("Requested Signature Algorithms")
            assert other.probe.client_certificate_requested


@needs_nginx
@needs_tools
def test_the_ca_directive_decides_the_names_sent(trials):
    named = trials["optional_no_ca", "ssl_client_certificate"]
    unnamed = trials["optional_no_ca", "ssl_trusted_certificate"]
    assert named.s_client.has("Acceptable client certificate CA names")
    assert named.probe.acceptable_client_ca_names == (EXAMPLE.client_root.name,)
    assert unnamed.s_client.has("No client certificate CA names sent")
    assert unnamed.probe.acceptable_client_ca_names == ()
    # Both verify against the same root: Alice passes either way.
    assert answer(named.alice) == answer(unnamed.alice) == "200, verify=SUCCESS"


@needs_nginx
@needs_tools
def test_table_rows_follow_the_configs(trials):
    table = nginx_table(tuple(trials.values()))
    assert [row[:2] for row in table.rows] == [(v, ca or "-") for v, ca in NGINX_CONFIGS]
    named = "requested; CA Example Trust Client Auth Root CA"
    assert [row[4] for row in table.rows] == [
        "not requested", named, named, named, "requested; no CA names"]  # fmt: skip


@needs_nginx
def test_on_with_only_trusted_certificate_needs_a_new_nginx(files):
    version = nginx_version()
    assert version is not None
    if version >= (1, 27, 2):
        with nginx_server(EXAMPLE, verify_client="on", ca="ssl_trusted_certificate") as srv:
            lines = run_s_client(srv.port, cwd=files, hostname=EXAMPLE.hostname).lines
        assert "No client certificate CA names sent" in lines
    else:
        refused = "no ssl_client_certificate for ssl_verify_client"
        with (
            pytest.raises(InputError, match=refused),
            nginx_server(EXAMPLE, verify_client="on", ca="ssl_trusted_certificate"),
        ):
            pass


@needs_nginx
@needs_tools
def test_nothing_is_left_after_the_block(files):
    with nginx_server(EXAMPLE, verify_client="on") as srv:
        assert stat.S_IMODE(srv.prefix.stat().st_mode) == 0o700
        assert stat.S_IMODE((srv.prefix / "server.key").stat().st_mode) == 0o600
        assert (srv.prefix / "nginx.pid").read_text().strip() == str(srv.pid)
        assert (
            answer(run_curl(srv.port, cwd=files, hostname=EXAMPLE.hostname))
            == "400 (no certificate)"
        )
        assert "[emerg]" not in srv.error_log
    assert not srv.prefix.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(srv.pid, 0)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


@needs_nginx
def test_a_refused_config_leaves_nothing(monkeypatch):
    made = []
    real = nginx_module.tempfile.TemporaryDirectory

    def recording(*args, **kwargs):
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(nginx_module.tempfile, "TemporaryDirectory", recording)
    refused = r"nginx did not start: .*no ssl_client_certificate"
    with (
        pytest.raises(InputError, match=refused),
        nginx_server(EXAMPLE, verify_client="optional", ca=None),
    ):
        pass
    assert made and not os.path.exists(made[0].name)


@needs_nginx
def test_a_taken_port_is_retried(monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        ports = [taken.getsockname()[1]]
        real = nginx_module.free_port
        monkeypatch.setattr(nginx_module, "free_port", lambda: ports.pop() if ports else real())
        with nginx_server(EXAMPLE, verify_client="off", ca=None) as srv:
            assert srv.port != taken.getsockname()[1]
            assert "Address already in use" not in srv.error_log
