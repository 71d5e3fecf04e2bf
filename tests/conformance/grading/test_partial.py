"""conformance.grading.partial: findings shown able to pass and to fail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.grading.partial import check_partial, partial_headers
from conformance.grading.spans import Span
from conformance.model import Exchange, Finding, Grade, Level
from tests.helpers.grading import (
    BASE_HEADERS,
    BASELINE,
    BODY,
    IGNORED,
    LENGTH,
    checks,
    context,
    exchange,
    make_case,
    multipart_answer,
    partial,
    run,
)
from tests.helpers.grading import (
    partial_headers as answer_headers,
)

TYPE = "application/octet-stream"


def single(first: int = 0, last: int = 9, *, drop: tuple[str, ...] = (), **extra: str) -> Exchange:
    """A single-part 206 carrying octets first-last, fields changed by `extra`, `drop`ped."""
    body = BODY[first : last + 1]
    headers = answer_headers(f"bytes {first}-{last}/{LENGTH}", body, **extra)
    for name in drop:
        del headers[name]
    return exchange(206, headers, body, range_value="bytes=0-9")


def summary(findings: list[Finding]) -> list[tuple[str, Grade, str]]:
    return [(f.check, f.grade, f.message) for f in findings]


def checked(answer: Exchange, requested: list[Span], **kwargs: bool) -> list[Finding]:
    return check_partial(context(answer), requested, **kwargs)  # type: ignore[arg-type]


# check_partial: single part or multipart --------------------------------------------------------


def test_the_exact_single_part_has_no_finding() -> None:
    """The passing side of every single-part check at once."""
    assert checked(single(), [(0, 9)]) == []


def test_multipart_to_several_ranges_has_no_finding() -> None:
    """multipart/byteranges is the answer to several ranges: parts judged, nothing said."""
    assert checked(multipart_answer([(0, 9), (20, 29)]), [(0, 9), (20, 29)]) == []


def test_multipart_to_a_single_range_fails_before_anything_about_its_parts() -> None:
    """§15.3.7.2: one range gets a single part; that failure leads the findings, the parts'
    own findings (here a quoted boundary and a part without Content-Type) follow in order."""
    answer = multipart_answer(
        [(0, 9)],
        part_headers=[("Content-Range", "bytes {first}-{last}/1024")],
        content_type='multipart/byteranges; boundary="XYZ"',
        range_value="bytes=0-9",
    )
    findings = checked(answer, [(0, 9)])
    assert summary(findings) == [
        ("multipart", Grade.FAIL, "multipart/byteranges in answer to a single range"),
        ("multipart", Grade.INFO, "quoted boundary parameter (legal; some clients mishandle it)"),
        ("part-content-type", Grade.WARN, "part 1/1 should carry the 200's Content-Type"),
    ]
    assert (findings[0].expected, findings[0].actual) == (
        "a single-part 206",
        'multipart/byteranges; boundary="XYZ"',
    )


def test_an_invalid_multipart_content_type_is_said_once_and_its_parts_still_judged() -> None:
    """A boundary that is no token fails the header; the parts, found with it, are right."""
    value = "multipart/byteranges; boundary===77=="
    answer = multipart_answer([(0, 9), (20, 29)], boundary="==77==", content_type=value)
    findings = checked(answer, [(0, 9), (20, 29)])
    assert findings == [
        Finding(
            "content-type",
            Grade.FAIL,
            "Content-Type is not a valid media type: a boundary must be a token or a quoted-string",
            Level.MUST,
            "8.3.1",
            'multipart/byteranges; boundary="..."',
            value,
        )
    ]


def test_an_invalid_multipart_content_type_to_a_single_range_fails_on_both() -> None:
    """Both faults are said, the single-range one first."""
    value = "Multipart/ByteRanges; boundary===77==; q"
    answer = multipart_answer(
        [(0, 9)], boundary="==77==", content_type=value, range_value="bytes=0-9"
    )
    assert [(f.check, f.grade) for f in checked(answer, [(0, 9)])] == [
        ("multipart", Grade.FAIL),
        ("content-type", Grade.FAIL),
    ]


def test_an_invalid_multipart_content_type_without_a_boundary_says_so() -> None:
    """No boundary to be found even leniently: no parts can be read."""
    value = "multipart/byteranges; charset"
    answer = multipart_answer([(0, 9), (20, 29)], content_type=value)
    assert summary(checked(answer, [(0, 9), (20, 29)])) == [
        (
            "content-type",
            Grade.FAIL,
            "Content-Type is not a valid media type: a boundary must be a token or a quoted-string",
        ),
        ("multipart", Grade.FAIL, "multipart/byteranges without a boundary parameter"),
    ]


def test_an_invalid_non_multipart_content_type_is_a_single_part() -> None:
    """Only a multipart/ type is read leniently; any other is a single part (whose type is
    then not the 200's)."""
    findings = checked(single(**{"Content-Type": "text/plain; x"}), [(0, 9)])
    assert [(f.check, f.actual) for f in findings] == [("content-type", "text/plain; x")]


# check_partial: what the parts cover -------------------------------------------------------------


def test_a_subset_warns_unless_the_branch_allows_it() -> None:
    """allow_subset (DoS probes) drops only the 'sent only part' warning."""
    (finding,) = checked(single(0, 4), [(0, 9)])
    assert (finding.check, finding.grade) == ("coverage", Grade.WARN)
    assert finding.message.startswith("sent only part of what was asked; octets 5-9")
    assert checked(single(0, 4), [(0, 9)], allow_subset=True) == []


def test_allow_subset_keeps_other_coverage_findings() -> None:
    """Octets beyond the request still warn where a subset is allowed."""
    (finding,) = checked(single(0, 19), [(0, 9)], allow_subset=True)
    assert (finding.check, finding.grade) == ("coverage", Grade.WARN)
    assert finding.message == "sent octets 10-19 beyond the requested range"


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        pytest.param(
            0,
            4,
            "sent only part of what was asked; octets 5-9 are missing "
            "(allowed, but the client must ask again)",
            id="subset",
        ),
        pytest.param(0, 19, "sent octets 10-19 beyond the requested range", id="extra"),
    ],
)
def test_an_exact_branch_fails_a_span_a_lenient_one_warns(
    first: int, last: int, message: str
) -> None:
    """`exact` names one answer: another span is not that branch (FAIL, MUST); the same span
    on a branch without `exact` is a legal but imperfect 206 (WARN, SHOULD)."""
    lenient = checked(single(first, last), [(0, 9)])
    strict = checked(single(first, last), [(0, 9)], exact=True)
    assert [(f.check, f.grade, f.level, f.message) for f in lenient] == [
        ("coverage", Grade.WARN, Level.SHOULD, message)
    ]
    assert strict == [replace(lenient[0], grade=Grade.FAIL, level=Level.MUST)]


