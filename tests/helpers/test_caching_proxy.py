"""The caching proxy is a correct RFC 9111 cache by default, each mutant really makes its one
mistake, and each legal variant sends the origin what it says.

A tiny origin here serves one representation that a test can change between requests (octets,
ETag, Vary, a cut, an error, a reset) and records every request it gets, so "served from
storage" is shown by the origin not having been asked."""

from __future__ import annotations

import gzip
import http.client
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.helpers.caching_proxy import LEGAL_VARIANTS, MUTANTS, Behaviour, caching_proxy

# Every 4-octet group is its own index, so an octet from the wrong place or version shows.
V1 = b"".join(b"%04d" % i for i in range(250))
V2 = V1.translate(bytes.maketrans(b"0123456789", b"abcdefghij"))
LENGTH = len(V1)
PATH = "/f"


@dataclass
class Rep:
    """What the origin answers with, changeable between requests."""

    octets: bytes = V1
    etag: str | None = '"v1"'
    cache_control: str = "max-age=60"
    vary_gzip: bool = False  # Vary: Accept-Encoding; gzip-coded octets when asked for
    cut_after: int | None = None  # a 200 stops after this many octets and the connection ends
    chunked: bool = False
    status: int | None = None  # answer this status with a short text instead
    reset: bool = False  # reset the connection instead of answering
    items_unit: bool = False  # understand `Range: items=a-b` (one octet per item)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    range: str | None
    if_range: str | None
    headers: dict[str, str]


@dataclass
class Origin:
    url: str = ""
    rep: Rep = field(default_factory=Rep)
    seen: list[Seen] = field(default_factory=list)

    def set(self, **changes: object) -> None:
        self.rep = replace(self.rep, **changes)  # type: ignore[arg-type]

    @property
    def ranges(self) -> list[str | None]:
        return [s.range for s in self.seen]


class _OriginServer(ThreadingHTTPServer):
    daemon_threads = True
    origin: Origin


