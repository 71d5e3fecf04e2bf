"""Synthetic exchanges for grading tests: a 1024-octet representation, cases written inline,
answers built field by field, and grading with every octet in hand (no network)."""

from __future__ import annotations

from pathlib import Path

from conformance.casefile.loader import load_cases_text
from conformance.grading.context import Context
from conformance.grading.grade import grade as grade_with
from conformance.grading.multipart import format_multipart
from conformance.grading.truth import Truth
from conformance.model import Case, Exchange, Grade, Representation, SentRequest, Verdict

BODY = bytes(range(256)) * 4  # 1024 octets, every 8-octet window unique enough for offsets
LENGTH = len(BODY)
BASE_HEADERS = (
    ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
    ("ETag", '"abc"'),
    ("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"),
    ("Content-Type", "application/octet-stream"),
    ("Cache-Control", "max-age=60"),
    ("Accept-Ranges", "bytes"),
)
BASELINE = Representation("main", "http://t/r", 200, BASE_HEADERS, LENGTH)


def grade(case: Case, answer: Exchange, baseline: Representation, **kwargs: object) -> Verdict:
    """Grade with every octet of BODY in hand, and check that none beyond it was asked for."""
    truth = Truth({0: BODY})
    verdict = grade_with(case, answer, baseline, truths={"identity": truth}, **kwargs)  # type: ignore[arg-type]
    assert truth.missing == []
    return verdict


CASE_YAML = """\
group: TST
title: test
cases:
  - id: TST-01
    title: range {range}
    rfc: "14.1.2"
    level: MUST
    request:
      headers: {{Range: "{range}"}}
    outcomes:
{outcomes}
"""
PARTIAL = """\
      - branch: partial
        status: 206
        partial: [{spans}]
"""
IGNORED = """\
      - branch: ignored
        status: 200
        full: true
        grade: info
        profiles: {media: fail}
"""
UNSAT = """\
      - branch: unsatisfiable
        status: 416
        unsatisfied: true
"""


def make_case(range_value: str, *outcomes: str) -> Case:
    text = CASE_YAML.format(range=range_value, outcomes="".join(outcomes))
    return load_cases_text(text, Path("t.range.yaml"))[0]


def partial(*spans: tuple[int | str, int | str]) -> str:
    return PARTIAL.format(spans=", ".join(f"{{first: {a}, last: {b}}}" for a, b in spans))


def exchange(
    status: int,
    headers: dict[str, str] | list[tuple[str, str]],
    body: bytes,
    *,
    range_value: str = "bytes=0-9",
    capped: bool = False,
    extra_request: tuple[tuple[str, str], ...] = (),
) -> Exchange:
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers)
    sent = SentRequest("GET", "http://t/r", (("Range", range_value), *extra_request))
    return Exchange(sent, status, "", tuple(pairs), body, capped)


def partial_headers(content_range: str, body: bytes, **extra: str) -> dict[str, str]:
    headers = dict(BASE_HEADERS)
    headers.update({"Content-Range": content_range, "Content-Length": str(len(body))})
    headers.update(extra)
    return headers


def run(case: Case, answer: Exchange, **kwargs: object) -> Verdict:
    range_value = answer.request.headers[0][1]
    return grade(case, answer, BASELINE, range_value=range_value, **kwargs)  # type: ignore[arg-type]


def checks(verdict: Verdict, wanted: Grade) -> set[str]:
    return {f.check for f in verdict.findings if f.grade is wanted}


def multipart_answer(
    spans: list[tuple[int, int]],
    *,
    boundary: str = "XYZ",
    part_headers: list[tuple[str, str]] | None = None,
    content_type: str | None = None,
    range_value: str = "bytes=0-9,20-29",
) -> Exchange:
    parts = []
    for first, last in spans:
        headers = (
            part_headers
            if part_headers is not None
            else [
                ("Content-Type", "application/octet-stream"),
                ("Content-Range", f"bytes {first}-{last}/{LENGTH}"),
            ]
        )
        headers = [
            (n, v.replace("{first}", str(first)).replace("{last}", str(last))) for n, v in headers
        ]
        parts.append((headers, BODY[first : last + 1]))
    body = format_multipart(parts, boundary)
    headers = dict(BASE_HEADERS)
    headers["Content-Type"] = content_type or f"multipart/byteranges; boundary={boundary}"
    headers["Content-Length"] = str(len(body))
    return exchange(206, headers, body, range_value=range_value)


def context(
    answer: Exchange | None = None,
    *,
    baseline: Representation = BASELINE,
    identity: Representation | None = None,
    has_if_range: bool = False,
    compare_headers: bool = True,
) -> Context:
    """What grade() builds for `answer` (an empty 206 by default), every octet of BODY in hand."""
    answer = answer or exchange(206, {}, b"")
    return Context(
        exchange=answer,
        baseline=baseline,
        truth=Truth({0: BODY}),
        range_value=answer.request.headers[0][1],
        compare_headers=compare_headers,
        has_if_range=has_if_range,
        identity=identity or baseline,
    )
