"""`range-conformance cache --origin-port P --cache URL`: judge a cache with the tool's origin.

Starts the tool's own origin on HOST:P (the reference engine with a control path), checks once
that the cache reaches it, runs the cache cases (`*.cache.yaml`), then the whole catalogue
through the cache, graded by the rules for caches and proxies, beside the same catalogue on the
origin alone: a FAIL found only through the cache is the cache's, and the report says so.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from conformance import __version__
from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.casefile.selection import SelectionError, select
from conformance.cli import (
    EXIT_NONCONFORMANT,
    EXIT_OK,
    EXIT_USAGE,
    SHOWN_IN_DETAIL,
    said,
    verdict_line,
)
from conformance.console import DEFAULT, QUIET, VERBOSE, Console
from conformance.engine.cache_mode import CacheRun, run_cache_cases
from conformance.engine.origin_control import OriginControl
from conformance.engine.runner import run_cases
from conformance.engine.target import Target, check_url
from conformance.errors import CaseFileError, TargetError
from conformance.grading.through import compared_with_origin
from conformance.model import CACHE_CASE_SUFFIX, Case, Result, short_cite
from conformance.options import Settings, add_cli_options, resolve
from conformance.report.json_report import build_json_report
from conformance.report.text import render_failure
from conformance.report.verdict import counts, is_conformant
from conformance.report.writers import write_reports
from conformance.transport.client import Client

# Left out of the catalogue in cache mode: 5 GB that a cache fetching whole objects would move
# per case (the cache cases measure that cost on 64 MiB instead).
NOT_THROUGH_CACHE = ("large",)
WARM_CAP = 16 * 1024 * 1024  # a warming GET reads its (small) fixture whole
WARM_SETTLE = 0.5  # seconds for the cache to commit what it stored, once for all of them


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="range-conformance cache",
        description="Judge a cache or CDN on range requests: the tool plays the origin on "
        "HOST:P, the cache under test forwards to it, and every case goes through the cache.",
        epilog="Exit codes: 0 conformant, 1 a case failed or errored, 2 bad usage, or a cache "
        "that does not reach the origin.",
    )
    add_cli_options(parser, front="cache")
    return parser


def main(argv: Sequence[str], out: TextIO) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.quiet and args.verbose:
        parser.error("-q and -v do not go together")
    if not args.cache or (args.origin_port is None) == (args.origin is None):
        parser.error(
            "give --cache URL (the cache under test) and either --origin-port P (the origin "
            "this command starts) or --origin URL (one `range-conformance origin` runs)"
        )
    try:
        check_url(args.cache)
        if args.origin is not None:
            check_url(args.origin)
        settings = resolve(vars(args), None)
        paths = args.cases or [bundled_cases_dir()]
        chosen = _select(load_cases(paths, CACHE_CASE_SUFFIX), args, settings)
        catalogue = [] if args.no_catalogue else _select(load_cases(paths), args, settings)
        catalogue = [case for case in catalogue if case.resource not in NOT_THROUGH_CACHE]
    except (CaseFileError, SelectionError, TargetError) as error:
        return said(error)
    if not chosen and not catalogue:
        print("range-conformance: no case matches the selection (see --list)", file=sys.stderr)
        return EXIT_USAGE
    if args.list:
        for case in [*chosen, *catalogue]:
            print(f"{case.id:8} {case.level.value:6} {short_cite(case.rfc):14} {case.title}",
                  file=out)  # fmt: skip
        return EXIT_OK
    verbosity = QUIET if args.quiet else VERBOSE if args.verbose else DEFAULT
    console = Console(out, verbosity=verbosity)
    host = args.origin_host or "127.0.0.1"
    try:
        with _origin(host, args.origin_port, args.origin) as (origin_url, files), Client(
            settings.client
        ) as client:  # fmt: skip
            run = CacheRun(args.cache.rstrip("/"), origin_url, client, OriginControl(
                origin_url, client.session, settings.client.read_timeout))  # fmt: skip
            reaches(run)
            return _run(chosen, catalogue, run, files, settings, console)
    except TargetError as error:
        return said(error)


def _select(cases: list[Case], args: argparse.Namespace, settings: Settings) -> list[Case]:
    return select(
        cases, keyword=args.keyword, levels=settings.levels, ids=settings.ids,
        tags=settings.tags, sections=settings.sections, profile=settings.profile,
    )  # fmt: skip


@contextlib.contextmanager
def _origin(
    host: str, port: int | None, running: str | None = None
) -> Iterator[tuple[str, dict[str, Path]]]:
    """The tool's own origin on host:port (or the one already `running` at that URL), and the
    fixture files it serves by role (built here too: they are the same octets everywhere)."""
    from reference_server.fixtures import build_fixtures, default_fixtures_dir
    from reference_server.origin import serve_origin  # the cache command's one server

    directory = build_fixtures(default_fixtures_dir())
    files = {
        role: directory / path.removeprefix("/files/")
        for role, path in _fixture_paths().items()
        if path.startswith("/files/") and (directory / path.removeprefix("/files/")).is_file()
    }
    if running is not None:
        yield running.rstrip("/"), files
        return
    assert port is not None
    with contextlib.ExitStack() as stack:
        try:
            _, base_url = stack.enter_context(
                serve_origin(host=host, port=port, fixtures_dir=directory)
            )
        except OSError as error:
            raise TargetError(
                f"the origin cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
        yield base_url, files


def reaches(run: CacheRun) -> None:
    """Once, before any case: a GET through the cache must arrive at the origin and come back
    with the origin's octets; otherwise the cache is not pointed at the origin (exit 2)."""
    path = f"/o/preflight-{run.token}/representation.bin"
    run.control.put(path, size=1000, version=1)
    answer = run.client.send("GET", run.cache + path, [("Accept-Encoding", "identity")],
                             cap=4096)  # fmt: skip
    arrived = run.control.log(path)
    from reference_server import patterns

    if answer.status == 200 and arrived and answer.body == patterns.octets(1, 0, 999):
        return
    got = answer.error or f"HTTP {answer.status}"
    where = "the origin saw the request" if arrived else "the origin never saw the request"
    raise TargetError(
        f"{run.cache}{path} did not bring the origin's representation ({got}; {where}). "
        f"Point the cache's upstream at {run.origin}, then run again. No case was run."
    )


