"""Header fields servers send back: Content-Range values and media types."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.grading.fields import (
    ContentRange,
    content_range_problem,
    format_content_range,
    parse_content_range,
    parse_media_type,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("bytes 0-9/1000", ContentRange("bytes", 0, 9, 1000), id="plain"),
        pytest.param("bytes */1000", ContentRange("bytes", None, None, 1000), id="unsatisfied"),
        pytest.param("bytes 0-9/*", ContentRange("bytes", 0, 9, None), id="unknown-length"),
        pytest.param("BYTES 0-9/1000", ContentRange("BYTES", 0, 9, 1000), id="unit-is-a-token"),
        pytest.param("bytes */0", ContentRange("bytes", None, None, 0), id="unsatisfied-empty"),
        pytest.param("bytes 007-9/10", ContentRange("bytes", 7, 9, 10), id="leading-zeros"),
        pytest.param(" bytes 0-9/10\t", ContentRange("bytes", 0, 9, 10), id="field-ows-dropped"),
        pytest.param("x-unit 1-2/3", ContentRange("x-unit", 1, 2, 3), id="other-unit"),
        pytest.param(
            f"bytes 0-{'9' * 5000}/1{'0' * 5000}",
            ContentRange("bytes", 0, 10**5000 - 1, 10**5000),
            id="huge-numbers",
        ),
    ],
)
def test_parse_content_range_valid(value: str, expected: ContentRange) -> None:
    assert parse_content_range(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("bytes=0-9/1000", id="equals-sign"),
        pytest.param("bytes  0-9/1000", id="two-spaces"),
        pytest.param("bytes\t0-9/1000", id="tab-not-sp"),
        pytest.param("bytes0-9/1000", id="no-space"),
        pytest.param("bytes 0-9", id="no-length"),
        pytest.param("bytes +0-9/10", id="plus-sign"),
        pytest.param("bytes -1-9/10", id="minus-sign"),
        pytest.param("bytes 0-9/1_000", id="underscore"),
        pytest.param("bytes \uff10-9/10", id="fullwidth-digit"),
        pytest.param("bytes \u0660-9/10", id="arabic-indic-digit"),
        pytest.param("bytes 0 - 9/10", id="spaces-around-dash"),
        pytest.param("bytes 0-9 / 10", id="spaces-around-slash"),
        pytest.param("bytes */*", id="unsatisfied-star"),
        pytest.param("bytes -9/10", id="suffix-form"),
        pytest.param("bytes 0-/10", id="open-range"),
        pytest.param("bytes 0-9/10, 20-29/10", id="list"),
        pytest.param("0-9/10", id="no-unit"),
        pytest.param("bytes 0x0-9/10", id="hex"),
        pytest.param("bytes 0-9/10\n", id="trailing-newline"),
        pytest.param("", id="empty"),
    ],
)
def test_parse_content_range_invalid(value: str) -> None:
    assert parse_content_range(value) is None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        pytest.param("bytes 0-9/1000", None, id="fine"),
        pytest.param("bytes 0-9/*", None, id="fine-unknown-length"),
        pytest.param("bytes */0", None, id="fine-unsatisfied"),
        pytest.param("bytes 9-0/10", "last-pos 0 is less than first-pos 9", id="reversed"),
        pytest.param(
            "bytes 0-10/10", "complete-length 10 is not greater than last-pos 10", id="past-end"
        ),
        pytest.param(
            "bytes 9-5/3",
            "last-pos 5 is less than first-pos 9; complete-length 3 is not greater than last-pos 5",
            id="both",
        ),
    ],
)
def test_content_range_problem(value: str, problem: str | None) -> None:
    parsed = parse_content_range(value)
    assert parsed is not None
    assert content_range_problem(parsed) == problem


def test_content_range_properties() -> None:
    assert ContentRange("bytes", 0, 9, 10).length == 10
    assert ContentRange("bytes", 5, 9, 10).length == 5
    assert not ContentRange("bytes", 0, 9, 10).is_unsatisfied
    assert ContentRange("bytes", None, None, 10).length is None
    assert ContentRange("bytes", None, None, 10).is_unsatisfied


@pytest.mark.parametrize(
    "half", [ContentRange("bytes", 5, None, 10), ContentRange("bytes", None, 5, 10)]
)
def test_a_value_missing_either_position_is_the_unsatisfied_form(half: ContentRange) -> None:
    """The parser never builds one, but every reader of the class agrees on what it means."""
    assert half.is_unsatisfied
    assert half.length is None
    assert content_range_problem(half) is None
    assert format_content_range(half) == "bytes */10"


LOWEST = sys.int_info.str_digits_check_threshold  # the lowest digit limit Python accepts


@pytest.fixture
def lowest_digit_limit() -> Iterator[None]:
    """int() and str() at the strictest limit an embedding application may set."""
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(LOWEST)
    yield
    sys.set_int_max_str_digits(before)


def _digits(count: int) -> str:
    rng = random.Random(count)
    return str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(count - 1))


@pytest.mark.usefixtures("lowest_digit_limit")
@pytest.mark.parametrize(
    "digits",
    [
        *(_digits(n) for n in (1, LOWEST - 1, LOWEST, LOWEST + 1, 2 * LOWEST, 3 * LOWEST + 7)),
        "9" * LOWEST,
        "1" + "0" * LOWEST,
        "1" + "0" * (2 * LOWEST),
        "0" * (LOWEST + 1) + "42",
    ],
    ids=lambda digits: f"{len(digits)}-digits",
)
def test_numbers_of_any_length_read_and_print_exactly(digits: str) -> None:
    """Past the interpreter's digit limit too: the grammar bounds no number."""
    parsed = parse_content_range(f"bytes 0-{digits}/*")
    assert parsed is not None
    assert parsed.last == int(Decimal(digits))  # Decimal has no digit limit
    assert format_content_range(parsed) == f"bytes 0-{digits.lstrip('0') or '0'}/*"


