"""The HTML report in a real browser: it renders, its filters work, and it logs nothing.

Drives headless Chromium from the command line (`--dump-dom`, `--screenshot`) and reads the
page's console from Chromium's own log on stderr (`--enable-logging=stderr`), where every
console message, uncaught exception and Content-Security-Policy refusal appears as a
`CONSOLE` line. Skipped when Chromium is not installed (Debian package `chromium`).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conformance.html_report import write_html
from tests.conformance.test_html_report import EVIL, cases_by_id, mixed_report, parse

CHROMIUM = Path(os.environ.get("RANGE_CONFORMANCE_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT = 60

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK),
    reason=f"no Chromium at {CHROMIUM} (apt-get install chromium) to open the HTML report in",
)

CONSOLE = re.compile(r"CONSOLE[^\]]*\]\s*(.*)")


def chromium(page: Path, fragment: str, tmp_path: Path, *extra: str) -> tuple[str, list[str]]:
    """Load `page#fragment`; return what Chromium printed (stdout) and the console lines."""
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *extra,
        page.as_uri() + (f"#{fragment}" if fragment else ""),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    console = [m.group(1) for m in map(CONSOLE.search, done.stderr.splitlines()) if m]
    return done.stdout, console


@pytest.fixture
def report() -> dict[str, Any]:
    return mixed_report()


@pytest.fixture
def page(report: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "report.html"
    write_html(report, path)
    return path


def hidden_by_id(dom: str) -> dict[str, bool]:
    return {case_id: "hidden" in attrs for case_id, attrs in cases_by_id(parse(dom)).items()}


def test_console_errors_are_detected(tmp_path: Path) -> None:
    """The console scan below is not vacuous: a page that throws is caught by it."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><title>x</title><script>noSuchFunction();</script>")
    _, console = chromium(broken, "", tmp_path, "--dump-dom")
    assert any("Uncaught" in line and "noSuchFunction" in line for line in console), console


def test_renders_every_case_and_logs_nothing(
    report: dict[str, Any], page: Path, tmp_path: Path
) -> None:
    dom, console = chromium(page, "", tmp_path, "--dump-dom")
    assert console == []
    assert hidden_by_id(dom) == {r["id"]: False for r in report["results"]}
    parsed = parse(dom)
    form = next(attrs for tag, attrs in parsed.tags if tag == "form")
    assert "hidden" not in form  # the script ran and showed the filters
    text = "".join(parsed.text)
    assert "6 of 6 cases shown" in text
    assert EVIL in text  # shown as text...
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    assert title is not None
    assert title.group(1).startswith("range-conformance: NOT conformant")  # ...never run
    assert sum(1 for tag, attrs in parsed.tags if tag == "button" and "Copy" in str(attrs)) == 5


def test_fragment_filters_by_outcome(report: dict[str, Any], page: Path, tmp_path: Path) -> None:
    dom, console = chromium(page, "outcome=fail", tmp_path, "--dump-dom")
    assert console == []
    assert hidden_by_id(dom) == {r["id"]: r["outcome"] != "fail" for r in report["results"]}
    assert "1 of 6 cases shown" in dom
    sections = {
        attrs["data-group"]: "hidden" in attrs for tag, attrs in parse(dom).tags if tag == "section"
    }
    assert sections == {"BAS": True, "SYN": True, "SGL": False, "MUL": True, "CCH": True}


def test_fragment_filters_by_group_and_section(
    report: dict[str, Any], page: Path, tmp_path: Path
) -> None:
    dom, _ = chromium(page, "group=SGL", tmp_path, "--dump-dom")
    assert hidden_by_id(dom) == {r["id"]: r["group"] != "SGL" for r in report["results"]}
    dom, _ = chromium(page, "outcome=pass,warn,fail&section=14.1.2", tmp_path, "--dump-dom")
    shown = [case_id for case_id, hidden in hidden_by_id(dom).items() if not hidden]
    assert shown == ["BAS-01", "SGL-04"]


def test_case_anchor_opens_the_case(page: Path, tmp_path: Path) -> None:
    dom, _ = chromium(page, "case-SGL-04", tmp_path, "--dump-dom")
    opened = {k for k, v in cases_by_id(parse(dom)).items() if "open" in v}
    assert opened == {"SGL-04"}


def test_screenshot(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _, console = chromium(
        page, "outcome=warn,fail,error", tmp_path, f"--screenshot={shot}", "--window-size=1280,900"
    )
    assert console == []
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000  # a blank page compresses to a few kilobytes
