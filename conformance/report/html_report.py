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
from typing import Any

from conformance.model import Grade
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

CSS = """
:root{color-scheme:light dark;--bg:#fdfdfc;--fg:#1c1c1e;--mute:#5d5d66;--line:#d4d4d8;
--card:#f4f4f5;--pass:#1a7f37;--info:#0b5cad;--warn:#9a6700;--fail:#c62828;--error:#8e24aa;
--skip:#6b7280;font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#18181b;--fg:#e4e4e7;--mute:#a1a1aa;
--line:#3f3f46;--card:#232327;--pass:#4ade80;--info:#60a5fa;--warn:#fbbf24;--fail:#f87171;
--error:#d58cf0;--skip:#a1a1aa}}
body{margin:0 auto;max-width:78rem;padding:1rem 1.25rem 3rem;background:var(--bg);color:var(--fg)}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}
h3{font-size:.95rem;margin:.9rem 0 .3rem;color:var(--mute)}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.85rem}
pre{white-space:pre-wrap;word-break:break-all;background:var(--card);padding:.6rem;margin:0;
border:1px solid var(--line);border-radius:6px}
.banner{border-left:.5rem solid var(--pass);background:var(--card);padding:.8rem 1rem;
border-radius:6px}.banner.bad{border-color:var(--fail)}.banner p{margin:.2rem 0;color:var(--mute)}
.verdict{font-weight:700}.banner.bad .verdict{color:var(--fail)}.banner .verdict{color:var(--pass)}
table{border-collapse:collapse;width:100%;margin:.2rem 0}
th,td{border:1px solid var(--line);padding:.25rem .45rem;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}.headers th{width:1%;white-space:nowrap}
.headers th,.headers td{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;
font-size:.85rem}
.findings td:nth-child(-n+2),.findings td:nth-child(4),.findings td:nth-child(5){white-space:nowrap}
a{color:var(--info)}th{background:var(--card);font-weight:600}
.counts{width:auto}.counts td{text-align:right;min-width:3.5rem}
.badge{display:inline-block;min-width:3.2rem;text-align:center;font-weight:700;
font-size:.75rem;border:1px solid currentColor;border-radius:4px;padding:0 .25rem}
.o-pass{color:var(--pass)}.o-info{color:var(--info)}.o-warn{color:var(--warn)}
.o-fail{color:var(--fail)}.o-error{color:var(--error)}.o-skip{color:var(--skip)}
#filters{display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:center;margin:1rem 0;
padding:.6rem .8rem;border:1px solid var(--line);border-radius:6px}
#filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.2rem .8rem}
#filters legend{float:left;margin-right:.6rem;font-weight:600}
details.case{border:1px solid var(--line);border-radius:6px;margin:.3rem 0;background:var(--bg)}
details.case>summary{cursor:pointer;padding:.35rem .6rem}
details.case[open]>summary{border-bottom:1px solid var(--line)}
details.case .body{padding:.2rem .8rem .8rem}
.id{font-weight:700}.meta{color:var(--mute);font-size:.85rem}
button{font:inherit;font-size:.8rem;padding:.1rem .5rem;cursor:pointer}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
:focus-visible{outline:2px solid var(--info);outline-offset:2px}[hidden]{display:none!important}
.finding{display:block;margin:.15rem 0 0 5.2rem}#showall{font-weight:700;color:var(--info);
border:2px solid var(--info);border-radius:4px;background:none}.outside{font-size:.75rem;
border:1px dashed;border-radius:4px;padding:0 .3rem;color:var(--mute)}
"""

