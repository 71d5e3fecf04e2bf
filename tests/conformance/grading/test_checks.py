"""conformance.grading.checks: findings shown able to pass and to fail.

Most tests call a check directly on a `Context` built the way `grade` builds one, and compare the
whole list of findings, so a finding that goes missing, appears, or changes its text, grade or
section shows. A few grade whole exchanges to show the branch picks the check.
"""

from __future__ import annotations

import pytest

from conformance.grading.checks import (
    check_etag_distinct,
    check_expectation,
    check_full,
    check_not_modified,
    check_unsatisfied,
)
from conformance.model import (
    ByteSpan,
    Expectation,
    Finding,
    Grade,
    Level,
    Position,
    Representation,
)
from tests.helpers.grading import (
    BASE_HEADERS,
    BASELINE,
    BODY,
    LENGTH,
    context,
    exchange,
    make_case,
    partial_headers,
    run,
)

MULTIPART_TYPE = "multipart/byteranges; boundary=XYZ"
WHOLE = f"{LENGTH}"  # the representation's length as a field value
NOT_MODIFIED = """\
      - branch: not-modified
        status: 304
        not_modified: true
"""


def fields(**changes: str | None) -> dict[str, str]:
    """The baseline's fields with some replaced (`Content_Length=`) or dropped (None)."""
    headers = dict(BASE_HEADERS)
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value
    return headers


def must(check: str, message: str, rfc: str, **extra: str | int | None) -> Finding:
    """The FAIL a check reports for a MUST broken."""
    return Finding(check, Grade.FAIL, message, Level.MUST, rfc, **extra)  # type: ignore[arg-type]


def should(check: str, message: str, rfc: str, **extra: str | int | None) -> Finding:
    """The WARN a check reports for a SHOULD not followed."""
    return Finding(check, Grade.WARN, message, Level.SHOULD, rfc, **extra)  # type: ignore[arg-type]


def branch(**flags: object) -> Expectation:
    """A branch that allows any status, with only the checks named."""
    return Expectation("b", (), **flags)  # type: ignore[arg-type]


# --- check_expectation: each flag of a branch runs its check, and only then -----------------------


def test_a_branch_asking_for_nothing_finds_nothing_in_a_broken_answer() -> None:
    """Every check is opt-in: a 200 that breaks all of them passes a branch that names none."""
    answer = exchange(
        200,
        fields(Content_Type=MULTIPART_TYPE, Content_Length="5", Accept_Ranges=None),
        b"wrong",  # content of the wrong length and octets, where none might be allowed
    )  # and the ETag is the identity form's own, which etag_distinct would fail
    assert check_expectation(branch(), context(answer)) == []


def test_a_full_branch_grades_the_200() -> None:
    """`full` runs check_full: a 200 of ten octets is not the whole representation."""
    body = BODY[:10]
    answer = exchange(200, fields(Content_Length="10"), body)
    assert check_expectation(branch(full=True), context(answer)) == [
        must(
            "content-length",
            "Content-Length of a 200 is not the representation's length",
            "8.6",
            expected=WHOLE,
            actual="10",
        ),
        must(
            "body",
            f"200 content is 10 octets; the representation has {LENGTH}",
            "15.3.1",
            expected=WHOLE,
            actual="10",
        ),
    ]


def test_a_partial_branch_grades_the_206_against_its_spans() -> None:
    """`partial` runs check_partial with the branch's spans: shifted octets fail at offset 0."""
    body = BODY[1:11]
    answer = exchange(206, partial_headers(f"bytes 0-9/{LENGTH}", body), body)
    expectation = branch(partial=(ByteSpan(Position(0), Position(9)),))
    (finding,) = check_expectation(expectation, context(answer))
    assert (finding.check, finding.grade, finding.rfc, finding.offset) == (
        "body",
        Grade.FAIL,
        "15.3.7.1",
        0,
    )
    assert finding.message == "content differs from the representation's octets 0-9"


