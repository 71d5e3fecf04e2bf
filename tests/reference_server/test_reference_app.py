"""The reference server through Flask's test client: statuses, headers and exact octets."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder
from werkzeug.wsgi import FileWrapper

from reference_server import FIXTURE_ROLES, create_app, send_file_ranged
from reference_server.bodies import SMALL_BODY
from reference_server.fixtures import LARGE_SIZE, counter_stream
from tests.helpers.multipart import parts_of

MAIN = FIXTURE_ROLES["main"]
LM = "Wed, 01 Jan 2020 00:00:00 GMT"
REPRESENTATION_FIELDS = ("Cache-Control", "ETag", "Last-Modified", "Content-Type")


def rep(files_dir: Path, name: str = "r1000.bin") -> bytes:
    return (files_dir / name).read_bytes()


def test_full_get(client: FlaskClient, files_dir: Path) -> None:
    response = client.get(MAIN)
    assert response.status_code == 200
    assert response.data == rep(files_dir)
    assert response.headers["Content-Length"] == "1000"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["Last-Modified"] == LM
    assert response.headers["ETag"].startswith('"3e8-')
    assert "Date" not in response.headers  # the HTTP server adds it (see test_reference_serve)
    assert "Content-Range" not in response.headers
    assert "Vary" not in response.headers


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("bytes=0-9", 0, 9),
        ("bytes=500-", 500, 999),
        ("bytes=-1", 999, 999),
        ("bytes=900-5000", 900, 999),
        ("bytes=0-999", 0, 999),
        ("BYTES=0-9", 0, 9),
    ],
    ids=["first-ten", "open-ended", "suffix", "clamped", "whole", "upper-case-unit"],
)
def test_single_range(
    client: FlaskClient, files_dir: Path, value: str, first: int, last: int
) -> None:
    full = client.get(MAIN)
    response = client.get(MAIN, headers={"Range": value})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/1000"
    assert response.headers["Content-Length"] == str(last - first + 1)
    assert response.data == rep(files_dir)[first : last + 1]
    for name in REPRESENTATION_FIELDS:  # RFC 9110 §15.3.7
        assert name in response.headers
        if name != "Date":
            assert response.headers[name] == full.headers[name]


@pytest.mark.parametrize(
    "value",
    ["bytes=5-2", "bytes=abc", "items=0-9", "bytes= 0-9", "bytes=0-1,0-1,0-1", "bytes=0-9,abc"],
)
def test_ignored_range_gives_full_200(client: FlaskClient, files_dir: Path, value: str) -> None:
    response = client.get(MAIN, headers={"Range": value})
    assert response.status_code == 200
    assert response.data == rep(files_dir)
    assert "Content-Range" not in response.headers


@pytest.mark.parametrize("value", ["bytes=1000-", "bytes=-0", "bytes=1000-1100,2000-"])
def test_unsatisfiable_gives_416(client: FlaskClient, value: str) -> None:
    response = client.get(MAIN, headers={"Range": value})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */1000"
    assert len(response.data) < 100


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes=0-0,-1", [(0, 0), (999, 999)]),
        ("bytes=500-599,0-99", [(500, 599), (0, 99)]),
        ("bytes=0-9,,20-29", [(0, 9), (20, 29)]),
        ("bytes=0-99,50-149,300-309", [(0, 149), (300, 309)]),
    ],
    ids=["MUL-01", "MUL-03", "SYN-10", "coalesced"],
)
def test_multipart(
    client: FlaskClient, files_dir: Path, value: str, expected: list[tuple[int, int]]
) -> None:
    response = client.get(MAIN, headers={"Range": value})
    assert response.status_code == 206
    assert "Content-Range" not in response.headers  # RFC 9110 §15.3.7.2
    assert response.headers["Content-Length"] == str(len(response.data))
    parts = parts_of(response.data, response.headers["Content-Type"])
    assert [fields["Content-Range"] for fields, _ in parts] == [
        f"bytes {a}-{b}/1000" for a, b in expected
    ]
    assert [data for _, data in parts] == [rep(files_dir)[a : b + 1] for a, b in expected]
    assert all(fields["Content-Type"] == "application/octet-stream" for fields, _ in parts)


def test_multipart_boundary_is_fresh(client: FlaskClient) -> None:
    types = {
        client.get(MAIN, headers={"Range": "bytes=0-0,-1"}).headers["Content-Type"]
        for _ in range(3)
    }
    assert len(types) == 3


def test_multipart_text_parts_carry_the_text_type(client: FlaskClient, files_dir: Path) -> None:
    response = client.get(FIXTURE_ROLES["text"], headers={"Range": "bytes=0-4,10-14"})
    parts = parts_of(response.data, response.headers["Content-Type"])
    assert [fields["Content-Type"] for fields, _ in parts] == ["text/plain; charset=utf-8"] * 2
    assert [data for _, data in parts] == [
        rep(files_dir, "text.txt")[0:5],
        rep(files_dir, "text.txt")[10:15],
    ]


def test_head_with_range_is_a_200_with_the_gets_headers(client: FlaskClient) -> None:
    get = client.get(MAIN)
    response = client.head(MAIN, headers={"Range": "bytes=0-9"})
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "1000"
    assert sorted(k for k, _ in response.headers if k != "Date") == sorted(
        k for k, _ in get.headers if k != "Date"
    )


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"If-None-Match": "ETAG"}, 304),
        ({"If-None-Match": "*", "Range": "bytes=0-9"}, 304),
        ({"If-Modified-Since": LM, "Range": "bytes=0-9"}, 304),
        ({"If-Match": '"other"', "Range": "bytes=5000-"}, 412),
        ({"If-Unmodified-Since": "Tue, 31 Dec 2019 00:00:00 GMT"}, 412),
        ({"If-Range": "ETAG", "Range": "bytes=0-9"}, 206),
        ({"If-Range": LM, "Range": "bytes=0-9"}, 206),
        ({"If-Range": "W/ETAG", "Range": "bytes=0-9"}, 200),
        ({"If-Range": '"not-E"', "Range": "bytes=5000-"}, 200),
        ({"If-Range": "Thu, 02 Jan 2020 00:00:00 GMT", "Range": "bytes=0-9"}, 200),
    ],
    ids=[
        "PRE-01",
        "PRE-03",
        "PRE-06",
        "PRE-12",
        "PRE-15",
        "IFR-01",
        "IFR-06",
        "IFR-03",
        "IFR-13",
        "IFR-08",
    ],
)
def test_conditionals(client: FlaskClient, headers: dict[str, str], status: int) -> None:
    etag = client.head(MAIN).headers["ETag"]
    sent = {k: v.replace("ETAG", etag) for k, v in headers.items()}
    response = client.get(MAIN, headers=sent)
    assert response.status_code == status
    if status == 304:
        assert response.data == b""
        assert "Content-Length" not in response.headers
        assert "Content-Range" not in response.headers
        for name in ("ETag", "Cache-Control", "Last-Modified"):
            assert name in response.headers
    if status == 412:
        assert 0 < len(response.data) < 100


def test_gzip_negotiation(client: FlaskClient, files_dir: Path) -> None:
    url = FIXTURE_ROLES["gzip"]
    compressed = rep(files_dir, "gzip.txt.gz")
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    coded = client.get(url, headers={"Accept-Encoding": "br;q=1, gzip;q=0.5"})
    assert plain.data == rep(files_dir, "gzip.txt")
    assert "Content-Encoding" not in plain.headers
    assert coded.headers["Content-Encoding"] == "gzip"
    assert coded.data == compressed
    assert gzip.decompress(coded.data) == plain.data
    assert plain.headers["Vary"] == coded.headers["Vary"] == "Accept-Encoding"
    assert plain.headers["ETag"] != coded.headers["ETag"]
    assert plain.headers["Content-Type"] == coded.headers["Content-Type"]
    ranged = client.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=10-19"})
    assert ranged.status_code == 206
    assert ranged.headers["Content-Range"] == f"bytes 10-19/{len(compressed)}"
    assert ranged.data == compressed[10:20]
    assert ranged.headers["Vary"] == "Accept-Encoding"
    # The identity tag must not validate the gzip variant (RFC 9110 §8.8.3).
    mixed = client.get(
        url,
        headers={
            "Accept-Encoding": "gzip",
            "Range": "bytes=10-19",
            "If-Range": plain.headers["ETag"],
        },
    )
    assert mixed.status_code == 200


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "", "*;q=0", "deflate"])
def test_gzip_not_accepted(client: FlaskClient, accept: str) -> None:
    response = client.get(FIXTURE_ROLES["gzip"], headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in response.headers


def test_large_file_offsets_past_4gib(client: FlaskClient, files_dir: Path) -> None:
    response = client.get(FIXTURE_ROLES["large"], headers={"Range": "bytes=4294967296-4294967305"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == "bytes 4294967296-4294967305/5000000000"
    with (files_dir / "large.bin").open("rb") as file:
        file.seek(4294967296)
        expected = file.read(10)
    assert response.data == expected == counter_stream(4294967296, 10)
    tail = client.get(FIXTURE_ROLES["large"], headers={"Range": "bytes=-10"})
    assert tail.headers["Content-Range"] == "bytes 4999999990-4999999999/5000000000"
    assert tail.data == counter_stream(LARGE_SIZE - 10, 10)


def test_head_on_large_reports_its_length(client: FlaskClient) -> None:
    response = client.head(FIXTURE_ROLES["large"])
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "5000000000"


def test_large_body_is_streamed_not_joined(client: FlaskClient) -> None:
    response = client.get(FIXTURE_ROLES["large"], buffered=False)
    try:
        assert response.status_code == 200
        assert response.is_streamed
        assert not isinstance(response.response, (bytes, list, tuple))
        first = next(iter(response.response))
        assert first == counter_stream(0, 64 * 1024)
    finally:
        response.close()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (0, 99_999)),
        ("bytes=10-70009", (10, 70_009)),
        ("bytes=0-99999", (0, 99_999)),
    ],
    ids=["full", "sub-range", "whole-range"],
)
def test_wsgi_file_wrapper_is_bounded(
    tmp_path: Path, value: str | None, expected: tuple[int, int]
) -> None:
    """Bodies past SMALL_BODY go to the server's file wrapper, which sees only their octets."""
    content = counter_stream(0, 100_000)
    assert len(content) > SMALL_BODY
    (tmp_path / "big.bin").write_bytes(content)
    headers = {"Range": value} if value else {}
    environ = EnvironBuilder(path="/files/big.bin", headers=headers).get_environ()
    environ["wsgi.file_wrapper"] = FileWrapper
    statuses: list[str] = []
    body = create_app(tmp_path)(
        environ, lambda status, headers, exc_info=None: statuses.append(status)
    )
    try:
        assert isinstance(body, FileWrapper)  # handed to the server as-is: zero-copy possible
        assert b"".join(body) == content[expected[0] : expected[1] + 1]
    finally:
        body.close()


