"""The command line: exit codes, output and the JSON report, against local servers only."""

from __future__ import annotations

import io
import json
import re
import socket
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.cli import main
from reference_server import create_app, serve_in_thread
from tests.helpers.mutants import IfMatchIgnoredWithRange, IgnoreRange
from tests.helpers.targets import role_urls

BAD_CASE = """\
group: TST
title: t
cases:
  - id: TST-01
    title: t
    rfc: "14.2"
    level: MUST
    request: {}
    outcomes: [{branch: x, status: "two hundred"}]
"""


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_no_url_checks_the_bundled_reference_server() -> None:
    code, out = run()
    assert code == 0
    assert "(bundled reference server)" in out
    assert "conformant:" in out
    assert "NOT conformant" not in out


def test_json_report_follows_its_schema(tmp_path: Path) -> None:
    path = tmp_path / "r" / "report.json"
    code, out = run("-k", "SGL", "--json", str(path))
    assert code == 0
    report = json.loads(path.read_text())
    schema = json.loads(
        resources.files("conformance.report").joinpath("report.schema.json").read_text()
    )
    jsonschema.validate(report, schema)
    record = next(r for r in report["results"] if r["id"] == "SGL-04")
    assert record["outcome"] == "pass"
    assert record["branch"] == "partial"
    assert record["curl"].startswith("curl ")
    assert record["measures"]["octets"] == 2.0


def test_bad_case_file_exits_2_naming_file_line_and_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.range.yaml"
    bad.write_text(BAD_CASE)
    code, _ = run("--cases", str(bad))
    assert code == 2
    err = capsys.readouterr().err
    assert f"{bad}:9: $.cases[0].outcomes[0].status: " in err
    assert "Traceback" not in err


def test_bad_keyword_and_bad_url_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("-k", "(SGL")[0] == 2
    assert run("ftp://example.com/x")[0] == 2
    assert "not an http:// or https:// URL" in capsys.readouterr().err
    assert run("-H", "no colon here", "http://127.0.0.1:1/")[0] == 2


def test_list_prints_cases_with_level_and_section() -> None:
    code, out = run("--list", "-k", "SGL-18")
    assert code == 0
    assert "SGL-18" in out
    assert "MUST" in out
    assert "§14.1.2" in out


def test_an_unreachable_target_is_said_once_with_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    code, out = run(f"http://127.0.0.1:{port}/x")
    assert (code, out) == (2, "")
    assert capsys.readouterr().err == (
        f"range-conformance: cannot reach http://127.0.0.1:{port}/x: connection refused. "
        "Is the server running? No case was run.\n"
    )


def lying_206(environ, start_response):
    """A 200 without Range; with Range, the whole body under a Content-Range for ten octets."""
    body = bytes(range(200)) * 5
    if "HTTP_RANGE" not in environ and environ.get("QUERY_STRING") != "always":
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]
    start_response(
        "206 Partial Content",
        [("Content-Range", "bytes 0-9/1000"), ("Content-Length", str(len(body)))],
    )
    return [body]


def test_a_broken_server_exits_1_with_failure_details() -> None:
    with serve_in_thread(lying_206) as base:
        code, out = run(base + "/x", "-k", "SGL-04")
    assert code == 1
    assert "FAIL  SGL-04" in out
    assert "reproduce:" in out
    assert "curl -sS --http1.1" in out


def test_a_206_to_a_plain_get_fails_baseline_and_errors_the_rest() -> None:
    with serve_in_thread(lying_206) as base:
        code, out = run(base + "/x?always", "-k", "BAS-01 or SGL-04")
    assert code == 1
    assert "FAIL  BAS-01" in out
    assert "ERROR SGL-04" in out
    assert "answered 206 to a plain GET" in out


def test_extra_headers_and_resources_are_sent(reference_base_url: str) -> None:
    urls = role_urls(reference_base_url)
    code, out = run(
        urls["main"], "--resource", f"one={urls['one']}", "-k", "SGL-25", "-H", "X-Test: yes",
        "-v",
    )  # fmt: skip
    assert code == 0
    assert "PASS  SGL-25" in out


@pytest.mark.parametrize("profile", ["rfc", "strict", "media"])
def test_every_profile_is_clean_on_the_reference_server(profile: str) -> None:
    code, out = run("--profile", profile, "-q")
    assert code == 0, out
    assert " warn" not in out.splitlines()[-1]


def test_the_media_profile_answers_the_media_question(fixtures_dir: Path) -> None:
    """A server whose only bug is outside playback (If-Match ignored with Range, as nginx's
    If-Unmodified-Since one) is media-ready: exit 0, the RFC failure shown and counted apart.
    One that ignores ranges cannot seek: exit 1."""
    with serve_in_thread(IfMatchIgnoredWithRange(create_app(fixtures_dir))) as base:
        code, out = run(*every_role(base), "--profile", "media")
    lines = out.splitlines()
    assert code == 0, out
    cases = load_cases([bundled_cases_dir()])
    deciding = sum(1 for case in cases if "media" in case.tags)
    assert re.fullmatch(
        rf"media-ready \(can browsers and players play and seek this URL\? {deciding} cases "
        rf"decide it\): {deciding} pass in \d+\.\d\d s, .* read",
        lines[-1],
    )
    assert lines[-2].startswith(f"outside the media question, RFC 9110 ({194 - deciding} cases): ")
    assert re.search(r": \d+ fail, listed above; they do not decide this verdict$", lines[-2])
    assert re.search(r"^FAIL  PRE-11 ", out, re.M)
    with serve_in_thread(IgnoreRange(create_app(fixtures_dir))) as base:
        code, out = run(*every_role(base), "--profile", "media")
    assert code == 1
    assert out.splitlines()[-1].startswith("NOT media-ready (can browsers and players play")
    assert re.search(r"^FAIL  SGL-04 ", out, re.M)


def every_role(base: str) -> list[str]:
    urls = role_urls(base)
    return [urls.pop("main"), *(f"--resource={role}={url}" for role, url in urls.items())]
