"""Synthetic exchanges → verdicts: every check shown able to pass and to fail, without a network."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.grading.context import Context
from conformance.grading.grade import audit
from conformance.grading.multipart import format_multipart
from conformance.grading.truth import Truth
from conformance.model import Case, Exchange, Finding, Grade, Level, SentRequest
from tests.helpers.grading import (
    BASE_HEADERS,
    BASELINE,
    BODY,
    IGNORED,
    LENGTH,
    UNSAT,
    checks,
    exchange,
    grade,
    make_case,
    multipart_answer,
    partial,
    partial_headers,
    run,
)

SINGLE = make_case("bytes=0-9", partial((0, 9)), IGNORED)


def test_exact_single_part_passes() -> None:
    body = BODY[0:10]
    verdict = run(SINGLE, exchange(206, partial_headers(f"bytes 0-9/{LENGTH}", body), body))
    assert verdict.grade is Grade.PASS, verdict.findings
    assert verdict.branch == "partial"


def test_ignoring_range_is_info_and_names_the_branch() -> None:
    verdict = run(SINGLE, exchange(200, dict(BASE_HEADERS), BODY))
    assert verdict.grade is Grade.INFO
    assert verdict.branch == "ignored"


def test_media_profile_fails_a_server_that_ignores_ranges() -> None:
    verdict = run(SINGLE, exchange(200, dict(BASE_HEADERS), BODY), profile="media")
    assert verdict.grade is Grade.FAIL
    assert checks(verdict, Grade.FAIL) == {"branch"}


def test_status_outside_every_branch_fails_and_lists_the_acceptable_ones() -> None:
    verdict = run(SINGLE, exchange(416, {"Content-Range": f"bytes */{LENGTH}"}, b""))
    assert verdict.grade is Grade.FAIL
    (finding,) = [f for f in verdict.findings if f.check == "status"]
    assert "no branch of this case allows" in finding.message
    assert "206 (partial)" in (finding.expected or "")
    assert "200 (ignored)" in (finding.expected or "")


def test_server_error_says_it_is_never_acceptable() -> None:
    verdict = run(SINGLE, exchange(500, {}, b""))
    assert "never acceptable" in next(f.message for f in verdict.findings if f.check == "status")


def test_off_by_one_content_fails_on_length() -> None:
    body = BODY[0:9]
    verdict = run(SINGLE, exchange(206, partial_headers(f"bytes 0-9/{LENGTH}", body), body))
    assert verdict.grade is Grade.FAIL
    assert "body" in checks(verdict, Grade.FAIL)


def test_shifted_content_fails_with_the_first_differing_offset() -> None:
    body = BODY[1:11]
    verdict = run(SINGLE, exchange(206, partial_headers(f"bytes 0-9/{LENGTH}", body), body))
    (finding,) = [f for f in verdict.findings if f.check == "body"]
    assert finding.offset == 0
    assert "absolute 0" in (finding.actual or "")


@pytest.mark.parametrize(
    ("content_range", "grade_", "check"),
    [
        pytest.param(f"bytes=0-9/{LENGTH}", Grade.FAIL, "content-range", id="equals-sign"),
        pytest.param("bytes 0-9/999", Grade.FAIL, "content-range", id="wrong-complete-length"),
        pytest.param("bytes 0-9/*", Grade.WARN, "content-range", id="unknown-length-star"),
        pytest.param(f"bytes */{LENGTH}", Grade.FAIL, "content-range", id="unsatisfied-form"),
        pytest.param(f"items 0-9/{LENGTH}", Grade.FAIL, "content-range", id="other-unit"),
        pytest.param(f"bytes 9-0/{LENGTH}", Grade.FAIL, "content-range", id="last-before-first"),
    ],
)
def test_content_range_of_a_single_part(content_range: str, grade_: Grade, check: str) -> None:
    body = BODY[0:10]
    verdict = run(SINGLE, exchange(206, partial_headers(content_range, body), body))
    assert verdict.grade is grade_
    assert check in checks(verdict, grade_)


def test_missing_content_range_on_206_fails() -> None:
    headers = partial_headers("x", BODY[:10])
    del headers["Content-Range"]
    verdict = run(SINGLE, exchange(206, headers, BODY[:10]))
    assert "content-range" in checks(verdict, Grade.FAIL)


def test_sub_range_is_a_warning_not_a_failure() -> None:
    body = BODY[0:5]
    verdict = run(SINGLE, exchange(206, partial_headers(f"bytes 0-4/{LENGTH}", body), body))
    assert verdict.grade is Grade.WARN
    assert checks(verdict, Grade.WARN) == {"coverage"}


def test_disjoint_range_fails() -> None:
    body = BODY[100:110]
    verdict = run(SINGLE, exchange(206, partial_headers(f"bytes 100-109/{LENGTH}", body), body))
    assert verdict.grade is Grade.FAIL
    assert "coverage" in checks(verdict, Grade.FAIL)


def test_strict_profile_fails_what_rfc_warns() -> None:
    body = BODY[0:5]
    answer = exchange(206, partial_headers(f"bytes 0-4/{LENGTH}", body), body)
    assert run(SINGLE, answer, profile="strict").grade is Grade.FAIL


def test_206_missing_a_field_the_200_carries_fails() -> None:
    body = BODY[0:10]
    headers = partial_headers(f"bytes 0-9/{LENGTH}", body)
    del headers["ETag"]
    verdict = run(SINGLE, exchange(206, headers, body))
    assert any(f.check == "header" and "ETag" in f.message for f in verdict.findings)
    assert verdict.grade is Grade.FAIL


def test_206_with_a_different_etag_warns() -> None:
    body = BODY[0:10]
    headers = partial_headers(f"bytes 0-9/{LENGTH}", body, ETag='"other"')
    assert run(SINGLE, exchange(206, headers, body)).grade is Grade.WARN


def test_206_without_date_fails() -> None:
    body = BODY[0:10]
    headers = partial_headers(f"bytes 0-9/{LENGTH}", body)
    del headers["Date"]
    verdict = run(SINGLE, exchange(206, headers, body))
    assert any("Date" in f.message for f in verdict.findings if f.grade is Grade.FAIL)


def test_single_part_content_type_must_be_the_200s() -> None:
    body = BODY[0:10]
    headers = partial_headers(f"bytes 0-9/{LENGTH}", body, **{"Content-Type": "text/plain"})
    assert "content-type" in checks(run(SINGLE, exchange(206, headers, body)), Grade.FAIL)


def test_content_length_not_matching_received_octets_is_a_framing_failure() -> None:
    body = BODY[0:10]
    headers = partial_headers(f"bytes 0-9/{LENGTH}", body, **{"Content-Length": "11"})
    assert "framing" in checks(run(SINGLE, exchange(206, headers, body)), Grade.FAIL)


def test_content_range_on_a_200_warns() -> None:
    headers = {**dict(BASE_HEADERS), "Content-Range": f"bytes 0-{LENGTH - 1}/{LENGTH}"}
    assert "content-range" in checks(run(SINGLE, exchange(200, headers, BODY)), Grade.WARN)


def test_a_200_with_the_wrong_body_fails() -> None:
    body = BODY[:-1] + b"\x00"
    verdict = run(SINGLE, exchange(200, dict(BASE_HEADERS), body))
    assert verdict.grade is Grade.FAIL
    assert any(f.check == "body" and f.offset == LENGTH - 1 for f in verdict.findings)


def test_a_capped_200_compares_the_prefix_only() -> None:
    verdict = run(SINGLE, exchange(200, dict(BASE_HEADERS), BODY[:100], capped=True))
    assert verdict.grade is Grade.INFO


UNSATISFIABLE = make_case(f"bytes={LENGTH}-", UNSAT, IGNORED)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param({"Content-Range": f"bytes */{LENGTH}"}, Grade.PASS, id="right"),
        pytest.param({}, Grade.WARN, id="missing"),
        pytest.param({"Content-Range": "bytes */5"}, Grade.FAIL, id="wrong-length"),
        pytest.param({"Content-Range": f"bytes 0-0/{LENGTH}"}, Grade.WARN, id="satisfied-form"),
        pytest.param({"Content-Range": "garbage"}, Grade.FAIL, id="garbage"),
    ],
)
def test_416_content_range(headers: dict[str, str], expected: Grade) -> None:
    headers = {"Date": "Mon, 01 Jan 2024 00:00:00 GMT", **headers}
    answer = exchange(416, headers, b"", range_value=f"bytes={LENGTH}-")
    assert run(UNSATISFIABLE, answer).grade is expected


def test_a_206_to_an_unsatisfiable_range_fails() -> None:
    answer = exchange(
        206,
        partial_headers(f"bytes {LENGTH}-{LENGTH - 1}/{LENGTH}", b""),
        b"",
        range_value=f"bytes={LENGTH}-",
    )
    assert run(UNSATISFIABLE, answer).grade is Grade.FAIL


def test_transport_error_is_an_error_not_a_failure() -> None:
    sent = SentRequest("GET", "http://t/r", (("Range", "bytes=0-9"),))
    verdict = run(SINGLE, Exchange(sent, error="connection reset"))
    assert verdict.grade is Grade.ERROR
    assert "connection reset" in verdict.summary


CAPABLE = make_case(
    "bytes=000-009",
    partial((0, 9)),
    """\
      - branch: ignored
        status: 200
        full: true
        grade_if_capable: warn
        level: SHOULD