def test_an_unsatisfied_branch_grades_the_416() -> None:
    """`unsatisfied` runs check_unsatisfied: a 416 without Content-Range is warned about."""
    answer = exchange(416, {}, b"")
    assert check_expectation(branch(unsatisfied=True), context(answer)) == [
        should(
            "content-range",
            "416 without Content-Range",
            "15.5.17",
            expected=f"bytes */{LENGTH}",
            actual="(absent)",
        )
    ]


def test_a_not_modified_branch_grades_the_304() -> None:
    """`not_modified` runs check_not_modified: a 304 with content fails."""
    answer = exchange(304, fields(), b"abc")
    assert check_expectation(branch(not_modified=True), context(answer)) == [
        must("no-content", "a 304 has no content", "15.4.5", actual="3 octets")
    ]


def test_content_where_a_branch_allows_none_fails() -> None:
    """`no_content` (a HEAD answer, RFC 9110 §9.3.2): three octets of content fail."""
    answer = exchange(200, fields(), b"abc")
    assert check_expectation(branch(no_content=True), context(answer)) == [
        must(
            "no-content",
            "sent 3 octets of content where none may be sent",
            "9.3.2",
            expected="no content",
        )
    ]


def test_no_content_where_a_branch_allows_none_passes() -> None:
    """`no_content` with an empty body finds nothing."""
    answer = exchange(200, fields(Content_Length=WHOLE), b"")
    assert check_expectation(branch(no_content=True), context(answer)) == []


@pytest.mark.parametrize(
    "declared",
    [
        pytest.param(str(LENGTH - 1), id="one-short"),
        pytest.param(str(LENGTH + 1), id="one-over"),
        pytest.param("1o24", id="not-a-number"),
    ],
)
def test_a_content_length_other_than_the_get_s_fails(declared: str) -> None:
    """`content_length: L` (a HEAD's, RFC 9110 §8.6): any other value, on either side, fails."""
    answer = exchange(200, fields(Content_Length=declared), b"")
    expectation = branch(content_length=Position(0, from_length=True))
    assert check_expectation(expectation, context(answer)) == [
        must(
            "content-length",
            "Content-Length differs from what the corresponding GET would send",
            "8.6",
            expected=WHOLE,
            actual=declared,
        )
    ]


@pytest.mark.parametrize(
    "declared",
    [pytest.param(WHOLE, id="the-get-s"), pytest.param(None, id="absent")],
)
def test_a_content_length_equal_to_the_get_s_or_none_passes(declared: str | None) -> None:
    """`content_length: L`: the GET's value passes, and so does sending none (a MAY)."""
    answer = exchange(200, fields(Content_Length=declared), b"")
    expectation = branch(content_length=Position(0, from_length=True))
    assert check_expectation(expectation, context(answer)) == []


def test_an_etag_distinct_branch_fails_a_coded_form_sharing_the_identity_etag() -> None:
    """`etag_distinct` runs check_etag_distinct against the identity form's ETag."""
    answer = exchange(200, fields(), BODY)
    assert [f.check for f in check_expectation(branch(etag_distinct=True), context(answer))] == [
        "etag"
    ]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("bytes", id="alone"),
        pytest.param("none,\tBytes ", id="in-a-list-any-case"),
    ],
)
def test_a_field_listing_the_wanted_token_passes(value: str) -> None:
    """`header_tokens`: the token anywhere in the comma list, case and OWS aside."""
    answer = exchange(200, fields(Accept_Ranges=value), BODY)
    expectation = branch(header_tokens=(("Accept-Ranges", "bytes"),))
    assert check_expectation(expectation, context(answer)) == []


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("none", "none", id="other-token"),
        pytest.param("bytesx, by tes", "bytesx, by tes", id="near-misses"),
        pytest.param(None, "(absent)", id="absent"),
    ],
)
def test_a_field_not_listing_the_wanted_token_fails_under_14_3(
    value: str | None, shown: str
) -> None:
    """`header_tokens` without an rfc of the branch's own cites §14.3 (Accept-Ranges)."""
    answer = exchange(200, fields(Accept_Ranges=value), BODY)
    expectation = branch(header_tokens=(("Accept-Ranges", "bytes"),))
    assert check_expectation(expectation, context(answer)) == [
        must(
            "header",
            "Accept-Ranges does not list 'bytes'",
            "14.3",
            expected="Accept-Ranges: bytes",
            actual=shown,
        )
    ]


