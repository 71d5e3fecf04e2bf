"""`range-conformance [URL]`: run the cases against a URL, or against the bundled reference server.

Calls the engine directly (load → run → report), never pytest.

Exit codes: 0 conformant; 1 a case failed or errored (or warned, with --fail-on warn);
2 bad case files, a bad target file, bad usage or a target that cannot be checked at all;
141 the reader of the output went away (`| head`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TextIO

from conformance import __version__
from conformance.casefile.explain import explain
from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.casefile.selection import SelectionError, select
from conformance.console import DEFAULT, QUIET, VERBOSE, Console, summary_by_section
from conformance.engine.preflight import preflight
from conformance.engine.runner import NOT_RUN, run_cases
from conformance.engine.target import Target, check_url
from conformance.errors import CaseFileError, TargetError
from conformance.model import Case, Grade, Result, short_cite
from conformance.options import Settings, add_cli_options, resolve
from conformance.report.json_report import build_json_report
from conformance.report.text import render_failure
from conformance.report.verdict import (
    MEDIA_QUESTION,
    counts,
    counts_line,
    headline,
    is_conformant,
)
from conformance.report.writers import write_reports
from conformance.transport.client import Client

EXIT_OK, EXIT_NONCONFORMANT, EXIT_USAGE = 0, 1, 2
SHOWN_IN_DETAIL = (Grade.FAIL, Grade.ERROR, Grade.WARN)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="range-conformance",
        description="Check how a URL handles HTTP range requests against RFC 9110. "
        "With no URL, checks the bundled reference server. "
        "'range-conformance matrix RUN.json …' sets several JSON reports side by side; "
        "'range-conformance cache --origin-port P --cache URL' judges a cache.",
        epilog="Exit codes: 0 conformant, 1 a case failed or errored, 2 bad case files or usage.",
    )
    parser.add_argument("url", nargs="?", help="resource to check (at least 1000 octets)")
    add_cli_options(parser)
    return parser


EXIT_PIPE = 128 + 13  # the reader of our output went away (`| head`), as SIGPIPE ends a tool


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; a reader that stops reading (`| head`, `| less` quit) ends the
    run quietly with EXIT_PIPE, never with a traceback."""
    try:
        return _main(argv, out)
    except BrokenPipeError:
        # Whatever is still buffered for stdout would fail again at exit: send it nowhere.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE


