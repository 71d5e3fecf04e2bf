"""Install, start, grade and stop each peer; write its normalised JSON reports.

For each peer: install (PeerUnavailable → skipped with the reason), start it on 127.0.0.1 and a
free port with its config, pid and log files in a temp dir, wait until it serves
`/files/r1000.bin`, run `python -m conformance --targets FILE --profile P --json OUT` for each
profile, normalise the reports, and stop it by its PID (the process group it leads: every worker
it forked goes with it). Nothing is left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from conformance.report.json_report import write_json
from reference_server.fixtures import FIXTURE_ROLES, build_fixtures

from .normalise import normalise_report
from .peers import NO_RANGES, Peer, PeerUnavailable, command, install, label, versions

PROFILES = ("rfc", "strict", "media")
# Fixed and world-readable: Apache, nginx and lighttpd drop to www-data, which cannot enter
# /root; and Werkzeug's ETag hashes the file's path, so the path must not vary between runs.
FIXTURES = Path(os.environ.get("RANGE_CONFORMANCE_SCORECARD_FIXTURES")
                or "/tmp/range-conformance-scorecard/fixtures")  # fmt: skip
START_TIMEOUT = 40.0
GRADE_TIMEOUT = 900.0  # seconds for one profile's run of the suite


@dataclass
class Outcome:
    peer: Peer
    label: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    skipped: str | None = None
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)  # profile → normalised
    no_ranges: bool = False
    seconds: float = 0.0
    # role → why it was left out: the suite refused the URL the peer gives for it (say, no
    # answer to a GET of the 5 GB file), so the peer is graded without it (its cases skip).
    dropped: dict[str, str] = field(default_factory=dict)

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(role for role in self.peer.roles if role not in self.dropped)


def fixtures() -> Path:
    """Build the fixtures and make them reachable by every user (the servers' own included).

    Each folder from FIXTURES up gains o+rx where it lacks it, stopping at the first that already
    has it (and never touching /); no permission bit is removed.
    """
    build_fixtures(FIXTURES)
    for path in (FIXTURES, *FIXTURES.parents):
        mode = path.stat().st_mode
        if mode & 0o005 == 0o005 or path == path.parent:  # never chmod /
            break
        path.chmod(stat.S_IMODE(mode) | 0o005)
    for child in FIXTURES.iterdir():
        child.chmod(0o644)
    return FIXTURES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = " | ".join(log.read_text(errors="replace").strip().splitlines()[-4:])
            raise PeerUnavailable(f"exited {proc.returncode} on start: {tail or 'no output'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
                answer.read()
                return
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise PeerUnavailable(f"not serving {url} after {START_TIMEOUT:.0f} s ({last})")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group the peer leads, then SIGKILL what is left."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers that outlived their master
    if proc.poll() is None:
        proc.wait(timeout=10)


# Roles whose octets are exactly a fixture file: the suite compares against the local copy
# (a server that ignores Range could not supply the windows of the 5 GB file otherwise).
ORACLE_ROLES = ("main", "r10000", "one", "empty", "text", "large")


def targets_file(
    peer: Peer, port: int, tmp: Path, root: Path, roles: tuple[str, ...] | None = None
) -> Path:
    """The targets file for the peer's roles (`roles`: a subset of them, by default all)."""
    roles = peer.roles if roles is None else roles
    base = f"http://127.0.0.1:{port}"
    data = {
        "url": base + FIXTURE_ROLES["main"],
        "resources": {role: base + FIXTURE_ROLES[role] for role in roles if role != "main"},
        "oracle_files": {
            role: str(root / FIXTURE_ROLES[role].rsplit("/", 1)[1])
            for role in ORACLE_ROLES
            if role in roles
        },
    }
    path = tmp / "targets.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def grade(targets: Path, profile: str, out: Path) -> dict[str, Any]:
    """One profile's run of the suite against a peer's targets file: its raw JSON report."""
    arguments = ["--targets", str(targets), "--profile", profile]
    return run_harness(arguments, out, f"range-conformance --profile {profile}")


def run_harness(
    arguments: list[str],
    out: Path,
    what: str,
    timeout: float = GRADE_TIMEOUT,
    unavailable: type[Exception] = PeerUnavailable,
) -> dict[str, Any]:
    """`python -m conformance ARGUMENTS --json OUT -q` in a process of its own: the JSON report
    it wrote, or `unavailable` saying (as `what`) why there is none."""
    cmd = [sys.executable, "-m", "conformance", *arguments, "--json", str(out), "-q"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise unavailable(f"{what} took longer than {timeout:.0f} s") from exc
    if done.returncode not in (0, 1) or not out.is_file():
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-4:])
        raise unavailable(f"range-conformance exited {done.returncode}: {tail}")
    try:
        report: dict[str, Any] = json.loads(out.read_text("utf-8"))
    except ValueError as exc:  # json.JSONDecodeError, UnicodeDecodeError
        raise unavailable(f"{what} wrote unreadable JSON to {out.name}: {exc}") from exc
    return report


