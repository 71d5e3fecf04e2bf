"""-k expressions and level filters."""

from __future__ import annotations

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.casefile.selection import SelectionError, select

CASES = load_cases([bundled_cases_dir()])


@pytest.mark.parametrize(
    ("expression", "wanted"),
    [
        ("SGL-01", {"SGL-01"}),
        ("bas-0 and not head", {"BAS-01", "BAS-03", "BAS-04", "BAS-05"}),
        ("(BAS-01 or BAS-02) and baseline", {"BAS-01", "BAS-02"}),
    ],
)
def test_keyword_expressions(expression: str, wanted: set[str]) -> None:
    assert {case.id for case in select(CASES, keyword=expression)} == wanted


def test_level_filter() -> None:
    chosen = select(CASES, levels=["may"])
    assert chosen
    assert all(case.level.value == "MAY" for case in chosen)


@pytest.mark.parametrize("expression", ["(SGL", "and", "SGL )", "not"])
def test_bad_expressions_are_errors(expression: str) -> None:
    with pytest.raises(SelectionError):
        select(CASES, keyword=expression)
