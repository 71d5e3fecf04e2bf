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

import scorecard.__main__ as cli
from scorecard import peers, run
from scorecard.audit import render
from scorecard.normalise import normalise_record, normalise_report
from scorecard.peers import BY_NAME, PeerUnavailable
from scorecard.publish import publish
from scorecard.run import PROFILES, Outcome, grade, write_outcome

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


def test_published_audit_is_what_the_reports_give() -> None:
    rendered = render(PUBLISHED)
    assert rendered == (PUBLISHED / "AUDIT.md").read_text("utf-8"), (
        "reports/servers/AUDIT.md is stale: run `python -m scorecard.audit`"
    )
    assert "NOT AUDITED" not in rendered


def test_a_skipped_peer_keeps_its_published_reports(tmp_path: Path) -> None:
    folder = tmp_path / "werkzeug"
    folder.mkdir()
    before = {
        "rfc.json": '{"old": "rfc"}\n',
        "strict.json": '{"old": "strict"}\n',
        "media.json": '{"old": "media"}\n',
        "peer.json": '{"name": "werkzeug", "label": "Werkzeug 0.0"}\n',
    }
    for name, text in before.items():
        (folder / name).write_text(text, "utf-8")
    partial = json.loads((PUBLISHED / "werkzeug" / "rfc.json").read_text("utf-8"))
    outcome = Outcome(
        BY_NAME["werkzeug"],
        label="Werkzeug 9.9",
        skipped="cannot be started or graded: range-conformance exited 2: boom",
        reports={"rfc": partial},  # rfc graded, then strict failed
    )
    write_outcome(outcome, tmp_path)
    after = {path.name: path.read_text("utf-8") for path in folder.iterdir()}
    assert after == before
    write_outcome(Outcome(BY_NAME["aiohttp"], skipped="cannot be installed: offline"), tmp_path)
    assert not (tmp_path / "aiohttp").exists()


def test_a_graded_peer_writes_its_reports_and_meta(tmp_path: Path) -> None:
    report = json.loads((PUBLISHED / "werkzeug" / "rfc.json").read_text("utf-8"))
    outcome = Outcome(BY_NAME["werkzeug"], label="Werkzeug 9.9", reports={"rfc": report})
    write_outcome(outcome, tmp_path)
    assert sorted(p.name for p in (tmp_path / "werkzeug").iterdir()) == ["peer.json", "rfc.json"]
    meta = json.loads((tmp_path / "werkzeug" / "peer.json").read_text("utf-8"))
    assert meta["name"] == "werkzeug"
    assert meta["label"] == "Werkzeug 9.9"


