"""Broken servers by design: each fault is graded error or fail, with a message that names it,
within the configured timeout and bounded memory, and the rest of the run goes on.

Bounds (stated, asserted): every scenario finishes within its `seconds` below (the client's
deadline, connect + 3 × read timeout, plus slack); the worst payloads together (10 GiB
Content-Length, an endless chunked body, an unclosed multipart) stay under 100 MiB traced.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import textwrap
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.cli import main as cli_main
from conformance.engine.runner import run_case
from conformance.engine.target import Target
from conformance.model import Grade, Result
from conformance.transport.client import Client, ClientSettings
from tests.helpers import hostile_servers as servers
from tests.helpers.hostile_servers import HostileServer

CASES = {case.id: case for case in load_cases([bundled_cases_dir()])}
CONNECT, READ = 0.5, 1.0
SETTINGS = ClientSettings(connect_timeout=CONNECT, read_timeout=READ)
MEMORY_BOUND = 100 * 1024 * 1024
SLACK = 1.5  # seconds on top of a bound for thread scheduling on a busy CI machine


def message(result: Result) -> str:
    return " | ".join([result.verdict.summary, *(f.message for f in result.verdict.findings)])


def grades(results: list[Result]) -> list[Grade]:
    return [result.verdict.grade for result in results]


def run(url: str, ids: list[str], settings: ClientSettings = SETTINGS) -> list[Result]:
    with Client(settings) as client:
        target = Target({"main": url}, client)
        return [run_case(CASES[case_id], target) for case_id in ids]


def good_server_still_passes() -> None:
    """The rest of the run: a well-behaved server afterwards gets its passes."""
    with HostileServer(servers.serve_good()) as good:
        results = run(good.url, ["BAS-01", "SGL-04"])
    assert [r.verdict.grade for r in results] == [Grade.PASS, Grade.PASS], [
        message(r) for r in results
    ]


@dataclass(frozen=True)
class Scenario:
    name: str
    handler: Callable[[], servers.Handler] | None  # None: nothing listens
    first: str  # the case that meets the fault
    grade: Grade
    rest: tuple[Grade, Grade]  # what BAS-01 and BAS-04 get afterwards, in the same run
    words: tuple[str, ...]  # what the message must say
    seconds: float  # bound for the whole small run against this server
    settings: ClientSettings = SETTINGS


def on_range(fault: servers.Handler) -> Callable[[], servers.Handler]:
    return lambda: servers.faulty(fault, on_range_only=True)


TRICKLE_SETTINGS = ClientSettings(connect_timeout=CONNECT, read_timeout=1.2)  # > 1 s per octet
QUICK = ClientSettings(connect_timeout=0.3, read_timeout=0.5)  # deadline 1.8 s, octets every 0.2 s

E, F, P = Grade.ERROR, Grade.FAIL, Grade.PASS  # short, so each scenario stays on its lines
REST = ["BAS-01", "BAS-04"]  # the cases run after the first, against the same server
SCENARIOS = [
    Scenario("connection refused", None, "SGL-04", E, (E, E),
             ("connection refused",), 1.0),
    Scenario("accept then never answer", lambda: servers.never_answers, "SGL-04", E, (E, E),
             ("sent no answer within 1 s",), READ + 1.0),
    Scenario("headers trickled one octet a second", lambda: servers.trickle_headers(1.0),
             "SGL-04", E, (E, E),
             ("no complete status line and header fields", "within 4.1 s", "still arriving"),
             TRICKLE_SETTINGS.deadline + 1.0, TRICKLE_SETTINGS),
    Scenario("body shorter than Content-Length", lambda: servers.short_body, "SGL-04", E, (E, E),
             ("sent 10 octets of an announced 1000, then closed",), 1.0),
    Scenario("206 body shorter than Content-Length", on_range(servers.short_body), "SGL-04",
             F, (P, F), ("sent 10 octets of an announced 1000, then closed",
                         "plain GET right after it was answered 200"), 1.0),
    Scenario("206 body longer than Content-Length, kept alive", on_range(servers.long_body),
             "SGL-04", F, (P, F), ("sent octets after the 2 its Content-Length announced",
                                   "b'HTTP/1.1 200 OK", "connection was dropped"), 1.0),
    Scenario("every body longer than Content-Length", lambda: servers.long_body, "SGL-04",
             E, (E, E), ("sent octets after the 1000 its Content-Length announced",), 1.0),
    Scenario("endless chunked body", lambda: servers.endless_chunked, "SGL-04", E, (E, E),
             ("its 200 has no Content-Length and is longer than 1048576 octets",), 5.0),
    Scenario("garbage status line", lambda: servers.garbage_status, "SGL-04", E, (E, E),
             ("status line is not HTTP: b'GARBAGE'",), 1.0),
    Scenario("garbage status line for a Range", on_range(servers.garbage_status), "SGL-04",
             F, (P, F), ("status line is not HTTP: b'GARBAGE'",), 1.0),
    Scenario("HTTP/0.9-style response", lambda: servers.http09, "SGL-04", E, (E, E),
             ("status line is not HTTP: b'<html>", "HTTP/0.9-style"), 1.0),
    Scenario("multipart without a close delimiter", lambda: servers.unclosed_multipart,
             "MUL-01", F, (P, P), ("no close delimiter",), 1.0),
    Scenario("redirect loop", lambda: servers.redirect_loop, "SGL-04", F, (F, F),
             ("got 302",), 1.0),
    Scenario("reset mid-body", lambda: servers.reset_mid_body, "SGL-04", E, (E, E),
             ("reset the connection mid-body, after 500 octets of an announced 1000",), 1.0),
    Scenario("206 reset mid-body", on_range(servers.reset_mid_body), "MUL-02", F, (P, F),
             ("reset the connection mid-body, after 500 octets of an announced 1000",), 1.0),
]  # fmt: skip


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_each_fault_is_graded_named_and_bounded(scenario: Scenario) -> None:
    ids = [scenario.first, *REST]
    started = time.monotonic()
    if scenario.handler is None:
        results = run(servers.refused_url(), ids, scenario.settings)
    else:
        with HostileServer(scenario.handler()) as server:
            results = run(server.url, ids, scenario.settings)
    seconds = time.monotonic() - started

    first = results[0]
    assert first.verdict.grade is scenario.grade, message(first)
    for words in scenario.words:
        assert words in message(first), message(first)
    rest = tuple(grades(results[1:]))
    assert rest == scenario.rest, [message(r) for r in results[1:]]  # the run went on past it
    assert seconds < scenario.seconds + SLACK, f"{seconds:.1f} s"
    good_server_still_passes()


def test_a_fault_on_range_requests_leaves_the_other_cases_passing() -> None:
    with HostileServer(servers.faulty(servers.reset_mid_body, on_range_only=True)) as server:
        results = run(server.url, ["SGL-04", "BAS-01", "BAS-03"])
    assert [r.verdict.grade for r in results] == [Grade.FAIL, Grade.PASS, Grade.PASS]


def test_tls_handshake_failure_is_an_error_that_names_it() -> None:
    started = time.monotonic()
    with servers.TlsRefuser() as server:
        results = run(server.url, ["SGL-04", "BAS-01"])
    assert time.monotonic() - started < 1.0 + SLACK
    assert [r.verdict.grade for r in results] == [Grade.ERROR, Grade.ERROR]
    assert "TLS handshake with https://127.0.0.1" in message(results[0])
    assert "HANDSHAKE_FAILURE" in message(results[0])
    good_server_still_passes()


def test_leftover_octets_never_reach_the_next_exchange() -> None:
    """A stale response queued after a 206 on a kept-alive connection is not read as the next."""
    with (
        HostileServer(servers.faulty(servers.long_body, on_range_only=True)) as server,
        Client(SETTINGS) as client,
    ):
        ranged = client.send("GET", server.url, [("Range", "bytes=0-1")], cap=1000)
        plain = client.send("GET", server.url, [], cap=10_000)
    assert ranged.error is not None
    assert "after the 2 its Content-Length announced" in ranged.error
    assert ranged.body == servers.BODY[:2]
    assert plain.error is None
    assert (plain.status, plain.body) == (200, servers.BODY)
    assert plain.header("X-Stale") is None
    assert server.connections == 2  # the dirty connection was dropped, a fresh one opened


def test_a_clean_kept_alive_connection_is_still_reused() -> None:
    with HostileServer(servers.serve_good()) as server, Client(SETTINGS) as client:
        for _ in range(3):
            exchange = client.send("GET", server.url, [("Range", "bytes=0-1")], cap=1000)
            assert (exchange.status, exchange.error) == (206, None)
    assert server.connections == 1


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_raw_socket_path_has_the_same_deadline(method: str) -> None:
    with HostileServer(servers.trickle_headers(0.2)) as server, Client(QUICK) as client:
        started = time.monotonic()
        exchange = client.send_raw(method, server.url, ["Range: bytes=0-1"], cap=100)
    assert time.monotonic() - started < QUICK.deadline + SLACK
    assert exchange.error is not None
    assert "header fields from" in exchange.error
    assert "within 1.8 s: they were still arriving" in exchange.error


def test_the_raw_socket_path_names_a_short_body() -> None:
    with HostileServer(servers.short_body) as server, Client(SETTINGS) as client:
        exchange = client.send_raw("GET", server.url, ["Range: bytes=0-1"], cap=10_000)
    assert (
        exchange.error
        == f"{server.url} sent 10 octets of an announced 1000, then closed the connection"
    )


def test_a_trickled_body_is_cut_at_the_deadline() -> None:
    def trickle_body(conn: servers.Connection, head: bytes) -> bool:
        if conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"):
            conn.trickle(b"x", 0.2, 100)
        return False

    with HostileServer(trickle_body) as server, Client(QUICK) as client:
        started = time.monotonic()
        exchange = client.send("GET", server.url, [], cap=10_000)
    assert time.monotonic() - started < QUICK.deadline + SLACK
    assert exchange.error is not None
    assert "was still sending the body after 1.8 s" in exchange.error
    assert "of an announced 1000 so far" in exchange.error


def test_the_cli_run_goes_on_and_reports_the_fault() -> None:
    out = io.StringIO()
    garbage_for_ranges = servers.faulty(servers.garbage_status, on_range_only=True)
    with HostileServer(garbage_for_ranges) as server:
        code = cli_main(
            [server.url, "--id", "SGL-04", "--id", "BAS-01", "--timeout", "1", "-v"], out=out
        )
    assert code == 1
    assert "status line is not HTTP: b'GARBAGE'" in out.getvalue()
    assert re.search(r"^FAIL  SGL-04 ", out.getvalue(), re.M)
    assert re.search(r"^PASS  BAS-01 ", out.getvalue(), re.M)  # the run went on past it


def test_a_target_that_answers_garbage_is_said_once_before_any_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = io.StringIO()
    with HostileServer(servers.garbage_status) as server:
        code = cli_main([server.url, "--timeout", "1"], out=out)
    assert (code, out.getvalue()) == (2, "")
    err = capsys.readouterr().err
    assert err == (
        f"range-conformance: {server.url}: status line is not HTTP: b'GARBAGE' (no HTTP/1.x "
        "status line at all: an HTTP/0.9-style answer, or not HTTP). No case was run.\n"
    )


def test_worst_payloads_stay_within_time_and_memory_bounds() -> None:
    """10 GiB Content-Length, an endless chunked body and an unclosed multipart, in one run."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        # Only grades are kept, as a run keeps results: not the 16 MiB bodies of the exchanges.
        with HostileServer(servers.ten_gib) as server:
            huge = grades(run(server.url, ["SGL-04", "BAS-01", "MUL-01"]))
        with HostileServer(servers.endless_chunked) as server:
            endless = grades(run(server.url, ["SGL-04", "BAS-01"]))
        with HostileServer(servers.faulty(servers.endless_chunked, on_range_only=True)) as server:
            endless_206 = grades(run(server.url, ["SGL-04", "BAS-01"]))
        with HostileServer(servers.unclosed_multipart) as server:
            unclosed = grades(run(server.url, ["MUL-01", "BAS-01"]))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = time.monotonic() - started
    assert seconds < 15, f"{seconds:.1f} s"
    assert peak < MEMORY_BOUND, f"peak {peak / 2**20:.1f} MiB"
    # each read within its cap and judged: the 10 GiB-framed 206 fails, the plain 200 passes, and
    # the two-range request is answered 200 (Range ignored: info)
    assert huge == [Grade.FAIL, Grade.PASS, Grade.INFO]
    assert endless == [Grade.ERROR, Grade.ERROR]
    assert endless_206 == [Grade.FAIL, Grade.PASS]
    assert unclosed == [Grade.FAIL, Grade.PASS]
    good_server_still_passes()


