"""Cache mode: the catalogue through the cache beside the same catalogue on the origin alone
(pure: two lists of results in, the through-cache results annotated out).

A case worse through the cache than on the origin alone is the cache's doing, and says so; a
case as bad on the origin alone is not the cache's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from conformance.model import Finding, Grade, Result

_BAD = (Grade.WARN, Grade.FAIL, Grade.ERROR)


def compared_with_origin(through: Sequence[Result], alone: Sequence[Result]) -> list[Result]:
    """`through` with each case's origin-alone outcome said beside its own where it matters."""
    by_id = {result.case.id: result for result in alone}
    return [_compared(result, by_id.get(result.case.id)) for result in through]


def _compared(result: Result, origin: Result | None) -> Result:
    grade = result.verdict.grade
    if origin is None or grade not in _BAD:
        return result
    theirs = origin.verdict.grade
    if theirs.rank >= grade.rank:
        note = f"the origin alone: {theirs.value} too, so not the cache's doing"
        finding = Finding("through-cache", Grade.PASS, note)
    else:
        branch = f" ({origin.verdict.branch})" if origin.verdict.branch else ""
        note = f"the origin alone: {theirs.value}{branch}; this {grade.value} is the cache's"
        finding = Finding(
            "through-cache", grade, note,
            expected=f"{origin.verdict.summary} (the origin alone)",
            actual=result.verdict.summary,
        )  # fmt: skip
    verdict = replace(
        result.verdict,
        findings=(*result.verdict.findings, finding),
        summary=f"{result.verdict.summary} [{note}]",
    )
    return replace(result, verdict=verdict)
