"""The run matrix: several reports (one per server) side by side, as Markdown and HTML."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.report.json_report import build_json_report, write_json
from conformance.report.matrix import (
    build_matrix,
    load_matrix,
    load_reports,
    render_matrix_html,
    render_matrix_markdown,
    split_label,
    write_matrix,
)
from reference_server import create_app
from tests.helpers.mutants import ShortByOne
from tests.helpers.reports import EVIL, matrix_rows, mixed_report, parse


def _server(main: str, outcomes: dict[str, str]) -> dict[str, Any]:
    report = mixed_report()
    report["target"] = {"main": main}
    by_id = {r["id"]: r for r in report["results"]}
    report["results"] = []
    for case_id, outcome in outcomes.items():
        record = copy.deepcopy(by_id.get(case_id) or by_id["SGL-04"])
        record.update(id=case_id, group=case_id.split("-")[0], outcome=outcome)
        record["title"] = f"title of {case_id}"
        report["results"].append(record)
    return report


GOOD = "http://good.test/r1000.bin"
BAD = "http://bad.test/r1000.bin"


@pytest.fixture
def two() -> list[dict[str, Any]]:
    good = _server(GOOD, {"BAS-01": "pass", "SGL-04": "pass", "SGL-15": "info", "SYN-31": "pass"})
    bad = _server(BAD, {"BAS-01": "pass", "SGL-04": "fail", "SGL-15": "warn", "SYN-31": "error"})
    return [good, bad]


def test_columns_rows_and_cells(two: list[dict[str, Any]]) -> None:
    matrix = build_matrix(two)
    assert [s.label for s in matrix.servers] == [GOOD, BAD]
    assert matrix.groups == (
        ("BAS", ("BAS-01",)),
        ("SGL", ("SGL-04", "SGL-15")),
        ("SYN", ("SYN-31",)),
    )
    cell = matrix.cell("SGL-04", BAD)
    assert cell is not None
    assert (cell.outcome, cell.branch) == ("fail", "partial")
    assert matrix.tally(BAD, ["SGL-04", "SGL-15"])["warn"] == 1


def test_labels_and_duplicate_names(two: list[dict[str, Any]]) -> None:
    matrix = build_matrix(two, ["nginx", None])
    assert [s.label for s in matrix.servers] == ["nginx", BAD]
    assert matrix.servers[0].target == GOOD
    same = build_matrix([two[0], two[0]])
    assert [s.label for s in same.servers] == [GOOD, f"{GOOD} (2)"]
    with pytest.raises(ValueError, match="1 labels for 2 reports"):
        build_matrix(two, ["x"])
    with pytest.raises(ValueError, match="no reports"):
        build_matrix([])


def test_markdown_compares_groups_and_lists_failures(two: list[dict[str, Any]]) -> None:
    text = render_matrix_markdown(build_matrix(two, ["good", "bad"]))
    lines = text.splitlines()
    assert "| group | good | bad |" in lines
    assert "| BAS (1) | ✅ 1 / 0 / 0 | ✅ 1 / 0 / 0 |" in lines
    assert "| SGL (2) | ✅ 2 / 0 / 0 | ❌ 0 / 1 / 1 |" in lines
    assert "| SYN (1) | ✅ 1 / 0 / 0 | ❌ 0 / 0 / 0 (+1 error) |" in lines
    assert "| verdict | conformant | NOT conformant |" in lines
    good_at, bad_at = (
        lines.index("**good** (profile rfc): none"),
        lines.index("**bad** (profile rfc): 3"),
    )
    assert good_at < bad_at
    failing = [line for line in lines[bad_at + 1 :] if line.startswith("- ")]
    assert [line.split("`")[1] for line in failing] == ["SGL-04", "SGL-15", "SYN-31"]
    assert failing[0].startswith("- `SGL-04` FAIL: title of SGL-04")


def test_markdown_escapes_labels_and_marks_missing_cases(two: list[dict[str, Any]]) -> None:
    del two[1]["results"][0]  # bad did not run BAS-01
    text = render_matrix_markdown(build_matrix(two, ["a|b", "<i>x</i>"]))
    assert r"| group | a\|b | \<i\>x\</i\> |" in text
    assert "| BAS (1) | ✅ 1 / 0 / 0 | — |" in text


def test_html_matrix(two: list[dict[str, Any]]) -> None:
    two[1]["results"][1]["branch"] = EVIL
    html = render_matrix_html(build_matrix(two, ["good", EVIL]))
    page = parse(html)
    assert page.errors == []
    assert EVIL not in html
    assert [t for t, _ in page.tags].count("script") == 0
    assert not any("src" in attrs or t == "link" for t, attrs in page.tags)
    assert "url(" not in "".join(page.styles)
    groups = [a for t, a in page.tags if t == "details"]
    assert len(groups) == 3
    assert all("open" in a for a in groups)
    cells = [a.get("class") for t, a in page.tags if t == "td" and "c" in (a.get("class") or "")]
    assert cells.count("c o-fail") == 1
    assert cells.count("c o-error") == 1
    assert cells.count("c o-pass") == 4


def two_profiles(two: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`two`, the second graded in the media profile: its SGL-04 fail decides it."""
    two[1]["profile"] = "media"
    for record in two[1]["results"]:
        record["decides"] = record["id"] in ("BAS-01", "SGL-04")
    return two


