"""What the CLI prints: progress on a terminal, plain lines in pipes and CI, a summary by section.

Colour only on a terminal and never when NO_COLOR is set (https://no-color.org).
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TextIO

from conformance.model import Case, Expectation, Grade, Result, short_cite

COLOURS = {
    Grade.PASS: "32", Grade.INFO: "36", Grade.WARN: "33",
    Grade.FAIL: "31;1", Grade.ERROR: "35;1", Grade.SKIP: "2",
}  # fmt: skip


QUIET, DEFAULT, VERBOSE = -1, 0, 1
QUIET_GRADES = (Grade.PASS, Grade.INFO)  # what a default run does not list case by case


class Console:
    """Writes result lines; on a terminal, a one-line progress counter that rewrites itself.

    `verbosity`: QUIET lists no case, DEFAULT every case that is not pass or info, VERBOSE all.
    """

    def __init__(self, stream: TextIO, *, verbosity: int = DEFAULT) -> None:
        self.stream = stream
        self.verbosity = verbosity
        tty = hasattr(stream, "isatty") and stream.isatty()
        self.live = tty and not os.environ.get("CI")
        self.colour = tty and "NO_COLOR" not in os.environ
        self.tally: Counter[Grade] = Counter()

    def paint(self, grade: Grade, text: str) -> str:
        return f"\033[{COLOURS[grade]}m{text}\033[0m" if self.colour else text

    def say(self, text: str = "") -> None:
        self._clear()
        print(text, file=self.stream)

    def started(self, case: Case, done: int, total: int) -> None:
        if self.live:
            counts = " ".join(
                f"{n} {g.value}" for g, n in sorted(self.tally.items(), key=lambda i: i[0].rank)
            )
            line = f"[{done}/{total}] {counts}  {case.id} {case.title}"[:100]
            self.stream.write("\r\033[K" + line)
            self.stream.flush()

    def finished(self, result: Result) -> None:
        grade = result.verdict.grade
        self.tally[grade] += 1
        if self.verbosity < DEFAULT or (self.verbosity == DEFAULT and grade in QUIET_GRADES):
            return
        case = result.case
        aside = "" if result.decides else "  (outside the media question)"
        self.say(
            f"{self.paint(grade, f'{grade.value.upper():5}')} {case.id:8} {case.title}  "
            f"[{result.verdict.summary}]{aside}"
        )

    def _clear(self) -> None:
        if self.live:
            self.stream.write("\r\033[K")


def summary_by_section(results: Sequence[Result]) -> list[str]:
    """Counts per RFC section, with the branches taken there where the RFC allows a choice."""
    rows: dict[str, Counter[str]] = defaultdict(Counter)
    branches: dict[str, Counter[str]] = defaultdict(Counter)
    for result in results:
        section = result.case.rfc
        rows[section][result.verdict.grade.value] += 1
        if result.verdict.branch and _has_choice(result.case.expectations):
            branches[section][result.verdict.branch] += 1
    lines = []
    for section in sorted(rows, key=_section_key):
        counts = " ".join(f"{n} {g}" for g in ("pass", "info", "warn", "fail", "error", "skip")
                          if (n := rows[section][g]))  # fmt: skip
        taken = ", ".join(f"{name} ×{n}" for name, n in branches[section].most_common())
        label = short_cite(section)
        lines.append(f"  {label:<14} {counts}" + (f"   branches: {taken}" if taken else ""))
    return lines


def _has_choice(expectations: Sequence[Expectation]) -> bool:
    return sum(1 for e in expectations if e.grade is not Grade.FAIL) > 1


def _section_key(section: str) -> tuple[int, ...]:
    return tuple(int(p) for p in section.rsplit("§", 1)[-1].split(".") if p.isdigit())
