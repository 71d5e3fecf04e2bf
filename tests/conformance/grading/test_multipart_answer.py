"""How a multipart 206 is judged: each part's fields and octets, where a coded representation
says its coding, a read capped inside the parts, and a badly broken body read as a summary."""

from __future__ import annotations

import gzip
from dataclasses import replace

import pytest

from conformance.grading.context import Context, fail, warn
from conformance.grading.grade import grade
from conformance.grading.multipart import format_multipart
from conformance.grading.multipart_answer import check_multipart, summarised
from conformance.grading.spans import Span
from conformance.grading.truth import Truth
from conformance.model import Exchange, Finding, Grade, Level, Representation
from tests.helpers.grading import (
    BASE_HEADERS,
    BASELINE,
    BODY,
    IGNORED,
    LENGTH,
    exchange,
    make_case,
    partial,
)

RANGES = "bytes=0-9,20-29"
Fields = list[tuple[str, str]]


def fields(first: int, last: int, *extra: tuple[str, str], length: int = LENGTH) -> Fields:
    """The two fields a well-formed part carries, then `extra`."""
    return [
        ("Content-Type", "application/octet-stream"),
        ("Content-Range", f"bytes {first}-{last}/{length}"),
        *extra,
    ]


def right(first: int, last: int) -> tuple[Fields, bytes]:
    """A part that is exactly right for octets first-last of BODY."""
    return fields(first, last), BODY[first : last + 1]


def answer(
    parts: list[tuple[Fields, bytes]] | None = None,
    *,
    body: bytes | None = None,
    capped: bool = False,
    headers: tuple[tuple[str, str], ...] = (),
    etag: str = '"abc"',
    extra_request: tuple[tuple[str, str], ...] = (),
) -> Exchange:
    """A multipart 206 (boundary XYZ) with these parts, or exactly `body`."""
    octets = format_multipart(parts or [], "XYZ") if body is None else body
    top = {**dict(BASE_HEADERS), "ETag": etag, "Content-Type": "multipart/byteranges; boundary=XYZ"}
    top["Content-Length"] = str(len(octets))
    pairs = [*top.items(), *headers]
    return exchange(
        206, pairs, octets, range_value=RANGES, capped=capped, extra_request=extra_request
    )


def judge(reply: Exchange) -> tuple[list[Finding], list[Span]]:
    """check_multipart alone, over BODY with every octet in hand."""
    ctx = Context(reply, BASELINE, Truth({0: BODY}), RANGES, compare_headers=True,
                  has_if_range=False, identity=BASELINE)  # fmt: skip
    return check_multipart(ctx, ("multipart/byteranges", {"boundary": "XYZ"}))


def cut_after(reply: Exchange, marker: bytes, extra: int = 0) -> Exchange:
    """The same answer as a read capped `extra` octets after the last `marker` in its body."""
    end = reply.body.rindex(marker) + len(marker) + extra
    return replace(reply, body=reply.body[:end], body_capped=True)


def too_long(first: int, last: int, more: int) -> tuple[Fields, bytes]:
    """A part whose content runs `more` octets past what its Content-Range promises."""
    return fields(first, last), BODY[first : last + 1 + more]


# each part's fields ---------------------------------------------------------------------------


def test_parts_exactly_right_give_no_finding_and_their_spans() -> None:
    """The baseline for every test below: nothing to say, and the spans in the order sent."""
    assert judge(answer([right(0, 9), right(20, 29)])) == ([], [(0, 9), (20, 29)])


def test_a_body_without_any_delimiter_has_no_parts_to_judge() -> None:
    """Framing broken from the start: the parser's problem, then that no part was found."""
    assert judge(answer(body=BODY[:10])) == (
        [
            fail("multipart", "no delimiter line found", "8.3.3"),
            fail("multipart", "no body parts found", "15.3.7.2"),
        ],
        [],
    )


