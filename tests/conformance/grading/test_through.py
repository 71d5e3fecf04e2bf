"""The catalogue through a cache beside the origin alone: whose problem is it?"""

from __future__ import annotations

from dataclasses import replace

from conformance.grading.through import compared_with_origin
from conformance.model import Finding, Grade, Result, Verdict
from tests.helpers.grading import make_case, partial


def _blamed_on_cache(result: Result) -> bool:
    return any(
        f.check == "through-cache" and f.grade in (Grade.WARN, Grade.FAIL, Grade.ERROR)
        for f in result.verdict.findings
    )


def _result(grade: Grade, branch: str | None = "x", case_id: str = "SYN-31") -> Result:
    finding = Finding("status", grade, "m")
    case = replace(make_case("0-9", partial((0, 9))), id=case_id)
    return Result(case, Verdict(grade, branch, (finding,), f"s-{grade.value}"), None)


def test_a_fail_only_through_the_cache_is_blamed_on_the_cache() -> None:
    [out] = compared_with_origin([_result(Grade.FAIL)], [_result(Grade.PASS, "ignored")])
    assert out.verdict.grade is Grade.FAIL
    assert out.verdict.summary == (
        "s-fail [the origin alone: pass (ignored); this fail is the cache's]"
    )
    added = out.verdict.findings[-1]
    assert (added.check, added.grade) == ("through-cache", Grade.FAIL)
    assert added.expected == "s-pass (the origin alone)"
    assert _blamed_on_cache(out)


def test_a_fail_the_origin_has_too_is_not_the_caches() -> None:
    [out] = compared_with_origin([_result(Grade.WARN)], [_result(Grade.FAIL)])
    assert out.verdict.summary.endswith("[the origin alone: fail too, so not the cache's doing]")
    assert out.verdict.findings[-1].grade is Grade.PASS
    assert not _blamed_on_cache(out)
    [same] = compared_with_origin([_result(Grade.WARN)], [_result(Grade.WARN)])
    assert not _blamed_on_cache(same)


def test_passes_and_cases_the_origin_did_not_run_are_left_as_they_are() -> None:
    passed, info = _result(Grade.PASS), _result(Grade.INFO)
    assert compared_with_origin([passed, info], [_result(Grade.FAIL)]) == [passed, info]
    lonely = _result(Grade.FAIL, case_id="CCH-01")
    assert compared_with_origin([lonely], [_result(Grade.PASS)]) == [lonely]


def test_the_origins_branch_is_named_only_when_it_had_one() -> None:
    [out] = compared_with_origin([_result(Grade.ERROR)], [_result(Grade.SKIP, None)])
    assert "the origin alone: skip; this error is the cache's" in out.verdict.summary
