"""The reference server's multipart/byteranges layout, read back by the harness's own parser.

`plan_multipart` decides every framing octet and the Content-Length before any data is read;
the body is then built at once (small answers) or streamed (`iter_multipart`). Both must give
exactly the octets the plan announced, in a body an independent parser takes apart cleanly.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from conformance.grading.multipart import parse_multipart
from reference_server.bodies import _read_now
from reference_server.multipart import (
    CHUNK_SIZE,
    iter_multipart,
    new_boundary,
    part_overhead,
    plan_multipart,
)
from reference_server.ranges import MULTIPART_PART_OVERHEAD, ByteRange

DATA = bytes(range(256)) * 1024  # 256 KiB, every octet value, so misplaced slices show
_FIELD_VALUE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters="\\"), max_size=40
)


@st.composite
def _layouts(draw: st.DrawFn) -> tuple[tuple[ByteRange, ...], tuple[tuple[str, str], ...]]:
    count = draw(st.integers(2, 12))
    firsts = draw(st.lists(st.integers(0, len(DATA) - 1), min_size=count, max_size=count))
    sizes = draw(st.lists(st.integers(1, CHUNK_SIZE + 10), min_size=count, max_size=count))
    ranges = tuple(
        ByteRange(first, min(first + size, len(DATA)) - 1)
        for first, size in zip(firsts, sizes, strict=True)
    )
    content_type = draw(
        st.sampled_from(["application/octet-stream", "text/plain; q=100%", "x/" + "y" * 200])
    )
    fields: tuple[tuple[str, str], ...] = (("Content-Type", content_type),)
    if draw(st.booleans()):
        fields += (("Content-Encoding", draw(_FIELD_VALUE.filter(str.strip)).strip()),)
    return ranges, fields


@given(_layouts())
def test_every_body_is_the_length_announced_and_parses_back_to_its_ranges(
    layout: tuple[tuple[ByteRange, ...], tuple[tuple[str, str], ...]],
) -> None:
    ranges, fields = layout
    boundary = new_boundary()
    plan = plan_multipart(ranges, len(DATA), boundary, fields)
    streamed = b"".join(iter_multipart(plan, io.BytesIO(DATA)))
    assert len(streamed) == plan.content_length
    assert plan.span == ByteRange(min(r.first for r in ranges), max(r.last for r in ranges))

    parsed = parse_multipart(streamed, boundary)
    assert parsed.problems == ()
    assert parsed.closed
    assert streamed.startswith(f"--{boundary}\r\n".encode())  # no preamble, no leading CRLF
    assert len(parsed.parts) == len(ranges)
    for part, byte_range in zip(parsed.parts, ranges, strict=True):
        expected = (
            *fields,
            ("Content-Range", f"bytes {byte_range.first}-{byte_range.last}/{len(DATA)}"),
        )
        assert part.headers == expected  # '%' in a field stays a literal '%'
        assert part.content == DATA[byte_range.first : byte_range.last + 1]


def test_a_small_body_read_at_once_is_the_streamed_body(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)
    fields = (("Content-Type", "application/octet-stream"),)
    for ranges in (
        (ByteRange(0, 99), ByteRange(1000, 1099), ByteRange(500, 509)),  # one read covers all
        (ByteRange(0, 9), ByteRange(len(DATA) - 10, len(DATA) - 1)),  # far apart: a read each
    ):
        plan = plan_multipart(ranges, len(DATA), "b0undary", fields)
        descriptor = os.open(path, os.O_RDONLY)
        try:
            at_once = _read_now(descriptor, plan)
        finally:
            os.close(descriptor)
        assert at_once == b"".join(iter_multipart(plan, io.BytesIO(DATA)))
        assert len(at_once) == plan.content_length


@given(_layouts())
def test_the_budget_counts_every_framing_octet_of_a_part(
    layout: tuple[tuple[ByteRange, ...], tuple[tuple[str, str], ...]],
) -> None:
    """`part_overhead` is what the §17.15 budget charges a part besides its numbers: never
    less than the real framing, and exact once the part fields pass the default allowance."""
    ranges, fields = layout
    plan = plan_multipart(ranges, len(DATA), new_boundary(), fields)
    for head, part in plan.heads[1:]:  # the first head lacks the delimiter's leading CRLF
        numbers = len(f"{part.first}{part.last}{len(DATA)}")
        assert part_overhead(fields) >= len(head) - numbers
        if part_overhead(fields) > MULTIPART_PART_OVERHEAD:
            assert part_overhead(fields) == len(head) - numbers