def test_a_grading_run_that_times_out_makes_the_peer_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def too_slow(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        raise subprocess.TimeoutExpired(cmd, run.GRADE_TIMEOUT)

    monkeypatch.setattr(run.subprocess, "run", too_slow)
    with pytest.raises(PeerUnavailable, match=r"--profile strict took longer than 900 s"):
        grade(tmp_path / "targets.yaml", "strict", tmp_path / "strict.json")


def test_an_unreadable_report_makes_the_peer_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "rfc.json"

    def truncated(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        out.write_text('{"results": [', "utf-8")
        return subprocess.CompletedProcess(cmd, 1, "", "")

    monkeypatch.setattr(run.subprocess, "run", truncated)
    with pytest.raises(PeerUnavailable, match=r"--profile rfc wrote unreadable JSON to rfc.json"):
        grade(tmp_path / "targets.yaml", "rfc", out)


@pytest.mark.parametrize("value", ["", " , ,"])
def test_an_empty_profile_list_is_a_usage_error(
    value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_fixtures() -> Path:
        raise AssertionError("fixtures built before the arguments were checked")

    monkeypatch.setattr(cli, "fixtures", no_fixtures)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--only", "werkzeug", "--profiles", value, "--no-matrix"])
    assert exit_info.value.code == 2
    assert "--profiles: choose from rfc, strict, media" in capsys.readouterr().err


def test_the_fixtures_are_built_once_for_every_peer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Path] = []
    served: list[tuple[str, Path]] = []
    root = tmp_path / "fixtures"

    def fake_fixtures() -> Path:
        built.append(root)
        return root

    def fake_run_peer(peer: peers.Peer, where: Path, profiles: tuple[str, ...], log: object):
        served.append((peer.name, where))
        return Outcome(peer, skipped="cannot be installed: not in this test")

    monkeypatch.setattr(cli, "fixtures", fake_fixtures)
    monkeypatch.setattr(cli, "run_peer", fake_run_peer)
    code = cli.main(["--only", "werkzeug,aiohttp", "--out", str(tmp_path / "out"), "--no-matrix"])
    assert code == 3
    assert built == [root]
    assert served == [("werkzeug", root), ("aiohttp", root)]


def test_fixtures_only_add_o_rx_up_to_the_first_open_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_ = tmp_path / "open"
    mid = open_ / "mid"
    target = mid / "fixtures"
    target.mkdir(parents=True)
    open_.chmod(0o755)  # already o+rx: the walk stops here
    mid.chmod(0o771)  # o+x alone is not enough: gains o+r, keeps g+w
    target.chmod(0o700)
    outer_mode = tmp_path.stat().st_mode & 0o7777

    def build(directory: Path) -> Path:
        (directory / "r1000.bin").write_bytes(b"x")
        (directory / "r1000.bin").chmod(0o600)
        return directory

    monkeypatch.setattr(run, "FIXTURES", target)
    monkeypatch.setattr(run, "build_fixtures", build)
    assert run.fixtures() == target
    assert target.stat().st_mode & 0o7777 == 0o705
    assert mid.stat().st_mode & 0o7777 == 0o775
    assert open_.stat().st_mode & 0o7777 == 0o755
    assert tmp_path.stat().st_mode & 0o7777 == outer_mode  # above the open folder: untouched
    assert (target / "r1000.bin").stat().st_mode & 0o7777 == 0o644


def test_fixtures_never_remove_a_permission_bit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = tmp_path / "closed"
    sticky = closed / "sticky"
    target = sticky / "fixtures"
    target.mkdir(parents=True)
    closed.chmod(0o700)  # above an open folder: not the scorecard's to change
    sticky.chmod(0o1777)  # the old code set 0755 here, dropping the sticky bit and g+w/o+w
    target.chmod(0o770)
    monkeypatch.setattr(run, "FIXTURES", target)
    monkeypatch.setattr(run, "build_fixtures", lambda directory: directory)
    try:
        run.fixtures()
        assert target.stat().st_mode & 0o7777 == 0o775
        assert sticky.stat().st_mode & 0o7777 == 0o1777
        assert closed.stat().st_mode & 0o7777 == 0o700
    finally:
        closed.chmod(0o755)  # let pytest clean it up


@pytest.mark.parametrize(
    ("name", "argv"),
    [
        ("nginx", ["nginx", "-v"]),
        ("apache", ["apache2", "-v"]),
        ("lighttpd", ["lighttpd", "-v"]),
        ("caddy", ["caddy", "version"]),
        ("go", ["go", "version"]),
    ],
)
@pytest.mark.parametrize("found", [False, True])
def test_versions_of_debian_peers_ask_their_program(
    name: str, argv: list[str], found: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ran: list[list[str]] = []

    def fake_run(cmd: list[str], **kwargs: object) -> str:
        ran.append(cmd)
        return f"{cmd[0]} version: something/1.22.1 (built 2024)\n"

    monkeypatch.setattr(peers, "_run", fake_run)
    monkeypatch.setattr(
        peers.shutil, "which", lambda n, path=None: f"/usr/sbin/{n}" if found else None
    )
    peer = BY_NAME[name]
    expected = [f"/usr/sbin/{argv[0]}" if found else argv[0], argv[1]]
    assert peers.versions(peer) == {peer.label_packages[0][0]: "1.22.1"}
    assert ran == [expected]
