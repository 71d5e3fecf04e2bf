"""The engine's own decisions: who is to blame for a broken connection, what a DoS probe leaves
behind, and that an internal error becomes a graded result instead of a traceback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.engine import runner
from conformance.engine.runner import judged, run_case
from conformance.engine.target import Target
from conformance.errors import TargetError
from conformance.grading.truth import Truth
from conformance.model import Grade, Result, Verdict
from conformance.transport.client import Client, ClientSettings
from tests.helpers import hostile_servers as servers
from tests.helpers.rawserver import Connection, serving

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

    monkeypatch.setattr("conformance.engine.runner.grade", explode)
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


def test_cases_that_must_run_alone_run_last_with_nothing_else_in_flight(monkeypatch) -> None:
    """The DoS probes (then_baseline, parallel connections) wait for every other case and go
    one at a time; the results still come back in case order, whatever the concurrency."""
    cases = list(CASES.values())
    alone = {case.id for case in cases if case.runs_alone}
    assert {"DOS-01", "DOS-07"} <= alone
    assert not {"BAS-01", "SGL-04", "CCH-01", "RES-01"} & alone
    lock = threading.Lock()
    in_flight: list[str] = []
    seen: dict[str, tuple[int, list[str]]] = {}  # id → (start order, others in flight)

    def recorded(case, target, *, profile="rfc"):
        with lock:
            seen[case.id] = (len(seen), [other for other in in_flight])
            in_flight.append(case.id)
        time.sleep(0.002)
        with lock:
            in_flight.remove(case.id)
        return Result(case, Verdict(Grade.PASS, None, (), case.id), None, profile)

    monkeypatch.setattr(runner, "run_case", recorded)
    for workers in (1, 12):
        seen.clear()
        results = list(runner.run_cases(cases, target=None, workers=workers))  # type: ignore[arg-type]
        assert [r.case.id for r in results] == [case.id for case in cases]
        first_alone = min(seen[case_id][0] for case_id in alone)
        assert all(seen[c.id][0] < first_alone for c in cases if c.id not in alone)
        assert all(seen[case_id][1] == [] for case_id in alone), workers
    # and the concurrency was real: some ordinary cases overlapped
    assert any(others for case_id, (_, others) in seen.items() if case_id not in alone)


def test_amplification_is_measured_from_what_was_declared_not_downloaded() -> None:
    """A 206 that announces 10 GiB for a ten-octet range: the case reads a window and closes;
    its measures say what was declared, what was read, and the amplification that follows."""
    with serving(servers.faulty(servers.ten_gib, on_range_only=True)) as server, Client() as client:
        result = run_case(CASES["SGL-04"], Target({"main": server.url}, client))
    measures = dict(result.measures)
    assert measures["octets"] == 10 * 1024**3
    assert measures["amplification"] == round(10 * 1024**3 / 1000, 3)
    assert measures["octets_read"] <= runner.WINDOW + 1
    assert result.verdict.grade is Grade.FAIL  # Content-Range 0-1 promises 2 octets, not 10 GiB
    assert result.exchange is not None
    assert len(result.exchange.body) <= runner.EXCERPT  # what the result keeps
    assert result.exchange.body_octets == measures["octets_read"]


class _ShortResource:
    """A resource whose reads come back short, as from a server that stops mid-window."""

    def known_octets(self) -> dict[int, bytes]:
        return {}

    def read(self, first: int, last: int) -> bytes:
        return b"x"


def test_octets_that_cannot_be_had_are_said_in_one_short_line() -> None:
    def grading(truths: dict[str, Truth]) -> Verdict:
        for first in range(10, 10_010, 10):  # a thousand asks, many of them repeated
            truths["identity"].read(first % 50, 999)
        return Verdict(Grade.PASS, None, (), "ok")

    with pytest.raises(TargetError) as raised:
        judged(grading, {"identity": _ShortResource()})  # type: ignore[dict-item]
    assert str(raised.value) == (
        "octets 0-999, 10-999, 20-999 and 2 more spans to compare with could not be had"
    )


class _FileLikeResource:
    """A resource whose octets are read when asked (as from --oracle-file), none in hand."""

    body = bytes(range(256)) * 4

    def known_octets(self) -> dict[int, bytes]:
        return {}

    def read(self, first: int, last: int) -> bytes:
        return self.body[first : last + 1]


def test_asks_sharing_a_start_are_all_answered_in_the_second_grade() -> None:
    """10 000 parts of 10-999 cut at the read cap end in a part 10-55: both asks start at 10,
    and both must be answered (the CherryPy DOS-06 answer once ended in an ERROR here)."""
    seen: list[bytes | None] = []

    def grading(truths: dict[str, Truth]) -> Verdict:
        seen[:] = [truths["identity"].read(10, 999), truths["identity"].read(10, 55)]
        return Verdict(Grade.FAIL, "coalesced", (), "206 coalesced")

    verdict = judged(grading, {"identity": _FileLikeResource()})  # type: ignore[dict-item]
    assert verdict.summary == "206 coalesced"
    assert seen == [_FileLikeResource.body[10:1000], _FileLikeResource.body[10:56]]
