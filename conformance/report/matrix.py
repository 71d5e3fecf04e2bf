"""Several JSON reports (one per server) → a servers × cases matrix, as Markdown or HTML.

Columns are named by each report's target `main` URL, or by a label given as `label=path`.
Rows are case ids, grouped by case group, in the order they first appear. A case a report did
not run has no cell (shown as "—").
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

import jsonschema

from conformance.report.assets import asset
from conformance.report.escape import esc, markdown_text
from conformance.report.html_report import CSP, CSS, ORDER
from conformance.report.json_report import read_json
from conformance.report.verdict import report_verdict

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
BAD = ("fail", "error")


@dataclass(frozen=True)
class Cell:
    outcome: str
    branch: str | None
    summary: str


@dataclass(frozen=True)
class Server:
    label: str
    target: str
    profile: str
    version: str
    verdict: str = ""  # the report's own headline: conformant, NOT media-ready, …


@dataclass(frozen=True)
class Matrix:
    servers: tuple[Server, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # group → case ids, in first-seen order
    titles: dict[str, str]  # case id → title
    cells: dict[tuple[str, str], Cell]  # (case id, server label) → cell

    def cell(self, case_id: str, server: str) -> Cell | None:
        return self.cells.get((case_id, server))

    def tally(self, server: str, case_ids: Sequence[str]) -> dict[str, int]:
        """Outcome counts of `server` over `case_ids` (cases it did not run are left out)."""
        counts = dict.fromkeys(ORDER, 0)
        for case_id in case_ids:
            found = self.cell(case_id, server)
            if found is not None:
                counts[found.outcome] += 1
        return counts

    def all_case_ids(self) -> list[str]:
        return [case_id for _, ids in self.groups for case_id in ids]


def split_label(arg: str | os.PathLike[str]) -> tuple[str | None, Path]:
    """`label=path` → (label, path); a bare path (even one containing `=`) → (None, path)."""
    text = os.fspath(arg)
    label, sep, rest = text.partition("=")
    if not sep or not label or not rest or Path(text).exists():
        return None, Path(text)
    return label, Path(rest)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


def load_report(path: Path) -> dict[str, Any]:
    """Read and validate one JSON report (`.json` or `.json.gz`); ValueError naming the file
    if it is not one."""
    try:
        data = read_json(path)  # gzip-compressed too, as the scorecard publishes them
    except (OSError, EOFError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read a JSON report: {exc}") from exc
    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise ValueError(
            f"{path}: not a range-conformance report ({SCHEMA_PATH.name}): "
            f"at {where}: {error.message}"
        )
    if not isinstance(data, dict):  # the schema says object; this narrows the type
        raise ValueError(f"{path}: not a JSON object")
    return data


def load_reports(paths: Sequence[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Validated reports, in order. A `label=path` argument loads `path` (see load_matrix)."""
    return [load_report(split_label(arg)[1]) for arg in paths]


def load_matrix(args: Sequence[str | os.PathLike[str]]) -> Matrix:
    """`path` or `label=path` arguments → the matrix (what the CLI calls)."""
    labels = [split_label(arg)[0] for arg in args]
    return build_matrix(load_reports(args), labels)


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} ({n})", n + 1
    taken.add(candidate)
    return candidate


def build_matrix(
    reports: Sequence[dict[str, Any]], labels: Sequence[str | None] | None = None
) -> Matrix:
    """One column per report, named by `labels[i]` or else the report's target main URL."""
    if not reports:
        raise ValueError("no reports to compare")
    if labels is not None and len(labels) != len(reports):
        raise ValueError(f"{len(labels)} labels for {len(reports)} reports")
    servers: list[Server] = []
    groups: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    cells: dict[tuple[str, str], Cell] = {}
    taken: set[str] = set()
    for i, report in enumerate(reports):
        target = report.get("target") or {}
        main = str(target.get("main") or next(iter(target.values()), f"report {i + 1}"))
        label = _unique((labels[i] if labels else None) or main, taken)
        tool = report.get("tool") or {}
        profile, version = str(report.get("profile")), str(tool.get("version"))
        servers.append(Server(label, main, profile, version, report_verdict(report)[1]))
        for record in report["results"]:
            case_id = record["id"]
            ids = groups.setdefault(record["group"], [])
            if case_id not in titles:
                titles[case_id] = record["title"]
                ids.append(case_id)
            cells[case_id, label] = Cell(record["outcome"], record.get("branch"), record["summary"])
    return Matrix(
        tuple(servers), tuple((g, tuple(ids)) for g, ids in groups.items()), titles, cells
    )


def _md_counts(tally: dict[str, int]) -> str:
    if not any(tally.values()):
        return "—"
    text = f"{tally['pass'] + tally['info']} / {tally['warn']} / {tally['fail']}"
    extra = [f"{tally[o]} {o}" for o in ("error", "skip") if tally[o]]
    bad = tally["fail"] or tally["error"]
    ran = any(tally[o] for o in ORDER if o != "skip")
    return (
        ("❌ " if bad else "⚠️ " if tally["warn"] else "✅ " if ran else "⏭️ ")
        + text
        + (f" (+{', '.join(extra)})" if extra else "")
    )


