"""The engine's own decisions: who is to blame for a broken connection, what a DoS probe leaves
behind, and that an internal error becomes a graded result instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from conformance.client import Client, ClientSettings
from conformance.loader import bundled_cases_dir, load_cases
from conformance.model import Grade
from conformance.runner import run_case
from conformance.target import Target
from tests.rawserver import Connection, serving

BODY = bytes(range(250)) * 4
CASES = {case.id: case for case in load_cases([bundled_cases_dir()])}


@contextmanager
def breaks_on_range() -> Iterator[str]:
    """Serves a plain GET; drops the connection, unanswered, when a Range header is present."""

    def handler(conn: Connection, head: bytes) -> bool:
        if b"\r\nrange:" not in head.lower():
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
                      b"Connection: close\r\n\r\n" + BODY)  # fmt: skip
        return False  # closed, with or without a word

    with serving(handler) as server:
        yield server.url


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


def test_a_dropped_connection_on_the_huge_header_probe_warns_and_fails_in_strict() -> None:
    """DOS-06 (a 70 KB Range): closing without a word is tolerated (catalogue), not in strict."""
    with breaks_on_range() as url, Client(ClientSettings(read_timeout=2)) as client:
        target = Target({"main": url}, client)
        rfc = run_case(CASES["DOS-06"], target)
        strict = run_case(CASES["DOS-06"], target, profile="strict")
    assert rfc.verdict.grade is Grade.WARN
    assert strict.verdict.grade is Grade.FAIL
