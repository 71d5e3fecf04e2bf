"""JSON reports built by hand, and readers of the pages made from them: shared by the HTML
report's and the matrix's unit tests and by the browser test."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from conformance.report.html_report import ORDER

EVIL = "<script>document.title='pwned'</script>"
TARGET = "http://server.test/files/r1000.bin?a=1&b=<x>"


def case_record(case_id: str, outcome: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": case_id,
        "title": f"title of {case_id}",
        "group": case_id.split("-")[0],
        "level": "MUST",
        "rfc": "14.1.2",
        "file": "cases/single.range.yaml",
        "line": 10,
        "outcome": outcome,
        "branch": "partial",
        "summary": f"206 partial ({case_id})",
        "findings": [],
        "measures": {"seconds": 0.01, "octets": 10.0},
        "request": {
            "method": "GET",
            "url": TARGET,
            "headers": [["Range", "bytes=0-9"]],
            "raw": False,
        },
        "response": {
            "status": 206,
            "headers": [["Content-Range", "bytes 0-9/1000"]],
            "body_octets": 10,
            "body_capped": False,
            "elapsed_seconds": 0.01,
        },
        "curl": f"curl -sS -H 'Range: bytes=0-9' '{TARGET}'",
        "details": None,
    }
    record.update(extra)
    return record


def finding_record(grade: str, check: str, message: str, **extra: Any) -> dict[str, Any]:
    finding: dict[str, Any] = {
        "check": check,
        "grade": grade,
        "message": message,
        "level": "MUST",
        "rfc": "15.3.7.1",
        "expected": None,
        "actual": None,
        "offset": None,
    }
    finding.update(extra)
    return finding


def mixed_report() -> dict[str, Any]:
    """One result of every outcome, with hostile text where a server could put some."""
    evil_response = {
        "status": 200,
        "headers": [["X-Evil", EVIL], ["X-Ctl", "a\x00b\x1b[31mc"], [EVIL, "name too"]],
        "body_octets": 1000,
        "body_capped": False,
        "elapsed_seconds": 0.002,
    }
    results = [
        case_record("BAS-01", "pass", branch="whole", response=evil_response),
        case_record("SYN-31", "info", branch="ignored", rfc="14.2", summary="200 ignored"),
        case_record(
            "SGL-15",
            "warn",
            rfc="RFC 9111 §3.3",
            findings=[
                finding_record("warn", "content-range", "416 without Content-Range", level="SHOULD")
            ],
        ),
        case_record(
            "SGL-04",
            "fail",
            findings=[
                finding_record(
                    "fail",
                    "body",
                    "content differs from the representation's octets 0-1",
                    expected="2 octets; at 0: a1 33",
                    actual="2 octets; first difference at octet 0 (absolute 0): 33 ce",
                    offset=0,
                )
            ],
        ),
        case_record(
            "MUL-01",
            "error",
            branch=None,
            summary="no answer: connection reset",
            response=None,
            findings=[
                finding_record("error", "exchange", f"server said {EVIL}", level=None, rfc=None)
            ],
        ),
        case_record(
            "CCH-01",
            "skip",
            branch=None,
            summary="needs a cache",
            request=None,
            response=None,
            curl=None,
            measures={},
        ),
    ]
    return report_around(results, {"main": TARGET, "one": "http://server.test/one.bin"})


def report_of(outcomes: dict[str, str], profile: str = "rfc") -> dict[str, Any]:
    """A report with one record per `case id → outcome`; a problem carries one finding."""
    results = [
        case_record(
            case_id,
            outcome,
            findings=[finding_record(outcome, "status", f"finding of {case_id}")]
            if outcome in ("warn", "fail", "error")
            else [],
        )
        for case_id, outcome in outcomes.items()
    ]
    return report_around(results, {"main": TARGET}, profile)


def report_around(
    results: list[dict[str, Any]], target: dict[str, str], profile: str = "rfc"
) -> dict[str, Any]:
    """A whole report around case records: their counts, a target and a profile."""
    counts = dict.fromkeys(ORDER, 0)
    for record in results:
        counts[record["outcome"]] += 1
    return {
        "schema": "range-conformance/report/1",
        "tool": {"name": "range-conformance", "version": "0.1.0"},
        "target": target,
        "profile": profile,
        "duration_seconds": 0.5,
        "counts": counts,
        "results": results,
    }


def one_fail_report(passes: int = 30) -> dict[str, Any]:
    """Many passes in three groups, and one fail (SGL-04) among them."""
    outcomes = {
        f"{g}-{n:02d}": "pass" for n in range(1, passes // 3 + 1) for g in ("BAS", "SGL", "MUL")
    }
    outcomes["SGL-04"] = "fail"
    return report_of(outcomes)


def clean_report() -> dict[str, Any]:
    """Nothing failed, warned or errored: passes, an info and a skip."""
    return report_of({"BAS-01": "pass", "SGL-04": "pass", "SYN-31": "info", "CCH-01": "skip"})


def media_report() -> dict[str, Any]:
    """The media profile: SGL-04 and BAS-01 decide it (and pass); a fail, an error and a warn
    lie outside the media question."""
    report = report_of(
        {"BAS-01": "pass", "SGL-04": "pass", "SYN-31": "fail", "MUL-01": "error", "SGL-15": "warn"},
        profile="media",
    )
    for record in report["results"]:
        record["decides"] = record["id"] in ("BAS-01", "SGL-04")
    return report


class _Page(HTMLParser):
    """Collects tags, attributes, style text and nesting errors of a page."""

    VOID = {"meta", "input", "br", "hr", "img", "link", "source", "wbr", "col"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            self.styles.append(data)
        self.text.append(data)


def parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


def cases_by_id(page: _Page) -> dict[str, dict[str, str | None]]:
    return {
        str(attrs["id"]).removeprefix("case-"): attrs
        for tag, attrs in page.tags
        if tag == "details" and "case" in (attrs.get("class") or "").split()
    }


def matrix_rows(html: str) -> dict[str, list[str]]:
    """The 'All cases' table of a matrix page: row header → the text of each server's cell."""
    table = html[html.index("<h2>All cases</h2>") : html.index("<h2>By group</h2>")]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL):
        cells = re.findall(r"<t([hd])[^>]*>(.*?)</t[hd]>", row, re.DOTALL)
        if cells and cells[0][0] == "h":
            rows[re.sub("<[^>]+>", "", cells[0][1])] = [
                "".join(parse(text).text) for kind, text in cells[1:] if kind == "d"
            ]
    return rows
