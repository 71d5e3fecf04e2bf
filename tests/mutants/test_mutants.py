"""The suite catches deliberately broken servers, for the right reason, and spares legal ones.

Each mutant (mutants.py) wraps the reference server and breaks one thing. For each, the case
that targets that bug must come out FAIL (or WARN for a SHOULD) with a finding from the check
that describes it, not merely some failure somewhere. The clean reference server and the legal
variants must score no FAIL, no WARN and no ERROR over every bundled case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.grading.fields import parse_media_type
from conformance.grading.multipart import parse_multipart
from conformance.model import Grade, Result
from conformance.report.text import render_failure
from reference_server import create_app, create_wsgi_app
from tests.helpers.mutants import (
    AlwaysPartial,
    CompleteLength32,
    ContentRangeEndPlusOne,
    ExtraOctet,
    FirstPosAtLengthIs206,
    HeadLength32,
    HeadServedAsGet,
    IfMatchIgnoredWithRange,
    IfNoneMatchIgnoredWithRange,
    IfRangeIgnored,
    IgnoreMultiRange,
    IgnoreRange,
    LaterDateIfRange,
    LaterPartsSeekOneTooFar,
    LongSuffixIs416,
    MinusZeroIsWhole,
    MultipartWithoutBoundary,
    Mutant,
    NoCloseDelimiter,
    NoContentEncodingOn206,
    NoContentRangeOn416,
    NoContentTypeOn206,
    NoETagOn206,
    NoRepresentationFieldsWithIfRange,
    NoValidatorsOn304,
    OverlapNotCoalesced,
    PartsAscending,
    PartWithoutContentRange,
    RejectInvalidWith416,
    SharedETagAcrossCodings,
    ShortByOne,
    SingleRangeAsMultipart,
    SliceFromFirstPlusOne,
    TopLevelContentRangeOnMultipart,
    UnknownUnitIs416,
    WeakETagsOnly,
    WeakIfRangeAccepted,
    is_invalid_bytes_range,
)

SuiteRunner = Callable[..., dict[str, Result]]
BAD = (Grade.FAIL, Grade.WARN, Grade.ERROR)


@dataclass(frozen=True)
class Catch:
    """Which case must catch a mutant, with which grade, and through which check."""

    mutant: type[Mutant]
    case: str
    grade: Grade
    check: str
    profile: str = "rfc"
    mentions: str | None = None  # must appear in the finding's message, expected or actual
    offset: bool = False  # the finding must locate the first differing octet

    @property
    def id(self) -> str:
        suffix = "" if self.profile == "rfc" else f"-{self.profile}"
        return f"{self.mutant.__name__}-{self.case}{suffix}"


FAIL, WARN = Grade.FAIL, Grade.WARN

CATCHES = [
    Catch(ShortByOne, "SGL-04", FAIL, "body", mentions="1 octets of content"),
    Catch(ShortByOne, "SGL-03", FAIL, "body", mentions="0 octets of content"),
    Catch(ShortByOne, "BAS-04", FAIL, "body", mentions="promises 10"),
    Catch(ContentRangeEndPlusOne, "SGL-04", FAIL, "body", mentions="Content-Range 0-2 promises 3"),
    Catch(ContentRangeEndPlusOne, "SGL-05", FAIL, "content-range", mentions="last-pos 1000"),
    Catch(ExtraOctet, "SGL-04", FAIL, "body", mentions="3 octets of content"),
    Catch(ExtraOctet, "SGL-28", FAIL, "body", mentions="11 octets of content"),
    Catch(NoContentRangeOn416, "SGL-15", WARN, "content-range", mentions="416 without"),
    Catch(NoContentRangeOn416, "SGL-15", FAIL, "content-range", profile="strict"),
    Catch(LongSuffixIs416, "SGL-12", WARN, "branch"),
    Catch(LongSuffixIs416, "SGL-22", WARN, "branch"),
    Catch(LongSuffixIs416, "SGL-12", FAIL, "branch", profile="strict"),
    Catch(MinusZeroIsWhole, "SGL-18", FAIL, "status", mentions="206"),
    Catch(UnknownUnitIs416, "SYN-31", FAIL, "branch", mentions="unit"),
    Catch(UnknownUnitIs416, "SYN-32", FAIL, "branch", mentions="unit"),
    Catch(UnknownUnitIs416, "SYN-33", FAIL, "branch", mentions="unit"),
    Catch(FirstPosAtLengthIs206, "SGL-15", FAIL, "status", mentions="206"),
    Catch(FirstPosAtLengthIs206, "SGL-27", FAIL, "status", mentions="206"),
    Catch(CompleteLength32, "SGL-28", FAIL, "content-range", mentions="/705032704"),
    Catch(CompleteLength32, "SGL-29", FAIL, "content-range", mentions="/705032704"),
    Catch(HeadLength32, "SGL-30", FAIL, "content-length", mentions="705032704"),
    Catch(NoETagOn206, "BAS-04", FAIL, "header", mentions="ETag"),
    Catch(NoValidatorsOn304, "PRE-01", FAIL, "header", mentions="this 304 does not"),
    Catch(NoContentTypeOn206, "SGL-04", FAIL, "content-type", mentions="Content-Type"),
    Catch(SliceFromFirstPlusOne, "SGL-04", FAIL, "body", offset=True),
    Catch(SliceFromFirstPlusOne, "BAS-04", FAIL, "body", offset=True),
    Catch(SingleRangeAsMultipart, "SGL-04", FAIL, "multipart", mentions="single range"),
    Catch(SingleRangeAsMultipart, "BAS-04", FAIL, "multipart", mentions="single range"),
    Catch(IfRangeIgnored, "IFR-02", FAIL, "branch", mentions="another entity-tag"),
    Catch(IfRangeIgnored, "IFR-13", FAIL, "branch", mentions="not a 416"),
    Catch(WeakIfRangeAccepted, "IFR-03", FAIL, "branch", mentions="weak entity-tag"),
    Catch(LaterDateIfRange, "IFR-08", FAIL, "branch", mentions="not when it is later"),
    Catch(IfNoneMatchIgnoredWithRange, "PRE-01", FAIL, "branch", mentions="304"),
    Catch(IfMatchIgnoredWithRange, "PRE-11", FAIL, "branch", mentions="412"),
    Catch(MultipartWithoutBoundary, "MUL-01", FAIL, "multipart", mentions="without a boundary"),
    Catch(MultipartWithoutBoundary, "MUL-02", FAIL, "multipart", mentions="without a boundary"),
    Catch(PartWithoutContentRange, "MUL-01", FAIL, "content-range", mentions="part 1/2"),
    Catch(PartWithoutContentRange, "MUL-02", FAIL, "content-range", mentions="part 2/2"),
    Catch(LaterPartsSeekOneTooFar, "MUL-02", FAIL, "part 2/2", mentions="200-299", offset=True),
    Catch(LaterPartsSeekOneTooFar, "MUL-03", FAIL, "part 2/2", mentions="0-99", offset=True),
    Catch(NoCloseDelimiter, "MUL-01", FAIL, "multipart", mentions="close delimiter"),
    Catch(NoCloseDelimiter, "MUL-02", FAIL, "multipart", mentions="close delimiter"),
    Catch(TopLevelContentRangeOnMultipart, "MUL-01", FAIL, "content-range", mentions="top-level"),
    Catch(PartsAscending, "MUL-03", WARN, "order", mentions="0-99, 500-599"),
    Catch(PartsAscending, "MUL-03", FAIL, "order", profile="strict"),
    Catch(HeadServedAsGet, "MTH-01", FAIL, "no-content", mentions="10 octets"),
    Catch(NoContentEncodingOn206, "ENC-02", FAIL, "header", mentions="Content-Encoding"),
    Catch(SharedETagAcrossCodings, "ENC-04", FAIL, "etag", mentions="share one strong ETag"),
]

# The learning GET and BAS-01 send the same request, so a server that answers every plain GET
# with 206 leaves the engine without a baseline: BAS-01 (like every case that needs one) comes
# out SKIP, or ERROR once runner.py stops skipping, but never FAIL.
ALWAYS_PARTIAL = pytest.param(
    Catch(AlwaysPartial, "BAS-01", FAIL, "status", mentions="206"),
    id="AlwaysPartial-BAS-01",
)


def _explain(result: Result) -> str:
    findings = "\n".join(
        f"  {f.grade.value} {f.check}: {f.message} (expected {f.expected}, actual {f.actual}, "
        f"offset {f.offset})"
        for f in result.verdict.findings
    )
    return f"{result.case.id}: {result.verdict.summary}\n{findings}"


def _assert_caught(catch: Catch, result: Result) -> None:
    assert result.verdict.grade is catch.grade, _explain(result)
    reasons = [
        f
        for f in result.verdict.findings
        if f.check == catch.check
        and f.grade is catch.grade
        and (catch.mentions is None or catch.mentions in f"{f.message} {f.expected} {f.actual}")
        and (not catch.offset or f.offset is not None)
    ]
    assert reasons, f"no {catch.grade.value} finding from check {catch.check!r}\n" + _explain(
        result
    )


@pytest.fixture(scope="module")
def mutant_results(
    run_suite_against: SuiteRunner, fixtures_dir: Path
) -> Callable[[Catch], dict[str, Result]]:
    """One server per (mutant, profile), running every case any catch of it names.

    Each served run costs about half a second to shut down, so runs are shared, not per row.
    """
    cache: dict[tuple[type[Mutant], str], dict[str, Result]] = {}

    def results(catch: Catch) -> dict[str, Result]:
        key = (catch.mutant, catch.profile)
        if key not in cache:
            ids = {catch.case} | {c.case for c in CATCHES if (c.mutant, c.profile) == key}
            app = catch.mutant(create_app(fixtures_dir))
            cache[key] = run_suite_against(app, profile=catch.profile, ids=ids)
        return cache[key]

    return results


@pytest.mark.parametrize("catch", [*(pytest.param(c, id=c.id) for c in CATCHES), ALWAYS_PARTIAL])
def test_mutant_fails_the_right_case_for_the_right_reason(
    catch: Catch, mutant_results: Callable[[Catch], dict[str, Result]]
) -> None:
    results = mutant_results(catch)
    assert catch.case in results, f"{catch.case} is not among the bundled cases"
    _assert_caught(catch, results[catch.case])


@pytest.mark.parametrize("profile", ["rfc", "strict", "media"])
@pytest.mark.parametrize("front_door", [create_app, create_wsgi_app], ids=["flask", "wsgi"])
def test_reference_server_scores_no_fail_warn_or_error(
    profile: str,
    front_door: Callable[[Path], object],
    run_suite_against: SuiteRunner,
    fixtures_dir: Path,
) -> None:
    results = run_suite_against(front_door(fixtures_dir), profile=profile)
    assert results
    bad = {
        case_id: r.verdict.grade.value for case_id, r in results.items() if r.verdict.grade in BAD
    }
    assert bad == {}, "\n\n".join(render_failure(results[case_id]) for case_id in bad)


@pytest.mark.parametrize(
    ("mutant", "branch_taken", "parts_sent"),
    [
        pytest.param(IgnoreRange, {"SGL-04": "ignored", "SGL-15": "ignored"}, {}, id="IgnoreRange"),
        pytest.param(
            RejectInvalidWith416,
            {"SYN-14": "rejected-416", "SYN-22": "rejected-416", "SYN-31": "ignored"},
            {},
            id="RejectInvalidWith416",
        ),
        pytest.param(
            IgnoreMultiRange,
            {
                "SGL-04": "partial",
                "MUL-01": "ignored",
                "MUL-03": "ignored",
                "IFR-14": "ignored",
                "ENC-07": "gzip-whole",
            },
            {},
            id="IgnoreMultiRange",
        ),
        pytest.param(
            OverlapNotCoalesced,
            {
                "MUL-05": "multipart",
                "MUL-07": "multipart",
                "MUL-12": "partial",
                "MUL-13": "ignored",
            },
            {"MUL-05": 2, "MUL-07": 2, "MUL-12": 2},
            id="OverlapNotCoalesced",
        ),
        pytest.param(
            NoRepresentationFieldsWithIfRange,
            {"IFR-01": "partial", "IFR-20": "partial", "RES-01": "resumed", "SGL-04": "partial"},
            {},
            id="NoRepresentationFieldsWithIfRange",
        ),
        pytest.param(
            WeakETagsOnly,
            # Cases that need a strong ETag skip (with no branch), as they must.
            {
                "IFR-01": "skip",
                "IFR-03": "skip",
                "IFR-02": "ignored",
                "IFR-11": "whole",
                "ENC-05": "gzip-whole",
                "PRE-01": "not-modified",
                "PRE-14": "precondition-failed",
            },
            {},
            id="WeakETagsOnly",
        ),
    ],
)
def test_legal_variant_is_neither_failed_nor_warned(
    mutant: type[Mutant],
    branch_taken: dict[str, str],
    parts_sent: dict[str, int],
    run_suite_against: SuiteRunner,
    fixtures_dir: Path,
) -> None:
    results = run_suite_against(mutant(create_app(fixtures_dir)), profile="rfc")
    bad = {
        case_id: r.verdict.grade.value for case_id, r in results.items() if r.verdict.grade in BAD
    }
    assert bad == {}, "\n\n".join(render_failure(results[case_id]) for case_id in bad)
    # Not vacuous: the variant really took the legal alternative where it should.
    taken = {
        case_id: results[case_id].verdict.branch or results[case_id].verdict.grade.value
        for case_id in branch_taken
    }
    assert taken == branch_taken
    assert {case_id: _multipart_parts(results[case_id]) for case_id in parts_sent} == parts_sent


def _multipart_parts(result: Result) -> int | None:
    """How many body parts a multipart 206 carried; None for any other answer."""
    exchange = result.exchange
    media = parse_media_type(exchange.header("Content-Type") or "") if exchange else None
    if exchange is None or exchange.status != 206 or media is None or "boundary" not in media[1]:
        return None
    return len(parse_multipart(exchange.body, media[1]["boundary"]).parts)


def test_ignoring_ranges_fails_the_media_profile(
    run_suite_against: SuiteRunner, fixtures_dir: Path
) -> None:
    results = run_suite_against(IgnoreRange(create_app(fixtures_dir)), profile="media",
                                ids={"SGL-04"})  # fmt: skip
    _assert_caught(Catch(IgnoreRange, "SGL-04", FAIL, "branch", profile="media"), results["SGL-04"])


@pytest.mark.parametrize(
    ("value", "invalid"),
    [
        ("bytes=0-9", False),
        ("BYTES=0-9", False),
        ("bytes=0-9, 20-29", False),
        ("bytes=0-9 ,\t20-29", False),
        ("bytes=0-9,,20-29", False),
        ("bytes=,0-9", False),
        ("bytes=0-9,", False),
        ("bytes=-0", False),
        ("bytes=000-009", False),
        ("bytes=500-", False),
        ("  bytes=0-9  ", False),
        ("x-test-unit=0-9", False),
        ("items=0-9", False),
        ("none=0-9", False),
        ("bytes=5-2", True),
        ("bytes=abc", True),
        ("bytes", True),
        ("bytes=", True),
        ("bytes=,", True),
        ("bytes=-", True),
        ("bytes=--5", True),
        ("bytes=+0-9", True),
        ("bytes=1_0-2_0", True),
        ("bytes=0-9;q=1", True),
        ("bytes=0-9,abc", True),
        ("bytes=\u0660-9", True),
        ("byte\u017f=0-9", True),
        ("bytes= 0-9", True),
        ("0-9", True),
        ("", True),
    ],
)
def test_reject_mutant_reads_the_grammar_strictly(value: str, invalid: bool) -> None:
    assert is_invalid_bytes_range(value) is invalid
