"""The committed coverage table is current and accounts for every catalogue id."""

from __future__ import annotations

from pathlib import Path

from conformance.casefile.catalogue import catalogue_ids, left_out, problems, render_table
from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.model import CACHE_CASE_SUFFIX

ROOT = Path(__file__).resolve().parents[3]


def test_every_catalogue_id_is_implemented_or_left_out_with_a_reason() -> None:
    cases_dir = bundled_cases_dir()
    assert problems(load_cases([cases_dir]), left_out(cases_dir)) == []
    assert len(catalogue_ids()) == 193


def test_committed_coverage_table_is_current() -> None:
    cases_dir = bundled_cases_dir()
    cache_cases = load_cases([cases_dir], CACHE_CASE_SUFFIX)
    table = render_table(load_cases([cases_dir]), left_out(cases_dir), ROOT, cache_cases)
    assert "| CCO-01 |" in table
    committed = (ROOT / "docs" / "coverage.md").read_text("utf-8")
    assert committed == table, (
        "run: python -m conformance.casefile.catalogue --write docs/coverage.md"
    )