def _main(argv: Sequence[str] | None, out: TextIO | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    stream = out or sys.stdout
    if arguments[:1] == ["matrix"]:
        from conformance.matrix_cli import main as matrix_main

        return matrix_main(arguments[1:], stream)
    if arguments[:1] == ["cache"]:
        from conformance.cache_cli import main as cache_main

        return cache_main(arguments[1:], stream)
    if arguments[:1] == ["origin"]:
        from conformance.cache_cli import serve_main

        return serve_main(arguments[1:], stream)
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.quiet and args.verbose:
        parser.error("-q and -v do not go together")
    try:
        settings = resolve(vars(args), args.url)
        if settings.target_app is None:
            for url in settings.urls.values():
                check_url(url)
        cases = load_cases(args.cases or [bundled_cases_dir()])
        if args.explain:
            return _explain(cases, args.explain, stream)
        cases = select(
            cases, keyword=args.keyword, levels=settings.levels, ids=settings.ids,
            tags=settings.tags, sections=settings.sections, profile=settings.profile,
        )  # fmt: skip
    except (CaseFileError, SelectionError, TargetError) as error:
        return said(error)
    if not cases:
        print("range-conformance: no case matches the selection (see --list)", file=sys.stderr)
        return EXIT_USAGE
    if args.list:
        for case in cases:
            print(
                f"{case.id:8} {case.level.value:6} {short_cite(case.rfc):14} {case.title}",
                file=stream,
            )
        return EXIT_OK
    try:
        with _target(settings) as (target, bundled):
            problem = preflight(target)
            if problem is not None:
                raise TargetError(problem)
            verbosity = QUIET if args.quiet else VERBOSE if args.verbose else DEFAULT
            console = Console(stream, verbosity=verbosity)
            return _run(cases, target, settings, console, bundled)
    except TargetError as error:
        print(f"range-conformance: {error}", file=sys.stderr)
        return EXIT_USAGE


def said(error: CaseFileError | SelectionError | TargetError) -> int:
    """A problem found before any case runs, said once on stderr: EXIT_USAGE."""
    if isinstance(error, CaseFileError):
        print("\n".join(error.problems), file=sys.stderr)
        print(f"range-conformance: {len(error.problems)} problem(s) in case files", file=sys.stderr)
    else:
        print(f"range-conformance: {error}", file=sys.stderr)
    return EXIT_USAGE


def _explain(cases: list[Case], wanted: str, stream: TextIO) -> int:
    for case in cases:
        if case.id.upper() == wanted.upper():
            print(explain(case), file=stream)
            return EXIT_OK
    print(f"range-conformance: no case {wanted!r}; see --list", file=sys.stderr)
    return EXIT_USAGE


@contextlib.contextmanager
def _target(settings: Settings) -> Iterator[tuple[Target, bool]]:
    """The user's URL, their WSGI app served in-process, or the bundled reference server."""
    with Client(settings.client) as client, contextlib.ExitStack() as stack:
        if settings.target_app:
            from conformance.target_app import serve_target_app

            settings = serve_target_app(settings, stack)
        urls, oracle = dict(settings.urls), dict(settings.oracle_files)
        bundled = "main" not in urls
        if bundled:
            # The CLI's one dependency on the server: the embedded default target.
            from reference_server import serve_bundled

            server = stack.enter_context(serve_bundled())
            urls = {**server.urls, **urls}
            oracle = {**server.files, **oracle}
        target = Target(urls, client, oracle, settings.oracle_mode)
        try:
            yield target, bundled
        finally:
            target.close()


def _run(
    cases: list[Case],
    target: Target,
    settings: Settings,
    console: Console,
    bundled: bool,
) -> int:
    started = time.monotonic()
    where = target.urls["main"] + ("  (bundled reference server)" if bundled else "")
    if console.verbosity > QUIET:
        console.say(
            f"range-conformance {__version__}: {len(cases)} cases, profile "
            f"{settings.profile}, target {where}"
        )
    results: list[Result] = []
    if cases:  # the first case also learns the target: a long wait deserves its live line
        console.started(cases[0], 0, len(cases))
    for number, result in enumerate(
        run_cases(cases, target, profile=settings.profile, workers=settings.workers)
    ):
        results.append(result)
        console.finished(result)
        if number + 1 < len(cases):
            console.started(cases[number + 1], number + 1, len(cases))
    duration = time.monotonic() - started
    traffic = (target.client.traffic.requests, target.client.traffic.octets)
    return conclude(
        results, duration, settings, console, target=target.urls, oracles=target.oracles(),
        traffic=traffic, stopped=target.stopped,
    )  # fmt: skip


def conclude(
    results: list[Result],
    duration: float,
    settings: Settings,
    console: Console,
    *,
    target: dict[str, str],
    oracles: dict[str, str],
    traffic: tuple[int, int],
    stopped: str | None,
) -> int:
    """After the cases: the failures in detail, the reports, what stopped answering (once),
    the verdict line; the exit code. Shared by the command line and its `cache` command."""
    if console.verbosity > QUIET:
        for result in results:
            if result.verdict.grade in SHOWN_IN_DETAIL and not unsent(result):
                console.say("\n" + render_failure(result))
        console.say("")
    if console.verbosity > DEFAULT:
        for line in summary_by_section(results):
            console.say(line)
    if settings.reports:
        report = build_json_report(
            results, target=target, profile=settings.profile, duration=duration,
            oracles=oracles, fail_on=settings.fail_on, traffic=traffic, stopped=stopped,
        )  # fmt: skip
        for kind, path in write_reports(report, settings.reports).items():
            console.say(f"{kind} report: {path}")
    if stopped is not None:  # said once, whatever the verbosity
        left = sum(1 for result in results if unsent(result))
        later = f"; {left} later cases there were not sent (error)" if left else ""
        console.say(f"{stopped}{later}")
    outside = outside_line(results, listed=console.verbosity > QUIET)
    if outside:
        console.say(outside)
    console.say(verdict_line(results, duration, settings.fail_on, traffic[1], settings.profile))
    deciding = [result for result in results if result.decides]
    conformant = is_conformant(counts(deciding), settings.fail_on)
    return EXIT_OK if conformant else EXIT_NONCONFORMANT


def outside_line(results: Sequence[Result], *, listed: bool = True) -> str:
    """In the media profile, what RFC 9110 finds outside the media question, which the
    verdict does not rest on ('' when nothing is outside it)."""
    outside = [result for result in results if not result.decides]
    if not outside:
        return ""
    tally = counts(outside)
    found = " · ".join(f"{tally[g]} {g}" for g in ("fail", "error", "warn") if tally[g])
    where = "listed above" if listed else "run without -q to list them"
    return f"outside the media question, RFC 9110 ({len(outside)} cases): " + (
        f"{found}, {where}; they do not decide this verdict" if found else "no problem"
    )


def unsent(result: Result) -> bool:
    """A case not sent because its target had stopped answering (said once, not per case)."""
    return result.exchange is None and result.verdict.summary.startswith(NOT_RUN)


def verdict_line(
    results: Sequence[Result],
    duration: float,
    fail_on: str = "fail",
    octets: int | None = None,
    profile: str = "rfc",
) -> str:
    """The run's last line: verdict, the counts it rests on, time and what the target sent.

    In the media profile it answers the media question, from the cases that decide it."""
    deciding = [result for result in results if result.decides]
    tally = counts(deciding)
    line = counts_line(tally)
    verdict = headline(profile, is_conformant(tally, fail_on))
    if profile == "media":
        verdict += f" ({MEDIA_QUESTION} {len(deciding)} cases decide it)"
    read = f", {format_octets(octets)} read" if octets is not None else ""
    return f"{verdict}: {line} in {duration:.2f} s{read}"


def format_octets(octets: int) -> str:
    """1234567 → '1.2 MiB': a size people read at a glance."""
    size = float(octets)
    for unit in ("octets", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{int(size)} {unit}" if unit == "octets" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
