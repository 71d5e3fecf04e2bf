"""The octets a grade may compare with: known windows served exactly, anything else noted."""

from __future__ import annotations

from conformance.grading.truth import Truth

OCTETS = bytes(range(100))


def test_octets_inside_a_window_are_served_and_nothing_is_noted() -> None:
    truth = Truth({10: OCTETS[10:60]})
    assert truth.read(10, 10) == OCTETS[10:11]
    assert truth.read(10, 59) == OCTETS[10:60]
    assert truth.read(25, 30) == OCTETS[25:31]
    assert truth.missing == []


def test_octets_past_either_end_of_every_window_are_noted_not_guessed() -> None:
    truth = Truth({10: OCTETS[10:60]})
    assert truth.read(9, 20) is None
    assert truth.read(50, 60) is None
    assert truth.read(70, 80) is None
    assert truth.missing == [(9, 20), (50, 60), (70, 80)]


def test_adding_windows_gives_a_fresh_truth_that_knows_both() -> None:
    first = Truth({0: OCTETS[:10]})
    first.read(50, 59)
    second = first.adding({50: OCTETS[50:60]})
    assert second.read(0, 9) == OCTETS[:10]
    assert second.read(55, 59) == OCTETS[55:60]
    assert second.missing == []
    assert first.missing == [(50, 59)]


def test_asks_with_one_start_or_overlapping_become_one_span_that_holds_them_all() -> None:
    """A part cut at the read cap and the same part whole both start at 10: fetched as two
    windows keyed by their start, the shorter would shadow the longer."""
    truth = Truth()
    for first, last in [(10, 55), (10, 999), (10, 55), (500, 1200), (1201, 1300), (2000, 2000)]:
        truth.read(first, last)
    assert truth.asked_spans() == [(10, 1300), (2000, 2000)]
    fetched = truth.adding({first: bytes(last - first + 1) for first, last in truth.asked_spans()})
    assert fetched.read(10, 55) is not None
    assert fetched.read(10, 999) is not None
    assert fetched.read(1201, 1300) is not None
    assert fetched.missing == []


def test_an_ask_inside_another_keeps_the_outer_one_and_a_gap_keeps_two_spans() -> None:
    truth = Truth()
    for first, last in [(0, 100), (50, 60), (102, 110)]:
        truth.read(first, last)
    assert truth.asked_spans() == [(0, 100), (102, 110)]  # octet 101 was asked by nobody
