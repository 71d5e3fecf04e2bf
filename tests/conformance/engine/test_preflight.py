"""A target that cannot be checked is said once, with exit 2, before any case: never a wall of
per-case errors, never a green that checked nothing. And a target that stops answering in the
middle of a run is said once, the cases after it errors, not failures."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from conformance.cli import main
from reference_server import create_app, serve_in_thread
from tests.helpers.rawserver import closed_port
from tests.helpers.targets import role_urls

Start = Callable[..., Any]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out), out.getvalue()


@contextmanager
def answering(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> Iterator[str]:
    """A server that gives every request the same answer; yields the URL of /v.mp4 on it."""

    def app(environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        start_response(status, headers)
        return [body]

    with serve_in_thread(app) as base:  # type: ignore[arg-type]
        yield base + "/v.mp4"


def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run; assert exit 2, nothing on stdout, one line on stderr; return that line."""
    code, out = run(*argv)
    assert (code, out) == (2, "")
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.endswith(" No case was run.\n")
    return err.removeprefix("range-conformance: ").removesuffix("\n")


def test_connection_refused(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{closed_port()}/v.mp4"
    assert refused(capsys, url) == (
        f"cannot reach {url}: connection refused. Is the server running? No case was run."
    )


@pytest.mark.parametrize(
    ("status", "headers", "advice"),
    [
        ("301 Moved Permanently", [("Location", "https://cdn.example/v.mp4")],
         "It redirects to https://cdn.example/v.mp4: pass that URL (redirects are not "
         "followed)."),
        ("302 Found", [], "It is a redirect without a Location: pass the URL of the resource "
         "itself."),
        ("401 Unauthorized", [], "It needs credentials: pass them with -H 'Authorization: …' "
         "or -H 'Cookie: …', or check the URL."),
        ("403 Forbidden", [], "It needs credentials: pass them with -H 'Authorization: …' "
         "or -H 'Cookie: …', or check the URL."),
        ("404 Not Found", [], "Check the URL: it must name a file the server serves."),
        ("405 Method Not Allowed", [], "The server refuses a plain GET there: check the URL "
         "and the headers you pass."),
        ("503 Service Unavailable", [], "The server is failing: check it, then run again."),
    ],
)  # fmt: skip
def test_an_answer_other_than_2xx(
    capsys: pytest.CaptureFixture[str], status: str, headers: list[tuple[str, str]], advice: str
) -> None:
    with answering(status, [*headers, ("Content-Length", "0")]) as url:
        said = refused(capsys, url)
    code = status.split()[0]
    reason = {"405": "", "503": ""}.get(code, " " + status.partition(" ")[2])
    assert said == f"{url} answers {code}{reason} to a plain GET. {advice} No case was run."


@pytest.mark.parametrize(
    ("body", "size"),
    [(b"x" * 10, "has 10 octets"), (b"", "is empty"), (b"x" * 999, "has 999 octets")],
)
def test_a_representation_below_the_minimum(
    capsys: pytest.CaptureFixture[str], body: bytes, size: str
) -> None:
    with answering("200 OK", [("Content-Length", str(len(body)))], body) as url:
        said = refused(capsys, url)
    assert said == (
        f"{url} {size}; the cases need a representation of at least 1000 octets: pass the URL "
        "of a larger file (a video, an image, any file of 1000 octets or more). "
        "No case was run."
    )


def test_a_large_representation_without_a_length(capsys: pytest.CaptureFixture[str]) -> None:
    def endless(environ: dict[str, Any], start_response: Start) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "video/mp4")])  # chunked: no length
        for _ in range(64):  # 2 MiB, more than is learned whole
            yield bytes(32 * 1024)

    with serve_in_thread(endless) as base:  # type: ignore[arg-type]
        said = refused(capsys, base + "/live")
    assert said == (
        f"cannot use {base}/live: its 200 has no Content-Length and is longer than 1048576 "
        "octets, so its length is unknown: give its size and octets with --oracle-file PATH. "
        "No case was run."
    )


def test_a_resource_given_for_a_role_it_cannot_play(
    capsys: pytest.CaptureFixture[str], reference_base_url: str
) -> None:
    urls = role_urls(reference_base_url)
    said = refused(capsys, urls["main"], "--resource", f"empty={urls['main']}")
    assert said == (
        f"--resource empty={urls['main']} has 1000 octets; the 'empty' role needs an empty "
        "(zero-octet) resource. No case was run."
    )
    said = refused(capsys, urls["main"], "--resource", f"missing={urls['one']}")
    assert said == (
        f"--resource missing={urls['one']} answers 200; the 'missing' role needs a URL that "
        "answers 404. No case was run."
    )


def test_a_fitting_target_is_not_refused(reference_base_url: str) -> None:
    urls = role_urls(reference_base_url)
    code, out = run(urls["main"], "--resource", f"empty={urls['empty']}", "--id", "EMP-01")
    assert code == 0
    assert out.splitlines()[-1].startswith("conformant: 1 pass in ")


# --- a target that stops answering mid-run ---------------------------------------------------


class GoesAway:
    """The reference server until it has answered `answers` requests; then nothing at all."""

    def __init__(self, app: Any, answers: int) -> None:
        self.app = app
        self.left = answers

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        self.left -= 1
        if self.left < 0:
            raise ConnectionAbortedError  # werkzeug drops the connection without an answer
        return self.app(environ, start_response)  # type: ignore[no-any-return]


def test_a_target_that_stops_answering_is_said_once_and_the_rest_are_errors(
    fixtures_dir: Any,
) -> None:
    app = GoesAway(create_app(fixtures_dir), answers=12)
    with serve_in_thread(app) as base:  # type: ignore[arg-type]
        code, out = run(role_urls(base)["main"], "--id", "SGL-*", "-j", "1", "-v", "--timeout", "1")
    assert code == 1
    lines = out.splitlines()
    grades = [line.split()[0] for line in lines if line[:5] in ("PASS ", "ERROR", "INFO ")]
    assert "FAIL" not in out.split("reproduce:")[0]  # nobody is blamed for a server gone
    errors = [line for line in lines if line.startswith("ERROR ")]
    assert len(errors) >= 10
    assert all(
        f"[not run: {base} stopped answering during SGL-" in line or "sent no answer" in line
        for line in errors
    )
    assert out.count("ERROR setup  not run") == 0  # no wall of detail blocks
    said = [line for line in lines if line.startswith(f"{base} stopped answering during SGL-")]
    assert len(said) == 1
    assert said[0].startswith(f"{base} stopped answering during SGL-")
    assert said[0].endswith(" later cases there were not sent (error)")
    assert grades.count("PASS") >= 5
    assert lines[-1].startswith("NOT conformant: ")