""",
)


@pytest.mark.parametrize(("capable", "expected"), [(True, Grade.WARN), (False, Grade.PASS)])
def test_grade_if_capable(capable: bool, expected: Grade) -> None:
    answer = exchange(200, dict(BASE_HEADERS), BODY, range_value="bytes=000-009")
    assert run(CAPABLE, answer, range_capable=capable).grade is expected


# multipart/byteranges --------------------------------------------------------------------------

MULTI = make_case("bytes=0-9,20-29", partial((0, 9), (20, 29)), IGNORED)


def test_multipart_in_request_order_passes() -> None:
    verdict = run(MULTI, multipart_answer([(0, 9), (20, 29)]))
    assert verdict.grade is Grade.PASS, verdict.findings


def test_multipart_coalesced_across_a_small_gap_passes() -> None:
    verdict = run(MULTI, multipart_answer([(0, 29)]))
    assert verdict.grade is Grade.PASS, verdict.findings


def test_multipart_coalesced_across_a_large_gap_warns() -> None:
    case = make_case("bytes=0-9,200-209", partial((0, 9), (200, 209)), IGNORED)
    verdict = run(case, multipart_answer([(0, 209)], range_value="bytes=0-9,200-209"))
    assert verdict.grade is Grade.WARN
    assert checks(verdict, Grade.WARN) == {"coverage"}


def test_multipart_reordered_warns() -> None:
    verdict = run(MULTI, multipart_answer([(20, 29), (0, 9)]))
    assert checks(verdict, Grade.WARN) == {"order"}


def test_multipart_subset_warns() -> None:
    verdict = run(MULTI, multipart_answer([(0, 9)]))
    assert checks(verdict, Grade.WARN) == {"coverage"}


def test_multipart_without_boundary_fails() -> None:
    answer = multipart_answer([(0, 9), (20, 29)], content_type="multipart/byteranges")
    assert "multipart" in checks(run(MULTI, answer), Grade.FAIL)


def test_part_without_content_range_fails() -> None:
    answer = multipart_answer(
        [(0, 9), (20, 29)], part_headers=[("Content-Type", "application/octet-stream")]
    )
    assert "content-range" in checks(run(MULTI, answer), Grade.FAIL)


def test_part_without_content_type_warns() -> None:
    answer = multipart_answer(
        [(0, 9), (20, 29)], part_headers=[("Content-Range", "bytes {first}-{last}/1024")]
    )
    assert checks(run(MULTI, answer), Grade.WARN) == {"part-content-type"}


def test_part_with_wrong_bytes_fails_at_its_offset() -> None:
    answer = multipart_answer([(0, 9), (20, 29)])
    corrupted = answer.body.replace(BODY[20:30], BODY[21:31])
    bad = Exchange(answer.request, 206, "", answer.headers, corrupted)
    verdict = run(MULTI, bad)
    assert any(f.check.startswith("part 2/2") and f.offset == 0 for f in verdict.findings)


def test_multipart_without_close_delimiter_fails() -> None:
    answer = multipart_answer([(0, 9), (20, 29)])
    cut = answer.body[: answer.body.rindex(b"--XYZ--")]
    headers = {**dict(answer.headers), "Content-Length": str(len(cut))}
    verdict = run(MULTI, Exchange(answer.request, 206, "", tuple(headers.items()), cut))
    assert any("close delimiter" in f.message for f in verdict.findings if f.grade is Grade.FAIL)


def test_top_level_content_range_on_multipart_fails() -> None:
    answer = multipart_answer([(0, 9), (20, 29)])
    headers = (*answer.headers, ("Content-Range", f"bytes 0-29/{LENGTH}"))
    verdict = run(MULTI, Exchange(answer.request, 206, "", headers, answer.body))
    assert "content-range" in checks(verdict, Grade.FAIL)


def test_multipart_answer_to_a_single_range_fails() -> None:
    answer = multipart_answer([(0, 9)], range_value="bytes=0-9")
    assert "multipart" in checks(run(SINGLE, answer), Grade.FAIL)


def test_quoted_boundary_and_preamble_are_accepted_and_the_quoting_noted() -> None:
    parts = [
        (
            [
                ("Content-Type", "application/octet-stream"),
                ("Content-Range", f"bytes {a}-{b}/{LENGTH}"),
            ],
            BODY[a : b + 1],
        )
        for a, b in [(0, 9), (20, 29)]
    ]
    body = format_multipart(parts, "a b", preamble=b"\r\n")
    headers = {
        **dict(BASE_HEADERS),
        "Content-Type": 'multipart/byteranges; boundary="a b"',
        "Content-Length": str(len(body)),
    }
    verdict = run(MULTI, exchange(206, headers, body, range_value="bytes=0-9,20-29"))
    assert verdict.grade is Grade.INFO, verdict.findings
    assert checks(verdict, Grade.INFO) == {"multipart"}


def test_serving_overlapping_parts_many_times_warns_about_amplification() -> None:
    spans = [(0, LENGTH - 1)] * 3
    ranges = ",".join(["bytes=0-"] + ["0-"] * 2)
    case = make_case(ranges, partial((0, "L-1"), (0, "L-1"), (0, "L-1")), IGNORED)
    verdict = run(case, multipart_answer(spans, range_value=ranges))
    assert checks(verdict, Grade.WARN) == {"amplification"}


def test_a_field_sent_twice_that_is_not_a_list_fails_where_audited() -> None:
    body = BODY[0:10]
    headers = [
        *partial_headers(f"bytes 0-9/{LENGTH}", body).items(),
        ("Date", "Tue, 02 Jan 2024 00:00:00 GMT"),
    ]
    assert run(SINGLE, exchange(206, headers, body)).grade is Grade.PASS  # not every case
    audited = make_case("bytes=0-9", partial((0, 9)) + "        single_fields: true\n")
    verdict = run(audited, exchange(206, headers, body))
    assert any(f.check == "header" and "Date sent 2 times" in f.message for f in verdict.findings)


def test_two_content_lengths_fail_everywhere() -> None:
    body = BODY[0:10]
    headers = [*partial_headers(f"bytes 0-9/{LENGTH}", body).items(), ("Content-Length", "11")]
    verdict = run(SINGLE, exchange(206, headers, body))
    assert any("Content-Length sent 2 times" in f.message for f in verdict.findings)


def test_malformed_accept_ranges_warns() -> None:
    headers = {**dict(BASE_HEADERS), "Accept-Ranges": "bytes; q=1"}
    assert "accept-ranges" in checks(run(SINGLE, exchange(200, headers, BODY)), Grade.WARN)


def test_legacy_request_range_allows_x_byteranges() -> None:
    case = make_case("bytes=0-9", partial((0, 9), (20, 29)), IGNORED)
    answer = multipart_answer(
        [(0, 9), (20, 29)], content_type="multipart/x-byteranges; boundary=XYZ"
    )
    sent = SentRequest("GET", "http://t/r", (("Request-Range", "bytes=0-9,20-29"),))
    legacy = Exchange(sent, 206, "", answer.headers, answer.body)
    verdict = grade(case, legacy, BASELINE, range_value=None)
    assert verdict.grade is Grade.INFO, verdict.findings
    without = Exchange(answer.request, 206, "", answer.headers, answer.body)
    assert "content-type" in checks(run(MULTI, without), Grade.FAIL)


def test_an_unquoted_boundary_with_illegal_characters_is_one_clear_failure() -> None:
    answer = multipart_answer([(0, 9), (20, 29)], boundary="==77==")
    headers = {**dict(answer.headers), "Content-Type": "multipart/byteranges; boundary===77=="}
    verdict = run(MULTI, Exchange(answer.request, 206, "", tuple(headers.items()), answer.body))
    failed = [f for f in verdict.findings if f.grade is Grade.FAIL]
    assert [f.check for f in failed] == ["content-type"]  # the parts themselves are right
    assert "token or a quoted-string" in failed[0].message


BUNDLED = {case.id: case for case in load_cases([bundled_cases_dir()])}


@pytest.mark.parametrize(
    ("case_id", "first", "last"),
    [("SYN-23", 1, 2), ("SYN-28", LENGTH - 9, LENGTH - 1), ("SYN-19", 5, LENGTH - 1)],
)
def test_a_self_consistent_206_for_an_invalid_specifier_warns(
    case_id: str, first: int, last: int
) -> None:
    """Real servers (serve-handler, Tornado) answer these; the audit found them wrongly failed."""
    case = BUNDLED[case_id]
    value = dict(case.request.headers)["Range"]
    body = BODY[first : last + 1]
    answer = exchange(206, partial_headers(f"bytes {first}-{last}/{LENGTH}", body), body,
                      range_value=str(value))  # fmt: skip
    verdict = grade(case, answer, BASELINE, range_value=str(value))
    assert verdict.grade is Grade.WARN, verdict.findings


# what every answer gets, and how a verdict reads --------------------------------------------------

DATE = "Mon, 01 Jan 2024 00:00:00 GMT"
WHOLE = f"bytes 0-9/{LENGTH}"


def _exact_206(**extra: str) -> Exchange:
    body = BODY[0:10]
    return exchange(206, partial_headers(WHOLE, body, **extra), body)


def _audited(
    status: int | None,
    headers: dict[str, str],
    body: bytes = b"",
    *,
    method: str = "GET",
    capped: bool = False,
) -> list[Finding]:
    """`audit` alone: the checks every answer gets, whatever branch it took."""
    sent = SentRequest(method, "http://t/r", (("Range", "bytes=0-9"),))
    answer = Exchange(sent, status, "", tuple(headers.items()), body, capped)
    ctx = Context(answer, BASELINE, Truth({0: BODY}), "bytes=0-9", True, False, BASELINE)
    return audit(ctx)


def _framing(declared: int, received: int) -> Finding:
    return Finding("framing", Grade.FAIL, "Content-Length does not match the octets received",
                   Level.MUST, "8.6", expected=str(declared), actual=str(received))  # fmt: skip


def test_the_summary_names_status_branch_and_any_content_range() -> None:
    """The one line a report shows per case: the Content-Range only when the answer has one."""
    assert run(SINGLE, _exact_206()).summary == f"206 partial ({WHOLE})"
    assert run(SINGLE, exchange(200, dict(BASE_HEADERS), BODY)).summary == "200 ignored"


def test_if_range_excuses_a_206_from_repeating_representation_fields() -> None:
    """With If-Range the client holds the 200's fields (§15.3.7): a 206 may leave out
    Last-Modified, which it must repeat to a plain Range request."""
    body = BODY[0:10]
    headers = partial_headers(WHOLE, body)
    del headers["Last-Modified"]
    plain = run(SINGLE, exchange(206, headers, body))
    assert plain.findings == (
        Finding("header", Grade.FAIL, "the 200 carries Last-Modified but this 206 does not",
                Level.MUST, "15.3.7", expected="Wed, 01 Jan 2020 00:00:00 GMT", actual="(absent)"),
    )  # fmt: skip
    conditional = exchange(206, headers, body, extra_request=(("If-Range", '"abc"'),))
    assert run(SINGLE, conditional).findings == ()


@pytest.mark.parametrize(("elapsed", "slow"), [(0.0, False), (2.0, False), (2.01, True)])
def test_an_answer_slower_than_the_case_allows_warns(elapsed: float, slow: bool) -> None:
    """`slow_after` is a bound the answer may reach: only beyond it does it earn a warning."""
    case = replace(SINGLE, slow_after=2.0)
    verdict = run(case, replace(_exact_206(), elapsed=elapsed))
    latency = Finding("latency", Grade.WARN, "took 2.0 s to answer", Level.SHOULD, "17.15",
                      expected="under 2 s", actual="2.0 s")  # fmt: skip
    assert verdict.findings == ((latency,) if slow else ())
    assert verdict.grade is (Grade.WARN if slow else Grade.PASS)


def test_without_a_bound_no_answer_is_too_slow() -> None:
    """Cases without `slow_after` never judge latency, however long the answer took."""
    verdict = run(SINGLE, replace(_exact_206(), elapsed=3600.0))
    assert verdict.findings == ()


def _ignored_as(
    grade_: Grade,
    *,
    level: Level | None = None,
    rfc: str | None = None,
    note: str = "",
    headers_present: tuple[str, ...] = (),
) -> Case:
    """SINGLE with its `ignored` outcome graded `grade_` in every profile."""
    ignored = replace(SINGLE.expectations[1], grade=grade_, level=level, rfc=rfc, note=note,
                      headers_present=headers_present, profile_grades=())  # fmt: skip
    return replace(SINGLE, expectations=(SINGLE.expectations[0], ignored))


@pytest.mark.parametrize(
    ("grade_", "level", "expected"),
    [
        pytest.param(Grade.INFO, None, Level.MAY, id="info-is-may"),
        pytest.param(Grade.WARN, None, Level.SHOULD, id="warn-is-should"),
        pytest.param(Grade.FAIL, None, Level.MUST, id="fail-is-must"),
        pytest.param(Grade.INFO, Level.MUST, Level.MUST, id="explicit-on-info"),
        pytest.param(Grade.WARN, Level.MUST, Level.MUST, id="explicit-on-warn"),
        pytest.param(Grade.FAIL, Level.SHOULD, Level.SHOULD, id="explicit-on-fail"),
    ],
)
def test_the_branch_finding_level_follows_its_grade_unless_the_case_names_one(
    grade_: Grade, level: Level | None, expected: Level
) -> None:
    """A branch that is not a plain pass is itself a finding; its level defaults from the grade
    (WARN: SHOULD, FAIL: MUST, else MAY) and an outcome's `level` overrides it."""
    case = _ignored_as(grade_, level=level, rfc="14.2")
    verdict = run(case, exchange(200, dict(BASE_HEADERS), BODY))
    assert verdict.findings == (
        Finding("branch", grade_, "the server took the 'ignored' branch", expected, "14.2"),
    )
    assert verdict.grade is grade_


