"""The JSON report → one self-contained HTML page (inline CSS and JS, no network, no assets).

Every value that came from the server (or from a case file) is escaped with `html.escape`, and
control characters are shown as `\\xNN`, so a hostile header value renders as text. The page is
complete without JavaScript; the script only adds filters (outcome, group, RFC section; state in
the URL fragment, e.g. `#outcome=fail,warn&group=SGL`) and copy buttons for the curl commands.
Without a fragment, a page with problems opens on them (fail, warn, error; the form's
`data-start`), with a button that shows every case.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from string import Template
from typing import Any

from conformance.model import Grade
from conformance.report.assets import asset
from conformance.report.escape import esc
from conformance.report.text import LONG_VALUE, shorten
from conformance.report.verdict import MEDIA_QUESTION, deciding_counts, report_verdict

ORDER = ("pass", "info", "warn", "fail", "error", "skip")
_SECTION = re.compile(r"[0-9]+(?:\.[0-9]+)*")
PROBLEMS = ("fail", "warn", "error")  # what a page with any of them opens on
BAD = ("fail", "error")
_RANK = {grade.value: grade.rank for grade in Grade}
OUTSIDE = "outside the media question"
PROFILE_WORDS = {"rfc": "RFC 9110 as written; every case counts", "strict": "RFC 9110 as "
                 "written, every warn a fail; every case counts"}  # fmt: skip

# default-src 'none': even an injected <img src=http://…> could not load anything.
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"

CSS = asset("report.css")
JS = asset("report.js")  # filters, show-all and copy buttons; the page is whole without it
PAGE = Template(asset("report.html"))


def _section(rfc: str | None) -> str:
    """'14.1.2' → '§14.1.2' (RFC 9110); any other citation, e.g. 'RFC 9111 §3.3', as written."""
    if not rfc:
        return ""
    return f"§{rfc}" if _SECTION.fullmatch(rfc) else rfc


def _rfc_link(rfc: str | None) -> str:
    if rfc and _SECTION.fullmatch(rfc):
        url = f"https://www.rfc-editor.org/rfc/rfc9110#section-{rfc}"
        return f'<a href="{esc(url)}" rel="noreferrer">{esc(_section(rfc))}</a>'
    return esc(_section(rfc))


def _badge(outcome: str) -> str:
    return f'<span class="badge o-{esc(outcome)}">{esc(outcome.upper())}</span>'


def _headers_table(headers: list[list[str]], caption: str) -> str:
    if not headers:
        return f"<p class=meta>{esc(caption)}: none</p>"
    rows = "".join(f"<tr><th scope=row>{esc(n)}</th><td>{esc(v)}</td></tr>" for n, v in headers)
    return f'<table class="headers" aria-label="{esc(caption)}">{rows}</table>'


def _findings(findings: list[dict[str, Any]]) -> str:
    if not findings:
        return "<p class=meta>No findings.</p>"
    head = "".join(
        f"<th scope=col>{h}</th>"
        for h in ("grade", "check", "message", "level", "§", "expected", "actual")
    )
    rows = "".join(
        f"<tr><td>{_badge(f['grade'])}</td><td class=mono>{esc(f['check'])}</td>"
        f"<td>{esc(f['message'])}</td><td>{esc(f.get('level') or '')}</td>"
        f"<td>{_rfc_link(f.get('rfc'))}</td><td><code>{esc(f.get('expected') or '')}</code></td>"
        f"<td><code>{esc(f.get('actual') or '')}</code></td></tr>"
        for f in findings
    )
    return f"<table class=findings><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _case(record: dict[str, Any], common: frozenset[tuple[str, str]] = frozenset()) -> str:
    outcome, rfc = record["outcome"], record.get("rfc") or ""
    branch = record.get("branch")
    parts = [
        f"<p><b>Summary:</b> {esc(record['summary'])}"
        + (f" · <b>branch taken:</b> <code>{esc(branch)}</code>" if branch else "")
        + f'</p><p class="meta">{esc(record.get("file", ""))}:{esc(record.get("line", ""))}</p>'
    ]
    parts.append("<h3>Findings</h3>" + _findings(record.get("findings") or []))
    request = record.get("request")
    if request:
        raw = " <span class=meta>(sent byte-exact, raw)</span>" if request.get("raw") else ""
        parts.append(
            f"<h3>Request</h3><p class=mono><b>{esc(request['method'])}</b> "
            f"{esc(request['url'])}{raw}</p>"
            + _headers_table([h for h in request["headers"] if tuple(h) not in common], "request")
        )
    response = record.get("response")
    if response:
        capped = " (capped)" if response.get("body_capped") else ""
        parts.append(
            f"<h3>Response</h3><p class=mono><b>{esc(response['status'])}</b> · "
            f"{esc(response.get('body_octets'))} octets of content{capped} · "
            f"{esc(response.get('elapsed_seconds'))} s</p>"
            + _headers_table(response["headers"], "response")
        )
    elif request:
        parts.append("<h3>Response</h3><p class=meta>No response.</p>")
    measures = record.get("measures") or {}
    if measures:
        items = " · ".join(f"{esc(k)} <b>{esc(_number(v))}</b>" for k, v in measures.items())
        parts.append(f"<h3>Measures</h3><p class=mono>{items}</p>")
    if record.get("curl") and outcome in PROBLEMS:  # the JSON report has it for every case
        parts.append(f'<h3>Reproduce</h3><pre class="curl">{esc(record["curl"])}</pre>')
    finding = first_finding(record)
    outside = record.get("decides") is False
    return (
        f'<details class="case" id="case-{esc(record["id"])}" data-outcome="{esc(outcome)}" '
        f'data-group="{esc(record["group"])}" data-section="{esc(rfc)}"'
        + (' data-decides="false">' if outside else ">")
        + f'<summary>{_badge(outcome)} <span class="id">{esc(record["id"])}</span> '
        f'{esc(record["title"])} <span class="meta">— {esc(record["summary"])} · '
        f"{esc(record['level'])} · {esc(_section(rfc))}</span>"
        + (f' <span class="outside">{OUTSIDE}</span>' if outside else "")
        + (f'<span class="finding">{esc(finding)}</span>' if finding else "")
        + f'</summary><div class="body">{"".join(parts)}</div></details>'
    )


def first_finding(record: dict[str, Any]) -> str:
    """A warn, fail or error in one sentence: the first finding message of the worst grade,
    cut as the terminal cuts it ('' for other outcomes, or when nothing was found)."""
    if record["outcome"] not in PROBLEMS:
        return ""
    findings = record.get("findings") or []
    worst = max(findings, key=lambda f: _RANK.get(f.get("grade"), 0), default=None)
    return shorten(str(worst.get("message") or ""), 4 * LONG_VALUE) if worst else ""


def _judged(report: dict[str, Any], results: list[dict[str, Any]]) -> str:
    """The banner's sentence on what the verdict judges by (and in the media profile, what
    RFC 9110 finds outside the media question)."""
    profile = str(report.get("profile") or "rfc")
    warn = " Warnings fail the run (--fail-on warn)." if report.get("fail_on") == "warn" else ""
    if profile != "media":
        words = PROFILE_WORDS.get(profile, "")
        return f"Judged by the <b>{esc(profile)}</b> profile{': ' + words if words else ''}.{warn}"
    deciding = sum(1 for r in results if r.get("decides", True))
    outside = sum(1 for r in results if r.get("decides") is False and r["outcome"] in BAD)
    rfc = (
        f"{outside} RFC 9110 {'failure lies' if outside == 1 else 'failures lie'} outside that "
        f"question (listed below, marked “{OUTSIDE}”): {'it does' if outside == 1 else 'they do'}"
        " not decide this verdict."
        if outside
        else "No RFC 9110 failure lies outside that question."
    )
    return (
        f"Judged by the <b>media</b> profile: {MEDIA_QUESTION} {_cases(deciding)} decide it. "
        f"{rfc}{warn}"
    )


def _count_cells(tally: dict[str, int]) -> str:
    return "".join(f'<td class="o-{o}">{tally.get(o, 0)}</td>' for o in ORDER)


def _cases(n: int) -> str:
    return f"{n} case" if n == 1 else f"{n} cases"


def _options(values: list[str], label: str) -> str:
    opts = "".join(f'<option value="{esc(v)}">{esc(label + v)}</option>' for v in values)
    return f'<option value="">all</option>{opts}'


def _section_key(rfc: str) -> tuple[float, ...]:
    return tuple(float(p) for p in rfc.split(".")) if _SECTION.fullmatch(rfc) else (float("inf"),)


def render_html(report: dict[str, Any]) -> str:
    """The whole page for one JSON report (see reports.build_json_report). Pure."""
    results: list[dict[str, Any]] = report["results"]
    tally = Counter(r["outcome"] for r in results)
    counts = {o: tally[o] for o in ORDER}  # from the rows themselves, so the two always agree
    conformant, verdict = report_verdict(report)
    bad = not conformant
    target = report.get("target") or {}
    main = target.get("main") or next(iter(target.values()), "?")
    tool = report.get("tool") or {}
    roles = "".join(
        f"<tr><th scope=row>{esc(k)}</th><td class=mono>{esc(v)}</td></tr>"
        for k, v in target.items()
    )
    count_row = _count_cells(counts)
    head = "".join(f'<th scope=col class="o-{o}">{o}</th>' for o in ORDER)
    media = report.get("profile") == "media"
    if media:  # the counts the verdict rests on, beside all of them
        count_row = (
            f"<th scope=row>all cases</th>{count_row}</tr><tr><th scope=row>the media question"
            f"</th>{_count_cells(deciding_counts(results))}"
        )
    # A page with problems opens on them (the script reads data-start); without JS, all shows.
    start = [o for o in ORDER if o in PROBLEMS] if any(counts[o] for o in PROBLEMS) else []
    opens = f' data-start="{",".join(start)}"' if start else ""
    boxes = "".join(
        f'<label><input type="checkbox" name="outcome" value="{o}"'
        f"{' checked' if not start or o in start else ''}> "
        f'<span class="o-{o}">{o}</span> ({counts[o]})</label>'
        for o in ORDER
    )
    by_group: dict[str, list[dict[str, Any]]] = {}
    for record in results:
        by_group.setdefault(record["group"], []).append(record)
    sections = sorted(
        {r.get("rfc") or "" for r in results} - {""}, key=lambda s: (_section_key(s), s)
    )
    common = _sent_with_every_request(results)
    body = "".join(
        f'<section class="group" data-group="{esc(g)}" aria-labelledby="g-{esc(g)}">'
        f'<h2 id="g-{esc(g)}">{esc(g)} <span class="meta">({_cases(len(rs))})</span></h2>'
        + "".join(_case(r, common) for r in rs)
        + "</section>"
        for g, rs in by_group.items()
    )
    return PAGE.substitute(
        csp=CSP,
        verdict=esc(verdict),
        main=esc(main),
        css=CSS,
        bad=" bad" if bad else "",
        judged=_judged(report, results),
        tool=esc(tool.get("name", "range-conformance")),
        version=esc(tool.get("version", "?")),
        cases=_cases(len(results)),
        duration=esc(report.get("duration_seconds")),
        corner="<td></td>" if media else "",
        head=head,
        count_row=count_row,
        resources=len(target),
        roles=roles,
        common=_common_headers(common),
        opens=opens,
        boxes=boxes,
        groups=_options(list(by_group), ""),
        sections=_options(sections, "§"),
        body=body,
        js=JS,
    )


def _number(value: Any) -> Any:
    """199.0 → 199: the JSON keeps floats, a reader wants the octets."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _sent_with_every_request(results: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
    """Header fields every request of the run carried (the tool's own): said once at the top
    rather than in every case."""
    sent = [{(n, v) for n, v in r["request"]["headers"]} for r in results if r.get("request")]
    return frozenset(set.intersection(*sent)) if sent else frozenset()


def _common_headers(common: frozenset[tuple[str, str]]) -> str:
    if not common:
        return ""
    return "<p>Sent with every request (not repeated below):</p>" + _headers_table(
        [list(pair) for pair in sorted(common)], "sent with every request"
    )


def write_html(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), "utf-8")