def test_a_missing_token_cites_the_branch_s_own_section() -> None:
    """`header_tokens` with the branch's rfc: that section, not the default."""
    answer = exchange(200, fields(Vary="Range"), BODY)
    expectation = branch(header_tokens=(("Vary", "Accept-Encoding"),), rfc="15.3.7")
    assert check_expectation(expectation, context(answer)) == [
        must(
            "header",
            "Vary does not list 'Accept-Encoding'",
            "15.3.7",
            expected="Vary: Accept-Encoding",
            actual="Range",
        )
    ]


def test_a_field_the_branch_needs_present_passes_when_sent() -> None:
    """`headers_present`: the field sent, whatever its value, finds nothing."""
    answer = exchange(200, fields(), BODY)
    assert check_expectation(branch(headers_present=("Date", "ETag")), context(answer)) == []


@pytest.mark.parametrize(
    ("rfc", "cited"),
    [pytest.param(None, "15.3.7", id="default"), pytest.param("6.6.1", "6.6.1", id="own")],
)
def test_a_field_the_branch_needs_present_fails_when_missing(rfc: str | None, cited: str) -> None:
    """`headers_present`: a missing field fails, citing the branch's rfc or §15.3.7."""
    answer = exchange(200, fields(Date=None), BODY)
    expectation = branch(headers_present=("Date", "ETag"), rfc=rfc)
    assert check_expectation(expectation, context(answer)) == [
        must("header", "Date is missing", cited, expected="Date present", actual="(absent)")
    ]


def test_a_field_the_branch_forbids_passes_when_not_sent() -> None:
    """`headers_absent`: the field left out finds nothing."""
    answer = exchange(200, fields(), BODY)
    assert check_expectation(branch(headers_absent=("Content-Range",)), context(answer)) == []


@pytest.mark.parametrize(
    ("rfc", "cited"),
    [pytest.param(None, "15.3.7", id="default"), pytest.param("14.4", "14.4", id="own")],
)
def test_a_field_the_branch_forbids_fails_when_sent(rfc: str | None, cited: str) -> None:
    """`headers_absent`: a field sent anyway fails with its value, citing rfc or §15.3.7."""
    answer = exchange(200, fields(Content_Range=f"bytes 0-9/{LENGTH}"), BODY)
    expectation = branch(headers_absent=("Content-Range",), rfc=rfc)
    assert check_expectation(expectation, context(answer)) == [
        must(
            "header",
            "Content-Range must not be sent here",
            cited,
            expected="(absent)",
            actual=f"bytes 0-9/{LENGTH}",
        )
    ]


# --- check_etag_distinct: different octets need different strong validators -----------------------

GZIP = Representation("main", "http://t/r", 200, (("ETag", '"abc-gz"'),), 700)


def test_a_coded_form_sharing_the_identity_s_strong_etag_fails() -> None:
    """One strong ETag for two different sets of octets lets If-Range splice them (§8.8.3)."""
    answer = exchange(200, fields(ETag='"abc"'), b"")
    assert check_etag_distinct(context(answer, baseline=GZIP, identity=BASELINE)) == [
        must(
            "etag",
            "the coded and the identity forms share one strong ETag, so "
            "If-Range and resumption would splice different octets",
            "8.8.3",
            expected='an ETag other than "abc", or a weak one',
            actual='"abc"',
        )
    ]