def test_the_branch_finding_says_the_outcomes_note_when_it_has_one() -> None:
    """A case's note explains the branch better than its name does."""
    case = _ignored_as(Grade.WARN, note="range requests are ignored")
    verdict = run(case, exchange(200, dict(BASE_HEADERS), BODY))
    assert verdict.findings == (
        Finding("branch", Grade.WARN, "range requests are ignored", Level.SHOULD),
    )


def test_the_branch_finding_comes_before_the_branchs_own_checks() -> None:
    """Read top-down, a verdict first says which branch was taken, then what is wrong in it."""
    case = _ignored_as(Grade.INFO, headers_present=("Vary", "Content-Location"), rfc="14.2")
    verdict = run(case, exchange(200, dict(BASE_HEADERS), BODY))
    missing = [
        Finding("header", Grade.FAIL, f"{name} is missing", Level.MUST, "14.2",
                expected=f"{name} present", actual="(absent)")
        for name in ("Vary", "Content-Location")
    ]  # fmt: skip
    took = "the server took the 'ignored' branch"
    branch = Finding("branch", Grade.INFO, took, Level.MAY, "14.2")
    assert verdict.findings == (branch, *missing)


@pytest.mark.parametrize(
    ("status", "method", "framed"),
    [
        pytest.param(199, "GET", False, id="1xx"),
        pytest.param(200, "GET", True, id="200"),
        pytest.param(203, "GET", True, id="203"),
        pytest.param(204, "GET", False, id="204"),
        pytest.param(205, "GET", True, id="205"),
        pytest.param(303, "GET", True, id="303"),
        pytest.param(304, "GET", False, id="304"),
        pytest.param(305, "GET", True, id="305"),
        pytest.param(200, "HEAD", False, id="HEAD-200"),
        pytest.param(206, "HEAD", False, id="HEAD-206"),
    ],
)
def test_content_length_frames_the_content_only_where_content_may_follow(
    status: int, method: str, framed: bool
) -> None:
    """§8.6: a 1xx, 204 or 304, and any answer to HEAD, carry no content, so their
    Content-Length describes another answer and is no framing error."""
    findings = _audited(status, {"Date": DATE, "Content-Length": "10"}, method=method)
    assert findings == ([_framing(10, 0)] if framed else [])


