"""Where the true octets come from: windows that cross-check the server, a full download, or a
local copy that must agree with the server before it is trusted."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.engine import target as target_module
from conformance.engine.runner import run_case
from conformance.engine.target import Target
from conformance.model import Grade, Result
from conformance.transport.client import Client, ClientSettings
from reference_server import create_app, serve_in_thread
from tests.helpers import hostile_servers as servers
from tests.helpers.rawserver import Connection, RawServer
from tests.helpers.targets import role_urls

SETTINGS = ClientSettings(connect_timeout=0.5, read_timeout=1.0)  # deadline 3.5 s
SLACK = 1.5  # seconds for thread scheduling on a busy CI machine


def message(result: Result) -> str:
    return " | ".join([result.verdict.summary, *(f.message for f in result.verdict.findings)])


CASES = {case.id: case for case in load_cases([bundled_cases_dir()])}


@pytest.fixture
def windows_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat the 1000-octet fixture as too large to hold, as a 5 GB one would be, and learn
    none of it from the plain 200, so every octet compared comes from a window."""
    monkeypatch.setattr(target_module, "IN_MEMORY_LIMIT", 100)
    monkeypatch.setattr(target_module, "PREFIX", 0)


def lies_to_open_ended_ranges(app):
    """Shifts the octets of every open-ended range by one; explicit ranges stay right."""

    def wrapped(environ, start_response):
        value = environ.get("HTTP_RANGE", "")
        if value.endswith("-") and value.startswith("bytes="):
            first = int(value[6:-1])
            environ = {**environ, "HTTP_RANGE": f"bytes={first + 1}-"}
            captured = {}

            def capture(status, headers, exc_info=None):
                captured["status"], captured["headers"] = status, headers

            body = b"".join(app(environ, capture))
            headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-range"]
            length = 1000
            headers.append(("Content-Range", f"bytes {first}-{length - 1}/{length}"))
            headers = [
                (k, str(len(body) + 1) if k.lower() == "content-length" else v) for k, v in headers
            ]
            start_response(captured["status"], headers)
            return [body + b"\0"]
        return app(environ, start_response)

    return wrapped


@pytest.mark.usefixtures("windows_everywhere")
def test_windows_are_cross_checked_and_a_disagreement_is_reported(fixtures_dir: Path) -> None:
    with serve_in_thread(lies_to_open_ended_ranges(create_app(fixtures_dir))) as base, \
            Client() as client:  # fmt: skip
        result = run_case(CASES["SGL-01"], Target(role_urls(base), client))
    assert result.verdict.grade is Grade.ERROR
    assert "gives different octets" in result.verdict.summary


@pytest.mark.usefixtures("windows_everywhere")
def test_windows_oracle_grades_an_honest_server(reference_base_url: str) -> None:
    with Client() as client:
        target = Target(role_urls(reference_base_url), client)
        result = run_case(CASES["SGL-01"], target)
        assert "cross-checked" in target.oracles()["main"]
    assert result.verdict.grade is Grade.PASS


@pytest.mark.usefixtures("windows_everywhere")
def test_full_oracle_downloads_once_and_cleans_up(reference_base_url: str) -> None:
    with Client() as client:
        target = Target(role_urls(reference_base_url), client, oracle_mode="full")
        result = run_case(CASES["SGL-02"], target)
        description = target.oracles()["main"]
        temporary = Path(description.removeprefix("full download to "))
        assert temporary.stat().st_size == 1000
        target.close()
    assert result.verdict.grade is Grade.PASS
    assert not temporary.exists()


def test_a_local_copy_that_differs_from_the_server_is_refused(
    reference_base_url: str, tmp_path: Path
) -> None:
    copy = tmp_path / "stale.bin"
    copy.write_bytes(b"\x00" * 1000)
    with Client() as client:
        target = Target(role_urls(reference_base_url), client, {"main": copy})
        result = run_case(CASES["SGL-01"], target)
    assert result.verdict.grade is Grade.ERROR
    assert "differs from the 200" in result.verdict.summary


def test_a_trickling_full_download_is_cut_off_and_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`--oracle full` reads for as long as the body moves; one octet every half second (never
    tripping the 1 s read timeout, and going on for 30 s) is cut off within two windows."""
    monkeypatch.setattr(target_module, "IN_MEMORY_LIMIT", 1000)  # so the full download runs
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where a leftover would show
    started = time.monotonic()
    with RawServer(servers.trickle_body(2000, 0.5, 60)) as server, Client(SETTINGS) as client:
        target = Target({"main": server.url}, client, oracle_mode="full")
        result = run_case(CASES["SGL-04"], target)
    seconds = time.monotonic() - started
    assert result.verdict.grade is Grade.ERROR, message(result)
    assert "too slow to download whole" in message(result), message(result)
    assert seconds < 2 * SETTINGS.deadline + SLACK, f"{seconds:.1f} s"
    assert list(tmp_path.iterdir()) == []


def test_a_full_download_cut_short_is_an_error_that_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(target_module, "IN_MEMORY_LIMIT", 1000)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with RawServer(servers.trickle_body(2000, 0.1, 2)) as server, Client(SETTINGS) as client:
        target = Target({"main": server.url}, client, oracle_mode="full")
        result = run_case(CASES["SGL-04"], target)
    assert result.verdict.grade is Grade.ERROR, message(result)
    assert "--oracle full: " in message(result), message(result)
    assert "sent 2002 octets of an announced 4000, then closed the connection" in message(result)
    assert list(tmp_path.iterdir()) == []


def test_a_full_download_never_writes_more_than_was_announced(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(target_module, "IN_MEMORY_LIMIT", 1000)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[int] = []

    def served(conn: Connection, head: bytes) -> bool:
        seen.append(1)
        if len(seen) == 1:  # learning: announced 2000, more than IN_MEMORY_LIMIT
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n" + bytes(2000))
            return False
        if conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"):
            conn.stream(b"%x\r\n" % 65536 + bytes(65536) + b"\r\n")
        return False

    with RawServer(served) as server, Client(SETTINGS) as client:
        target = Target({"main": server.url}, client, oracle_mode="full")
        result = run_case(CASES["SGL-04"], target)
    assert result.verdict.grade is Grade.ERROR, message(result)
    assert "sent more than the 2000 octets it announced" in message(result), message(result)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("windows_everywhere")
def test_a_window_cut_short_is_no_truth_to_judge_by() -> None:
    """A reset while fetching an oracle window is an ERROR of the run, never a FAIL of the
    case's answer compared with octets that never arrived."""
    body = bytes(range(250)) * 4  # over the patched in-memory limit of 100 octets

    def served(conn: Connection, head: bytes) -> bool:
        answer = servers.good_answer(head, body)
        if b"bytes=" in head and b"Range: bytes=0-1\r\n" not in head:  # the oracle's windows
            conn.send(answer[: answer.index(b"\r\n\r\n") + 4 + 10])
            conn.reset()
            return False
        return conn.send(answer)

    with RawServer(served) as server, Client(SETTINGS) as client:
        result = run_case(CASES["SGL-04"], Target({"main": server.url}, client))
    assert result.verdict.grade is Grade.ERROR, message(result)
    assert "cannot read octets" in message(result), message(result)
