"""A run's verdict from its outcomes: what counts, and what the headline says.

In the rfc and strict profiles every case counts; in media, only the cases of the media question
(`decides`). Pure: counts in, verdict out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from conformance.model import Grade, Result


def counts(results: Sequence[Result]) -> dict[str, int]:
    tally = Counter(result.verdict.grade.value for result in results)
    return {grade.value: tally.get(grade.value, 0) for grade in Grade}


def tally_of(records: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Outcome → how many records have it, every outcome listed."""
    tally = Counter(record["outcome"] for record in records)
    return {grade.value: tally.get(grade.value, 0) for grade in Grade}


def deciding_counts(records: Sequence[dict[str, Any]]) -> dict[str, int]:
    """The counts the verdict rests on: every record, but in the media profile only the
    cases of the media question (`decides`)."""
    return tally_of([record for record in records if record.get("decides", True)])


def counts_line(tally: dict[str, int]) -> str:
    """`1 skip · 155 pass · 30 info`: every outcome that occurred, in the order of Grade."""
    return " · ".join(f"{n} {grade}" for grade, n in tally.items() if n)


def headline(profile: str, conformant: bool) -> str:
    """The verdict in words: RFC conformance, or in the media profile the media question."""
    if profile == "media":
        return "media-ready" if conformant else "NOT media-ready"
    return "conformant" if conformant else "NOT conformant"


MEDIA_QUESTION = "can browsers and players play and seek this URL?"


def report_verdict(report: dict[str, Any]) -> tuple[bool, str]:
    """(conformant, headline) of a report, from its records (reports before the media
    question counted every record)."""
    conformant = is_conformant(deciding_counts(report["results"]), report.get("fail_on"))
    return conformant, headline(report.get("profile", "rfc"), conformant)


def is_conformant(tally: dict[str, int], fail_on: str | None = "fail") -> bool:
    """The run's verdict as the reports state it: fail and error fail it, warn too on request."""
    failing = tally.get("fail", 0) or tally.get("error", 0)
    return not (failing or (fail_on == "warn" and tally.get("warn", 0)))
