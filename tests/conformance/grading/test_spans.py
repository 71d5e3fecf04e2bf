"""Span arithmetic behind subset, coalescing and ordering verdicts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.grading.spans import (
    AMPLIFICATION_LIMIT,
    COALESCE_GAP,
    coverage_findings,
    merge,
    subtract,
)

spans = st.lists(
    st.tuples(st.integers(0, 200), st.integers(0, 50)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=8,
)


def octets(items: list[tuple[int, int]]) -> set[int]:
    return {i for first, last in items for i in range(first, last + 1)}


@given(spans)
def test_merge_keeps_the_same_octets_and_leaves_no_touching_spans(items) -> None:
    merged = merge(items)
    assert octets(merged) == octets(items)
    assert all(a[1] + 1 < b[0] for a, b in zip(merged, merged[1:], strict=False))


@given(spans, spans)
def test_subtract_is_set_difference(left, right) -> None:
    assert octets(subtract(left, right)) == octets(left) - octets(right)


# --- coverage_findings: each rule pinned on both sides of its threshold ----------------------


def findings(parts, requested, length=1000):
    return [
        (f.check, f.grade.value, f.message) for f in coverage_findings(parts, requested, length)
    ]


def test_a_part_sharing_one_octet_with_a_requested_range_is_requested() -> None:
    # 9-20 meets the part 0-9 in octet 9 alone: the part is of what was asked
    assert not any("no requested range" in m for _, _, m in findings([(0, 9)], [(9, 20)]))
    assert not any("no requested range" in m for _, _, m in findings([(20, 30)], [(9, 20)]))
    (fail,) = [f for f in findings([(0, 8)], [(9, 20)]) if f[1] == "fail"]
    assert fail[2] == "sent octets 0-8, which no requested range includes"


def test_octets_beyond_every_requested_range_warn_even_past_a_gap() -> None:
    """bytes=0-9,50-59 answered with parts 0-9 and 50-69: 60-69 were never asked for."""
    got = findings([(0, 9), (50, 69)], [(0, 9), (50, 59)])
    assert ("coverage", "warn", "sent octets 60-69 beyond the requested range") in got


THREE = [(100, 109), (200, 209), (300, 309)]


@pytest.mark.parametrize(
    ("parts", "said"),
    [
        ([(90, 109), (200, 209), (300, 309)], "sent octets 90-99 beyond the requested range"),
        ([(100, 109), (200, 209), (300, 319)], "sent octets 310-319 beyond the requested range"),
        ([(100, 209), (300, 309)], "coalesced across a gap of 90 octets (110-199)"),
        ([(100, 109), (200, 309)], "coalesced across a gap of 90 octets (210-299)"),
        ([(100, 109), (150, 209), (300, 309)], None),  # 50 unrequested octets inside a gap
        ([(100, 109), (200, 209), (250, 309)], None),
    ],
)
def test_where_an_unrequested_run_sits_decides_what_is_said(parts, said: str | None) -> None:
    """Before the first or after the last range: beyond; between two: a coalesced gap."""
    messages = [m for c, _, m in findings(parts, THREE) if c == "coverage"]
    assert [m.split(" that")[0] for m in messages] == ([said] if said else [])


@pytest.mark.parametrize(("gap", "warned"), [(79, False), (80, True)])
def test_coalescing_across_a_gap_is_fine_below_80_octets(gap: int, warned: bool) -> None:
    """RFC 9110 §15.3.7.2: a gap smaller than a part's own overhead may be sent along."""
    second = 10 + gap
    got = findings([(0, second + 9)], [(0, 9), (second, second + 9)])
    message = f"coalesced across a gap of {gap} octets (10-{second - 1}) that nobody asked for"
    assert (("coverage", "warn", message) in got) is warned
    assert COALESCE_GAP == 80


@pytest.mark.parametrize(
    ("parts", "warned"), [([(0, 9), (0, 9)], False), ([(1, 9), (1, 9), (2, 5)], True)]
)
def test_amplification_warns_past_exactly_twice_the_representation(parts, warned) -> None:
    got = findings(parts, [(0, 9)], length=10)
    sent = sum(last - first + 1 for first, last in parts)
    amplified = [m for c, _, m in got if c == "amplification"]
    assert bool(amplified) is warned
    if warned:
        assert amplified == [
            f"sent {sent} octets of parts for a 10-octet representation (amplification "
            f"{sent / 10:.1f}); servers ought to coalesce or refuse such sets"
        ]
    assert AMPLIFICATION_LIMIT == 2


def test_amplification_of_a_one_octet_representation() -> None:
    got = findings([(0, 0), (0, 0), (0, 0)], [(0, 0)], length=1)
    assert [c for c, _, _ in got] == ["amplification"]


def test_a_zero_length_representation_is_never_divided_by() -> None:
    """`bytes 0-0/*` against an empty baseline: no amplification figure, no exception."""
    assert findings([(0, 0)], [(0, 0)], length=0) == []
