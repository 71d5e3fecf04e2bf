"""The mutation run's own parts: what it mutates, what it covers, how it scores."""

from __future__ import annotations

from pathlib import Path

import pytest

from mutation.mutate import (
    ROOT,
    Mutant,
    Target,
    _copy,
    _report,
    _Trees,
    load_equivalent,
    load_targets,
    mutants_of,
    stale_equivalents,
)

SAMPLE = '''\
"""A docstring with 1 number is never mutated."""


def pick(first: int, last: int, flag: bool) -> list[Finding]:
    findings = ["x"] if first <= last and flag else []
    if -first == 2:
        return findings[last - first :]
    return f"{first + 1}"
'''


def changes(source: str) -> list[str]:
    return [m.change for m in mutants_of("sample", "sample.py", source)]


def test_every_operator_of_the_run_applies() -> None:
    assert changes(SAMPLE) == [
        "returned findings `f'{first + 1}'` → []",  # an f-string is text: nothing inside mutated
        "returned findings `findings[last - first:]` → []",
        "`and` → `or` in `first <= last and flag`",
        "`<=` → `<` in `first <= last`",
        "`if -first == 2` negated",
        "`==` → `!=` in `-first == 2`",
        "sign dropped in `-first`",
        "`2` → `3` in `-first == 2`",
        "`2` → `1` in `-first == 2`",
        "`-` → `+` in `last - first`",
    ]


def test_a_mutant_is_the_module_with_one_change() -> None:
    (flipped,) = [m for m in mutants_of("s", "s.py", SAMPLE) if m.change.startswith("`<=`")]
    assert flipped.line == 5
    changed = [
        (a, b)
        for a, b in zip(SAMPLE.splitlines(), flipped.text.splitlines(), strict=True)
        if a != b
    ]
    assert changed == [
        (
            '    findings = ["x"] if first <= last and flag else []',
            '    findings = ["x"] if (first < last) and flag else []',
        )
    ]


def test_every_grading_module_is_a_target_with_tests_that_exist() -> None:
    targets = load_targets()
    grading = {f"conformance/grading/{p.name}" for p in (ROOT / "conformance/grading").glob("*.py")}
    assert {t.path for t in targets} == grading - {"conformance/grading/__init__.py"}
    for target in targets:
        assert target.tests, target.name
        for test in target.tests:
            assert (ROOT / test).is_file(), test


def test_every_equivalent_entry_names_a_live_mutant_and_says_why() -> None:
    equivalent = load_equivalent()
    assert stale_equivalents(load_targets(), equivalent) == []
    for key, why in equivalent.items():
        assert len(why) > 20, key


def mutant(n: int) -> Mutant:
    return Mutant("m", "m.py", n, "f", f"change {n}", "")


@pytest.mark.parametrize(
    ("survived", "explained", "falls_short", "score"),
    [
        ([], [], False, "20/20 killed (100.0%)"),
        ([1], [1], False, "19/20 killed (95.0%)"),
        ([1, 2], [1, 2], True, "18/20 killed (90.0%)"),  # equivalents still count as survivors
        ([1], [], True, "19/20 killed (95.0%)"),  # an unexplained survivor always falls short
    ],
)
def test_the_score_counts_every_mutant(
    capsys: pytest.CaptureFixture[str],
    survived: list[int],
    explained: list[int],
    falls_short: bool,
    score: str,
) -> None:
    mutants = [mutant(n) for n in range(20)]
    equivalent = {mutant(n).key: "cannot be seen" for n in explained}
    target = Target("m", "m.py", ("t.py",))
    result = _report(target, mutants, [mutants[n] for n in survived], equivalent, 1.0)
    out = capsys.readouterr().out
    assert result is falls_short
    assert score in out
    assert ("SURVIVED" in out) is (set(survived) != set(explained))


def test_stale_entries_are_found() -> None:
    target = Target("sample", "conformance/grading/spans.py", ())
    live = next(iter(mutants_of(target.name, target.path))).key
    gone = "conformance/grading/spans.py::nowhere::`<` → `<=` in `a < b`"
    other = "conformance/grading/fields.py::nowhere::anything"  # not a module of this run
    equivalent = {live: "x", gone: "y", other: "z"}
    assert stale_equivalents([target], equivalent) == [gone]


def test_a_mutant_is_judged_in_a_copy_and_the_copy_is_restored(tmp_path: Path) -> None:
    path = "conformance/grading/truth.py"
    original = (ROOT / path).read_text("utf-8")
    tree = _copy(tmp_path / "tree")
    assert not (tree / ".git").exists()
    assert not (tree / "reports").exists()
    broken = Mutant("truth", path, 1, "<module>", "everything", original + "\nraise ImportError\n")
    assert _Trees([tree]).judge(broken, ("tests/conformance/grading/test_truth.py",), 60)
    assert (tree / path).read_text("utf-8") == original
    assert (ROOT / path).read_text("utf-8") == original