@pytest.mark.parametrize(
    ("received", "capped", "mismatch"),
    [
        pytest.param(9, False, True, id="short"),
        pytest.param(10, False, False, id="exact"),
        pytest.param(11, False, True, id="long"),
        pytest.param(9, True, False, id="capped-short"),
        pytest.param(10, True, False, id="capped-exact"),
        pytest.param(11, True, True, id="capped-long"),
    ],
)
def test_framing_of_a_capped_body_fails_only_beyond_the_declared_length(
    received: int, capped: bool, mismatch: bool
) -> None:
    """Reading stopped at the cap leaves a prefix: fewer octets than declared prove nothing,
    more than declared do."""
    findings = _audited(200, {"Content-Length": "10"}, BODY[:received], capped=capped)
    assert findings == ([_framing(10, received)] if mismatch else [])


@pytest.mark.parametrize("status", [200, 205, 206, 207, 415, 416, 417])
def test_content_range_belongs_only_on_a_206_or_416(status: int) -> None:
    """§14.4: elsewhere a Content-Range misleads caches and clients."""
    findings = _audited(status, {"Date": DATE, "Content-Range": WHOLE})
    stray = Finding("content-range", Grade.WARN,
                    f"Content-Range on a {status} misleads caches and clients", Level.SHOULD,
                    "14.4", expected="(absent)", actual=WHOLE)  # fmt: skip
    assert findings == ([] if status in (206, 416) else [stray])


