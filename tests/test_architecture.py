"""docs/architecture.md names every module of the packages, one line each, and nothing that is
not there; and no module of the harness imports one in a layer above it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("conformance", "reference_server", "scorecard")
DOC = (ROOT / "docs" / "architecture.md").read_text("utf-8")
# The harness's layers, lowest first: a module may import its own layer and those below.
LAYERS = [
    {"conformance.model", "conformance.errors", "conformance.httpdate"},
    {"conformance.casefile", "conformance.grading", "conformance.transport"},
    {"conformance.report", "conformance.engine"},
    {"conformance.options", "conformance.console", "conformance.target_app"},
    {
        "conformance.cli",
        "conformance.plugin",
        "conformance.matrix_cli",
        "conformance.cache_cli",
        "conformance.__main__",
    },
]


def modules() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "apps" in path.parts:  # the scorecard's peer apps are data for other servers
                continue
            found.append(path.relative_to(ROOT).as_posix())
    return found


def documented() -> set[str]:
    """`package/sub/` headings and `- \\`module.py\\`:` lines → relative paths."""
    paths, where = set(), ""
    for line in DOC.splitlines():
        heading = re.fullmatch(r"#+ (\S+/)", line)
        if heading:
            where = heading.group(1)
            continue
        item = re.match(r"- `([\w/]+\.py)`: \S", line)
        if item and where:
            paths.add(where + item.group(1))
    return paths


def test_every_module_has_its_line_and_no_line_is_stale() -> None:
    assert documented() == set(modules())


def layer_of(module: str) -> int:
    for number, layer in enumerate(LAYERS):
        if any(module == name or module.startswith(name + ".") for name in layer):
            return number
    raise AssertionError(f"{module} is in no layer: add it to LAYERS and the doc")


def test_imports_run_one_way_down_the_layers() -> None:
    upward = []
    for path in sorted((ROOT / "conformance").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        if name == "conformance":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            target = node.module or "" if isinstance(node, ast.ImportFrom) else ""
            if target.startswith("conformance.") and layer_of(target) > layer_of(name):
                upward.append(f"{name} imports {target}")
    assert upward == []
