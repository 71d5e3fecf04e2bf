"""Every CLI option against a server started here: 127.0.0.1 only, ports chosen by the OS,
every server stopped by the test that started it.

Runs name a case file of the bundled set (`--cases`) where they can: loading all of them takes
a while, and the option under test does not depend on which cases are loaded.
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from conformance.casefile.loader import bundled_cases_dir
from conformance.cli import main
from conformance.model import Case
from reference_server import create_app, serve_in_thread
from tests.helpers.mixed import mixed_argv, write_mixed_cases
from tests.helpers.mutants import MinusZeroIsWhole, SliceFromFirstPlusOne
from tests.helpers.rawserver import Connection, RawServer, closed_port
from tests.helpers.targets import role_urls

CASES = bundled_cases_dir()
BASELINE = CASES / "baseline.range.yaml"
SINGLE = CASES / "single.range.yaml"
MEDIA = CASES / "media.range.yaml"
BODY = bytes(range(256)) * 3 + bytes(range(232))  # 1000 octets
assert len(BODY) == 1000


def run(*argv: str) -> tuple[int, str]:
    """Exit code and output; verbose (every case's line, for `outcomes`) unless asked for -q."""
    out = io.StringIO()
    loud = [] if {"-q", "--quiet", "-v", "--verbose"} & set(argv) else ["-v"]
    return main([*argv, *loud], out=out), out.getvalue()


def outcomes(out: str) -> dict[str, str]:
    """`PASS  SGL-04   title  [...]` lines → {case id: outcome}."""
    found = re.findall(r"^(PASS|INFO|WARN|FAIL|ERROR|SKIP)\s+([A-Z]{2,4}-\d+)\s", out, re.M)
    return {case_id: grade.lower() for grade, case_id in found}


def listed(out: str) -> list[str]:
    return [line.split()[0] for line in out.splitlines() if line.strip()]


class Recorder:
    """WSGI middleware that records each request's method and headers."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requests: list[tuple[str, dict[str, str]]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        self.requests.append((environ["REQUEST_METHOD"], headers))
        return self.app(environ, start_response)


@pytest.fixture
def recorded(fixtures_dir: Path) -> Iterator[tuple[str, Recorder]]:
    """A reference server that records what reaches it: (main URL, recorder)."""
    recorder = Recorder(create_app(fixtures_dir))
    with serve_in_thread(recorder) as base:  # type: ignore[arg-type]
        yield role_urls(base)["main"], recorder


@contextmanager
def canned(answer: Callable[[bytes], bytes | None]) -> Iterator[tuple[int, list[bytes]]]:
    """A RawServer that records each request head and sends `answer(head)` then closes, or holds
    the connection open without a word (until it stops) when that is None: (port, heads)."""

    def handler(conn: Connection, head: bytes) -> bool:
        reply = answer(head)
        if reply is None:
            conn.wait(10)
        else:
            conn.send(reply)
        return False

    with RawServer(handler) as server:
        yield server.port, server.requests


def plain_200(head: bytes) -> bytes:
    """A server (or proxy) that ignores Range: the same 1000 octets for every request."""
    status = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
    return status if head.startswith(b"HEAD ") else status + BODY


def request_line(head: bytes) -> str:
    return head.split(b"\r\n", 1)[0].decode("latin-1")


# --- resources and oracle files --------------------------------------------------------------


def test_resource_role_is_used_and_missing_roles_are_skipped_with_a_remedy(
    reference_base_url: str,
) -> None:
    urls = role_urls(reference_base_url)
    code, out = run(urls["main"], "--cases", str(SINGLE), "--id", "SGL-25", "--id", "SGL-26")
    assert code == 0
    assert outcomes(out) == {"SGL-25": "skip", "SGL-26": "skip"}
    assert "pass --resource one=URL" in out
    code, out = run(
        urls["main"],
        "--cases",
        str(SINGLE),
        "--id",
        "SGL-25",
        "--id",
        "SGL-26",
        "--resource",
        f"one={urls['one']}",
    )
    assert code == 0
    assert outcomes(out) == {"SGL-25": "pass", "SGL-26": "pass"}


def test_resource_with_an_unknown_role_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("http://127.0.0.1:1/x", "--resource", "tiny=http://127.0.0.1:1/t", "--list")
    assert code == 2
    assert "write ROLE=VALUE with a role among main, r10000, one" in capsys.readouterr().err


def test_resource_that_is_not_a_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("http://127.0.0.1:1/x", "--resource", "one=/relative/path", "--list")
    assert code == 2
    assert "not an http:// or https:// URL" in capsys.readouterr().err


def test_oracle_file_that_matches_passes(reference_base_url: str, fixtures_dir: Path) -> None:
    urls = role_urls(reference_base_url)
    code, out = run(
        urls["main"],
        "--cases",
        str(SINGLE),
        "--id",
        "SGL-0[1-4]",
        "--oracle-file",
        str(fixtures_dir / "r1000.bin"),
    )
    assert code == 0
    assert set(outcomes(out).values()) == {"pass"}


def test_oracle_file_shows_slices_a_server_takes_from_the_wrong_place(fixtures_dir: Path) -> None:
    """The server's 200 is right, its 206 slices start one octet late: the local copy says so."""
    broken = SliceFromFirstPlusOne(create_app(fixtures_dir))
    with serve_in_thread(broken) as base:  # type: ignore[arg-type]
        code, out = run(
            role_urls(base)["main"],
            "--cases",
            str(SINGLE),
            "--id",
            "SGL-04",
            "--id",
            "SGL-08",
            "--oracle-file",
            str(fixtures_dir / "r1000.bin"),
        )
    assert code == 1
    assert outcomes(out) == {"SGL-04": "fail", "SGL-08": "pass"}  # bytes=0- is not rewritten
    assert "FAIL  body" in out
    assert "content differs from the representation's octets 0-1" in out


def assert_oracle_disagrees(code: int, out: str, err: str, oracle: Path) -> None:
    """A local copy that differs from the server's 200 is refused up front, before any case:
    never a pass, but one usage error naming the copy."""
    assert code == 2
    assert out == ""
    assert err.startswith("range-conformance: cannot use http://127.0.0.1:")
    assert f"--oracle-file {oracle} differs from the 200 that http://127.0.0.1:" in err
    assert "is it the same version? No case was run." in err
    assert err.count("\n") == 1


def test_oracle_file_that_differs_is_never_a_pass(
    reference_base_url: str,
    fixtures_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    copy = tmp_path / "r1000.bin"
    data = bytearray((fixtures_dir / "r1000.bin").read_bytes())
    data[1] ^= 0xFF  # same size, one octet different: inside SGL-04's bytes=0-1
    copy.write_bytes(bytes(data))
    urls = role_urls(reference_base_url)
    code, out = run(
        urls["main"], "--cases", str(SINGLE), "--id", "SGL-04", "--oracle-file", str(copy)
    )
    assert_oracle_disagrees(code, out, capsys.readouterr().err, copy)


def test_oracle_file_for_another_role(
    reference_base_url: str,
    fixtures_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    urls = role_urls(reference_base_url)
    wrong = tmp_path / "one.bin"
    wrong.write_bytes(bytes([(fixtures_dir / "one.bin").read_bytes()[0] ^ 1]))
    argv = [
        urls["main"],
        "--cases",
        str(SINGLE),
        "--id",
        "SGL-25",
        "--resource",
        f"one={urls['one']}",
    ]
    code, out = run(*argv, "--oracle-file", f"one={fixtures_dir / 'one.bin'}")
    assert code == 0
    assert outcomes(out) == {"SGL-25": "pass"}
    capsys.readouterr()
    code, out = run(*argv, "--oracle-file", f"one={wrong}")
    err = capsys.readouterr().err
    assert err.startswith(f"range-conformance: --resource one={urls['one']}: --oracle-file")
    assert_oracle_disagrees(code, out, err.replace("--resource one=", "cannot use ", 1), wrong)


def test_oracle_file_of_the_wrong_size_is_a_usage_error_naming_it(
    reference_base_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = tmp_path / "short.bin"
    short.write_bytes(b"x" * 999)
    main_url = role_urls(reference_base_url)["main"]
    code, out = run(main_url, "--cases", str(SINGLE), "--id", "SGL-04", "--oracle-file", str(short))
    assert (code, out) == (2, "")
    assert capsys.readouterr().err == (
        f"range-conformance: cannot use {main_url}: --oracle-file {short} has 999 octets but "
        "the server declares Content-Length: 1000. No case was run.\n"
    )


# --- the target file, end to end --------------------------------------------------------------


def test_targets_file_drives_a_run(
    recorded: tuple[str, Recorder],
    reference_base_url: str,
    fixtures_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    main_url, recorder = recorded
    shutil.copy(fixtures_dir / "one.bin", tmp_path / "one-copy.bin")
    targets = tmp_path / "targets.yaml"
    targets.write_text(
        f"url: {main_url}\n"
        f"resources: {{one: '{role_urls(reference_base_url)['one']}'}}\n"
        "headers: {Authorization: 'Bearer from-file'}\n"
        "oracle_files: {one: one-copy.bin}\n"  # relative to the target file
        "profile: media\n",
        "utf-8",
    )
    selection = ("--cases", str(MEDIA), "--cases", str(SINGLE), "--id", "MED-03", "--id", "SGL-25")
    code, out = run("--targets", str(targets), *selection)
    assert code == 0, out
    assert outcomes(out) == {"SGL-25": "pass", "MED-03": "pass"}
    assert "profile media" in out
    assert recorder.requests
    assert all(h.get("authorization") == "Bearer from-file" for _, h in recorder.requests)
    # the relative oracle path is read next to the target file: a wrong copy there is noticed
    wrong = tmp_path / "one-copy.bin"
    wrong.write_bytes(bytes([wrong.read_bytes()[0] ^ 1]))
    capsys.readouterr()
    code, out = run("--targets", str(targets), *selection)
    err = capsys.readouterr().err
    assert_oracle_disagrees(code, out, err.replace("--resource one=", "cannot use ", 1), wrong)


def test_a_missing_oracle_file_is_a_usage_error(
    reference_base_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-copy.bin"
    main_url = role_urls(reference_base_url)["main"]
    code, out = run(
        main_url, "--cases", str(SINGLE), "--id", "SGL-04", "--oracle-file", str(missing)
    )
    assert code == 2
    assert out == ""
    err = capsys.readouterr().err
    assert f"range-conformance: --oracle-file {missing} (for main) is not a readable file" in err
    assert "internal error" not in err
    assert "Traceback" not in err


# --- headers, user agent ----------------------------------------------------------------------


def test_extra_headers_reach_the_server_on_both_paths(recorded: tuple[str, Recorder]) -> None:
    main_url, recorder = recorded
    code, out = run(
        main_url,
        "--cases",
        str(BASELINE),
        "--id",
        "BAS-01",
        "--id",
        "BAS-02",
        "-H",
        "X-Test: yes",
        "--header",
        "Authorization: Bearer t",
    )
    assert code == 0, out
    methods = {method for method, _ in recorder.requests}
    assert methods == {"GET", "HEAD"}  # HEAD goes out on the raw-socket path
    for method, headers in recorder.requests:
        assert headers.get("x-test") == "yes", method
        assert headers.get("authorization") == "Bearer t", method


def test_user_agent_default_and_override(recorded: tuple[str, Recorder]) -> None:
    main_url, recorder = recorded
    run(main_url, "--cases", str(BASELINE), "--id", "BAS-01")
    assert {h["user-agent"] for _, h in recorder.requests} == {"range-conformance/0.1.0"}
    recorder.requests.clear()
    code, _ = run(
        main_url,
        "--cases",
        str(BASELINE),
        "--id",
        "BAS-01",
        "--id",
        "BAS-02",
        "--user-agent",
        "Mozilla/5.0 (test)",
    )
    assert code == 0
    assert {m for m, _ in recorder.requests} == {"GET", "HEAD"}
    assert {h["user-agent"] for _, h in recorder.requests} == {"Mozilla/5.0 (test)"}


# --- timeouts ---------------------------------------------------------------------------------


def test_timeout_a_server_that_never_answers_is_an_error_within_the_timeout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with canned(lambda head: None) as (port, heads):
        started = time.monotonic()
        code, out = run(
            f"http://127.0.0.1:{port}/r",
            "--cases",
            str(BASELINE),
            "--id",
            "BAS-01",
            "--timeout",
            "0.3",
        )
        elapsed = time.monotonic() - started
    assert (code, out) == (2, "")
    assert capsys.readouterr().err == (
        f"range-conformance: http://127.0.0.1:{port}/r accepted the request but sent no answer "
        "within 0.3 s. No case was run.\n"
    )
    assert len(heads) == 1
    assert elapsed < 3


@contextmanager
def full_backlog() -> Iterator[int]:
    """A listening socket whose accept queue is full, so a new connect is never completed."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(8):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.settimeout(0.2)
            fillers.append(filler)
            try:
                filler.connect(("127.0.0.1", port))
            except OSError:
                break  # the queue is full now
        else:
            pytest.skip("this kernel does not cap the accept queue")
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_connect_timeout_is_honoured(capsys: pytest.CaptureFixture[str]) -> None:
    with full_backlog() as port:
        started = time.monotonic()
        code, out = run(
            f"http://127.0.0.1:{port}/r",
            "--cases",
            str(BASELINE),
            "--id",
            "BAS-01",
            "--connect-timeout",
            "0.3",
            "--timeout",
            "30",
        )
        elapsed = time.monotonic() - started
    assert (code, out) == (2, "")
    assert capsys.readouterr().err == (
        f"range-conformance: connecting to http://127.0.0.1:{port}/r timed out after 0.3 s. "
        "No case was run.\n"
    )
    assert elapsed < 3


# --- TLS --------------------------------------------------------------------------------------


def serve_tls(app: Any, context: ssl.SSLContext) -> AbstractContextManager[str]:
    return serve_in_thread(app, ssl_context=context)


class Pki:
    """A CA (trustme), a server certificate for 127.0.0.1 and a client certificate, on disk."""

    def __init__(self, directory: Path) -> None:
        trustme = pytest.importorskip("trustme", reason="pip install trustme (dev extra)")
        self.ca = trustme.CA()
        self.server = self.ca.issue_cert("127.0.0.1")
        client = self.ca.issue_cert("client.range-conformance.test")
        self.ca_pem = directory / "ca.pem"
        self.client_cert = directory / "client.pem"
        self.client_key = directory / "client.key"
        self.client_both = directory / "client-both.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_pem))
        client.cert_chain_pems[0].write_to_path(str(self.client_cert))
        client.private_key_pem.write_to_path(str(self.client_key))
        client.private_key_and_cert_chain_pem.write_to_path(str(self.client_both))

    def context(self, *, require_client_cert: bool) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.configure_cert(context)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            self.ca.configure_trust(context)
        return context


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


TLS_CASES = ("--cases", str(BASELINE), "--id", "BAS-01", "--id", "BAS-02")  # GET and raw HEAD


def test_tls_unknown_ca_is_a_usage_error_by_default(
    pki: Pki, fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_tls(create_app(fixtures_dir), pki.context(require_client_cert=False)) as base:
        code, out = run(role_urls(base)["main"], *TLS_CASES)
    assert (code, out) == (2, "")
    err = capsys.readouterr().err
    assert err.startswith(f"range-conformance: TLS handshake with {role_urls(base)['main']} ")
    assert "certificate verify failed" in err
    assert err.endswith(
        " (pass --ca-bundle PATH for a private certificate authority, or --insecure). "
        "No case was run.\n"
    )


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_insecure_skips_verification(pki: Pki, fixtures_dir: Path) -> None:
    with serve_tls(create_app(fixtures_dir), pki.context(require_client_cert=False)) as base:
        code, out = run(role_urls(base)["main"], *TLS_CASES, "--insecure")
    assert code == 0, out
    assert outcomes(out) == {"BAS-01": "pass", "BAS-02": "pass"}


def test_tls_ca_bundle_verifies(pki: Pki, fixtures_dir: Path) -> None:
    with serve_tls(create_app(fixtures_dir), pki.context(require_client_cert=False)) as base:
        code, out = run(role_urls(base)["main"], *TLS_CASES, "--ca-bundle", str(pki.ca_pem))
    assert code == 0, out
    assert outcomes(out) == {"BAS-01": "pass", "BAS-02": "pass"}


def test_tls_client_cert_is_presented(
    pki: Pki, fixtures_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    context = pki.context(require_client_cert=True)
    with serve_tls(create_app(fixtures_dir), context) as base:
        url = role_urls(base)["main"]
        code, out = run(url, *TLS_CASES, "--ca-bundle", str(pki.ca_pem))
        assert (code, out) == (2, "")
        err = capsys.readouterr().err
        assert err.startswith(f"range-conformance: TLS handshake with {url} failed: ")
        assert "pass --client-cert CERT[,KEY]). No case was run." in err
        code, out = run(
            url,
            *TLS_CASES,
            "--ca-bundle",
            str(pki.ca_pem),
            "--client-cert",
            f"{pki.client_cert},{pki.client_key}",
        )
        assert code == 0, out
        assert outcomes(out) == {"BAS-01": "pass", "BAS-02": "pass"}
        code, out = run(
            url, *TLS_CASES, "--ca-bundle", str(pki.ca_pem), "--client-cert", str(pki.client_both)
        )
        assert code == 0, out


# --- proxies ----------------------------------------------------------------------------------


def test_proxy_gets_every_get_in_absolute_form() -> None:
    origin = f"http://127.0.0.1:{closed_port()}/r"  # nothing there: only the proxy can answer
    with canned(plain_200) as (port, heads):
        code, out = run(
            origin, "--cases", str(SINGLE), "--id", "SGL-04", "--proxy", f"http://127.0.0.1:{port}"
        )
    assert code == 0, out
    assert outcomes(out) == {"SGL-04": "info"}  # the canned proxy ignores Range: legal
    assert heads
    assert {request_line(h) for h in heads} == {f"GET {origin} HTTP/1.1"}
    assert any(b"\r\nRange: bytes=0-1\r\n" in h for h in heads)


def test_proxy_also_gets_the_raw_socket_requests() -> None:
    origin = f"http://127.0.0.1:{closed_port()}/r"
    with canned(plain_200) as (port, heads):
        code, out = run(
            origin,
            "--cases",
            str(BASELINE),
            "--id",
            "BAS-02",
            "--proxy",
            f"http://127.0.0.1:{port}",
        )
    assert any(request_line(h) == f"HEAD {origin} HTTP/1.1" for h in heads)
    assert outcomes(out) == {"BAS-02": "pass"}
    assert code == 0


def test_http_proxy_env_is_honoured_only_with_proxy_from_env(
    monkeypatch: pytest.MonkeyPatch, reference_base_url: str
) -> None:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    origin = role_urls(reference_base_url)["main"]
    argv = (origin, "--cases", str(SINGLE), "--id", "SGL-04")
    with canned(plain_200) as (port, heads):
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
        code, out = run(*argv)
        assert code == 0
        assert outcomes(out) == {"SGL-04": "pass"}  # straight to the reference server: 206
        assert heads == []
        code, out = run(*argv, "--proxy-from-env")
        assert code == 0
        assert outcomes(out) == {"SGL-04": "info"}  # through the proxy, which ignores Range
        assert heads
        assert {request_line(h) for h in heads} == {f"GET {origin} HTTP/1.1"}


# --- selection --------------------------------------------------------------------------------


def test_id_globs_are_alternatives_and_case_insensitive() -> None:
    code, out = run("--list", "--cases", str(SINGLE), "--id", "sgl-0[1-3]", "--id", "SGL-18")
    assert code == 0
    assert listed(out) == ["SGL-01", "SGL-02", "SGL-03", "SGL-18"]


def test_a_selection_matching_nothing_is_a_usage_error() -> None:
    assert run("--list", "--cases", str(SINGLE), "--id", "NOPE-*") == (2, "")


def test_tag_and_level_over_the_bundled_cases(bundled_cases: list[Case]) -> None:
    everything = bundled_cases
    code, out = run("--list", "--tag", "multiple", "--level", "SHOULD", "--level", "MAY")
    assert code == 0
    expected = [
        c.id
        for c in everything
        if "multiple" in c.tags and c.level.value in ("SHOULD", "MAY") and "rfc" in c.profiles
    ]
    assert expected
    assert listed(out) == expected
    for line in out.splitlines():
        assert line.split()[1] in ("SHOULD", "MAY")


def test_tag_in_a_case_file_of_our_own(tmp_path: Path) -> None:
    cases = write_mixed_cases(tmp_path)
    assert listed(run("--list", "--cases", str(cases), "--tag", "alpha")[1]) == ["TST-01", "TST-02"]
    both = run("--list", "--cases", str(cases), "--tag", "alpha", "--tag", "beta")[1]
    assert listed(both) == ["TST-01", "TST-02", "TST-03"]


def test_section_includes_subsections_but_not_lookalikes(tmp_path: Path) -> None:
    cases = write_mixed_cases(tmp_path)  # cites 14.1, 14.1.2, 14.10, 14.2 and 15.3.1
    code, out = run("--list", "--cases", str(cases), "--section", "14.1")
    assert code == 0
    assert listed(out) == ["TST-02", "TST-03"]  # 14.1 and 14.1.2; not 14.10
    assert listed(run("--list", "--cases", str(cases), "--section", "§14.10")[1]) == ["TST-04"]
    assert listed(run("--list", "--cases", str(cases), "--section", "14")[1]) == [
        "TST-02",
        "TST-03",
        "TST-04",
        "TST-05",
        "TST-06",
    ]


def test_keyword_and_level_combine(tmp_path: Path) -> None:
    cases = write_mixed_cases(tmp_path)
    out = run("--list", "--cases", str(cases), "-k", "range and not info", "--level", "MUST")[1]
    assert listed(out) == ["TST-04"]


def test_media_profile_runs_med_cases_only_in_media(reference_base_url: str) -> None:
    main_url = role_urls(reference_base_url)["main"]
    assert run("--list", "--cases", str(MEDIA)) == (2, "")  # no MED case outside media
    code, out = run("--list", "--cases", str(MEDIA), "--profile", "media")
    assert code == 0
    assert listed(out) == ["MED-01", "MED-02", "MED-03", "MED-04", "MED-05"]
    code, out = run(main_url, "--cases", str(MEDIA), "--profile", "media")
    assert code == 0, out
    assert outcomes(out) == dict.fromkeys(
        listed(run("--list", "--cases", str(MEDIA), "--profile", "media")[1]), "pass"
    )
    assert "profile media" in out


def test_strict_profile_turns_a_warn_into_a_fail(tmp_path: Path, reference_base_url: str) -> None:
    cases = write_mixed_cases(tmp_path)
    argv = (role_urls(reference_base_url)["main"], "--cases", str(cases), "--id", "TST-03")
    code, out = run(*argv, "--profile", "strict")
    assert code == 1
    assert outcomes(out) == {"TST-03": "fail"}


# --- fail-on, quiet, list, explain, exit codes --------------------------------------------------


def test_fail_on_warn(tmp_path: Path, reference_base_url: str) -> None:
    cases = write_mixed_cases(tmp_path)
    argv = (role_urls(reference_base_url)["main"], "--cases", str(cases), "--id", "TST-0[123]")
    code, out = run(*argv)
    assert code == 0
    assert outcomes(out) == {"TST-01": "pass", "TST-02": "info", "TST-03": "warn"}
    assert out.splitlines()[-1].startswith("conformant: ")
    code, out = run(*argv, "--fail-on", "warn")
    assert code == 1
    assert "NOT conformant: 1 pass · 1 info · 1 warn" in out
    code, _ = run(*argv, "--fail-on", "fail")
    assert code == 0
    # info alone never fails, even with --fail-on warn
    assert run(*argv[:3], "--id", "TST-02", "--fail-on", "warn")[0] == 0


def test_quiet_prints_the_verdict_alone_and_default_what_is_not_pass_or_info(
    tmp_path: Path, reference_base_url: str
) -> None:
    with mixed_argv(reference_base_url, tmp_path) as argv:
        loud = run(*argv, "-v")[1]
        default = _plain(*argv)
        code, quiet = run(*argv, "-q")
        again = run(*argv, "--quiet")[1]
    assert code == 1
    assert set(outcomes(loud)) == {"TST-01", "TST-02", "TST-03", "TST-04", "TST-05", "TST-06"}
    assert outcomes(default) == {
        "TST-03": "warn", "TST-04": "fail", "TST-05": "skip", "TST-06": "error"
    }  # fmt: skip
    assert "reproduce:" in default
    assert outcomes(quiet) == {}
    assert "reproduce:" not in quiet
    assert quiet.splitlines()[-1].startswith(
        "NOT conformant: 1 skip · 1 pass · 1 info · 1 warn · 1 fail · 1 error in "
    )
    assert len(quiet.splitlines()) == 2  # the origin that stopped answering, and the verdict
    assert again.count("\n") == quiet.count("\n")


def _plain(*argv: str) -> str:
    """Output of a run with neither -q nor -v."""
    out = io.StringIO()
    main(list(argv), out=out)
    return out.getvalue()


def test_list_prints_id_level_section_and_title_and_sends_nothing(tmp_path: Path) -> None:
    code, out = run(
        "http://127.0.0.1:1/never-contacted",
        "--list",
        "--cases",
        str(write_mixed_cases(tmp_path)),
        "--id",
        "TST-04",
    )
    assert code == 0
    assert out.split(maxsplit=3) == [
        "TST-04",
        "MUST",
        "§14.10",
        "a first range where only 416 would do\n",
    ]


def test_explain_prints_a_case_and_an_unknown_id_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run("--explain", "sgl-12", "--cases", str(SINGLE))
    assert code == 0
    assert "SGL-12" in out
    assert "5000" in out  # what it sends: bytes=-5000
    assert "partial" in out
    assert "rejected-416" in out  # and what it accepts
    code, out = run("--explain", "SGL-999", "--cases", str(SINGLE))
    assert code == 2
    assert out == ""
    assert "no case 'SGL-999'; see --list" in capsys.readouterr().err


def test_exit_codes_0_1_2(reference_base_url: str, fixtures_dir: Path) -> None:
    main_url = role_urls(reference_base_url)["main"]
    assert run(main_url, "--cases", str(SINGLE), "--id", "SGL-18")[0] == 0
    broken = MinusZeroIsWhole(create_app(fixtures_dir))  # bytes=-0 answered 206
    with serve_in_thread(broken) as base:  # type: ignore[arg-type]
        code, out = run(role_urls(base)["main"], "--cases", str(SINGLE), "--id", "SGL-18")
    assert code == 1
    assert outcomes(out) == {"SGL-18": "fail"}
    assert run(main_url, "-k", "SGL and (", "--cases", str(SINGLE))[0] == 2


# --- --target-app -----------------------------------------------------------------------------


@pytest.fixture
def app_module(
    tmp_path: Path,
    fixtures_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    """An importable module serving the reference app: `app`, a factory `make()` and a
    `NOT_AN_APP`. Its name is this test's own, and it leaves sys.modules afterwards, so no test
    imports another's module."""
    name = "rc_target_app_" + re.sub(r"\W+", "_", request.node.name).strip("_")
    (tmp_path / f"{name}.py").write_text(
        "from pathlib import Path\n\n"
        "from reference_server import create_app\n\n"
        f"app = create_app(Path({str(fixtures_dir)!r}))\n"
        "NOT_AN_APP = 42\n\n\n"
        "def make():\n"
        "    return app\n",
        "utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("attribute", "selection", "expected"),
    [
        pytest.param(
            "app",
            ("--cases", str(SINGLE), "--id", "SGL-04", "--id", "SGL-25")
            + ("--resource", "one=/files/one.bin"),  # a path, resolved against the app's URL
            {"SGL-04": "pass", "SGL-25": "pass"},
            id="app",
        ),
        pytest.param(
            "make()", ("--cases", str(BASELINE), "--id", "BAS-01"), {"BAS-01": "pass"}, id="factory"
        ),
    ],
)
def test_target_app_serves_the_module_and_resolves_paths(
    app_module: str, attribute: str, selection: tuple[str, ...], expected: dict[str, str]
) -> None:
    code, out = run("--target-app", f"{app_module}:{attribute}", "/files/r1000.bin", *selection)
    assert code == 0, out
    assert outcomes(out) == expected
    assert re.search(r"target http://127\.0\.0\.1:\d+/files/r1000\.bin", out)
    assert "bundled reference server" not in out


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon_here", "write MODULE:APP"),
        ("rc_no_such_module_xyz:app", "cannot import rc_no_such_module_xyz"),
        ("{module}:missing", "has no attribute 'missing'"),
        ("{module}:NOT_AN_APP", "is not a WSGI application"),
    ],
)
def test_target_app_errors_exit_2(
    app_module: str, capsys: pytest.CaptureFixture[str], spec: str, message: str
) -> None:
    code, _ = run(
        "--target-app",
        spec.format(module=app_module),
        "/files/r1000.bin",
        "--cases",
        str(BASELINE),
        "--id",
        "BAS-01",
    )
    assert code == 2
    assert message in capsys.readouterr().err


def test_workers_give_the_same_results_in_the_same_order(
    tmp_path: Path, reference_base_url: str
) -> None:
    with mixed_argv(reference_base_url, tmp_path) as argv:
        code_1, one_by_one = run(*argv, "--json", str(tmp_path / "a.json"))
        code_4, parallel = run(*argv, "-j", "4", "--json", str(tmp_path / "b.json"))
        assert code_1 == code_4 == 1
        assert list(outcomes(one_by_one).items()) == list(outcomes(parallel).items())
        assert len(outcomes(parallel)) == 6


def test_version_prints_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        run("--version")
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("range-conformance 0.")


@pytest.mark.parametrize("mode", ["auto", "full"])
def test_oracle_modes_run(reference_base_url: str, mode: str) -> None:
    code, out = run(
        role_urls(reference_base_url)["main"],
        *("--cases", str(SINGLE), "--id", "SGL-0[14]", "--oracle", mode),
    )
    assert code == 0, out
    assert outcomes(out) == {"SGL-01": "pass", "SGL-04": "pass"}
