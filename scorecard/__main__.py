"""python -m scorecard [--only NAME,...] [--out DIR] [--profiles rfc,strict,media] [--list]

Installs the real servers (peers), serves the suite's fixtures from each on 127.0.0.1, grades
every one in each profile, stops it, and publishes the normalised JSON reports and the matrix
(MATRIX.md, MATRIX.html) under reports/servers/. A peer that cannot be installed or started is
reported as skipped, with the reason, and the others still run. Exit code: 0 when every
selected peer was graded, 3 when some were skipped, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .peers import BY_NAME, NO_RANGES, PEERS
from .publish import DEFAULT_OUT, publish
from .run import PROFILES, fixtures, run_peer, write_outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scorecard", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("--only", help="comma-separated peer names (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--profiles", default=",".join(PROFILES))
    parser.add_argument("--no-matrix", action="store_true", help="write the JSON reports only")
    parser.add_argument("--list", action="store_true", help="list the peers and exit")
    args = parser.parse_args(argv)
    if args.list:
        for peer in PEERS:
            print(f"{peer.name:14} {peer.kind:6} {peer.title}  {' '.join(peer.packages)}")
        return 0
    names = [n.strip() for n in (args.only or "").split(",") if n.strip()] or [
        p.name for p in PEERS
    ]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown peer(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
    profiles = tuple(p.strip() for p in args.profiles.split(",") if p.strip())
    if not profiles or not set(profiles) <= set(PROFILES):
        parser.error(f"--profiles: choose from {', '.join(PROFILES)}")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    root = fixtures()
    log(f"fixtures: {root}")
    outcomes = []
    for name in names:
        log(f"{name}: installing and starting")
        outcome = run_peer(BY_NAME[name], root, profiles, log)
        write_outcome(outcome, args.out)
        outcomes.append(outcome)
    if not args.no_matrix:
        publish(args.out)
    print()
    for outcome in outcomes:
        if outcome.skipped:
            print(f"{outcome.peer.name}: SKIPPED, {outcome.skipped}")
            continue
        if outcome.no_ranges:
            print(f"{outcome.label}: {NO_RANGES}")
    for outcome in outcomes:
        if outcome.skipped:
            continue
        counts = "  ".join(
            f"{profile} "
            + "/".join(
                str(rep["counts"].get(k, 0))
                for k in ("pass", "info", "warn", "fail", "error", "skip")
            )
            for profile, rep in outcome.reports.items()
        )
        print(f"{outcome.label:44} {counts}   ({outcome.seconds:.0f} s)")
    print("(pass/info/warn/fail/error/skip per profile)")
    if not args.no_matrix:
        print(f"published: {args.out}/MATRIX.md, {args.out}/MATRIX.html")
    return 3 if any(o.skipped for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
