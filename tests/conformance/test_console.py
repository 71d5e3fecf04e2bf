"""What the CLI prints: colour and a rewriting progress line on a terminal only, never colour
with NO_COLOR, no rewriting in CI, plain lines in a pipe; the summary by section."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.casefile.loader import bundled_cases_dir
from conformance.cli import main
from conformance.console import Console, summary_by_section
from tests.helpers.mixed import mixed_argv
from tests.helpers.targets import role_urls

SGR = re.compile(r"\x1b\[[0-9;]*m")  # Select Graphic Rendition: colour and weight


class FakeTTY(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither NO_COLOR nor CI from the machine running the tests (CI sets CI=true)."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("CI", raising=False)


@pytest.fixture
def argv(tmp_path: Path, reference_base_url: str) -> Iterator[list[str]]:
    """Six cases, one per outcome."""
    with mixed_argv(reference_base_url, tmp_path) as command:
        yield command


def run_on(stream: io.StringIO, argv: list[str]) -> str:
    assert main(argv, out=stream) == 1
    return stream.getvalue()


def test_a_terminal_gets_colour_and_a_progress_line(argv: list[str]) -> None:
    out = run_on(FakeTTY(), [*argv, "-v"])
    assert "\x1b[32mPASS \x1b[0m TST-01" in out
    assert "\x1b[31;1mFAIL \x1b[0m TST-04" in out
    assert "\x1b[33mWARN \x1b[0m TST-03" in out
    assert "\x1b[35;1mERROR\x1b[0m TST-06" in out
    assert "\r\x1b[K[" in out  # the progress line, rewritten in place
    progress = re.findall(r"\r\x1b\[K(\[\d+/6\][^\r\n]*)", out)
    assert progress
    assert all(len(line) <= 100 for line in progress)
    assert any(line.startswith("[5/6]") and "TST-06" in line for line in progress)
    assert progress[0].startswith("[0/6]")  # the first case, while the target is learned


def test_no_color_means_no_colour_even_on_a_terminal(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = run_on(FakeTTY(), [*argv, "-v"])
    assert SGR.search(out) is None
    assert "PASS  TST-01" in out
    assert "FAIL  TST-04" in out


def test_no_color_counts_when_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    """no-color.org: present, regardless of its value."""
    monkeypatch.setenv("NO_COLOR", "")
    assert Console(FakeTTY()).colour is False


def test_a_pipe_gets_plain_lines(argv: list[str]) -> None:
    out = run_on(io.StringIO(), [*argv, "--verbose"])
    assert "\x1b" not in out
    assert "\r" not in out
    lines = out.splitlines()
    assert "PASS  TST-01   plain GET passes  [200 whole]" in lines
    assert any(line.startswith("ERROR TST-06   ") for line in lines)


def test_ci_gets_no_progress_rewriting(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    out = run_on(FakeTTY(), argv)
    assert "\r" not in out
    assert "\x1b[K" not in out
    assert "FAIL" in out


def test_ci_and_no_color_on_a_terminal_is_plain_text(
    argv: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    out = run_on(FakeTTY(), argv)
    assert "\x1b" not in out
    assert "\r" not in out


def test_by_default_a_terminal_lists_what_is_not_pass_or_info(argv: list[str]) -> None:
    out = run_on(FakeTTY(), argv)
    assert "TST-01   plain GET passes" not in out
    assert "TST-02   a first range taken as info" not in out
    assert "\x1b[31;1mFAIL \x1b[0m TST-04" in out
    assert "\x1b[2mSKIP \x1b[0m TST-05" in out
    assert "\r\x1b[K[" in out


def test_quiet_on_a_terminal_shows_progress_and_the_verdict_alone(argv: list[str]) -> None:
    out = run_on(FakeTTY(), [*argv, "-q"])
    assert "TST-0" not in out.replace("\r\x1b[K", "\n").split("\n")[-1]
    shown = [segment.split("\r\x1b[K")[-1] for segment in out.split("\n")]  # past progress
    printed = [line for line in shown if line]
    assert len(printed) == 2  # the one fact no summary may hide, and the verdict
    assert printed[0].startswith("http://127.0.0.1:")
    assert " stopped answering during TST-06 " in printed[0]
    assert printed[1].startswith("NOT conformant: ")
    assert "\r\x1b[K[" in out


def test_the_summary_by_section_comes_with_verbose_and_the_verdict_is_the_last_line(
    argv: list[str],
) -> None:
    out = run_on(io.StringIO(), [*argv, "-v"])
    lines = out.splitlines()
    assert re.fullmatch(
        r"NOT conformant: 1 skip · 1 pass · 1 info · 1 warn · 1 fail · 1 error "
        r"in \d+\.\d\d s, \d+\.\d KiB read",
        lines[-1],
    )
    table = [line.split() for line in lines if line.startswith("  §")]
    assert [row[0] for row in table] == ["§14.1", "§14.1.2", "§14.2", "§14.10", "§15.3.1"]
    assert table[2][1:] == ["1", "error", "1", "skip"]
    assert "  §14.1.2 " not in run_on(io.StringIO(), argv)  # not without -v


def test_summary_by_section_names_branches_only_where_there_is_a_choice(
    reference_base_url: str,
) -> None:
    # SGL-12 lists three legal answers (partial, ignored, rejected-416); BAS-01 only one.
    out = io.StringIO()
    cases = bundled_cases_dir()
    code = main(
        [
            role_urls(reference_base_url)["main"],
            "--id",
            "SGL-12",
            "--id",
            "BAS-01",
            "--cases",
            str(cases / "single.range.yaml"),
            "--cases",
            str(cases / "baseline.range.yaml"),
            "-v",
        ],
        out=out,
    )
    assert code == 0
    lines = out.getvalue().splitlines()
    assert "  §14.1.2        1 pass   branches: partial ×1" in lines
    assert "  §15.3.1        1 pass" in lines


def test_summary_by_section_of_nothing_is_empty() -> None:
    assert summary_by_section([]) == []