def test_a_content_transfer_encoding_is_named_as_the_part_sent_it_first() -> None:
    """§14.6 forbids the field in a part; the finding quotes the first value a part gives."""
    once = fields(0, 9, ("Content-Transfer-Encoding", "binary"))
    twice = fields(20, 29, ("Content-Transfer-Encoding", "8bit"),
                   ("Content-Transfer-Encoding", "base64"))  # fmt: skip
    findings, spans = judge(answer([(once, BODY[0:10]), (twice, BODY[20:30])]))
    assert findings == [
        fail("multipart", "part 1/2 has a Content-Transfer-Encoding", "14.6", actual="binary"),
        fail("multipart", "part 2/2 has a Content-Transfer-Encoding", "14.6", actual="8bit"),
    ]
    assert spans == [(0, 9), (20, 29)]


@pytest.mark.parametrize(
    ("types", "shown"),
    [
        ([], "(absent)"),
        ([("Content-Type", "text/plain")], "text/plain"),
        ([("Content-Type", "text/plain"), ("Content-Type", "text/html")], "text/plain, text/html"),
    ],
)
def test_a_part_without_the_200s_content_type_warns_and_shows_what_it_had(
    types: Fields, shown: str
) -> None:
    """§15.3.7.2: each part carries the 200's Content-Type; none at all reads as (absent)."""
    part = [*types, ("Content-Range", f"bytes 20-29/{LENGTH}")]
    findings, spans = judge(answer([right(0, 9), (part, BODY[20:30])]))
    assert findings == [
        warn(
            "part-content-type",
            "part 2/2 should carry the 200's Content-Type",
            "15.3.7.2",
            expected="application/octet-stream",
            actual=shown,
        )
    ]
    assert spans == [(0, 9), (20, 29)]


@pytest.mark.parametrize(
    ("ranges", "shown"),
    [
        ([], "(absent)"),
        ([f"bytes 20-29/{LENGTH}"] * 2, f"bytes 20-29/{LENGTH}, bytes 20-29/{LENGTH}"),
    ],
)
def test_a_part_needs_exactly_one_content_range_and_is_left_out_without_it(
    ranges: list[str], shown: str
) -> None:
    """None or two: which octets the part holds is unknown, so it adds no span."""
    part = [("Content-Type", "application/octet-stream")]
    part += [("Content-Range", value) for value in ranges]
    findings, spans = judge(answer([right(0, 9), (part, BODY[20:30])]))
    assert findings == [
        fail("content-range", "part 2/2 needs exactly one Content-Range", "15.3.7.2", actual=shown)
    ]
    assert spans == [(0, 9)]


def test_a_part_with_an_invalid_content_range_is_reported_and_left_out() -> None:
    """A Content-Range that is not a satisfied range names no span to check octets against."""
    bad = [("Content-Type", "application/octet-stream"), ("Content-Range", "bytes 29-20/1024")]
    findings, spans = judge(answer([right(0, 9), (bad, BODY[20:30])]))
    assert findings == [
        fail(
            "part 2/2 content-range",
            "last-pos 20 is less than first-pos 29",
            "14.4",
            expected=f"bytes first-last/{LENGTH}",
            actual="bytes 29-20/1024",
        )
    ]
    assert spans == [(0, 9)]


def test_a_part_of_unknown_complete_length_still_has_its_octets_checked() -> None:
    """`bytes 20-29/*` is only a warning: the span counts and the octets are compared."""
    star = [("Content-Type", "application/octet-stream"), ("Content-Range", "bytes 20-29/*")]
    findings, spans = judge(answer([right(0, 9), (star, BODY[21:31])]))
    assert [(f.check, f.grade, f.message) for f in findings] == [
        ("part 2/2 content-range", Grade.WARN,
         "complete length '*' on a representation whose length is known"),
        ("part 2/2", Grade.FAIL, "content differs from the representation's octets 20-29"),
    ]  # fmt: skip
    assert spans == [(0, 9), (20, 29)]