def test_an_exact_branch_fails_only_coverage_and_keeps_the_order_warning() -> None:
    """Parts out of request order are the same octets: still a SHOULD under `exact`."""
    answer = multipart_answer([(20, 29), (0, 9)])
    (finding,) = checked(answer, [(0, 9), (20, 29)], exact=True)
    assert (finding.check, finding.grade, finding.level) == ("order", Grade.WARN, Level.SHOULD)


EXACT = make_case("bytes=0-9", partial((0, 9)) + "        exact: true\n", IGNORED)
NOT_EXACT = make_case("bytes=0-9", partial((0, 9)), IGNORED)


def test_a_graded_exact_branch_with_the_wrong_span_fails_where_the_lenient_one_warns() -> None:
    """Through grade(): the same half-answer is FAIL on an exact branch, WARN otherwise."""
    answer = single(0, 4)
    strict, lenient = run(EXACT, answer), run(NOT_EXACT, answer)
    assert (strict.grade, strict.branch, checks(strict, Grade.FAIL)) == (
        Grade.FAIL,
        "partial",
        {"coverage"},
    )
    assert (lenient.grade, lenient.branch, checks(lenient, Grade.WARN)) == (
        Grade.WARN,
        "partial",
        {"coverage"},
    )
    assert run(EXACT, single()).grade is Grade.PASS


def test_the_bundled_lenient_branch_is_exact() -> None:
    """SYN-08 (`bytes =0-9`): serving 0-9 anyway is info; serving 0-4 is no allowed answer."""
    case = next(c for c in load_cases([bundled_cases_dir()]) if c.id == "SYN-08")
    value = "bytes =0-9"
    right = exchange(
        206, answer_headers(f"bytes 0-9/{LENGTH}", BODY[:10]), BODY[:10], range_value=value
    )
    wrong = exchange(
        206, answer_headers(f"bytes 0-4/{LENGTH}", BODY[:5]), BODY[:5], range_value=value
    )
    assert run(case, right).grade is Grade.INFO
    verdict = run(case, wrong)
    assert verdict.grade is Grade.FAIL
    assert [f.level for f in verdict.findings if f.check == "coverage"] == [Level.MUST]


