"""Cache mode end to end: the tool's origin, the test suite's caching proxy in front of it (a
correct one, five mutants with one bug each, two legal variants), and the verdicts they earn."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.cli import main
from tests.helpers.caching_proxy import LEGAL_VARIANTS, MUTANTS, Behaviour, caching_proxy

# Each mutant, and the cache cases that must catch it (each FAIL for that bug).
CAUGHT_BY = {
    "combine_across_etags": {"CCO-07", "CCO-08", "CCO-09", "CCO-25"},
    "incomplete_as_200": {"CCO-05"},
    "stored_206_outside": {"CCO-04", "CCO-19", "CCO-20", "CCO-21"},
    "ignore_vary": {"CCO-15", "CCO-16"},
    "store_unknown_unit": {"CCO-17"},
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def _cache(behaviour: Behaviour) -> Iterator[tuple[int, str]]:
    """A free origin port and the caching proxy already pointed at it (the origin starts with
    the run, as a user's cache is configured before `range-conformance cache` starts)."""
    port = _free_port()
    with caching_proxy(f"http://127.0.0.1:{port}", behaviour) as url:
        yield port, url


def _run(behaviour: Behaviour, tmp_path: Path, *extra: str) -> tuple[int, dict[str, dict]]:
    out = io.StringIO()
    report = tmp_path / "cache.json"
    with _cache(behaviour) as (port, url):
        code = main(["cache", "--origin-port", str(port), "--cache", url, "--json", str(report),
                     "-q", *extra], out)  # fmt: skip
    results = {r["id"]: r for r in json.loads(report.read_text("utf-8"))["results"]}
    return code, results


def _failing(results: dict[str, dict]) -> set[str]:
    return {case for case, r in results.items() if r["outcome"] in ("fail", "error")}


def test_a_correct_cache_passes_every_cache_case_and_the_upstream_is_named(tmp_path: Path) -> None:
    code, results = _run(Behaviour(), tmp_path, "--no-catalogue")
    assert code == 0
    assert len(results) == 25
    assert _failing(results) == set()
    # what reached the origin, named per case: a hit sends nothing, a miss the same range
    assert "nothing reached the origin" in results["CCO-02"]["summary"]
    assert "upstream: the same range" in results["CCO-01"]["summary"]
    assert results["CCO-01"]["measures"]["upstream_requests"] == 1
    assert results["CCO-02"]["measures"]["upstream_requests"] == 0


@pytest.mark.parametrize("name", sorted(CAUGHT_BY))
def test_each_mutant_cache_fails_the_cases_made_for_its_bug(name: str, tmp_path: Path) -> None:
    ids = [flag for case in sorted(CAUGHT_BY[name]) for flag in ("--id", case)]
    code, results = _run(MUTANTS[name], tmp_path, "--no-catalogue", *ids)
    assert code == 1
    assert set(results) == CAUGHT_BY[name]
    for case in CAUGHT_BY[name]:
        assert results[case]["outcome"] == "fail", (case, results[case]["summary"])


def test_the_mutant_list_is_the_one_the_cases_are_held_against() -> None:
    assert set(MUTANTS) == set(CAUGHT_BY)


@pytest.mark.parametrize("name", sorted(LEGAL_VARIANTS))
def test_legal_caching_strategies_pass(name: str, tmp_path: Path) -> None:
    code, results = _run(LEGAL_VARIANTS[name], tmp_path, "--no-catalogue")
    assert len(results) == 25
    assert _failing(results) == set(), {c: results[c]["summary"] for c in _failing(results)}
    assert code == 0
    if name == "fetches_whole":  # legal, but one octet cost the whole object: INFO, with figures
        record = results["CCO-24"]
        assert record["outcome"] == "info"
        assert "a full GET: 67108864 octets for 1 to the client" in record["summary"]
        assert record["measures"]["upstream_per_client_octet"] == 67108864


def test_catalogue_failures_found_only_through_the_cache_are_blamed_on_it(tmp_path: Path) -> None:
    code, results = _run(MUTANTS["store_unknown_unit"], tmp_path, "--id", "SYN-3*", "--id",
                         "PRE-1*")  # fmt: skip
    assert code == 1
    blamed = {case for case, r in results.items() if "this fail is the cache's" in r["summary"]}
    assert blamed == {"SYN-31", "SYN-32", "SYN-33"}
    # If-Match ignored by a cache that answers from storage is one of the RFC's cache rules
    assert results["PRE-11"]["outcome"] in ("pass", "info")


def test_a_cache_that_does_not_reach_the_origin_is_said_once_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = _free_port()
    elsewhere = _free_port()  # the proxy forwards to a port where nothing listens
    with caching_proxy(f"http://127.0.0.1:{elsewhere}") as url:
        code = main(["cache", "--origin-port", str(port), "--cache", url], io.StringIO())
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("range-conformance:") == 1
    assert "never saw the request" in err
    assert f"127.0.0.1:{port}" in err
    assert "No case was run" in err


def test_cache_mode_needs_both_the_cache_and_the_origin_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["cache", "--cache", "http://127.0.0.1:9"], io.StringIO())
    assert stopped.value.code == 2
    assert "--origin-port" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # both ways to the origin at once: which one?
        main(["cache", "--cache", "http://127.0.0.1:9", "--origin-port", "1", "--origin",
              "http://127.0.0.1:2"], io.StringIO())  # fmt: skip
    assert "either --origin-port P" in capsys.readouterr().err


