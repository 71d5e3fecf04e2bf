"""The cache audit: every FAIL of the real caches read, AUDIT.md and MATRIX.md current."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from scorecard.cache_audit import failing, readings, render
from scorecard.cache_scorecard import DEFAULT_OUT, entries, render_matrix


def test_every_fail_of_the_committed_cache_reports_has_a_reading() -> None:
    table = readings()
    bad = failing(DEFAULT_OUT)
    assert bad, "the committed cache reports hold no FAIL: is reports/caches empty?"
    unread = [(name, record["id"]) for name, _, record in bad if (name, record["id"]) not in table]
    assert unread == []
    # and the table reads nothing that no longer fails (a stale reading is a wrong record)
    failing_now = {(name, record["id"]) for name, _, record in bad}
    assert set(table) == failing_now


def test_published_cache_audit_and_matrix_are_what_the_reports_give() -> None:
    assert (DEFAULT_OUT / "AUDIT.md").read_text("utf-8") == render(DEFAULT_OUT), (
        "reports/caches/AUDIT.md is stale: run `python -m scorecard.cache_audit`"
    )
    assert (DEFAULT_OUT / "MATRIX.md").read_text("utf-8") == render_matrix(entries(DEFAULT_OUT))


def test_a_fail_without_a_reading_is_shown_as_not_audited(tmp_path: Path) -> None:
    folder = tmp_path / "varnish"
    shutil.copytree(DEFAULT_OUT / "varnish", folder)
    meta = json.loads((folder / "cache.json").read_text("utf-8"))
    text = render(tmp_path, table={})
    assert f"| {meta['title']} ({meta['version']}) | 1 | 1 NOT AUDITED |" in text
    assert "**verdict: NOT AUDITED**" in text
    read = render(tmp_path, table={("varnish", "MTH-06"): ("§14.2", "correct", "applied")})
    assert "**verdict: correct** — applied" in read
    assert "NOT AUDITED" not in read