def test_no_span_means_no_coverage_finding() -> None:
    """An unusable Content-Range is the one failure; nothing is said about what was covered."""
    findings = checked(single(**{"Content-Range": f"bytes 0-9/{LENGTH + 1}"}), [(0, 9)])
    assert summary(findings) == [
        ("content-range", Grade.FAIL, "complete length is not the representation's length")
    ]


# _single_part -----------------------------------------------------------------------------------


def test_a_single_part_without_content_range_fails_with_absent() -> None:
    (finding,) = checked(single(drop=("Content-Range",)), [(0, 9)])
    assert finding == Finding(
        "content-range",
        Grade.FAIL,
        "a single-part 206 carries exactly one Content-Range",
        Level.MUST,
        "15.3.7.1",
        "one Content-Range",
        "(absent)",
    )


def test_a_single_part_with_two_content_ranges_fails_and_lists_them() -> None:
    """Even two equal lines: which one holds is the recipient's guess."""
    headers = [
        *answer_headers(f"bytes 0-9/{LENGTH}", BODY[:10]).items(),
        ("Content-Range", f"bytes 0-9/{LENGTH}"),
    ]
    (finding,) = checked(exchange(206, headers, BODY[:10]), [(0, 9)])
    assert (finding.check, finding.actual) == (
        "content-range",
        f"bytes 0-9/{LENGTH}, bytes 0-9/{LENGTH}",
    )


def test_content_length_other_than_the_range_fails() -> None:
    """§15.3.7: Content-Length of a single part is the range's length."""
    findings = checked(single(**{"Content-Length": "11"}), [(0, 9)])
    assert findings == [
        Finding(
            "content-length",
            Grade.FAIL,
            "Content-Length 11 differs from the 10 octets Content-Range describes",
            Level.MUST,
            "15.3.7",
            "10",
            "11",
        )
    ]


@pytest.mark.parametrize("value", [None, "ten"])
def test_without_a_usable_content_length_nothing_is_compared(value: str | None) -> None:
    """No (or no valid) Content-Length: close-delimited or chunked; the framing audit speaks."""
    answer = (
        single(drop=("Content-Length",)) if value is None else single(**{"Content-Length": value})
    )
    assert checked(answer, [(0, 9)]) == []


def test_a_single_part_without_content_type_fails_without_if_range() -> None:
    """The 206 carries the 200's Content-Type (§15.3.7); missing reads as (absent)."""
    findings = check_partial(context(single(drop=("Content-Type",))), [(0, 9)])
    assert findings == [
        Finding(
            "content-type",
            Grade.FAIL,
            "a single-part 206 carries the 200's Content-Type",
            Level.MUST,
            "15.3.7",
            TYPE,
            "(absent)",
        )
    ]


def test_a_single_part_may_omit_content_type_after_if_range() -> None:
    """With If-Range the client holds the 200's fields; a sender SHOULD NOT repeat them."""
    ctx = context(single(drop=("Content-Type",)), has_if_range=True)
    assert check_partial(ctx, [(0, 9)]) == []


def test_a_different_content_type_fails_even_after_if_range() -> None:
    """Leaving it out is allowed; sending another one is not."""
    ctx = context(single(**{"Content-Type": "text/plain"}), has_if_range=True)
    (finding,) = check_partial(ctx, [(0, 9)])
    assert (finding.check, finding.grade, finding.expected, finding.actual) == (
        "content-type",
        Grade.FAIL,
        TYPE,
        "text/plain",
    )


def test_a_content_type_the_200_lacked_is_not_judged() -> None:
    """Nothing to compare with: the 200 carried no Content-Type."""
    baseline = replace(BASELINE, headers=tuple(h for h in BASE_HEADERS if h[0] != "Content-Type"))
    ctx = context(single(**{"Content-Type": "text/plain"}), baseline=baseline)
    assert check_partial(ctx, [(0, 9)]) == []


# partial_headers ---------------------------------------------------------------------------------


def missing(name: str, value: str) -> Finding:
    return Finding(
        "header",
        Grade.FAIL,
        f"the 200 carries {name} but this 206 does not",
        Level.MUST,
        "15.3.7",
        value,
        "(absent)",
    )


def test_a_206_with_the_200s_fields_has_no_header_finding() -> None:
    assert partial_headers(context(single())) == []