def test_an_origin_started_first_serves_a_cache_run_given_its_url(tmp_path: Path) -> None:
    """`range-conformance origin` first (a cache that gives up on a dead upstream, or a CDN
    that must reach it while being set up), then `cache --origin URL`; SIGTERM stops it."""
    port = _free_port()
    origin = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "conformance", "origin", "--origin-port", str(port)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert origin.stdout is not None
        line = origin.stdout.readline()
        assert f"origin on http://127.0.0.1:{port}" in line
        report = tmp_path / "cache.json"
        with caching_proxy(f"http://127.0.0.1:{port}") as url:
            code = main(["cache", "--origin", f"http://127.0.0.1:{port}", "--cache", url,
                         "--no-catalogue", "--id", "CCO-0[1-3]", "--json", str(report), "-q"],
                        io.StringIO())  # fmt: skip
        assert code == 0
        results = json.loads(report.read_text("utf-8"))["results"]
        assert [r["id"] for r in results] == ["CCO-01", "CCO-02", "CCO-03"]
        assert {r["outcome"] for r in results} == {"pass"}
    finally:
        origin.terminate()
        assert origin.wait(timeout=10) == 0
        assert origin.stdout is not None
        origin.stdout.close()


def test_a_cache_that_stops_answering_is_said_once_and_later_cases_are_not_sent() -> None:
    """The cache goes away after the preflight: the first case errors with the reason, the
    cases after it are not sent, and the run says so once, not once per case."""
    from conformance.casefile.loader import bundled_cases_dir, load_cases
    from conformance.engine.cache_mode import CacheRun, run_cache_cases
    from conformance.engine.origin_control import OriginControl
    from conformance.engine.runner import NOT_RUN
    from conformance.engine.target import Target
    from conformance.model import CACHE_CASE_SUFFIX
    from conformance.transport.client import Client
    from reference_server.origin import serve_origin

    cases = load_cases([bundled_cases_dir()], CACHE_CASE_SUFFIX)[:4]
    gone = f"http://127.0.0.1:{_free_port()}"  # nothing listens: the cache died
    with serve_origin() as (_, origin), Client() as client:
        target = Target({"main": gone + "/files/r1000.bin"}, client, intermediary=True)
        run = CacheRun(gone, origin, OriginControl(origin, client.session), target)
        run.control.put(run.probe_path, size=1000)
        results = list(run_cache_cases(cases, run))
    first, *later = results
    assert first.verdict.grade.value == "error"
    assert "refused" in first.verdict.summary
    assert target.stopped is not None
    assert f"{gone.removeprefix('http://')} stopped answering during {cases[0].id}" in (
        target.stopped
    )
    assert all(r.verdict.summary.startswith(NOT_RUN) for r in later)


def test_an_origin_port_taken_or_out_of_range_is_said_before_any_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["cache", "--origin-port", str(port), "--cache", "http://127.0.0.1:9"],
                    io.StringIO())  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert f"the origin cannot listen on 127.0.0.1:{port}" in err
    assert err.count("range-conformance:") == 1
    with pytest.raises(SystemExit) as stopped:
        main(["cache", "--origin-port", "70000", "--cache", "http://127.0.0.1:9"], io.StringIO())
    assert stopped.value.code == 2
    assert "give a TCP port from 1 to 65535" in capsys.readouterr().err


def test_an_origin_url_that_is_not_the_tools_origin_is_said_before_any_case(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from reference_server import serve_bundled

    with serve_bundled() as server:  # a server, but not one with a control path
        code = main(["cache", "--origin", server.base_url, "--cache", server.base_url],
                    io.StringIO())  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("range-conformance:") == 1
    assert "it is not the tool's origin" in err
    assert "range-conformance origin --origin-port P" in err