def _run(
    chosen: list[Case],
    catalogue: list[Case],
    run: CacheRun,
    files: dict[str, Path],
    settings: Settings,
    console: Console,
) -> int:
    started = time.monotonic()
    if console.verbosity > QUIET:
        console.say(
            f"range-conformance {__version__} cache mode: {len(chosen)} cache cases"
            + (f" and {len(catalogue)} catalogue cases" if catalogue else "")
            + f", cache {run.cache}, origin {run.origin}"
        )
    results = list(_shown(run_cache_cases(chosen, run, profile=settings.profile), console))
    if catalogue:
        urls = {role: path for role, path in _fixture_paths().items()
                if role not in NOT_THROUGH_CACHE}  # fmt: skip
        oracle = {role: path for role, path in files.items() if role in urls}
        direct = Target({r: run.origin + p for r, p in urls.items()}, run.client, oracle)
        # The CCH cases' own role: the main resource as the cache serves it.
        cached_urls = {r: run.cache + p for r, p in {**urls, "cache": urls["main"]}.items()}
        through = Target(cached_urls, run.client, {**oracle, "cache": oracle["main"]},
                         intermediary=True)  # fmt: skip
        alone = list(run_cases(catalogue, direct, profile=settings.profile,
                               workers=settings.workers))  # fmt: skip
        warm(run, [url for role, url in cached_urls.items() if role not in ("cache", "missing")])
        # One case at a time: through a cache, what one case stores is what the next one gets.
        cached = run_cases(catalogue, through, profile=settings.profile, workers=1)
        results += _shown(compared_with_origin(list(cached), alone), console)
        direct.close()
        through.close()
    duration = time.monotonic() - started
    if console.verbosity > QUIET:
        for result in results:
            if result.verdict.grade in SHOWN_IN_DETAIL:
                console.say("\n" + render_failure(result))
        console.say("")
    if settings.reports:
        report = build_json_report(
            results, target={"cache": run.cache, "origin": run.origin},
            profile=settings.profile, duration=duration, oracles={}, fail_on=settings.fail_on,
            traffic=(run.client.traffic.requests, run.client.traffic.octets),
        )  # fmt: skip
        for kind, path in write_reports(report, settings.reports).items():
            console.say(f"{kind} report: {path}")
    console.say(verdict_line(results, duration, settings.fail_on, None, settings.profile))
    deciding = [result for result in results if result.decides]
    return EXIT_OK if is_conformant(counts(deciding), settings.fail_on) else EXIT_NONCONFORMANT


def warm(run: CacheRun, urls: list[str]) -> None:
    """A plain GET of each resource through the cache first, so the catalogue meets the cache
    holding them (as a cache in service does) whatever order the cases run in."""
    for url in urls:
        run.client.send("GET", url, [("Accept-Encoding", "identity")], cap=WARM_CAP)
    time.sleep(WARM_SETTLE)


def _shown(results: Iterator[Result] | list[Result], console: Console) -> Iterator[Result]:
    for result in results:
        console.finished(result)
        yield result


def _fixture_paths() -> dict[str, str]:
    from reference_server.fixtures import FIXTURE_ROLES

    return dict(FIXTURE_ROLES)


def serve_main(argv: Sequence[str], out: TextIO) -> int:
    """`range-conformance origin --origin-port P`: the tool's origin alone, until interrupted,
    for a cache or CDN that must reach it before `range-conformance cache --origin URL` runs
    (Squid, for one, gives up on an upstream that refused it while it started)."""
    parser = argparse.ArgumentParser(
        prog="range-conformance origin",
        description="Serve the tool's own origin (the fixtures, and the cache cases' "
        "representations driven over POST /_rc/control) until Ctrl-C.",
    )
    add_cli_options(parser, front="origin")
    args = parser.parse_args(list(argv))
    if args.origin_port is None:
        parser.error("give --origin-port P")
    try:
        with _origin(args.origin_host or "127.0.0.1", args.origin_port) as (url, _):
            then = f"range-conformance cache --origin {url} --cache URL"
            print(f"range-conformance origin on {url} (Ctrl-C stops it); then: {then}",
                  file=out, flush=True)  # fmt: skip
            signal.signal(signal.SIGTERM, _stop)  # `kill PID` cleans up as Ctrl-C does
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    except TargetError as error:
        return said(error)
    return EXIT_OK


def _stop(number: int, frame: object) -> None:
    raise KeyboardInterrupt
