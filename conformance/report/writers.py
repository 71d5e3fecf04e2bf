"""Write the reports a run asked for, each from the one JSON report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance.report.html_report import write_html
from conformance.report.json_report import write_json
from conformance.report.junit_report import write_junit
from conformance.report.markdown_report import write_markdown


def write_reports(report: dict[str, Any], paths: dict[str, Path]) -> dict[str, Path]:
    """Write each requested kind (json, junit, md, html); return what was written."""
    writers = {"json": write_json, "junit": write_junit, "md": write_markdown, "html": write_html}
    for kind, path in paths.items():
        writers[kind](report, path)
    return paths
