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

from conformance.report.html_report import write_html
from conformance.report.matrix import build_matrix, write_matrix
from tests.helpers.reports import (
    EVIL,
    cases_by_id,
    clean_report,
    matrix_rows,
    media_report,
    mixed_report,
    one_fail_report,
    parse,
)

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


def by_id(dom: str, element_id: str) -> dict[str, str | None]:
    return next(attrs for _, attrs in parse(dom).tags if attrs.get("id") == element_id)


# Appended to a page after its own script: writes what the DOM dump cannot show (the boxes'
# checked state is a property, not an attribute) into an attribute of <body>.
BOXES = (
    "document.body.dataset.boxes=[].slice.call(document.querySelectorAll('input[name=outcome]'))"
    ".filter(function(b){return b.checked;}).map(function(b){return b.value;}).join(',');"
)


def with_script(page: Path, script: str) -> Path:
    """A copy of `page` that runs `script` after the page's own (the CSP allows inline)."""
    copy = page.with_name(f"{page.stem}-scripted.html")
    copy.write_text(page.read_text("utf-8").replace("</body>", f"<script>{script}</script></body>"))
    return copy


def test_console_errors_are_detected(tmp_path: Path) -> None:
    """The console scan below is not vacuous: a page that throws is caught by it."""
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><title>x</title><script>noSuchFunction();</script>")
    _, console = chromium(broken, "", tmp_path, "--dump-dom")
    assert any("Uncaught" in line and "noSuchFunction" in line for line in console), console


def test_renders_every_case_and_logs_nothing(
    report: dict[str, Any], page: Path, tmp_path: Path
) -> None:
    dom, console = chromium(page, "outcome=pass,info,warn,fail,error,skip", tmp_path, "--dump-dom")
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
    # a copy button for the curl of each case that needs reproducing (warn, fail, error)
    curls = sum(
        1 for r in report["results"] if r["curl"] and r["outcome"] in ("warn", "fail", "error")
    )
    assert curls == 3
    assert sum(1 for tag, attrs in parsed.tags if tag == "button" and "Copy" in str(attrs)) == curls


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
    dom, _ = chromium(page, "group=BAS", tmp_path, "--dump-dom")  # no outcome named: all of them
    assert [case_id for case_id, hidden in hidden_by_id(dom).items() if not hidden] == ["BAS-01"]
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


def test_opens_on_the_problems(report: dict[str, Any], page: Path, tmp_path: Path) -> None:
    """No fragment: a page with a fail, a warn and an error opens on those three."""
    dom, console = chromium(with_script(page, BOXES), "", tmp_path, "--dump-dom")
    assert console == []
    problems = ("warn", "fail", "error")
    assert hidden_by_id(dom) == {r["id"]: r["outcome"] not in problems for r in report["results"]}
    assert "3 of 6 cases shown" in dom
    assert "hidden" not in by_id(dom, "showall")
    assert by_id(dom, "filters").get("hidden") is None
    body = next(attrs for tag, attrs in parse(dom).tags if tag == "body")
    assert body["data-boxes"] == "warn,fail,error"


def test_one_fail_among_many_passes(tmp_path: Path) -> None:
    """The fail is shown, the thirty passes are not, and a button offers them all."""
    report = one_fail_report(30)
    page = tmp_path / "one-fail.html"
    write_html(report, page)
    dom, console = chromium(with_script(page, BOXES), "", tmp_path, "--dump-dom")
    assert console == []
    hidden = hidden_by_id(dom)
    assert len(hidden) == 30
    assert [case_id for case_id, h in hidden.items() if not h] == ["SGL-04"]
    sections = {a["data-group"]: "hidden" in a for t, a in parse(dom).tags if t == "section"}
    assert sections == {"BAS": True, "SGL": False, "MUL": True}
    button = by_id(dom, "showall")
    assert "hidden" not in button
    assert re.search(r'<button type="button" id="showall">show all 30 cases</button>', dom)
    assert "1 of 30 cases shown" in dom
    # The fail's one-sentence finding is on its summary line, without a click.
    fail = dom[dom.index('id="case-SGL-04"') :]
    summary = fail[: fail.index("</summary>")]
    assert '<span class="finding">finding of SGL-04</span>' in summary
    assert "open" not in cases_by_id(parse(dom))["SGL-04"]
    body = next(attrs for tag, attrs in parse(dom).tags if tag == "body")
    assert body["data-boxes"] == "warn,fail,error"


