"""The reference server under production WSGI servers (gunicorn, granian, waitress), over real
sockets, as the Flask app and as the plain WSGI app.

Each server runs in a subprocess (`python -m reference_server DIR --server S --app A --port 0`)
on a free 127.0.0.1 port: exact 206 octets, multipart, 416, then every bundled case through the
CLI.
In-process checks pin what send.py hands each server's `wsgi.file_wrapper` for a sub-range.
"""

from __future__ import annotations

import http.client
import io
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder

from conformance.cli import main as conformance_main
from reference_server import FIXTURE_ROLES
from reference_server.bodies import SMALL_BODY
from reference_server.fixtures import LARGE_SIZE, counter_stream
from tests.helpers.multipart import parts_of

ROOT = Path(__file__).resolve().parents[2]
# (server, app): every server with the Flask app, and the fast pairing with the WSGI app.
SETUPS = [
    ("gunicorn", "flask"),
    ("granian", "flask"),
    ("waitress", "flask"),
    ("granian", "wsgi"),
    ("gunicorn", "wsgi"),
]


@dataclass
class _Running:
    process: subprocess.Popen[str]
    reader: threading.Thread  # drains stdout; ends at EOF, when the server exits
    base_url: str = ""


def _start(server: str, app: str, files_dir: Path, log: Path) -> _Running:
    command = [
        sys.executable, "-m", "reference_server", str(files_dir), "--server", server,
        "--app", app, "--port", "0", "--workers", "1", "--threads", "4",
    ]  # fmt: skip
    with log.open("w") as errors:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors, text=True
        )
    found: list[str] = []

    def read_url() -> None:
        assert process.stdout is not None
        for line in process.stdout:  # keeps draining the pipe after the first line
            if not found and line.startswith("Serving "):
                found.append(line.split()[-1].removesuffix("/files/"))

    running = _Running(process, threading.Thread(target=read_url, daemon=True))
    running.reader.start()
    for _ in range(300):  # up to 30 s
        if found or process.poll() is not None:
            break
        threading.Event().wait(0.1)
    if not found:
        _stop(running)
        pytest.fail(f"{server} did not start: {log.read_text()[-2000:]}")
    running.base_url = found[0]
    return running


