"""The GitHub Action's own shell steps, run here with bash (the parts GitHub does not provide
are stood in for: GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are files)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STEPS = {step.get("name"): step for step in yaml.safe_load((ROOT / "action.yml").read_text())
         ["runs"]["steps"]}  # fmt: skip


def run_step(name: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("range-conformance") is None:
        pytest.skip("range-conformance is not installed on PATH")
    step_env = {
        **os.environ,
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        **env,
    }
    return subprocess.run(
        ["bash", "-e", "-c", STEPS[name]["run"]],
        env=step_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )


def base_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = {
        "RC_URL": "",
        "RC_APP": "",
        "RC_PROFILE": "rfc",
        "RC_FAIL_ON": "fail",
        "RC_ARGS": "",
        "RC_REPORTS": str(tmp_path / "reports"),
    }
    env.update(changes)
    return env


def test_check_step_runs_the_bundled_server_and_records_the_exit_code(tmp_path: Path) -> None:
    env = base_env(tmp_path, RC_ARGS="--id 'SGL-0*' -q")
    done = run_step("Check range requests", env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "output").read_text().strip() == "exit-code=0"
    assert "9 pass" in done.stdout
    for name in ("json", "junit.xml", "md", "html"):
        assert (tmp_path / "reports" / f"range-conformance.{name}").is_file()
    summary = run_step("Job summary", env, tmp_path)
    assert summary.returncode == 0
    assert "range-conformance" in (tmp_path / "summary.md").read_text()


def test_check_step_reports_a_failing_exit_code_without_stopping(tmp_path: Path) -> None:
    env = base_env(tmp_path, RC_URL="http://127.0.0.1:9/unreachable", RC_ARGS="--id BAS-01")
    done = run_step("Check range requests", env, tmp_path)
    assert done.returncode == 0  # the verdict step fails the job, after the reports are kept
    assert (tmp_path / "output").read_text().strip() == "exit-code=2"  # nothing to check there
    assert "connection refused. Is the server running? No case was run." in done.stderr
    for code in ("1", "2"):
        verdict = run_step("Verdict", {"RC_EXIT": code}, tmp_path)
        assert verdict.returncode == int(code)
