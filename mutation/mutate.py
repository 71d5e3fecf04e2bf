"""Mutation testing of the grading code: is every check able to fail?

    python mutation/mutate.py                    # every module in mutation/targets.toml
    python mutation/mutate.py --module spans     # one (a name from targets.toml)
    python mutation/mutate.py --list             # the mutants, without running anything

Each mutant changes one thing in one module (a comparison flipped, `and` and `or` swapped, an
integer off by one, `+` and `-` swapped, a sign dropped, an `if` negated, a list of findings
returned empty) and runs the tests that exercise that module. A test that fails kills the
mutant; a mutant that survives is a behaviour no test pins, unless `mutation/equivalent.toml`
says why it cannot be observed. Mutants run in copies of the checkout (one per worker), never in
the checkout itself. Prints the score per module and every survivor with file, line and change;
exits 1 when a module scores under the threshold or a survivor is not accounted for.
"""

from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
THRESHOLD = 0.95
TIMEOUT_FACTOR = 4  # a mutant whose tests run this many times longer than clean is killed (a hang)

FLIPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
SWAPS: dict[type[ast.operator], type[ast.operator]] = {ast.Add: ast.Sub, ast.Sub: ast.Add}


@dataclass(frozen=True)
class Mutant:
    """One change to one module: where, what, and the module's text with it."""

    module: str  # the name in targets.toml
    path: str  # relative to the checkout
    line: int
    function: str
    change: str  # e.g. "`<=` → `<` in `first <= last`"
    text: str  # the whole mutated module

    @property
    def key(self) -> str:
        """How equivalent.toml names it: stable while the code it changes stays the same."""
        return f"{self.path}::{self.function}::{self.change}"

    def where(self) -> str:
        return f"{self.path}:{self.line} ({self.function}) {self.change}"


class _Finder(ast.NodeVisitor):
    """Collects (node, mutated node, description) for every place a mutation applies."""

    def __init__(self, tree: ast.AST) -> None:
        self.found: list[tuple[ast.AST, str, str, str]] = []  # node, replacement, change, func
        self._function = "<module>"
        self.parents = {id(child): node for node in ast.walk(tree)
                        for child in ast.iter_child_nodes(node)}  # fmt: skip

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer, self._function = self._function, node.name
        returns_findings = node.returns is not None and "Finding" in ast.unparse(node.returns)
        for child in ast.walk(node) if returns_findings else ():
            value = child.value if isinstance(child, ast.Return) else None
            if value is not None and not (isinstance(value, ast.List) and not value.elts):
                self._add(value, "[]", f"returned findings `{_short(value)}` → []")
        for statement in node.body:
            self.visit(statement)
        self._function = outer

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)  # never the annotation

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        return  # f-strings: text for people, not logic

    def visit_If(self, node: ast.If) -> None:
        self._add(node.test, f"not ({ast.unparse(node.test)})", f"`if {_short(node.test)}` negated")
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        for index, op in enumerate(node.ops):
            flipped = FLIPS.get(type(op))
            if flipped is None:
                continue
            ops = list(node.ops)
            ops[index] = flipped()
            mutated = ast.Compare(node.left, ops, node.comparators)
            self._add(node, f"({ast.unparse(mutated)})",
                      f"`{_op(op)}` → `{_op(flipped())}` in `{_short(node)}`")  # fmt: skip
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        other: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        mutated = ast.BoolOp(other, node.values)
        names = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
        self._add(node, f"({ast.unparse(mutated)})",
                  f"`{names[0]}` → `{names[1]}` in `{_short(node)}`")  # fmt: skip
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        swapped = SWAPS.get(type(node.op))
        if swapped is not None:
            mutated = ast.BinOp(node.left, swapped(), node.right)
            sign = "+" if isinstance(node.op, ast.Add) else "-"
            other = "-" if sign == "+" else "+"
            if not _is_text(node):
                self._add(node, f"({ast.unparse(mutated)})",
                          f"`{sign}` → `{other}` in `{_short(node)}`")  # fmt: skip
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.USub):
            self._add(node, f"({ast.unparse(node.operand)})", f"sign dropped in `{_short(node)}`")
            return
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool):
            around = _short(self.parents.get(id(node), node))
            self._add(node, str(value + 1), f"`{value}` → `{value + 1}` in `{around}`")
            self._add(node, str(value - 1), f"`{value}` → `{value - 1}` in `{around}`")

    def _add(self, node: ast.AST, replacement: str, change: str) -> None:
        self.found.append((node, replacement, change, self._function))


