"""This process's memory, for tests that hold a server's footprint to a bound (the servers
under test run in-process)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def rss() -> int:
    """This process's resident set size in octets (the servers under test run in-process)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


requires_proc = pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc")