JS = """
(function(){
"use strict";
var form=document.getElementById("filters");
var rows=[].slice.call(document.querySelectorAll("details.case"));
var groups=[].slice.call(document.querySelectorAll("section.group"));
var boxes=[].slice.call(form.querySelectorAll("input[name=outcome]"));
var group=form.elements.group, section=form.elements.section;
var shown=document.getElementById("shown"),all=document.getElementById("showall");
function check(list){boxes.forEach(function(b){b.checked=!list||list.indexOf(b.value)>=0;});}
function readHash(){
  var h=location.hash.slice(1);
  if(!h||h.indexOf("=")<0){return false;}
  var p=new URLSearchParams(h),want=p.get("outcome");check(want===null?null:want.split(","));
  group.value=p.get("group")||"";section.value=p.get("section")||"";
  return true;
}
function apply(){
  var on={},n=0;boxes.forEach(function(b){on[b.value]=b.checked;});
  rows.forEach(function(r){
    var ok=on[r.dataset.outcome]&&(!group.value||r.dataset.group===group.value)&&
      (!section.value||r.dataset.section===section.value);
    r.hidden=!ok;if(ok){n++;}
  });
  groups.forEach(function(g){g.hidden=!g.querySelector("details.case:not([hidden])");});
  shown.textContent=n+" of "+rows.length+" cases shown";all.hidden=n===rows.length;
}
function writeHash(){
  var p=new URLSearchParams();
  var on=boxes.filter(function(b){return b.checked;});
  p.set("outcome",on.map(function(b){return b.value;}).join(","));
  if(group.value){p.set("group",group.value);}if(section.value){p.set("section",section.value);}
  history.replaceState(null,"","#"+p.toString().replace(/%2C/g,","));
}
function showAll(){check(null);group.value=section.value="";apply();}
all.addEventListener("click",function(){showAll();writeHash();});
form.addEventListener("change",function(){writeHash();apply();});
form.addEventListener("submit",function(e){e.preventDefault();});
document.getElementById("expand").addEventListener("click",function(){
  rows.forEach(function(r){if(!r.hidden){r.open=true;}});});
document.getElementById("collapse").addEventListener("click",function(){
  rows.forEach(function(r){r.open=false;});});
function openAnchor(){
  var h=decodeURIComponent(location.hash.slice(1)),el=h&&document.getElementById(h);
  if(el&&el.tagName==="DETAILS"){el.open=true;if(el.hidden){showAll();el.scrollIntoView();}}
}
window.addEventListener("hashchange",function(){if(readHash()){apply();}else{openAnchor();}});
[].slice.call(document.querySelectorAll("pre.curl")).forEach(function(pre){
  var b=document.createElement("button");b.type="button";b.textContent="Copy";
  b.setAttribute("aria-label","Copy the curl command");
  b.addEventListener("click",function(){
    var done=function(){b.textContent="Copied";setTimeout(function(){b.textContent="Copy";},1500);};
    var fallback=function(){var s=getSelection(),r=document.createRange();r.selectNodeContents(pre);
      s.removeAllRanges();s.addRange(r);b.textContent="Press Ctrl+C";};
    if(navigator.clipboard){navigator.clipboard.writeText(pre.textContent).then(done,fallback);}
    else{fallback();}
  });
  pre.parentNode.insertBefore(b,pre);
});
form.hidden=false;document.getElementById("nojs").hidden=true;
var start=form.dataset.start;
if(readHash()){apply();}else{check(start?start.split(","):null);apply();openAnchor();}
})();
"""


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
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>range-conformance: {esc(verdict)} — {esc(main)}</title>
<style>{CSS}</style></head>
<body><main>
<header class="banner{" bad" if bad else ""}" role="status">
<h1>range-conformance: <span class="verdict">{esc(verdict)}</span></h1>
<p class="judged">{_judged(report, results)}</p>
<p>Target <span class="mono">{esc(main)}</span>
 · {esc(tool.get("name", "range-conformance"))} {esc(tool.get("version", "?"))}
 · {_cases(len(results))} in {esc(report.get("duration_seconds"))} s</p>
<table class="counts" aria-label="Cases per outcome">
<thead><tr>{"<td></td>" if media else ""}{head}</tr></thead>
<tbody><tr>{count_row}</tr></tbody></table>
</header>
<details><summary>Resources checked ({len(target)})</summary>
<table aria-label="Resource roles and URLs">{roles}</table>
{_common_headers(common)}</details>
<p id="nojs" class="meta">All cases are listed below; filtering needs JavaScript.</p>
<form id="filters" hidden aria-label="Filter cases" autocomplete="off"{opens}>
<fieldset><legend>Outcome</legend>{boxes}</fieldset>
<label>Group <select name="group">{_options(list(by_group), "")}</select></label>
<label>RFC section <select name="section">{_options(sections, "§")}</select></label>
<button type="button" id="expand">Expand shown</button>
<button type="button" id="collapse">Collapse all</button>
<span id="shown" class="meta" aria-live="polite"></span>
<button type="button" id="showall">show all {_cases(len(results))}</button>
</form>
{body}
</main>
<script>{JS}</script>
</body></html>
"""


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
