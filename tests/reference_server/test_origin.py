"""The controllable origin, over real sockets on 127.0.0.1: what it serves for each put and
replace, the faults it injects (checked octet by octet on a raw socket), its request log, its
control errors, and the patterns its octets come from."""

from __future__ import annotations

import gzip
import http.client
import json
import random
import socket
import struct
import tracemalloc
from collections.abc import Iterator
from email.message import Message
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from reference_server import FIXTURE_ROLES
from reference_server.fixtures import counter_stream
from reference_server.origin import CONTROL_PATH, ControlError, Origin, serve_origin
from reference_server.patterns import PERIOD, octets, pattern, stream

Served = tuple[Origin, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One origin for the module; each test uses paths of its own."""
    fixtures = tmp_path_factory.mktemp("origin-fixtures")
    with serve_origin(fixtures_dir=fixtures) as pair:
        yield pair


# -- clients ---------------------------------------------------------------------------------


def _connection(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)


def fetch(
    base: str, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, Message, bytes]:
    """One request with http.client (which sends Accept-Encoding: identity unless told)."""
    connection = _connection(base)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.msg, response.read()
    finally:
        connection.close()


def control(base: str, payload: object) -> tuple[int, str, Any]:
    """POST a control operation; (status, Content-Type, decoded JSON)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    connection = _connection(base)
    try:
        connection.request(
            "POST", CONTROL_PATH, body=body, headers={"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), json.loads(response.read())
    finally:
        connection.close()


def ok(base: str, payload: dict[str, Any]) -> dict[str, Any]:
    status, content_type, reply = control(base, payload)
    assert (status, content_type) == (200, "application/json"), reply
    assert isinstance(reply, dict)
    return reply


def raw(base: str, path: str, extra: str = "") -> tuple[bytes, OSError | None]:
    """Send a GET on a raw socket and read until the server closes: every octet it sent."""
    parts = urlsplit(base)
    request = f"GET {path} HTTP/1.1\r\nHost: origin\r\n{extra}Connection: close\r\n\r\n"
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as sock:
        sock.sendall(request.encode("ascii"))
        received = bytearray()
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as error:  # a reset may show as ECONNRESET instead of EOF
            return bytes(received), error
    return bytes(received), None


def split(response: bytes) -> tuple[str, dict[str, str], bytes]:
    """(status line, fields by lower-case name, body octets) of a raw response."""
    head, separator, body = response.partition(b"\r\n\r\n")
    assert separator, f"no end of header section in {response[:200]!r}"
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return status_line, fields, body


def dechunk(body: bytes) -> bytes:
    """The content of a chunked body; fails unless it ends with the last-chunk."""
    content = bytearray()
    position = 0
    while True:
        line_end = body.index(b"\r\n", position)
        size = int(body[position:line_end].split(b";")[0], 16)
        position = line_end + 2
        if size == 0:
            assert body[position:] == b"\r\n"
            return bytes(content)
        content += body[position : position + size]
        assert body[position + size : position + size + 2] == b"\r\n"
        position += size + 2


def multipart_parts(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Each part's fields and octets from a multipart/byteranges body."""
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    delimiter = b"\r\n--" + boundary
    pieces = (b"\r\n" + body).split(delimiter)
    assert pieces[0] == b""
    assert pieces[-1].startswith(b"--")  # the close-delimiter
    parts = []
    for piece in pieces[1:-1]:
        head, _, data = piece.partition(b"\r\n\r\n")
        fields = {}
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        parts.append((fields, data))
    return parts


# -- serving a representation ----------------------------------------------------------------


def test_put_then_get_serves_the_version_with_its_validators(served: Served) -> None:
    origin, base = served
    reply = ok(base, {"op": "put", "path": "/o/basic.bin", "size": 100_000})
    assert reply["path"] == "/o/basic.bin"
    assert (reply["version"], reply["size"], reply["gzip_etag"]) == (1, 100_000, None)
    assert reply["etag"].startswith('"v1-100000-')
    assert reply["etag"].endswith('"')
    status, headers, body = fetch(base, "/o/basic.bin")
    assert status == 200
    assert body == octets(1, 0, 99_999)
    assert headers["ETag"] == reply["etag"]
    assert headers["Last-Modified"] == reply["last_modified"]
    assert headers["Cache-Control"] == "public, max-age=3600"
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Length"] == "100000"
    assert headers["Accept-Ranges"] == "bytes"
    assert origin.current("/o/basic.bin").to_json() == reply


def test_representation_options_change_the_fields(served: Served) -> None:
    origin, base = served
    reply = ok(
        base,
        {
            "op": "put",
            "path": "/o/options.txt",
            "size": 500,
            "version": 7,
            "etag": "none",
            "last_modified": False,
            "cache_control": "max-age=5, must-revalidate",
            "content_type": "text/plain",
        },
    )
    assert (reply["version"], reply["etag"], reply["last_modified"]) == (7, None, None)
    status, headers, body = fetch(base, "/o/options.txt")
    assert status == 200
    assert body == octets(7, 0, 499)
    assert "ETag" not in headers
    assert "Last-Modified" not in headers
    assert headers["Cache-Control"] == "max-age=5, must-revalidate"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    origin.put("/o/options.txt", 500, cache_control=None)
    assert "Cache-Control" not in fetch(base, "/o/options.txt")[1]


@pytest.mark.parametrize(
    ("first", "last"),
    [(10, 19), (PERIOD - 6, PERIOD + 9), (99_990, 99_999)],
    ids=["small", "across-the-period", "at-the-end"],
)
def test_a_single_range_gives_206_with_its_octets(served: Served, first: int, last: int) -> None:
    origin, base = served
    origin.put("/o/single.bin", 100_000, version=3)
    status, headers, body = fetch(base, "/o/single.bin", {"Range": f"bytes={first}-{last}"})
    assert status == 206
    assert headers["Content-Range"] == f"bytes {first}-{last}/100000"
    assert body == octets(3, first, last)
    assert body == origin.octets("/o/single.bin", 3, first, last)


def test_several_ranges_give_multipart_byteranges(served: Served) -> None:
    origin, base = served
    origin.put("/o/multi.bin", 5000)
    status, headers, body = fetch(base, "/o/multi.bin", {"Range": "bytes=0-9,100-199,-5"})
    assert status == 206
    assert "Content-Range" not in headers
    parts = multipart_parts(headers["Content-Type"], body)
    assert [(fields["content-range"], data) for fields, data in parts] == [
        ("bytes 0-9/5000", octets(1, 0, 9)),
        ("bytes 100-199/5000", octets(1, 100, 199)),
        ("bytes 4995-4999/5000", octets(1, 4995, 4999)),
    ]
    assert all(fields["content-type"] == "application/octet-stream" for fields, _ in parts)
    assert int(headers["Content-Length"]) == len(body)


def test_query_is_ignored_and_never_put_paths_are_404(served: Served) -> None:
    origin, base = served
    origin.put("/o/query.bin", 300)
    assert fetch(base, "/o/query.bin?cache-buster=1")[2] == octets(1, 0, 299)
    status, _, body = fetch(base, "/o/never-put.bin")
    assert (status, body) == (404, b"Not Found\n")
    assert fetch(base, "/o/query.bin", method="POST")[0] == 405


def test_replace_changes_octets_etag_and_last_modified(served: Served) -> None:
    origin, base = served
    before = ok(base, {"op": "put", "path": "/o/replaced.bin", "size": 2000})
    _, old_headers, old_body = fetch(base, "/o/replaced.bin")
    after = ok(base, {"op": "replace", "path": "/o/replaced.bin", "version": 2})
    status, headers, body = fetch(base, "/o/replaced.bin")
    assert status == 200
    assert old_body == octets(1, 0, 1999)
    assert body == octets(2, 0, 1999) != old_body
    assert headers["ETag"] == after["etag"] != before["etag"] == old_headers["ETag"]
    assert not after["etag"].startswith("W/")
    old_date = parsedate_to_datetime(old_headers["Last-Modified"])
    assert parsedate_to_datetime(headers["Last-Modified"]) > old_date
    # If-Range with the old validator: the range no longer applies, the new version comes whole
    stale = {"Range": "bytes=0-9", "If-Range": before["etag"]}
    status, headers, body = fetch(base, "/o/replaced.bin", stale)
    assert (status, body) == (200, octets(2, 0, 1999))
    fresh = {"Range": "bytes=0-9", "If-Range": after["etag"]}
    status, headers, body = fetch(base, "/o/replaced.bin", fresh)
    assert (status, body) == (206, octets(2, 0, 9))
    # without a version, replace takes the next one
    assert origin.replace("/o/replaced.bin").version == 3
    assert fetch(base, "/o/replaced.bin")[2] == octets(3, 0, 1999)


def test_a_request_in_flight_keeps_its_version_and_old_files_go(tmp_path: Path) -> None:
    size = 8 * 1024 * 1024
    with serve_origin(fixtures_dir=tmp_path / "fixtures") as (origin, base):
        origin.put("/o/flight.bin", size)
        connection = _connection(base)
        try:
            connection.request("GET", "/o/flight.bin")
            response = connection.getresponse()
            head = response.read(65536)
            origin.replace("/o/flight.bin", 2)
            versions = list(origin.directory.iterdir())
            rest = response.read()
        finally:
            connection.close()
        assert head + rest == octets(1, 0, size - 1)
        assert [path.name.split("-")[0] for path in versions] == ["v2"]
        assert fetch(base, "/o/flight.bin", {"Range": "bytes=0-99"})[2] == octets(2, 0, 99)


def test_a_weak_etag_is_weak_and_stays_weak(served: Served) -> None:
    origin, base = served
    before = ok(base, {"op": "put", "path": "/o/weak.bin", "size": 1000, "etag": "weak"})
    after = ok(base, {"op": "replace", "path": "/o/weak.bin", "version": 5})
    assert before["etag"].startswith('W/"')
    assert after["etag"].startswith('W/"')
    assert after["etag"] != before["etag"]
    status, headers, _ = fetch(base, "/o/weak.bin")
    assert (status, headers["ETag"]) == (200, after["etag"])
    # RFC 9110 §13.1.5: a weak tag never satisfies If-Range
    status, _, body = fetch(base, "/o/weak.bin", {"Range": "bytes=0-9", "If-Range": after["etag"]})
    assert (status, body) == (200, octets(5, 0, 999))


def test_vary_is_on_every_answer(served: Served) -> None:
    origin, base = served
    etag = origin.put("/o/vary.bin", 1000, vary="Accept-Language").etag
    assert etag is not None
    requests = {
        200: {},
        206: {"Range": "bytes=0-0"},
        304: {"If-None-Match": etag},
        416: {"Range": "bytes=5000-"},
    }
    for expected, headers in requests.items():
        status, answer, _ = fetch(base, "/o/vary.bin", headers)
        assert (status, answer.get_all("Vary")) == (expected, ["Accept-Language"])


def test_gzip_variant_goes_to_clients_that_accept_it(served: Served) -> None:
    origin, base = served
    reply = ok(
        base,
        {"op": "put", "path": "/o/coded.bin", "size": 70_000, "gzip": True, "vary": "Origin"},
    )
    status, coded_headers, coded = fetch(base, "/o/coded.bin", {"Accept-Encoding": "gzip"})
    assert status == 200
    assert coded_headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(coded) == octets(1, 0, 69_999)
    status, plain_headers, plain = fetch(base, "/o/coded.bin")
    assert status == 200
    assert "Content-Encoding" not in plain_headers
    assert plain == octets(1, 0, 69_999)
    assert coded_headers["ETag"] == reply["gzip_etag"]
    assert plain_headers["ETag"] == reply["etag"] != reply["gzip_etag"]
    assert coded_headers["Vary"] == plain_headers["Vary"] == "Origin, Accept-Encoding"
    # a range of the gzip variant is a range of its coded octets
    status, _, part = fetch(base, "/o/coded.bin", {"Accept-Encoding": "gzip", "Range": "bytes=0-9"})
    assert (status, part) == (206, coded[:10])


@pytest.mark.parametrize(
    ("extra", "expected_status", "first", "last"),
    [
        ("", "200 OK", 0, 199_999),
        ("Range: bytes=100-70099\r\n", "206 Partial Content", 100, 70_099),
    ],
    ids=["200", "206"],
)
def test_chunked_answers_have_no_content_length(
    served: Served, extra: str, expected_status: str, first: int, last: int
) -> None:
    origin, base = served
    origin.put("/o/chunked.bin", 200_000, chunked=True)
    response, error = raw(base, "/o/chunked.bin", extra)
    assert error is None
    status_line, fields, body = split(response)
    assert status_line == f"HTTP/1.1 {expected_status}"
    assert fields["transfer-encoding"] == "chunked"
    assert "content-length" not in fields
    assert dechunk(body) == octets(1, first, last)


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("after", [0, 1000, 70_000], ids=["at-0", "in-first-chunk", "later"])
def test_a_cut_sends_exactly_after_octets_then_closes_for_count_requests(
    served: Served, after: int
) -> None:
    origin, base = served
    path = f"/o/cut-{after}.bin"
    origin.put(path, 200_000)
    assert ok(base, {"op": "fault", "path": path, "kind": "cut", "after": after, "count": 2}) == {
        "ok": True
    }
    for _ in range(2):
        response, _ = raw(base, path)
        status_line, fields, body = split(response)
        assert status_line == "HTTP/1.1 200 OK"
        assert fields["content-length"] == "200000"  # promised whole, then cut
        assert body == octets(1, 0, after - 1)
    response, error = raw(base, path)
    assert error is None
    assert split(response)[2] == octets(1, 0, 199_999)  # count spent: normal service
    logged = [(r.status, r.octets, r.complete, r.fault) for r in origin.log(path)]
    assert logged == [(200, after, False, "cut")] * 2 + [(200, 200_000, True, None)]


def test_a_cut_of_a_range_and_past_the_body(served: Served) -> None:
    origin, base = served
    origin.put("/o/cut-range.bin", 5000)
    origin.fault("/o/cut-range.bin", "cut", after=10, count=2)
    status_line, fields, body = split(raw(base, "/o/cut-range.bin", "Range: bytes=100-199\r\n")[0])
    assert (status_line, fields["content-length"]) == ("HTTP/1.1 206 Partial Content", "100")
    assert body == octets(1, 100, 109)
    # a body no longer than `after` goes whole: there is nothing to cut
    status_line, _, body = split(raw(base, "/o/cut-range.bin", "Range: bytes=0-9\r\n")[0])
    assert (status_line, body) == ("HTTP/1.1 206 Partial Content", octets(1, 0, 9))
    assert [r.complete for r in origin.log("/o/cut-range.bin")] == [False, True]


@pytest.mark.parametrize("code", [500, 403])
def test_a_status_fault_answers_that_status_then_service_resumes(served: Served, code: int) -> None:
    origin, base = served
    path = f"/o/status-{code}.bin"
    origin.put(path, 1000)
    ok(base, {"op": "fault", "path": path, "kind": "status", "status": code})
    status, headers, body = fetch(base, path, {"Range": "bytes=0-9"})
    assert status == code
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert body.startswith(str(code).encode())
    assert fetch(base, path, {"Range": "bytes=0-9"})[:3:2] == (206, octets(1, 0, 9))
    assert [(r.status, r.fault) for r in origin.log(path)] == [(code, "status"), (206, None)]


def test_a_reset_closes_the_connection_before_any_status_line(served: Served) -> None:
    origin, base = served
    origin.put("/o/reset.bin", 1000)
    ok(base, {"op": "fault", "path": "/o/reset.bin", "kind": "reset"})
    response, error = raw(base, "/o/reset.bin")
    assert response == b""
    assert error is None or isinstance(error, ConnectionResetError)  # closed, not a timeout
    # http.client sees the same: no answer at all
    origin.fault("/o/reset.bin", "reset")
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        fetch(base, "/o/reset.bin")
    assert fetch(base, "/o/reset.bin")[:3:2] == (200, octets(1, 0, 999))
    logged = [(r.status, r.octets, r.complete, r.fault) for r in origin.log("/o/reset.bin")]
    assert logged == [(0, 0, False, "reset")] * 2 + [(200, 1000, True, None)]


def test_faults_apply_to_fixture_paths_too(served: Served) -> None:
    origin, base = served
    origin.fault(FIXTURE_ROLES["r10000"], "cut", after=123)
    status_line, fields, body = split(raw(base, FIXTURE_ROLES["r10000"])[0])
    assert (status_line, fields["content-length"]) == ("HTTP/1.1 200 OK", "10000")
    assert body == counter_stream(0, 123)


# -- the log ---------------------------------------------------------------------------------


def test_the_log_records_each_request_and_clear_log_empties_it(served: Served) -> None:
    origin, base = served
    origin.put("/o/logged.bin", 3000)
    fetch(base, "/o/logged.bin?a=1")
    fetch(base, "/o/logged.bin", {"Range": "bytes=10-19", "X-Probe": "yes"})
    fetch(base, "/o/logged.bin", method="HEAD")
    fetch(base, "/o/logged.bin", {"Range": "bytes=9000-"})
    reply = ok(base, {"op": "log", "path": "/o/logged.bin"})
    requests = reply["requests"]
    assert [
        (r["method"], r["query"], r["range"], r["status"], r["octets"], r["complete"], r["fault"])
        for r in requests
    ] == [
        ("GET", "a=1", None, 200, 3000, True, None),
        ("GET", "", "bytes=10-19", 206, 10, True, None),
        ("HEAD", "", None, 200, 0, True, None),
        ("GET", "", "bytes=9000-", 416, len(b"Range Not Satisfiable\n"), True, None),
    ]
    assert all(r["path"] == "/o/logged.bin" for r in requests)
    assert requests[1]["headers"]["x-probe"] == "yes"
    assert requests[1]["headers"]["range"] == "bytes=10-19"
    assert requests[0]["headers"]["accept-encoding"] == "identity"
    everything = ok(base, {"op": "log"})["requests"]
    assert everything[-4:] == requests  # the control requests themselves are never logged
    assert ok(base, {"op": "clear_log"}) == {"ok": True}
    assert ok(base, {"op": "log"}) == {"requests": []}
    assert origin.log() == []


def test_the_log_counts_what_was_written_to_a_client_that_left(served: Served) -> None:
    origin, base = served
    size = 16 * 1024 * 1024
    origin.put("/o/left.bin", size)
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=10) as sock:
        sock.sendall(b"GET /o/left.bin HTTP/1.1\r\nHost: origin\r\n\r\n")
        received = b""
        while len(received) < 100_000:
            received += sock.recv(65536)
        assert split(received)[2][:1000] == octets(1, 0, 999)
        # unread octets and linger 0: the close is a reset, and the server's next write fails
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    [entry] = origin.log("/o/left.bin", settle=5)
    assert (entry.status, entry.complete) == (200, False)
    assert 1000 <= entry.octets < size


# -- fixtures, size, control errors ----------------------------------------------------------


def test_fixture_paths_are_served_and_logged(served: Served) -> None:
    origin, base = served
    main = FIXTURE_ROLES["main"]
    status, headers, body = fetch(base, main)
    assert (status, body) == (200, counter_stream(0, 1000))
    status, headers, body = fetch(base, main, {"Range": "bytes=-10"})
    assert (status, headers["Content-Range"], body) == (206, "bytes 990-999/1000", body)
    assert body == counter_stream(990, 10)
    assert [(r.status, r.octets, r.range) for r in origin.log(main)][-2:] == [
        (200, 1000, None),
        (206, 10, "bytes=-10"),
    ]


def test_a_64_mib_representation_is_written_and_served_in_pieces(tmp_path: Path) -> None:
    size = 64 * 1024 * 1024
    with serve_origin(fixtures_dir=tmp_path / "fixtures") as (origin, base):
        tracemalloc.start()
        try:
            origin.put("/o/huge.bin", size, version=9)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 * 1024 * 1024  # the 64 MiB were never held at once
        [file] = [path for path in origin.directory.rglob("*") if path.is_file()]
        assert file.stat().st_size == size
        first, last = size - 3 * 1024 * 1024, size - 1
        connection = _connection(base)
        try:
            connection.request("GET", "/o/huge.bin", headers={"Range": f"bytes={first}-"})
            response = connection.getresponse()
            assert response.status == 206
            assert response.getheader("Content-Range") == f"bytes {first}-{last}/{size}"
            position = first
            while chunk := response.read(256 * 1024):
                assert chunk == octets(9, position, position + len(chunk) - 1)
                position += len(chunk)
        finally:
            connection.close()
        assert position == size


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "not JSON"),
        ([1, 2], "JSON object"),
        ({"path": "/o/x"}, "'op'"),
        ({"op": "delete", "path": "/o/x"}, "unknown op"),
        ({"op": "put", "path": "/o/x"}, "'size'"),
        ({"op": "put", "path": "/o/x", "size": "10"}, "'size' must be an integer"),
        ({"op": "put", "path": "/o/x", "size": True}, "'size' must be an integer"),
        ({"op": "put", "path": "/o/x", "size": -1}, "size must be"),
        ({"op": "put", "path": "/files/x", "size": 10}, "path must be /o/"),
        ({"op": "put", "path": "/o/../x", "size": 10}, "path must be /o/"),
        ({"op": "put", "path": "/o/x", "size": 10, "etag": "medium"}, "etag must be"),
        ({"op": "put", "path": "/o/x", "size": 10, "gzip": "yes"}, "true or false"),
        ({"op": "put", "path": "/o/x", "size": 10, "vary": "a\r\nb: c"}, "vary must be"),
        ({"op": "put", "path": "/o/x", "size": 10, "colour": 1}, "no field 'colour'"),
        ({"op": "fault", "path": "/files/r1000.bin", "kind": "cut"}, "needs 'after'"),
        ({"op": "fault", "path": "/files/r1000.bin", "kind": "status"}, "needs 'status'"),
        ({"op": "fault", "path": "/files/r1000.bin", "kind": "boom"}, "kind must be"),
        ({"op": "fault", "path": "/files/r1000.bin", "kind": "reset", "count": 0}, "count"),
        ({"op": "fault", "path": CONTROL_PATH, "kind": "reset"}, "control path"),
    ],
)
def test_bad_control_input_is_a_400_with_a_json_error(
    served: Served, payload: object, message: str
) -> None:
    origin, base = served
    status, content_type, reply = control(base, payload)
    assert (status, content_type) == (400, "application/json")
    assert message in reply["error"]
    with pytest.raises(ControlError):
        origin.current("/o/x")  # nothing was put by a refused request


