"""The network edge: identity encoding, no redirects, capped raw reads, exact raw header lines,
HEAD leftovers, and transport failures turned into messages instead of exceptions."""

from __future__ import annotations

import socket
import ssl
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.transport.client import Client, ClientSettings
from reference_server import serve_in_thread
from tests.helpers.rawserver import Connection, serving
from tests.helpers.targets import role_urls


@contextmanager
def canned_server(answer: bytes, *, respond: bool = True) -> Iterator[tuple[str, list[bytes]]]:
    """Records each request head and answers with fixed octets (or never), then closes."""

    def handler(conn: Connection, head: bytes) -> bool:
        if respond:
            conn.send(answer)
        else:
            conn.wait(5)
        return False

    with serving(handler) as server:
        yield server.url, server.requests


def echo_app(environ, start_response):
    body = "\n".join(f"{k}: {v}" for k, v in sorted(environ.items()) if k.startswith("HTTP_"))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]


def test_sends_identity_encoding_and_its_own_user_agent() -> None:
    with serve_in_thread(echo_app) as base, Client() as client:
        exchange = client.send("GET", base + "/", [], cap=10_000)
    assert "HTTP_ACCEPT_ENCODING: identity" in exchange.body.decode()
    assert "HTTP_USER_AGENT: range-conformance/" in exchange.body.decode()
    assert ("Accept-Encoding", "identity") in exchange.request.headers


def test_gzip_octets_are_never_decoded(reference_base_url: str) -> None:
    with Client() as client:
        url = role_urls(reference_base_url)["gzip"]
        exchange = client.send("GET", url, [("Accept-Encoding", "gzip")], cap=1_000_000)
    assert exchange.header("Content-Encoding") == "gzip"
    assert exchange.body[:2] == b"\x1f\x8b"


def test_redirects_are_not_followed(reference_base_url: str) -> None:
    with Client() as client:
        exchange = client.send("GET", role_urls(reference_base_url)["redirect"], [], cap=10_000)
    assert exchange.status == 301


def test_reads_stop_at_the_cap(reference_base_url: str) -> None:
    with Client() as client:
        exchange = client.send("GET", role_urls(reference_base_url)["main"], [], cap=100)
        again = client.send("GET", role_urls(reference_base_url)["main"], [], cap=10_000)
    assert exchange.body_capped
    assert len(exchange.body) == 100
    assert len(again.body) == 1000  # the cut connection did not leak into the next request


def test_raw_header_lines_reach_the_wire_exactly() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    with canned_server(answer) as (url, heads), Client() as client:
        exchange = client.send_raw(
            "GET", url, ["Range:   bytes=0-9   ", "Range: bytes=1-2\xb2", "range: x"], cap=100
        )
    assert exchange.status == 200
    assert exchange.body == b"ok"
    head = heads[0]
    assert b"\r\nRange:   bytes=0-9   \r\n" in head
    assert b"\r\nRange: bytes=1-2\xb2\r\n" in head
    assert b"\r\nrange: x\r\n" in head


def test_octets_after_a_head_answer_are_kept_as_content() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops"
    with canned_server(answer) as (url, _), Client() as client:
        exchange = client.send_raw("HEAD", url, [], cap=100)
    assert exchange.status == 200
    assert exchange.body == b"oops"


def test_a_server_that_never_answers_is_an_error_message() -> None:
    with (
        canned_server(b"", respond=False) as (url, _),
        Client(ClientSettings(read_timeout=0.5)) as client,
    ):
        exchange = client.send("GET", url, [], cap=100)
    assert exchange.status is None
    assert exchange.error is not None
    assert "no answer" in exchange.error


def test_a_refused_connection_is_an_error_message() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with Client() as client:
        exchange = client.send("GET", f"http://127.0.0.1:{port}/", [], cap=100)
        raw = client.send_raw("GET", f"http://127.0.0.1:{port}/", [], cap=100)
    assert "refused" in (exchange.error or "")
    assert raw.error is not None


def test_a_body_shorter_than_its_content_length_is_an_error() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort"
    with canned_server(answer) as (url, _), Client() as client:
        exchange = client.send("GET", url, [], cap=1000)
    assert exchange.error is not None
    assert exchange.status == 200


