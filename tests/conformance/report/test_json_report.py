"""The four reports the CLI writes: JSON (against its schema), JUnit XML (parsed), Markdown and
HTML, from runs against local servers only.

One run of a small case file of our own gives every outcome once (pass, info, warn, fail, error,
skip), so each report can be checked outcome by outcome.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.casefile.loader import bundled_cases_dir
from conformance.cli import main
from conformance.report.json_report import build_json_report
from conformance.report.writers import write_reports
from tests.helpers.mixed import OUTCOME_OF, mixed_argv
from tests.helpers.rawserver import Connection, serving

BASELINE = bundled_cases_dir() / "baseline.range.yaml"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


def report_schema() -> dict[str, Any]:
    text = resources.files("conformance.report").joinpath("report.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate(report: dict[str, Any]) -> None:
    schema = report_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    cls(schema, format_checker=cls.FORMAT_CHECKER).validate(report)
    assert sum(report["counts"].values()) == len(report["results"])
    tally = Counter(record["outcome"] for record in report["results"])
    assert {k: v for k, v in report["counts"].items() if v} == dict(tally)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    directory: Path

    def path(self, kind: str) -> Path:
        ext = {"json": "json", "junit": "junit.xml", "md": "md", "html": "html"}[kind]
        return self.directory / f"range-conformance.{ext}"

    @property
    def report(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path("json").read_text("utf-8"))
        return data

    def junit(self) -> ET.Element:
        return ET.parse(self.path("junit")).getroot()


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, reference_base_url: str) -> Run:
    """One run giving every outcome once, with every report written by --report-dir."""
    tmp = tmp_path_factory.mktemp("mixed")
    directory = tmp / "reports" / "nested"  # not there yet: the writers create it
    with mixed_argv(reference_base_url, tmp) as argv:
        code, out = run(*argv, "--report-dir", str(directory))
    return Run(code, out, directory)


def records_one(mixed: Run) -> str:
    """The URL given for the role `one`, whose server went away after the preflight."""
    url: str = mixed.report["target"]["one"]
    return url


def gone(mixed: Run) -> str:
    """What TST-06 says of the `one` server that went away."""
    return f"{records_one(mixed)} closed the connection without answering"


def test_the_mixed_run_gives_every_outcome_and_exits_1(mixed: Run) -> None:
    assert mixed.code == 1
    outcomes = {record["id"]: record["outcome"] for record in mixed.report["results"]}
    assert outcomes == OUTCOME_OF


def test_report_dir_writes_all_four_and_says_where(mixed: Run) -> None:
    for kind in ("json", "junit", "md", "html"):
        assert mixed.path(kind).is_file(), kind
        assert f"{kind} report: {mixed.path(kind)}" in mixed.out
    assert sorted(p.name for p in mixed.directory.iterdir()) == [
        "range-conformance.html",
        "range-conformance.json",
        "range-conformance.junit.xml",
        "range-conformance.md",
    ]


# --- JSON ------------------------------------------------------------------------------------


def test_json_report_validates_and_counts_add_up(mixed: Run) -> None:
    report = mixed.report
    validate(report)
    assert report["counts"] == {
        "skip": 1,
        "pass": 1,
        "info": 1,
        "warn": 1,
        "fail": 1,
        "error": 1,
    }
    assert report["profile"] == "rfc"
    assert report["tool"]["name"] == "range-conformance"
    assert report["target"]["one"].endswith("/one.bin")


def test_json_records_carry_request_response_findings_and_details(mixed: Run) -> None:
    records = {record["id"]: record for record in mixed.report["results"]}
    failed = records["TST-04"]
    assert failed["level"] == "MUST"
    assert failed["rfc"] == "14.10"
    assert failed["file"].endswith("mixed.range.yaml")
    assert failed["line"] > 1
    assert failed["request"]["method"] == "GET"
    assert ["Range", "bytes=0-9"] in failed["request"]["headers"]
    assert failed["response"]["status"] == 206
    assert failed["response"]["body_octets"] == 10
    assert failed["curl"].startswith("curl ")
    assert any(f["check"] == "status" and f["grade"] == "fail" for f in failed["findings"])
    assert "which no branch of this case allows" in failed["details"]
    for case_id in ("TST-03", "TST-04", "TST-06"):  # warn, fail, error: rendered details
        assert records[case_id]["details"], case_id
    for case_id in ("TST-01", "TST-02", "TST-05"):
        assert records[case_id]["details"] is None, case_id
    assert records["TST-05"]["request"] is None  # skipped before anything was sent
    assert records["TST-06"]["response"] is None
    assert records["TST-06"]["summary"] == f"error: {gone(mixed)}"
    assert records["TST-02"]["branch"] == "partial"
    assert records["TST-01"]["measures"]["octets"] == 1000.0


def test_json_report_of_no_results_validates(tmp_path: Path) -> None:
    report = build_json_report(
        [], target={"main": "http://127.0.0.1:1/x"}, profile="media", duration=0.0
    )
    validate(report)
    assert write_reports(report, {"json": tmp_path / "a" / "r.json"}) == {
        "json": tmp_path / "a" / "r.json"
    }
    assert json.loads((tmp_path / "a" / "r.json").read_text())["counts"]["pass"] == 0


def test_a_report_missing_a_field_does_not_validate(mixed: Run) -> None:
    report = mixed.report
    del report["results"][0]["outcome"]
    with pytest.raises(jsonschema.ValidationError):
        validate(report)


# --- JUnit XML -------------------------------------------------------------------------------


def test_junit_has_one_testcase_per_case_with_matching_elements(mixed: Run) -> None:
    suite = mixed.junit()
    assert suite.tag == "testsuite"
    assert suite.get("tests") == "6"
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "1")
    cases = suite.findall("testcase")
    records = {record["id"]: record for record in mixed.report["results"]}
    assert [c.get("name", "").split()[0] for c in cases] == list(OUTCOME_OF)
    for testcase in cases:
        case_id = testcase.get("name", "").split()[0]
        outcome = OUTCOME_OF[case_id]
        assert testcase.get("classname") == "range.TST"
        assert (testcase.find("failure") is not None) == (outcome == "fail"), case_id
        assert (testcase.find("error") is not None) == (outcome == "error"), case_id
        assert (testcase.find("skipped") is not None) == (outcome == "skip"), case_id
        props = {p.get("name"): p.get("value") for p in testcase.iter("property")}
        assert props["outcome"] == outcome
        assert props["level"] == records[case_id]["level"]
        assert props["rfc"].endswith("§" + records[case_id]["rfc"])
        if records[case_id]["branch"] is not None:
            assert props["branch"] == records[case_id]["branch"]
        else:
            assert "branch" not in props


def test_junit_failure_and_error_carry_the_failure_text(mixed: Run) -> None:
    suite = mixed.junit()
    by_id = {c.get("name", "").split()[0]: c for c in suite.findall("testcase")}
    failure = by_id["TST-04"].find("failure")
    assert failure is not None
    assert failure.get("type") == "MUST"
    assert "got 206" in (failure.get("message") or "")
    assert "which no branch of this case allows" in (failure.text or "")
    assert "curl -sS" in (failure.text or "")
    error = by_id["TST-06"].find("error")
    assert error is not None
    assert f"ERROR transport  {gone(mixed)}" in (error.text or "")
    skipped = by_id["TST-05"].find("skipped")
    assert skipped is not None
    assert "at least 100000000 octets" in (skipped.get("message") or "")
    warned = by_id["TST-03"].find("system-out")
    assert warned is not None
    assert "graded warn by this test" in (warned.text or "")


HOSTILE = (
    b"HTTP/1.1 206 Partial\x01Content\r\n"
    b"Content-Range: bytes 0-9/1000\r\n"
    b"Content-Type: text/a\x01b\x1b[31mc\x7f\x0bd\r\n"
    b'ETag: "e\x02v\x1bil"\r\n'
    b"Content-Length: 10\r\n"
    b"Connection: close\r\n\r\n"
    b"\x00\x01\x02\x1b[2J\x04\x05\x06"  # exactly the 10 octets announced
)


@contextmanager
def hostile_server() -> Iterator[str]:
    """Answers every request with a 206 whose reason phrase and a header hold C0 controls."""

    def handler(conn: Connection, head: bytes) -> bool:
        conn.send(HOSTILE)
        return False

    with serving(handler, path="/evil.bin") as server:
        yield server.url


def test_control_characters_from_a_server_do_not_break_the_xml(tmp_path: Path) -> None:
    with hostile_server() as url:
        code, _ = run(
            url, "--id", "BAS-01", "--cases", str(BASELINE), "--report-dir", str(tmp_path / "r")
        )
    assert code == 1
    junit = (tmp_path / "r" / "range-conformance.junit.xml").read_text("utf-8")
    suite = ET.fromstring(junit)  # parses: no raw control characters in the document
    assert suite.get("failures") == "1"
    text = ET.tostring(suite, encoding="unicode")
    assert "Content-Type: text/a\\x01b\\x1b[31mc" in text  # shown, escaped, not dropped
    assert "Partial\\x01Content" in text
    assert "\x01" not in junit
    assert "\x1b" not in junit
    report = json.loads((tmp_path / "r" / "range-conformance.json").read_text("utf-8"))
    validate(report)
    assert any("\x01" in value for _, value in report["results"][0]["response"]["headers"])
    assert (tmp_path / "r" / "range-conformance.md").read_text("utf-8").count("<details>") == 1


# --- Markdown --------------------------------------------------------------------------------


def test_markdown_verdict_table_and_details(mixed: Run) -> None:
    text = mixed.path("md").read_text("utf-8")
    lines = text.splitlines()
    assert lines[0] == "## range-conformance: ❌ NOT conformant"
    assert "profile **rfc**" in text
    assert "❌ 1 fail · 💥 1 error · ⚠️ 1 warn · ℹ️ 1 info · ✅ 1 pass · ⏭️ 1 skip" in text
    header = lines.index("| section | pass | info | warn | fail | error | skip |")
    rows = lines[header + 2 : header + 7]
    assert rows == [
        "| §14.1 |  | 1 |  |  |  |  |",
        "| §14.1.2 |  |  | 1 |  |  |  |",
        "| §14.2 |  |  |  |  | 1 | 1 |",
        "| §14.10 |  |  |  | 1 |  |  |",
        "| §15.3.1 | 1 |  |  |  |  |  |",
    ]
    assert text.count("<details>") == text.count("</details>") == 3
    blocks = [block.split("</details>")[0] for block in text.split("<details>")[1:]]
    # fail first, then error, then warn, each with its rendered failure text
    assert "TST-04" in blocks[0]
    assert "which no branch of this case allows" in blocks[0]
    assert "TST-06" in blocks[1]
    assert gone(mixed) in blocks[1]
    assert "TST-03" in blocks[2]
    assert "graded warn by this test" in blocks[2]
    assert "```text" in blocks[0]
    for case_id in ("TST-01", "TST-02", "TST-05"):
        assert case_id not in text


def test_markdown_of_a_clean_run_is_conformant(tmp_path: Path, reference_base_url: str) -> None:
    path = tmp_path / "r.md"
    with mixed_argv(reference_base_url, tmp_path) as argv:
        code, _ = run(
            *argv,
            "--id",
            "TST-01",
            "--id",
            "TST-02",
            "--md",
            str(path),
        )
    assert code == 0
    text = path.read_text("utf-8")
    assert text.splitlines()[0] == "## range-conformance: ✅ conformant"
    assert "<details>" not in text
    assert "### Findings" not in text
    assert "`partial` ×1, `whole` ×1" in text


def test_markdown_verdict_follows_fail_on_warn(tmp_path: Path, reference_base_url: str) -> None:
    path = tmp_path / "r.md"
    with mixed_argv(reference_base_url, tmp_path) as argv:
        code, out = run(
            *argv,
            "--id",
            "TST-03",
            "--fail-on",
            "warn",
            "--md",
            str(path),
        )
    assert code == 1
    assert "NOT conformant" in out
    assert "NOT conformant" in path.read_text("utf-8").splitlines()[0]


# --- HTML and the single-report options ------------------------------------------------------


def test_html_report_is_one_self_contained_page(mixed: Run) -> None:
    page = mixed.path("html").read_text("utf-8")
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert "NOT conformant" in page
    for case_id in OUTCOME_OF:
        assert case_id in page
    assert "<script src=" not in page
    assert '<link rel="stylesheet"' not in page


@pytest.mark.parametrize(
    ("option", "name"),
    [("--json", "r.json"), ("--junit", "r.xml"), ("--md", "r.md"), ("--html", "r.html")],
)
def test_each_report_option_writes_only_its_report(
    tmp_path: Path, reference_base_url: str, option: str, name: str
) -> None:
    out_dir = tmp_path / "out"
    with mixed_argv(reference_base_url, tmp_path) as argv:
        code, out = run(*argv, "--id", "TST-0[1-3]", option, str(out_dir / name))
    assert code == 0
    assert [p.name for p in out_dir.iterdir()] == [name]
    text = (out_dir / name).read_text("utf-8")
    assert f"report: {out_dir / name}" in out
    if option == "--json":
        report = json.loads(text)
        validate(report)
        assert [r["id"] for r in report["results"]] == ["TST-01", "TST-02", "TST-03"]
    elif option == "--junit":
        assert len(ET.fromstring(text).findall("testcase")) == 3
    elif option == "--md":
        assert text.startswith("## range-conformance: ✅ conformant")
        assert text.count("<details>") == 1
    else:
        assert "TST-03" in text


def test_no_report_option_writes_nothing(tmp_path: Path, reference_base_url: str) -> None:
    with mixed_argv(reference_base_url, tmp_path) as argv:
        code, out = run(*argv, "--id", "TST-01")
    assert code == 0
    assert "report:" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mixed.range.yaml"]
