"""The scorecard of real servers: the committed verdicts still hold, and the published files are
what the committed reports produce.

test_verdicts_match_committed runs `python -m scorecard` for the quick PyPI peers (each installs
into its own virtualenv under ~/.cache/range-conformance/peers/, cached after the first run) and
compares the outcome of every case, per profile, with reports/servers/NAME/PROFILE.json. It is
skipped, with the reason, when a peer cannot be installed (offline, PyPI unreachable).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scorecard.normalise import normalise_record, normalise_report
from scorecard.publish import publish
from scorecard.run import PROFILES

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "reports" / "servers"
QUICK_PEERS = ("werkzeug", "aiohttp", "starlette", "tornado")


def outcomes(report: dict) -> dict[str, tuple[str, str | None]]:
    return {r["id"]: (r["outcome"], r.get("branch")) for r in report["results"]}


def verdict_diff(name: str, profile: str, committed: dict, fresh: dict) -> list[str]:
    old, new = outcomes(committed), outcomes(fresh)
    summaries = {r["id"]: r["summary"] for r in fresh["results"]}
    lines = []
    for case_id in sorted(old.keys() | new.keys()):
        if old.get(case_id) != new.get(case_id):
            was = "/".join(map(str, old[case_id])) if case_id in old else "(absent)"
            now = "/".join(map(str, new[case_id])) if case_id in new else "(absent)"
            lines.append(f"  {name} [{profile}] {case_id}: committed {was} → now {now}"
                         f"  ({summaries.get(case_id, '')})")  # fmt: skip
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("name", QUICK_PEERS)
def test_verdicts_match_committed(name: str, tmp_path: Path) -> None:
    env = {**os.environ, "PIP_RETRIES": "1", "PIP_TIMEOUT": "15"}
    done = subprocess.run(
        [sys.executable, "-m", "scorecard", "--only", name, "--out", str(tmp_path), "--no-matrix"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env, check=False,
    )  # fmt: skip
    skipped = [line for line in done.stdout.splitlines() if "SKIPPED" in line]
    if skipped and "cannot be installed" in skipped[0]:
        pytest.skip(f"{name} could not be installed (offline?): {skipped[0]}")
    assert done.returncode == 0, f"scorecard failed for {name}:\n{done.stdout}\n{done.stderr}"
    diffs = []
    for profile in PROFILES:
        committed = json.loads((PUBLISHED / name / f"{profile}.json").read_text("utf-8"))
        fresh = json.loads((tmp_path / name / f"{profile}.json").read_text("utf-8"))
        diffs += verdict_diff(name, profile, committed, fresh)
    assert not diffs, (
        f"{name}: verdicts differ from reports/servers/{name}/ (regenerate with "
        f"`python -m scorecard --only {name}` if the change is intended):\n" + "\n".join(diffs)
    )


def test_published_matrix_is_what_the_reports_give(tmp_path: Path) -> None:
    copy = tmp_path / "servers"
    shutil.copytree(PUBLISHED, copy)
    publish(copy)
    for name in ("MATRIX.md", "MATRIX.html"):
        assert (copy / name).read_text("utf-8") == (PUBLISHED / name).read_text("utf-8"), (
            f"reports/servers/{name} is stale: run `python -m scorecard.publish`"
        )


def test_published_reports_are_normalised() -> None:
    for path in sorted(PUBLISHED.glob("*/*.json")):
        if path.name == "peer.json":
            continue
        report = json.loads(path.read_text("utf-8"))
        assert normalise_report(report) == report, f"{path} is not normalised"


def test_normaliser_blanks_what_varies() -> None:
    record = {
        "id": "MUL-01",
        "file": "/some/clone/cases/multipart.range.yaml",
        "measures": {"seconds": 0.123, "octets": 20.0},
        "request": {"url": "http://127.0.0.1:41234/files/r1000.bin", "headers": []},
        "response": {
            "status": 206,
            "elapsed_seconds": 0.5,
            "headers": [["Date", "Wed, 25 Nov 2026 19:01:47 GMT"],
                        ["Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"],
                        ["Content-Type", 'multipart/byteranges; boundary="a1b2c3"']],
        },
        "findings": [{"message": "part 2 after --a1b2c3 at http://127.0.0.1:41234/x"}],
        "curl": "curl http://127.0.0.1:41234/files/r1000.bin",
    }  # fmt: skip
    out = normalise_record(record)
    assert out["file"] == "cases/multipart.range.yaml"
    assert out["measures"] == {"seconds": 0, "octets": 20.0}
    assert out["response"]["elapsed_seconds"] == 0
    assert out["response"]["headers"] == [
        ["Date", "<date>"],
        ["Last-Modified", "Wed, 01 Jan 2020 00:00:00 GMT"],
        ["Content-Type", 'multipart/byteranges; boundary="BOUNDARY"'],
    ]
    assert out["findings"][0]["message"] == "part 2 after --BOUNDARY at http://127.0.0.1:PORT/x"
    assert out["curl"] == "curl http://127.0.0.1:PORT/files/r1000.bin"
    assert normalise_record(out) == out