@pytest.mark.parametrize("garbage", [b"NOT HTTP AT ALL\r\n\r\n", b"HTTP/1.1 abc\r\n\r\n"])
def test_garbage_status_lines_are_errors(garbage: bytes) -> None:
    with canned_server(garbage) as (url, _), Client() as client:
        assert client.send("GET", url, [], cap=100).error is not None
        assert client.send_raw("GET", url, [], cap=100).error is not None


def test_a_connection_closed_before_the_answer_is_retried_once_on_a_fresh_one() -> None:
    """A kept-alive connection the server drops as the request goes out (RFC 9112 §9.3.1)."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    def first_one_dropped(conn: Connection, head: bytes) -> bool:
        if len(server.requests) == 1:
            return False  # closed without a word
        conn.send(answer)
        return False

    with serving(first_one_dropped) as server, Client() as client:
        exchange = client.send("GET", server.url, [], cap=100)
        assert (exchange.status, exchange.body) == (200, b"ok")
        assert len(server.requests) == 2


def test_a_server_that_always_drops_the_request_is_still_an_error() -> None:
    with serving(lambda conn, head: False) as server, Client() as client:
        exchange = client.send("GET", server.url, [], cap=100)
        posted = client.send("POST", server.url, [], cap=100)
    assert "closed the connection without answering" in (exchange.error or "")
    assert len(server.requests) == 3  # GET twice (one retry), POST once: not idempotent
    assert posted.error is not None


def test_a_method_that_is_not_idempotent_never_rides_a_kept_alive_connection() -> None:
    """A server that answers one request per connection and drops the next one unanswered (an
    idle connection it closes just as a request arrives): a GET left the connection in the
    pool, and RANGETEST, which may not be retried (RFC 9112 §9.3.1), must go out on a fresh
    connection and be answered, every time."""
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    answered: weakref.WeakSet[Connection] = weakref.WeakSet()

    def one_answer_per_connection(conn: Connection, head: bytes) -> bool:
        if conn in answered:
            return False  # the second request on this connection: closed without a word
        answered.add(conn)
        return conn.send(answer)  # and keep the connection, as the answer implies

    with serving(one_answer_per_connection) as server, Client() as client:
        for _ in range(20):
            assert client.send("GET", server.url, [], cap=100).status == 200
            tested = client.send("RANGETEST", server.url, [("Range", "bytes=0-1")], cap=100)
            assert (tested.status, tested.error) == (200, None)


def test_the_client_counts_requests_and_octets_read() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + bytes(1000)

    def served(conn: Connection, head: bytes) -> bool:
        return conn.send(answer)

    with serving(served) as server, Client() as client:
        whole = client.send("GET", server.url, [], cap=10_000)
        window = client.send("GET", server.url, [], cap=100, window=10)
        raw = client.send_raw("GET", server.url, [], cap=10_000)
    head = len(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    assert (whole.body_octets, whole.head_octets) == (1000, head)
    assert (len(window.body), window.body_capped) == (10, True)  # a window, then closed
    assert window.body_octets == 11  # one past the window: how a cap knows there is more
    assert raw.body_octets == 1000
    assert client.traffic.requests == 3
    assert client.traffic.octets == 3 * head + 1000 + 11 + 1000


def test_the_raw_path_deadline_holds_over_tls(tmp_path: Path) -> None:
    """Wrapping the socket in TLS hands its descriptor to a new object: the watchdog must
    watch that one, or a server trickling the body one octet at a time is never cut off."""
    trustme = pytest.importorskip("trustme", reason="pip install trustme (dev extra)")
    authority = trustme.CA()
    ca_pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_pem))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def trickle() -> None:  # one octet every 0.25 s, for at most 25 s
        connection, _ = listener.accept()
        with context.wrap_socket(connection, server_side=True) as tls:
            tls.recv(65536)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(100):
                if stop.wait(0.25):
                    return
                try:
                    tls.sendall(b"x")
                except OSError:
                    return

    server = threading.Thread(target=trickle, daemon=True)
    server.start()
    settings = ClientSettings(connect_timeout=0.5, read_timeout=1.0, verify=str(ca_pem))
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/"
    started = time.monotonic()
    try:
        with Client(settings) as client:
            exchange = client.send_raw("GET", url, ["Range: bytes=0-999"], cap=10_000)
    finally:
        stop.set()
        server.join(timeout=5)
        listener.close()
    assert time.monotonic() - started < settings.deadline + 1.5
    assert exchange.error is not None
    assert f"still sending the body after {settings.deadline:g} s" in exchange.error
    assert "(0 octets" not in exchange.error  # what arrived before the cut is counted
