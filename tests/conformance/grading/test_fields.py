from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.grading.fields import (
    MAX_PARTS,
    ContentRange,
    Multipart,
    Part,
    content_range_problem,
    format_content_range,
    format_multipart,
    parse_content_range,
    parse_media_type,
    parse_multipart,
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
    assert not ContentRange("bytes", 0, 9, 10).is_unsatisfied
    assert ContentRange("bytes", None, None, 10).length is None
    assert ContentRange("bytes", None, None, 10).is_unsatisfied


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
    parse_multipart(value.encode("utf-8", "surrogatepass"), value)


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


CRLF_BODY = (
    b"--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-4/20\r\n\r\nab\r\n\r\r\n"
    b"--B\r\nContent-Range: bytes 10-13/20\r\n\r\n--x-\r\n"
    b"--B--\r\n"
)


def test_parse_multipart_well_formed() -> None:
    parsed = parse_multipart(CRLF_BODY, "B")
    assert parsed.problems == ()
    assert parsed.closed
    assert [p.content for p in parsed.parts] == [b"ab\r\n\r", b"--x-"]
    first, second = parsed.parts
    assert first.headers == (("Content-Type", "text/plain"), ("Content-Range", "bytes 0-4/20"))
    assert first.header_values("content-range") == ["bytes 0-4/20"]
    assert second.header_values("CONTENT-TYPE") == []
    assert CRLF_BODY[second.offset : second.offset + 4] == b"--x-"


def test_quoted_boundary_with_space() -> None:
    media = parse_media_type('multipart/byteranges; boundary="a b"')
    assert media is not None
    body = b"--a b\r\nContent-Range: bytes 0-0/2\r\n\r\nX\r\n--a b--\r\n"
    parsed = parse_multipart(body, media[1]["boundary"])
    assert parsed.problems == ()
    assert [p.content for p in parsed.parts] == [b"X"]


@pytest.mark.parametrize(
    ("body", "preamble", "epilogue"),
    [
        pytest.param(b"\r\n--B\r\n\r\nX\r\n--B--", b"", b"", id="one-crlf"),
        pytest.param(b"\r\n\r\n--B\r\n\r\nX\r\n--B--\r\n", b"\r\n", b"", id="two-crlfs"),
        pytest.param(b"hi --B\r\n--B\r\n\r\nX\r\n--B--\r\nbye", b"hi --B", b"bye", id="text"),
    ],
)
def test_preamble_and_epilogue(body: bytes, preamble: bytes, epilogue: bytes) -> None:
    parsed = parse_multipart(body, "B")
    assert (parsed.preamble, parsed.epilogue, parsed.problems) == (preamble, epilogue, ())
    assert [p.content for p in parsed.parts] == [b"X"]


def test_transport_padding_on_delimiter_lines() -> None:
    body = b"--B \t\r\nA: 1\r\n\r\nX\r\n--B  \r\n\r\nY\r\n--B-- \r\nend"
    parsed = parse_multipart(body, "B")
    assert parsed.problems == ()
    assert [p.content for p in parsed.parts] == [b"X", b"Y"]
    assert parsed.epilogue == b"end"


def test_missing_close_delimiter() -> None:
    parsed = parse_multipart(b"--B\r\nA: 1\r\n\r\nXY", "B")
    assert not parsed.closed
    assert parsed.problems == ("no close delimiter",)
    assert parsed.parts == (Part((("A", "1"),), b"XY", 13),)


def test_bare_lf_is_a_problem_but_parsing_goes_on() -> None:
    body = b"--B\r\nA: 1\r\n\r\nX\r\n--B\nA: 2\n\nY\n--B--\r\n"
    parsed = parse_multipart(body, "B")
    assert [(p.headers, p.content) for p in parsed.parts] == [
        ((("A", "1"),), b"X"),
        ((("A", "2"),), b"Y"),
    ]
    assert parsed.problems == (
        "bare LF line break after the delimiter ending part 1",
        "bare LF line break in part 2 headers",
        "bare LF line break before the delimiter ending part 2",
    )


def test_part_without_content_range_is_parsed() -> None:
    body = format_multipart([([("Content-Type", "text/plain")], b"abc")], "B")
    parsed = parse_multipart(body, "B")
    assert parsed.problems == ()
    assert parsed.parts[0].header_values("Content-Range") == []


def test_content_with_crlf_and_dashes_is_exact() -> None:
    content = b"\r\n--\r\n--B-not\r\n-- B\r\n\r\n--\r\n"
    parsed = parse_multipart(format_multipart([([], content)], "BB"), "BB")
    assert parsed.problems == ()
    assert parsed.parts[0].content == content


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        pytest.param(b"\r\nX\r\n--Bad\r\n--B--", "boundary found inside part 1 content", id="in"),
        pytest.param(b"xyz\r\n\r\nX\r\n--B--", "header line without a colon: b'xyz'", id="colon"),
        pytest.param(b"A : 1\r\n\r\nX\r\n--B--", "header name is not a token: 'A '", id="name"),
        pytest.param(b"A: 1\r\n--B--", "part 1 has no empty line after its headers", id="no-empty"),
        pytest.param(b"--B--", "boundary found inside part 1 content", id="no-crlf-before"),
    ],
)
def test_framing_problems(body: bytes, problem: str) -> None:
    problems = parse_multipart(b"--B\r\n" + body, "B").problems
    assert any(p.endswith(problem) for p in problems), problems