def test_control_names_unknown_paths_and_methods(served: Served) -> None:
    origin, base = served
    status, _, reply = control(base, {"op": "replace", "path": "/o/nobody.bin", "version": 2})
    assert status == 404
    assert "/o/nobody.bin" in reply["error"]
    status, _, reply = control(base, {"op": "fault", "path": "/o/nobody.bin", "kind": "reset"})
    assert status == 404
    status, headers, body = fetch(base, CONTROL_PATH)
    assert (status, headers["Allow"]) == (405, "POST")
    assert "error" in json.loads(body)
    status, _, body = fetch(base, "/_rc/elsewhere", method="POST")
    assert status == 404
    assert "error" in json.loads(body)
    origin.put("/o/same.bin", 10, version=4)
    with pytest.raises(ControlError, match="version 4 already"):
        origin.replace("/o/same.bin", 4)


def test_serve_origin_listens_on_the_port_it_is_given(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serve_origin("127.0.0.1", port, fixtures_dir=tmp_path / "fixtures") as (origin, base):
        assert base == f"http://127.0.0.1:{port}"
        origin.put("/o/port.bin", 10)
        assert fetch(base, "/o/port.bin")[2] == octets(1, 0, 9)
    assert not origin.directory.exists()  # closed with the server


# -- patterns --------------------------------------------------------------------------------


def test_octets_agree_with_the_per_octet_definition_on_random_spans() -> None:
    chooser = random.Random(20_240_601)
    for _ in range(60):
        version = chooser.randrange(0, 5)
        first = chooser.randrange(0, 5 * PERIOD)
        length = chooser.choice([0, 1, 2, chooser.randrange(3, 3 * PERIOD)])
        last = first + length - 1
        period = pattern(version)
        naive = bytes(period[i % PERIOD] for i in range(first, last + 1))
        assert octets(version, first, last) == naive
        assert b"".join(stream(version, first, last, chunk=chooser.randrange(1, 100_000))) == naive


def test_versions_differ_and_repeat_only_with_the_period() -> None:
    assert len(pattern(1)) == PERIOD
    assert pattern(1) == pattern(1)
    assert octets(1, 0, 4095) != octets(2, 0, 4095)
    assert octets(1, 0, 99) == octets(1, PERIOD, PERIOD + 99)
    assert octets(1, 0, 99) != octets(1, 1, 100)
    with pytest.raises(ValueError, match="not a span"):
        octets(1, 10, 8)
    with pytest.raises(ValueError, match="not a span"):
        list(stream(1, -1, 5))
