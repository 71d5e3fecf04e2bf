"""The engine's own decisions: who is to blame for a broken connection, what a DoS probe leaves
behind, and that an internal error becomes a graded result instead of a traceback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from conformance.client import Client, ClientSettings
from conformance.loader import bundled_cases_dir, load_cases
from conformance.model import Grade
from conformance.runner import run_case
from conformance.target import Target

BODY = bytes(range(250)) * 4
CASES = {case.id: case for case in load_cases([bundled_cases_dir()])}


@contextmanager
def breaks_on_range() -> Iterator[str]:
    """Serves a plain GET; drops the connection, unanswered, when a Range header is present."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    head += chunk
                if b"\r\nrange:" in head.lower():
                    continue  # closed without a word
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n" + BODY
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/r"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def test_a_connection_broken_only_by_the_range_is_the_servers_failure() -> None:
    with breaks_on_range() as url, Client(ClientSettings(read_timeout=2)) as client:
        result = run_case(CASES["SGL-04"], Target({"main": url}, client))
    assert result.verdict.grade is Grade.FAIL
    (finding,) = result.verdict.findings
    assert finding.check == "transport"
    assert "plain GET right after it was answered 200" in finding.message


def test_an_internal_error_is_graded_error_not_raised(monkeypatch) -> None:
    def explode(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("conformance.runner.grade", explode)
    with breaks_on_range() as url, Client() as client:
        result = run_case(CASES["BAS-01"], Target({"main": url}, client))
    assert result.verdict.grade is Grade.ERROR
    assert "internal error" in result.verdict.summary
    assert "ZeroDivisionError: boom" in result.verdict.summary
