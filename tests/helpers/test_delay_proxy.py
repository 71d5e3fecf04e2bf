"""The delay proxy relays octets unchanged, adds its delay once per direction (never once per
chunk), passes on half-closes and resets, and leaves no thread behind.

Timing assertions are lower bounds (the proxy must never deliver early) or generous upper bounds
that only a cumulative per-chunk delay would break."""

from __future__ import annotations

import functools
import queue
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from tests.helpers.delay_proxy import delay_proxy

Address = tuple[str, int]
_FLIP = bytes(range(255, -1, -1))  # the server answers each octet b with 255 - b


@contextmanager
def _tcp_server(handle: Callable[[socket.socket], None]) -> Iterator[Address]:
    """Run `handle(conn)` in a thread per connection to a loopback listener; join all on exit."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def work(conn: socket.socket) -> None:
        # The proxy may reset a connection on exit; that is not the server's failure.
        with conn, suppress(ConnectionError):
            handle(conn)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            worker = threading.Thread(target=work, args=(conn,), daemon=True)
            worker.start()
            workers.append(worker)

    acceptor = threading.Thread(target=serve, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[:2]
    finally:
        stop.set()
        acceptor.join(5)
        listener.close()
        for worker in workers:
            worker.join(5)
        assert not acceptor.is_alive()
        assert not any(worker.is_alive() for worker in workers)


def _complement(conn: socket.socket) -> None:
    """Answer every octet with its complement until EOF, so an echo can't be faked by a loop."""
    while chunk := conn.recv(65536):
        conn.sendall(chunk.translate(_FLIP))


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, f"EOF after {len(data)} of {size} octets"
        data += chunk
    return bytes(data)


def _recv_all(sock: socket.socket) -> bytes:
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


def _expect_closed(proxy: Address) -> None:
    """Connect and see the proxy close the connection: EOF, or a reset, which may even beat
    connect() back to the caller."""
    with suppress(ConnectionResetError), socket.create_connection(proxy, timeout=5) as sock:
        assert sock.recv(1) == b""


def _proxy_threads(port: int, part: str = "") -> list[threading.Thread]:
    prefix = f"delay-proxy:{port}:{part}"
    return [t for t in threading.enumerate() if t.name.startswith(prefix)]


def _wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.mark.parametrize("delay", [0, 0.02])
def test_octets_pass_both_ways_unchanged(delay: float) -> None:
    payload = random.Random(5).randbytes(5 * 1024 * 1024)
    with (
        _tcp_server(_complement) as server,
        delay_proxy(server, delay) as proxy,
        socket.create_connection(proxy, timeout=10) as sock,
    ):
        assert proxy[0] == "127.0.0.1"

        def send() -> None:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        received = _recv_all(sock)
        sender.join(10)
    assert len(received) == len(payload)
    assert received == payload.translate(_FLIP)


def test_each_round_trip_costs_twice_the_delay() -> None:
    with (
        _tcp_server(_complement) as server,
        delay_proxy(server, 0.05) as proxy,
        socket.create_connection(proxy, timeout=5) as sock,
    ):
        start = time.monotonic()
        sock.sendall(b"ping")
        assert _recv_exactly(sock, 4) == b"ping".translate(_FLIP)
        assert time.monotonic() - start >= 0.1

        start = time.monotonic()
        for i in range(10):
            message = b"request %d" % i
            sock.sendall(message)
            assert _recv_exactly(sock, len(message)) == message.translate(_FLIP)
        assert time.monotonic() - start >= 1.0


def test_streamed_chunks_are_not_delayed_cumulatively() -> None:
    chunks = [b"chunk %02d;" % i for i in range(20)]

    def stream(conn: socket.socket) -> None:
        for chunk in chunks:
            conn.sendall(chunk)
            time.sleep(0.005)

    with _tcp_server(stream) as server, delay_proxy(server, 0.05) as proxy:
        start = time.monotonic()
        with socket.create_connection(proxy, timeout=5) as sock:
            received = _recv_all(sock)
        elapsed = time.monotonic() - start
    assert received == b"".join(chunks)
    # The last chunk leaves the server >= 19 * 5 ms after the connection and then takes the
    # delay; a delay paid per chunk would need 20 * 50 ms = 1 s.
    assert elapsed >= 0.095 + 0.05
    assert elapsed < 0.5