# The suite's preflight refusing the URL given for a role other than main (see
# conformance.engine.preflight.role_problem): `--resource ROLE=URL: what is wrong. No case was run.`
REFUSED_ROLE_RE = re.compile(r"--resource (\w+)=(\S+?):? (.*?)\.?(?: No case was run\.)?$")


def refused_role(message: str, roles: tuple[str, ...]) -> tuple[str, str] | None:
    """(role, why) when a grading run stopped because the URL of one of `roles` (not main) is
    unfit for it; None for any other failure."""
    match = REFUSED_ROLE_RE.search(message)
    if match is None or match.group(1) == "main" or match.group(1) not in roles:
        return None
    role, url, why = match.groups()
    path = "/" + url.split("://", 1)[-1].split("/", 1)[-1]
    why = why.replace(url, path)
    return role, why if why.startswith(path) else f"{path} {why}"


def ignores_ranges(report: dict[str, Any]) -> bool:
    """No 206 and no 416 anywhere: the server never acted on a Range header."""
    statuses = [
        (r.get("response") or {}).get("status")
        for r in report["results"]
        if r.get("response") is not None
    ]
    return bool(statuses) and not any(s in (206, 416) for s in statuses)


def run_peer(peer: Peer, root: Path, profiles: tuple[str, ...], log: Any) -> Outcome:
    outcome = Outcome(peer)
    started = time.monotonic()
    try:
        install(peer)
        outcome.versions = versions(peer)
        outcome.label = label(peer, outcome.versions)
    except PeerUnavailable as exc:
        outcome.skipped = f"cannot be installed: {exc}"
        return outcome
    tmp = Path(tempfile.mkdtemp(prefix=f"scorecard-{peer.name}-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        argv, env = command(peer, port, root, tmp)
        server_log = tmp / "server.log"
        with server_log.open("wb") as sink:
            proc = subprocess.Popen(  # noqa: S603
                argv, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=tmp, start_new_session=True,
            )  # fmt: skip
        _wait_ready(proc, f"http://127.0.0.1:{port}{FIXTURE_ROLES['main']}", server_log)
        while True:  # again without a role the suite refused, until every profile is graded
            targets = targets_file(peer, port, tmp, root, outcome.roles)
            try:
                for profile in profiles:
                    log(f"  {peer.name}: grading, profile {profile}")
                    raw = grade(targets, profile, tmp / f"{profile}.json")
                    outcome.reports[profile] = normalise_report(raw)
                break
            except PeerUnavailable as exc:
                refused = refused_role(str(exc), outcome.roles)
                if refused is None:
                    raise
                outcome.dropped[refused[0]] = refused[1]
                outcome.reports.clear()
                log(f"  {peer.name}: graded without role {refused[0]} ({refused[1]})")
        first = next(iter(outcome.reports.values()))
        outcome.no_ranges = ignores_ranges(first)
    except PeerUnavailable as exc:
        outcome.skipped = f"cannot be started or graded: {exc}"
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
        outcome.seconds = time.monotonic() - started
    return outcome


# Left out (null) of the published reports: renderings of each record's own fields, the
# terminal's failure text and the curl command, both made from `request`, `response` and
# `findings` (a fifth of the compressed size, no information of their own).
RENDERED = ("details", "curl")


def published(report: dict[str, Any]) -> dict[str, Any]:
    """The report as published: `RENDERED` fields set to null (the schema allows it)."""
    out = dict(report)
    out["results"] = [{**record, **dict.fromkeys(RENDERED)} for record in report["results"]]
    return out


def report_path(folder: Path, profile: str) -> Path:
    """Where a peer's report for `profile` is published: PROFILE.json.gz (deterministic gzip,
    `zcat rfc.json.gz | jq`)."""
    return folder / f"{profile}.json.gz"


def write_outcome(outcome: Outcome, out_dir: Path) -> None:
    """reports/servers/NAME/{PROFILE.json.gz, peer.json}; a skipped peer keeps its old reports.

    Skipped means nothing is written, not even the profiles graded before the failure: a folder
    holds one run's reports or stays as it was. A plain PROFILE.json left by an older version
    is removed when its profile is written.
    """
    if outcome.skipped is not None:
        return
    folder = out_dir / outcome.peer.name
    folder.mkdir(parents=True, exist_ok=True)
    for profile, report in outcome.reports.items():
        write_json(published(report), report_path(folder, profile))
        (folder / f"{profile}.json").unlink(missing_ok=True)
    meta = {
        "name": outcome.peer.name,
        "label": outcome.label,
        "what": outcome.peer.title,
        "versions": outcome.versions,
        "roles": list(outcome.roles),
        "note": NO_RANGES if outcome.no_ranges else "",
    }
    if outcome.dropped:
        meta["not_graded"] = dict(outcome.dropped)
    (folder / "peer.json").write_text(json.dumps(meta, indent=1) + "\n", "utf-8")