def test_a_206_missing_a_field_the_200_carries_fails() -> None:
    assert partial_headers(context(single(drop=("ETag",)))) == [missing("ETag", '"abc"')]


@pytest.mark.parametrize(
    ("compare_headers", "status"),
    [pytest.param(False, 200, id="other-form"), pytest.param(True, 404, id="baseline-not-200")],
)
def test_fields_are_compared_only_with_a_200_of_the_same_form(
    compare_headers: bool, status: int
) -> None:
    """A baseline of another negotiated form, or no 200 at all, says nothing about the 206."""
    answer = single(drop=("ETag",), ETag='"x"', **{"Accept-Ranges": "none"})
    ctx = context(
        answer, baseline=replace(BASELINE, status=status), compare_headers=compare_headers
    )
    assert partial_headers(ctx) == []


@pytest.mark.parametrize("status", [199, 201])
def test_only_a_200_baseline_is_compared(status: int) -> None:
    """Both sides of 200: a 199 or 201 baseline is no 200."""
    ctx = context(single(drop=("ETag",)), baseline=replace(BASELINE, status=status))
    assert partial_headers(ctx) == []


def test_without_if_range_the_representation_fields_are_required_too() -> None:
    """§15.3.7: Last-Modified (and Content-Encoding, -Language) too, unless If-Range was sent."""
    answer = single(drop=("Last-Modified",))
    expected = missing("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT")
    assert partial_headers(context(answer)) == [expected]
    assert partial_headers(context(answer, has_if_range=True)) == []


CODED = replace(BASELINE, headers=(*BASE_HEADERS, ("Content-Encoding", "gzip")))


def test_a_single_part_206_of_a_coded_200_carries_its_content_encoding() -> None:
    ctx = context(single(), baseline=CODED)
    assert partial_headers(ctx) == [missing("Content-Encoding", "gzip")]


@pytest.mark.parametrize(
    "content_type", ["multipart/byteranges; boundary=XYZ", "Multipart/Byteranges; boundary=XYZ"]
)
def test_a_multipart_206_is_not_asked_for_a_top_level_content_encoding(content_type: str) -> None:
    """Its placement in a multipart 206 is judged per part; every other field still counts."""
    answer = multipart_answer([(0, 9), (20, 29)], content_type=content_type)
    headers = tuple(h for h in answer.headers if h[0] not in ("ETag", "Last-Modified"))
    bare = Exchange(answer.request, 206, "", headers, answer.body)
    assert partial_headers(context(bare, baseline=CODED)) == [
        missing("ETag", '"abc"'),
        missing("Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"),
    ]


@pytest.mark.parametrize(
    ("name", "value", "baseline_value"),
    [
        ("ETag", '"other"', '"abc"'),
        ("Cache-Control", "no-store", "max-age=60"),
        ("Vary", "Accept", "Accept-Encoding"),
    ],
)
def test_a_field_differing_from_the_200s_warns(name: str, value: str, baseline_value: str) -> None:
    baseline = replace(BASELINE, headers=(*BASE_HEADERS, ("Vary", "Accept-Encoding")))
    answer = single(**{name: value, "Vary": "Accept-Encoding"} if name != "Vary" else {name: value})
    assert partial_headers(context(answer, baseline=baseline)) == [
        Finding(
            "header",
            Grade.WARN,
            f"the 206's {name} differs from the 200's",
            Level.SHOULD,
            "15.3.7",
            baseline_value,
            value,
        )
    ]


def test_a_field_only_one_side_carries_does_not_differ() -> None:
    """Missing on the 206 is the missing-field failure, not also a difference; a Vary the 200
    lacked is no difference either."""
    assert partial_headers(context(single(drop=("Cache-Control",), Vary="Accept"))) == [
        missing("Cache-Control", "max-age=60")
    ]


@pytest.mark.parametrize("value", ["none", " None "])
def test_accept_ranges_none_on_a_206_warns(value: str) -> None:
    assert partial_headers(context(single(**{"Accept-Ranges": value}))) == [
        Finding(
            "accept-ranges",
            Grade.WARN,
            "advertises 'Accept-Ranges: none' while serving a 206",
            Level.SHOULD,
            "14.3",
            None,
            "none",
        )
    ]


def test_a_206_without_accept_ranges_or_content_type_has_no_header_finding() -> None:
    """Neither is among the fields a 206 repeats; the Content-Type check is check_partial's."""
    assert partial_headers(context(single(drop=("Accept-Ranges", "Content-Type")))) == []
