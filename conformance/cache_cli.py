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
import socket
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from conformance import __version__
from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.casefile.selection import SelectionError, select
from conformance.cli import EXIT_OK, EXIT_USAGE, conclude, said
from conformance.console import DEFAULT, QUIET, VERBOSE, Console
from conformance.engine.cache_mode import CacheRun, run_cache_cases
from conformance.engine.origin_control import OriginControl
from conformance.engine.runner import run_cases
from conformance.engine.target import Target, check_url
from conformance.errors import CaseFileError, TargetError
from conformance.grading.through import compared_with_origin
from conformance.model import CACHE_CASE_SUFFIX, Case, Result, short_cite
from conformance.options import Settings, add_cli_options, resolve
from conformance.transport.client import Client
from reference_server import patterns
from reference_server.fixtures import (
    FIXTURE_ROLES,
    build_fixtures,
    default_fixtures_dir,
    role_files,
)
from reference_server.origin import serve_origin  # the cache command's own server

# Left out of the catalogue in cache mode: 5 GB that a cache fetching whole objects would move
# per case (the cache cases measure that cost on 64 MiB instead).
NOT_THROUGH_CACHE = ("large",)
ROLES_THROUGH_CACHE = {r: p for r, p in FIXTURE_ROLES.items() if r not in NOT_THROUGH_CACHE}
UNWARMED = ("cache", "missing")  # the CCH cases' fresh keys; a 404 to keep nobody from storing
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
    _check_port(parser, args.origin_port)
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
        with contextlib.ExitStack() as stack:
            origin_url, files = stack.enter_context(_origin(host, args.origin_port, args.origin))
            client = stack.enter_context(Client(settings.client))
            cache = args.cache.rstrip("/")
            # The CCH cases' own role: the main resource as the cache serves it.
            roles = {**ROLES_THROUGH_CACHE, "cache": FIXTURE_ROLES["main"]}
            oracle = {role: files[name] for role, name in roles.items() if name in files}
            through = Target({role: cache + path for role, path in roles.items()}, client,
                             oracle, intermediary=True)  # fmt: skip
            stack.callback(through.close)
            control = OriginControl(origin_url, client.session, settings.client.read_timeout)
            run = CacheRun(cache, origin_url, control, through)
            reaches(run)
            return _run(chosen, catalogue, run, oracle, settings, console)
    except TargetError as error:
        return said(error)


def _check_port(parser: argparse.ArgumentParser, port: int | None) -> None:
    """A port the cache can be pointed at: 0 (any free one) would be one nobody knows."""
    if port is not None and not 0 < port < 65536:
        parser.error(f"--origin-port {port}: give a TCP port from 1 to 65535")


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
    fixture files it serves, by URL path (built here too: they are the same octets everywhere)."""
    directory = build_fixtures(default_fixtures_dir())
    files = {FIXTURE_ROLES[role]: path for role, path in role_files(directory).items()}
    if running is not None:
        yield running.rstrip("/"), files
        return
    assert port is not None
    _can_listen(host, port)
    with serve_origin(host=host, port=port, fixtures_dir=directory) as (_, base_url):
        yield base_url, files


def _can_listen(host: str, port: int) -> None:
    """Bind the origin's address once first: Werkzeug's server answers a taken port with a
    message of its own and sys.exit(1), which would read as a verdict."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise TargetError(
            f"the origin cannot listen on {host}:{port}: {error.strerror or error}"
        ) from None


def reaches(run: CacheRun) -> None:
    """Once, before any case: a GET through the cache must arrive at the origin and come back
    with the origin's octets; otherwise the cache is not pointed at the origin (exit 2)."""
    path = run.probe_path
    run.control.put(path, size=1000, version=1)
    answer = run.client.send("GET", run.cache + path, [("Accept-Encoding", "identity")],
                             cap=4096)  # fmt: skip
    arrived = run.control.log(path)
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
    oracle: dict[str, Path],
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
        direct = Target({role: run.origin + path for role, path in ROLES_THROUGH_CACHE.items()},
                        run.client, oracle)  # fmt: skip
        try:
            alone = list(run_cases(catalogue, direct, profile=settings.profile,
                                   workers=settings.workers))  # fmt: skip
        finally:
            direct.close()
        warm(run, [url for role, url in run.target.urls.items() if role not in UNWARMED])
        # One case at a time: through a cache, what one case stores is what the next one gets.
        cached = run_cases(catalogue, run.target, profile=settings.profile, workers=1)
        results += _shown(compared_with_origin(list(cached), alone), console)
    traffic = (run.client.traffic.requests, run.client.traffic.octets)
    return conclude(
        results, time.monotonic() - started, settings, console,
        target={"cache": run.cache, "origin": run.origin}, oracles=run.target.oracles(),
        traffic=traffic, stopped=run.target.stopped,
    )  # fmt: skip


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
    _check_port(parser, args.origin_port)
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
