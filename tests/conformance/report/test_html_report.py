"""The HTML report: one self-contained page, everything escaped, every result shown, filters."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from conformance.report.html_report import ORDER, OUTSIDE, render_html, write_html
from conformance.report.json_report import build_json_report
from conformance.report.verdict import MEDIA_QUESTION
from reference_server import create_app
from tests.helpers.mutants import ShortByOne
from tests.helpers.reports import (
    EVIL,
    cases_by_id,
    clean_report,
    finding_record,
    media_report,
    mixed_report,
    parse,
    report_of,
)


@pytest.fixture
def report() -> dict[str, Any]:
    return mixed_report()


def test_page_is_well_formed(report: dict[str, Any]) -> None:
    page = parse(render_html(report))
    assert page.errors == []
    assert page.stack == []


def test_server_provided_values_are_escaped(report: dict[str, Any]) -> None:
    html = render_html(report)
    assert EVIL not in html
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html
    page = parse(html)
    assert [tag for tag, _ in page.tags].count("script") == 1  # only the page's own
    assert EVIL in "".join(page.text)  # shown to the reader, as text
    assert "<x>" not in html  # the target URL too


def test_control_characters_are_spelt_out(report: dict[str, Any]) -> None:
    html = render_html(report)
    assert "\x00" not in html
    assert "\x1b" not in html
    assert r"a\x00b\x1b[31mc" in html


def test_every_result_appears_with_its_outcome(report: dict[str, Any]) -> None:
    rows = cases_by_id(parse(render_html(report)))
    assert {case_id: attrs["data-outcome"] for case_id, attrs in rows.items()} == {
        r["id"]: r["outcome"] for r in report["results"]
    }
    assert rows["SGL-04"]["data-group"] == "SGL"
    assert rows["SGL-04"]["data-section"] == "14.1.2"


def test_counts_and_verdict(report: dict[str, Any]) -> None:
    html = render_html(report)
    for outcome in ORDER:
        assert f'<td class="o-{outcome}">1</td>' in html
    assert "NOT conformant" in html
    for record in report["results"]:
        record["outcome"] = "pass" if record["outcome"] in ("fail", "error") else record["outcome"]
    html = render_html(report)
    assert "NOT conformant" not in html
    assert '<td class="o-pass">3</td>' in html
    assert '<td class="o-fail">0</td>' in html


def test_filters_are_present(report: dict[str, Any]) -> None:
    page = parse(render_html(report))
    boxes = [a["value"] for t, a in page.tags if t == "input" and a.get("name") == "outcome"]
    assert boxes == list(ORDER)
    selects = {a["name"] for t, a in page.tags if t == "select"}
    assert selects == {"group", "section"}
    options = [a["value"] for t, a in page.tags if t == "option"]
    for group in ("BAS", "SYN", "SGL", "MUL", "CCH"):
        assert group in options
    assert {"14.1.2", "14.2", "RFC 9111 §3.3"} <= set(options)
    # Without JS the filters would do nothing, so they start hidden and the script shows them.
    form = next(a for t, a in page.tags if t == "form")
    assert "hidden" in form


def test_case_details(report: dict[str, Any]) -> None:
    html = render_html(report)
    fail = html[html.index('id="case-SGL-04"') :]
    fail = fail[: fail.index("</details>")]
    for text in (
        "branch taken",
        "<code>partial</code>",
        "GET</b> http://server.test/files/r1000.bin?a=1&amp;b=&lt;x&gt;",
        "Content-Range",
        "2 octets; first difference at octet 0 (absolute 0): 33 ce",
        "2 octets; at 0: a1 33",
        "seconds <b>0.01</b>",
        '<pre class="curl">curl -sS -H &#x27;Range: bytes=0-9&#x27;',
        "§15.3.7.1",
    ):
        assert text in fail, text
    for heading in ("grade", "check", "message", "level", "§", "expected", "actual"):
        assert f"<th scope=col>{heading}</th>" in fail
    skip = html[html.index('id="case-CCH-01"') :]
    skip = skip[: skip.index("</details>")]
    assert "Request" not in skip
    assert "curl" not in skip


def test_no_external_assets(report: dict[str, Any]) -> None:
    page = parse(render_html(report))
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "base"), tag
        assert "src" not in attrs, (tag, attrs)
        for name, value in attrs.items():
            if value and re.match(r"\s*(https?:)?//", value):
                # The only outside URLs are links a reader may follow to the RFC text.
                assert (tag, name) == ("a", "href"), attrs
                assert value.startswith("https://www.rfc-editor.org/rfc/rfc9110#section-")
    style = "".join(page.styles)
    assert style
    assert "@import" not in style
    assert "url(" not in style
    csp = [a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp
    assert "default-src 'none'" in str(csp[0])


def test_write_html_survives_lone_surrogates(report: dict[str, Any], tmp_path: Path) -> None:
    report = copy.deepcopy(report)
    report["results"][0]["response"]["headers"].append(["X-Bytes", "caf\udce9"])
    path = tmp_path / "out" / "report.html"
    write_html(report, path)
    text = path.read_text("utf-8")
    assert text.startswith("<!doctype html>")
    assert r"caf\xe9" in text


def test_real_report_of_a_broken_server(run_suite_against: Any, fixtures_dir: Path) -> None:
    ids = {"BAS-01", "BAS-04", "SGL-04", "SGL-15", "SYN-31"}
    results = run_suite_against(ShortByOne(create_app(fixtures_dir)), ids=ids)
    report = build_json_report(
        list(results.values()), target={"main": "http://mutant.test/"}, profile="rfc", duration=1
    )
    page = parse(render_html(report))
    assert page.errors == []
    rows = cases_by_id(page)
    assert {k: v["data-outcome"] for k, v in rows.items()} == {
        k: r.verdict.grade.value for k, r in results.items()
    }
    assert rows["SGL-04"]["data-outcome"] == "fail"
    assert "NOT conformant" in "".join(page.text)


def _form(html: str) -> dict[str, str | None]:
    return next(a for t, a in parse(html).tags if t == "form")


def _checked(html: str) -> list[str]:
    return [
        str(a["value"])
        for t, a in parse(html).tags
        if t == "input" and a.get("name") == "outcome" and "checked" in a
    ]


def _summary(html: str, case_id: str) -> str:
    start = html.index(f'id="case-{case_id}"')
    return html[html.index("<summary>", start) : html.index("</summary>", start)]


def test_a_page_with_problems_opens_on_them(report: dict[str, Any]) -> None:
    html = render_html(report)
    assert _form(html)["data-start"] == "warn,fail,error"
    assert _checked(html) == ["warn", "fail", "error"]  # the boxes say what is shown
    assert 'check(start?start.split(","):null)' in html  # the script's start, without fragment
    show_all = html[html.index('<button type="button" id="showall">') :]
    assert show_all.startswith('<button type="button" id="showall">show all 6 cases</button>')
    # Without JS nothing is hidden: the filter is only the script's starting point.
    page = parse(html)
    assert not [a for t, a in page.tags if t in ("details", "section") and "hidden" in a]
    # A warn alone is a problem too; an info or a skip is not.
    assert _form(render_html(report_of({"A-01": "pass", "A-02": "warn"})))["data-start"]
    assert "data-start" not in _form(render_html(report_of({"A-01": "info", "A-02": "skip"})))


def test_a_clean_page_opens_on_everything() -> None:
    html = render_html(clean_report())
    assert "data-start" not in _form(html)
    assert _checked(html) == list(ORDER)
    assert "show all 4 cases" in html  # there, and hidden by the script while all are shown


def test_summary_line_carries_the_finding(report: dict[str, Any]) -> None:
    html = render_html(report)
    fail = _summary(html, "SGL-04")
    assert (
        '<span class="finding">content differs from the representation&#x27;s octets 0-1</span>'
        in fail
    )
    assert '<span class="finding">416 without Content-Range</span>' in _summary(html, "SGL-15")
    error = _summary(html, "MUL-01")
    assert '<span class="finding">server said &lt;script&gt;' in error  # escaped
    report["results"][1]["findings"] = [finding_record("info", "branch", "Range ignored")]
    for case_id in ("BAS-01", "SYN-31", "CCH-01"):  # an info's finding stays in its details
        assert "finding" not in _summary(render_html(report), case_id)


def test_summary_finding_is_the_first_of_the_worst_grade(report: dict[str, Any]) -> None:
    record = report["results"][3]
    record["findings"] = [
        finding_record("pass", "status", "status fine"),
        finding_record("warn", "accept-ranges", "no Accept-Ranges"),
        finding_record("fail", "content-range", "first fail"),
        finding_record("info", "branch", "ranges coalesced"),
        finding_record("fail", "body", "second fail"),
    ]
    assert '<span class="finding">first fail</span>' in _summary(render_html(report), "SGL-04")
    record["findings"][2]["message"] = "x" * 1000  # cut as the terminal cuts it
    assert f"{'x' * 800}… (1000 characters in all)</span>" in _summary(
        render_html(report), "SGL-04"
    )
    record["findings"] = []
    assert "finding" not in _summary(render_html(report), "SGL-04")


def test_banner_names_the_profile(report: dict[str, Any]) -> None:
    assert "Judged by the <b>rfc</b> profile: RFC 9110 as written" in render_html(report)
    report["profile"] = "strict"
    assert "Judged by the <b>strict</b> profile: RFC 9110 as written, every warn a fail" in (
        render_html(report)
    )
    report["profile"], report["fail_on"] = "rfc", "warn"
    assert "Warnings fail the run (--fail-on warn)." in render_html(report)
    assert MEDIA_QUESTION not in render_html(report)
    assert OUTSIDE not in render_html(report)


def test_media_banner_answers_the_media_question() -> None:
    report = media_report()
    html = render_html(report)
    text = " ".join("".join(parse(html).text).split())
    assert "range-conformance: media-ready" in text
    assert (
        f"Judged by the media profile: {MEDIA_QUESTION} 2 cases decide it. 2 RFC 9110 failures lie"
        f" outside that question (listed below, marked “{OUTSIDE}”): they do not decide this "
        "verdict." in text
    )
    outside = {
        case_id
        for case_id, attrs in cases_by_id(parse(html)).items()
        if attrs.get("data-decides") == "false"
    }
    assert outside == {"SYN-31", "MUL-01", "SGL-15"}  # every record outside is listed, marked
    for case_id in ("SYN-31", "MUL-01", "SGL-15", "BAS-01", "SGL-04"):
        marked = f'<span class="outside">{OUTSIDE}</span>' in _summary(html, case_id)
        assert marked == (case_id in outside), case_id
    # The counts the verdict rests on, beside all of them.
    assert (
        "<th scope=row>the media question</th>"
        + "".join(f'<td class="o-{o}">{2 if o == "pass" else 0}</td>' for o in ORDER)
        in html
    )
    report["results"][2]["outcome"] = "warn"  # SYN-31: a warn is no RFC failure
    report["results"][3]["outcome"] = "pass"
    text = "".join(parse(render_html(report)).text)
    assert "No RFC 9110 failure lies outside that question." in text
    report["results"][2]["outcome"] = "fail"
    text = " ".join("".join(parse(render_html(report)).text).split())
    assert "1 RFC 9110 failure lies outside that question" in text
    assert "it does not decide this verdict" in text
    report["results"][0]["outcome"] = "fail"  # a deciding fail, which is not outside
    text = " ".join("".join(parse(render_html(report)).text).split())
    assert "range-conformance: NOT media-ready" in text
    assert "1 RFC 9110 failure lies outside that question" in text