# --- faults the client reads within bounds and the graders name ---------------------------


def test_an_endless_chunked_206_fails() -> None:
    with HostileServer(servers.faulty(servers.endless_chunked, on_range_only=True)) as server:
        (result,) = run(server.url, ["SGL-04"])
    assert result.verdict.grade is Grade.FAIL, message(result)
    assert "promises 2" in message(result), message(result)


def test_an_endless_chunked_200_to_a_range_request_fails() -> None:
    """SYN-03 accepts a 200 for its Range, but not one whose content never ends."""
    with HostileServer(servers.faulty(servers.endless_chunked, on_range_only=True)) as server:
        (result,) = run(server.url, ["SYN-03"])
    assert result.verdict.grade is Grade.FAIL, message(result)
    assert "reading stopped there" in message(result), message(result)


def test_a_10_gib_content_length_on_a_two_octet_206_fails() -> None:
    with HostileServer(servers.ten_gib) as server:
        (result,) = run(server.url, ["SGL-04"])
    assert result.verdict.grade is Grade.FAIL, message(result)
    assert "Content-Length" in message(result), message(result)


def _in_subprocess(code: str, limit: float) -> tuple[str, float]:
    """Run `code` in a fresh interpreter, killed after `limit` seconds: (stdout, seconds)."""
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            capture_output=True,
            text=True,
            timeout=limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"killed after {limit} s", time.monotonic() - started
    return done.stdout + done.stderr, time.monotonic() - started


