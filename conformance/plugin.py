"""The pytest11 entry point: `pytest --target URL` runs the range cases as test items.

Inert unless asked: only `*.range.yaml` files are collected, and items skip without a target.
Heavy modules (loader, requests) are imported inside the hooks that need them. State lives in
`config.stash`, never in module globals.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.model import CASE_SUFFIX, Case, Grade, Result, cite, short_cite

if TYPE_CHECKING:
    from conformance.engine.target import Target
    from conformance.options import Settings


class _State:
    """One run's settings, target and results, kept in the stash."""

    def __init__(self, settings: Settings, stack: contextlib.ExitStack, worker: bool) -> None:
        self.settings = settings
        self.target: Target | None = None
        self.records: list[dict[str, Any]] = []  # one per case, from this process or xdist's
        self.started = time.monotonic()
        self.stack = stack  # closes the client and any in-process app server
        self.worker = worker  # an xdist worker: items arrive one by one, nothing to prefetch
        self.ahead: _Ahead | None = None

    def get_target(self) -> Target:
        if self.target is None:
            from conformance.engine.target import Target
            from conformance.transport.client import Client

            client = self.stack.enter_context(Client(self.settings.client))
            self.target = Target(
                self.settings.urls, client, self.settings.oracle_files, self.settings.oracle_mode
            )
            self.stack.callback(self.target.close)
        return self.target

    def result(self, item: CaseItem) -> Result:
        """This item's result: run ahead for every selected case at once, unless run alone."""
        from conformance.engine.runner import run_case

        if self.worker or self.settings.workers == 1:
            return run_case(item.case, self.get_target(), profile=self.settings.profile)
        if self.ahead is None:
            cases = [i.case for i in item.session.items if isinstance(i, CaseItem)]
            self.ahead = _Ahead(cases, self.get_target(), self.settings)
            self.stack.callback(self.ahead.stop)
        return self.ahead.result(item.case)

    def close(self) -> None:
        self.stack.close()


class _Ahead:
    """Runs the selected cases in the background, concurrently as the CLI does (same order,
    same phases), while pytest reports them one item at a time."""

    def __init__(self, cases: list[Case], target: Target, settings: Settings) -> None:
        self._cases = cases
        self._target = target
        self._settings = settings
        self._done: dict[int, Result] = {}
        self._ready = threading.Condition()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="range-cases", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from conformance.engine.runner import run_cases

        results = run_cases(
            self._cases, self._target, profile=self._settings.profile,
            workers=self._settings.workers,
        )  # fmt: skip
        try:
            for case, result in zip(self._cases, results, strict=False):
                with self._ready:
                    self._done[id(case)] = result
                    self._ready.notify_all()
                if self._stopping.is_set():
                    break
        finally:
            results.close()

    def result(self, case: Case) -> Result:
        from conformance.engine.runner import run_case

        with self._ready:
            while id(case) not in self._done and self._thread.is_alive():
                self._ready.wait(0.5)
            found = self._done.get(id(case))
        if found is None:  # not among the cases run ahead (a rerun, or the run stopped)
            return run_case(case, self._target, profile=self._settings.profile)
        return found

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    from conformance.options import add_plugin_options

    group = parser.getgroup("range-conformance", "HTTP range request conformance (RFC 9110)")
    add_plugin_options(group, parser.addini)


