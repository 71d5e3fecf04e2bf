"""The cache scorecard's pure parts: run-token normalisation and the matrix (no real cache)."""

from __future__ import annotations

from typing import Any

from scorecard.cache_scorecard import cache_only, cell, normalise_tokens, render_matrix


def record(case_id: str, outcome: str, branch: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": case_id, "title": f"title of {case_id}", "outcome": outcome, "branch": branch,
            "findings": [], **extra}  # fmt: skip


def through(grade: str) -> dict[str, Any]:
    return {"check": "through-cache", "grade": grade, "message": "the origin alone: pass"}


def test_tokens_etags_and_age_are_normalised() -> None:
    report: dict[str, Any] = {
        "results": [
            {
                "id": "CCO-07",
                "request": {"url": "http://127.0.0.1:PORT/o/cco-07-22ed758e1a/representation.bin"},
                "findings": [{"message": "token 22ed758e1a seen; /o/preflight-0123abcdef/x"}],
                "response": {"headers": [["ETag", '"v1-100000-ca929366"'], ["Age", "3"]]},
            },
            {"id": "CCH-01", "request": {"url": "/f?range-conformance=CCH-01-d35309497093"}},
        ]
    }
    out = normalise_tokens(report)
    first, second = out["results"]
    assert first["request"]["url"] == "http://127.0.0.1:PORT/o/cco-07-TOKEN/representation.bin"
    assert first["findings"][0]["message"] == "token TOKEN seen; /o/preflight-TOKEN/x"
    assert first["response"]["headers"] == [["ETag", '"v1-100000-HASH"'], ["Age", "<age>"]]
    assert second["request"]["url"] == "/f?range-conformance=CCH-01-TOKEN"
    assert report["results"][1]["request"]["url"].endswith("d35309497093")  # a copy


def test_cache_only_lists_catalogue_cases_worse_through_the_cache() -> None:
    report: dict[str, Any] = {
        "results": [
            record("CCO-01", "fail", findings=[through("fail")]),  # a cache case: not counted
            record("IFR-04", "fail", findings=[through("fail")]),
            record("SYN-05", "warn", findings=[through("warn")]),
            record("SGL-01", "pass", findings=[through("pass")]),
        ]
    }
    assert cache_only(report) == [("IFR-04", "fail"), ("SYN-05", "warn")]


def test_matrix_from_two_reports_and_a_skipped_cache() -> None:
    nginx = {
        "results": [
            record("CCO-01", "pass", "partial"),
            record("CCO-02", "fail", "whole|fetched"),
            record("IFR-04", "fail", "weak", findings=[through("fail")]),
        ]
    }
    varnish = {"results": [record("CCO-01", "pass", "whole"), record("CCO-02", "pass")]}
    metas = [
        {"name": "nginx", "title": "nginx proxy_cache", "version": "nginx 1.22.1"},
        {"name": "varnish", "title": "Varnish", "version": "Varnish 7.1.1"},
        {"name": "squid", "title": "Squid", "version": "", "skipped": "exited 2: no | origin"},
    ]
    text = render_matrix([(metas[0], nginx), (metas[1], varnish), (metas[2], None)])
    lines = text.splitlines()
    assert (
        "| nginx proxy\\_cache (nginx 1.22.1) | 1 | 0 | 0 | 2 | 0 | 0 | `CCO-02` | `IFR-04` |"
        in lines
    )
    assert "| Varnish (Varnish 7.1.1) | 2 | 0 | 0 | 0 | 0 | 0 | none | none |" in lines
    assert (
        "| Squid (version unknown) | — | — | — | — | — | — | — | skipped: exited 2: no \\| origin |"
        in lines
    )
    assert "| `CCO-01` title of CCO-01 | pass partial | pass whole |" in lines
    assert "| `CCO-02` title of CCO-02 | FAIL whole\\|fetched | pass |" in lines
    assert "- Squid (version unknown): exited 2: no \\| origin" in lines
    # Skipped caches get no column in the per-case matrix.
    assert "| case | nginx proxy\\_cache (nginx 1.22.1) | Varnish (Varnish 7.1.1) |" in lines
    assert text.count("`upstream` finding") == 2


def test_cell_without_record_or_branch() -> None:
    assert cell(None) == "—"
    assert cell(record("CCO-03", "error")) == "ERROR"
