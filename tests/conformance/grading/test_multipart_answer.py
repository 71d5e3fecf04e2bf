"""How a multipart 206 is judged: here, that a badly broken one reads as a summary."""

from __future__ import annotations

from conformance.grading.multipart_answer import summarised
from conformance.model import Finding, Grade, Level


def _part_findings(count: int, grade: Grade) -> list[Finding]:
    return [
        Finding(f"part {n}/{count}", grade, f"part {n} has no Content-Range", Level.MUST, "14.6")
        for n in range(1, count + 1)
    ]


def test_a_thousand_broken_parts_give_twenty_findings_and_a_count() -> None:
    findings = _part_findings(1000, Grade.FAIL)
    shown = summarised(findings)
    assert shown[:20] == findings[:20]
    assert len(shown) == 21
    assert shown[20].message == "... and 980 more findings about other parts"
    assert (shown[20].grade, shown[20].level, shown[20].rfc) == (Grade.FAIL, Level.MUST, "14.6")


def test_the_count_keeps_the_worst_grade_of_what_it_hides() -> None:
    findings = _part_findings(20, Grade.WARN) + _part_findings(5, Grade.WARN)
    findings[-1] = Finding("part 5/5", Grade.FAIL, "wrong octets", Level.MUST, "14.6")
    note = summarised(findings)[-1]
    assert (note.grade, note.level) == (Grade.FAIL, Level.MUST)
    assert summarised(_part_findings(20, Grade.WARN))[-1].message == "part 20 has no Content-Range"