def test_a_part_read_in_full_with_the_wrong_length_fails_on_its_exact_length() -> None:
    """Not capped, every part (the last too) is held to its Content-Range, longer or shorter."""
    short = (fields(20, 29), BODY[20:28])
    findings, _ = judge(answer([too_long(0, 9, 2), short]))
    assert findings == [
        fail("part 1/2", "12 octets of content where Content-Range 0-9 promises 10", "15.3.7.1",
             expected="10", actual="12"),
        fail("part 2/2", "8 octets of content where Content-Range 20-29 promises 10", "15.3.7.1",
             expected="10", actual="8"),
    ]  # fmt: skip
    findings, _ = judge(answer([right(0, 9), too_long(20, 29, 3)]))
    assert findings == [
        fail("part 2/2", "13 octets of content where Content-Range 20-29 promises 10", "15.3.7.1",
             expected="10", actual="13"),
    ]  # fmt: skip


def test_a_last_part_without_the_empty_line_after_its_headers_is_still_judged() -> None:
    """Read in full, a header section with no end is the server's fault: said, and the part
    (whose content is then empty) is held to its Content-Range."""
    body = format_multipart([right(0, 9)], "XYZ").replace(b"--XYZ--\r\n", b"")
    body += b"--XYZ\r\n" + "\r\n".join(f"{n}: {v}" for n, v in fields(20, 29)).encode()
    body += b"\r\n--XYZ--\r\n"
    findings, spans = judge(answer(body=body))
    assert findings == [
        fail("multipart", "part 2 has no empty line after its headers", "8.3.3"),
        fail("part 2/2", "0 octets of content where Content-Range 20-29 promises 10", "15.3.7.1",
             expected="10", actual="0"),
    ]  # fmt: skip
    assert spans == [(0, 9), (20, 29)]


def test_a_missing_close_delimiter_fails_when_the_body_was_read_in_full() -> None:
    """Not capped, the end of the body is the server's: the parts are fine, the framing is not."""
    full = answer([right(0, 9), right(20, 29)])
    reply = replace(full, body=full.body[: full.body.rindex(b"\r\n--XYZ--")])
    assert judge(reply) == (
        [fail("multipart", "no close delimiter", "8.3.3")],
        [(0, 9), (20, 29)],
    )


# a read capped inside the parts ---------------------------------------------------------------


def test_a_capped_read_cut_inside_the_last_parts_content_passes() -> None:
    """Reading stopped: no close delimiter to expect, and the octets read so far are right."""
    reply = cut_after(answer([right(0, 99), right(200, 299)]), b"1024\r\n\r\n", 40)
    assert judge(reply) == ([], [(0, 99), (200, 299)])


def test_a_capped_read_still_fails_wrong_octets_up_to_where_it_stopped() -> None:
    """The octets read of a cut part are compared, to the last one (the cut is at octet 241)."""
    wrong = BODY[200:241] + b"\x00"
    reply = cut_after(answer([right(0, 99), (fields(200, 299), wrong)]), b"\x00")
    findings, spans = judge(reply)
    assert [(f.check, f.message, f.offset) for f in findings] == [
        ("part 2/2", "content differs from the representation's octets 200-241", 41)
    ]
    assert spans == [(0, 99), (200, 299)]


def test_a_capped_read_keeps_an_octet_before_a_cr_it_cannot_place() -> None:
    """A CR at the cut may begin the delimiter's CRLF, so it is left out, but no more: a wrong
    octet just before it still fails."""
    wrong = BODY[200:212] + b"\x00\r"
    reply = cut_after(answer([right(0, 99), (fields(200, 299), wrong)]), b"\x00\r")
    findings, _ = judge(reply)
    assert [(f.check, f.message, f.offset) for f in findings] == [
        ("part 2/2", "content differs from the representation's octets 200-212", 12)
    ]


def test_only_the_last_part_of_a_capped_read_is_told_reading_stopped_there() -> None:
    """The excess of a cut part is known only up to the cap ("more than"); a part before it was
    read in full, up to its delimiter, so it fails on its exact length."""
    reply = cut_after(answer([too_long(0, 9, 2), too_long(20, 29, 20)]), BODY[20:35])
    findings, spans = judge(reply)
    assert findings == [
        fail("part 1/2", "12 octets of content where Content-Range 0-9 promises 10", "15.3.7.1",
             expected="10", actual="12"),
        fail("part 2/2", "more than 15 octets of content (reading stopped there) where "
             "Content-Range 20-29 promises 10", "15.3.7.1", expected="10", actual="more than 15"),
    ]  # fmt: skip
    assert spans == [(0, 9), (20, 29)]