def test_the_multipart_parser_reads_a_million_part_body_within_bounds() -> None:
    output, seconds = _in_subprocess(
        """
        import tracemalloc
        from conformance.grading.multipart import parse_multipart
        body = b"--HOSTILE\\r\\n\\r\\nX\\r\\n" * 1_000_000 + b"--HOSTILE--\\r\\n"
        tracemalloc.start()
        parsed = parse_multipart(body, "HOSTILE")
        print("peak", tracemalloc.get_traced_memory()[1], "problems", parsed.problems)
        """,
        limit=3,
    )
    assert not output.startswith("killed"), output
    assert output.startswith("peak"), output
    assert int(output.split()[1]) < 32 * 1024 * 1024, output
    assert seconds < 3


def test_a_million_tiny_parts_fail_within_bounds() -> None:
    output, seconds = _in_subprocess(
        """
        import resource, time
        from conformance.transport.client import Client, ClientSettings
        from conformance.casefile.loader import bundled_cases_dir, load_cases
        from conformance.engine.runner import run_case
        from conformance.engine.target import Target
        from tests.helpers.hostile_servers import HostileServer, million_parts
        cases = {c.id: c for c in load_cases([bundled_cases_dir()])}
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with HostileServer(million_parts) as server, Client(ClientSettings(read_timeout=1)) as c:
            target = Target({"main": server.url}, c)
            results = [run_case(cases[i], target) for i in ("MUL-01", "BAS-01")]
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(grown, *(r.verdict.grade.value for r in results), results[0].verdict.summary)
        """,
        limit=6,
    )
    assert not output.startswith("killed"), output
    grown_kib, first, second, *_ = output.split()
    assert (first, second) == ("fail", "pass"), output
    assert int(grown_kib) < 150 * 1024, output
    assert seconds < 6
