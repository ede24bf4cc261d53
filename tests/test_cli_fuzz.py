"""Every command's input path, fuzzed: no traceback, one-line errors, documented exit statuses.

Random file contents (random bytes, damaged certificates, PEM-shaped text),
random file names (bytes that are not UTF-8, control characters, names too
long for the file system), and random option values for ``inspect``,
``validate``, ``scenario``, ``serve`` (its arguments only: no server is ever
started) and ``probe`` (bad targets; a target that parses is replaced by a
refusing port on 127.0.0.1, and any other address fails the test before a
packet leaves). Each run is :func:`pkiviz.cli.main` in this process, with
standard input, output and error replaced.

The contract checked on every run: the exit status is one the command
documents; 2 comes with exactly one line on standard error, ``pkiviz: error:
...``, and nothing else there; 0 and 1 leave standard error empty; and what is
printed can be encoded (no lone surrogate from a file name reaches a terminal).
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import socket
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pkiviz import _loopback
from pkiviz.cli import main
from pkiviz.errors import InputError
from pkiviz.lab.catalogue import BY_ID
from pkiviz.net.probe import parse_target
from pkiviz.x509.example import running_example

EX = running_example()
SCENARIOS = sorted(BY_ID)

#: Real files a user may hand in, for the fuzz to start from and to damage.
REAL: dict[str, bytes] = {
    "server.pem": EX.server.pem.bytes(),
    "chain.pem": EX.server.pem.bytes() + EX.intermediate.pem.bytes(),
    "root.pem": EX.root.pem.bytes(),
    "server.der": EX.server.der,
    "server.key": EX.server.key_pem.bytes(),
}

# --- strategies ---------------------------------------------------------------------------

#: Text as argv delivers it: any characters but NUL (no C string holds one), and bytes that
#: are not UTF-8 as os.fsdecode hands them over (lone surrogates).
arg_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
    st.binary(max_size=30).filter(lambda b: b"\x00" not in b).map(os.fsdecode),
)


def _damaged(data: bytes, cut: int, insert: bytes, flip: int) -> bytes:
    cut %= len(data) + 1
    flip %= len(data)
    flipped = data[:flip] + bytes([data[flip] ^ 0x41]) + data[flip + 1 :]
    return flipped[:cut] + insert + flipped[cut:]


def _pem(label: str, body: bytes, end_label: str) -> bytes:
    text = base64.encodebytes(body)
    return b"-----BEGIN %s-----\n%s-----END %s-----\n" % (
        label.encode(),
        text,
        end_label.encode(),
    )


labels = st.sampled_from(["CERTIFICATE", "X509 CRL", "PRIVATE KEY", "PKCS7", "FOO", ""])
contents = st.one_of(
    st.binary(max_size=400),
    st.sampled_from(sorted(REAL.values())),
    st.builds(
        _damaged,
        st.sampled_from(sorted(REAL.values())),
        st.integers(0, 2000),
        st.binary(max_size=4),
        st.integers(0, 2000),
    ),
    st.builds(_pem, labels, st.one_of(st.binary(max_size=200), st.just(EX.server.der)), labels),
    st.sampled_from([b"", b"  \n", b"\xef\xbb\xbf", b"-----BEGIN CERTIFICATE-----\n"]),
)

#: Arguments argparse refuses, quoted back in its message as typed (newlines, stray bytes).
stray_arguments = st.one_of(arg_text, arg_text.map("--{}".format), arg_text.map("-{}".format))

#: File names as bytes: never "/" or NUL (not a name), never "." or ".." (not a file);
#: sometimes longer than a file system allows (255 bytes: ENAMETOOLONG).
file_names = (
    st.one_of(st.binary(min_size=1, max_size=40), st.binary(min_size=256, max_size=300))
    .map(lambda b: b.replace(b"/", b"_").replace(b"\x00", b"_"))
    .filter(lambda b: b not in (b".", b".."))
)

#: Text given where a file name goes, relative (the runs happen in a temporary directory).
relative_text = arg_text.filter(lambda t: t != "-" and not t.startswith("/"))


@st.composite
def file_arguments(draw: st.DrawFn, directory: Path) -> str:
    """A command-line file argument: a file just written, a real one, a missing one, or junk."""
    kind = draw(st.sampled_from(["written", "real", "missing", "directory", "text"]))
    if kind == "written":
        name = os.fsdecode(draw(file_names))
        with contextlib.suppress(OSError):  # a name too long for the file system stays missing
            (directory / name).write_bytes(draw(contents))
        return str(directory / name)
    if kind == "real":
        return str(directory / draw(st.sampled_from(sorted(REAL))))
    if kind == "missing":
        return str(directory / "missing" / os.fsdecode(draw(file_names)))
    if kind == "directory":
        return str(directory)
    return draw(relative_text)  # "-" is stdin: the inspect test's


@contextlib.contextmanager
def files() -> Iterator[Path]:
    """A temporary directory holding the real files, and the current directory meanwhile.

    Every name the fuzz gives is inside it, or relative to it: nothing is ever
    written anywhere else.
    """
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        directory = Path(tmp)
        for name, data in REAL.items():
            (directory / name).write_bytes(data)
        mp.chdir(directory)
        yield directory


def run(argv: Sequence[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """``pkiviz ARGV`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        mp = stack.enter_context(pytest.MonkeyPatch.context())
        mp.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        try:
            status = main(list(argv))
        except SystemExit as exc:  # argparse: usage errors (2), --help (0)
            status = exc.code if isinstance(exc.code, int) else 2
    return status, out.getvalue(), err.getvalue()


def check(result: tuple[int, str, str], statuses: set[int], argv: Sequence[str]) -> None:
    status, out, err = result
    assert status in statuses, (argv, status, err)
    (out + err).encode("utf-8")  # strict: no lone surrogate was printed
    if status == 2:
        assert err.startswith("pkiviz: error: ") and err.endswith("\n"), (argv, err)
        assert err.count("\n") == 1, (argv, err)  # one line
    else:
        assert err == "", (argv, err)


def options(draw: st.DrawFn, table: dict[str, Any]) -> list[str]:
    """A few options from ``table`` (name -> strategy for its value, or None for a flag)."""
    argv: list[str] = []
    for name in draw(st.lists(st.sampled_from(sorted(table)), max_size=4)):
        argv.append(name)
        if table[name] is not None:
            argv.append(draw(table[name]))
    return argv


# --- the commands ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)  # a busy machine must not fail an example
@given(st.data())
def test_inspect_never_fails_with_a_traceback(data: st.DataObject) -> None:
    with files() as directory:
        target = data.draw(st.one_of(file_arguments(directory), st.just("-")))
        argv = ["inspect", target, *data.draw(st.lists(st.sampled_from(["--json", "--map"])))]
        argv += data.draw(st.just([]) | st.lists(stray_arguments, min_size=1, max_size=2))
        stdin = data.draw(contents) if target == "-" else b""
        check(run(argv, stdin), {0, 2}, argv)


@settings(max_examples=120, deadline=None)  # a busy machine must not fail an example
@given(st.data())
def test_validate_never_fails_with_a_traceback(data: st.DataObject) -> None:
    with files() as directory:
        file = file_arguments(directory)
        argv = ["validate", data.draw(file)]
        argv += data.draw(st.just(["--trust", str(directory / "root.pem")]) | st.just([]))
        argv += options(
            data.draw,
            {
                "--trust": file,
                "--untrusted": file,
                "--crl": file,
                "--ocsp-response": file,
                "--host": arg_text | st.just("login.example.com"),
                "--ip": arg_text | st.just("127.0.0.1"),
                "--at": arg_text | st.just("2026-03-01T12:00:00Z"),
                "--purpose": arg_text | st.sampled_from(["server", "client"]),
                "--profile": arg_text | st.sampled_from(["webpki", "rfc5280"]),
                "--revocation": arg_text | st.sampled_from(["soft", "hard"]),
                "--json": None,
            },
        )
        check(run(argv), {0, 1, 2}, argv)


@settings(max_examples=40, deadline=None)  # a busy machine must not fail an example
@given(st.data())
def test_scenario_never_fails_with_a_traceback(data: st.DataObject) -> None:
    with files() as directory:
        name = data.draw(st.sampled_from(SCENARIOS) | arg_text)
        # Always inside the temporary directory: the scenario writes there.
        where = data.draw(
            st.one_of(
                st.lists(file_names, min_size=1, max_size=3).map(
                    lambda parts: str(directory.joinpath(*map(os.fsdecode, parts)))
                ),
                st.just(str(directory / "server.pem")),  # a file, not a directory
                st.just(str(directory / "server.pem" / "sub")),
                st.just(""),
            )
        )
        argv = ["scenario", name, where]
        check(run(argv), {0, 2}, argv)


ports_out_of_range = st.one_of(
    st.integers(65_536, 10**12), st.integers(-(10**12), -1), st.sampled_from(["x", "", "0x10"])
).map(str)


@settings(max_examples=60, deadline=None)  # a busy machine must not fail an example
@given(st.data())
def test_serve_refuses_bad_arguments_without_serving(data: st.DataObject) -> None:
    # Never a known scenario with a usable port: that would serve until a signal.
    name = data.draw(st.sampled_from(SCENARIOS) | arg_text)
    ports = ports_out_of_range if name in BY_ID else ports_out_of_range | st.integers(0, 65535)
    argv = ["serve", name, "--port", str(data.draw(ports))]
    check(run(argv), {2}, argv)


#: Targets a user may type; anything that parses is replaced by a refusing 127.0.0.1 port.
targets = st.one_of(
    arg_text,
    st.builds("127.0.0.1:{}".format, st.integers(-(10**6), 10**6) | arg_text),
    st.builds("{}:{}".format, arg_text, st.integers(0, 70_000)),
    st.sampled_from(["[::1", "[127.0.0.1]:5", "http://127.0.0.1", "https://", "host name:1", ":"]),
)


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Fail the test at once if anything resolves or connects to another host than 127.0.0.1."""
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        assert host == "127.0.0.1", f"the fuzz tried to reach {host!r}"
        return real(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", guarded)
        yield


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())  # a busy machine must not fail an example: no deadline
def test_probe_refuses_bad_targets_and_files(data: st.DataObject) -> None:
    target = data.draw(targets)
    with files() as directory, _loopback.refuse() as closed, loopback_only():
        try:
            parse_target(target)
        except InputError:
            pass  # the probe must refuse it too, before any connection
        else:
            target = f"127.0.0.1:{closed.port}"  # never another address
        file = file_arguments(directory)
        argv = ["probe", target, "--timeout", "2"]
        argv += options(
            data.draw,
            {
                "--servername": arg_text | st.just("login.example.com"),
                "--timeout": arg_text | st.floats().map(str),
                "--wait": arg_text | st.floats().map(str),
                "--trust": file,
                "--cert": file,
                "--key": file,
                "--crl": file,
                "--json": None,
            },
        )
        check(run(argv), {2}, argv)  # nothing answers: every run is bad input or unreachable


def test_the_check_catches_a_traceback_and_a_second_line() -> None:
    # The control: the contract fails for what the fuzz is looking for.
    with pytest.raises(AssertionError):
        check((2, "", "pkiviz: error: one\ntwo\n"), {2}, [])
    with pytest.raises(AssertionError):
        check((1, "", "Traceback (most recent call last):\n"), {0, 1}, [])
    with pytest.raises(UnicodeEncodeError):
        check((2, "", "pkiviz: error: bund\udce9.pem: no such file\n"), {2}, [])
    check((2, "", "pkiviz: error: bund\\xe9.pem: no such file\n"), {2}, [])
