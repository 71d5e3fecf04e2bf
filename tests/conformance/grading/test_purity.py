"""Grading is a pure function of values: it imports nothing that does I/O, and it grades a real
run's answers with every socket and file closed to it."""

from __future__ import annotations

import ast
import builtins
import socket
from pathlib import Path
from typing import Any

import pytest

from conformance.engine import runner
from conformance.engine.target import Target
from conformance.transport.client import Client
from tests.helpers.targets import role_urls

GRADING = Path(__file__).resolve().parents[3] / "conformance" / "grading"
# What grading may import: the standard library's pure parts, the model and grading itself.
ALLOWED = {
    "__future__", "bisect", "collections", "dataclasses", "enum", "re", "typing", "conformance"
}  # fmt: skip
ALLOWED_NAMES = {"sys.int_info"}  # a constant of the interpreter, not its streams
ALLOWED_OWN = ("conformance.grading.", "conformance.model")


def imports_of(path: Path) -> set[str]:
    """Dotted names: `import a.b` gives a.b, `from a import b` gives a.b."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("module", sorted(GRADING.glob("*.py")), ids=lambda p: p.name)
def test_grading_imports_nothing_that_does_io(module: Path) -> None:
    for name in imports_of(module):
        allowed = name.split(".")[0] in ALLOWED or name in ALLOWED_NAMES
        assert allowed, f"{module.name} imports {name}"
        if name.startswith("conformance"):
            assert name.startswith(ALLOWED_OWN), f"{module.name} imports {name}"


class _NoIO(Exception):
    pass


def test_a_real_run_is_graded_with_sockets_and_files_closed(
    monkeypatch: pytest.MonkeyPatch, reference_base_url: str, bundled_cases: list[Any]
) -> None:
    """Every grade of a whole bundled run happens while connecting, sending and opening a file
    raise: the engine fetched every octet the grades compare before they ran."""
    graded = []
    real_grade = runner.grade

    def closed(*args: object, **kwargs: object) -> Any:
        def refuse(*_: object, **__: object) -> Any:
            raise _NoIO("grading tried I/O")

        with monkeypatch.context() as sealed:
            for name in ("connect", "connect_ex", "send", "sendall", "recv", "recv_into"):
                sealed.setattr(socket.socket, name, refuse)
            sealed.setattr(socket, "create_connection", refuse)
            sealed.setattr(builtins, "open", refuse)
            verdict = real_grade(*args, **kwargs)  # type: ignore[arg-type]
        graded.append(verdict)
        return verdict

    monkeypatch.setattr(runner, "grade", closed)
    with Client() as client:
        target = Target(role_urls(reference_base_url), client)
        results = list(runner.run_cases(bundled_cases, target, workers=1))
    assert len(graded) >= len(bundled_cases) - 10  # every case that got an answer was graded
    internal = [r for r in results if "internal error" in r.verdict.summary]
    assert internal == []  # a _NoIO would have surfaced here
    assert all(r.verdict.grade.value in ("pass", "info", "skip") for r in results)
