"""conformance.grading.context: findings shown able to pass and to fail."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.grading.context import (
    Context,
    compare_bytes,
    declared_length,
    fail,
    missing_fields,
    warn,
)
from conformance.grading.truth import Truth
from conformance.model import Exchange, Finding, Grade, Level, SentRequest
from tests.helpers.grading import BASELINE, BODY, exchange


def _context(
    answer: Exchange | None = None,
    *,
    length: int | None = 1024,
    range_value: str | None = "bytes=0-9",
    truth: Truth | None = None,
) -> Context:
    baseline = replace(BASELINE, length=length)
    return Context(
        exchange=answer or exchange(206, {}, b""),
        baseline=baseline,
        truth=truth if truth is not None else Truth({0: BODY}),
        range_value=range_value,
        compare_headers=True,
        has_if_range=False,
        identity=baseline,
    )


def _requesting(*headers: tuple[str, str]) -> Exchange:
    return Exchange(SentRequest("GET", "http://t/r", headers), 206)


@pytest.mark.parametrize(("length", "expected"), [(1024, 1024), (0, 0), (None, 0)])
def test_length_is_the_baselines_or_zero_when_unknown(length: int | None, expected: int) -> None:
    """Checks do arithmetic on L: a baseline without a length counts as empty, not None."""
    assert _context(length=length).length == expected


@pytest.mark.parametrize(
    ("range_value", "several"),
    [
        pytest.param("bytes=0-9", False, id="one"),
        pytest.param("bytes=0-9,20-29", True, id="two"),
        pytest.param("bytes=,0-9", True, id="empty-element-counts"),
        pytest.param("0-9,20-29", False, id="no-unit"),
    ],
)
def test_several_ranges_are_counted_in_the_range_value(range_value: str, several: bool) -> None:
    """Elements are counted as sent after the `=`, so a one-part multipart answer to
    `bytes=,0-9` is allowed; without `=` the value names no ranges at all."""
    assert _context(range_value=range_value).several_ranges_requested is several


def test_without_a_range_value_the_legacy_request_range_counts() -> None:
    """RFC 9110 §14.6: the legacy Request-Range asks for ranges too (its name in any case)."""
    several = _requesting(("request-range", "bytes=0-9,20-29"))
    one = _requesting(("Request-Range", "bytes=0-9"))
    assert _context(several, range_value=None).several_ranges_requested is True
    assert _context(one, range_value=None).several_ranges_requested is False
    assert _context(_requesting(), range_value=None).several_ranges_requested is False


def test_the_first_request_range_counts_and_a_range_value_overrides_it() -> None:
    """Request-Range sent twice: the first line decides; a Range value, when given, decides
    instead of any Request-Range."""
    first_several = _requesting(
        ("Request-Range", "bytes=0-9,20-29"), ("Request-Range", "bytes=0-9")
    )
    first_one = _requesting(("Request-Range", "bytes=0-9"), ("Request-Range", "bytes=0-9,20-29"))
    assert _context(first_several, range_value=None).several_ranges_requested is True
    assert _context(first_one, range_value=None).several_ranges_requested is False
    assert _context(first_several, range_value="bytes=0-9").several_ranges_requested is False


def test_fail_is_a_broken_must_and_warn_a_broken_should() -> None:
    """The two ways every check reports, with the extras passed through."""
    assert fail("body", "wrong", "8.6", expected="1", actual="2") == Finding(
        "body", Grade.FAIL, "wrong", Level.MUST, "8.6", expected="1", actual="2"
    )
    assert warn("order", "reordered", "14.6", offset=3) == Finding(
        "order", Grade.WARN, "reordered", Level.SHOULD, "14.6", offset=3
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(["10"], 10, id="digits"),
        pytest.param([" 10\t"], 10, id="whitespace-around"),
        pytest.param(["0"], 0, id="zero"),
        pytest.param([], None, id="absent"),
        pytest.param(["10", "10"], None, id="repeated-even-if-equal"),
        pytest.param(["10", "11"], None, id="repeated"),
        pytest.param(["1x"], None, id="not-digits"),
        pytest.param(["-1"], None, id="signed"),
        pytest.param(["+1"], None, id="plus"),
        pytest.param([""], None, id="empty"),
        pytest.param(["1 0"], None, id="space-inside"),
        pytest.param(["\u0663"], None, id="non-ascii-digit"),
        pytest.param(["\u00b2"], None, id="superscript-digit"),
    ],
)
def test_declared_length_is_one_field_of_ascii_digits(
    values: list[str], expected: int | None
) -> None:
    """RFC 9110 §8.6: Content-Length = 1*DIGIT; a repeated or odd value declares nothing."""
    answer = exchange(200, [("Content-Length", v) for v in values], b"")
    assert declared_length(answer) == expected


def test_compare_bytes_is_silent_when_the_octets_match() -> None:
    """Octets equal to the representation's at `first` are no finding."""
    assert compare_bytes(_context(), BODY[5:15], 5, "body", "15.3.7.1") == []


def test_compare_bytes_fails_at_the_first_differing_octet() -> None:
    """The finding names the compared span, the offset within it and both sides' octets."""
    actual = BODY[5:14] + b"\x00"
    findings = compare_bytes(_context(), actual, 5, "body", "15.3.7.1")
    assert findings == [
        Finding(
            "body",
            Grade.FAIL,
            "content differs from the representation's octets 5-14",
            Level.MUST,
            "15.3.7.1",
            expected="10 octets; at 9: … 0a 0b 0c 0d 0e",
            actual="10 octets; first difference at octet 9 (absolute 14): … 0a 0b 0c 0d 00",
            offset=9,
        )
    ]


def test_compare_bytes_waits_for_octets_it_does_not_know() -> None:
    """Unknown octets are asked for, not judged: no finding, and exactly the span noted."""
    truth = Truth({0: BODY[:10]})
    assert compare_bytes(_context(truth=truth), b"\x00" * 10, 5, "body", "15.3.7.1") == []
    assert truth.missing == [(5, 14)]
    assert compare_bytes(_context(truth=truth), BODY[0:10], 0, "body", "15.3.7.1") == []
    assert truth.missing == [(5, 14)]


def test_missing_fields_are_those_the_200_carries_and_this_answer_lacks() -> None:
    """Only a field the baseline has and the answer leaves out is missing."""
    answer = exchange(206, {"ETag": '"abc"'}, b"")
    names = ("ETag", "Cache-Control", "Vary")  # the baseline has no Vary
    assert missing_fields(_context(answer), names, "206", "15.3.7") == [
        Finding(
            "header",
            Grade.FAIL,
            "the 200 carries Cache-Control but this 206 does not",
            Level.MUST,
            "15.3.7",
            expected="max-age=60",
            actual="(absent)",
        )
    ]
