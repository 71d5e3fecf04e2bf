"""Where received octets part from the representation's, and the windows that show it."""

from __future__ import annotations

import pytest

from conformance.grading.bytediff import WINDOW, compare, first_difference, hex_window

DATA = bytes(range(64))


@pytest.mark.parametrize(
    ("expected", "actual", "where"),
    [
        (b"abc", b"abc", None),
        (b"abc", b"abd", 2),
        (b"abc", b"xbc", 0),
        (b"abc", b"ab", 2),  # one is cut short: they part where it ends
        (b"ab", b"abc", 2),
        (b"", b"a", 0),
    ],
)
def test_the_first_difference(expected: bytes, actual: bytes, where: int | None) -> None:
    assert first_difference(expected, actual) == where


def test_a_window_in_the_middle_shows_octets_on_both_sides_and_ellipses() -> None:
    assert WINDOW == 8
    shown = hex_window(DATA, 20)  # from 16, sixteen octets: 10 … 1f
    assert shown == "… " + " ".join(f"{n:02x}" for n in range(16, 32)) + " …"


def test_a_window_at_the_start_has_no_leading_ellipsis() -> None:
    assert hex_window(DATA, 2) == " ".join(f"{n:02x}" for n in range(16)) + " …"
    assert hex_window(DATA, 4) == " ".join(f"{n:02x}" for n in range(16)) + " …"
    assert hex_window(DATA, 5).startswith("… 01 ")


def test_a_window_at_the_end_has_no_trailing_ellipsis() -> None:
    assert hex_window(DATA, 60) == "… " + " ".join(f"{n:02x}" for n in range(56, 64))
    assert hex_window(DATA[:16], 4) == " ".join(f"{n:02x}" for n in range(16))


def test_a_window_past_the_octets_says_so() -> None:
    assert hex_window(b"ab", 40) == "(no octets here)"
    assert hex_window(b"", 0) == "(no octets here)"


def test_compare_names_the_offset_within_and_the_absolute_one() -> None:
    diff = compare(b"\x00\x01\x02\x03", b"\x00\x01\xff\x03", 1000)
    assert diff is not None
    assert diff.offset == 2
    assert diff.expected == "4 octets; at 2: 00 01 02 03"
    assert diff.actual == "4 octets; first difference at octet 2 (absolute 1002): 00 01 ff 03"
    assert compare(b"same", b"same", 0) is None