def test_html_matrix_has_each_servers_profile_and_verdict(two: list[dict[str, Any]]) -> None:
    html = render_matrix_html(build_matrix(two_profiles(two), ["good", EVIL]))
    rows = matrix_rows(html)
    assert rows["profile"] == ["rfc", "media"]
    assert rows["verdict"] == ["conformant", "NOT media-ready"]
    assert '<td class="verdict o-pass">conformant</td>' in html
    assert '<td class="verdict o-fail">NOT media-ready</td>' in html
    servers = html[: html.index("<h2>All cases</h2>")]
    assert "<th scope=col>verdict</th>" in servers
    assert '<td>media</td><td class="verdict o-fail">NOT media-ready</td>' in servers
    two[1]["results"][1]["outcome"] = "pass"  # SGL-04; what is left fails outside the question
    rows = matrix_rows(render_matrix_html(build_matrix(two)))
    assert rows["verdict"] == ["conformant", "media-ready"]


def test_split_label(tmp_path: Path) -> None:
    assert split_label("nginx=out/a.json") == ("nginx", Path("out/a.json"))
    assert split_label("out/a.json") == (None, Path("out/a.json"))
    odd = tmp_path / "a=b.json"
    odd.write_text("{}")
    assert split_label(str(odd)) == (None, odd)


@pytest.fixture
def real_reports(run_suite_against: Any, fixtures_dir: Path, tmp_path: Path) -> list[Path]:
    """Schema-valid reports from the reference server and a broken peer."""
    ids = {"BAS-01", "BAS-04", "SGL-03", "SGL-04"}
    paths = []
    for name, app in [
        ("reference", create_app(fixtures_dir)),
        ("short", ShortByOne(create_app(fixtures_dir))),
    ]:
        results = run_suite_against(app, ids=ids)
        report = build_json_report(
            list(results.values()),
            target={"main": f"http://{name}.test/r1000.bin"},
            profile="rfc",
            duration=0.1,
        )
        write_json(report, tmp_path / f"{name}.json")
        paths.append(tmp_path / f"{name}.json")
    return paths


def test_load_reports_and_matrix(real_reports: list[Path], tmp_path: Path) -> None:
    reports = load_reports(real_reports)
    assert [r["target"]["main"] for r in reports] == [
        "http://reference.test/r1000.bin",
        "http://short.test/r1000.bin",
    ]
    matrix = load_matrix([f"ref={real_reports[0]}", str(real_reports[1])])
    assert [s.label for s in matrix.servers] == ["ref", "http://short.test/r1000.bin"]
    text = render_matrix_markdown(matrix)
    assert "| verdict | conformant | NOT conformant |" in text
    assert "- `SGL-04` FAIL" in text
    write_matrix(matrix, tmp_path / "m.md")
    write_matrix(matrix, tmp_path / "m.html")
    assert (tmp_path / "m.md").read_text("utf-8") == text
    assert (tmp_path / "m.html").read_text("utf-8").startswith("<!doctype html>")


def test_load_reports_names_the_bad_file(real_reports: list[Path], tmp_path: Path) -> None:
    broken = json.loads(real_reports[0].read_text("utf-8"))
    del broken["counts"]
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(broken))
    with pytest.raises(ValueError, match=r"broken\.json: not a range-conformance report.*counts"):
        load_reports([real_reports[1], bad])
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**broken, "counts": {}, "results": [{"id": 1}]}))
    with pytest.raises(ValueError, match=r"wrong\.json: .* at "):
        load_reports([wrong])
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json")
    with pytest.raises(ValueError, match=r"garbage\.json: cannot read a JSON report"):
        load_reports([garbage])
    with pytest.raises(ValueError, match=r"missing\.json: cannot read"):
        load_reports([tmp_path / "missing.json"])