def _op(op: ast.cmpop) -> str:
    return ast.unparse(ast.Compare(ast.Name("a"), [op], [ast.Name("b")]))[2:-2]


def _short(node: ast.AST) -> str:
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _is_text(node: ast.BinOp) -> bool:
    """`"a" + b`: joining text, not arithmetic."""
    return any(isinstance(side, ast.Constant) and isinstance(side.value, str | bytes)
               for side in (node.left, node.right))  # fmt: skip


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        text = first.value if isinstance(first, ast.Expr) else None
        if isinstance(text, ast.Constant) and isinstance(text.value, str):
            found.add(id(text))
    return found


def mutants_of(module: str, path: str, source: str | None = None) -> Iterator[Mutant]:
    """Every mutant of one module (its text read from the checkout unless given), in order."""
    source = (ROOT / path).read_text("utf-8") if source is None else source
    tree = ast.parse(source)
    finder = _Finder(tree)
    finder.visit(tree)
    lines = source.splitlines(keepends=True)
    skip = _docstrings(tree)
    seen: dict[tuple[str, str], int] = {}
    for node, replacement, change, function in finder.found:
        if id(node) in skip or not hasattr(node, "end_lineno"):
            continue
        text = _replace(lines, node, replacement)
        if text is None:
            continue
        count = seen[function, change] = seen.get((function, change), 0) + 1
        named = change if count == 1 else f"{change} (#{count})"  # the same change again
        yield Mutant(module, path, getattr(node, "lineno", 0), function, named, text)


def _replace(lines: list[str], node: ast.AST, replacement: str) -> str | None:
    """The module with `node`'s source span replaced (ast offsets are UTF-8 octets)."""
    first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
    start = lines[first].encode("utf-8")[: node.col_offset].decode("utf-8")  # type: ignore[attr-defined]
    end = lines[last].encode("utf-8")[node.end_col_offset :].decode("utf-8")  # type: ignore[attr-defined]
    if "\n" in replacement:
        return None
    text: str = "".join(lines[:first]) + start + replacement + end + "".join(lines[last + 1 :])
    try:
        ast.parse(text)
    except SyntaxError:
        return None
    return text


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    tests: tuple[str, ...]


def load_targets() -> list[Target]:
    data = tomllib.loads((HERE / "targets.toml").read_text("utf-8"))
    return [Target(name, entry["path"], tuple(entry["tests"]))
            for name, entry in data["module"].items()]  # fmt: skip


def load_equivalent() -> dict[str, str]:
    data = tomllib.loads((HERE / "equivalent.toml").read_text("utf-8"))
    return {entry["mutant"]: entry["why"] for entry in data.get("equivalent", [])}


def _copy(into: Path) -> Path:
    """A copy of the checkout's code and tests where a worker may change files."""
    ignore = shutil.ignore_patterns(".git", "reports", "__pycache__", ".mypy_cache",
                                    ".ruff_cache", ".hypothesis", "*.egg-info")  # fmt: skip
    shutil.copytree(ROOT, into, ignore=ignore, symlinks=True)
    return into


