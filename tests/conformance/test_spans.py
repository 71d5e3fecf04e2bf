"""Span arithmetic behind subset, coalescing and ordering verdicts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from conformance.spans import merge, subtract

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
