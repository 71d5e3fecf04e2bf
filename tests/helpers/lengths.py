"""The main-resource lengths the catalogue is proven right for: the documented minimum, the
lengths around the catalogue's own literals (1000, 5000), a multi-block one, a few MiB, and a
sparse file past 4 GiB."""

from __future__ import annotations

from conformance.engine.target import MIN_LENGTH

MiB = 1024 * 1024
SPARSE = 5 * 1024**3 + 123
LENGTHS = (MIN_LENGTH, 1000, 1001, 4999, 5000, 5001, 10_000, 65_537, 3 * MiB + 17, SPARSE)
MINIMAL_LENGTHS = (5001, SPARSE)  # also run against the suite's own minimal server
