"""Figures for the reference server against the CVE-2011-3192 class of Range sets.

For each hostile shape: median CPU milliseconds per request (the app run in-process through
Flask's test client, so the figure is the server's work alone), status, response octets
(headers + body) and amplification (body octets / file octets), then the process RSS before and
after all rounds.

    python benchmarks/dos_reference_server.py [--rounds 20] [--file-size 1000]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reference_server import create_app  # noqa: E402


def shapes(size: int) -> dict[str, str]:
    field_64k = 64 * 1024 - 100
    fine, coarse = max(size // 100, 1), max(size // 11, 1)  # spread over the whole file
    return {
        "one range": "bytes=0-99",
        "two ranges": "bytes=0-0,-1",
        "10 000 small ranges": "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 20_000, 2)),
        "10 000 whole ranges": "bytes=" + ",".join(["0-"] * 10_000),
        "1 000 overlapping (Apache Killer)": "bytes=0-,"
        + ",".join(f"5-{i}" for i in range(5, 1005)),
        "1 000 overlapping reversed": "bytes="
        + ",".join(f"5-{i}" for i in range(1004, 4, -1))
        + ",0-",
        "100 one-octet ranges (DOS-01)": "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 200, 2)),
        "100 one-octet ranges reversed": "bytes="
        + ",".join(f"{i}-{i}" for i in range(198, -1, -2)),
        f"100 ranges {fine} apart": "bytes=" + ",".join(f"{i}-{i}" for i in range(0, size, fine)),
        f"12 ranges {coarse} apart": "bytes="
        + ",".join(f"{i}-{i}" for i in range(0, size, coarse)),
        "64 KB of 10-999": "bytes=" + ",".join(["10-999"] * (field_64k // 7)),
        "64 KB numeral": "bytes=0-" + "9" * (field_64k - 8),
        "64 KB of commas": "bytes=" + "," * (field_64k - 10) + "0-0",
        "64 KB of whitespace": "bytes=0-0" + " \t" * ((field_64k - 10) // 2) + ",1-1",
    }


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--file-size", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        Path(directory, "f.bin").write_bytes(bytes(i % 251 for i in range(args.file_size)))
        client = create_app(Path(directory)).test_client()
        print(f"file: {args.file_size} octets, {args.rounds} rounds per shape")
        print(f"{'shape':36} {'field':>7} {'cpu ms':>8} {'status':>6} {'octets':>7} {'ampl':>6}")
        gc.collect()
        before = rss_kib()
        for name, value in shapes(args.file_size).items():
            cpu: list[float] = []
            for _ in range(args.rounds):
                start = time.thread_time()
                with client.get("/files/f.bin", headers={"Range": value}) as response:
                    body = response.get_data()
                cpu.append((time.thread_time() - start) * 1000)
                head = sum(len(k) + len(v) + 4 for k, v in response.headers.items())
            print(
                f"{name:36} {len(value):7} {statistics.median(cpu):8.2f} "
                f"{response.status_code:6} {head + len(body):7} "
                f"{len(body) / args.file_size:6.2f}"
            )
        gc.collect()
        after = rss_kib()
        print(f"RSS before {before} KiB, after {after} KiB, growth {after - before} KiB")


if __name__ == "__main__":
    main()
