"""Failure text: location, request, expected vs actual, and a curl command that round-trips."""

from __future__ import annotations

import shlex
from pathlib import Path

from conformance.casefile.loader import load_cases_text
from conformance.model import Exchange, Finding, Grade, Level, Result, SentRequest, Verdict
from conformance.report.text import curl_command, render_failure

CASE = load_cases_text(
    """\
group: TST
title: t
cases:
  - id: TST-01
    title: suffix
    rfc: "14.1.2"
    level: MUST
    request: {range: [{suffix: 10}]}
    outcomes: [{branch: partial, status: 206, partial: [{first: L-10, last: L-1}]}]
""",
    Path("cases/x.range.yaml"),
)[0]

SENT = SentRequest(
    "GET",
    "http://127.0.0.1:8000/files/a b.bin",
    (("Range", "bytes=-10"), ("Accept-Encoding", "identity"), ("If-Range", '"it\'s"')),
)


def test_failure_text_has_location_request_table_and_curl() -> None:
    finding = Finding(
        "status",
        Grade.FAIL,
        "got 200; acceptable: 206 (partial)",
        Level.MUST,
        "14.1.2",
        expected="206 (partial)",
        actual="200 OK",
    )
    exchange = Exchange(SENT, 200, "OK", (("Content-Length", "26"),), b"x" * 26)
    result = Result(CASE, Verdict(Grade.FAIL, None, (finding,), "got 200"), exchange)
    text = render_failure(result)
    first = text.splitlines()[0]
    assert first.startswith("cases/x.range.yaml:4: TST-01 suffix")
    assert "MUST · RFC 9110 §14.1.2" in first
    assert "  Range: bytes=-10" in text
    assert "FAIL  status  got 200" in text
    assert "expected  206 (partial)" in text
    assert "actual    200 OK" in text
    assert "curl -sS --http1.1" in text


def test_curl_command_round_trips_through_shlex() -> None:
    words = shlex.split(curl_command(SENT))
    assert words[-1] == SENT.url
    assert 'If-Range: "it\'s"' in words
    assert "Range: bytes=-10" in words


def test_curl_for_head_and_other_methods() -> None:
    assert "--head" in shlex.split(curl_command(SentRequest("HEAD", "http://h/", ())))
    words = shlex.split(curl_command(SentRequest("POST", "http://h/", (), body=b"abc")))
    assert words[words.index("-X") + 1] == "POST"
    assert words[words.index("--data-binary") + 1] == "abc"
