"""python -m scorecard.cache_scorecard [--only NAME,...] [--out DIR]

Grades real HTTP caches (scorecard.caches.CACHES) with `range-conformance cache`: each cache is
installed, started in front of the tool's own origin on a free 127.0.0.1 port, graded (the 24
cache cases CCO-* and the whole catalogue through it), stopped, and published under
reports/caches/NAME/ (report.json.gz normalised, cache.json, config.txt), with MATRIX.md beside
them. A cache that cannot be installed, started or graded is recorded as skipped with the reason
and keeps its old report. Exit code: 0 when every selected cache was graded, 3 when some were
skipped, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.report.escape import markdown_text
from conformance.report.json_report import read_json, write_json

from .caches import BY_NAME, CACHES, Cache, CacheUnavailable, install, published_config, running
from .caches import version as cache_version
from .normalise import normalise_report, strings_in
from .run import free_port, published, run_harness

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "reports" / "caches"
GRADE_TIMEOUT = 600.0  # seconds for one `range-conformance cache` run
OUTCOMES = ("pass", "info", "warn", "fail", "error", "skip")
BAD = ("fail", "warn", "error")
# The per-run random token in the origin paths the cache cases and the preflight use
# (`/o/cco-07-<hex>/representation.bin`, `/o/preflight-<hex>/…`): it keeps one run's objects
# apart from the cache's earlier ones, so it differs every run → `TOKEN`.
# The catalogue's cache-busting query (`?range-conformance=CCH-04-<hex>`) likewise.
TOKEN_RE = re.compile(
    r"(?:/o/[A-Za-z0-9_.-]*?|range-conformance=[A-Za-z0-9_.-]*?)-([0-9a-f]{8,})(?![0-9A-Za-z])"
)
# The origin's ETags hash the run token (`"v1-100000-ca929366"`) → `"v1-100000-HASH"`.
ETAG_RE = re.compile(r"\b(v\d+-\d+-)[0-9a-f]{8}\b")
# The Age a cache adds counts seconds of wall clock → `<age>`.
# Values that change every run whatever the cache did: Age (a clock), and Varnish's
# transaction ids (X-Varnish); their presence still tells a hit from a miss.
RUN_HEADERS = {"age": "<age>", "x-varnish": "<id>"}
REPORT = "report.json.gz"
UPSTREAM_NOTE = (
    "What each cache sent the origin for a case (the `upstream` finding: full GET, Range "
    "forwarded, octets fetched per client octet) is in that case's record in "
    "`NAME/report.json.gz`."
)


# --- normalisation --------------------------------------------------------------------------


def _collect(value: Any, found: set[str]) -> None:
    for text in strings_in(value):
        found.update(m.group(1) for m in TOKEN_RE.finditer(text))


def _replace(value: Any, tokens: list[str]) -> Any:
    if isinstance(value, str):
        for token in tokens:
            value = value.replace(token, "TOKEN")
        return ETAG_RE.sub(r"\1HASH", value)
    if isinstance(value, list):
        return [_replace(item, tokens) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, tokens) for key, item in value.items()}
    return value


def normalise_tokens(report: dict[str, Any]) -> dict[str, Any]:
    """A copy of `report` with every run token (an `/o/…-HEX/` path, a `range-conformance=…-HEX`
    query) replaced by `TOKEN` wherever it occurs, the origin's ETag hashes by `HASH`, and the
    values of RUN_HEADERS: they change every run, the outcomes do not depend on them."""
    found: set[str] = set()
    _collect(report, found)
    tokens = sorted(found, key=len, reverse=True)
    out: dict[str, Any] = _replace(report, tokens)
    for record in out.get("results", []):
        headers = (record.get("response") or {}).get("headers")
        if isinstance(headers, list):
            for pair in headers:
                pair[1] = RUN_HEADERS.get(str(pair[0]).lower(), pair[1])
    return out


def normalise_cache_report(report: dict[str, Any]) -> dict[str, Any]:
    """The report as published: ports, dates, durations (normalise_report), run tokens, and the
    rendered fields left out (run.published)."""
    return published(normalise_tokens(normalise_report(report)))


# --- running --------------------------------------------------------------------------------


@dataclass
class CacheOutcome:
    cache: Cache
    version: str = ""
    skipped: str | None = None
    report: dict[str, Any] | None = None
    seconds: float = 0.0


def grade(origin_port: int, cache_url: str, out: Path) -> dict[str, Any]:
    """Run `range-conformance cache` against the running cache; the raw JSON report."""
    arguments = ["cache", "--origin-port", str(origin_port), "--cache", cache_url]
    return run_harness(
        arguments, out, "range-conformance cache", GRADE_TIMEOUT, unavailable=CacheUnavailable
    )


def run_cache(cache: Cache, log: Any) -> CacheOutcome:
    """Install, start, grade and stop one cache; never raises CacheUnavailable (→ skipped)."""
    outcome = CacheOutcome(cache)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix=f"cache-scorecard-{cache.name}-"))
    try:
        try:
            install(cache)
            outcome.version = cache_version(cache)
        except CacheUnavailable as exc:
            outcome.skipped = f"cannot be installed: {exc}"
            return outcome
        try:
            origin_port = free_port()
            with running(cache, origin_port, workdir / "cache") as url:
                log(f"  {cache.name}: grading through {url}")
                raw = grade(origin_port, url, workdir / "report.json")
            outcome.report = normalise_cache_report(raw)
        except (CacheUnavailable, OSError) as exc:  # OSError: the origin port taken meanwhile
            outcome.skipped = f"cannot be started or graded: {exc}"
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        outcome.seconds = time.monotonic() - started
    return outcome


def cache_meta(outcome: CacheOutcome) -> dict[str, Any]:
    cache = outcome.cache
    meta: dict[str, Any] = {
        "name": cache.name,
        "title": cache.title,
        "version": outcome.version,
        "docs": cache.docs,
        "packages": list(cache.packages),
    }
    if outcome.skipped is not None:
        meta["skipped"] = outcome.skipped
    return meta


def write_outcome(outcome: CacheOutcome, out: Path) -> None:
    """OUT/NAME/{report.json.gz, cache.json, config.txt}; a skipped cache keeps its old report
    and its cache.json says why it was skipped."""
    folder = out / outcome.cache.name
    folder.mkdir(parents=True, exist_ok=True)
    if outcome.report is not None:
        write_json(outcome.report, folder / REPORT)
    meta = cache_meta(outcome)
    (folder / "cache.json").write_text(json.dumps(meta, indent=1) + "\n", "utf-8")
    (folder / "config.txt").write_text(published_config(outcome.cache), "utf-8")


# --- the matrix -----------------------------------------------------------------------------


def is_cache_case(record: dict[str, Any]) -> bool:
    return str(record.get("id", "")).startswith("CCO-")


def counts(report: dict[str, Any]) -> dict[str, int]:
    tally = dict.fromkeys(OUTCOMES, 0)
    for record in report["results"]:
        tally[record["outcome"]] = tally.get(record["outcome"], 0) + 1
    return tally


def cco_failures(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in report["results"] if is_cache_case(r) and r["outcome"] in ("fail", "error")]


def cache_only(report: dict[str, Any]) -> list[tuple[str, str]]:
    """(id, grade) of the catalogue cases worse through the cache than on the origin alone."""
    found = []
    for record in report["results"]:
        if is_cache_case(record):
            continue
        grades = [f["grade"] for f in record.get("findings") or []
                  if f.get("check") == "through-cache" and f.get("grade") in BAD]  # fmt: skip
        if grades:
            worst = min(grades, key=("error", "fail", "warn").index)
            found.append((record["id"], worst))
    return found


def _label(meta: dict[str, Any]) -> str:
    version = meta.get("version") or "version unknown"
    return markdown_text(f"{meta['title']} ({version})")


def _ids(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(f"`{i}`" + ("" if g == "fail" else f" ({g})") for i, g in pairs) or "none"


def cell(record: dict[str, Any] | None) -> str:
    """`pass partial`, `FAIL`, `FAIL whole-fetched`: the outcome (upper case when it is bad)
    and the branch taken."""
    if record is None:
        return "—"
    outcome = record["outcome"]
    text = outcome.upper() if outcome in ("fail", "error") else outcome
    branch = record.get("branch")
    return markdown_text(f"{text} {branch}" if branch else text)


Entry = tuple[dict[str, Any], dict[str, Any] | None]  # (cache.json, report or None if skipped)


def render_matrix(entries: list[Entry]) -> str:
    """MATRIX.md from each cache's meta and normalised report (None when skipped)."""
    lines = [
        "# Real HTTP caches against range-conformance",
        "",
        "Each cache runs in front of the tool's own origin on 127.0.0.1 and is graded by "
        "`python -m scorecard.cache_scorecard` (`range-conformance cache`): the cache cases "
        "(CCO-\\*) and the whole catalogue through the cache, compared with the origin alone. "
        "Per-cache JSON reports: `reports/caches/NAME/report.json.gz` (normalised: ports, dates, "
        "durations, run tokens); the configuration graded: `NAME/config.txt`. Every FAIL is read "
        "against the RFCs in [AUDIT.md](AUDIT.md).",
        "",
        "## Totals",
        "",
        "| cache | pass | info | warn | fail | error | skip | cache cases failing "
        "| cache-only FAILs in the catalogue |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for meta, report in entries:
        if report is None:
            reason = markdown_text(f"skipped: {meta.get('skipped') or 'no report'}")
            lines.append(f"| {_label(meta)} | " + "— | " * len(OUTCOMES) + f"— | {reason} |")
            continue
        tally = counts(report)
        bad = [(r["id"], r["outcome"]) for r in cco_failures(report)]
        lines.append(
            f"| {_label(meta)} | " + " | ".join(str(tally[k]) for k in OUTCOMES)
            + f" | {_ids(bad)} | {_ids(cache_only(report))} |"
        )  # fmt: skip
    lines += [
        "",
        "Cache-only: a catalogue case whose `through-cache` finding is fail, warn or error (the "
        "origin alone did better; grade in brackets when not fail). " + UPSTREAM_NOTE,
        "",
        "## Cache cases",
        "",
    ]
    graded = [(meta, report) for meta, report in entries if report is not None]
    titles: dict[str, str] = {}
    for _, report in graded:
        for record in report["results"]:
            if is_cache_case(record):
                titles.setdefault(record["id"], str(record.get("title", "")))
    if not graded:
        lines.append("No cache was graded.")
        return "\n".join(lines).rstrip() + "\n"
    lines += [
        "| case | " + " | ".join(_label(meta) for meta, _ in graded) + " |",
        "|---|" + "---|" * len(graded),
    ]
    by_id = [{r["id"]: r for r in report["results"] if is_cache_case(r)} for _, report in graded]
    for case_id in sorted(titles):
        cells = [cell(records.get(case_id)) for records in by_id]
        lines.append(
            f"| `{case_id}` {markdown_text(titles[case_id])} | " + " | ".join(cells) + " |"
        )
    lines += ["", "Cell: outcome and branch. " + UPSTREAM_NOTE]
    skipped = [meta for meta, report in entries if report is None]
    if skipped:
        lines += ["", "Not graded this run:", ""]
        lines += [
            f"- {_label(m)}: {markdown_text(m.get('skipped') or 'no report')}" for m in skipped
        ]
    return "\n".join(lines).rstrip() + "\n"


def entries(out: Path) -> list[Entry]:
    """(cache.json, report or None) for every cache with a cache.json under `out`, in CACHES
    order; a skipped cache's old report is not shown (it is not this run's)."""
    found: list[Entry] = []
    for cache in CACHES:
        meta_path = out / cache.name / "cache.json"
        if not meta_path.is_file():
            continue
        meta = json.loads(meta_path.read_text("utf-8"))
        report_file = out / cache.name / REPORT
        report = None
        if "skipped" not in meta and report_file.is_file():
            report = read_json(report_file)
        found.append((meta, report))
    return found


def publish(out: Path) -> None:
    (out / "MATRIX.md").write_text(render_matrix(entries(out)), "utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scorecard.cache_scorecard", description=__doc__.split("\n\n")[1]
    )
    parser.add_argument("--only", help="comma-separated cache names (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    names = [n.strip() for n in (args.only or "").split(",") if n.strip()] or [
        c.name for c in CACHES
    ]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown cache(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    outcomes = []
    for name in names:
        log(f"{name}: installing and starting")
        outcome = run_cache(BY_NAME[name], log)
        write_outcome(outcome, args.out)
        outcomes.append(outcome)
    publish(args.out)
    print()
    for outcome in outcomes:
        label = f"{outcome.cache.name} ({outcome.version or '?'})"
        if outcome.report is None:
            print(f"{label}: SKIPPED, {outcome.skipped}  ({outcome.seconds:.0f} s)")
            continue
        tally = "/".join(str(counts(outcome.report)[k]) for k in OUTCOMES)
        bad = _ids([(r["id"], r["outcome"]) for r in cco_failures(outcome.report)])
        only = _ids(cache_only(outcome.report))
        print(f"{label:40} {tally}  CCO: {bad}  cache-only: {only}  ({outcome.seconds:.0f} s)")
    print("(pass/info/warn/fail/error/skip)")
    print(f"published: {args.out}/MATRIX.md")
    return 3 if any(o.report is None for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