def _values(config: pytest.Config) -> dict[str, Any]:
    """Option values by name: command line first, then the ini twin."""
    from conformance.options import OPTIONS

    values: dict[str, Any] = {}
    for option in OPTIONS:
        if "plugin" not in option.fronts:
            continue
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
    from conformance.engine.target import check_oracle_files, check_url
    from conformance.errors import TargetError
    from conformance.options import resolve

    stack = contextlib.ExitStack()
    try:
        settings = resolve(values, str(target) if target else None)
        if settings.target_app:  # from the command line, the ini file or the target file
            from conformance.target_app import serve_target_app

            settings = serve_target_app(settings, stack)
        if "main" not in settings.urls:
            raise TargetError("no target URL: pass --target URL")
        for url in settings.urls.values():
            check_url(url)
        check_oracle_files(settings.oracle_files)  # once, as a usage error, not per case
    except TargetError as error:
        stack.close()
        raise pytest.UsageError(str(error)) from None
    state = _State(settings, stack, worker=hasattr(config, "workerinput"))
    config.stash[STATE] = state
    config.pluginmanager.register(_Records(state), "range-conformance-records")
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        from conformance.casefile.loader import bundled_cases_dir

        config.args = [str(bundled_cases_dir())]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Check the target once before any case (in xdist's controller, not in each worker)."""
    state = session.config.stash.get(STATE, None)
    if state is None or state.worker:
        return
    from conformance.engine.preflight import preflight

    problem = preflight(state.get_target())
    if problem is not None:
        raise pytest.UsageError(f"range-conformance: {problem}")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        state.close()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--range-id/tag/level/section and the profile's own case list deselect other cases."""
    state = config.stash.get(STATE, None)
    if state is None:
        return
    from conformance.casefile.selection import select

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
    # Cases that must run alone go last, as in the CLI; with xdist's --dist loadgroup, on
    # one worker, one after the other.
    alone: list[pytest.Item] = [
        i for i in selected if isinstance(i, CaseItem) and i.case.runs_alone
    ]
    for item in alone:
        item.add_marker(pytest.mark.xdist_group("range-conformance-alone"))
    items[:] = [i for i in selected if i not in alone] + alone


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
        from conformance.casefile.loader import load_case_file
        from conformance.errors import CaseFileError

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
        self.record: dict[str, Any] | None = None  # the case's JSON report record, once run
        self.user_properties.append(("level", case.level.value))
        self.user_properties.append(("rfc", cite(case.rfc)))

    def runtest(self) -> None:
        from conformance.errors import OutsideMediaQuestion, ShouldViolation
        from conformance.report.json_report import result_record

        state = self.config.stash.get(STATE, None)
        if state is None:
            pytest.skip("pass --target URL to run range cases")
        result = state.result(self)
        self.record = result_record(result)
        grade = result.verdict.grade
        self.user_properties.append(("outcome", grade.value))
        if result.verdict.branch:
            self.user_properties.append(("branch", result.verdict.branch))
        if grade is Grade.SKIP:
            pytest.skip(result.verdict.summary)
        if grade in (Grade.FAIL, Grade.ERROR) and not result.decides:
            # Media profile: graded by RFC 9110 and shown, but not what this run asks.
            self.warn(
                OutsideMediaQuestion(
                    f"{self.case.id} {grade.value.upper()} (outside the media question): "
                    f"{result.verdict.summary}"
                )
            )
            return
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
            from conformance.report.text import render_failure

            return render_failure(excinfo.value.result)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.case.id} [{self.case.level.value}]"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Carry the case's record on its report: xdist sends it from the worker to the
    controller, where the run's reports are written."""
    report = yield
    if isinstance(item, CaseItem) and call.when == "call" and item.record is not None:
        report.range_record = item.record
    return report


class _Records:
    """Collects each case's record from the reports, wherever the item ran."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "range_record", None)
        if record is not None and report.when == "call":
            self.state.records.append(record)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or not state.records or state.worker:
        return
    from conformance.report.json_report import assemble_report
    from conformance.report.verdict import counts_line
    from conformance.report.writers import write_reports

    records = sorted(state.records, key=lambda r: (r["file"], r["line"]))
    settings = state.settings
    target = state.target
    traffic = (target.client.traffic.requests, target.client.traffic.octets) if target else None
    report = assemble_report(
        records, target=settings.urls, profile=settings.profile,
        duration=time.monotonic() - state.started,
        oracles=target.oracles() if target else None, fail_on=settings.fail_on,
        traffic=None if state.ahead is None and _distributed(config) else traffic,
        stopped=target.stopped if target else None,
    )  # fmt: skip
    verdict = report["verdict"]
    line = counts_line(verdict["counts"])
    terminalreporter.write_line(
        f"range-conformance ({settings.profile}): {verdict['headline']}: {line}"
    )
    if settings.reports:
        for kind, path in write_reports(report, settings.reports).items():
            terminalreporter.write_line(f"range-conformance: {kind} report written to {path}")


def _distributed(config: pytest.Config) -> bool:
    """Whether xdist ran the items in other processes (their traffic is not counted here)."""
    return bool(getattr(config.option, "numprocesses", None)) or bool(
        getattr(config.option, "dist", "no") not in ("no", None)
    )