def test_a_capped_read_that_got_the_close_delimiter_judges_every_part_in_full() -> None:
    """The cap fell after the close delimiter (in an epilogue): no part was cut, so a short
    last part fails on its length."""
    full = answer([right(0, 9), (fields(20, 29), BODY[20:28])])
    reply = replace(full, body=full.body + b"epilogue", body_capped=True)
    assert judge(reply) == (
        [fail("part 2/2", "8 octets of content where Content-Range 20-29 promises 10",
              "15.3.7.1", expected="10", actual="8")],
        [(0, 9), (20, 29)],
    )  # fmt: skip


@pytest.mark.parametrize(
    "extra",
    [1, 2, 3, 6, 7, 8],
    ids=["CR", "CRLF", "CRLF-", "CRLF--XY", "CRLF--XYZ", "CRLF--XYZ-"],
)
def test_a_capped_read_cut_inside_the_delimiter_after_the_last_part_passes(extra: int) -> None:
    """What follows the cut part's octets may be the start of its delimiter line (even a whole
    delimiter, or half a close delimiter): not content beyond the part's end, no boundary in it."""
    reply = cut_after(answer([right(0, 99), right(200, 299)]), BODY[290:300], extra)
    assert judge(reply) == ([], [(0, 99), (200, 299)])


def test_a_capped_read_cut_inside_the_delimiter_still_compares_every_octet_of_the_part() -> None:
    """Only the delimiter's start is set aside: a wrong octet well before it still fails."""
    wrong = BODY[200:250] + b"\x00" + BODY[251:300]
    reply = cut_after(answer([right(0, 99), (fields(200, 299), wrong)]), BODY[290:300], 6)
    assert reply.body.endswith(b"\r\n--XY")
    findings, spans = judge(reply)
    assert [(f.check, f.message, f.offset) for f in findings] == [
        ("part 2/2", "content differs from the representation's octets 200-299", 50)
    ]
    assert spans == [(0, 99), (200, 299)]


def test_a_capped_read_cut_inside_a_bare_lf_delimiter_after_the_last_part_passes() -> None:
    """The same when the line break before the delimiter is a bare LF (the cut hides it)."""
    full = answer([right(0, 99), right(200, 299)])
    body = full.body.replace(BODY[290:300] + b"\r\n--XYZ--", BODY[290:300] + b"\n--XYZ--")
    reply = cut_after(replace(full, body=body), BODY[290:300], 4)  # LF --X
    assert judge(reply) == ([], [(0, 99), (200, 299)])


def test_a_capped_read_keeps_framing_problems_other_than_the_cut() -> None:
    """Capped or not, a bare LF before an earlier delimiter is the server's."""
    full = answer([right(0, 99), right(200, 299)])
    body = full.body.replace(BODY[90:100] + b"\r\n--XYZ", BODY[90:100] + b"\n--XYZ")
    reply = cut_after(replace(full, body=body), b"1024\r\n\r\n", 40)
    assert judge(reply) == (
        [fail("multipart", "bare LF line break before the delimiter ending part 1", "8.3.3")],
        [(0, 99), (200, 299)],
    )


@pytest.mark.parametrize(
    ("marker", "extra"),
    [
        (b"--XYZ\r\nContent-Type: applica", 0),
        (b"octet-stream\r\n", 0),
        (b"octet-stream\r\n", 1),
        (b"/1024\r\n", 1),
    ],
    ids=["inside-a-value", "after-a-field", "inside-a-field-name", "inside-the-empty-line"],
)
def test_a_capped_read_cut_inside_the_last_parts_headers_judges_the_parts_before(
    marker: bytes, extra: int
) -> None:
    """Its fields were not all read, so the cut part says nothing: not a missing Content-Range
    or Content-Type, not a line without a colon or a missing empty line, not a missing close
    delimiter; and it adds no span."""
    reply = cut_after(answer([right(0, 9), right(20, 29)]), marker, extra)
    assert judge(reply) == ([], [(0, 9)])


