"""The published matrix: reports/servers/MATRIX.md and MATRIX.html, from the JSON reports there
(NAME/PROFILE.json.gz).

Built with conformance.report.matrix (`build_matrix`, `render_matrix_markdown`,
`render_matrix_html`) on the rfc-profile reports, one column per server labelled with its
versions, case groups as rows (in the HTML, every case: tooltips only on warn, fail and error
cells); then a totals table for every profile, and per server the ids of its failing cases in
each profile (AUDIT.md has each rfc one with its exchange and verdict). Servers that never acted
on a Range header, and roles the suite refused to grade, get one line each at the top.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

from conformance.report.escape import markdown_text
from conformance.report.json_report import read_json
from conformance.report.matrix import build_matrix, render_matrix_html, render_matrix_markdown

from .peers import PEERS
from .run import PROFILES, report_path

DEFAULT_HEADERS = {"user-agent", "accept", "accept-encoding"}

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "reports" / "servers"


def graded(out: Path) -> list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
    """(peer meta, profile → report) for every peer with published reports, in PEERS order."""
    found = []
    for peer in PEERS:
        folder = out / peer.name
        meta_path = folder / "peer.json"
        if not meta_path.is_file():
            continue
        reports = {
            profile: read_json(report_path(folder, profile))
            for profile in PROFILES
            if report_path(folder, profile).is_file()
        }
        if "rfc" in reports:
            found.append((json.loads(meta_path.read_text("utf-8")), reports))
    return found


def request_text(record: dict[str, Any]) -> str:
    request = record.get("request") or {}
    path = str(request.get("url", "")).split("PORT", 1)[-1] or "/"
    headers = [
        f"{name}: {value}"
        for name, value in request.get("headers", [])
        if name.lower() not in DEFAULT_HEADERS
    ]
    return " · ".join([f"{request.get('method', 'GET')} {path}", *headers])


FAILING_NOTE = (
    "FAIL and ERROR cases by id (errors marked). Every one of profile rfc is in "
    "[AUDIT.md](AUDIT.md), case by case: the request, the response as received, the RFC 9110 "
    "requirement and the verdict. The strict profile fails the rfc warnings by design; the "
    "media profile adds the media requirements."
)


def _ids(records: list[dict[str, Any]]) -> str:
    return ", ".join(
        f"`{r['id']}`" + ("" if r["outcome"] == "fail" else f" ({r['outcome']})") for r in records
    )


def _bad(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["outcome"] in ("fail", "error")]


def _counts(report: dict[str, Any]) -> str:
    c = report["counts"]
    text = f"{c['pass'] + c['info']} / {c['warn']} / {c['fail']}"
    extra = [f"{c[k]} {k}" for k in ("error", "skip") if c.get(k)]
    return text + (f" ({', '.join(extra)})" if extra else "")


def notes(peers: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]) -> list[str]:
    """One line per server that ignores ranges, and per role the suite refused to grade."""
    lines = []
    for meta, _ in peers:
        if meta.get("note"):
            lines.append(f"{meta['label']}: {meta['note']}")
        lines += [
            f"{meta['label']}: the {role} role is not graded ({why}); its cases are skipped"
            for role, why in meta.get("not_graded", {}).items()
        ]
    return lines


def render_markdown(peers: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]],
                    matrix_md: str) -> str:  # fmt: skip
    lines = ["# Real servers against range-conformance", ""]
    lines += [f"> **{markdown_text(n)}**" for n in notes(peers)]
    lines += [
        "",
        "Each server serves the suite's fixtures (`reference_server.fixtures`) under `/files/` on "
        "127.0.0.1 and is graded by `python -m scorecard` (see scorecard/). Per-server JSON "
        "reports: `reports/servers/NAME/PROFILE.json.gz`, gzip-compressed (read one with "
        "`zcat reports/servers/nginx/rfc.json.gz | jq`; normalised: ports, dates, durations, "
        "boundaries, local paths). Audit of every FAIL: [AUDIT.md](AUDIT.md).",
        "",
        "| server | what is graded | roles not served |",
        "|---|---|---|",
    ]
    every_role = ("redirect", "dynamic", "weak", "cache")
    for meta, _ in peers:
        missing = ", ".join(
            [r for r in every_role if r not in meta["roles"]]
            + [f"{role} (refused by the suite)" for role in meta.get("not_graded", {})]
        )
        lines.append(
            f"| {markdown_text(meta['label'])} | {markdown_text(meta['what'])} | {missing} |"
        )
    body = matrix_md.split("\n### Failing cases", 1)[0].replace(
        "## range-conformance matrix", "## Matrix, profile rfc"
    )
    lines += [
        "", body.strip(), "", "## Totals per profile", "",
        "pass (info included) / warn / fail, errors and skips in brackets.", "",
        "| server | " + " | ".join(PROFILES) + " |", "|---|" + "---|" * len(PROFILES),
    ]  # fmt: skip
    for meta, reports in peers:
        cells = [_counts(reports[p]) if p in reports else "—" for p in PROFILES]
        lines.append(f"| {markdown_text(meta['label'])} | " + " | ".join(cells) + " |")
    lines += [
        "", "## Failing cases", "", FAILING_NOTE, "",
        "| server | profile rfc | also failing in strict | also failing in media |",
        "|---|---|---|---|",
    ]  # fmt: skip
    for meta, reports in peers:
        bad = _bad(reports["rfc"])
        rfc_bad = {r["id"] for r in bad}
        cells = [_ids(bad) or "none"]
        for profile in PROFILES[1:]:
            more = [r for r in _bad(reports[profile]) if r["id"] not in rfc_bad]
            cells.append(_ids(more) if profile in reports else "—")
        lines.append(f"| {markdown_text(meta['label'])} | " + " | ".join(cells) + " |")
    return "\n".join(lines).rstrip() + "\n"


def render_html(peers: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]],
                matrix_html: str) -> str:  # fmt: skip
    esc = html.escape
    top = "".join(f"<p><strong>{esc(n)}</strong></p>" for n in notes(peers))
    rows = "".join(
        f"<tr><th scope=row>{esc(meta['label'])}</th>"
        + "".join(f"<td>{esc(_counts(reports[p])) if p in reports else '—'}</td>" for p in PROFILES)
        + "</tr>"
        for meta, reports in peers
    )
    totals = (
        "<h2>Totals per profile</h2><p class=meta>pass (info included) / warn / fail</p>"
        "<table><thead><tr><th scope=col>server</th>"
        + "".join(f"<th scope=col>{p}</th>" for p in PROFILES)
        + f"</tr></thead><tbody>{rows}</tbody></table>"
    )
    failing = [
        "<h2>Failing cases (profile rfc)</h2><p class=meta>What each server did, case by case: "
        '<a href="MATRIX.md">MATRIX.md</a>; the request, the response as received and the '
        'reading against RFC 9110: <a href="AUDIT.md">AUDIT.md</a>.</p><ul>'
    ]
    for meta, reports in peers:
        bad = _bad(reports["rfc"])
        ids = ", ".join(
            f"{esc(r['id'])}" + ("" if r["outcome"] == "fail" else f" ({esc(r['outcome'])})")
            for r in bad
        )
        failing.append(f"<li><b>{esc(meta['label'])}</b>: {len(bad) or 'none'}"
                       + (f" <span class=mono>{ids}</span>" if bad else "") + "</li>")  # fmt: skip
    failing.append("</ul>")
    heading = "<h1>Real servers against range-conformance (profile rfc)</h1>"
    page = matrix_html.replace("<h1>range-conformance matrix</h1>", heading + top + HOVER, 1)
    page = QUIET_TOOLTIP_RE.sub(r"\1", page)
    return page.replace("</main>", totals + "".join(failing) + "</main>", 1)


# Cells that pass (info included) or skip lose their tooltip: the cell already shows the
# outcome and the branch, and 16 servers × 189 cases of "NAME: 200 whole" made the page
# half a megabyte. Warn, fail and error cells keep theirs (the server's answer, in short).
QUIET_TOOLTIP_RE = re.compile(r'(<td class="c o-(?:pass|info|skip)") title="[^"]*"')
HOVER = "<p class=meta>Hover a warn, fail or error cell for what the server answered.</p>"


def publish(out: Path) -> None:
    peers = graded(out)
    if not peers:
        return
    matrix = build_matrix([reports["rfc"] for _, reports in peers], [m["label"] for m, _ in peers])
    (out / "MATRIX.md").write_text(render_markdown(peers, render_matrix_markdown(matrix)), "utf-8")
    (out / "MATRIX.html").write_text(render_html(peers, render_matrix_html(matrix)), "utf-8")


if __name__ == "__main__":  # python -m scorecard.publish [DIR]: rebuild the matrix only
    import sys

    publish(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