def test_garbage_is_all_preamble() -> None:
    parsed = parse_multipart(b"garbage --B", "B")
    assert (parsed.parts, parsed.preamble) == ((), b"garbage --B")
    assert parsed.problems == ("no delimiter line found",)


def test_problem_list_is_capped() -> None:
    problems = parse_multipart(b"\n--B" * 1000, "B").problems
    assert len(problems) == 51
    assert problems[-1].endswith("more problems")


def test_empty_and_invalid_boundary() -> None:
    assert parse_multipart(b"--\r\n", "").problems == ("boundary is empty",)
    long = "b" * 71
    parsed = parse_multipart(format_multipart([([], b"x")], long), long)
    assert parsed.problems == (f"boundary {long!r} is not 1-70 RFC 2046 bchars",)


def test_many_tiny_parts_and_one_large_part() -> None:
    parts = [([("Content-Range", f"bytes {i}-{i}/200000")], b"x") for i in range(200_000)]
    body = format_multipart(parts, "B")
    parsed = parse_multipart(body, "B", max_parts=200_000)
    assert (len(parsed.parts), parsed.problems) == (200_000, ())
    limited = parse_multipart(body, "B")  # the default limit stops early and says so
    assert len(limited.parts) == MAX_PARTS
    assert limited.problems == (f"more than {MAX_PARTS} parts; the rest were not parsed",)
    large = bytes(range(256)) * 80_000
    parsed = parse_multipart(format_multipart([([], large)], "B"), "B")
    assert parsed.parts[0].content == large


BCHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?"
TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
boundaries = st.text(BCHARS + " ", min_size=0, max_size=69).map(lambda s: s + "Z")
headers = st.lists(
    st.tuples(
        st.text(TCHARS, min_size=1, max_size=10),
        st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="\x7f")
        ).map(lambda s: s.strip()),
    ),
    max_size=4,
)
contents = st.binary(max_size=64) | st.sampled_from([b"\r\n", b"--", b"\r\n--\r\n", b"\n\r"])


@given(boundaries, st.lists(st.tuples(headers, contents), max_size=5), st.binary(max_size=20))
def test_multipart_round_trip(
    boundary: str, parts: list[tuple[list[tuple[str, str]], bytes]], preamble: bytes
) -> None:
    dash = b"--" + boundary.encode()
    parts = [(h, c) for h, c in parts if dash not in c]
    preamble = b"" if dash in preamble else preamble
    parsed = parse_multipart(format_multipart(parts, boundary, preamble=preamble), boundary)
    assert parsed == Multipart(parsed.parts, preamble, True, b"", ())
    assert [(list(p.headers), p.content) for p in parsed.parts] == parts


@given(st.binary(), st.sampled_from(["B", "a b", "--", "x" * 80]))
@example(b"--B\r\n--B\r\n--B--", "B")
@example(b"\n--B--\n--B\n", "B")
def test_parse_multipart_never_raises(body: bytes, boundary: str) -> None:
    parsed = parse_multipart(body, boundary)
    for part in parsed.parts:
        assert body[part.offset : part.offset + len(part.content)] == part.content
