"""multipart/byteranges bodies: every framing of RFC 9110 §14.6 and RFC 2046 §5.1.1 read back
exactly, every fault reported as data."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.grading.fields import parse_media_type
from conformance.grading.multipart import (
    MAX_PARTS,
    Multipart,
    Part,
    format_multipart,
    parse_multipart,
)

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


def _parts(body: bytes) -> list[tuple[tuple[tuple[str, str], ...], bytes]]:
    return [(part.headers, part.content) for part in parse_multipart(body, "B").parts]


def test_a_part_of_header_lines_and_no_content_is_well_formed() -> None:
    """The CRLF before the next delimiter is the delimiter's: this part's content is empty."""
    parsed = parse_multipart(b"--B\r\nA: 1\r\n\r\n--B--\r\n", "B")
    assert [(p.headers, p.content) for p in parsed.parts] == [((("A", "1"),), b"")]
    assert parsed.problems == ()


def test_a_part_whose_header_line_runs_into_the_delimiter() -> None:
    parsed = parse_multipart(b"--B\r\nA: 1\r\n--B--\r\n", "B")
    assert [(p.headers, p.content) for p in parsed.parts] == [((("A", "1"),), b"")]
    assert parsed.problems == ("part 1 has no empty line after its headers",)


def test_an_empty_part_is_one_problem_not_a_colonless_header() -> None:
    parsed = parse_multipart(b"--B\r\n\r\n--B--\r\n", "B")
    assert [(p.headers, p.content) for p in parsed.parts] == [((), b"")]
    assert parsed.problems == ("part 1 has no empty line after its headers",)


def test_a_folded_header_line_joins_the_one_before_it() -> None:
    """RFC 9110 §5.5 obs-fold: a line starting with SP or HTAB continues the previous field."""
    body = b"--B\r\nA: 1\r\nB: 2\r\nC: 3\r\n \t three \r\n\r\nx\r\n--B--\r\n"
    assert _parts(body) == [((("A", "1"), ("B", "2"), ("C", "3 three")), b"x")]


def test_a_boundary_inside_content_is_said_once_per_part() -> None:
    body = b"--B\r\nA: 1\r\n\r\nx\r\n--Bx\r\ny\r\n--By\r\n--B--\r\n"
    assert parse_multipart(body, "B").problems == ("boundary found inside part 1 content",)


def test_a_bare_lf_opening_the_body_leaves_an_empty_preamble() -> None:
    """Only octets before the line break are preamble, whatever the body ends with."""
    parsed = parse_multipart(b"\n--B\r\nA: 1\r\n\r\nx\r\n--B--\r", "B")
    assert (parsed.preamble, parsed.epilogue) == (b"", b"\r")
    assert [p.content for p in parsed.parts] == [b"x"]
    assert parsed.problems == ("bare LF line break before the first delimiter",)


def test_an_unclosed_body_ending_after_a_delimiter_line_has_no_phantom_part() -> None:
    parsed = parse_multipart(b"--B\r\nA: 1\r\n\r\nx\r\n--B\r\n", "B")
    assert [p.content for p in parsed.parts] == [b"x"]
    assert parsed.problems == ("no close delimiter",)


@pytest.mark.parametrize(("count", "limited"), [(10_000, False), (10_001, True)])
def test_the_part_limit_is_ten_thousand(count: int, limited: bool) -> None:
    body = format_multipart([([("A", "1")], b"x")] * count, "B")
    parsed = parse_multipart(body, "B")
    assert len(parsed.parts) == 10_000
    assert parsed.closed is not limited
    assert parsed.problems == (
        ("more than 10000 parts; the rest were not parsed",) if limited else ()
    )


@pytest.mark.parametrize(("count", "shown"), [(50, 50), (51, 51)])
def test_fifty_problems_are_listed_and_more_are_counted(count: int, shown: int) -> None:
    body = format_multipart([([("no colon", "")], b"x")] * count, "B").replace(b": \r\n", b"\r\n")
    problems = parse_multipart(body, "B").problems
    assert len(problems) == shown
    assert problems[49] == "part 50 header line without a colon: b'no colon'"
    assert problems[50:] == (("... and 1 more problems",) if count == 51 else ())


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


@given(st.text(max_size=200))
def test_any_text_as_body_and_boundary_never_raises(value: str) -> None:
    parse_multipart(value.encode("utf-8", "surrogatepass"), value)
