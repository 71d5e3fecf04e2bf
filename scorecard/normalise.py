"""Normalise a range-conformance JSON report so that two runs on the same versions compare equal.

What differs from run to run, and what it becomes:

- `127.0.0.1:PORT` in any string (URLs, curl, Location, findings): free port → `127.0.0.1:PORT`;
- `Date` and `Expires` values, HTTP-dates equal to "now" in findings: clock → `<date>`;
- `duration_seconds`, `measures.seconds`, `response.elapsed_seconds`: clock → `0`;
- absolute paths of case files (`file`, `details`): where the clone is → `cases/NAME.range.yaml`;
- multipart boundaries (each `boundary=B`, everywhere in the record): random → `BOUNDARY`;
- `Allow` header members: Flask builds it from a set (hash-seed order) → sorted;
- `oracles`: local files named by absolute path (`local file /root/.cache/…/r1000.bin`) →
  `local file <fixtures>/r1000.bin`; listed in the order each resource was first learned, which
  varies with concurrency → sorted by role;
- `traffic` (requests sent, octets read): varies with connection reuse and retries → dropped;
- the `Connection` field of a response: hop-by-hop (RFC 9110 §7.6.1), and some servers
  (CherryPy) add `close` or not as their load varies → dropped.

Nothing that grades is touched: outcomes, branches, statuses, Content-Range values, findings'
offsets and octet counts stay as they were. The fixture mtimes are fixed, so Last-Modified and
the ETags derived from it are stable (Werkzeug's ETag also hashes the fixture path, which the
scorecard keeps fixed; lighttpd is configured without the inode).

    python -m scorecard.normalise reports/servers/*/*.json.gz  # rewrite in place (.json too)
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conformance.report.json_report import read_json, write_json

CASE_PATH_RE = re.compile(r"(?:/[^\s\"':]+)?/(cases/[\w.-]+\.ya?ml)")
PORT_RE = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+")
BOUNDARY_RE = re.compile(r"""boundary=("?)([^";,\s]+)\1""", re.IGNORECASE)
HTTP_DATE_RE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT"
)
CLOCK_HEADERS = {"date", "expires"}
# Sets sent in hash order (Flask builds Allow from a Python set, so it varies with the hash seed).
SET_HEADERS = {"allow"}
# Hop-by-hop connection management that varies with the server's load: left out.
LOAD_HEADERS = {"connection"}
# HTTP-dates from the fixtures' era are validators (Last-Modified, If-Range dates): kept.
FIXED_YEARS = ("2019", "2020")
# An oracle that is a local file: only the file's name is kept, under a stable folder name.
LOCAL_FILE_RE = re.compile(r"^local file (?:.*/)?([^/]+)$")
# Run-dependent top-level fields that are left out of committed reports.
DROPPED = ("traffic",)


def _sorted_list(value: str) -> str:
    return ", ".join(sorted(item.strip() for item in value.split(",")))


def _strings(value: Any, fix: Any) -> Any:
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_strings(item, fix) for item in value]
    if isinstance(value, dict):
        return {key: _strings(item, fix) for key, item in value.items()}
    return value


def _now_date(match: re.Match[str]) -> str:
    text = match.group(0)
    return text if text.split()[3] in FIXED_YEARS else "<date>"


def strings_in(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (dict values and list items, depth first)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)


def _boundaries(record: Any, found: set[str]) -> None:
    for text in strings_in(record):
        found.update(match.group(2) for match in BOUNDARY_RE.finditer(text))


def normalise_record(record: dict[str, Any]) -> dict[str, Any]:
    found: set[str] = set()
    _boundaries(record.get("response"), found)
    _boundaries(record.get("findings"), found)
    _boundaries(record.get("details"), found)
    boundaries = sorted((b for b in found if b != "BOUNDARY"), key=len, reverse=True)

    def fix(text: str) -> str:
        text = PORT_RE.sub(lambda m: m.group(1) + ":PORT", text)
        text = CASE_PATH_RE.sub(r"\1", text)
        for boundary in boundaries:
            text = text.replace(boundary, "BOUNDARY")
        return HTTP_DATE_RE.sub(_now_date, text)

    out: dict[str, Any] = _strings(record, fix)
    measures = out.get("measures")
    if isinstance(measures, dict) and "seconds" in measures:
        measures["seconds"] = 0
    response = out.get("response")
    if isinstance(response, dict):
        if "elapsed_seconds" in response:
            response["elapsed_seconds"] = 0
        headers = response.get("headers")
        if isinstance(headers, list):
            response["headers"] = [
                [name, "<date>"] if name.lower() in CLOCK_HEADERS
                else [name, _sorted_list(value)] if name.lower() in SET_HEADERS
                else [name, value]
                for name, value in headers
                if name.lower() not in LOAD_HEADERS
            ]  # fmt: skip
    return out


def _port(text: str) -> str:
    return PORT_RE.sub(lambda m: m.group(1) + ":PORT", text)


def _oracle(description: str) -> str:
    return LOCAL_FILE_RE.sub(r"local file <fixtures>/\1", description)


def normalise_report(report: dict[str, Any]) -> dict[str, Any]:
    """A copy of `report` with the run-to-run fields normalised (see the module docstring)."""
    out = {key: value for key, value in report.items() if key not in DROPPED}
    out["target"] = _strings(report.get("target", {}), _port)
    if "duration_seconds" in out:
        out["duration_seconds"] = 0
    if isinstance(out.get("oracles"), dict):
        out["oracles"] = {key: _oracle(str(out["oracles"][key])) for key in sorted(out["oracles"])}
    if isinstance(out.get("stopped"), str):
        out["stopped"] = _port(out["stopped"])
    out["results"] = [normalise_record(r) for r in report.get("results", [])]
    return out


def normalise_file(path: Path) -> None:
    """Rewrite one report in place, normalised (`.json`, or deterministic gzip for `.json.gz`)."""
    write_json(normalise_report(read_json(path)), path)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    for name in argv:
        normalise_file(Path(name))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
