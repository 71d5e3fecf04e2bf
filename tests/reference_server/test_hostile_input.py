"""The reference server against hostile input: the CVE-2011-3192 class and hostile paths.

Range sets: 10 000 ranges, 1 000 overlapping ranges, reversed orders, 64 KB fields. Each gets a
bounded CPU time, a response of at most twice the file (RFC 9110 §17.15) and flat memory.
Paths: "..", encoded, absolute, backslashes, NUL, symlinks out of the root, very long names.
Each is a 404 (or 400), never a 5xx and never a byte from outside the served directory.
"""

from __future__ import annotations

import gc
import http.client
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.test import Client

from reference_server import create_app, create_wsgi_app, send_file_ranged, serve_in_thread
from reference_server.ranges import AMPLIFICATION_LIMIT
from tests.helpers.process import requires_proc, rss
from tests.helpers.responses import check_response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

# Per request, measured as the CPU time of the thread that runs the app through the test client.
# The largest shape costs ~30 ms here; the bound leaves room for slow CI machines.
CPU_BOUND_S = 0.5
RSS_GROWTH_BOUND = 16 * 2**20
FIELD_64K = 64 * 1024 - 100  # fits under Werkzeug's 65 536-octet line limit with "Range: "

HOSTILE_RANGES: dict[str, str] = {
    "10000-small": "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 20_000, 2)),
    "10000-whole": "bytes=" + ",".join(["0-"] * 10_000),
    "1000-overlapping": "bytes=0-," + ",".join(f"5-{i}" for i in range(5, 1005)),
    "1000-overlapping-reversed": "bytes=" + ",".join(f"5-{i}" for i in range(1004, 4, -1)) + ",0-",
    "100-small-reversed": "bytes=" + ",".join(f"{i}-{i}" for i in range(198, -1, -2)),
    "100-far-apart": "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 1000, 10)),
    "100-suffixes": "bytes=" + ",".join(f"-{i}" for i in range(1, 101)),
    "2-overlapping-whole": "bytes=0-,0-",
    "64k-numeral": "bytes=0-" + "9" * (FIELD_64K - 8),
    "64k-leading-zeros": "bytes=" + "0" * (FIELD_64K - 9) + "1-2",
    "64k-commas": "bytes=" + "," * (FIELD_64K - 10) + "0-0",
    "64k-whitespace": "bytes=0-0" + " \t" * ((FIELD_64K - 10) // 2) + ",1-1",
    "64k-ranges": "bytes=" + ",".join(["10-999"] * (FIELD_64K // 7)),
    "64k-invalid-tail": "bytes=" + "0-0," * (FIELD_64K // 4 - 2) + "x",
}
HOSTILE_FIELDS: dict[str, tuple[str, str]] = {
    "if-none-match-64k": ("If-None-Match", '"a",' * (FIELD_64K // 4)),
    "if-match-64k": ("If-Match", 'W/"a", ' * (FIELD_64K // 7)),
    "if-range-64k": ("If-Range", '"' + "a" * FIELD_64K + '"'),
    "if-modified-since-64k": ("If-Modified-Since", "Wed, 01 Jan 2020 " * (FIELD_64K // 17)),
    "accept-encoding-64k": ("Accept-Encoding", "gzip;q=0.5, " * (FIELD_64K // 12)),
}


def timed_get(
    app: Flask, url: str, headers: dict[str, str]
) -> tuple[float, int, dict[str, str], bytes]:
    start = time.thread_time()
    with app.test_client().get(url, headers=headers) as response:
        body = response.get_data()
        status, fields = response.status_code, dict(response.headers)
    return time.thread_time() - start, status, fields, body


@pytest.mark.parametrize("value", HOSTILE_RANGES.values(), ids=HOSTILE_RANGES.keys())
@pytest.mark.parametrize(("url", "name"), [("/files/r1000.bin", "r1000.bin"),
                                           ("/files/gzip.txt", "gzip.txt")])  # fmt: skip
def test_hostile_range_sets_are_cheap_and_bounded(
    app: Flask, files_dir: Path, url: str, name: str, value: str
) -> None:
    files = {"identity": (files_dir / name).read_bytes()}
    if (files_dir / f"{name}.gz").exists():
        files["gzip"] = (files_dir / f"{name}.gz").read_bytes()
    for encoding in ("identity", "gzip"):
        cpu, status, fields, body = timed_get(
            app, url, {"Range": value, "Accept-Encoding": encoding}
        )
        assert cpu < CPU_BOUND_S, f"{cpu * 1000:.0f} ms of CPU for one request"
        assert status in (200, 206, 416)
        check_response("GET", status, fields, body, files)  # includes the 2x bound


def test_the_cve_2011_3192_shapes_are_answered_without_parts(app: Flask, files_dir: Path) -> None:
    full = (files_dir / "r1000.bin").read_bytes()
    for key in ("10000-small", "10000-whole", "1000-overlapping", "1000-overlapping-reversed"):
        _, status, _, body = timed_get(app, "/files/r1000.bin", {"Range": HOSTILE_RANGES[key]})
        assert (status, body) == (200, full), key


@pytest.mark.parametrize(("name", "value"), HOSTILE_FIELDS.values(), ids=HOSTILE_FIELDS.keys())
def test_hostile_conditional_fields_are_cheap(
    app: Flask, files_dir: Path, name: str, value: str
) -> None:
    files = {"identity": (files_dir / "gzip.txt").read_bytes(),
             "gzip": (files_dir / "gzip.txt.gz").read_bytes()}  # fmt: skip
    cpu, status, fields, body = timed_get(
        app, "/files/gzip.txt", {name: value, "Range": "bytes=0-9"}
    )
    assert cpu < CPU_BOUND_S
    check_response("GET", status, fields, body, files)


@requires_proc
def test_memory_stays_flat_under_hostile_ranges(app: Flask) -> None:
    client = app.test_client()
    values = list(HOSTILE_RANGES.values())

    def burst() -> None:
        for value in values * 6:
            with client.get("/files/r10000.bin", headers={"Range": value}) as response:
                response.get_data()

    burst()  # warm-up: caches, interned strings, allocator arenas
    gc.collect()
    before = rss()
    burst()
    burst()
    gc.collect()
    assert rss() - before < RSS_GROWTH_BOUND


def test_over_the_wire_a_64k_field_is_served_and_a_larger_one_refused(files_dir: Path) -> None:
    with serve_in_thread(create_app(files_dir)) as base_url:
        netloc = urlsplit(base_url).netloc
        for value, allowed in (
            (HOSTILE_RANGES["64k-ranges"], {200, 206}),
            (HOSTILE_RANGES["10000-small"] * 2, {400, 431}),  # 108 KB: past the line limit
        ):
            connection = http.client.HTTPConnection(netloc, timeout=10)
            try:
                connection.request("GET", "/files/r1000.bin", headers={"Range": value})
                response = connection.getresponse()
                body = response.read()
                assert response.status in allowed
                assert len(body) <= AMPLIFICATION_LIMIT * 1000
            finally:
                connection.close()
        connection = http.client.HTTPConnection(netloc, timeout=10)
        try:
            connection.request("GET", "/files/r1000.bin")  # the server still works afterwards
            assert connection.getresponse().read() == (files_dir / "r1000.bin").read_bytes()
        finally:
            connection.close()


@pytest.mark.parametrize("mimetype_length", [55, 300, 4000])
def test_long_part_fields_count_against_the_amplification_budget(
    tmp_path: Path, mimetype_length: int
) -> None:
    """Each part repeats the Content-Type: with a long one, 100 one-octet ranges would cost
    several times the file unless the budget counts the part fields as they are."""
    (tmp_path / "f.bin").write_bytes(bytes(10_000))
    app = Flask(__name__)
    mimetype = "application/x-" + "a" * (mimetype_length - 14)

    @app.get("/f")
    def serve() -> object:
        return send_file_ranged(tmp_path / "f.bin", mimetype=mimetype)

    value = "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 10_000, 100))
    response = Client(app).get("/f", headers={"Range": value})
    assert response.status_code in (200, 206)
    assert len(response.get_data()) <= AMPLIFICATION_LIMIT * 10_000


# --- paths -----------------------------------------------------------------------------------

SECRET = b"SECRET-OUTSIDE-THE-ROOT\n"


@pytest.fixture(scope="module")
def jail(tmp_path_factory: pytest.TempPathFactory, files_dir: Path) -> Path:
    """A served directory with symlinks pointing out of it, next to a file it must not serve."""
    base = tmp_path_factory.mktemp("jail")
    (base / "secret.txt").write_bytes(SECRET)
    (base / "secret.txt.gz").write_bytes(SECRET)
    root = base / "root"
    root.mkdir()
    shutil.copy(files_dir / "r1000.bin", root / "r1000.bin")
    (root / "sub").mkdir()
    (root / "sub" / "inside.bin").write_bytes(b"inside")
    os.symlink(base / "secret.txt", root / "out-absolute.txt")
    os.symlink("../secret.txt", root / "out-relative.txt")
    os.symlink("../../secret.txt", root / "sub" / "out-deeper.txt")
    os.symlink(base, root / "outdir")
    os.symlink("../r1000.bin", root / "sub" / "in.bin")  # stays inside: may be served
    os.symlink("loop", root / "loop")
    return root


def hostile_paths(jail: Path) -> list[str]:
    secret = os.fspath(jail.parent / "secret.txt")
    long_name = "a" * 300
    return [
        "/files/../secret.txt",
        "/files/../../../../../../etc/passwd",
        "/files/%2e%2e/secret.txt",
        "/files/%2E%2E%2Fsecret.txt",
        "/files/..%2fsecret.txt",
        "/files/.%2e/secret.txt",
        "/files/%252e%252e/secret.txt",  # double-encoded: a literal "%2e%2e" directory
        "/files/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 dots
        "/files/..%5csecret.txt",
        "/files/..\\secret.txt",
        "/files/sub\\..\\..\\secret.txt",
        "/files//etc/passwd",
        "/files/%2fetc%2fpasswd",
        "/files/" + secret,
        "/files/" + secret.replace("/", "%2f"),
        "/files/r1000.bin%00",
        "/files/r1000.bin%00.txt",
        "/files/%00../secret.txt",
        "/files/out-absolute.txt",
        "/files/out-relative.txt",
        "/files/sub/out-deeper.txt",
        "/files/outdir/secret.txt",
        "/files/loop",
        "/files/sub/",
        "/files/r1000.bin/",
        "/files/" + long_name,
        "/files/" + long_name + "/" + long_name,
        "/files/" + "a" * 5000,
        "/files/" + "x/" * 2000 + "r1000.bin",
        "/files/" + "../" * 2000 + "etc/passwd",
        "/files/%ff%fe%fd",
        "/files/C:%5cWindows%5cwin.ini",
        "/files/r1000.bin%0d%0aX-Injected:%201",
        "/weak/out-relative.txt",
        "/dynamic/outdir/secret.txt",
        "/redirect/../secret.txt",
        "/redirect/%2e%2e/%2e%2e/secret.txt",
        "/redirect/out-relative.txt",
        "/redirect/no-such-file",
    ]


# Both front doors resolve names their own way (the WSGI app opens plain names without following
# symlinks), so every path test runs through each.
FRONT_DOORS = pytest.mark.parametrize(
    "front_door", [create_app, create_wsgi_app], ids=["flask", "wsgi"]
)


@FRONT_DOORS
def test_hostile_paths_through_the_test_client(
    jail: Path, front_door: Callable[[Path], WSGIApplication]
) -> None:
    client = Client(front_door(jail))
    for path in hostile_paths(jail):
        for accept_encoding in ("identity", "gzip"):
            with client.get(path, headers={"Accept-Encoding": accept_encoding}) as response:
                body = response.get_data()
                assert response.status_code in (400, 404), path
                assert SECRET not in body, path
                assert "X-Injected" not in response.headers


@FRONT_DOORS
def test_hostile_paths_over_the_wire(
    jail: Path, front_door: Callable[[Path], WSGIApplication]
) -> None:
    """Unnormalised request targets, as an attacker's client would send them."""
    with serve_in_thread(front_door(jail)) as base_url:
        netloc = urlsplit(base_url).netloc
        for path in hostile_paths(jail):
            connection = http.client.HTTPConnection(netloc, timeout=10)
            try:
                connection.putrequest("GET", path, skip_accept_encoding=True)
                connection.putheader("Accept-Encoding", "gzip")
                connection.endheaders()
                response = connection.getresponse()
                body = response.read()
            finally:
                connection.close()
            assert response.status in (400, 404, 414, 431), path
            assert SECRET not in body, path


@FRONT_DOORS
def test_symlinks_inside_the_root_are_still_served(
    jail: Path, front_door: Callable[[Path], WSGIApplication]
) -> None:
    client = Client(front_door(jail))
    with client.get("/files/sub/in.bin") as response:
        assert response.status_code == 200
        assert response.get_data() == (jail / "r1000.bin").read_bytes()
    with client.get("/redirect/sub/inside.bin") as response:
        assert response.status_code == 301


@pytest.fixture
def gz_sibling_jail(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (root / "page.txt").write_bytes(b"public\n")
    os.symlink("../secret.txt", root / "page.txt.gz")
    return root


@FRONT_DOORS
def test_a_gz_sibling_symlink_does_not_escape_the_root(
    gz_sibling_jail: Path, front_door: Callable[[Path], WSGIApplication]
) -> None:
    client = Client(front_door(gz_sibling_jail))
    with client.get("/files/page.txt", headers={"Accept-Encoding": "gzip"}) as response:
        assert SECRET not in response.get_data()