@pytest.mark.parametrize(
    ("sent", "identity_etag"),
    [
        pytest.param('"abc-gz"', '"abc"', id="distinct-strong"),
        pytest.param('W/"abc"', 'W/"abc"', id="shared-but-weak"),
        pytest.param(None, '"abc"', id="coded-form-has-none"),
        pytest.param('"abc"', None, id="identity-form-has-none"),
    ],
)
def test_a_coded_form_s_etag_that_cannot_be_confused_passes(
    sent: str | None, identity_etag: str | None
) -> None:
    """Distinct, weak (never used for ranges), or nothing to compare: no finding."""
    identity_headers = () if identity_etag is None else (("ETag", identity_etag),)
    identity = Representation("main", "http://t/r", 200, identity_headers, LENGTH)
    answer = exchange(200, fields(ETag=sent), b"")
    assert check_etag_distinct(context(answer, baseline=GZIP, identity=identity)) == []


# --- check_full: a 200 with the whole representation ----------------------------------------------


def test_the_whole_representation_in_a_200_passes() -> None:
    """Every octet, Content-Length L, a plain media type: nothing to report, nothing missing."""
    ctx = context(exchange(200, fields(Content_Length=WHOLE), BODY))
    assert check_full(ctx) == []
    assert ctx.truth.missing == []


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param(None, id="absent"),
        pytest.param("garbage", id="malformed"),
        pytest.param("multipart/mixed; boundary=XYZ", id="other-multipart"),
    ],
)
def test_a_200_that_is_not_multipart_byteranges_passes(content_type: str | None) -> None:
    """Only the two byteranges types are wrong on a 200; an absent or odd one is not graded."""
    assert check_full(context(exchange(200, fields(Content_Type=content_type), BODY))) == []


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param(MULTIPART_TYPE, id="byteranges"),
        pytest.param("Multipart/X-ByteRanges; boundary=XYZ", id="legacy-any-case"),
    ],
)
def test_a_multipart_byteranges_200_fails(content_type: str) -> None:
    """A 200 carries the representation itself, never multipart/byteranges (§14.6)."""
    answer = exchange(200, fields(Content_Type=content_type), BODY)
    assert check_full(context(answer)) == [
        must(
            "content-type",
            "a 200 must not be multipart/byteranges",
            "14.6",
            actual=content_type,
        )
    ]


@pytest.mark.parametrize(
    "declared",
    [pytest.param(LENGTH - 1, id="one-short"), pytest.param(LENGTH + 1, id="one-over")],
)
def test_a_200_declaring_another_length_than_the_representation_s_fails(declared: int) -> None:
    """Content-Length of a 200 is L: one off on either side fails (the octets are right)."""
    answer = exchange(200, fields(Content_Length=str(declared)), BODY)
    assert check_full(context(answer)) == [
        must(
            "content-length",
            "Content-Length of a 200 is not the representation's length",
            "8.6",
            expected=WHOLE,
            actual=str(declared),
        )
    ]


@pytest.mark.parametrize(
    "declared",
    [pytest.param(None, id="absent"), pytest.param("1o24", id="not-a-number")],
)
def test_a_200_without_a_usable_content_length_is_not_graded_on_it(declared: str | None) -> None:
    """No Content-Length, or none that parses: framing is the audit's business, not this one's."""
    assert check_full(context(exchange(200, fields(Content_Length=declared), BODY))) == []


@pytest.mark.parametrize(
    "size",
    [pytest.param(LENGTH - 1, id="one-short"), pytest.param(LENGTH + 1, id="one-over")],
)
def test_a_200_with_other_than_l_octets_read_whole_fails(size: int) -> None:
    """Read to its end, a 200 holds exactly L octets: one off on either side fails, once."""
    body = (BODY + b"\x00")[:size]
    assert check_full(context(exchange(200, fields(), body))) == [
        must(
            "body",
            f"200 content is {size} octets; the representation has {LENGTH}",
            "15.3.1",
            expected=WHOLE,
            actual=str(size),
        )
    ]