@pytest.mark.parametrize("status", [200, 205, 206, 207, 415, 416, 417])
def test_a_206_or_416_must_carry_date(status: int) -> None:
    """§6.6.1: an origin with a clock dates its 206 and 416 answers; the audit asks no more."""
    assert _audited(status, {"Date": DATE}) == []
    missing = Finding("header", Grade.FAIL, f"a {status} from an origin with a clock carries Date",
                      Level.MUST, "6.6.1", expected="Date present", actual="(absent)")  # fmt: skip
    assert _audited(status, {}) == ([missing] if status in (206, 416) else [])


def test_an_answer_without_a_status_is_graded_not_crashed_on() -> None:
    """The model allows an Exchange with neither status nor error: it matches no branch, is
    audited as status 0 (no framing, no Date asked for) and reported as such."""
    sent = SentRequest("GET", "http://t/r", (("Range", "bytes=0-9"),))
    headers = (("Content-Length", "10"), ("Content-Range", WHOLE))
    verdict = run(SINGLE, Exchange(sent, headers=headers))
    assert verdict.findings == (
        Finding("content-range", Grade.WARN, "Content-Range on a 0 misleads caches and clients",
                Level.SHOULD, "14.4", expected="(absent)", actual=WHOLE),
        Finding("status", Grade.FAIL, "got None, which no branch of this case allows",
                Level.MUST, "14.1.2", expected="206 (partial), 200 (ignored)", actual="None"),
    )  # fmt: skip
    assert (verdict.grade, verdict.branch, verdict.summary) == (Grade.FAIL, None, "got None")


