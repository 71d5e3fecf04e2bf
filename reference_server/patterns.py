"""The octets of each version of an origin representation, computed from (version, position).

Pure, no I/O: the origin writes its files from here and a test recomputes any span it expects,
so neither needs to keep a copy. The period is prime, so no power-of-two chunk or range size
lines up with it and a span misplaced by a round number never compares equal.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator

__all__ = ["PERIOD", "octets", "pattern", "stream"]

PERIOD = 65_521  # the largest prime below 2**16


@functools.lru_cache(maxsize=8)
def pattern(version: int) -> bytes:
    """One period of version `version`: the same octets in every run and on every machine."""
    # A str seed is hashed with SHA-512 (random's seed version 2), stable across Python versions.
    return random.Random(f"range-conformance-origin-{version}").randbytes(PERIOD)


def octets(version: int, first: int, last: int) -> bytes:
    """Octets `first`..`last` (inclusive) of version `version`; empty when `last == first - 1`.

    Octet i is `pattern(version)[i % PERIOD]`; built from slices and repetition, so a span of
    several MiB costs a few memory copies, not a Python loop per octet.
    """
    if first < 0 or last < first - 1:
        raise ValueError(f"not a span of octets: {first}-{last}")
    length = last - first + 1
    if length == 0:
        return b""
    period = pattern(version)
    start = first % PERIOD
    if start + length <= PERIOD:
        return period[start : start + length]
    rotated = period[start:] + period[:start]  # the period as seen from `first`
    whole, rest = divmod(length, PERIOD)
    return rotated * whole + rotated[:rest]


def stream(version: int, first: int, last: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """Octets `first`..`last` of version `version` in pieces of at most `chunk` octets, for spans
    too large to hold at once."""
    if chunk < 1:
        raise ValueError(f"chunk must be positive, not {chunk}")
    if first < 0 or last < first - 1:
        raise ValueError(f"not a span of octets: {first}-{last}")
    position = first
    while position <= last:
        end = min(last, position + chunk - 1)
        yield octets(version, position, end)
        position = end + 1
