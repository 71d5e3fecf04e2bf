"""The scorecard of real servers: the committed verdicts still hold, and the published files are
what the committed reports produce.

test_verdicts_match_committed runs `python -m scorecard` for the quick PyPI peers (each installs
into its own virtualenv under ~/.cache/range-conformance/peers/, cached after the first run) and
compares the outcome of every case, per profile, with reports/servers/NAME/PROFILE.json.gz. It is
skipped, with the reason, when a peer cannot be installed (offline, PyPI unreachable).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

import scorecard.__main__ as cli
from conformance.report.json_report import read_json, write_json
from conformance.report.matrix import SCHEMA_PATH
from scorecard import peers, run
from scorecard.audit import render
from scorecard.normalise import normalise_file, normalise_record, normalise_report
from scorecard.peers import BY_NAME, PeerUnavailable
from scorecard.publish import publish
from scorecard.run import PROFILES, Outcome, grade, report_path, write_outcome

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
        committed = read_json(report_path(PUBLISHED / name, profile))
        fresh = read_json(report_path(tmp_path / name, profile))
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


def test_every_peer_is_published_in_every_profile_as_gzip() -> None:
    for peer in peers.PEERS:
        folder = PUBLISHED / peer.name
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["peer.json", *(report_path(folder, profile).name for profile in PROFILES)]
        ), f"{folder}: one peer.json and {', '.join(PROFILES)} as .json.gz"


def test_published_reports_are_normalised_valid_and_written_as_write_json_would() -> None:
    schema = json.loads(SCHEMA_PATH.read_text("utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    for path in sorted(PUBLISHED.glob("*/*.json.gz")):
        report = read_json(path)
        assert normalise_report(report) == report, f"{path} is not normalised"
        errors = [e.message for e in validator.iter_errors(report)]
        assert not errors, f"{path} does not follow the report schema: {errors[:3]}"
        local = [p for p in ("/root/", "/tmp/", "/home/", str(ROOT)) if p in json.dumps(report)]
        assert not local, f"{path} names local paths {local}"
        copy = Path(str(path) + ".again.gz")
        try:
            write_json(report, copy)
            assert copy.read_bytes() == path.read_bytes(), f"{path}: not deterministic gzip"
        finally:
            copy.unlink(missing_ok=True)


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
                        ["Content-Type", 'multipart/byteranges; boundary="a1b2c3"'],
                        ["Connection", "close"]],
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


def test_normaliser_keeps_no_local_path_no_traffic_and_a_stable_oracle_order(
    tmp_path: Path,
) -> None:
    report = {
        "target": {"main": "http://127.0.0.1:41234/files/r1000.bin"},
        "duration_seconds": 1.5,
        "traffic": {"requests": 512, "octets_read": 99},
        "oracles": {
            "one": "local file /root/.cache/range-conformance/fixtures/one.bin",
            "main": "local file /tmp/range-conformance-scorecard/fixtures/r1000.bin",
            "gzip": "full body in memory",
        },
        "results": [],
    }
    out = normalise_report(report)
    assert "traffic" not in out
    assert out["duration_seconds"] == 0
    assert out["target"] == {"main": "http://127.0.0.1:PORT/files/r1000.bin"}
    assert list(out["oracles"].items()) == [
        ("gzip", "full body in memory"),
        ("main", "local file <fixtures>/r1000.bin"),
        ("one", "local file <fixtures>/one.bin"),
    ]
    assert normalise_report(out) == out
    path = tmp_path / "rfc.json.gz"
    write_json(report, path)
    normalise_file(path)
    assert read_json(path) == out
    first = path.read_bytes()
    normalise_file(path)
    assert path.read_bytes() == first


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
        "rfc.json.gz": b"old rfc",
        "strict.json.gz": b"old strict",
        "media.json.gz": b"old media",
        "peer.json": b'{"name": "werkzeug", "label": "Werkzeug 0.0"}\n',
    }
    for name, data in before.items():
        (folder / name).write_bytes(data)
    partial = read_json(report_path(PUBLISHED / "werkzeug", "rfc"))
    outcome = Outcome(
        BY_NAME["werkzeug"],
        label="Werkzeug 9.9",
        skipped="cannot be started or graded: range-conformance exited 2: boom",
        reports={"rfc": partial},  # rfc graded, then strict failed
    )
    write_outcome(outcome, tmp_path)
    after = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert after == before
    write_outcome(Outcome(BY_NAME["aiohttp"], skipped="cannot be installed: offline"), tmp_path)
    assert not (tmp_path / "aiohttp").exists()


def test_a_graded_peer_writes_its_reports_and_meta(tmp_path: Path) -> None:
    report = read_json(report_path(PUBLISHED / "werkzeug", "rfc"))
    outcome = Outcome(BY_NAME["werkzeug"], label="Werkzeug 9.9", reports={"rfc": report})
    (tmp_path / "werkzeug").mkdir()
    (tmp_path / "werkzeug" / "rfc.json").write_text("{}", "utf-8")  # an older plain report
    write_outcome(outcome, tmp_path)
    assert sorted(p.name for p in (tmp_path / "werkzeug").iterdir()) == [
        "peer.json",
        "rfc.json.gz",
    ]
    assert read_json(tmp_path / "werkzeug" / "rfc.json.gz") == report
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


def test_a_role_the_suite_refuses_is_dropped_and_the_peer_graded_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graded_with: list[tuple[str, list[str]]] = []
    report = read_json(report_path(PUBLISHED / "werkzeug", "rfc"))

    def fake_grade(targets: Path, profile: str, out: Path) -> dict:
        roles = list(yaml.safe_load(targets.read_text())["resources"])
        graded_with.append((profile, roles))
        if "large" in roles and profile == "strict":  # refused in the second profile
            url = "http://127.0.0.1:5/files/large.bin"
            raise PeerUnavailable(
                f"range-conformance exited 2: range-conformance: --resource large={url}: {url} "
                "accepted the request but sent no answer within 10 s. No case was run."
            )
        return report

    monkeypatch.setattr(run, "install", lambda peer: None)
    monkeypatch.setattr(run, "versions", lambda peer: {"Werkzeug": "9.9"})
    monkeypatch.setattr(run, "command", lambda peer, port, root, tmp: (
        [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ)))  # fmt: skip
    monkeypatch.setattr(run, "_wait_ready", lambda proc, url, log: None)
    monkeypatch.setattr(run, "grade", fake_grade)
    outcome = run.run_peer(BY_NAME["werkzeug"], tmp_path, PROFILES, lambda text: None)
    assert outcome.skipped is None
    assert outcome.dropped == {
        "large": "/files/large.bin accepted the request but sent no answer within 10 s"
    }
    assert "large" not in outcome.roles
    # every profile graded again without the role, so all three rest on the same targets
    assert [p for p, roles in graded_with if "large" not in roles] == list(PROFILES)
    assert sorted(outcome.reports) == sorted(PROFILES)
    write_outcome(outcome, tmp_path)
    meta = json.loads((tmp_path / "werkzeug" / "peer.json").read_text("utf-8"))
    assert "large" not in meta["roles"]
    assert meta["not_graded"] == outcome.dropped


@pytest.mark.parametrize(
    "message",
    [
        "range-conformance exited 2: boom",
        "range-conformance exited 2: range-conformance: http://127.0.0.1:5/files/r1000.bin "
        "answers 404 Not Found to a plain GET. No case was run.",
        "range-conformance exited 2: range-conformance: --resource main=http://x/y: down.",
    ],
)
def test_only_a_refused_optional_role_is_dropped(message: str) -> None:
    assert run.refused_role(message, BY_NAME["werkzeug"].roles) is None


def test_published_reports_leave_out_the_renderings_only() -> None:
    report = read_json(report_path(PUBLISHED / "werkzeug", "rfc"))
    record = {**report["results"][0], "details": "text", "curl": "curl …"}
    out = run.published({**report, "results": [record]})
    assert out["results"][0]["details"] is None
    assert out["results"][0]["curl"] is None
    assert {k: v for k, v in out["results"][0].items() if k not in run.RENDERED} == {
        k: v for k, v in record.items() if k not in run.RENDERED
    }
    for path in sorted(PUBLISHED.glob("*/*.json.gz")):
        records = read_json(path)["results"]
        assert all(r["details"] is None and r["curl"] is None for r in records), path


def test_the_matrix_page_keeps_tooltips_only_where_something_is_wrong() -> None:
    page = (PUBLISHED / "MATRIX.html").read_text("utf-8")
    assert not re.search(r'<td class="c o-(?:pass|info|skip)" title=', page)
    assert re.search(r'<td class="c o-fail" title="[^"]+"', page)
