"""What a run of the harness costs on the path a user takes: the whole default command, every
case, against real-sized targets and at a distance.

    python benchmarks/harness_bench.py [--runs 3] [--distance-runs 3]

Each figure is a fresh `range-conformance` process (interpreter start-up included) against the
reference server in a process of its own, over loopback; medians of several runs; the machine
is printed first. Nothing here is asserted: the README quotes these figures with this command.

1. Size: the full catalogue in each profile, every role given, with the main resource the
   1000-octet fixture, a 100 MiB file and a sparse 5 GiB + 123 file. Printed: wall time, the
   peak RSS of the harness process, the octets it read from the target (its own count, from the
   JSON report) and its verdicts, which must be those of the 1000-octet run case for case.
2. Distance: the same default run (rfc, 1000-octet main resource, every role) through a TCP
   proxy that delays every octet by 0, 25 and 50 ms each way, with the default concurrency and
   with `-j 1` (one case at a time, as before concurrency was the default): wall and ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_server.fixtures import FIXTURE_ROLES, build_fixtures  # noqa: E402
from tests.helpers.delay_proxy import delay_proxy  # noqa: E402
from tests.helpers.minimal_server import write_counter_file, write_sparse_file  # noqa: E402

MiB = 1024 * 1024
PROFILES = ("rfc", "strict", "media")


@dataclass(frozen=True)
class Run:
    """One finished `range-conformance` process."""

    wall: float
    peak_rss_mib: float
    octets: int
    requests: int
    counts: dict[str, int]
    outcomes: dict[str, str]
    code: int


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def reference_server(directory: Path) -> Iterator[str]:
    """`python -m reference_server DIR` in its own process; its base URL; stopped on exit."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "reference_server", str(directory), "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the reference server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def role_args(base: str) -> list[str]:
    return [
        arg
        for role, path in FIXTURE_ROLES.items()
        if role != "main"
        for arg in ("--resource", f"{role}={base}{path}")
    ]


def harness(main_url: str, base: str, *extra: str) -> Run:
    """One CLI process: wall, peak RSS (its own, from wait4), and what its JSON report says."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "r.json"
        argv = [sys.executable, "-m", "conformance", main_url, *role_args(base),
                "--json", str(report), "-q", *extra]  # fmt: skip
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        data: dict[str, Any] = json.loads(report.read_text("utf-8"))
    return Run(
        wall=wall,
        peak_rss_mib=usage.ru_maxrss / 1024,
        octets=data["traffic"]["octets_read"],
        requests=data["traffic"]["requests"],
        counts={k: v for k, v in data["counts"].items() if v},
        outcomes={r["id"]: r["outcome"] for r in data["results"]},
        code=child.returncode,
    )


def medians(runs: list[Run]) -> tuple[float, float, float, float]:
    return (
        statistics.median(r.wall for r in runs),
        statistics.median(r.peak_rss_mib for r in runs),
        statistics.median(r.octets for r in runs),
        statistics.median(r.requests for r in runs),
    )


def size_table(base: str, targets: dict[str, str], runs: int) -> None:
    print(f"\n1. Size: the full default run (every case, every role given), medians of {runs} runs")
    print(
        f"{'main resource':<22} {'profile':<7} {'wall s':>7} {'peak RSS MiB':>13} "
        f"{'octets read':>12} {'requests':>9}  verdicts; same as the 1000-octet run?"
    )
    for profile in PROFILES:
        reference: dict[str, str] | None = None
        for label, url in targets.items():
            measured = [harness(url, base, "--profile", profile) for _ in range(runs)]
            wall, rss, octets, requests = medians(measured)
            outcomes = measured[0].outcomes
            if reference is None:
                reference = outcomes
            differs = {k: (reference.get(k), v) for k, v in outcomes.items()
                       if reference.get(k) != v}  # fmt: skip
            same = "yes" if not differs else f"NO: {differs}"
            counts = " ".join(f"{n} {g}" for g, n in measured[0].counts.items())
            print(
                f"{label:<22} {profile:<7} {wall:>7.2f} {rss:>13.1f} {octets:>12.0f} "
                f"{requests:>9.0f}  {counts}; {same}"
            )


def distance_table(base: str, runs: int) -> None:
    print(
        "\n2. Distance: the default run (rfc, every role) through a proxy delaying each "
        f"direction, medians of {runs} runs"
    )
    print(
        f"{'one-way':>8} {'round trip':>11} {'default s':>10} {'-j 1 s':>8} {'-j 1 / default':>15}"
    )
    host, port = base.removeprefix("http://").split(":")
    for delay in (0.0, 0.025, 0.050):
        with delay_proxy((host, int(port)), delay) as (proxy_host, proxy_port):
            near = f"http://{proxy_host}:{proxy_port}"
            main = near + FIXTURE_ROLES["main"]
            default = [harness(main, near) for _ in range(runs)]
            one = [harness(main, near, "-j", "1") for _ in range(runs)]
        fast = statistics.median(r.wall for r in default)
        slow = statistics.median(r.wall for r in one)
        assert default[0].outcomes == one[0].outcomes, "concurrency changed a verdict"
        print(
            f"{delay * 1000:>6.0f} ms {delay * 2000:>8.0f} ms {fast:>10.2f} {slow:>8.2f} "
            f"{slow / fast:>15.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per size figure")
    parser.add_argument("--distance-runs", type=int, default=3, help="runs per distance figure")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    with tempfile.TemporaryDirectory(prefix="harness-bench-") as scratch:
        directory = build_fixtures(Path(scratch))
        write_counter_file(directory / "main-100m.bin", 100 * MiB)
        write_sparse_file(directory / "main-5g.bin", 5 * 1024**3 + 123)
        with reference_server(directory) as base:
            targets = {
                "1000 octets": base + FIXTURE_ROLES["main"],
                "100 MiB": base + "/files/main-100m.bin",
                "5 GiB + 123 (sparse)": base + "/files/main-5g.bin",
            }
            size_table(base, targets, args.runs)
            distance_table(base, args.distance_runs)


if __name__ == "__main__":
    main()
