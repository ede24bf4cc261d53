"""A server whose certificate is larger than 64 KB: the probe still reads and explains it.

CPython copies an SSL session through a DER buffer capped at 65,280 bytes when
``SSLSocket.session`` is read, and the session holds the server's certificate.
The probe never needs the session, so it no longer reads it; only
:func:`pkiviz.net.live.resumed_handshake` does, and says why there is none.
"""

from __future__ import annotations

import dataclasses
import socket
import ssl

import pytest

from pkiviz.cli import main
from pkiviz.errors import InputError
from pkiviz.net.live import Server, client_context, resumed_handshake, server_context
from pkiviz.x509.example import running_example
from pkiviz.x509.factory import Issued, build
from pkiviz.x509.spec import CustomExtension

EXAMPLE = running_example(live=True)
HOST = EXAMPLE.hostname


def _octet_string(size: int) -> bytes:
    return b"\x04\x83" + size.to_bytes(3, "big") + bytes(size)


def _with_extensions(*extensions: CustomExtension) -> Issued:
    spec = dataclasses.replace(EXAMPLE.server.spec, extra_extensions=extensions)
    return build(spec, EXAMPLE.intermediate, live=True)


LARGE = {
    # one 65,000-byte extension value
    "one-large-extension": _with_extensions(
        CustomExtension("1.3.6.1.4.1.55555.1", _octet_string(65_000))
    ),
    # 5,000 small extensions (NULL values)
    "5000-extensions": _with_extensions(
        *(CustomExtension(f"1.3.6.1.4.1.55555.{i}", b"\x05\x00") for i in range(5_000))
    ),
}


@pytest.fixture(scope="module")
def root_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("trust") / "root.pem"
    EXAMPLE.root.pem.write_to_path(path)
    return str(path)


def _probe(server: Issued, root_file: str) -> int:
    with Server(server_context(server)) as srv:
        return main(["probe", f"127.0.0.1:{srv.port}", "--servername", HOST, "--trust", root_file])


def test_the_certificates_are_over_the_session_copy_limit() -> None:
    for issued in LARGE.values():
        assert len(issued.der) > 65_280
    assert len(EXAMPLE.server.der) < 2_000


def test_reading_the_session_fails_for_a_large_certificate_only() -> None:
    # Why the probe must not read it: the same read works for a normal certificate (control).
    for issued, fails in ((LARGE["one-large-extension"], True), (EXAMPLE.server, False)):
        with Server(server_context(issued)) as srv:
            raw = socket.create_connection(srv.address, timeout=5)
            with client_context(EXAMPLE.root).wrap_socket(raw, server_hostname=HOST) as tls:
                tls.sendall(b"GET / HTTP/1.0\r\n\r\n")
                tls.recv(4096)
                if fails:
                    with pytest.raises(ValueError, match="i2d"):
                        _ = tls.session
                else:
                    assert isinstance(tls.session, ssl.SSLSession)


@pytest.mark.parametrize("kind", sorted(LARGE))
def test_probe_explains_a_server_with_a_large_certificate(kind, root_file, capsys) -> None:
    status = _probe(LARGE[kind], root_file)
    captured = capsys.readouterr()
    assert (status, captured.err) == (0, "")
    assert "validation" in captured.out and "VALID" in captured.out
    assert "Traceback" not in captured.out


def test_probe_explains_a_server_with_a_normal_certificate(root_file, capsys) -> None:
    assert _probe(EXAMPLE.server, root_file) == 0  # the control
    assert "VALID" in capsys.readouterr().out


def test_resumption_with_a_large_certificate_says_there_is_no_session() -> None:
    large = dataclasses.replace(EXAMPLE, server=LARGE["one-large-extension"])
    with pytest.raises(InputError, match=r"no session to resume: .*65,280 bytes"):
        resumed_handshake(example=large)
    assert resumed_handshake(example=EXAMPLE).reused  # the control: a normal one resumes