class _OriginHandler(BaseHTTPRequestHandler):
    """Single and multiple bytes ranges, If-Range by strong comparison, one answer a connection."""

    protocol_version = "HTTP/1.1"
    server: _OriginServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        origin = self.server.origin
        rep = origin.rep
        origin.seen.append(
            Seen(
                self.command,
                self.path,
                self.headers.get("Range"),
                self.headers.get("If-Range"),
                {k.lower(): v for k, v in self.headers.items()},
            )
        )
        if length := int(self.headers.get("Content-Length") or 0):
            self.rfile.read(length)
        self.close_connection = True
        if rep.reset:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if rep.status is not None:
            self._send(rep.status, [("Content-Type", "text/plain")], b"origin says no\n")
            return
        body, etag = rep.octets, rep.etag
        headers = [("Content-Type", "application/octet-stream"), ("Accept-Ranges", "bytes")]
        if rep.cache_control:
            headers.append(("Cache-Control", rep.cache_control))
        if rep.vary_gzip:
            headers.append(("Vary", "Accept-Encoding"))
            if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                body = gzip.compress(body, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
                etag = etag and etag[:-1] + '-gz"'
        if etag:
            headers.append(("ETag", etag))
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if if_range is not None and not (etag and etag.startswith('"') and if_range == etag):
            rng = None
        if rng and self.command == "GET":
            unit, _, spec = rng.partition("=")
            if unit == "items" and rep.items_unit:
                first, last = (int(n) for n in spec.split("-"))
                headers.append(("Content-Range", f"items {first}-{last}/{len(body)}"))
                self._send(206, headers, body[first : last + 1])
                return
            if unit == "bytes":
                self._ranges(headers, body, spec)
                return
        self._whole(headers, body)

    do_HEAD = do_POST = do_GET

    def _ranges(self, headers: list[tuple[str, str]], body: bytes, spec: str) -> None:
        size = len(body)
        spans: list[tuple[int, int]] = []
        for part in spec.split(","):
            start, _, end = part.strip().partition("-")
            if not start:
                spans.append((max(0, size - int(end)), size - 1))
            elif int(start) < size:
                spans.append((int(start), min(int(end), size - 1) if end else size - 1))
        if not spans:
            self._send(416, [("Content-Range", f"bytes */{size}")], b"")
        elif len(spans) == 1:
            ((first, last),) = spans
            headers.append(("Content-Range", f"bytes {first}-{last}/{size}"))
            self._send(206, headers, body[first : last + 1])
        else:
            parts = [
                b"--SEP\r\nContent-Range: bytes %d-%d/%d\r\n\r\n%s\r\n"
                % (first, last, size, body[first : last + 1])
                for first, last in spans
            ]
            headers[0] = ("Content-Type", "multipart/byteranges; boundary=SEP")
            self._send(206, headers, b"".join(parts) + b"--SEP--\r\n")

    def _whole(self, headers: list[tuple[str, str]], body: bytes) -> None:
        cut = self.server.origin.rep.cut_after
        sent = body if cut is None else body[:cut]
        if not self.server.origin.rep.chunked:
            self._send(200, headers, sent, length=len(body))
            return
        self._head(200, [*headers, ("Transfer-Encoding", "chunked")])
        for at in range(0, len(sent), 100):
            chunk = sent[at : at + 100]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if cut is None:
            self.wfile.write(b"0\r\n\r\n")

    def _head(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.send_response_only(status)
        for name, value in [*headers, ("Connection", "close")]:
            self.send_header(name, value)
        self.end_headers()

    def _send(
        self, status: int, headers: list[tuple[str, str]], body: bytes, length: int | None = None
    ) -> None:
        self._head(
            status, [*headers, ("Content-Length", str(len(body) if length is None else length))]
        )
        if self.command != "HEAD":
            self.wfile.write(body)


@contextmanager
def _serving(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        assert not thread.is_alive()


@contextmanager
def serving_origin() -> Iterator[Origin]:
    server = _OriginServer(("127.0.0.1", 0), _OriginHandler)
    server.origin = Origin()
    with _serving(server) as url:
        server.origin.url = url
        yield server.origin


@pytest.fixture
def origin() -> Iterator[Origin]:
    with serving_origin() as origin:
        yield origin


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cut: bool = False

    @property
    def cache(self) -> str:
        return self.headers["x-cache"]


def get(base: str, range_: str | None = None, *, method: str = "GET", **fields: str) -> Answer:
    """One request on its own connection; `fields` by Python name (if_range -> If-Range)."""
    split = urlsplit(base)
    conn = http.client.HTTPConnection(split.hostname or "", split.port, timeout=5)
    try:
        conn.putrequest(method, PATH, skip_accept_encoding=True)
        if range_ is not None:
            conn.putheader("Range", range_)
        for name, value in fields.items():
            conn.putheader(name.replace("_", "-").title(), value)
        conn.endheaders()
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        try:
            return Answer(response.status, headers, response.read())
        except http.client.IncompleteRead as exc:
            return Answer(response.status, headers, exc.partial, cut=True)
    finally:
        conn.close()


def assert_206(answer: Answer, first: int, last: int, octets: bytes = V1) -> None:
    assert answer.status == 206, answer
    assert answer.headers["content-range"] == f"bytes {first}-{last}/{len(octets)}"
    assert answer.body == octets[first : last + 1]
    assert answer.headers["content-length"] == str(last - first + 1)


# ---------------------------------------------------------------------------------------------
# The correct cache


def test_a_range_miss_is_forwarded_as_asked_and_then_served_from_storage(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        miss = get(proxy, "bytes=0-99")
        assert_206(miss, 0, 99)
        assert miss.cache == "MISS"
        assert origin.ranges == ["bytes=0-99"]
        again, inside = get(proxy, "bytes=0-99"), get(proxy, "bytes=10-19")
    assert_206(again, 0, 99)
    assert_206(inside, 10, 19)
    assert again.cache == inside.cache == "HIT"
    assert again.headers["etag"] == '"v1"'
    assert origin.ranges == ["bytes=0-99"]


def test_a_plain_get_after_a_stored_206_goes_upstream(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        get(proxy, "bytes=0-99")
        full = get(proxy)
        again = get(proxy)
        past_part = get(proxy, "bytes=100-199")
    assert (full.status, full.body, full.cache) == (200, V1, "MISS")
    assert (again.status, again.body, again.cache) == (200, V1, "HIT")
    assert_206(past_part, 100, 199)
    assert past_part.cache == "HIT"  # from the complete 200 now stored
    assert origin.ranges == ["bytes=0-99", None]


def test_a_range_outside_the_stored_part_goes_upstream_and_the_parts_combine(
    origin: Origin,
) -> None:
    with caching_proxy(origin.url) as proxy:
        get(proxy, "bytes=0-499")
        second = get(proxy, "bytes=500-")
        full = get(proxy)
        across = get(proxy, "bytes=400-600")
    assert_206(second, 500, LENGTH - 1)
    assert (full.status, full.body, full.cache) == (200, V1, "HIT")
    assert full.headers["content-length"] == str(LENGTH)
    assert "content-range" not in full.headers
    assert_206(across, 400, 600)
    assert across.cache == "HIT"
    assert origin.ranges == ["bytes=0-499", "bytes=500-"]


def test_parts_with_different_strong_etags_are_never_combined(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        get(proxy, "bytes=0-499")
        origin.set(octets=V2, etag='"v2"')
        second = get(proxy, "bytes=500-")
        full = get(proxy)
        first = get(proxy, "bytes=0-499")
    assert_206(second, 500, LENGTH - 1, V2)
    assert (full.status, full.body, full.cache) == (200, V2, "MISS")
    assert_206(first, 0, 499, V2)
    assert origin.ranges == ["bytes=0-499", "bytes=500-", None]


def test_parts_with_a_weak_etag_are_not_combined(origin: Origin) -> None:
    origin.set(etag='W/"w1"')
    with caching_proxy(origin.url) as proxy:
        get(proxy, "bytes=0-499")
        get(proxy, "bytes=500-")
        full = get(proxy)
    assert (full.status, full.body, full.cache) == (200, V1, "MISS")
    assert origin.ranges == ["bytes=0-499", "bytes=500-", None]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_cut_200_is_relayed_cut_and_not_stored(origin: Origin, chunked: bool) -> None:
    origin.set(cut_after=300, chunked=chunked)
    with caching_proxy(origin.url) as proxy:
        cut = get(proxy)
        origin.set(cut_after=None)
        ranged = get(proxy, "bytes=0-99")
        full = get(proxy)
    assert cut.cut
    assert cut.status == 200
    assert cut.body == V1[:300]
    assert cut.headers.get("content-length") == (None if chunked else str(LENGTH))
    assert ranged.cache == full.cache == "MISS"
    assert_206(ranged, 0, 99)
    assert full.body == V1
    assert origin.ranges == [None, "bytes=0-99", None]


def test_a_chunked_200_is_stored_whole_and_answered_with_a_length(origin: Origin) -> None:
    origin.set(chunked=True)
    with caching_proxy(origin.url) as proxy:
        first, second = get(proxy), get(proxy, "bytes=-10")
    assert (first.status, first.body, first.headers["content-length"]) == (200, V1, str(LENGTH))
    assert "transfer-encoding" not in first.headers
    assert_206(second, LENGTH - 10, LENGTH - 1)
    assert second.cache == "HIT"
    assert len(origin.seen) == 1


def test_vary_keeps_one_entry_per_accept_encoding(origin: Origin) -> None:
    origin.set(vary_gzip=True)
    coded = gzip.compress(V1, mtime=0)
    with caching_proxy(origin.url) as proxy:
        gz = get(proxy, "bytes=0-99", accept_encoding="gzip")
        plain = get(proxy, "bytes=0-99")
        gz_again = get(proxy, "bytes=0-99", accept_encoding="gzip")
        plain_again = get(proxy, "bytes=0-99")
    assert_206(gz, 0, 99, coded)
    assert gz.headers["content-encoding"] == "gzip"
    assert_206(plain, 0, 99)
    assert "content-encoding" not in plain.headers
    assert (gz.cache, plain.cache, gz_again.cache, plain_again.cache) == (
        "MISS",
        "MISS",
        "HIT",
        "HIT",
    )
    assert gz_again.body == gz.body
    assert plain_again.body == plain.body
    assert [s.headers.get("accept-encoding") for s in origin.seen] == ["gzip", None]


def test_an_unknown_unit_is_forwarded_unchanged_and_its_206_not_stored(origin: Origin) -> None:
    origin.set(items_unit=True)
    with caching_proxy(origin.url) as proxy:
        items = get(proxy, "items=0-9")
        again = get(proxy, "items=0-9")
        full = get(proxy)
    assert (items.status, items.headers["content-range"], items.body) == (
        206,
        "items 0-9/1000",
        V1[:10],
    )
    assert again.cache == full.cache == "MISS"
    assert (full.status, full.body) == (200, V1)
    assert origin.ranges == ["items=0-9", "items=0-9", None]


def test_an_unknown_unit_answered_200_may_be_stored_but_is_never_sliced(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        first = get(proxy, "items=0-9")
        again = get(proxy, "items=0-9")
        full = get(proxy)
    assert (first.status, first.body) == (again.status, again.body) == (200, V1)
    assert again.cache == "MISS"
    assert (full.status, full.body, full.cache) == (200, V1, "HIT")
    assert origin.ranges == ["items=0-9", "items=0-9"]


def test_if_range_from_a_complete_entry(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        get(proxy)
        match = get(proxy, "bytes=0-9", if_range='"v1"')
        other = get(proxy, "bytes=0-9", if_range='"v0"')
        date = get(proxy, "bytes=0-9", if_range="Tue, 14 Nov 2023 22:13:20 GMT")
    assert_206(match, 0, 9)
    assert (other.status, other.body, date.status, date.body) == (200, V1, 200, V1)
    assert match.cache == other.cache == date.cache == "HIT"
    assert len(origin.seen) == 1


def test_if_range_that_does_not_match_a_stored_part_goes_upstream(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        get(proxy, "bytes=0-99")
        answer = get(proxy, "bytes=0-9", if_range='"v0"')
    assert (answer.status, answer.body, answer.cache) == (200, V1, "MISS")
    assert [(s.range, s.if_range) for s in origin.seen] == [
        ("bytes=0-99", None),
        ("bytes=0-9", '"v0"'),
    ]


def test_unsatisfiable_and_suffix_ranges_from_a_complete_entry(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        get(proxy)
        past, suffix, zero = (
            get(proxy, "bytes=5000-"),
            get(proxy, "bytes=-100"),
            get(proxy, "bytes=-0"),
        )
        clamped = get(proxy, "bytes=990-5000")
    for answer in (past, zero):
        assert (answer.status, answer.headers["content-range"]) == (416, f"bytes */{LENGTH}")
    assert_206(suffix, LENGTH - 100, LENGTH - 1)
    assert_206(clamped, 990, LENGTH - 1)
    assert len(origin.seen) == 1


def test_multiple_ranges_are_forwarded_and_not_stored(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        first = get(proxy, "bytes=0-9,20-29")
        again = get(proxy, "bytes=0-9,20-29")
        inside = get(proxy, "bytes=0-9")
    assert first.status == again.status == 206
    assert first.headers["content-type"].startswith("multipart/byteranges")
    assert first.body == again.body
    assert b"Content-Range: bytes 20-29/1000\r\n\r\n" + V1[20:30] in first.body
    assert inside.cache == "MISS"
    assert origin.ranges == ["bytes=0-9,20-29", "bytes=0-9,20-29", "bytes=0-9"]


@pytest.mark.parametrize(
    "cache_control", ["no-store", "private, max-age=60", "no-cache, max-age=60", ""]
)
def test_answers_a_shared_cache_may_not_keep_are_not_stored(
    origin: Origin, cache_control: str
) -> None:
    origin.set(cache_control=cache_control)
    with caching_proxy(origin.url) as proxy:
        get(proxy)
        get(proxy, "bytes=0-9")
        answer = get(proxy, "bytes=0-9")
    assert answer.cache == "MISS"
    assert len(origin.seen) == 3


def test_a_stale_entry_is_fetched_again_and_replaced(origin: Origin) -> None:
    origin.set(cache_control="max-age=1")
    with caching_proxy(origin.url) as proxy:
        get(proxy)
        time.sleep(1.05)
        origin.set(octets=V2, etag='"v2"', cache_control="max-age=60")
        fresh = get(proxy)
        again = get(proxy, "bytes=0-9")
    assert (fresh.body, fresh.cache) == (V2, "MISS")
    assert_206(again, 0, 9, V2)
    assert again.cache == "HIT"
    assert len(origin.seen) == 2


def test_other_preconditions_are_forwarded_and_not_stored(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        for name in ("if_none_match", "if_match"):
            get(proxy, "bytes=0-9", **{name: '"v1"'})
        get(proxy, if_modified_since="Tue, 14 Nov 2023 22:13:20 GMT")
        answer = get(proxy, "bytes=0-9")
    assert answer.cache == "MISS"
    assert len(origin.seen) == 4


def test_an_upstream_500_is_passed_through_and_not_stored(origin: Origin) -> None:
    origin.set(status=500)
    with caching_proxy(origin.url) as proxy:
        first = get(proxy, "bytes=0-9")
        origin.set(status=None)
        second = get(proxy, "bytes=0-9")
    assert (first.status, first.body) == (500, b"origin says no\n")
    assert second.cache == "MISS"
    assert_206(second, 0, 9)


def test_an_upstream_reset_or_refusal_is_a_502(origin: Origin) -> None:
    origin.set(reset=True)
    with caching_proxy(origin.url) as proxy:
        reset = get(proxy, "bytes=0-9")
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with caching_proxy(f"http://127.0.0.1:{port}") as proxy:
        refused = get(proxy)
    for answer in (reset, refused):
        assert answer.status == 502
        assert answer.headers["content-type"] == "text/plain"
        assert answer.body


def test_unsafe_methods_are_forwarded_and_invalidate(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        get(proxy)
        post = get(proxy, method="POST")
        after = get(proxy)
    assert post.status == 200
    assert after.cache == "MISS"
    assert [s.method for s in origin.seen] == ["GET", "POST", "GET"]


def test_head_is_answered_from_a_complete_entry(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        head_miss = get(proxy, method="HEAD")
        get(proxy)
        head_hit = get(proxy, method="HEAD")
    assert head_miss.body == head_hit.body == b""
    assert head_miss.headers["content-length"] == head_hit.headers["content-length"] == str(LENGTH)
    assert (head_miss.cache, head_hit.cache) == ("MISS", "HIT")
    assert [s.method for s in origin.seen] == ["HEAD", "GET"]


def test_end_to_end_fields_are_forwarded_and_hop_by_hop_ones_dropped(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        get(
            proxy,
            "bytes=0-9",
            accept_encoding="br",
            x_trace="t1",
            connection="x-hop",
            x_hop="1",
            te="trailers",
        )
    seen = origin.seen[0].headers
    assert seen["accept-encoding"] == "br"
    assert seen["x-trace"] == "t1"
    assert seen["host"] == urlsplit(origin.url).netloc
    assert "x-hop" not in seen  # named by the client's Connection field
    assert "te" not in seen
    assert seen.get("connection", "close") == "close"  # http.client's own, not the client's


def test_keep_alive_serves_several_requests_on_one_connection(origin: Origin) -> None:
    with caching_proxy(origin.url) as proxy:
        split = urlsplit(proxy)
        conn = http.client.HTTPConnection(split.hostname or "", split.port, timeout=5)
        try:
            bodies = []
            for range_ in ("bytes=0-9", "bytes=0-9", "bytes=5-6"):
                conn.request("GET", PATH, headers={"Range": range_})
                bodies.append(conn.getresponse().read())
        finally:
            conn.close()
    assert bodies == [V1[:10], V1[:10], V1[5:7]]


def test_the_proxy_stops_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    with serving_origin() as origin, caching_proxy(origin.url) as proxy:
        split = urlsplit(proxy)
        idle = socket.create_connection((split.hostname or "", split.port or 0))  # never asks
        get(proxy)
    idle.close()
    assert set(threading.enumerate()) <= before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((split.hostname or "", split.port or 0), timeout=1).close()


# ---------------------------------------------------------------------------------------------
# The mutants: each mistake shows


def test_the_mutants_and_variants_each_set_one_flag() -> None:
    assert set(MUTANTS) == {
        "combine_across_etags",
        "incomplete_as_200",
        "stored_206_outside",
        "ignore_vary",
        "store_unknown_unit",
    }
    assert set(LEGAL_VARIANTS) == {"never_caches_ranges", "fetches_whole"}
    for behaviour in [*MUTANTS.values(), *LEGAL_VARIANTS.values()]:
        assert sum(vars(behaviour).values()) == 1
    assert not any(vars(Behaviour()).values())


def test_combine_across_etags_serves_octets_of_two_versions(origin: Origin) -> None:
    with caching_proxy(origin.url, MUTANTS["combine_across_etags"]) as proxy:
        get(proxy, "bytes=0-499")
        origin.set(octets=V2, etag='"v2"')
        get(proxy, "bytes=500-")
        full = get(proxy)
    assert (full.status, full.cache) == (200, "HIT")
    assert full.body == V1[:500] + V2[500:]
    assert full.headers["etag"] == '"v2"'
    assert len(origin.seen) == 2


def test_incomplete_as_200_passes_a_part_off_as_the_whole(origin: Origin) -> None:
    with caching_proxy(origin.url, MUTANTS["incomplete_as_200"]) as proxy:
        get(proxy, "bytes=0-99")
        full = get(proxy)
    assert (full.status, full.cache, full.body) == (200, "HIT", V1[:100])
    assert full.headers["content-length"] == "100"
    assert len(origin.seen) == 1


def test_stored_206_outside_answers_a_range_with_the_wrong_octets(origin: Origin) -> None:
    with caching_proxy(origin.url, MUTANTS["stored_206_outside"]) as proxy:
        get(proxy, "bytes=0-99")
        outside = get(proxy, "bytes=500-649")
    assert (outside.status, outside.cache) == (206, "HIT")
    assert outside.headers["content-range"] == "bytes 500-649/1000"
    assert outside.body == V1[:100] + V1[:50]
    assert outside.body != V1[500:650]
    assert len(origin.seen) == 1


def test_ignore_vary_serves_the_gzip_variant_to_an_identity_request(origin: Origin) -> None:
    origin.set(vary_gzip=True)
    with caching_proxy(origin.url, MUTANTS["ignore_vary"]) as proxy:
        get(proxy, "bytes=0-99", accept_encoding="gzip")
        plain = get(proxy, "bytes=0-99")
    assert (plain.status, plain.cache) == (206, "HIT")
    assert plain.headers["content-encoding"] == "gzip"
    assert plain.body == gzip.compress(V1, mtime=0)[:100]
    assert len(origin.seen) == 1


def test_store_unknown_unit_slices_another_unit_as_bytes(origin: Origin) -> None:
    with caching_proxy(origin.url, MUTANTS["store_unknown_unit"]) as proxy:
        first = get(proxy, "items=0-9")
        second = get(proxy, "items=0-9")
    assert (first.status, first.body) == (200, V1)
    assert (second.status, second.cache) == (206, "HIT")
    assert second.headers["content-range"] == "bytes 0-9/1000"
    assert len(origin.seen) == 1


def test_store_unknown_unit_serves_another_unit_206_as_the_whole(origin: Origin) -> None:
    origin.set(items_unit=True)
    with caching_proxy(origin.url, MUTANTS["store_unknown_unit"]) as proxy:
        get(proxy, "items=0-9")
        full = get(proxy)
    assert (full.status, full.cache, full.body) == (200, "HIT", V1[:10])
    assert len(origin.seen) == 1


# ---------------------------------------------------------------------------------------------
# The legal variants: what reaches the origin


def test_never_caches_ranges_forwards_every_range(origin: Origin) -> None:
    with caching_proxy(origin.url, LEGAL_VARIANTS["never_caches_ranges"]) as proxy:
        answers = [get(proxy, "bytes=0-99") for _ in range(2)]
        full, full_again = get(proxy), get(proxy)
        after = get(proxy, "bytes=0-99")
    for answer in [*answers, after]:
        assert_206(answer, 0, 99)
        assert answer.cache == "MISS"
    assert (full.cache, full_again.cache, full_again.body) == ("MISS", "HIT", V1)
    assert origin.ranges == ["bytes=0-99", "bytes=0-99", None, "bytes=0-99"]


def test_fetches_whole_asks_for_everything_and_slices_it_itself(origin: Origin) -> None:
    with caching_proxy(origin.url, LEGAL_VARIANTS["fetches_whole"]) as proxy:
        first = get(proxy, "bytes=0-99", if_range='"v1"')
        second = get(proxy, "bytes=500-599")
        full = get(proxy)
    assert_206(first, 0, 99)
    assert first.cache == "MISS"
    assert_206(second, 500, 599)
    assert (second.cache, full.cache, full.body) == ("HIT", "HIT", V1)
    assert [(s.range, s.if_range) for s in origin.seen] == [(None, None)]


def test_fetches_whole_answers_200_when_if_range_does_not_match(origin: Origin) -> None:
    with caching_proxy(origin.url, LEGAL_VARIANTS["fetches_whole"]) as proxy:
        answer = get(proxy, "bytes=0-99", if_range='"v0"')
    assert (answer.status, answer.body) == (200, V1)
    assert origin.ranges == [None]
