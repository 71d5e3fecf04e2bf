"""Render reports/servers/AUDIT.md: every FAIL/ERROR of the rfc profile, with the request, the
response as received, the RFC 9110 requirement and the auditor's verdict.

The verdicts were reached by reading each raw response against RFC 9110 itself (not against the
grading code); they are data, in audit.yaml beside this file, keyed by case id (and server where
a case's verdict depends on what that server did). A failing case with no entry is rendered as
"NOT AUDITED", so a regeneration that brings new failures shows what still needs reading.

    python -m scorecard.audit            # rewrite reports/servers/AUDIT.md
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .publish import graded, request_text

Reading = tuple[str, str, str]  # (requirement, verdict, comment); verdict: correct | WRONG
TABLE = Path(__file__).with_name("audit.yaml")


def _load(path: Path = TABLE) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


_DATA = _load()
_TEXTS: dict[str, str] = _DATA["texts"]


def _reading(entry: str | dict[str, Any]) -> Reading:
    """A reading from the table: a named one, or requirement/verdict/comment of its own."""
    if isinstance(entry, str):
        return _reading(_DATA["readings"][entry])
    requirement = entry["requirement"]
    if isinstance(requirement, list):  # names of texts, or text of its own
        requirement = " ".join(str(_TEXTS.get(part, part)) for part in requirement)
    return str(requirement), str(entry["verdict"]), str(entry["comment"])


LENIENT_IDS: tuple[str, ...] = tuple(_DATA["lenient_ids"])
SERVER_ERROR = _reading("SERVER_ERROR")
BROKEN_206 = _reading("BROKEN_206")
CHERRYPY_MULTIPART = _reading("CHERRYPY_MULTIPART")
UNIT = _TEXTS["UNIT"]
V: dict[str, Reading] = {case_id: _reading(entry) for case_id, entry in _DATA["cases"].items()}
PER_SERVER: dict[tuple[str, str], Reading] = {
    (server, case_id): _reading(entry)
    for server, cases in _DATA["per_server"].items()
    for case_id, entry in cases.items()
}
FIXED: list[str] = _DATA["fixed"]


def self_consistent_206(record: dict[str, Any]) -> bool:
    """A 206 whose Content-Range `bytes a-b/L` is valid and whose body is exactly b-a+1 octets,
    with no finding other than the branch/coverage/status ones about *which* octets were sent."""
    response = record.get("response") or {}
    if response.get("status") != 206:
        return False
    ranges = [v for n, v in response.get("headers", []) if n.lower() == "content-range"]
    match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", ranges[0]) if len(ranges) == 1 else None
    if not match:
        return False
    first, last, length = map(int, match.groups())
    bad = {f["check"] for f in record.get("findings", []) if f.get("grade") in ("fail", "error")}
    return (first <= last < length and response.get("body_octets") == last - first + 1
            and bad <= {"coverage", "status", "branch"})  # fmt: skip


def verdict(server: str, record: dict[str, Any]) -> tuple[str, str, str]:
    case_id = record["id"]
    if case_id in LENIENT_IDS and not self_consistent_206(record):
        response = record.get("response") or {}
        if response.get("status") == 500:
            return SERVER_ERROR
        return BROKEN_206
    if (server, case_id) in PER_SERVER:
        return PER_SERVER[(server, case_id)]
    response = record.get("response") or {}
    ctype = next((v for n, v in response.get("headers", []) if n.lower() == "content-type"), "")
    if server == "cherrypy" and ctype.lower().startswith("multipart/"):
        return CHERRYPY_MULTIPART
    if server == "cherrypy" and response.get("status") == 500:
        return SERVER_ERROR
    if server == "cherrypy" and case_id.startswith(("SYN-31", "SYN-32", "SYN-33")):
        return (UNIT, "correct", "CherryPy treats any unit as bytes and answers 206.")
    return V.get(case_id, ("", "NOT AUDITED", ""))


def response_lines(record: dict[str, Any]) -> list[str]:
    response = record.get("response")
    if not response:
        return ["(no response)"]
    lines = [f"HTTP/1.1 {response.get('status')}"]
    lines += [f"{name}: {value}" for name, value in response.get("headers", [])]
    lines.append(f"({response.get('body_octets', 0)} octets of content)")
    return lines


def exchange_block(label: str, record: dict[str, Any], said: tuple[str, ...] = ()) -> list[str]:
    """One target's exchange for a case: the request, the response as received, and the
    grader's fail and error findings (and those whose check is in `said`)."""
    return [
        f"### {label}: {record['outcome'].upper()}",
        "",
        f"request: `{request_text(record)}`",
        "",
        "```text",
        *response_lines(record),
        "```",
        "",
        *[f"- grader: {f['grade'].upper()} {f['check']}: {f['message']}"
          for f in record.get("findings", [])
          if f.get("grade") in ("fail", "error") or f.get("check") in said],
        "",
    ]  # fmt: skip