def render_matrix_markdown(matrix: Matrix) -> str:
    """A comparison table (groups × servers: pass / warn / fail), then each server's failures."""
    names = [s.label for s in matrix.servers]
    lines = [
        "## range-conformance matrix",
        "",
        "Each cell: cases that pass (info included) / warn / fail; errors and skips in brackets.",
        "",
        "| group | " + " | ".join(markdown_text(n) for n in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for group, ids in matrix.groups:
        row = " | ".join(_md_counts(matrix.tally(n, ids)) for n in names)
        lines.append(f"| {markdown_text(group)} ({len(ids)}) | {row} |")
    every = matrix.all_case_ids()
    totals = [matrix.tally(n, every) for n in names]
    lines.append("| **all** | " + " | ".join(f"**{_md_counts(t)}**" for t in totals) + " |")
    lines.append(
        "| verdict | " + " | ".join(markdown_text(s.verdict) for s in matrix.servers) + " |"
    )
    lines += ["", "### Failing cases", ""]
    for server in matrix.servers:
        bad = [
            (case_id, cell)
            for case_id in every
            if (cell := matrix.cell(case_id, server.label)) and cell.outcome in (*BAD, "warn")
        ]
        lines.append(
            f"**{markdown_text(server.label)}** (profile {markdown_text(server.profile)}): "
            + ("none" if not bad else f"{len(bad)}")
        )
        lines += [
            f"- `{case_id}` {cell.outcome.upper()}: {markdown_text(matrix.titles[case_id])} "
            f"— {markdown_text(cell.summary)}"
            for case_id, cell in bad
        ]
        lines.append("")
    return "\n".join(lines)


MATRIX_CSS = asset("matrix.css")
MATRIX_PAGE = Template(asset("matrix.html"))


def _cell_html(cell: Cell | None, server: str) -> str:
    if cell is None:
        return '<td class="c none">—</td>'
    branch = f"<span>{esc(cell.branch)}</span>" if cell.branch else ""
    return (
        f'<td class="c o-{esc(cell.outcome)}" title="{esc(server)}: {esc(cell.summary)}">'
        f"<b>{esc(cell.outcome.upper())}</b>{branch}</td>"
    )


def _short(tally: dict[str, int]) -> str:
    return " · ".join(f'<span class="o-{o}">{tally[o]} {o}</span>' for o in ORDER if tally[o])


def render_matrix_html(matrix: Matrix) -> str:
    """A self-contained page: totals per server, then one collapsible table per group."""
    names = [s.label for s in matrix.servers]
    head = "".join(f"<th scope=col>{esc(n)}</th>" for n in names)
    every = matrix.all_case_ids()
    totals = "".join(f"<td>{_short(matrix.tally(n, every))}</td>" for n in names)
    # Each run's own verdict (in its profile's words), as the Markdown matrix's verdict row.
    verdicts = [
        f'<td class="verdict o-{"fail" if s.verdict.startswith("NOT") else "pass"}">'
        f"{esc(s.verdict)}</td>"
        if s.verdict
        else '<td class="verdict none">—</td>'
        for s in matrix.servers
    ]
    profiles = "".join(f"<td>{esc(s.profile)}</td>" for s in matrix.servers)
    servers = "".join(
        f"<tr><th scope=row>{esc(s.label)}</th><td class=mono>{esc(s.target)}</td>"
        f"<td>{esc(s.profile)}</td>{v}<td>{esc(s.version)}</td></tr>"
        for s, v in zip(matrix.servers, verdicts, strict=True)
    )
    sections = []
    for group, ids in matrix.groups:
        per_server = "; ".join(f"{esc(n)}: {_short(matrix.tally(n, ids)) or '—'}" for n in names)
        rows = "".join(
            f"<tr><th scope=row><span class=mono>{esc(case_id)}</span> "
            f"<span class=meta>{esc(matrix.titles[case_id])}</span></th>"
            + "".join(_cell_html(matrix.cell(case_id, n), n) for n in names)
            + "</tr>"
            for case_id in ids
        )
        sections.append(
            f'<details class="grp" open><summary>{esc(group)} <span class="meta">'
            f"({len(ids)}) — {per_server}</span></summary>"
            f'<table class="matrix"><thead><tr><th scope=col>case</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></details>"
        )
    return MATRIX_PAGE.substitute(
        csp=CSP,
        servers_count=len(names),
        css=CSS + MATRIX_CSS,
        servers=servers,
        head=head,
        cases_count=len(every),
        totals=totals,
        profiles=profiles,
        verdicts="".join(verdicts),
        sections="".join(sections),
    )


def write_matrix(matrix: Matrix, path: Path) -> None:
    """Markdown for a `.md` path, HTML otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    md = path.suffix.lower() in (".md", ".markdown")
    path.write_text(render_matrix_markdown(matrix) if md else render_matrix_html(matrix), "utf-8")
