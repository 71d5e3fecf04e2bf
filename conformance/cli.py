"""`range-conformance [URL]`: run the cases against a URL, or against the bundled reference server.

Calls the engine directly (load → run → report), never pytest. Exit codes: 0 conformant, 1 a case
failed or errored, 2 bad case files or usage.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .client import Client, ClientSettings
from .errors import CaseFileError, TargetError
from .loader import bundled_cases_dir, load_cases
from .model import PROFILES, Grade, Result
from .render import render_failure
from .reports import build_json_report, counts, write_json
from .runner import run_case
from .selection import SelectionError, select
from .target import ROLES, Target

EXIT_OK, EXIT_NONCONFORMANT, EXIT_USAGE = 0, 1, 2
SHOWN_IN_DETAIL = (Grade.FAIL, Grade.ERROR, Grade.WARN)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="range-conformance",
        description="Check how a URL handles HTTP range requests against RFC 9110. "
        "With no URL, checks the bundled reference server.",
    )
    parser.add_argument("url", nargs="?", help="resource to check (at least 1000 octets)")
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="rfc",
        help="rfc: RFC 9110 as written (default); strict: SHOULD fails too; "
        "media: what browsers and players need to seek",
    )
    parser.add_argument(
        "-k",
        dest="keyword",
        metavar="EXPR",
        help="only cases matching EXPR (words in id/title/group/tags; and/or/not)",
    )
    parser.add_argument(
        "--level",
        action="append",
        default=[],
        choices=["MUST", "SHOULD", "MAY"],
        help="only cases of this requirement level (repeatable)",
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
        "--resource",
        action="append",
        default=[],
        metavar="ROLE=URL",
        help=f"URL for another resource role ({', '.join(ROLES[1:])})",
    )
    parser.add_argument(
        "--oracle-file",
        action="append",
        default=[],
        metavar="[ROLE=]PATH",
        help="local copy of a resource's bytes to compare against",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the JSON report here")
    parser.add_argument("--timeout", type=float, default=10.0, help="read timeout in seconds")
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header for every request (repeatable)",
    )
    parser.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    parser.add_argument("--list", action="store_true", help="list the selected cases and exit")
    parser.add_argument("-q", "--quiet", action="store_true", help="only failures and the summary")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    stream = out or sys.stdout
    args = build_parser().parse_args(argv)
    try:
        cases = load_cases(args.cases or [bundled_cases_dir()])
        cases = select(cases, keyword=args.keyword, levels=args.level)
    except CaseFileError as error:
        print("\n".join(error.problems), file=sys.stderr)
        print(f"range-conformance: {len(error.problems)} problem(s) in case files", file=sys.stderr)
        return EXIT_USAGE
    except SelectionError as error:
        print(f"range-conformance: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.list:
        for case in cases:
            print(f"{case.id:8} {case.level.value:6} §{case.rfc:10} {case.title}", file=stream)
        return EXIT_OK
    try:
        settings = ClientSettings(
            read_timeout=args.timeout,
            verify=not args.insecure,
            extra_headers=tuple(_header(text) for text in args.header),
        )
        with _target(args, settings) as target:
            return _run(cases, target, args, stream)
    except TargetError as error:
        print(f"range-conformance: {error}", file=sys.stderr)
        return EXIT_USAGE


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip():
        raise TargetError(f"-H {text!r}: write headers as 'Name: value'")
    return name.strip(), value.strip()


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        role, equals, value = item.partition("=")
        if not equals:
            role, value = "main", item
        pairs[role] = value
    return pairs


@contextlib.contextmanager
def _target(args: argparse.Namespace, settings: ClientSettings) -> Iterator[Target]:
    """The user's URL, or the bundled reference server started in-process for this run."""
    client = Client(settings)
    oracle = {role: Path(path) for role, path in _pairs(args.oracle_file, "--oracle-file").items()}
    with client, contextlib.ExitStack() as stack:
        if args.url:
            urls = {"main": args.url, **_pairs(args.resource, "--resource")}
        else:
            # The CLI's one dependency on the server: the embedded default target.
            from reference_server import serve_bundled

            server = stack.enter_context(serve_bundled())
            urls = dict(server.urls)
            oracle = {**server.files, **oracle}
        yield Target(urls, client, oracle)


def _run(cases: list, target: Target, args: argparse.Namespace, stream: TextIO) -> int:  # type: ignore[type-arg]
    started = time.monotonic()
    where = target.urls["main"] + ("" if args.url else "  (bundled reference server)")
    print(
        f"range-conformance {__version__}: {len(cases)} cases, profile {args.profile}, "
        f"target {where}",
        file=stream,
    )
    results: list[Result] = []
    for case in cases:
        result = run_case(case, target, profile=args.profile)
        results.append(result)
        if not args.quiet or result.verdict.grade in SHOWN_IN_DETAIL:
            print(_line(result), file=stream)
    duration = time.monotonic() - started
    details = [r for r in results if r.verdict.grade in SHOWN_IN_DETAIL]
    for result in details:
        print("\n" + render_failure(result), file=stream)
    print("\n" + summary(results, duration), file=stream)
    if args.json:
        report = build_json_report(
            results, target=target.urls, profile=args.profile, duration=duration
        )
        write_json(report, args.json)
        print(f"JSON report: {args.json}", file=stream)
    bad = any(r.verdict.grade in (Grade.FAIL, Grade.ERROR) for r in results)
    return EXIT_NONCONFORMANT if bad else EXIT_OK


def _line(result: Result) -> str:
    verdict = result.verdict
    grade, case = verdict.grade.value.upper(), result.case
    return f"{grade:5} {case.id:8} {case.title}  [{verdict.summary}]"


def summary(results: Sequence[Result], duration: float) -> str:
    """Counts, then which legal branches the server took where the RFC allows a choice."""
    tally = counts(results)
    line = " · ".join(f"{n} {grade}" for grade, n in tally.items() if n)
    verdict = "conformant" if not (tally["fail"] or tally["error"]) else "NOT conformant"
    lines = [f"{verdict}: {line} in {duration:.2f} s"]
    branches: dict[str, int] = {}
    for result in results:
        if result.verdict.branch and len(result.case.expectations) > 1:
            branches[result.verdict.branch] = branches.get(result.verdict.branch, 0) + 1
    if branches:
        taken = ", ".join(f"{name} ×{n}" for name, n in sorted(branches.items()))
        lines.append(f"branches taken: {taken}")
    return "\n".join(lines)