@pytest.mark.usefixtures("lowest_digit_limit")
def test_problem_messages_write_numbers_out_up_to_the_digit_limit() -> None:
    below = parse_content_range(f"bytes {'9' * LOWEST}-0/*")
    at = parse_content_range(f"bytes 1{'0' * LOWEST}-0/*")
    assert below is not None
    assert at is not None
    assert content_range_problem(below) == f"last-pos 0 is less than first-pos {'9' * LOWEST}"
    assert content_range_problem(at) == f"last-pos 0 is less than first-pos <~{LOWEST} digits>"


@st.composite
def content_ranges(draw: st.DrawFn) -> ContentRange:
    unit = draw(st.sampled_from(["bytes", "BYTES", "x-unit", "!#$%&'*+.^_`|~"]))
    length = draw(st.integers(1, 2**80) | st.just(10**1000))
    if draw(st.booleans()):
        return ContentRange(unit, None, None, draw(st.integers(0, length)))
    first = draw(st.integers(0, length - 1))
    last = draw(st.integers(first, length - 1))
    return ContentRange(unit, first, last, draw(st.none() | st.just(length)))


@given(content_ranges())
def test_content_range_round_trip(cr: ContentRange) -> None:
    assert parse_content_range(format_content_range(cr)) == cr
    assert content_range_problem(cr) is None


@given(st.text())
@example("bytes 0-9/10")
@example("bytes " + "9" * 20_000 + "-0/1")
def test_text_parsers_never_raise(value: str) -> None:
    parsed = parse_content_range(value)
    if parsed is not None:
        content_range_problem(parsed)
        assert parse_content_range(format_content_range(parsed)) == parsed
    parse_media_type(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            'multipart/byteranges; boundary="a b"',
            ("multipart/byteranges", {"boundary": "a b"}),
            id="quoted",
        ),
        pytest.param(
            "Multipart/ByteRanges;Boundary=THIS_STRING",
            ("multipart/byteranges", {"boundary": "THIS_STRING"}),
            id="case",
        ),
        pytest.param(
            r'text/plain ; charset=utf-8;; q="x\"y\\z" ;',
            ("text/plain", {"charset": "utf-8", "q": 'x"y\\z'}),
            id="escapes-and-empty-params",
        ),
        pytest.param(" text/html\t", ("text/html", {}), id="no-params"),
    ],
)
def test_parse_media_type_valid(value: str, expected: tuple[str, dict[str, str]]) -> None:
    assert parse_media_type(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("multipart", id="no-subtype"),
        pytest.param("multipart/byteranges; boundary", id="no-value"),
        pytest.param('multipart/byteranges; boundary="abc', id="unterminated-quote"),
        pytest.param("multipart/byteranges; boundary=a b", id="space-in-token"),
        pytest.param("multipart/byteranges; boundary = x", id="space-around-equals"),
        pytest.param("multipart/byteranges boundary=x", id="no-semicolon"),
        pytest.param("multipart/byteranges; boundary=a; boundary=b", id="duplicate"),
        pytest.param("text/pl\u00e4in", id="non-ascii-token"),
    ],
)
def test_parse_media_type_invalid(value: str) -> None:
    assert parse_media_type(value) is None
