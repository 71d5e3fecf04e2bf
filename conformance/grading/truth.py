"""The representation's true octets that a grade compares against: the windows the engine
fetched before grading (the plain 200's own octets, a local copy, ranges asked twice).

A grade is a pure function of values: when it needs octets no window holds, it notes the ask
and judges without them; the engine fetches what was asked and grades again.
"""

from __future__ import annotations

from collections.abc import Mapping


class Truth:
    """Known octets by start position; what was asked beyond them is kept in `missing`."""

    def __init__(self, windows: Mapping[int, bytes] | None = None) -> None:
        self.windows = dict(windows or {})
        self.missing: list[tuple[int, int]] = []

    def read(self, first: int, last: int) -> bytes | None:
        """Octets `first`..`last` (inclusive), or None (and the ask noted) when not known."""
        for start, octets in self.windows.items():
            if start <= first and last < start + len(octets):
                return octets[first - start : last - start + 1]
        self.missing.append((first, last))
        return None

    def adding(self, more: Mapping[int, bytes]) -> Truth:
        """A fresh Truth that also knows `more` (and has asked for nothing yet)."""
        return Truth({**self.windows, **more})

    def asked_spans(self) -> list[tuple[int, int]]:
        """What was asked, as the fewest spans that each hold every ask they touch: asks with
        the same start but different ends (a part cut short, the whole of the same part) or
        that overlap would otherwise be fetched as windows that shadow one another."""
        merged: list[tuple[int, int]] = []
        for first, last in sorted(set(self.missing)):
            if merged and first <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return merged