def test_a_capped_read_cut_right_after_the_last_parts_headers_judges_them() -> None:
    """The empty line was read, so the part's fields are whole; it has no octets yet."""
    reply = cut_after(answer([right(0, 9), (fields(20, 29, length=999), BODY[20:30])]),
                      b"/999\r\n\r\n")  # fmt: skip
    findings, spans = judge(reply)
    assert [(f.check, f.message) for f in findings] == [
        ("part 2/2 content-range", "complete length is not the representation's length")
    ]
    assert spans == [(0, 9)]


def test_a_capped_read_with_no_delimiter_has_no_parts() -> None:
    """Capped or not, a body that never reached a delimiter holds no part."""
    assert judge(answer(body=BODY[:10], capped=True)) == (
        [
            fail("multipart", "no delimiter line found", "8.3.3"),
            fail("multipart", "no body parts found", "15.3.7.2"),
        ],
        [],
    )


# where a coded representation says its coding (RFC 9110 §8.4, §15.3.7) --------------------------

GZ = gzip.compress(BODY, mtime=0)
GZIP = Representation(
    "main", "http://t/r", 200,
    (*((n, '"abc-gz"' if n == "ETag" else v) for n, v in BASE_HEADERS),
     ("Content-Encoding", "gzip")),
    len(GZ),
)  # fmt: skip
GZIP_CASE = make_case(RANGES, partial((0, 9), (20, 29)) + "        representation: gzip\n", IGNORED)


def gzip_answer(
    coded: tuple[bool, bool], *, top_level: bool = False, if_range: bool = False
) -> Exchange:
    """A multipart 206 of the gzip form, Content-Encoding in the parts that are `coded`."""
    parts = [
        (
            fields(a, b, *([("Content-Encoding", "gzip")] if c else []), length=len(GZ)),
            GZ[a : b + 1],
        )
        for (a, b), c in zip([(0, 9), (20, 29)], coded, strict=True)
    ]
    top = (("Content-Encoding", "gzip"),) if top_level else ()
    sent = (("If-Range", '"abc-gz"'),) if if_range else ()
    return answer(parts, etag='"abc-gz"', headers=top, extra_request=sent)


def grade_gzip(reply: Exchange) -> list[Finding]:
    """Grade against the gzip form, every coded octet in hand; the findings that are not PASS."""
    truths = {"identity": Truth({0: BODY}), "gzip": Truth({0: GZ})}
    verdict = grade(GZIP_CASE, reply, BASELINE, range_value=RANGES, variants={"gzip": GZIP},
                    truths=truths)  # fmt: skip
    assert verdict.branch == "partial"
    return list(verdict.findings)


def placed(where: str) -> Finding:
    """The note that the coding was said, and where."""
    return Finding(
        "content-encoding", Grade.INFO,
        f"Content-Encoding given {where} (placement in a multipart 206 is not specified)",
        Level.MAY, "15.3.7", actual="gzip",
    )  # fmt: skip


def test_a_coded_multipart_206_may_say_its_coding_in_every_part() -> None:
    """§8.4: the coding must be said; in every part is one way (noted, not faulted)."""
    assert grade_gzip(gzip_answer((True, True))) == [placed("in every part")]


def test_a_coded_multipart_206_may_say_its_coding_at_the_top_level() -> None:
    """The other way: once, in the 206's own header section; the parts need not repeat it."""
    reply = gzip_answer((False, False), top_level=True)
    assert grade_gzip(reply) == [placed("in the top-level header section")]


@pytest.mark.parametrize("coded", [(True, False), (False, True)])
def test_a_coded_multipart_206_fails_when_a_part_does_not_say_its_coding(
    coded: tuple[bool, bool],
) -> None:
    """Neither at the top level nor in every part: a client cannot tell the octets are gzip."""
    assert grade_gzip(gzip_answer(coded)) == [
        fail("header", "the 200 carries Content-Encoding but this multipart 206 says it "
             "neither at the top level nor in every part", "15.3.7",
             expected="gzip", actual="(absent)"),
    ]  # fmt: skip


