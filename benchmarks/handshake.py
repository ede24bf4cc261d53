"""Benchmark: a live handshake with capture + independent verification vs the same without.

Both run in the same process against the same kind of server on 127.0.0.1,
interleaved so machine noise hits both equally. "Without" is plain Python ssl
(no message callback, no parsing, no verification); "with" is
:func:`pkiviz.net.live.run_handshake` plus :func:`pkiviz.tls.signatures.verify_all`
on the client's capture. Prints per-handshake medians and the ratio (aim <= 2x).

Run: ``python benchmarks/handshake.py [--rounds N] [--key ec-p256|rsa-2048|ed25519]``
"""

from __future__ import annotations

import argparse
import socket
import ssl
import statistics
import threading
import time

from pkiviz.net.live import HTTP_RESPONSE, client_context, run_handshake, server_context
from pkiviz.tls import signatures
from pkiviz.x509.example import running_example


def plain_handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, name: str) -> None:
    """One handshake + request/response with bare ssl sockets and a server thread."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(5)

        def serve() -> None:
            conn, _ = listener.accept()
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(5)
                tls.recv(65536)
                tls.sendall(HTTP_RESPONSE)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        raw = socket.create_connection(listener.getsockname(), timeout=5)
        with client_ctx.wrap_socket(raw, server_hostname=name) as tls:
            tls.sendall(f"GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
            tls.recv(65536)
        thread.join(5)


def captured_handshake(server_ctx: ssl.SSLContext, client_ctx: ssl.SSLContext, name: str) -> None:
    """The same, captured at both ends, parsed, and the signatures verified."""
    session = run_handshake(server_ctx, client_ctx, server_hostname=name)
    checks = signatures.verify_all(session.client)
    assert checks and all(c.verified for c in checks)


def main() -> None:
    """Run both variants interleaved and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--key", default="ec-p256")
    parser.add_argument("--version", default="1.3", choices=["1.2", "1.3"])
    args = parser.parse_args()
    example = running_example(live=True, key=args.key)
    server_ctx = server_context(example.server, version=args.version)
    client_ctx = client_context(example.root, version=args.version)
    name = example.hostname
    timings: dict[str, list[float]] = {"plain": [], "captured": []}
    variants = {"plain": plain_handshake, "captured": captured_handshake}
    for fn in variants.values():  # warm up
        fn(server_ctx, client_ctx, name)
    for _ in range(args.rounds):
        for label, fn in variants.items():
            start = time.perf_counter()
            fn(server_ctx, client_ctx, name)
            timings[label].append(time.perf_counter() - start)
    plain = statistics.median(timings["plain"])
    captured = statistics.median(timings["captured"])
    print(f"key {args.key}, TLS {args.version}, {args.rounds} rounds (medians)")
    print(f"  plain ssl handshake:                     {plain * 1e3:7.2f} ms")
    print(f"  captured + parsed + signatures verified: {captured * 1e3:7.2f} ms")
    print(f"  ratio: {captured / plain:.2f}x")


if __name__ == "__main__":
    main()
