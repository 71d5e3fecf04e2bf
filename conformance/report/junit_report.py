"""Results (as the JSON report) → JUnit XML that GitHub, GitLab and Jenkins display.

One testcase per case; fail → <failure>, error → <error>, skip → <skipped>; level, section and
the branch taken go into <properties>. Text from servers is made XML-safe first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conformance.model import cite

# XML 1.0 allows neither most C0 controls nor lone surrogates: a hostile server can send both.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def render_junit(report: dict[str, Any]) -> str:
    results = report["results"]
    counts = report["counts"]
    suite = ET.Element(
        "testsuite",
        name=f"range-conformance ({report['profile']})",
        tests=str(len(results)),
        failures=str(counts["fail"]),
        errors=str(counts["error"]),
        skipped=str(counts["skip"]),
        time=f"{report['duration_seconds']:.3f}",
    )
    properties = ET.SubElement(suite, "properties")
    for role, url in report["target"].items():
        ET.SubElement(properties, "property", name=f"target.{role}", value=xml_safe(url))
    for record in results:
        seconds = record["measures"].get("seconds", 0.0)
        case = ET.SubElement(
            suite, "testcase", classname=f"range.{record['group']}",
            name=xml_safe(f"{record['id']} {record['title']}"),
            file=xml_safe(record["file"]), line=str(record["line"]), time=f"{seconds:.4f}",
        )  # fmt: skip
        props = ET.SubElement(case, "properties")
        for name in ("level", "rfc", "outcome", "branch"):
            if record[name] is not None:
                value = cite(record[name]) if name == "rfc" else str(record[name])
                ET.SubElement(props, "property", name=name, value=xml_safe(value))
        outcome = record["outcome"]
        message = xml_safe(record["summary"])
        if outcome == "fail":
            failure = ET.SubElement(case, "failure", message=message, type=record["level"])
            failure.text = xml_safe(record["details"] or record["summary"])
        elif outcome == "error":
            error = ET.SubElement(case, "error", message=message, type="error")
            error.text = xml_safe(record["details"] or record["summary"])
        elif outcome == "skip":
            ET.SubElement(case, "skipped", message=message)
        elif outcome == "warn":
            out = ET.SubElement(case, "system-out")
            out.text = xml_safe(record["details"] or record["summary"])
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(report: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_junit(report), "utf-8")
