"""The pytest plugin, end to end through pytester against a live reference server."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import jsonschema
import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from tests.helpers.targets import role_urls

pytest_plugins = ["pytester"]

WRONG = """\
group: TST
title: deliberately wrong expectation
cases:
  - id: TST-01
    title: expects 416 for a satisfiable range
    rfc: "14.1.2"
    level: MUST
    request: {range: [{first: 0, last: 9}]}
    outcomes: [{branch: unsatisfiable, status: 416, unsatisfied: true}]
"""

WARNS = """\
group: TST
title: a tolerated branch
cases:
  - id: TST-02
    title: 206 is only tolerated here
    rfc: "14.2"
    level: SHOULD
    request: {range: [{first: 0, last: 9}]}
    outcomes:
      - branch: partial
        status: 206
        partial: [{first: 0, last: 9}]
        grade: warn
        level: SHOULD
        note: tolerated
"""


@pytest.fixture
def main_url(reference_base_url: str) -> str:
    return role_urls(reference_base_url)["main"]


def resource_args(base_url: str) -> list[str]:
    args = []
    for role, url in role_urls(base_url).items():
        if role != "main":
            args += ["--range-resource", f"{role}={url}"]
    return args


def test_target_alone_runs_every_bundled_case(
    pytester: pytest.Pytester, reference_base_url: str
) -> None:
    cases = [case for case in load_cases([bundled_cases_dir()]) if "rfc" in case.profiles]
    through_cache = sum(1 for case in cases if case.resource == "cache")  # no cache role here
    urls = role_urls(reference_base_url)
    result = pytester.runpytest("--target", urls["main"], *resource_args(reference_base_url))
    result.assert_outcomes(passed=len(cases) - through_cache, skipped=through_cache)
    result.stdout.fnmatch_lines(
        [f"range-conformance: target={urls['main']}*", "*range-conformance (rfc): *pass*"]
    )


def test_without_target_items_are_skipped(pytester: pytest.Pytester) -> None:
    (pytester.path / "w.range.yaml").write_text(WRONG)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*pass --target URL*"])


def test_failure_shows_table_and_curl(pytester: pytest.Pytester, main_url: str) -> None:
    (pytester.path / "w.range.yaml").write_text(WRONG)
    result = pytester.runpytest("--target", main_url, "w.range.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*w.range.yaml:4: TST-01 expects 416*MUST*",
            "*FAIL*status*got 206*",
            "*curl -sS --http1.1*Range: bytes=0-9*",
        ]
    )


def test_schema_error_is_a_collection_error_with_file_and_line(
    pytester: pytest.Pytester, main_url: str
) -> None:
    (pytester.path / "bad.range.yaml").write_text(WRONG.replace("status: 416", "status: many"))
    result = pytester.runpytest("--target", main_url, "bad.range.yaml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    expected = "bad.range.yaml:9: $.cases[0].outcomes[0].status: 'many' is not of type 'integer'"
    assert expected in result.stdout.str()
    result.stdout.no_fnmatch_line("*Traceback*")


def test_should_violation_is_a_warning_at_the_case_line(
    pytester: pytest.Pytester, main_url: str
) -> None:
    (pytester.path / "warn.range.yaml").write_text(WARNS)
    # the outer run's filterwarnings=error would leak into the in-process run; undo it
    result = pytester.runpytest(
        "--target", main_url, "warn.range.yaml", "-W", "always::conformance.errors.ShouldViolation"
    )
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*warn.range.yaml:4: ShouldViolation: TST-02: branch: tolerated*"])


def test_other_yaml_files_are_not_collected(pytester: pytest.Pytester) -> None:
    (pytester.path / "foo.yaml").write_text("cases: nonsense")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_selection_by_keyword_and_level_marker(pytester: pytest.Pytester, main_url: str) -> None:
    result = pytester.runpytest("--target", main_url, "-k", "SGL-0 and not SGL-05", "-m", "must")
    result.assert_outcomes(passed=8)


def test_json_report_matches_its_schema(pytester: pytest.Pytester, main_url: str) -> None:
    report = pytester.path / "out" / "report.json"
    result = pytester.runpytest("--target", main_url, "-k", "BAS", "--range-json", str(report))
    result.assert_outcomes(passed=5)
    data = json.loads(report.read_text())
    jsonschema.validate(data, json.loads(_schema_text()))
    assert data["counts"]["pass"] == 5


def _schema_text() -> str:
    from importlib import resources

    return resources.files("conformance.report").joinpath("report.schema.json").read_text()


def test_json_report_counts_the_traffic(pytester: pytest.Pytester, main_url: str) -> None:
    report = pytester.path / "report.json"
    result = pytester.runpytest("--target", main_url, "-k", "SGL", "--range-json", str(report))
    assert result.ret == 0
    traffic = json.loads(report.read_text())["traffic"]
    assert traffic["requests"] > 20
    assert 30 * 200 < traffic["octets_read"] < 1024 * 1024


def outcomes_of(report: Path) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in json.loads(report.read_text())["results"]}


def test_xdist_spreads_the_cases_with_the_same_verdicts(
    pytester: pytest.Pytester, reference_base_url: str
) -> None:
    """`pytest -n 2` (pytest-xdist): workers run the items, the controller writes the report;
    every case comes out as in a run without xdist, and the report holds them all."""
    main = role_urls(reference_base_url)["main"]
    common = ["--target", main, *resource_args(reference_base_url), "-p", "no:benchmark"]
    alone, spread = pytester.path / "alone.json", pytester.path / "spread.json"
    one = pytester.runpytest_subprocess(*common, "--range-json", str(alone))
    two = pytester.runpytest_subprocess(*common, "-n", "2", "--range-json", str(spread))
    assert one.ret == two.ret == 0
    two.stdout.fnmatch_lines(["*2 workers*", "*range-conformance (rfc): *pass*"])
    assert outcomes_of(spread) == outcomes_of(alone)
    assert len(outcomes_of(spread)) > 180
    jsonschema.validate(json.loads(spread.read_text()), json.loads(_schema_text()))


def test_an_unreachable_target_is_one_usage_error_before_any_item(
    pytester: pytest.Pytester,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    result = pytester.runpytest("--target", f"http://127.0.0.1:{port}/v.mp4")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: range-conformance: cannot reach http://127.0.0.1:{port}/v.mp4: connection "
            "refused. Is the server running? No case was run."
        ]
    )
    assert "passed" not in result.stdout.str()
    assert "failed" not in result.stdout.str()


def test_bad_target_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--target", "ftp://example/x")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*not an http:// or https:// URL*"])


def test_target_app_serves_a_wsgi_app_in_process(pytester: pytest.Pytester, fixtures_dir) -> None:
    pytester.makepyfile(
        myapp=f"""
        from pathlib import Path
        from reference_server import create_app
        app = create_app(Path({str(fixtures_dir)!r}))
    """
    )
    pytester.syspathinsert()
    result = pytester.runpytest(
        "--target-app",
        "myapp:app",
        "--target",
        "/files/r1000.bin",
        "--range-id",
        "SGL-0*",
        "--range-id",
        "BAS-04",
    )
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["range-conformance: target=http://127.0.0.1:*/files/r1000.bin*"])


def test_target_app_from_a_target_file(pytester: pytest.Pytester, fixtures_dir) -> None:
    """The target file's `target_app` counts as much in the plugin as in the CLI."""
    pytester.makepyfile(
        fileapp=f"""
        from pathlib import Path
        from reference_server import create_app
        app = create_app(Path({str(fixtures_dir)!r}))
    """
    )
    pytester.syspathinsert()
    (pytester.path / "targets.yaml").write_text("target_app: fileapp:app\nurl: /files/r1000.bin\n")
    result = pytester.runpytest("--range-targets", "targets.yaml", "--range-id", "SGL-01")
    result.assert_outcomes(passed=1)


def test_a_missing_oracle_file_is_one_usage_error(pytester: pytest.Pytester, main_url: str) -> None:
    result = pytester.runpytest("--target", main_url, "--range-oracle-file", "no-such.bin")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--oracle-file no-such.bin (for main) is not a readable file*"])


def test_options_have_ini_twins(pytester: pytest.Pytester, main_url: str) -> None:
    pytester.makeini(f"""
        [pytest]
        range_target = {main_url}
        range_section = 14.1.2
        range_level = MUST
        range_profile = strict
    """)
    result = pytester.runpytest("-k", "SGL-0")
    result.assert_outcomes(passed=8)  # SGL-01..09 but SGL-04, which cites §14.2
    result.stdout.fnmatch_lines(["*profile=strict*"])


def test_target_app_that_cannot_be_imported_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--target-app", "no_such_module_here:app")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*cannot import no_such_module_here*"])
