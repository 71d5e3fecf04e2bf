"""What reached the origin, named and counted (cache mode)."""

from __future__ import annotations

from conformance.grading.upstream import (
    combined_parts,
    single_range,
    upstream_finding,
    what_was_sent,
)
from conformance.model import Grade, Level, Upstream


def _record(range_value: str | None, octets: int, **headers: str) -> Upstream:
    return Upstream("GET", range_value, dict(headers), 206 if range_value else 200, octets, True)


def test_each_upstream_request_is_named_by_how_it_relates_to_the_clients() -> None:
    asked = "bytes=100-199"
    assert what_was_sent(_record(None, 1000), asked, 1000) == "a full GET"
    assert what_was_sent(_record(asked, 100), asked, 1000) == "the same range"
    widened = what_was_sent(_record("bytes=0-1048575", 1000), asked, 1000)
    assert widened == "a widened range (bytes=0-1048575)"
    assert what_was_sent(_record("bytes=500-599", 100), asked, 1000) == (
        "another range (bytes=500-599)"
    )
    assert what_was_sent(_record("bytes=-950", 950), asked, 1000).startswith("a widened")
    assert what_was_sent(_record("bytes=150-", 850), asked, 1000).startswith("another")
    revalidation = what_was_sent(_record(None, 0, **{"if-none-match": '"a"'}), asked, 1000)
    assert revalidation == "a full GET as a revalidation"


def test_nothing_upstream_is_a_hit_and_neutral() -> None:
    finding, figures = upstream_finding([], "bytes=0-9", 10, 1000, None)
    assert finding.grade is Grade.PASS
    assert finding.message.startswith("nothing reached the origin")
    assert dict(figures) == {
        "upstream_requests": 0.0, "upstream_octets": 0.0, "upstream_per_client_octet": 0.0,
    }  # fmt: skip


def test_fetching_far_more_than_asked_is_info_only_past_the_cases_threshold() -> None:
    records = [_record(None, 67_108_864)]
    costly, figures = upstream_finding(records, "bytes=0-0", 1, 67_108_864, 1024)
    assert costly.grade is Grade.INFO
    assert "67108864 octets for 1 to the client" in costly.message
    assert costly.actual == "6.711e+07"
    assert dict(figures)["upstream_per_client_octet"] == 67_108_864
    cheap, _ = upstream_finding([_record("bytes=0-0", 1)], "bytes=0-0", 1, 67_108_864, 1024)
    assert cheap.grade is Grade.PASS
    unlimited, _ = upstream_finding(records, "bytes=0-0", 1, 67_108_864, None)
    assert unlimited.grade is Grade.PASS
    exactly, _ = upstream_finding([_record(None, 1024)], "bytes=0-0", 1, 1024, 1024)
    assert exactly.grade is Grade.PASS


def test_an_answer_from_parts_alone_fails_unless_the_origin_sent_it_whole_before() -> None:
    halves = [_record("bytes=0-499", 500), _record("bytes=500-", 500)]
    combined = combined_parts(halves, [], 200, 1000)
    assert combined is not None
    assert (combined.grade, combined.level, combined.rfc) == (
        Grade.FAIL, Level.MUST, "RFC 9111 §3.4",
    )  # fmt: skip
    # the origin took part in the answer, or had sent the whole (as a 200 or a 206 of it all)
    assert combined_parts(halves, [_record(None, 1000)], 200, 1000) is None
    assert combined_parts([*halves, _record(None, 1000)], [], 200, 1000) is None
    assert combined_parts([_record("bytes=0-1048575", 1000)], [], 200, 1000) is None
    # a HEAD, a cut answer or an error sent nothing whole
    head = Upstream("HEAD", None, {}, 200, 0, True)
    cut = Upstream("GET", None, {}, 200, 300, False)
    error = Upstream("GET", None, {}, 500, 20, True)
    assert combined_parts([head, cut, error], [], 200, 1000) is not None
    # no answer of content: nothing was combined
    assert combined_parts(halves, [], 304, 1000) is None
    assert combined_parts(halves, [], None, 1000) is None


def test_a_single_bytes_range_is_read_as_positions_and_anything_else_is_not() -> None:
    assert single_range("bytes=10-19", 100) == (10, 19)
    assert single_range("bytes= 10-19", 100) == (10, 19)
    assert single_range("bytes=90-", 100) == (90, 99)
    assert single_range("bytes=90-500", 100) == (90, 99)
    assert single_range("bytes=-30", 100) == (70, 99)
    assert single_range("bytes=-300", 100) == (0, 99)
    for other in ("bytes=-", "bytes=0-9,20-29", "items=0-9", "", None):
        assert single_range(other, 100) is None


def test_a_range_is_widened_only_when_it_holds_the_clients_at_both_ends() -> None:
    asked = "bytes=100-199"
    assert what_was_sent(_record("bytes=100-1048575", 900), asked, 1000).startswith("a widened")
    assert what_was_sent(_record("bytes=0-199", 200), asked, 1000).startswith("a widened")
    assert what_was_sent(_record("bytes=0-150", 151), asked, 1000).startswith("another")
    assert what_was_sent(_record("bytes=101-199", 99), asked, 1000).startswith("another")


def test_the_cost_figure_keeps_three_decimals() -> None:
    _, figures = upstream_finding([_record(None, 1000)], "bytes=0-2", 3, 1000, None)
    assert dict(figures)["upstream_per_client_octet"] == 333.333


def test_a_range_answered_from_combined_parts_fails_too() -> None:
    halves = [_record("bytes=0-499", 500), _record("bytes=500-", 500)]
    assert combined_parts(halves, [], 206, 1000) is not None