def test_a_capped_200_shorter_than_l_is_graded_on_its_prefix_only() -> None:
    """Reading stopped before L: the rest is unknown, so only the octets read are compared."""
    assert check_full(context(exchange(200, fields(), BODY[:100], capped=True))) == []


@pytest.mark.parametrize(
    "size",
    [pytest.param(LENGTH, id="exactly-l"), pytest.param(LENGTH + 1, id="beyond-l")],
)
def test_a_capped_200_of_l_octets_or_more_fails_as_too_long(size: int) -> None:
    """Capped means more arrived than was kept: L octets kept (or more) means over L sent."""
    body = (BODY + b"\x00")[:size]
    assert check_full(context(exchange(200, fields(), body, capped=True))) == [
        must(
            "body",
            f"more than {size} octets of 200 content "
            f"(reading stopped there); the representation has {LENGTH}",
            "15.3.1",
            expected=WHOLE,
            actual=f"more than {size}",
        )
    ]


def test_a_200_with_a_wrong_octet_fails_at_its_offset() -> None:
    """The octets are compared from position 0: the last one changed is found at L-1."""
    body = BODY[:-1] + b"\x00"
    (finding,) = check_full(context(exchange(200, fields(), body)))
    assert (finding.check, finding.grade, finding.level, finding.rfc, finding.offset) == (
        "body",
        Grade.FAIL,
        Level.MUST,
        "15.3.1",
        LENGTH - 1,
    )
    assert finding.message == f"content differs from the representation's octets 0-{LENGTH - 1}"


# --- check_unsatisfied: a 416 says `bytes */L` ----------------------------------------------------


def unsatisfied(*content_ranges: str) -> list[Finding]:
    """check_unsatisfied on a 416 carrying these Content-Range lines."""
    headers = [("Date", "Mon, 01 Jan 2024 00:00:00 GMT")]
    headers += [("Content-Range", value) for value in content_ranges]
    return check_unsatisfied(context(exchange(416, headers, b"", range_value=f"bytes={LENGTH}-")))


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(f"bytes */{LENGTH}", id="canonical"),
        pytest.param(f"BYTES */{LENGTH}", id="unit-any-case"),
    ],
)
def test_a_416_with_the_unsatisfied_range_form_and_l_passes(value: str) -> None:
    """`bytes */L` (the unit is case-insensitive, §14.1) is what §15.5.17 asks for."""
    assert unsatisfied(value) == []


def test_a_416_without_content_range_warns() -> None:
    """§15.5.17: a 416 SHOULD carry Content-Range."""
    assert unsatisfied() == [
        should(
            "content-range",
            "416 without Content-Range",
            "15.5.17",
            expected=f"bytes */{LENGTH}",
            actual="(absent)",
        )
    ]


@pytest.mark.parametrize(
    ("lines", "shown"),
    [
        pytest.param(("garbage",), "garbage", id="garbage"),
        pytest.param(
            (f"bytes */{LENGTH}", f"bytes */{LENGTH}"),
            f"bytes */{LENGTH}, bytes */{LENGTH}",
            id="sent-twice",
        ),
    ],
)
def test_a_416_with_an_invalid_content_range_fails(lines: tuple[str, ...], shown: str) -> None:
    """Not the grammar of §14.4, or two values of a singleton field: invalid, shown whole."""
    assert unsatisfied(*lines) == [
        must(
            "content-range",
            "invalid Content-Range on 416",
            "14.4",
            expected=f"bytes */{LENGTH}",
            actual=shown,
        )
    ]


def test_a_416_in_another_range_unit_fails() -> None:
    """A bytes request is answered in bytes (§14.4)."""
    assert unsatisfied(f"items */{LENGTH}") == [
        must(
            "content-range",
            "unit 'items' in answer to a bytes request",
            "14.4",
            expected=f"bytes */{LENGTH}",
            actual=f"items */{LENGTH}",
        )
    ]


