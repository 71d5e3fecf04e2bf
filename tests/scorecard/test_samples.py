"""The sample reports under reports/ are reproducible: `bash reports/regenerate.sh` run twice
writes the same octets, and no report names a local path.

Each regeneration runs in its own processes (as the script does), so anything that varies with
the process (ports, the clock, boundaries, set order, connection reuse) shows up as a diff.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conformance.report.matrix import load_report
from scorecard.samples import KINDS, SAMPLES, STEM

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "reports" / "regenerate.sh"


def regenerate(out: Path) -> dict[str, bytes]:
    done = subprocess.run(["bash", str(SCRIPT), str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, f"regenerate.sh failed:\n{done.stdout}\n{done.stderr}"
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in sorted(out.rglob("*"))
        if path.is_file()
    }


@pytest.mark.slow
def test_two_regenerations_are_identical_and_name_no_local_path(tmp_path: Path) -> None:
    first = regenerate(tmp_path / "one")
    second = regenerate(tmp_path / "two")
    expected = sorted(
        [f"{folder}/{STEM}{suffix}" for _, folder, _ in SAMPLES for suffix in KINDS.values()]
        + ["matrix.html", "matrix.md"]
    )
    assert sorted(first) == expected
    assert sorted(second) == expected
    differ = [name for name in expected if first[name] != second[name]]
    assert not differ, f"a second regeneration changed {differ}"
    stale = [name for name in expected if (ROOT / "reports" / name).read_bytes() != first[name]]
    assert not stale, (
        f"the committed {stale} are not what the code writes: bash reports/regenerate.sh"
    )
    local = ("/root/", "/tmp/", "/home/", str(ROOT), str(tmp_path), str(Path.home()))
    for name, data in first.items():
        text = data.decode("utf-8")
        found = [path for path in local if path in text]
        assert not found, f"{name} names local paths {found}"
        assert not re.search(r"127\.0\.0\.1:\d", text), f"{name} names a port"
    for _, folder, _ in SAMPLES:
        report = load_report(tmp_path / "one" / folder / f"{STEM}.json")  # the schema holds
        assert "traffic" not in report
        assert report["duration_seconds"] == 0


def test_the_published_reports_stay_light() -> None:
    """Every server and profile, the samples in every format, and every cache, in under 3.2 MB
    (the caches' six reports and their audit add about 0.17 MB)."""
    reports = Path(__file__).resolve().parents[2] / "reports"
    octets = sum(path.stat().st_size for path in reports.rglob("*") if path.is_file())
    assert octets < 3_200_000, f"reports/ holds {octets} octets"
    assert len(list(reports.glob("servers/*/*.json.gz"))) == 16 * 3
    assert len(list(reports.glob("caches/*/report.json.gz"))) == 6
