"""What the bundled suite says about a plain `flask.send_file(path, conditional=True)` app.

A real peer, not a mutant: Werkzeug's own range handling (`Response.make_conditional`), measured
against the installed version. The exact sets of failing and warning cases are pinned, so a
grading change that flips one of them shows up here as a set diff (and the README list that quotes
these sets must be updated with it).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest

from conformance.model import Grade, Result
from conformance.report.text import render_failure
from examples.flask_send_file_app import create_app as send_file_app

SuiteRunner = Callable[..., dict[str, Result]]

WERKZEUG = tuple(int(part) for part in version("werkzeug").split(".")[:3] if part.isdigit())
# Werkzeug 3.1.9 answers bytes=-0 with 416 (PEERS.md); 3.1.8 answered 206 with the whole file.
MINUS_ZERO_IS_206 = WERKZEUG < (3, 1, 9)

# Measured with Werkzeug 3.1.8 and 3.1.9, profile rfc.
SEND_FILE_FAILS = {
    "SYN-31", "SYN-32", "SYN-33",  # an unknown range unit answered 416
    "IFR-03", "IFR-04", "IFR-05",  # a weak entity-tag satisfies If-Range
    "IFR-08",  # a date later than Last-Modified satisfies If-Range
    "PRE-01", "PRE-02", "PRE-03", "PRE-05", "PRE-18", "HDR-09",  # If-None-Match + Range → 206
    "PRE-11", "PRE-12", "PRE-14", "PRE-19",  # a failed If-Match + Range → 206
    "PRE-15",  # a failed If-Unmodified-Since + Range → 206
    "BAS-05",  # make_conditional sets Date and the dev server adds a second one
} | ({"SGL-18"} if MINUS_ZERO_IS_206 else set())  # fmt: skip
SEND_FILE_WARNS = {
    "SGL-12", "SGL-22",  # a suffix longer than the file answered 416
    "SYN-03", "SYN-04", "SYN-05",  # any multi-range answered 416
    "MUL-01", "MUL-02", "MUL-03", "MUL-04", "MUL-05", "MUL-06", "MUL-07", "MUL-08", "MUL-10",
    "MUL-12", "MUL-14", "MUL-16", "MUL-17", "MUL-20", "IFR-14", "HDR-07", "HDR-08", "ENC-07",
    "SYN-10", "SYN-11", "SYN-12",  # empty list elements answered 416
    "MTH-01", "MTH-02", "MTH-03",  # HEAD + Range answered 206/416 instead of 200
    "PRE-06", "PRE-21",  # If-Modified-Since not modified + Range → 206 instead of 304
}  # fmt: skip


@pytest.fixture(scope="module")
def send_file_results(run_suite_against: SuiteRunner, fixtures_dir: Path) -> dict[str, Result]:
    return run_suite_against(send_file_app(fixtures_dir), profile="rfc")


def _ids(results: dict[str, Result], grade: Grade) -> set[str]:
    return {case_id for case_id, result in results.items() if result.verdict.grade is grade}


@pytest.mark.skipif(not MINUS_ZERO_IS_206, reason="Werkzeug >= 3.1.9 answers bytes=-0 with 416")
def test_minus_zero_answered_206_fails(send_file_results: dict[str, Result]) -> None:
    result = send_file_results["SGL-18"]
    assert result.exchange is not None
    assert result.exchange.status == 206, render_failure(result)
    assert result.verdict.grade is Grade.FAIL
    assert any(f.check == "status" and f.grade is Grade.FAIL for f in result.verdict.findings)


def test_unknown_unit_answered_416_fails(send_file_results: dict[str, Result]) -> None:
    result = send_file_results["SYN-31"]
    assert result.exchange is not None
    assert result.exchange.status == 416, render_failure(result)
    assert result.verdict.grade is Grade.FAIL
    assert any(f.check == "branch" and f.grade is Grade.FAIL for f in result.verdict.findings)


def test_send_file_fails_exactly_the_measured_cases(send_file_results: dict[str, Result]) -> None:
    assert _ids(send_file_results, Grade.FAIL) == SEND_FILE_FAILS


def test_send_file_warns_exactly_the_measured_cases(send_file_results: dict[str, Result]) -> None:
    assert _ids(send_file_results, Grade.WARN) == SEND_FILE_WARNS


def test_send_file_run_has_no_errors(send_file_results: dict[str, Result]) -> None:
    errors = _ids(send_file_results, Grade.ERROR)
    assert errors == set(), "\n\n".join(render_failure(send_file_results[i]) for i in errors)
