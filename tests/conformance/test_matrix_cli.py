"""`range-conformance matrix [LABEL=]RUN.json … [--md P] [--html P]`, on JSON reports written by
the CLI itself: one run against the reference server, one against a peer that answers
`bytes=-0` with 206 (a mutant from tests/mutants)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.casefile.loader import bundled_cases_dir
from conformance.cli import main
from reference_server import create_app, serve_in_thread
from tests.helpers.mutants import MinusZeroIsWhole
from tests.helpers.targets import role_urls

SINGLE = bundled_cases_dir() / "single.range.yaml"
SELECTION = ("--cases", str(SINGLE), "--id", "SGL-0[1-4]", "--id", "SGL-18")


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@dataclass(frozen=True)
class Runs:
    good: Path
    broken: Path
    good_url: str
    broken_url: str


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, reference_base_url: str, fixtures_dir: Path
) -> Runs:
    tmp = tmp_path_factory.mktemp("matrix")
    good_url = role_urls(reference_base_url)["main"]
    code, _ = run(good_url, *SELECTION, "--json", str(tmp / "good.json"))
    assert code == 0
    with serve_in_thread(MinusZeroIsWhole(create_app(fixtures_dir))) as base:  # type: ignore[arg-type]
        broken_url = role_urls(base)["main"]
        code, _ = run(broken_url, *SELECTION, "--json", str(tmp / "broken.json"))
    assert code == 1
    return Runs(tmp / "good.json", tmp / "broken.json", good_url, broken_url)


def test_markdown_sets_two_labelled_runs_side_by_side(runs: Runs) -> None:
    code, out = run("matrix", f"reference={runs.good}", f"peer={runs.broken}")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "## range-conformance matrix"
    assert "| group | reference | peer |" in lines
    group = next(line for line in lines if line.startswith("| SGL (5) |"))
    total = next(line for line in lines if line.startswith("| **all** |"))
    assert group == "| SGL (5) | ✅ 5 / 0 / 0 | ❌ 4 / 0 / 1 |"
    assert total == "| **all** | **✅ 5 / 0 / 0** | **❌ 4 / 0 / 1** |"
    assert "| verdict | conformant | NOT conformant |" in lines
    assert "**reference** (profile rfc): none" in lines
    assert "**peer** (profile rfc): 1" in lines
    assert any(line.startswith("- `SGL-18` FAIL: ") for line in lines)


def test_columns_without_labels_are_named_by_target_url(runs: Runs) -> None:
    code, out = run("matrix", str(runs.good), str(runs.broken))
    assert code == 0
    assert runs.good_url in out
    assert runs.broken_url in out


def test_the_same_label_twice_gets_a_suffix(runs: Runs) -> None:
    code, out = run("matrix", f"x={runs.good}", f"x={runs.good}")
    assert code == 0
    assert "| group | x | x (2) |" in out


def test_md_option_writes_the_file_and_prints_nothing(runs: Runs, tmp_path: Path) -> None:
    path = tmp_path / "m.md"
    code, out = run("matrix", f"reference={runs.good}", f"peer={runs.broken}", "--md", str(path))
    assert code == 0
    assert out == ""
    text = path.read_text("utf-8")
    assert "| group | reference | peer |" in text
    assert "SGL-18" in text


def test_html_option_writes_a_self_contained_page(runs: Runs, tmp_path: Path) -> None:
    path = tmp_path / "m.html"
    code, out = run("matrix", f"reference={runs.good}", f"peer={runs.broken}", "--html", str(path))
    assert code == 0
    assert out == ""
    page = path.read_text("utf-8")
    assert page.startswith("<!doctype html>")
    assert page.rstrip().endswith("</html>")
    assert "<title>range-conformance matrix: 2 servers</title>" in page
    assert "<th scope=col>reference</th>" in page
    assert "<th scope=col>peer</th>" in page
    assert 'class="c o-fail"' in page  # the peer's SGL-18
    assert "Content-Security-Policy" in page
    assert "<script src=" not in page
    assert "<link " not in page


def test_md_and_html_together(runs: Runs, tmp_path: Path) -> None:
    code, _ = run(
        "matrix", str(runs.good), "--md", str(tmp_path / "m.md"), "--html", str(tmp_path / "m.html")
    )
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.html", "m.md"]


def test_a_json_file_that_is_not_a_report_exits_2_naming_it(
    runs: Runs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "package.json"
    other.write_text(json.dumps({"name": "left-pad", "version": "1.3.0"}), "utf-8")
    code, out = run("matrix", str(runs.good), f"odd={other}")
    assert code == 2
    assert out == ""
    err = capsys.readouterr().err
    assert f"range-conformance matrix: {other}: not a range-conformance report" in err
    assert "Traceback" not in err


def test_a_report_with_a_bad_record_exits_2_saying_where(
    runs: Runs, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = json.loads(runs.broken.read_text("utf-8"))
    report["results"][1]["outcome"] = "meh"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(report), "utf-8")
    code, _ = run("matrix", str(bad))
    assert code == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "results/1/outcome" in err


@pytest.mark.parametrize(
    ("name", "content"),
    [("broken.json", "{not json"), ("latin1.json", b"\xff\xfe{}"), ("missing.json", None)],
)
def test_unreadable_reports_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | bytes | None
) -> None:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, "utf-8")
    elif isinstance(content, bytes):
        path.write_bytes(content)
    code, _ = run("matrix", str(path))
    assert code == 2
    assert f"{path}: cannot read a JSON report" in capsys.readouterr().err


def test_matrix_without_reports_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        run("matrix")
    assert exited.value.code == 2


def test_a_path_containing_an_equals_sign_is_a_path(runs: Runs, tmp_path: Path) -> None:
    odd = tmp_path / "a=b.json"
    odd.write_bytes(runs.good.read_bytes())
    code, out = run("matrix", str(odd))
    assert code == 0
    assert runs.good_url in out  # named by its target, not labelled "…/a"
