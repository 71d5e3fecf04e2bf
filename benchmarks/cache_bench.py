"""What `range-conformance cache` costs on the path a user takes: the default command (the cache
cases and the whole catalogue through the cache, beside the origin alone) against a real cache,
near and at a distance.

    python benchmarks/cache_bench.py [--runs 3] [--caches nginx,varnish]

Each figure is a fresh `range-conformance cache` process (interpreter start-up included); the
cache under test is one of the scorecard's real caches (Debian's packages, configured as in
reports/caches/) in front of the tool's origin, and a TCP proxy between the harness and the
cache delays every octet by 0, 25 and 50 ms each way (the user's distance to a CDN edge; the
origin stays local, as it would sit next to the edge). Printed: wall time (median), the ratio to
the 0 ms run, and the verdict counts, which must not change with distance. Nothing is asserted
but that; the README quotes these figures with this command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scorecard.caches import BY_NAME, CacheUnavailable, program, running  # noqa: E402
from scorecard.run import free_port  # noqa: E402
from tests.helpers.delay_proxy import delay_proxy  # noqa: E402

DELAYS = (0.0, 0.025, 0.050)


def judged(origin_port: int, cache_url: str) -> tuple[float, dict[str, int]]:
    """One `range-conformance cache` process: its wall time and its counts."""
    with tempfile.TemporaryDirectory(prefix="cache-bench-") as scratch:
        report = Path(scratch) / "report.json"
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603 - our own command
            [sys.executable, "-m", "conformance", "cache", "--origin-port", str(origin_port),
             "--cache", cache_url, "--json", str(report), "-q"],
            capture_output=True, text=True, check=False, cwd=ROOT,
        )  # fmt: skip
        wall = time.monotonic() - started
        if done.returncode not in (0, 1):
            raise SystemExit(f"range-conformance cache exited {done.returncode}: {done.stderr}")
        counts: dict[str, int] = json.loads(report.read_text("utf-8"))["counts"]
    return wall, counts


def bench(name: str, runs: int) -> None:
    cache = BY_NAME[name]
    if program(cache) is None:
        print(f"{name}: not installed, left out")
        return
    print(f"\n{cache.title}: medians of {runs} runs")
    print(f"{'one-way':>8} {'round trip':>11} {'wall s':>8} {'vs 0 ms':>8}  counts")
    first: float | None = None
    for delay in DELAYS:
        walls, counts = [], None
        for _ in range(runs):
            origin_port = free_port()
            try:
                with tempfile.TemporaryDirectory(prefix="cache-bench-") as work, running(
                    cache, origin_port, Path(work) / "cache"
                ) as url:  # fmt: skip
                    host, port = url.removeprefix("http://").split(":")
                    with delay_proxy((host, int(port)), delay) as (near_host, near_port):
                        wall, found = judged(origin_port, f"http://{near_host}:{near_port}")
            except CacheUnavailable as error:
                print(f"{name}: {error}")
                return
            walls.append(wall)
            if counts is not None and found != counts:
                print(f"  note: counts changed between runs: {counts} then {found}")
            counts = found
        median = statistics.median(walls)
        first = median if first is None else first
        shown = " ".join(f"{k} {v}" for k, v in (counts or {}).items() if v)
        print(
            f"{delay * 1000:>6.0f} ms {delay * 2000:>8.0f} ms {median:>8.2f} "
            f"{median / first:>8.2f}  {shown}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure")
    parser.add_argument("--caches", default="nginx", help="comma-separated scorecard caches")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    for name in args.caches.split(","):
        bench(name.strip(), args.runs)


if __name__ == "__main__":
    main()
