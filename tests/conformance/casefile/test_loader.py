"""Case files: the schema, line-numbered errors, and where the bundled cases are found."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from conformance.casefile.loader import bundled_cases_dir, case_schema, load_cases, load_cases_text
from conformance.errors import CaseFileError

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
group: TST
title: test
cases:
  - id: TST-01
    title: first ten
    rfc: "14.1.2"
    level: MUST
    request:
      range: [{first: 0, last: 9}]
    outcomes:
      - branch: partial
        status: 206
        partial: [{first: 0, last: L-991}]
"""


def problems(text: str) -> list[str]:
    with pytest.raises(CaseFileError) as caught:
        load_cases_text(text, Path("x.range.yaml"))
    return caught.value.problems


def test_schema_is_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(case_schema())


def test_every_bundled_case_file_loads() -> None:
    cases = load_cases([bundled_cases_dir()])
    assert len(cases) >= 30
    assert len({case.id for case in cases}) == len(cases)


def test_a_good_case_builds_positions_relative_to_length() -> None:
    (case,) = load_cases_text(GOOD, Path("x.range.yaml"))
    assert case.line == 4
    (span,) = case.expectations[0].partial
    assert span.resolve(1000) == (0, 9)
    assert case.request.ranges[0].render(1000) == "0-9"


def test_wrong_type_names_file_line_and_path() -> None:
    (problem,) = problems(GOOD.replace("status: 206", "status: two"))
    assert problem.startswith("x.range.yaml:12: $.cases[0].outcomes[0].status: ")


def test_unknown_key_is_rejected() -> None:
    (problem,) = problems(GOOD.replace("level: MUST", "level: MUST\n    levle: MUST"))
    assert "$.cases[0]" in problem
    assert "levle" in problem


def test_all_problems_are_reported_at_once() -> None:
    text = GOOD.replace("status: 206", "status: two").replace('rfc: "14.1.2"', "rfc: 14")
    assert len(problems(text)) == 2


def test_missing_required_key_points_at_its_parent() -> None:
    (problem,) = problems(GOOD.replace("    title: first ten\n", ""))
    assert problem.startswith("x.range.yaml:4: $.cases[0]: ")
    assert "'title' is a required property" in problem


def test_invalid_yaml_names_the_line() -> None:
    (problem,) = problems(GOOD.replace("title: first ten", "title: [unclosed"))
    assert problem.startswith("x.range.yaml:")
    assert "invalid YAML" in problem


def test_duplicate_ids_and_reversed_spans_are_caught() -> None:
    duplicated = GOOD + GOOD.split("cases:\n", 1)[1]
    assert any("duplicate case id" in p for p in problems(duplicated))
    reversed_span = GOOD.replace("last: L-991", "last: 5").replace(
        "first: 0, last: 5", "first: 9, last: 5"
    )
    assert any("first 9 is after last 5" in p for p in problems(reversed_span))


def test_range_both_structured_and_as_header_is_refused() -> None:
    text = GOOD.replace(
        "range: [{first: 0, last: 9}]",
        'range: [{first: 0, last: 9}]\n      headers: {Range: "bytes=1-2"}',
    )
    assert any("either as 'range' or as a header" in p for p in problems(text))


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "a.range.yaml").write_text(GOOD)
    (tmp_path / "b.range.yaml").write_text(GOOD)
    (tmp_path / "other.yaml").write_text("not: a case file")
    with pytest.raises(CaseFileError) as caught:
        load_cases([tmp_path])
    assert "b.range.yaml" in caught.value.problems[0]
    assert "first at" in caught.value.problems[0]


def test_bundled_cases_dir_in_a_checkout_is_the_top_level_folder() -> None:
    assert bundled_cases_dir() == ROOT / "cases"


@pytest.mark.slow
def test_bundled_cases_ship_inside_the_wheel(tmp_path: Path) -> None:
    """The wheel maps cases/ into the package; bundled_cases_dir() finds them there too."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert "conformance/bundled_cases/single.range.yaml" in names
    assert "conformance/casefile/case.schema.json" in names
    assert "conformance/report/report.schema.json" in names
    for asset in ("report.html", "report.css", "report.js", "matrix.html", "matrix.css"):
        assert f"conformance/report/assets/{asset}" in names
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    code = (
        "import json; from conformance.casefile.loader import bundled_cases_dir, load_cases; "
        "d = bundled_cases_dir(); print(json.dumps([str(d), len(load_cases([d]))]))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(site)},
    )
    directory, count = json.loads(found.stdout)
    assert directory == str(site / "conformance" / "bundled_cases")
    assert count == len(load_cases([ROOT / "cases"]))


CACHE_CASE = GOOD.replace(
    "    request:\n",
    "    origin:\n"
    "      etag: weak\n"
    "      must_reach_origin: true\n"
    "      steps:\n"
    "        - request: {range: [{first: 0, last: 9}]}\n"
    "        - replace: true\n"
    "        - fault: {kind: cut, after: 30}\n"
    "    request:\n",
)


def test_a_cache_case_builds_its_origin_plan_and_steps() -> None:
    (case,) = load_cases_text(CACHE_CASE, Path("x.cache.yaml"))
    assert case.origin is not None
    assert (case.origin.size, case.origin.etag, case.origin.must_reach_origin) == (
        100_000, "weak", True,
    )  # fmt: skip
    request, replace, fault = case.origin.steps
    assert request.request is not None
    assert request.request.ranges[0].render(1000) == "0-9"
    assert replace.replace
    assert (fault.fault, fault.after, fault.count) == ("cut", 30, 1)


def test_origin_belongs_in_cache_files_only_and_cache_files_need_it() -> None:
    assert problems(CACHE_CASE) == [
        "x.range.yaml:9: $.cases[0].origin: 'origin' belongs only in a *.cache.yaml file "
        "(cache mode)"
    ]
    with pytest.raises(CaseFileError) as caught:
        load_cases_text(GOOD, Path("x.cache.yaml"))
    assert caught.value.problems == [
        "x.cache.yaml:4: $.cases[0].origin: a case in a *.cache.yaml file needs an 'origin' block"
    ]


def test_a_bad_origin_step_is_named_with_its_field() -> None:
    bad = CACHE_CASE.replace("kind: cut", "kind: explode")
    with pytest.raises(CaseFileError) as caught:
        load_cases_text(bad, Path("x.cache.yaml"))
    (problem,) = caught.value.problems
    assert problem.startswith("x.cache.yaml:")
    assert "$.cases[0].origin.steps[2].fault.kind" in problem
    assert "'explode' is not one of ['cut', 'status', 'reset']" in problem
