"""Harness figures: suite wall time and requests per second against the reference server, and
peak memory and octets downloaded for a 5 GB target under each oracle mode.

    python benchmarks/harness_bench.py [--runs 5]

Every figure comes from separate processes (the reference server runs in its own), medians of
several runs; the machine is printed first. Nothing here is asserted: see the README's
performance section for the figures and their commands.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# One measured run, in a fresh interpreter: prints a JSON line with the figures.
CHILD = r"""
import json, resource, sys, time
from conformance.client import Client
from conformance.loader import bundled_cases_dir, load_cases
from conformance.runner import run_case
from conformance.target import Target

base, ids, mode, oracle_file = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
from reference_server.fixtures import FIXTURE_ROLES
urls = {role: base + path for role, path in FIXTURE_ROLES.items()}
cases = load_cases([bundled_cases_dir()])
if ids != "all":
    wanted = set(ids.split(","))
    cases = [c for c in cases if c.id in wanted or c.resource in wanted]
requests = 0
octets = 0
with Client() as client:
    send, send_raw = client.send, client.send_raw
    def counted(fn):
        def wrapper(*args, **kwargs):
            global requests
            requests += 1
            return fn(*args, **kwargs)
        return wrapper
    client.send, client.send_raw = counted(send), counted(send_raw)
    oracles = {"large": __import__("pathlib").Path(oracle_file)} if oracle_file != "-" else {}
    target = Target(urls, client, oracles, mode)
    started = time.perf_counter()
    results = [run_case(case, target, profile="rfc") for case in cases]
    wall = time.perf_counter() - started
    # octets: what the cases' own requests read, plus learning and oracle downloads
    octets = sum(len(r.exchange.body) for r in results if r.exchange) + target.octets_fetched()
    target.close()
grades = {}
for r in results:
    grades[r.verdict.grade.value] = grades.get(r.verdict.grade.value, 0) + 1
print(json.dumps({"wall": wall, "requests": requests, "octets": octets,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cases": len(results), "grades": grades}))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(fixtures: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "reference_server", str(fixtures), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the reference server did not start")


def measure(base: str, ids: str, mode: str, oracle_file: str, runs: int) -> list[dict]:
    figures = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, base, ids, mode, oracle_file],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        figures.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return figures


def median(figures: list[dict], key: str) -> float:
    return statistics.median(f[key] for f in figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from reference_server.fixtures import build_fixtures, default_fixtures_dir

    fixtures = build_fixtures(default_fixtures_dir())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}"
    )
    server, base = start_server(fixtures)
    try:
        suite = measure(base, "all", "auto", "-", args.runs)
        wall, requests = median(suite, "wall"), median(suite, "requests")
        print(
            f"\nfull suite against the reference server ({suite[0]['cases']} cases, "
            f"median of {args.runs} runs): {wall:.2f} s, {requests:.0f} requests, "
            f"{requests / wall:.0f} requests/s; grades {suite[0]['grades']}"
        )
        large = fixtures / "large.bin"
        size = large.stat().st_size
        print(f"\n5 GB target ({size} octets), the cases on it plus the learning step:")
        print(
            f"{'oracle':<28} {'peak RSS MiB':>12} {'octets downloaded':>18} {'share':>8} "
            f"{'wall s':>7}"
        )
        for label, mode, oracle_file in (
            ("windows (default)", "auto", "-"),
            ("--oracle-file PATH", "auto", str(large)),
            ("--oracle full", "full", "-"),
        ):
            runs = 1 if mode == "full" else args.runs
            figures = measure(base, "large", mode, oracle_file, runs)
            octets = median(figures, "octets")
            print(
                f"{label:<28} {median(figures, 'peak_rss_mib'):>12.1f} {octets:>18.0f} "
                f"{octets / size:>8.2%} {median(figures, 'wall'):>7.2f}"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