def test_pipelined_requests_are_not_delayed_cumulatively() -> None:
    messages = [b"request %02d;" % i for i in range(20)]
    expected = b"".join(messages).translate(_FLIP)
    with (
        _tcp_server(_complement) as server,
        delay_proxy(server, 0.05) as proxy,
        socket.create_connection(proxy, timeout=5) as sock,
    ):
        start = time.monotonic()
        for message in messages:
            sock.sendall(message)
            time.sleep(0.005)
        assert _recv_exactly(sock, len(expected)) == expected
        elapsed = time.monotonic() - start
    assert elapsed >= 0.1
    assert elapsed < 0.5


def test_half_close_propagates_each_way_and_the_proxy_then_closes() -> None:
    heard: queue.Queue[bytes] = queue.Queue()

    def greet_then_listen(conn: socket.socket) -> None:
        conn.sendall(b"hello")
        conn.shutdown(socket.SHUT_WR)
        heard.put(_recv_all(conn))

    with (
        _tcp_server(greet_then_listen) as server,
        delay_proxy(server, 0.02) as proxy,
        socket.create_connection(proxy, timeout=5) as sock,
    ):
        assert _recv_all(sock) == b"hello"  # the server's EOF reached the client
        # The other direction is still open: the client can talk, then send its own EOF.
        sock.sendall(b"after")
        sock.shutdown(socket.SHUT_WR)
        assert heard.get(timeout=2) == b"after"
        assert sock.recv(1) == b""
        # Both directions are done, so the proxy closes the connection without being told.
        assert _wait_until(lambda: not _proxy_threads(proxy[1], "conn"))
        assert _proxy_threads(proxy[1]), "the proxy itself keeps accepting"


def test_reset_by_the_server_closes_the_client() -> None:
    def reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    with _tcp_server(reset) as server, delay_proxy(server, 0.02) as proxy:
        _expect_closed(proxy)
        assert _wait_until(lambda: not _proxy_threads(proxy[1], "conn"))


def test_refused_upstream_closes_the_client() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        closed = placeholder.getsockname()[:2]
    with delay_proxy(closed, 0.02) as proxy:
        _expect_closed(proxy)


@pytest.mark.parametrize("delay", [0, 0.02])
def test_exit_closes_every_connection_and_leaves_no_thread(delay: float) -> None:
    before = set(threading.enumerate())
    with _tcp_server(_complement) as server, ExitStack() as clients:
        with delay_proxy(server, delay) as proxy:
            port = proxy[1]
            idle, answered, in_flight = (
                clients.enter_context(socket.create_connection(proxy, timeout=5)) for _ in "abc"
            )
            answered.sendall(b"ping")
            assert _recv_exactly(answered, 4) == b"ping".translate(_FLIP)
            in_flight.sendall(b"x" * 100_000)
            assert _wait_until(lambda: len(_proxy_threads(port, "conn")) == 3 * (4 if delay else 2))
            start = time.monotonic()
        assert time.monotonic() - start < 2
        assert not _proxy_threads(port)
        for sock in (idle, answered, in_flight):
            with suppress(ConnectionResetError):
                _recv_all(sock)  # EOF (or a reset) rather than a timeout: it was closed
    assert set(threading.enumerate()) <= before


def test_requests_keep_alive_session_through_the_proxy(tmp_path: Path) -> None:
    body = random.Random(6).randbytes(100_000)
    (tmp_path / "data.bin").write_bytes(body)
    peers: list[tuple[str, int]] = []

    class Handler(SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive

        def do_GET(self) -> None:
            peers.append(self.client_address)
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=tmp_path))
    serving = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    upstream = ("127.0.0.1", httpd.server_port)
    try:
        with delay_proxy(upstream, 0.02) as (host, port):
            with requests.Session() as session:
                session.trust_env = False
                start = time.monotonic()
                for _ in range(4):
                    response = session.get(f"http://{host}:{port}/data.bin", timeout=5)
                    assert response.status_code == 200
                    assert response.content == body
                elapsed = time.monotonic() - start
            assert elapsed >= 4 * 2 * 0.02
        assert len(peers) == 4
        assert len(set(peers)) == 1, "every request should reuse the one proxied connection"
        assert not _proxy_threads(port)
    finally:
        httpd.shutdown()
        httpd.server_close()
        serving.join(5)
