"""Results (as the JSON report) → Markdown for a PR comment or `$GITHUB_STEP_SUMMARY`.

A verdict line, counts, a table per RFC section, the branches the server took where the RFC
allows a choice, and each warn/fail/error in a collapsible block with its rendered details.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from conformance.model import short_cite
from conformance.report.escape import esc
from conformance.report.verdict import report_verdict

ICONS = {"pass": "✅", "info": "ℹ️", "warn": "⚠️", "fail": "❌", "error": "💥", "skip": "⏭️"}
ORDER = ("fail", "error", "warn", "info", "pass", "skip")


def render_markdown(report: dict[str, Any]) -> str:
    counts = report["counts"]
    conformant, words = report_verdict(report)
    verdict = f"✅ {words}" if conformant else f"❌ {words}"
    lines = [
        f"## range-conformance: {verdict}",
        "",
        f"Target `{report['target'].get('main', '?')}` · profile **{report['profile']}** · "
        f"{report['tool']['name']} {report['tool']['version']} · "
        f"{report['duration_seconds']:.2f} s",
        "",
        " · ".join(f"{ICONS[g]} {counts[g]} {g}" for g in ORDER if counts[g]),
        "",
        "| section | pass | info | warn | fail | error | skip |",
        "|---|---|---|---|---|---|---|",
    ]
    by_section: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ORDER, 0))
    for record in report["results"]:
        by_section[record["rfc"]][record["outcome"]] += 1
    for section in sorted(by_section, key=_section_key):
        row = by_section[section]
        cells = " | ".join(
            str(row[g] or "") for g in ("pass", "info", "warn", "fail", "error", "skip")
        )
        lines.append(f"| {short_cite(section)} | {cells} |")
    branches = branch_summary(report)
    if branches:
        lines += ["", "**Branches taken** (where the RFC allows a choice): " + branches]
    problems = [r for r in report["results"] if r["outcome"] in ("fail", "error", "warn")]
    if problems:
        lines += ["", "### Findings", ""]
    for record in sorted(problems, key=lambda r: ORDER.index(r["outcome"])):
        title = esc(f"{record['id']} {record['title']}")
        lines += [
            "<details>",
            f"<summary>{ICONS[record['outcome']]} <b>{title}</b> — {record['level']} · "
            f"{short_cite(record['rfc'])} · {esc(record['summary'])}</summary>",
            "",
            "```text",
            (record["details"] or record["summary"]).replace("```", "ˋˋˋ"),
            "```",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def branch_summary(report: dict[str, Any]) -> str:
    """e.g. `ignored ×33, partial ×33`: which legal alternative the server chose, and how often."""
    taken: dict[str, int] = defaultdict(int)
    for record in report["results"]:
        if record["branch"]:
            taken[record["branch"]] += 1
    return ", ".join(f"`{name}` ×{n}" for name, n in sorted(taken.items()))


def _section_key(section: str) -> tuple[int, ...]:
    digits = section.rsplit("§", 1)[-1]
    return tuple(int(part) for part in digits.split(".") if part.isdigit())


def write_markdown(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(report), "utf-8")
