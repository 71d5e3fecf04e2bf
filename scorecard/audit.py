# ruff: noqa: E501  (the verdict table quotes the RFC at length)
"""Render reports/servers/AUDIT.md: every FAIL/ERROR of the rfc profile, with the request, the
response as received, the RFC 9110 requirement and the auditor's verdict.

The verdicts below were reached by reading each raw response against RFC 9110 itself (not
against the grading code); they are data, keyed by case id (and server where a case's verdict
depends on what that server did). A failing case with no entry is rendered as "NOT AUDITED", so a
regeneration that brings new failures shows what still needs reading.

    python -m scorecard.audit            # rewrite reports/servers/AUDIT.md
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .publish import graded, request_text

# case id → (requirement, verdict, comment). verdict: "correct" | "WRONG" | "correct outcome, wrong reason"
IFM = (
    "§13.1.1: an origin server MUST use the strong comparison function for If-Match, and one "
    "that evaluates an If-Match condition MUST NOT perform the method if it is false (→ 412); "
    "§13.2.1: an origin server MUST evaluate received preconditions; §13.2.2: If-Match is step "
    "1, before Range (step 5)."
)
IUS = (
    "§13.1.4: an origin server that evaluates If-Unmodified-Since MUST NOT perform the method "
    "if the condition is false (→ 412); §13.2.1: it MUST evaluate received preconditions."
)
INM = (
    "§13.1.2: a recipient MUST use weak comparison for If-None-Match; `*` is false when a "
    "current representation exists; when false, an origin server MUST respond 304 to GET/HEAD; "
    "§13.2.2: If-None-Match (step 3) comes before Range (step 5)."
)
IFR = (
    "§13.1.5: an entity-tag If-Range is true only on a strong match (§8.8.3.2: both strong, "
    "opaque-tags equal octet for octet); an HTTP-date only on an exact match with "
    "Last-Modified; if the validator does not match, the server MUST ignore the Range header "
    "field."
)
UNIT = "§14.2: an origin server MUST ignore a Range header field with a range unit it does not understand."
METHOD = (
    "§14.2: a server MUST ignore a Range header field received with a method that is "
    "unrecognized or for which range handling is not defined; GET is the only such method."
)
INVALID_CR = (
    "§14.4: a Content-Range value is invalid if a range-resp has last-pos < first-pos or "
    "complete-length ≤ last-pos; §14.1.2: `-0` is unsatisfiable, and on an empty "
    "representation no incl-range exists, so no 206 can describe a part of it."
)
HEAD_LEN = (
    "§8.6: a server MUST NOT send Content-Length in a HEAD response unless it equals the "
    "octets a GET would have sent; §9.3.2: HEAD carries the headers GET would."
)
LENIENT = (
    "§14.1.1/§14.1.2: the specifier is invalid; §14.2 lets a server ignore (200) or reject "
    "it; §2.4 lets a recipient recover a usable element. A 206 whose Content-Range "
    "describes its body breaks no MUST; RFC-RANGES §3 row 2: 'Lenient 206 → WARN … a 206 "
    "that contradicts itself → FAIL'."
)
# The invalid specifiers a server may leniently serve: a self-consistent 206 there is a WARN.
LENIENT_IDS = ("SYN-19", "SYN-23", "SYN-25", "SYN-28")
FIVEXX = (
    "§15.6.1: 500 means the server met an unexpected condition; an invalid Range may be "
    "ignored or rejected (§14.2) but is no server error (RFC-RANGES §3 rows 2, 9: 5xx → FAIL; "
    "§2.3 SHOULD parse defensively)."
)
SERVER_ERROR = (FIVEXX, "correct", "500 Internal Server Error for a Range value.")

V: dict[str, tuple[str, str, str]] = {
    "PRE-11": (IFM, "correct", "If-Match named another tag, yet the range was served."),
    "PRE-12": (
        IFM,
        "correct",
        "a false If-Match means 412, which outranks the 416 (or 200) the Range would give.",
    ),
    "PRE-14": (
        IFM,
        "correct",
        "W/<tag> never matches in If-Match (strong comparison); 206 served.",
    ),
    "PRE-19": (IFM, "correct", "If-Match false → 412 whatever If-Range says."),
    "PRE-15": (
        IUS,
        "correct",
        "Last-Modified is a day after the If-Unmodified-Since date: the condition is false.",
    ),
    "PRE-17": (
        "§13.1.4: a recipient MUST ignore If-Unmodified-Since when the request contains If-Match; "
        "§13.2.2 step 2 applies only when If-Match is absent.",
        "correct",
        "If-Match named the current tag (true), so the 412 can only come from the ignored If-Unmodified-Since.",
    ),
    "PRE-01": (INM, "correct", "If-None-Match named the current tag: 304, not 206."),
    "PRE-02": (INM, "correct", "W/<tag> matches under weak comparison: 304, not 206."),
    "PRE-03": (
        INM,
        "correct",
        "`If-None-Match: *` is false for an existing file: 304 (GET), not 200/206.",
    ),
    "PRE-05": (INM, "correct", "If-None-Match matched: 304 outranks 416."),
    "PRE-18": (
        INM,
        "correct",
        "If-None-Match (step 3) matched: 304 before If-Range/Range are looked at.",
    ),
    "HDR-09": (
        INM,
        "correct",
        "same root cause as PRE-01 (a 206 where 304 is required); counted twice by design of the case.",
    ),
    "PRE-20": (IFR, "correct", "If-Match true, If-Range false: Range ignored → 200."),
    "PRE-08": (
        "§13.1.3: a recipient MUST ignore If-Modified-Since if the request contains If-None-Match.",
        "correct",
        "If-None-Match named another tag (condition true); the 304 came from the ignored If-Modified-Since.",
    ),
    "PRE-06": (
        "§15.4.5: a server generating a 304 MUST generate the Cache-Control, Date, ETag, Vary, "
        "Content-Location and Expires fields a 200 would carry.",
        "correct",
        "the 200 carries Cache-Control, the 304 does not.",
    ),
    "IFR-02": (IFR, "correct", "If-Range named another tag; the range was served."),
    "IFR-03": (
        IFR,
        "correct",
        "W/<current tag> is weak, never a strong match; the range was served.",
    ),
    "IFR-04": (
        IFR,
        "correct",
        'the server\'s own ETag is weak (Express: W/"3e8-…"); sent back verbatim it is still no strong match (§8.8.3.2: both tags must be strong), so the Range must be ignored (200); the range was served.',
    ),
    "IFR-07": (IFR, "correct", "the date is a day before Last-Modified, not an exact match."),
    "IFR-08": (IFR, "correct", "the date is a day after Last-Modified, not an exact match."),
    "IFR-13": (
        IFR,
        "correct",
        "a non-matching If-Range means the Range is ignored entirely: 200, not 416.",
    ),
    "IFR-18": (
        IFR + " §8.8.3.2: opaque-tags compare character by character (case-sensitive).",
        "correct",
        "the tag differs in letter case only; a case-insensitive comparison served the range.",
    ),
    "MTH-04": (
        IFR + " " + METHOD,
        "correct",
        "a non-matching If-Range makes the Range ignored even for GET; a 206 to HEAD is wrong under every reading.",
    ),
    "ENC-05": (
        IFR,
        "correct",
        "If-Range carried the identity form's tag; the gzip form has another one, so no match; 206 served.",
    ),
    "ENC-04": (
        "§8.8.3: a strong validator is unique across all representations of the resource; §8.8.1 "
        "(RFC-RANGES §3 row 22: shared strong ETag → FAIL).",
        "correct",
        "gzip and identity forms (different octets, 891 vs 20017) share one strong ETag, so If-Range can splice the wrong octets.",
    ),
    "SYN-31": (
        UNIT,
        "correct",
        "an unknown unit was rejected (416/400) or acted on instead of ignored.",
    ),
    "SYN-32": (
        UNIT,
        "correct",
        "`none` is no unit this server understands: it must ignore the header.",
    ),
    "SYN-33": (
        UNIT,
        "correct",
        "`items` is no unit this server understands: it must ignore the header.",
    ),
    "MTH-05": (METHOD, "correct", "POST answered 206 with a slice."),
    "MTH-06": (METHOD, "correct", "OPTIONS answered 206 with a slice."),
    "MTH-07": (METHOD, "correct", "an unknown method answered 206 with a slice."),
    "SGL-18": (
        INVALID_CR + " §15.3.7: a 206 transfers parts of what was requested; `-0` requests none "
        "(RFC-RANGES §3 row 10: 206 → FAIL).",
        "correct",
        "a 206 for an unsatisfiable range: either `1000-999/1000` (an invalid Content-Range) or the whole file.",
    ),
    "EMP-04": (
        INVALID_CR,
        "correct",
        "`Content-Range: bytes 0--1/0` is not valid syntax (last-pos must be 1*DIGIT).",
    ),
    "EMP-05": (
        INVALID_CR,
        "correct",
        "206 with `bytes 0--1/0` for an unsatisfiable `-0` on an empty file.",
    ),
    "MUL-14": (
        INVALID_CR,
        "correct",
        "the second part's `Content-Range: bytes 1000-999/1000` is invalid (last-pos < first-pos).",
    ),
    "MUL-18": (INVALID_CR, "correct", "206 with `bytes 0--1/0` on an empty file."),
    "BAS-05": (
        "§5.3: a sender MUST NOT generate multiple field lines with the same name unless the "
        "field is a list; Date (§6.6.1) is not.",
        "correct",
        "two Date lines in the same response.",
    ),
    "BAS-02": (HEAD_LEN, "correct", "HEAD says Content-Length: 0 where GET sends 1000."),
    "MTH-01": (HEAD_LEN, "correct", "HEAD says Content-Length: 0 where GET sends 1000."),
    "MTH-02": (
        HEAD_LEN + " RFC 9112 §6.3: a response to HEAD ends at the empty line after the header "
        "section; it cannot contain a message body.",
        "correct",
        "Sanic: Content-Length 0 vs 1000. waitress: after a chunked 416 to HEAD it sends `0\\r\\n\\r\\n` (5 octets) that the next response on the connection would be read from.",
    ),
    "MTH-03": (
        HEAD_LEN + " For CherryPy: " + FIVEXX,
        "correct",
        "Sanic: Content-Length 0 vs 1000. CherryPy: 500 for `bytes=abc`.",
    ),
    "EMP-08": (
        "§9.3.2: the server MUST NOT send content in a HEAD response; RFC 9112 §6.3.",
        "correct",
        "waitress sends the chunked terminator `0\\r\\n\\r\\n` after a HEAD 416.",
    ),
    "SGL-03": (
        "§14.1.2: `bytes=0-0` is satisfiable; §15.5.17: 416 means none of the ranges is "
        "satisfiable (or the set is excessive); §14.2: satisfiable → SHOULD 206, MAY 200.",
        "correct",
        "WhiteNoise answers 416 to a one-octet range (it treats first == last as empty): an answer no reading allows.",
    ),
    "DOS-06": (
        "§5.4: a server that receives a field value larger than it wishes to process MUST respond "
        "with an appropriate 4xx status code.",
        "correct",
        "the connection was closed without any response (Tornado).",
    ),
}
V.update(
    dict.fromkeys(
        LENIENT_IDS,
        (
            LENIENT,
            "WRONG",
            "see the wrong-verdict list: a self-consistent 206 for an invalid specifier.",
        ),
    )
)
V.update(
    dict.fromkeys(
        ("SGL-05", "SGL-07", "SGL-09", "SGL-10", "SGL-11", "SGL-25", "SGL-26", "SGL-29",
         "HDR-03", "HDR-13", "ENC-03"),
        V["SGL-03"],
    )
)  # fmt: skip
BROKEN_206 = (
    INVALID_CR + " §14.1.2: a last-pos at or past the length means L-1; recipients MUST "
    "avoid overflow errors on long numerals. §8.6/RFC 9112 §6.3: a message shorter than "
    "its Content-Length is incomplete.",
    "correct",
    "koa-range answers 206 with impossible Content-Range values (`1000-999/1000`, `5-10/*` "
    "on an empty file, `1e+23`, `Infinity`, negative Content-Length) and/or announces octets "
    "it never sends before closing.",
)
V.update(
    dict.fromkeys(
        ("EMP-03", "EMP-06", "HDR-10", "SGL-13", "SGL-15", "SGL-16", "SGL-17", "SGL-20",
         "SGL-21", "SGL-23", "SGL-24", "SGL-27", "MUL-11", "SYN-18"),
        BROKEN_206,
    )
)  # fmt: skip
V["PRE-24"] = (
    "§14.2: Range is evaluated only when the response without it would be 200; a redirect "
    "is not ranged.",
    "correct",
    "koa-range sliced the 302's HTML body: `Content-Range: bytes 0-0/32`.",
)

# What the first audit found wrong in the grading; each is fixed and kept fixed by a test.
FIXED = [
    "## Verdicts the audit found wrong (fixed)",
    "",
    "- SYN-19, SYN-23, SYN-25, SYN-28: a self-consistent 206 for an invalid specifier (Tornado, "
    "WhiteNoise, serve-handler) was a FAIL; RFC 9110 §2.4 lets a recipient recover, so it is now a "
    "WARN (`lenient-other` branch). Test: `tests/conformance/test_grading.py::"
    "test_a_self_consistent_206_for_an_invalid_specifier_warns`.",
    "- DOS-06: a 431 followed by a reset, or a close without an answer, on the 70 KB Range (Node "
    "peers, Tornado) was a FAIL; the catalogue tolerates it (WARN; FAIL in strict). Test: "
    "`tests/conformance/test_runner.py::"
    "test_a_dropped_connection_on_the_huge_header_probe_warns_and_fails_in_strict`.",
    "- CherryPy's unquoted `=` boundary was failed for the wrong reason (single-part checks); it "
    "is now one finding naming the bad parameter, and the parts are still judged. Test: "
    "`tests/conformance/test_grading.py::"
    "test_an_unquoted_boundary_with_illegal_characters_is_one_clear_failure`.",
    "- A reset on a reused keep-alive connection (one nginx run in four) made a flaky ERROR; the "
    "client now retries an idempotent request once on a fresh connection (RFC 9112 §9.3.1). "
    "Test: `tests/conformance/test_client.py::"
    "test_a_connection_closed_before_the_answer_is_retried_once_on_a_fresh_one`.",
    "",
]

CHERRYPY_MULTIPART = (
    "§8.3.1/§5.6.6: a media-type parameter value is a token or a quoted-string; `=` is not a "
    "tchar, so `boundary================7748…==` must be quoted; §2.2 senders MUST NOT generate "
    "elements that do not match the ABNF.",
    "correct",
    "CherryPy's multipart/byteranges Content-Type has an unquoted boundary full of `=`: invalid. "
    "The first audit found the grader falling back to single-part checks with a misleading "
    "reason; it now reports this one fault ('a boundary must be a token or a quoted-string') "
    "and still judges the parts, which are right (checked by hand with curl).",
)
# (server, case id) → verdict, where it depends on the server.
PER_SERVER: dict[tuple[str, str], tuple[str, str, str]] = {
    ("express", "DOS-06"): (
        "§5.4 (MUST respond with a 4xx); RFC 9112 §9.6: a server SHOULD close in stages so the "
        "client can read the response.",
        "WRONG",
        "Node answered `431 Request Header Fields Too Large` (exactly what §5.4 asks) with "
        "Connection: close, then the kernel reset the connection because the 70 KB request was "
        "still unread. At most a SHOULD (RFC 9112 §9.6): see the wrong-verdict list.",
    ),
    ("sanic", "MTH-04"): (HEAD_LEN, "correct", "HEAD says Content-Length: 0 where GET sends 1000."),
    ("sanic", "PRE-11"): (IFM, "correct", "Range ignored (200), but If-Match false must give 412."),
    ("sanic", "PRE-12"): (IFM, "correct", "200 where If-Match false must give 412."),
    ("sanic", "PRE-15"): (IUS, "correct", "200 where a false If-Unmodified-Since must give 412."),
}
PER_SERVER.update(
    dict.fromkeys(
        [("serve-handler", "DOS-06"), ("koa", "DOS-06")], PER_SERVER[("express", "DOS-06")]
    )
)


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
        "in scorecard/audit.py.",
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
                body += [
                    f"### {label}: {record['outcome'].upper()}",
                    "",
                    f"request: `{request_text(record)}`",
                    "",
                    "```text",
                    *response_lines(record),
                    "```",
                    "",
                    *[f"- grader: {f['grade'].upper()} {f['check']}: {f['message']}"
                      for f in record.get("findings", []) if f.get("grade") in ("fail", "error")],
                    "",
                ]  # fmt: skip
    lines += ["| server | FAIL/ERROR | verdicts |", "|---|---|---|", *summary, ""]
    lines += [*notes, ""] if notes else []
    lines += [*FIXED, *body]
    return "\n".join(lines).rstrip() + "\n"


def main() -> None:
    from .publish import DEFAULT_OUT

    (DEFAULT_OUT / "AUDIT.md").write_text(render(DEFAULT_OUT), "utf-8")


if __name__ == "__main__":
    main()
