"""The pytest11 entry point: `pytest --target URL` runs the range cases as test items.

Inert unless asked: only `*.range.yaml` files are collected, and items skip without a target.
Heavy modules (loader, requests) are imported inside the hooks that need them. State lives in
`config.stash`, never in module globals.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .model import Case, Grade, Result, cite, short_cite

if TYPE_CHECKING:
    from .options import Settings
    from .target import Target

CASE_SUFFIX = ".range.yaml"


class _State:
    """One run's settings, target and results, kept in the stash."""

    def __init__(self, settings: Settings, stack: contextlib.ExitStack) -> None:
        self.settings = settings
        self.target: Target | None = None
        self.results: list[Result] = []
        self.started = time.monotonic()
        self.stack = stack  # closes the client and any in-process app server

    def get_target(self) -> Target:
        if self.target is None:
            from .client import Client
            from .target import Target

            client = self.stack.enter_context(Client(self.settings.client))
            self.target = Target(
                self.settings.urls, client, self.settings.oracle_files, self.settings.oracle_mode
            )
            self.stack.callback(self.target.close)
        return self.target

    def close(self) -> None:
        self.stack.close()


STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    from .options import add_plugin_options

    group = parser.getgroup("range-conformance", "HTTP range request conformance (RFC 9110)")
    group.addoption(
        "--target",
        dest="range_target",
        metavar="URL|/PATH",
        help="resource to check (a path with --target-app); with no paths given, "
        "runs the bundled cases",
    )
    parser.addini("range_target", "default for --target")
    add_plugin_options(group, parser.addini)


def _values(config: pytest.Config) -> dict[str, Any]:
    """Option values by name: command line first, then the ini twin."""
    from .options import OPTIONS

    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = config.getoption("range_" + option.name)
        if value in (None, []):
            ini = config.getini(option.ini)
            value = ini if ini not in ("", [], False) else None
        values[option.name] = value
    return values


def pytest_configure(config: pytest.Config) -> None:
    for level in ("must", "should", "may"):
        config.addinivalue_line(
            "markers", f"{level}: range case of requirement level {level.upper()}"
        )
    target = config.getoption("range_target") or config.getini("range_target") or None
    values = _values(config)
    if not target and not values.get("target_app") and not values.get("targets"):
        return
    from .errors import TargetError
    from .options import resolve
    from .target import check_oracle_files, check_url

    stack = contextlib.ExitStack()
    try:
        settings = resolve(values, str(target) if target else None)
        if settings.target_app:  # from the command line, the ini file or the target file
            from .app_server import serve_target_app

            settings = serve_target_app(settings, stack)
        if "main" not in settings.urls:
            raise TargetError("no target URL: pass --target URL")
        for url in settings.urls.values():
            check_url(url)
        check_oracle_files(settings.oracle_files)  # once, as a usage error, not per case
    except TargetError as error:
        stack.close()
        raise pytest.UsageError(str(error)) from None
    config.stash[STATE] = _State(settings, stack)
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        from .loader import bundled_cases_dir

        config.args = [str(bundled_cases_dir())]


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        state.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--range-id/tag/level/section and the profile's own case list deselect other cases."""
    state = config.stash.get(STATE, None)
    if state is None:
        return
    from .selection import select

    settings = state.settings
    cases = [item.case for item in items if isinstance(item, CaseItem)]
    kept = {
        id(case)
        for case in select(cases, levels=settings.levels, ids=settings.ids, tags=settings.tags,
                           sections=settings.sections, profile=settings.profile)
    }  # fmt: skip
    selected = [i for i in items if not isinstance(i, CaseItem) or id(i.case) in kept]
    deselected = [i for i in items if isinstance(i, CaseItem) and id(i.case) not in kept]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(STATE, None)
    if state is None:
        return None
    settings = state.settings
    return f"range-conformance: target={settings.urls['main']}, profile={settings.profile}"


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
        result = run_case(self.case, state.get_target(), profile=state.settings.profile)
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
    from .reports import build_json_report, counts, write_reports

    tally = counts(state.results)
    line = " · ".join(f"{n} {grade}" for grade, n in tally.items() if n)
    settings = state.settings
    terminalreporter.write_line(f"range-conformance ({settings.profile}): {line}")
    if settings.reports:
        report = build_json_report(
            state.results,
            target=settings.urls,
            profile=settings.profile,
            duration=time.monotonic() - state.started,
            oracles=state.target.oracles() if state.target else None,
            fail_on=settings.fail_on,
        )
        for kind, path in write_reports(report, settings.reports).items():
            terminalreporter.write_line(f"range-conformance: {kind} report written to {path}")
