"""The Flask app and the plain WSGI app answer every file request identically.

Both call `reference_server.engine`, but each front door routes, resolves names and turns the
answer into a response its own way: these tests hold the two to the same octets (status, every
header field, body), so the conformance suite run against one speaks for the other too.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.test import Client

from reference_server import FIXTURE_ROLES, create_app, create_wsgi_app
from reference_server.dates import format_http_date

_BOUNDARY = re.compile(rb"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def doors(files_dir: Path) -> tuple[Client, Client]:
    return Client(create_app(files_dir)), Client(create_wsgi_app(files_dir))


# A 200 for the 5 GB file is compared on its first octets only.
_BODY_CAP = 300_000


def _exchange(client: Client, method: str, path: str, headers: dict[str, str]) -> tuple:
    response = client.open(path, method=method, headers=headers, buffered=False)
    body = b""
    try:
        for chunk in response.response:
            body += chunk
            if len(body) >= _BODY_CAP:
                break
    finally:
        response.close()
    fields = sorted(
        (name.lower(), _BOUNDARY.sub(b"B", value.encode("latin-1")))
        for name, value in response.headers.items()
    )
    return response.status_code, fields, _BOUNDARY.sub(b"B", body)


def _assert_same(doors: tuple[Client, Client], method: str, path: str, headers: dict[str, str]):
    flask_answer = _exchange(doors[0], method, path, headers)
    wsgi_answer = _exchange(doors[1], method, path, headers)
    assert wsgi_answer == flask_answer, (method, path, headers)
    return flask_answer


def _validators(doors: tuple[Client, Client], path: str) -> tuple[str, str]:
    response = doors[0].get(path)
    return response.headers.get("ETag", ""), response.headers.get("Last-Modified", "")


FILE_PATHS = [path for role, path in FIXTURE_ROLES.items() if role not in ("missing", "redirect")]
RANGES = [
    None, "bytes=0-9", "bytes=10-", "bytes=-7", "bytes=0-0", "bytes=5-4", "bytes=999999-",
    "bytes=-0", "bytes=0-9,20-29", "bytes=0-9,5-14,8-20", "bytes=0-1,3-4,6-7", "BYTES=0-9",
    "bytes= 0-9", "bytes=0-9 ,", "items=0-9", "bytes=abc", "bytes=0-70000", "bytes=4294967290-",
    "bytes=0-99999,200000-299999",
]  # fmt: skip


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", FILE_PATHS)
def test_every_range_shape_gets_the_same_answer(
    doors: tuple[Client, Client], method: str, path: str
) -> None:
    for value in RANGES:
        _assert_same(doors, method, path, {"Range": value} if value else {})


def _conditionals(etag: str, modified: str) -> Iterator[dict[str, str]]:
    earlier = format_http_date(datetime(2000, 1, 1, tzinfo=timezone.utc))
    for name, value in [
        ("If-None-Match", etag), ("If-None-Match", '"other"'), ("If-None-Match", "*"),
        ("If-Match", etag), ("If-Match", '"other"'), ("If-Modified-Since", modified),
        ("If-Modified-Since", earlier), ("If-Unmodified-Since", earlier),
        ("If-Range", etag), ("If-Range", '"other"'), ("If-Range", modified),
        ("If-Range", "W/" + etag),
    ]:  # fmt: skip
        yield {name: value, "Range": "bytes=0-9"}
        yield {name: value, "Range": "bytes=0-9,20-29"}
        yield {name: value}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("path", ["/files/r1000.bin", "/weak/r1000.bin", "/dynamic/r1000.bin"])
def test_conditional_requests_get_the_same_answer(
    doors: tuple[Client, Client], method: str, path: str
) -> None:
    etag, modified = _validators(doors, path)
    for headers in _conditionals(etag or '"none"', modified or "Sat, 01 Jan 2000 00:00:00 GMT"):
        _assert_same(doors, method, path, headers)  # HEAD: no content, whatever the status


@pytest.mark.parametrize("accept", ["gzip", "identity", "gzip;q=0", "*", "br, gzip;q=0.5"])
def test_the_gzip_variant_gets_the_same_answer(doors: tuple[Client, Client], accept: str) -> None:
    for value in (None, "bytes=0-9", "bytes=-5", "bytes=0-3,8-11"):
        headers = {"Accept-Encoding": accept} | ({"Range": value} if value else {})
        _assert_same(doors, "GET", FIXTURE_ROLES["gzip"], headers)


@given(
    value=st.from_regex(r"[bB]ytes=[0-9, -]{0,20}", fullmatch=True)
    | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    path=st.sampled_from(FILE_PATHS),
)
@settings(max_examples=200, deadline=None)
def test_generated_range_values_get_the_same_answer(
    doors: tuple[Client, Client], value: str, path: str
) -> None:
    _assert_same(doors, "GET", path, {"Range": value})


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/files/no-such-file.bin", 404),
        ("GET", "/files/../pyproject.toml", 404),
        ("GET", "/files/%2e%2e/pyproject.toml", 404),
        ("GET", "/files//etc/passwd", 404),
        ("GET", "/files/..%5cr1000.bin", 404),
        ("GET", "/files/r1000.bin%00", 404),
        ("GET", "/files/sub/../../x", 404),
        ("GET", "/files/.", 404),
        ("GET", "/files/r1000.bin/", 404),
        ("GET", "/weak/../x", 404),
        ("GET", "/dynamic/%2e%2e/x", 404),
        ("GET", "/files/", 404),
        ("GET", "/elsewhere", 404),
        ("POST", "/files/r1000.bin", 405),
        ("DELETE", "/files/r1000.bin", 405),
        ("GET", "/redirect/r1000.bin", 301),
        ("GET", "/redirect/no-such-file.bin", 404),
    ],
)
def test_routing_answers_agree_on_status_and_fields_that_matter(
    doors: tuple[Client, Client], method: str, path: str, status: int
) -> None:
    """Bodies of 404/405/301 are prose, which each door words its own way."""
    answers = [door.open(path, method=method) for door in doors]
    for answer in answers:
        answer.close()
    assert [a.status_code for a in answers] == [status, status]
    allowed = [{m.strip() for m in a.headers.get("Allow", "").split(",")} - {""} for a in answers]
    assert allowed[0] == allowed[1]  # the order of Allow's members carries no meaning
    assert answers[0].headers.get("Location") == answers[1].headers.get("Location")


def test_a_symlink_out_of_the_directory_is_refused_by_both(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (served / "link.txt").symlink_to(tmp_path / "secret.txt")
    (served / "inside.txt").write_text("inside")
    (served / "alias.txt").symlink_to(served / "inside.txt")
    for door in (create_app(served), create_wsgi_app(served)):
        client = Client(door)
        assert client.get("/files/link.txt").status_code == 404
        assert client.get("/files/alias.txt").get_data() == b"inside"  # a link within is fine


def test_a_non_ascii_name_is_served_by_both(tmp_path: Path) -> None:
    """URLs carry UTF-8 octets, which WSGI hands over as latin-1 text (PEP 3333)."""
    (tmp_path / "café.txt").write_text("crème")
    doors = (Client(create_app(tmp_path)), Client(create_wsgi_app(tmp_path)))
    _assert_same(doors, "GET", "/files/caf%C3%A9.txt", {"Range": "bytes=0-2"})
    answers = [door.get("/redirect/caf%C3%A9.txt") for door in doors]
    assert [a.status_code for a in answers] == [301, 301]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert [door.get("/files/caf%C3%A9.txt").get_data() for door in doors] == ["crème".encode()] * 2


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_a_fifo_or_a_directory_is_refused_without_waiting(tmp_path: Path) -> None:
    """A FIFO opened for reading waits for a writer: neither door may ever open one so."""
    os.mkfifo(tmp_path / "pipe.bin")
    (tmp_path / "folder").mkdir()
    statuses: list[int] = []

    def ask_both() -> None:
        for door in (create_app(tmp_path), create_wsgi_app(tmp_path)):
            client = Client(door)
            for path in ("/files/pipe.bin", "/files/folder", "/weak/pipe.bin"):
                statuses.append(client.get(path, headers={"Range": "bytes=0-9"}).status_code)

    asking = threading.Thread(target=ask_both, daemon=True)
    asking.start()
    asking.join(timeout=10)
    if asking.is_alive():  # stuck in open(): be the writer it waits for, then fail
        os.close(os.open(tmp_path / "pipe.bin", os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("a request for a FIFO waited for a writer")
    assert statuses == [404] * 6