def _stop(running: _Running) -> None:
    process = running.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of master and workers
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    running.reader.join(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


@pytest.fixture(scope="module", params=SETUPS, ids=[f"{s}-{a}" for s, a in SETUPS])
def production_url(
    request: pytest.FixtureRequest, files_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    server, app = request.param
    pytest.importorskip(server)
    if server in ("gunicorn", "granian") and sys.platform == "win32":
        pytest.skip(f"{server} needs POSIX here")
    log = tmp_path_factory.mktemp(server) / "stderr.log"
    running = _start(server, app, files_dir, log)
    try:
        yield running.base_url
    finally:
        _stop(running)
    assert running.process.returncode is not None
    port = urlsplit(running.base_url).port or 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def _octets(files_dir: Path, role: str, first: int, length: int) -> bytes:
    with (files_dir / FIXTURE_ROLES[role].removeprefix("/files/")).open("rb") as file:
        file.seek(first)
        return file.read(length)


def _get(
    base_url: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, CaseInsensitiveDict[str], bytes]:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, CaseInsensitiveDict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("role", "first", "last"),
    [
        ("main", 10, 19),
        ("main", 0, 999),
        ("r10000", 9000, 9999),
        ("large", 2**32 - 5, 2**32 + 4),  # past 4 GiB: 64-bit offsets through sendfile
        ("large", LARGE_SIZE - 65_536, LARGE_SIZE - 1),
    ],
)
def test_single_range_is_exact(
    production_url: str, files_dir: Path, role: str, first: int, last: int
) -> None:
    status, headers, body = _get(
        production_url, FIXTURE_ROLES[role], {"Range": f"bytes={first}-{last}"}
    )
    assert status == 206
    size = os.path.getsize(files_dir / FIXTURE_ROLES[role].removeprefix("/files/"))
    assert headers["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert headers["Content-Length"] == str(last - first + 1)
    assert body == _octets(files_dir, role, first, last - first + 1)


def test_full_and_suffix(production_url: str, files_dir: Path) -> None:
    status, headers, body = _get(production_url, FIXTURE_ROLES["r10000"])
    assert (status, body) == (200, (files_dir / "r10000.bin").read_bytes())
    status, headers, body = _get(production_url, FIXTURE_ROLES["r10000"], {"Range": "bytes=-7"})
    assert (status, headers["Content-Range"]) == (206, "bytes 9993-9999/10000")
    assert body == counter_stream(9993, 7)


def test_multipart(production_url: str, files_dir: Path) -> None:
    status, headers, body = _get(
        production_url, FIXTURE_ROLES["r10000"], {"Range": "bytes=0-9,5000-5099,-70"}
    )
    assert status == 206
    assert headers["Content-Length"] == str(len(body))
    parts = parts_of(body, headers["Content-Type"])
    assert [fields["Content-Range"] for fields, _ in parts] == [
        "bytes 0-9/10000",
        "bytes 5000-5099/10000",
        "bytes 9930-9999/10000",
    ]
    for (first, length), (_, data) in zip(((0, 10), (5000, 100), (9930, 70)), parts, strict=True):
        assert data == counter_stream(first, length)
    status, headers, body = _get(
        production_url, FIXTURE_ROLES["large"], {"Range": "bytes=0-99999,4294967000-4295067000"}
    )
    assert status == 206
    parts = parts_of(body, headers["Content-Type"])
    assert [fields["Content-Range"] for fields, _ in parts] == [
        f"bytes 0-99999/{LARGE_SIZE}",
        f"bytes 4294967000-4295067000/{LARGE_SIZE}",
    ]
    assert parts[0][1] == _octets(files_dir, "large", 0, 100_000)
    assert parts[1][1] == _octets(files_dir, "large", 4294967000, 100_001)


def test_unsatisfiable(production_url: str) -> None:
    status, headers, _ = _get(production_url, FIXTURE_ROLES["main"], {"Range": "bytes=1000-"})
    assert status == 416
    assert headers["Content-Range"] == "bytes */1000"


def test_bundled_cases_pass(production_url: str, files_dir: Path) -> None:
    arguments = [production_url + FIXTURE_ROLES["main"], "-q"]
    for role, path in FIXTURE_ROLES.items():
        if role != "main":
            arguments += ["--resource", f"{role}={production_url}{path}"]
        local = files_dir / path.removeprefix("/files/")
        if path.startswith("/files/") and local.is_file():
            arguments += ["--oracle-file", f"{role}={local}"]
    out = io.StringIO()
    assert conformance_main(arguments, out) == 0, out.getvalue()


# -- what each server's file wrapper is handed, in-process -----------------------------------


def _body_for(app: Flask, file_wrapper: object, value: str) -> object:
    environ = EnvironBuilder(path=FIXTURE_ROLES["large"], headers={"Range": value}).get_environ()
    environ["wsgi.file_wrapper"] = file_wrapper
    return app(environ, lambda status, headers, exc_info=None: None)


# Past SMALL_BODY: smaller bodies are read at once and never reach a file wrapper.
_LENGTH = SMALL_BODY + 100


def test_gunicorn_gets_a_descriptor_at_the_first_octet(app: Flask, files_dir: Path) -> None:
    wsgi = pytest.importorskip("gunicorn.http.wsgi")
    first = 2**32 - 10
    body = _body_for(app, wsgi.FileWrapper, f"bytes={first}-{first + _LENGTH - 1}")
    try:
        assert isinstance(body, wsgi.FileWrapper)  # so gunicorn takes its sendfile path
        descriptor = body.filelike.fileno()
        assert os.lseek(descriptor, 0, os.SEEK_CUR) == first  # where sendfile starts
        # Without sendfile (TLS, --no-sendfile) gunicorn reads: the reads stop at the range.
        assert b"".join(body) == _octets(files_dir, "large", first, _LENGTH)
    finally:
        body.close()


def test_waitress_gets_a_seeked_file_it_bounds_by_content_length(
    app: Flask, files_dir: Path
) -> None:
    buffers = pytest.importorskip("waitress.buffers")
    first = 2**32 - 10
    body = _body_for(app, buffers.ReadOnlyFileBasedBuffer, f"bytes={first}-{first + _LENGTH - 1}")
    try:
        assert isinstance(body, buffers.ReadOnlyFileBasedBuffer)
        assert body.prepare(_LENGTH) == _LENGTH  # waitress passes the Content-Length
        assert body.get(_LENGTH + 1000, skip=True) == _octets(files_dir, "large", first, _LENGTH)
    finally:
        body.close()


def test_a_small_range_is_read_at_once_and_its_file_closed(app: Flask) -> None:
    """No wrapper, no iterator: one bytes object, and no descriptor left open behind it."""
    open_before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    first = 2**32 - 32_768  # a window of counter octets in the sparse file
    body = _body_for(app, object(), f"bytes={first}-{first + SMALL_BODY - 1}")
    assert body == [counter_stream(first, SMALL_BODY)]
    if open_before is not None:
        assert len(os.listdir("/proc/self/fd")) == open_before
