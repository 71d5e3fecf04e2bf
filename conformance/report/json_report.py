"""Results → machine-readable reports. The JSON shape is versioned and has its own schema.

Pure builders plus one writer; nothing here recomputes a verdict.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.model import Finding, Grade, Result
from conformance.report.text import curl_command, render_failure, shorten
from conformance.report.verdict import deciding_counts, headline, is_conformant, tally_of

REPORT_SCHEMA_ID = "range-conformance/report/1"
DETAILED = (Grade.WARN, Grade.FAIL, Grade.ERROR)


def build_json_report(
    results: Sequence[Result],
    *,
    target: dict[str, str],
    profile: str,
    duration: float,
    oracles: dict[str, str] | None = None,
    fail_on: str = "fail",
    traffic: tuple[int, int] | None = None,
    stopped: str | None = None,
) -> dict[str, Any]:
    """The report of a run: `traffic` is (requests, octets read) when the client counted them."""
    return assemble_report(
        [result_record(result) for result in results], target=target, profile=profile,
        duration=duration, oracles=oracles, fail_on=fail_on, traffic=traffic, stopped=stopped,
    )  # fmt: skip


def assemble_report(
    records: Sequence[dict[str, Any]],
    *,
    target: dict[str, str],
    profile: str,
    duration: float,
    oracles: dict[str, str] | None = None,
    fail_on: str = "fail",
    traffic: tuple[int, int] | None = None,
    stopped: str | None = None,
) -> dict[str, Any]:
    """The report from case records (`result_record`), made here or sent by xdist workers."""
    deciding = deciding_counts(records)
    report: dict[str, Any] = {
        "schema": REPORT_SCHEMA_ID,
        "tool": {"name": "range-conformance", "version": __version__},
        "target": target,
        "profile": profile,
        "duration_seconds": round(duration, 3),
        "counts": tally_of(records),
        "verdict": {
            "conformant": is_conformant(deciding, fail_on),
            "headline": headline(profile, is_conformant(deciding, fail_on)),
            "counts": deciding,
        },
        "fail_on": fail_on,
        "oracles": dict(oracles or {}),
        "results": list(records),
    }
    if traffic is not None:
        report["traffic"] = {"requests": traffic[0], "octets_read": traffic[1]}
    if stopped is not None:
        report["stopped"] = stopped
    return report


def result_record(result: Result) -> dict[str, Any]:
    """One case's JSON record: what was asked, what came back, and the verdict."""
    case, verdict, exchange = result.case, result.verdict, result.exchange
    record: dict[str, Any] = {
        "id": case.id,
        "title": case.title,
        "group": case.group,
        "level": case.level.value,
        "rfc": case.rfc,
        "file": case.file or str(case.source),
        "line": case.line,
        "outcome": verdict.grade.value,
        "decides": result.decides,
        "branch": verdict.branch,
        "summary": verdict.summary,
        "findings": [_finding(f) for f in verdict.findings],
        "measures": dict(result.measures),
        "details": render_failure(result) if verdict.grade in DETAILED else None,
        "request": None,
        "response": None,
        "curl": None,
    }
    if exchange is not None:
        sent = exchange.request
        record["request"] = {
            "method": sent.method,
            "url": sent.url,
            "headers": [[name, shorten(value)] for name, value in sent.headers],
            "raw": sent.raw,
        }
        record["curl"] = curl_command(sent)
        if exchange.status is not None:
            record["response"] = {
                "status": exchange.status,
                "headers": [[name, shorten(value)] for name, value in exchange.headers],
                "body_octets": exchange.body_octets,
                "body_capped": exchange.body_capped,
                "elapsed_seconds": round(exchange.elapsed, 4),
            }
    return record


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "check": finding.check,
        "grade": finding.grade.value,
        "message": finding.message,
        "level": finding.level.value if finding.level is not None else None,
        "rfc": finding.rfc,
        "expected": None if finding.expected is None else shorten(finding.expected),
        "actual": None if finding.actual is None else shorten(finding.actual),
        "offset": finding.offset,
    }


INLINE = 96  # a list of plain values that fits in this many characters is written on one line


def dump_json(value: Any, level: int = 0) -> str:
    """JSON indented by structure, with short lists of plain values (a header's name and
    value, an expected span) on one line: readable, and a third the size of `indent=2`."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(key)}: {dump_json(item, level + 1)}"
                 for key, item in value.items()]  # fmt: skip
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        flat = json.dumps(value, ensure_ascii=False)
        if len(flat) <= INLINE and not any(isinstance(v, dict | list) for v in value):
            return flat
        if len(flat) <= INLINE and all(_plain_list(v) for v in value):
            return flat
        items = [f"{inner}{dump_json(item, level + 1)}" for item in value]
        return "[\n" + ",\n".join(items) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def _plain_list(value: Any) -> bool:
    return isinstance(value, list) and not any(isinstance(v, dict | list) for v in value)


def write_json(report: dict[str, Any], path: Path) -> None:
    """The report as JSON; gzip-compressed when the name ends in `.gz` (with no name and no
    time stamp inside, so the same report always gives the same octets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (dump_json(report) + "\n").encode("utf-8")
    if path.name.endswith(".gz"):
        text = gzip.compress(text, compresslevel=9, mtime=0)
    path.write_bytes(text)


def read_json(path: Path) -> Any:
    """A JSON report as written by `write_json`, compressed or not. OSError, ValueError."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return json.loads(data.decode("utf-8"))