def test_empty_file_ignores_every_range(client: FlaskClient) -> None:
    for value in ("bytes=0-", "bytes=-1", "bytes=-0", "bytes=5-10", "bytes=abc"):
        response = client.get(FIXTURE_ROLES["empty"], headers={"Range": value})
        assert response.status_code == 200
        assert response.data == b""
        assert response.headers["Content-Length"] == "0"


@pytest.mark.parametrize(
    "path",
    [
        "/files/../pyproject.toml",
        "/files/%2e%2e/pyproject.toml",
        "/files//etc/passwd",
        "/files/..%5cr1000.bin",
        "/files/r1000.bin%00",
        "/files/%00",
        "/files/sub/../../x",
        "/files/",
        "/files/.",
        "/files/no-such-file.bin",
        "/weak/../x",
        "/dynamic/%2e%2e/x",
    ],
)
def test_path_traversal_is_refused(client: FlaskClient, path: str) -> None:
    response = client.get(path, follow_redirects=True)  # "//" is first merged by a 308
    assert response.status_code in (400, 404)


def test_symlink_out_of_the_directory_is_refused(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (served / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert create_app(served).test_client().get("/files/link.txt").status_code == 404


def test_weak_route(client: FlaskClient) -> None:
    response = client.get(FIXTURE_ROLES["weak"], headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    etag = response.headers["ETag"]
    assert etag.startswith('W/"')
    assert (
        client.get(
            FIXTURE_ROLES["weak"], headers={"Range": "bytes=0-9", "If-Range": etag}
        ).status_code
        == 200
    )  # IFR-04
    assert client.get(FIXTURE_ROLES["weak"], headers={"If-None-Match": etag}).status_code == 304


def test_dynamic_route_has_no_validators(client: FlaskClient) -> None:
    response = client.get(FIXTURE_ROLES["dynamic"], headers={"Range": "bytes=0-9"})
    assert response.status_code == 206
    assert "ETag" not in response.headers
    assert "Last-Modified" not in response.headers
    ifr = client.get(FIXTURE_ROLES["dynamic"], headers={"Range": "bytes=0-9", "If-Range": '"x"'})
    assert ifr.status_code == 200  # IFR-19


def test_redirect_route(client: FlaskClient) -> None:
    response = client.get(FIXTURE_ROLES["redirect"], headers={"Range": "bytes=0-0"})
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/files/r1000.bin")
    assert "Content-Range" not in response.headers


def test_missing_with_range_is_404(client: FlaskClient) -> None:  # PRE-22, PRE-23
    response = client.get(
        FIXTURE_ROLES["missing"], headers={"Range": "bytes=0-0", "If-Match": '"x"'}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "RANGETEST"])
def test_other_methods_are_405(client: FlaskClient, method: str) -> None:
    response = client.open(MAIN, method=method, headers={"Range": "bytes=0-9"})
    assert response.status_code == 405
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "HEAD"}
    assert "Content-Range" not in response.headers


def test_options_is_not_ranged(client: FlaskClient) -> None:
    response = client.options(MAIN, headers={"Range": "bytes=0-9"})
    assert response.status_code in (200, 204)
    assert "GET" in response.headers["Allow"]
    assert "Content-Range" not in response.headers


def test_request_range_and_content_range_are_ignored(client: FlaskClient, files_dir: Path) -> None:
    legacy = client.get(MAIN, headers={"Request-Range": "bytes=0-0,-1"})
    assert legacy.status_code == 200
    both = client.get(MAIN, headers={"Range": "bytes=0-9", "Request-Range": "bytes=0-,0-,0-"})
    assert both.status_code == 206
    assert both.data == rep(files_dir)[:10]
    content_range = client.get(MAIN, headers={"Content-Range": "bytes 0-9/1000"})
    assert content_range.status_code == 200
    assert content_range.data == rep(files_dir)


def test_send_file_ranged_in_someone_elses_app(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    target.write_bytes(bytes(range(256)))
    app = Flask(__name__)

    @app.get("/video")
    def video():  # type: ignore[no-untyped-def]
        return send_file_ranged(target, mimetype="video/mp4", etag="v1", max_age=None)

    response = app.test_client().get("/video", headers={"Range": "bytes=16-31", "If-Range": '"v1"'})
    assert response.status_code == 206
    assert response.data == bytes(range(16, 32))
    assert response.headers["ETag"] == '"v1"'
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Cache-Control"] == "no-cache"


def test_blueprint_under_a_prefix(files_dir: Path) -> None:
    from reference_server import create_blueprint

    app = Flask(__name__)
    app.register_blueprint(create_blueprint(files_dir), url_prefix="/media")
    client = app.test_client()
    assert client.get("/media/files/r1000.bin", headers={"Range": "bytes=0-0"}).status_code == 206
    assert (
        client.get("/media/redirect/r1000.bin")
        .headers["Location"]
        .endswith("/media/files/r1000.bin")
    )
