"""`range-conformance [URL]`: run the cases against a URL, or against the bundled reference server.

Calls the engine directly (load → run → report), never pytest.

Exit codes: 0 conformant; 1 a case failed or errored (or warned, with --fail-on warn);
2 bad case files, a bad target file or bad usage.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TextIO

from . import __version__
from .client import Client
from .console import Console, summary_by_section
from .errors import CaseFileError, TargetError
from .explain import explain
from .loader import bundled_cases_dir, load_cases
from .model import Case, Grade, Result, short_cite
from .options import Settings, add_cli_options, resolve
from .render import render_failure
from .reports import build_json_report, counts, is_conformant, write_reports
from .runner import run_case
from .selection import SelectionError, select
from .target import Target, check_url

EXIT_OK, EXIT_NONCONFORMANT, EXIT_USAGE = 0, 1, 2
SHOWN_IN_DETAIL = (Grade.FAIL, Grade.ERROR, Grade.WARN)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="range-conformance",
        description="Check how a URL handles HTTP range requests against RFC 9110. "
        "With no URL, checks the bundled reference server. "
        "'range-conformance matrix RUN.json …' sets several JSON reports side by side.",
        epilog="Exit codes: 0 conformant, 1 a case failed or errored, 2 bad case files or usage.",
    )
    parser.add_argument("url", nargs="?", help="resource to check (at least 1000 octets)")
    add_cli_options(parser)
    parser.add_argument(
        "-k",
        dest="keyword",
        metavar="EXPR",
        help="only cases matching EXPR (words in id/title/group/tags; and/or/not)",
    )
    parser.add_argument(
        "--cases",
        action="append",
        type=Path,
        default=[],
        metavar="PATH",
        help="case files or folders (default: the bundled cases)",
    )
    parser.add_argument(
        "-j",
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N cases at a time (verdicts do not change; default 1)",
    )
    parser.add_argument("--list", action="store_true", help="list the selected cases and exit")
    parser.add_argument("--explain", metavar="ID", help="show what a case sends and accepts")
    parser.add_argument("-q", "--quiet", action="store_true", help="only problems and the summary")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    stream = out or sys.stdout
    if arguments[:1] == ["matrix"]:
        from .matrix_cli import main as matrix_main

        return matrix_main(arguments[1:], stream)
    args = build_parser().parse_args(arguments)
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
    except CaseFileError as error:
        print("\n".join(error.problems), file=sys.stderr)
        print(f"range-conformance: {len(error.problems)} problem(s) in case files", file=sys.stderr)
        return EXIT_USAGE
    except (SelectionError, TargetError) as error:
        print(f"range-conformance: {error}", file=sys.stderr)
        return EXIT_USAGE
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
            console = Console(stream, quiet=args.quiet)
            return _run(cases, target, settings, console, bundled, max(1, args.workers))
    except TargetError as error:
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
            from .app_server import serve_target_app

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
    workers: int = 1,
) -> int:
    started = time.monotonic()
    where = target.urls["main"] + ("  (bundled reference server)" if bundled else "")
    console.say(
        f"range-conformance {__version__}: {len(cases)} cases, profile "
        f"{settings.profile}, target {where}"
    )
    results: list[Result] = []
    if cases:  # the first case also learns the target: a long wait deserves its live line
        console.started(cases[0], 0, len(cases))
    for number, result in enumerate(run_all(cases, target, settings.profile, workers)):
        results.append(result)
        console.finished(result)
        if number + 1 < len(cases):
            console.started(cases[number + 1], number + 1, len(cases))
    duration = time.monotonic() - started
    for result in results:
        if result.verdict.grade in SHOWN_IN_DETAIL:
            console.say("\n" + render_failure(result))
    console.say("\n" + verdict_line(results, duration, settings.fail_on))
    for line in summary_by_section(results):
        console.say(line)
    if settings.reports:
        report = build_json_report(
            results, target=target.urls, profile=settings.profile, duration=duration,
            oracles=target.oracles(), fail_on=settings.fail_on,
        )  # fmt: skip
        for kind, path in write_reports(report, settings.reports).items():
            console.say(f"{kind} report: {path}")
    return EXIT_OK if is_conformant(counts(results), settings.fail_on) else EXIT_NONCONFORMANT


def run_all(cases: list[Case], target: Target, profile: str, workers: int) -> Iterator[Result]:
    """Results in case order; with workers > 1, cases run concurrently (each case's own requests
    stay in order, and probes that need a fresh connection open one)."""
    if workers == 1:
        for case in cases:
            yield run_case(case, target, profile=profile)
        return
    target.resource("main")  # learn once, before the threads race to it
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(lambda case: run_case(case, target, profile=profile), cases)


def verdict_line(results: Sequence[Result], duration: float, fail_on: str = "fail") -> str:
    tally = counts(results)
    line = " · ".join(f"{n} {grade}" for grade, n in tally.items() if n)
    verdict = "conformant" if is_conformant(tally, fail_on) else "NOT conformant"
    return f"{verdict}: {line} in {duration:.2f} s"
