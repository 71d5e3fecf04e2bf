"""What the target offers is used: the main resource plays the roles it fits, `missing` is found
beside it, and the octets of a huge representation are learned only where an answer needs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.engine.runner import run_case
from conformance.engine.target import MISSING_NAME, Target, sibling_url
from conformance.model import Grade
from conformance.transport.client import Client
from reference_server import create_app, serve_in_thread
from tests.helpers.mutants import IgnoreRange, WeakETagsOnly
from tests.helpers.targets import role_urls

CASES = {case.id: case for case in load_cases([bundled_cases_dir()])}


def test_a_sibling_url_replaces_the_last_segment() -> None:
    assert sibling_url("https://h/a/b/v.mp4?x=1#t", "z") == "https://h/a/b/z"
    assert sibling_url("https://h", "z") == "https://h/z"


def test_a_weak_main_etag_serves_the_weak_etag_cases(fixtures_dir: Path) -> None:
    """IFR-04 and IFR-05 need a weak ETag: a main resource that has one is that resource."""
    with serve_in_thread(WeakETagsOnly(create_app(fixtures_dir))) as base, Client() as client:  # type: ignore[arg-type]
        target = Target({"main": role_urls(base)["main"]}, client)
        weak = target.resource("weak")
        results = {i: run_case(CASES[i], target) for i in ("IFR-04", "IFR-05")}
    assert weak is not None
    assert weak.stands_in
    assert weak.url == role_urls(base)["main"]
    # IFR-05 also catches this server: it only relabels a strong tag, so the tag sent back
    # without its W/ still matches, the very bug IFR-05 is for.
    assert {i: r.verdict.grade for i, r in results.items()} == {
        "IFR-04": Grade.PASS,
        "IFR-05": Grade.FAIL,
    }


def test_a_strong_main_etag_leaves_them_skipped_saying_what_to_pass(
    reference_base_url: str,
) -> None:
    with Client() as client:
        target = Target({"main": role_urls(reference_base_url)["main"]}, client)
        result = run_case(CASES["IFR-04"], target)
    assert result.verdict.grade is Grade.SKIP
    assert result.verdict.summary == (
        "needs a resource whose ETag is weak, and the main resource is not one: "
        "pass --resource weak=URL"
    )


@pytest.mark.parametrize(
    ("role", "case_id", "fits"),
    [
        ("r10000", "MUL-08", "the 10 000-octet fixture"),
        ("large", "SGL-28", "the 5 GB fixture"),
        ("text", "MUL-17", "the text fixture"),
        ("dynamic", "IFR-19", "the fixture without validators"),
    ],
)
def test_the_main_resource_plays_each_role_it_fits(
    reference_base_url: str, role: str, case_id: str, fits: str
) -> None:
    urls = role_urls(reference_base_url)
    with Client() as client:
        target = Target({"main": urls[role]}, client)  # `fits` is the main resource here
        result = run_case(CASES[case_id], target)
    assert result.verdict.grade in (Grade.PASS, Grade.INFO), result.verdict.summary
    assert result.exchange is not None
    assert result.exchange.request.url == urls[role]


def test_missing_is_a_sibling_that_answers_404(reference_base_url: str) -> None:
    main = role_urls(reference_base_url)["main"]
    with Client() as client:
        target = Target({"main": main}, client)
        results = {i: run_case(CASES[i], target) for i in ("PRE-22", "PRE-23")}
        missing = target.resource("missing")
    assert missing is not None
    assert missing.url == sibling_url(main, MISSING_NAME)
    assert {i: r.verdict.grade for i, r in results.items()} == {
        "PRE-22": Grade.PASS,
        "PRE-23": Grade.PASS,
    }


def test_a_sibling_that_does_not_answer_404_is_not_used(fixtures_dir: Path) -> None:
    """A server that answers everything (a single-page app's fallback) has no `missing`."""
    app = create_app(fixtures_dir)

    def everything_is_main(environ, start_response):  # type: ignore[no-untyped-def]
        return app({**environ, "PATH_INFO": "/files/r1000.bin"}, start_response)

    with serve_in_thread(everything_is_main) as base, Client() as client:  # type: ignore[arg-type]
        target = Target({"main": base + "/media/v.bin"}, client)
        result = run_case(CASES["PRE-22"], target)
    assert result.verdict.grade is Grade.SKIP
    assert result.verdict.summary == (
        f"needs a URL that answers 404; {base}/media/{MISSING_NAME} answered 200, not 404: "
        "pass --resource missing=URL"
    )


def test_a_200_on_a_huge_resource_is_judged_from_its_first_window(fixtures_dir: Path) -> None:
    """A server that ignores Range everywhere: on the 5 GB resource its 200 is the legal
    `ignored` branch, judged from the framing and the first octets the plain 200 taught us; no
    range request is needed for an oracle (there is none that could be answered)."""
    with serve_in_thread(IgnoreRange(create_app(fixtures_dir))) as base, Client() as client:  # type: ignore[arg-type]
        target = Target({"main": role_urls(base)["large"]}, client)
        results = {i: run_case(CASES[i], target) for i in ("SGL-28", "SGL-29")}
        requests = client.traffic.requests
        octets = client.traffic.octets
    assert {i: (r.verdict.grade, r.verdict.branch) for i, r in results.items()} == {
        "SGL-28": (Grade.INFO, "ignored"),
        "SGL-29": (Grade.INFO, "ignored"),
    }
    assert requests == 3  # the plain GET that learns it, then one request per case
    assert octets < 4 * 256 * 1024  # windows of a 5 GB body, not the body