def test_show_all_shows_every_case(tmp_path: Path) -> None:
    page = tmp_path / "one-fail.html"
    write_html(one_fail_report(30), page)
    click = "document.getElementById('showall').click();" + BOXES
    dom, console = chromium(with_script(page, click), "", tmp_path, "--dump-dom")
    assert console == []
    assert not any(hidden_by_id(dom).values())
    assert "30 of 30 cases shown" in dom
    assert "hidden" in by_id(dom, "showall")  # nothing more to show
    body = next(attrs for tag, attrs in parse(dom).tags if tag == "body")
    assert body["data-boxes"] == "pass,info,warn,fail,error,skip"


def test_a_clean_report_opens_on_everything(tmp_path: Path) -> None:
    page = tmp_path / "clean.html"
    write_html(clean_report(), page)
    dom, console = chromium(with_script(page, BOXES), "", tmp_path, "--dump-dom")
    assert console == []
    assert hidden_by_id(dom) == dict.fromkeys(("BAS-01", "SGL-04", "SYN-31", "CCH-01"), False)
    assert "4 of 4 cases shown" in dom
    assert "hidden" in by_id(dom, "showall")
    body = next(attrs for tag, attrs in parse(dom).tags if tag == "body")
    assert body["data-boxes"] == "pass,info,warn,fail,error,skip"


def test_anchor_to_a_case_the_filter_hides(page: Path, tmp_path: Path) -> None:
    """A link to a passing case shows it (and everything) rather than a page without it."""
    dom, console = chromium(page, "case-BAS-01", tmp_path, "--dump-dom")
    assert console == []
    rows = cases_by_id(parse(dom))
    assert "hidden" not in rows["BAS-01"]
    assert "open" in rows["BAS-01"]
    assert "6 of 6 cases shown" in dom


def test_media_report_marks_what_lies_outside(tmp_path: Path) -> None:
    page = tmp_path / "media.html"
    write_html(media_report(), page)
    shot = tmp_path / "media.png"
    _, console = chromium(page, "", tmp_path, f"--screenshot={shot}", "--window-size=1280,900")
    assert console == []
    assert shot.read_bytes().startswith(b"\x89PNG")
    dom, _ = chromium(page, "", tmp_path, "--dump-dom")
    text = " ".join("".join(parse(dom).text).split())
    assert "Judged by the media profile: can browsers and players play and seek this URL?" in text
    assert "2 RFC 9110 failures lie outside that question" in text
    shown = [case_id for case_id, hidden in hidden_by_id(dom).items() if not hidden]
    assert shown == ["SGL-15", "SYN-31", "MUL-01"]
    assert all(cases_by_id(parse(dom))[case_id].get("data-decides") == "false" for case_id in shown)


def test_matrix_shows_verdicts_and_profiles(tmp_path: Path) -> None:
    rfc, media = mixed_report(), media_report()
    page = tmp_path / "matrix.html"
    write_matrix(build_matrix([rfc, media], ["mixed", "media"]), page)
    dom, console = chromium(page, "", tmp_path, "--dump-dom")
    assert console == []
    rows = matrix_rows(dom)
    assert rows["profile"] == ["rfc", "media"]
    assert rows["verdict"] == ["NOT conformant", "media-ready"]
    shot = tmp_path / "matrix.png"
    _, console = chromium(page, "", tmp_path, f"--screenshot={shot}", "--window-size=1280,900")
    assert console == []
    assert len(shot.read_bytes()) > 10_000