def _pytest(tree: Path, tests: tuple[str, ...], timeout: float) -> tuple[bool, float]:
    """(passed, seconds) of the tests in `tree`, its own package first on the path."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, timeout=timeout,
                              check=False)  # fmt: skip
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - started
    return done.returncode == 0, time.monotonic() - started


class _Trees:
    """The copies of the checkout, each used by one mutant at a time."""

    def __init__(self, trees: list[Path]) -> None:
        self.free: queue.SimpleQueue[Path] = queue.SimpleQueue()
        for tree in trees:
            self.free.put(tree)

    def judge(self, mutant: Mutant, tests: tuple[str, ...], limit: float) -> bool:
        """Whether the tests kill `mutant` (fail or run past `limit` seconds)."""
        tree = self.free.get()
        try:
            (tree / mutant.path).write_text(mutant.text, "utf-8")
            passed, _ = _pytest(tree, tests, limit)
            return not passed
        finally:
            shutil.copy2(ROOT / mutant.path, tree / mutant.path)
            self.free.put(tree)


def stale_equivalents(targets: list[Target], equivalent: dict[str, str]) -> list[str]:
    """Entries of equivalent.toml that name no mutant of these modules any more."""
    paths = {target.path for target in targets}
    keys = {m.key for t in targets for m in mutants_of(t.name, t.path)}
    return [key for key in equivalent if key.split("::")[0] in paths and key not in keys]


def run(targets: list[Target], workers: int) -> int:
    equivalent = load_equivalent()
    stale = stale_equivalents(targets, equivalent)
    for key in stale:
        print(f"equivalent.toml names a mutant that no longer exists: {key}")
    failed = bool(stale)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mutation-") as scratch:
        copies = [_copy(Path(scratch) / f"tree-{n}") for n in range(workers)]
        trees = _Trees(copies)
        for target in targets:
            clean, seconds = _pytest(copies[0], target.tests, timeout=600)
            if not clean:
                print(f"{target.name}: its tests fail on the unchanged code; fix that first")
                return 2
            limit = max(30.0, TIMEOUT_FACTOR * seconds)
            mutants = list(mutants_of(target.name, target.path))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                killed_by = list(
                    pool.map(lambda m, t=target, s=limit: trees.judge(m, t.tests, s), mutants)
                )
            survivors = [m for m, killed in zip(mutants, killed_by, strict=True) if not killed]
            failed |= _report(target, mutants, survivors, equivalent, seconds)
    print(f"total {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


def _report(
    target: Target,
    mutants: list[Mutant],
    survivors: list[Mutant],
    equivalent: dict[str, str],
    seconds: float,
) -> bool:
    """Print one module's score and survivors; True when it falls short."""
    explained = [m for m in survivors if m.key in equivalent]
    unexplained = [m for m in survivors if m.key not in equivalent]
    killed = len(mutants) - len(survivors)
    score = killed / len(mutants) if mutants else 1.0  # equivalent mutants count as survivors
    print(
        f"{target.name} ({target.path}): {killed}/{len(mutants)} killed ({score:.1%}); "
        f"{len(explained)} survivors equivalent (equivalent.toml); clean tests {seconds:.1f} s",
        flush=True,
    )
    for mutant in unexplained:
        print(f"  SURVIVED {mutant.where()}\n           key: {mutant.key}", flush=True)
    return bool(unexplained) or score < THRESHOLD


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="a module name from targets.toml")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument("-j", "--workers", type=int, default=2, help="checkouts run at once")
    args = parser.parse_args()
    targets = [t for t in load_targets() if not args.module or t.name in args.module]
    if args.module and len(targets) != len(args.module):
        known = ", ".join(t.name for t in load_targets())
        parser.error(f"unknown module among {args.module}; known: {known}")
    if args.list:
        for target in targets:
            for mutant in mutants_of(target.name, target.path):
                print(f"{mutant.path}:{mutant.line}  {mutant.key}")
        return 0
    return run(targets, max(1, args.workers))


if __name__ == "__main__":
    raise SystemExit(main())
