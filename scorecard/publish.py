"""The published matrix: reports/servers/MATRIX.md and MATRIX.html, from the JSON reports there.

Built with conformance.matrix (`load_matrix`, `render_matrix_markdown`, `render_matrix_html`) on
the rfc-profile reports, one column per server labelled with its versions, case groups as rows;
then a totals table for every profile, and per server every failing case with its id, level, RFC
section, the request and one sentence on what the server did. Servers that never acted on a
Range header get one line saying so at the top instead of a wall of "ignored" cells.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from conformance.matrix import load_matrix, render_matrix_html, render_matrix_markdown

from .peers import PEERS
from .run import PROFILES

DEFAULT_HEADERS = {"user-agent", "accept", "accept-encoding"}
SHOWN_RESPONSE = ("content-range", "content-length", "content-type", "etag", "last-modified",
                  "accept-ranges", "location")  # fmt: skip

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
            profile: json.loads((folder / f"{profile}.json").read_text("utf-8"))
            for profile in PROFILES
            if (folder / f"{profile}.json").is_file()
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


def did(record: dict[str, Any]) -> str:
    """One sentence: what came back, and what that breaks."""
    response = record.get("response")
    if not response:
        what = f"No usable answer ({record.get('summary', '')})"
    else:
        headers = {n.lower(): v for n, v in response.get("headers", [])}
        parts = [f"Answered {response.get('status')}"]
        if "content-range" in headers:
            parts.append(f"with Content-Range: {headers['content-range']}")
        parts.append(f"and {response.get('body_octets', 0)} octets of content")
        what = " ".join(parts)
    bad = [f for f in record.get("findings", []) if f.get("grade") in ("fail", "error")]
    reason = bad[0]["message"] if bad else record.get("summary", "")
    return f"{what}: {reason}".rstrip(".") + "."


def _bad(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in report["results"] if r["outcome"] in ("fail", "error")]


def _counts(report: dict[str, Any]) -> str:
    c = report["counts"]
    text = f"{c['pass'] + c['info']} / {c['warn']} / {c['fail']}"
    extra = [f"{c[k]} {k}" for k in ("error", "skip") if c.get(k)]
    return text + (f" ({', '.join(extra)})" if extra else "")


def _md(text: str) -> str:
    out = " ".join(str(text).split())
    for char in "\\`*_[]<>|#":
        out = out.replace(char, "\\" + char)
    return out


def notes(peers: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]) -> list[str]:
    return [f"{meta['label']}: {meta['note']}" for meta, _ in peers if meta.get("note")]


def render_markdown(peers: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]],
                    matrix_md: str) -> str:  # fmt: skip
    lines = ["# Real servers against range-conformance", ""]
    lines += [f"> **{_md(n)}**" for n in notes(peers)]
    lines += [
        "",
        "Each server serves the suite's fixtures (`reference_server.fixtures`) under `/files/` on "
        "127.0.0.1 and is graded by `python -m scorecard` (see scorecard/). Per-server JSON "
        "reports: `reports/servers/NAME/PROFILE.json` (normalised: ports, dates, durations, "
        "boundaries). Audit of every FAIL: [AUDIT.md](AUDIT.md).",
        "",
        "| server | what is graded | roles not served |",
        "|---|---|---|",
    ]
    every_role = ("redirect", "dynamic", "weak", "cache")
    for meta, _ in peers:
        missing = ", ".join(r for r in every_role if r not in meta["roles"])
        lines.append(f"| {_md(meta['label'])} | {_md(meta['what'])} | {missing} |")
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
        lines.append(f"| {_md(meta['label'])} | " + " | ".join(cells) + " |")
    lines += ["", "## Failing cases (profile rfc)", ""]
    for meta, reports in peers:
        bad = _bad(reports["rfc"])
        lines.append(f"### {_md(meta['label'])}: {len(bad) or 'none'}")
        lines.append("")
        for record in bad:
            lines.append(
                f"- `{record['id']}` {record['outcome'].upper()} {record['level']} "
                f"§{record['rfc']} "
                f"— {_md(record['title'])}  \n  request: `{request_text(record)}`  \n  "
                f"{_md(did(record))}"
            )
        rfc_bad = {r["id"] for r in bad}
        for profile in PROFILES[1:]:
            if profile not in reports:
                continue
            more = [r for r in _bad(reports[profile]) if r["id"] not in rfc_bad]
            if more:
                ids = ", ".join(f"`{r['id']}`" for r in more)
                lines.append(f"- also failing in profile {profile}: {ids}")
        lines.append("")
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
    failing = ["<h2>Failing cases (profile rfc)</h2>"]
    for meta, reports in peers:
        bad = _bad(reports["rfc"])
        items = "".join(
            f"<li><span class=mono>{esc(r['id'])}</span> {esc(r['outcome'].upper())} "
            f"{esc(r['level'])} §{esc(r['rfc'])} — {esc(r['title'])}<br>"
            f"<span class=mono>{esc(request_text(r))}</span><br>{esc(did(r))}</li>"
            for r in bad
        )
        failing.append(
            f"<h3>{esc(meta['label'])}: {len(bad) or 'none'}</h3>"
            + (f"<ul>{items}</ul>" if bad else "")
        )
    heading = "<h1>Real servers against range-conformance (profile rfc)</h1>"
    page = matrix_html.replace("<h1>range-conformance matrix</h1>", heading + top, 1)
    return page.replace("</main>", totals + "".join(failing) + "</main>", 1)


def publish(out: Path) -> None:
    peers = graded(out)
    if not peers:
        return
    args = [f"{meta['label']}={out / meta['name'] / 'rfc.json'}" for meta, _ in peers]
    matrix = load_matrix(args)
    (out / "MATRIX.md").write_text(render_markdown(peers, render_matrix_markdown(matrix)), "utf-8")
    (out / "MATRIX.html").write_text(render_html(peers, render_matrix_html(matrix)), "utf-8")


if __name__ == "__main__":  # python -m scorecard.publish [DIR]: rebuild the matrix only
    import sys

    publish(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