@pytest.mark.parametrize(
    "complete", [pytest.param(LENGTH - 1, id="one-short"), pytest.param(LENGTH + 1, id="one-over")]
)
def test_a_416_stating_another_complete_length_fails(complete: int) -> None:
    """The complete length of a 416 is the current L; one off on either side fails."""
    assert unsatisfied(f"bytes */{complete}") == [
        must(
            "content-range",
            "416 states a complete length that is not the representation's",
            "14.4",
            expected=f"bytes */{LENGTH}",
            actual=f"bytes */{complete}",
        )
    ]


def test_a_416_with_a_satisfied_range_form_warns() -> None:
    """`bytes 0-9/L` on a 416 names a range that was not served: the `*/L` form is asked for."""
    assert unsatisfied(f"bytes 0-9/{LENGTH}") == [
        should(
            "content-range",
            "416 should carry the unsatisfied-range form",
            "14.4",
            expected=f"bytes */{LENGTH}",
            actual=f"bytes 0-9/{LENGTH}",
        )
    ]


# --- check_not_modified: a 304 (RFC 9110 §15.4.5, §8.6) -------------------------------------------


def not_modified(body: bytes = b"", **changes: str | None) -> list[Finding]:
    """check_not_modified on a 304 with the baseline's fields, some changed, and `body`."""
    headers = fields(Content_Type=None, Last_Modified=None, Accept_Ranges=None, **changes)
    answer = exchange(304, headers, body, extra_request=(("If-None-Match", '"abc"'),))
    return check_not_modified(context(answer))


def test_a_304_without_content_or_content_length_passes() -> None:
    """No content, no Content-Length (a MAY), the 200's Date, ETag and Cache-Control."""
    assert not_modified() == []


def test_a_304_whose_content_length_is_the_representation_s_passes() -> None:
    """§8.6: a 304 may carry Content-Length when it is the 200's length, L."""
    assert not_modified(Content_Length=WHOLE) == []


@pytest.mark.parametrize(
    "declared",
    [
        pytest.param(str(LENGTH - 1), id="one-short"),
        pytest.param(str(LENGTH + 1), id="one-over"),
        pytest.param("10", id="the-range-s"),
        pytest.param("0", id="its-own-empty-content"),
        pytest.param("1o24", id="not-a-number"),
    ],
)
def test_a_304_whose_content_length_differs_from_the_representation_fails(declared: str) -> None:
    """§8.6: any Content-Length of a 304 but L fails, the range's and 0 included."""
    assert not_modified(Content_Length=declared) == [
        must(
            "content-length",
            "Content-Length of a 304 must be the 200's, not the range's",
            "8.6",
            expected=WHOLE,
            actual=declared,
        )
    ]


def test_a_304_carrying_content_fails() -> None:
    """§15.4.5: a 304 cannot contain content."""
    assert not_modified(b"abc") == [
        must("no-content", "a 304 has no content", "15.4.5", actual="3 octets")
    ]


def test_a_304_leaving_out_a_validator_the_200_carries_fails() -> None:
    """§15.4.5: the 304 repeats the ETag (and Date, Cache-Control, ...) the 200 would send."""
    assert not_modified(ETag=None) == [
        must(
            "header",
            "the 200 carries ETag but this 304 does not",
            "15.4.5",
            expected='"abc"',
            actual="(absent)",
        )
    ]


PRE = make_case("bytes=0-9", NOT_MODIFIED)


@pytest.mark.parametrize(
    ("declared", "grade", "failed"),
    [
        pytest.param(WHOLE, Grade.PASS, [], id="matching"),
        pytest.param("10", Grade.FAIL, ["content-length"], id="mismatching"),
    ],
)
def test_a_graded_304_carrying_content_length(
    declared: str, grade: Grade, failed: list[str]
) -> None:
    """Through grade: the not-modified branch passes Content-Length L and fails any other."""
    headers = fields(Content_Type=None, Last_Modified=None, Content_Length=declared)
    verdict = run(PRE, exchange(304, headers, b""))
    assert (verdict.grade, verdict.branch) == (grade, "not-modified")
    assert [f.check for f in verdict.findings] == failed
