"""Compare received octets with the representation's and describe the first difference (pure)."""

from __future__ import annotations

from dataclasses import dataclass

WINDOW = 8


@dataclass(frozen=True, slots=True)
class ByteDiff:
    offset: int  # relative to the compared span
    expected: str
    actual: str


def first_difference(expected: bytes, actual: bytes) -> int | None:
    """Index of the first differing octet, or the shorter length; None when equal."""
    if expected == actual:
        return None
    for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
        if left != right:
            return index
    return min(len(expected), len(actual))


def hex_window(data: bytes, offset: int) -> str:
    """A few octets around `offset` as hex, with ellipses where the data goes on."""
    start = max(0, offset - WINDOW // 2)
    chunk = data[start : start + WINDOW * 2]
    if not chunk:
        return "(no octets here)"
    text = " ".join(f"{octet:02x}" for octet in chunk)
    before = "… " if start > 0 else ""
    after = " …" if start + len(chunk) < len(data) else ""
    return before + text + after


def compare(expected: bytes, actual: bytes, absolute_start: int) -> ByteDiff | None:
    """None when equal; otherwise where they part and what each side holds there."""
    offset = first_difference(expected, actual)
    if offset is None:
        return None
    where = f"first difference at octet {offset} (absolute {absolute_start + offset})"
    return ByteDiff(
        offset=offset,
        expected=f"{len(expected)} octets; at {offset}: {hex_window(expected, offset)}",
        actual=f"{len(actual)} octets; {where}: {hex_window(actual, offset)}",
    )