def render(out: Path) -> str:
    """AUDIT.md: a table per server, then every failing case once, with the requirement and
    the verdict stated once for all the servers it applies to, and each server's exchange."""
    lines = [
        "# Audit of every FAIL (profile rfc)",
        "",
        "Each FAIL and ERROR in `reports/servers/*/rfc.json.gz` (gzip: `zcat "
        "reports/servers/NAME/rfc.json.gz | jq '.results[] | select(.id == \"SGL-18\")'`) was "
        "read against RFC 9110 itself: the request, the response as received (Date and "
        "boundaries normalised), the requirement, the verdict. *correct*: the server breaks the "
        "requirement quoted. *WRONG*: the grading is at fault (listed for the lead with a "
        "proposed fix; grading and cases are not edited here). Strict-profile failures are the "
        "rfc warnings promoted by design and media-profile failures are the media requirements "
        "(README) — neither is repeated here. Failing cases are listed once each, in catalogue "
        "order, with the requirement and the verdict once for every server they apply to, then "
        "each server's exchange. Generated by `python -m scorecard.audit` from the verdict table "
        "in scorecard/audit.yaml.",
        "",
    ]
    summary = []
    notes = []
    # case id → [(server label, record, verdict)], cases in the order the reports list them
    cases: dict[str, list[tuple[str, dict[str, Any], tuple[str, str, str]]]] = {}
    catalogue: list[str] = []  # every case id, in the order the reports list them
    for meta, reports in graded(out):
        catalogue += [r["id"] for r in reports["rfc"]["results"] if r["id"] not in catalogue]
        bad = [r for r in reports["rfc"]["results"] if r["outcome"] in ("fail", "error")]
        tally: dict[str, int] = {}
        for record in bad:
            found = verdict(meta["name"], record)
            tally[found[1]] = tally.get(found[1], 0) + 1
            cases.setdefault(record["id"], []).append((meta["label"], record, found))
        summary.append(
            f"| {meta['label']} | {len(bad)} | "
            + ", ".join(f"{n} {k}" for k, n in sorted(tally.items()))
            + " |"
        )
        if meta.get("note"):
            notes.append(f"- {meta['label']}: {meta['note']}.")
        notes += [
            f"- {meta['label']}: the {role} role is not graded: the suite refused its URL "
            f"({why}), so its cases are skipped."
            for role, why in meta.get("not_graded", {}).items()
        ]
    body = []
    order = {case_id: n for n, case_id in enumerate(catalogue)}
    for case_id, entries in sorted(cases.items(), key=lambda item: order.get(item[0], len(order))):
        first = entries[0][1]
        body += [f"## {case_id} — {first['title']} ({first['level']} §{first['rfc']})", ""]
        readings: dict[tuple[str, str, str], list[tuple[str, dict[str, Any]]]] = {}
        for label, record, found in entries:
            readings.setdefault(found, []).append((label, record))
        for (requirement, said, comment), servers in readings.items():
            if len(readings) > 1:
                body += [f"For {', '.join(label for label, _ in servers)}:", ""]
            body += [f"- RFC 9110: {requirement}", f"- **verdict: {said}** — {comment}", ""]
            for label, record in servers:
                body += exchange_block(label, record)
    lines += ["| server | FAIL/ERROR | verdicts |", "|---|---|---|", *summary, ""]
    lines += [*notes, ""] if notes else []
    lines += [*FIXED, *body]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    from .publish import DEFAULT_OUT

    (DEFAULT_OUT / "AUDIT.md").write_text(render(DEFAULT_OUT), "utf-8")


if __name__ == "__main__":
    main()
