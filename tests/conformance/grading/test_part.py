"""conformance.grading.part: findings shown able to pass and to fail."""

from __future__ import annotations

import pytest

from conformance.grading.part import content_range_findings, part_content_findings
from conformance.model import Finding, Grade, Level
from tests.helpers.grading import BODY, LENGTH, context

EXPECTED = f"bytes first-last/{LENGTH}"


def failed(message: str, value: str) -> Finding:
    return Finding("cr", Grade.FAIL, message, Level.MUST, "14.4", EXPECTED, value)


# content_range_findings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        f"bytes 0-9/{LENGTH}",
        f"BYTES 0-9/{LENGTH}",  # range units compare case-insensitively (§14.1)
        f" bytes 0-0/{LENGTH}\t",
        f"bytes {LENGTH - 1}-{LENGTH - 1}/{LENGTH}",  # last-pos = L-1: the last octet, allowed
    ],
)
def test_a_valid_content_range_has_no_finding_and_is_returned(value: str) -> None:
    """Every check has a passing side: nothing said, and the parsed value handed back."""
    findings, parsed = content_range_findings(context(), value, "cr")
    assert findings == []
    assert parsed is not None
    assert parsed.complete_length == LENGTH


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(f"bytes=0-9/{LENGTH}", "Content-Range is not valid syntax", id="syntax"),
        pytest.param(
            f"items 0-9/{LENGTH}", "unit 'items' in answer to a bytes request", id="other-unit"
        ),
        pytest.param(
            f"bytes */{LENGTH}", "a 206 cannot carry the unsatisfied form */length", id="unsat"
        ),
        pytest.param(
            f"bytes 9-0/{LENGTH}", "last-pos 0 is less than first-pos 9", id="last-before-first"
        ),
        pytest.param(
            f"bytes 0-{LENGTH}/{LENGTH}",
            f"complete-length {LENGTH} is not greater than last-pos {LENGTH}",
            id="last-pos-is-L",
        ),
        pytest.param(
            f"bytes 0-9/{LENGTH + 1}",
            "complete length is not the representation's length",
            id="complete-length-above",
        ),
        pytest.param(
            f"bytes 0-9/{LENGTH - 1}",
            "complete length is not the representation's length",
            id="complete-length-below",
        ),
    ],
)
def test_an_invalid_content_range_is_one_failure_and_no_span(value: str, message: str) -> None:
    """A 206 part whose Content-Range breaks §14.4 fails once, and its octets are not judged."""
    assert content_range_findings(context(), value, "cr") == ([failed(message, value)], None)


def test_an_unknown_complete_length_warns_and_still_yields_the_span() -> None:
    """'*' is legal syntax but odd for a representation of known length: a SHOULD, parts judged."""
    value = f"bytes {LENGTH - 10}-{LENGTH - 1}/*"  # last-pos = L-1: still inside
    findings, parsed = content_range_findings(context(), value, "cr")
    assert findings == [
        Finding(
            "cr",
            Grade.WARN,
            "complete length '*' on a representation whose length is known",
            Level.SHOULD,
            "14.4",
            EXPECTED,
            value,
        )
    ]
    assert parsed is not None
    assert (parsed.first, parsed.last) == (LENGTH - 10, LENGTH - 1)


@pytest.mark.parametrize("last", [LENGTH, LENGTH + 5])
def test_an_unknown_complete_length_past_the_end_fails(last: int) -> None:
    """With '*' nothing else catches last-pos >= L; the part claims octets that do not exist
    (before the fix it only warned, and asked the engine for octets no oracle can give)."""
    value = f"bytes {LENGTH - 10}-{last}/*"
    findings = content_range_findings(context(), value, "cr")
    assert findings == ([failed("range ends past the representation", value)], None)


# part_content_findings --------------------------------------------------------------------------


def test_exactly_the_promised_octets_pass() -> None:
    """size = last - first + 1: ten octets for 10-19, compared with the representation's."""
    assert part_content_findings(context(), BODY[10:20], (10, 19), "body", capped=False) == []


def test_a_one_octet_part_passes() -> None:
    """first = last is one octet, not zero."""
    assert part_content_findings(context(), BODY[5:6], (5, 5), "body", capped=False) == []


@pytest.mark.parametrize("size", [9, 11])
def test_a_complete_read_of_the_wrong_size_fails_with_its_count(size: int) -> None:
    """Not capped: every octet arrived, so one short or one over both fail."""
    content = BODY[10 : 10 + size]
    findings = part_content_findings(context(), content, (10, 19), "body", capped=False)
    assert findings[0] == Finding(
        "body",
        Grade.FAIL,
        f"{size} octets of content where Content-Range 10-19 promises 10",
        Level.MUST,
        "15.3.7.1",
        "10",
        str(size),
    )
    assert len(findings) == 1  # the octets themselves (the promised prefix) are right


def test_a_capped_read_at_or_below_the_promise_is_not_judged_on_size() -> None:
    """Capped: reading stopped, so fewer octets (or exactly the promised ones) prove nothing."""
    for content in (BODY[10:15], BODY[10:20]):
        assert part_content_findings(context(), content, (10, 19), "body", capped=True) == []


def test_a_capped_read_past_the_promise_fails_as_more_than() -> None:
    """Capped with one octet over: the server sent at least that many, more than promised."""
    findings = part_content_findings(context(), BODY[10:21], (10, 19), "body", capped=True)
    assert findings == [
        Finding(
            "body",
            Grade.FAIL,
            "more than 11 octets of content (reading stopped there) "
            "where Content-Range 10-19 promises 10",
            Level.MUST,
            "15.3.7.1",
            "10",
            "more than 11",
        )
    ]


def test_wrong_octets_fail_at_their_offset() -> None:
    """The promised prefix is compared with the representation's octets at `first`."""
    content = BODY[10:15] + b"\xff" + BODY[16:20]
    (finding,) = part_content_findings(context(), content, (10, 19), "part 1/2", capped=False)
    assert (finding.check, finding.grade, finding.offset) == ("part 1/2", Grade.FAIL, 5)
    assert finding.message == "content differs from the representation's octets 10-19"


def test_only_the_promised_prefix_is_compared() -> None:
    """Octets past the promise are a size failure, not also a content one."""
    content = BODY[10:20] + b"\xff\xff"
    findings = part_content_findings(context(), content, (10, 19), "body", capped=False)
    assert [f.actual for f in findings] == ["12"]


def test_an_empty_part_fails_on_size_only() -> None:
    """No octets: nothing to compare, the size says it all."""
    findings = part_content_findings(context(), b"", (10, 19), "body", capped=False)
    assert [(f.check, f.expected, f.actual) for f in findings] == [("body", "10", "0")]