def test_a_coded_multipart_206_to_an_if_range_request_is_not_asked_where_its_coding_is() -> None:
    """With If-Range the client holds the 200's fields (§15.3.7), Content-Encoding among them."""
    assert grade_gzip(gzip_answer((False, False), if_range=True)) == []


def test_a_coded_multipart_206_cut_inside_its_first_parts_headers_is_not_judged() -> None:
    """A capped read that holds no whole header section cannot show where the coding is: no
    finding at all, rather than a FAIL for fields it never read."""
    full = gzip_answer((True, True))
    cut = full.body.index(b"Content-Encoding")
    assert grade_gzip(replace(full, body=full.body[:cut], body_capped=True)) == []


# a broken thousand-part body reads as a summary ---------------------------------------------------


def _part_findings(count: int, grade: Grade) -> list[Finding]:
    """One finding per part, as check_multipart gives for parts that all lack the same field."""
    return [
        Finding(f"part {n}/{count}", grade, f"part {n} has no Content-Range", Level.MUST, "14.6")
        for n in range(1, count + 1)
    ]


def test_a_thousand_broken_parts_give_twenty_findings_and_a_count() -> None:
    """A report must stay readable whatever the server sent: the first twenty, then a count."""
    findings = _part_findings(1000, Grade.FAIL)
    shown = summarised(findings)
    assert shown[:20] == findings[:20]
    assert len(shown) == 21
    assert shown[20].message == "... and 980 more findings about other parts"
    assert (shown[20].grade, shown[20].level, shown[20].rfc) == (Grade.FAIL, Level.MUST, "14.6")


def test_the_count_keeps_the_worst_grade_of_what_it_hides() -> None:
    """Hiding a FAIL among warnings must not turn the verdict into a WARN."""
    findings = _part_findings(20, Grade.WARN) + _part_findings(5, Grade.WARN)
    findings[-1] = Finding("part 5/5", Grade.FAIL, "wrong octets", Level.MUST, "14.6")
    note = summarised(findings)[-1]
    assert (note.grade, note.level) == (Grade.FAIL, Level.MUST)
    assert summarised(_part_findings(20, Grade.WARN))[-1].message == "part 20 has no Content-Range"


def test_a_single_hidden_finding_is_counted_with_its_own_section() -> None:
    """Twenty findings are shown as they are; from twenty-one the rest is a count (never "and
    0 more"), citing the section of the first finding it hides."""
    findings = _part_findings(20, Grade.WARN)
    assert summarised(findings) == findings
    hidden = [
        Finding("part 21/22", Grade.WARN, "no Content-Type", Level.SHOULD, "15.3.7.2"),
        Finding("part 22/22", Grade.WARN, "no Content-Type", Level.SHOULD, "14.4"),
    ]
    assert summarised([*findings, hidden[0]]) == [
        *findings,
        Finding("multipart", Grade.WARN, "... and 1 more findings about other parts",
                Level.SHOULD, "15.3.7.2"),
    ]  # fmt: skip
    assert summarised([*findings, *hidden])[-1] == Finding(
        "multipart", Grade.WARN, "... and 2 more findings about other parts", Level.SHOULD,
        "15.3.7.2",
    )  # fmt: skip


def test_a_body_of_many_broken_parts_summarises_only_the_part_findings() -> None:
    """Framing problems before the parts are all kept; the parts' own findings are summarised."""
    bare = [("Content-Type", "application/octet-stream")]
    parts = [(bare, BODY[n : n + 1]) for n in range(25)]
    body = format_multipart(parts, "XYZ").replace(b"\r\n--XYZ\r\n", b"\n--XYZ\r\n", 1)
    findings, spans = judge(answer(body=body))
    assert findings[0] == fail(
        "multipart", "bare LF line break before the delimiter ending part 1", "8.3.3"
    )
    assert findings[1:21] == [
        fail("content-range", f"part {n}/25 needs exactly one Content-Range", "15.3.7.2",
             actual="(absent)")
        for n in range(1, 21)
    ]  # fmt: skip
    assert findings[21:] == [
        Finding("multipart", Grade.FAIL, "... and 5 more findings about other parts", Level.MUST,
                "15.3.7.2")
    ]  # fmt: skip
    assert spans == []
