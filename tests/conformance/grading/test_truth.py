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