@pytest.mark.parametrize(("status", "server_error"), [(499, False), (500, True), (503, True)])
def test_only_a_5xx_is_called_never_acceptable(status: int, server_error: bool) -> None:
    """Any status no branch allows fails; a server error also says it never is acceptable."""
    verdict = run(SINGLE, exchange(status, {}, b""))
    message = f"got {status}, which no branch of this case allows"
    if server_error:
        message += ". A server error in answer to a range request is never acceptable"
    assert verdict.findings == (
        Finding("status", Grade.FAIL, message, Level.MUST, "14.1.2",
                expected="206 (partial), 200 (ignored)", actual=str(status)),
    )  # fmt: skip


DATE = "Sun, 06 Dec 2026 12:00:00 GMT"
BY_PROXY = """\
      - branch: rejected-by-proxy
        via: intermediary
        status: 416
        grade: warn
        rfc: "14.2"
"""


def test_a_branch_for_intermediaries_counts_only_through_a_cache() -> None:
    case = make_case("x-unit=0-9", IGNORED, BY_PROXY)
    fields = {"Content-Range": "bytes */1024", "Content-Length": "0", "Date": DATE}
    answer = exchange(416, fields, b"", range_value="x-unit=0-9")
    origin = run(case, answer)
    assert (origin.grade, origin.branch) == (Grade.FAIL, None)  # no branch takes a 416 here
    [status] = [f for f in origin.findings if f.check == "status"]
    assert status.expected == "200 (ignored)"  # the proxy's branch is not the origin's
    proxy = run(case, answer, intermediary=True)
    assert (proxy.grade, proxy.branch) == (Grade.WARN, "rejected-by-proxy")
