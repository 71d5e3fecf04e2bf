"""The pytest11 entry point: `pytest --target URL` runs the range cases as test items.

Inert unless asked: only `*.range.yaml` files are collected, and items skip without a target.
Heavy modules (loader, requests) are imported inside the hooks that need them. State lives in
`config.stash`, never in module globals.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .model import Case, Grade, Result, cite, short_cite

if TYPE_CHECKING:
    from .target import Target

CASE_SUFFIX = ".range.yaml"


class _State:
    """One run's target and results, kept in the stash."""

    def __init__(self, urls: dict[str, str], profile: str, timeout: float) -> None:
        self.urls = urls
        self.profile = profile
        self.timeout = timeout
        self.target: Target | None = None
        self.results: list[Result] = []
        self.started = time.monotonic()

    def get_target(self) -> Target:
        if self.target is None:
            from .client import Client, ClientSettings
            from .target import Target

            client = Client(ClientSettings(read_timeout=self.timeout))
            self.target = Target(self.urls, client)
        return self.target

    def close(self) -> None:
        if self.target is not None:
            self.target.client.close()


STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("range-conformance", "HTTP range request conformance (RFC 9110)")
    group.addoption(
        "--target",
        dest="range_target",
        metavar="URL",
        help="resource to check; with no paths, runs the bundled cases",
    )
    group.addoption(
        "--range-profile",
        dest="range_profile",
        choices=["rfc", "strict", "media"],
        help="grading profile (default rfc)",
    )
    group.addoption(
        "--range-resource",
        dest="range_resources",
        action="append",
        default=[],
        metavar="ROLE=URL",
        help="URL for another resource role (repeatable)",
    )
    group.addoption(
        "--range-timeout",
        dest="range_timeout",
        type=float,
        metavar="SECONDS",
        help="read timeout per request (default 10)",
    )
    group.addoption(
        "--range-report-json",
        dest="range_report_json",
        metavar="PATH",
        help="write the JSON report here",
    )
    parser.addini("range_target", "default for --target")
    parser.addini("range_profile", "default for --range-profile")
    parser.addini("range_timeout", "default for --range-timeout")


def _option(config: pytest.Config, name: str, default: str) -> str:
    """CLI beats ini beats default."""
    value = config.getoption(name)
    if value is None:
        value = config.getini(name) or default
    return str(value)


def pytest_configure(config: pytest.Config) -> None:
    for level in ("must", "should", "may"):
        config.addinivalue_line(
            "markers", f"{level}: range case of requirement level {level.upper()}"
        )
    target = config.getoption("range_target") or config.getini("range_target")
    if not target:
        return
    urls = {"main": str(target)}
    for item in config.getoption("range_resources"):
        role, equals, url = str(item).partition("=")
        if not equals:
            raise pytest.UsageError(f"--range-resource {item!r}: write ROLE=URL")
        urls[role] = url
    from .errors import TargetError
    from .target import check_url

    try:
        for url in urls.values():
            check_url(url)
    except TargetError as error:
        raise pytest.UsageError(str(error)) from None
    timeout = float(_option(config, "range_timeout", "10"))
    config.stash[STATE] = _State(urls, _option(config, "range_profile", "rfc"), timeout)
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        from .loader import bundled_cases_dir

        config.args = [str(bundled_cases_dir())]


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        state.close()


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(STATE, None)
    if state is None:
        return None
    return f"range-conformance: target={state.urls['main']}, profile={state.profile}"


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> CaseFile | None:
    if file_path.name.endswith(CASE_SUFFIX):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    """One `*.range.yaml`: schema-checked at collection, one item per case."""

    def collect(self) -> Iterator[CaseItem]:
        from .errors import CaseFileError
        from .loader import load_case_file

        try:
            cases = load_case_file(self.path)
        except CaseFileError as error:
            raise self.CollectError(str(error)) from None
        for case in cases:
            item = CaseItem.from_parent(self, name=case.id, case=case)
            for name in (case.level.value.lower(), case.group.lower(), *case.tags):
                if name not in ("must", "should", "may"):
                    self.config.addinivalue_line("markers", f"{name}: range cases tagged {name}")
                item.add_marker(name)
            yield item


class ConformanceFailure(Exception):
    """Raised by an item whose case failed or errored; carries the result to render."""

    def __init__(self, result: Result) -> None:
        self.result = result
        super().__init__(result.verdict.summary)


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.user_properties.append(("level", case.level.value))
        self.user_properties.append(("rfc", cite(case.rfc)))

    def runtest(self) -> None:
        from .errors import ShouldViolation
        from .runner import run_case

        state = self.config.stash.get(STATE, None)
        if state is None:
            pytest.skip("pass --target URL to run range cases")
        result = run_case(self.case, state.get_target(), profile=state.profile)
        state.results.append(result)
        grade = result.verdict.grade
        self.user_properties.append(("outcome", grade.value))
        if result.verdict.branch:
            self.user_properties.append(("branch", result.verdict.branch))
        if grade is Grade.SKIP:
            pytest.skip(result.verdict.summary)
        if grade in (Grade.FAIL, Grade.ERROR):
            raise ConformanceFailure(result)
        if grade is Grade.WARN:
            detail = "; ".join(
                f"{f.check}: {f.message} [{f.level.value if f.level else ''} "
                f"{short_cite(f.rfc or '')}]"
                for f in result.verdict.findings
                if f.grade is Grade.WARN
            )
            self.warn(ShouldViolation(f"{self.case.id}: {detail}"))

    def repr_failure(
        self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None
    ) -> str | Any:
        if isinstance(excinfo.value, ConformanceFailure):
            from .render import render_failure

            return render_failure(excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.case.id} [{self.case.level.value}]"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or not state.results:
        return
    from .reports import build_json_report, counts, write_json

    tally = counts(state.results)
    line = " · ".join(f"{n} {grade}" for grade, n in tally.items() if n)
    terminalreporter.write_line(f"range-conformance ({state.profile}): {line}")
    path = config.getoption("range_report_json")
    if path:
        report = build_json_report(
            state.results,
            target=state.urls,
            profile=state.profile,
            duration=time.monotonic() - state.started,
        )
        write_json(report, Path(path))
        terminalreporter.write_line(f"range-conformance: JSON report written to {path}")
