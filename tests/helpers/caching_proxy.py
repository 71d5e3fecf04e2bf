"""A small caching reverse proxy, correct by default, with switchable bugs and two legal variants.

The suite's cache-checking mode claims to catch a cache that mishandles ranges. That claim is
only worth something if it is shown to catch real mistakes, so this proxy stands in front of an
origin and can be told to make exactly one of them (`MUTANTS`), or to take one of the other
choices RFC 9111 allows (`LEGAL_VARIANTS`), which the mode must not blame.

The correct cache, in brief (RFC 9111):

- stores 200 and 206 answers to GET with explicit freshness and without no-store, private or
  no-cache, under path+query and the request fields the answer's Vary names (`Vary: *` is never
  stored); a stale entry is not used, and the next answer replaces it;
- stores a 200 only when its body arrived whole; a cut one is relayed as cut and stored nowhere;
- stores a 206 with one `Content-Range: bytes a-b/L` as a part, and joins parts only when both
  carry the same strong ETag (§3.4); parts that cover 0..L-1 make a complete entry;
- answers a plain GET from a complete entry only, a single bytes range from a complete entry or
  from one stored part that holds all of it, and forwards everything else unchanged: multiple
  ranges, unknown units, preconditions other than If-Range, and requests storage can't answer.

Simplifications: no revalidation (a stale entry is fetched again), HEAD is answered from a
complete entry but never stored, If-None-Match and the other preconditions are always forwarded
and their answers not stored, an If-Range date never matches, a 206 from the origin whose
Content-Range disagrees with its octets is relayed unchanged but not stored, and every upstream
request uses a connection of its own. Bodies are buffered in memory (at most `MAX_BODY`).
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from email.message import Message
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["LEGAL_VARIANTS", "MAX_BODY", "MUTANTS", "Behaviour", "caching_proxy"]

MAX_BODY = 256 * 1024 * 1024  # octets buffered per message; more is answered 502
UPSTREAM_TIMEOUT = 10.0
CLIENT_TIMEOUT = 30.0  # an idle client connection is dropped after this long
_POLL = 0.05  # serve_forever's poll: bounds how long shutdown waits
_JOIN_TIMEOUT = 10.0

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
    }
)
PRECONDITIONS = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")
# Fields of a stored answer that describe one message, not the representation: rebuilt on reuse.
_NOT_STORED = frozenset({"content-length", "content-range", "age", "x-cache"})
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_RANGE_SPEC = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)")
_CONTENT_RANGE = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+|\*)")


@dataclass(frozen=True)
class Behaviour:
    """What the proxy does differently from a correct cache; every field False is correct."""

    combine_across_etags: bool = False  # BUG: joins stored parts whose ETags differ
    incomplete_as_200: bool = False  # BUG: a plain GET gets the stored octets from a part as 200
    stored_206_outside: bool = False  # BUG: answers a range from a part that doesn't hold it
    ignore_vary: bool = False  # BUG: the first stored variant answers every request
    store_unknown_unit: bool = False  # BUG: reads every range unit as bytes; stores its answers
    never_cache_ranges: bool = False  # LEGAL: ranges always forwarded, their answers not stored
    fetch_whole: bool = False  # LEGAL: a range miss fetches the whole object and slices it


MUTANTS: dict[str, Behaviour] = {
    "combine_across_etags": Behaviour(combine_across_etags=True),
    "incomplete_as_200": Behaviour(incomplete_as_200=True),
    "stored_206_outside": Behaviour(stored_206_outside=True),
    "ignore_vary": Behaviour(ignore_vary=True),
    "store_unknown_unit": Behaviour(store_unknown_unit=True),
}
LEGAL_VARIANTS: dict[str, Behaviour] = {
    "never_caches_ranges": Behaviour(never_cache_ranges=True),
    "fetches_whole": Behaviour(fetch_whole=True),
}

Headers = list[tuple[str, str]]
_Request = socket.socket | tuple[bytes, socket.socket]  # what socketserver hands a server


# ---------------------------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class _Range:
    """A Range field as the cache sees it: only `single` is ever answered from storage."""

    kind: str  # "single", "multi", "invalid" or "other" (a unit the cache doesn't understand)
    first: int | None = None  # None: a suffix range of `last` octets
    last: int | None = None  # None with `first` set: open-ended
    bytes_unit: bool = True  # False when a mutant read another unit as bytes


def _parse_range(value: str, any_unit: bool) -> _Range:
    """Strict RFC 9110 §14.1.1 syntax: anything the cache isn't sure of goes upstream as is."""
    unit, sep, rest = value.partition("=")
    if not sep or not _TOKEN.fullmatch(unit):
        return _Range("invalid")
    is_bytes = unit.lower() == "bytes"
    if not is_bytes and not any_unit:
        return _Range("other")
    specs = [spec.strip(" \t") for spec in rest.split(",")]
    specs = [spec for spec in specs if spec]
    if not specs:
        return _Range("invalid")
    if len(specs) > 1:
        return _Range("multi", bytes_unit=is_bytes)
    match = _RANGE_SPEC.fullmatch(specs[0])
    if match is None:
        return _Range("invalid")
    first, last, suffix = match.groups()
    if suffix is not None:
        return _Range("single", None, int(suffix), bytes_unit=is_bytes)
    if last and int(last) < int(first):
        return _Range("invalid")
    return _Range("single", int(first), int(last) if last else None, bytes_unit=is_bytes)


def _resolve(rng: _Range, length: int) -> tuple[int, int] | None:
    """The first and last octet a single range selects, or None if it is unsatisfiable."""
    if rng.first is None:
        assert rng.last is not None
        if rng.last == 0 or length == 0:
            return None
        return max(0, length - rng.last), length - 1
    if rng.first >= length:
        return None
    last = length - 1 if rng.last is None else min(rng.last, length - 1)
    return rng.first, last


def _directives(value: str | None) -> dict[str, str]:
    """Cache-Control directives by lower-cased name (a quoted value is unquoted)."""
    found: dict[str, str] = {}
    for item in (value or "").split(","):
        name, _, arg = item.strip().partition("=")
        if name:
            found[name.strip().lower()] = arg.strip().strip('"')
    return found


def _seconds(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _http_date(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _field(headers: Headers, name: str) -> str | None:
    """All lines of one field joined by commas, as RFC 9110 §5.3 allows, or None."""
    values = [value for key, value in headers if key.lower() == name]
    return ", ".join(values) if values else None


def _end_to_end(headers: Headers, *drop: str) -> Headers:
    """`headers` less the hop-by-hop fields, those its Connection field lists, and `drop`."""
    listed = {
        name.strip().lower()
        for key, value in headers
        if key.lower() == "connection"
        for name in value.split(",")
    }
    skip = HOP_BY_HOP | listed | set(drop)
    return [(k, v) for k, v in headers if k.lower() not in skip]


def _strong(etag: str | None) -> bool:
    return etag is not None and etag.startswith('"')


def _strong_match(a: str | None, b: str | None) -> bool:
    """RFC 9110 §8.8.3.2 strong comparison: both strong and the same octets."""
    return _strong(a) and _strong(b) and a == b


def _freshness(headers: Headers, authorized: bool) -> tuple[float, float] | None:
    """(lifetime, age when received) for an answer a shared cache may store, else None."""
    cc = _directives(_field(headers, "cache-control"))
    if {"no-store", "private", "no-cache"} & cc.keys():
        return None
    if authorized and not {"public", "s-maxage", "must-revalidate"} & cc.keys():
        return None  # RFC 9111 §3.5
    lifetime: float | None = _seconds(cc.get("s-maxage"))
    if lifetime is None:
        lifetime = _seconds(cc.get("max-age"))
    if lifetime is None and (expires := _field(headers, "expires")) is not None:
        at = _http_date(expires)
        date = _http_date(_field(headers, "date")) or time.time()
        lifetime = 0 if at is None else at - date
    age = float(_seconds(_field(headers, "age")) or 0)
    if lifetime is None or lifetime - age <= 0:
        return None
    return lifetime, age


# ---------------------------------------------------------------------------------------------
# Storage


@dataclass(frozen=True)
class _Entry:
    """A stored answer: whole or in parts, one variant of one URL. Never changed in place, so an
    entry read under the lock can be answered from after it is released."""

    vary_names: tuple[str, ...]
    vary_key: tuple[str | None, ...]
    headers: Headers  # representation fields of the newest answer that went into it
    etag: str | None
    length: int | None  # None: a 206 said `/*`
    parts: tuple[tuple[int, bytes], ...]  # (first octet, octets), sorted, apart, not adjacent
    received: float  # monotonic
    age: float  # Age when received
    lifetime: float

    @property
    def complete(self) -> bool:
        return (
            self.length is not None
            and len(self.parts) == 1
            and self.parts[0][0] == 0
            and len(self.parts[0][1]) == self.length
        )

    def current_age(self) -> float:
        return self.age + time.monotonic() - self.received

    def fresh(self) -> bool:
        return self.current_age() < self.lifetime


def _merge(
    parts: tuple[tuple[int, bytes], ...], first: int, data: bytes
) -> tuple[tuple[int, bytes], ...]:
    """Add a part; where it overlaps or touches stored ones they become one, the new octets win."""
    start, end = first, first + len(data)  # end is exclusive
    kept: list[tuple[int, bytes]] = []
    joined: list[tuple[int, bytes]] = []
    for part in parts:
        p_start, p_end = part[0], part[0] + len(part[1])
        (joined if p_start <= end and start <= p_end else kept).append(part)
    lo = min([start, *(p[0] for p in joined)])
    hi = max([end, *(p[0] + len(p[1]) for p in joined)])
    octets = bytearray(hi - lo)
    for p_start, p_data in joined:
        octets[p_start - lo : p_start - lo + len(p_data)] = p_data
    octets[start - lo : end - lo] = data
    return tuple(sorted([*kept, (lo, bytes(octets))]))


class _Cache:
    """Entries by path+query, one per Vary key; every access under one lock."""

    def __init__(self, behaviour: Behaviour) -> None:
        self._behaviour = behaviour
        self._lock = threading.Lock()
        self._entries: dict[str, list[_Entry]] = {}

    def _vary_key(self, names: tuple[str, ...], request: Message) -> tuple[str | None, ...]:
        if self._behaviour.ignore_vary:
            return ()
        return tuple(_request_field(request, name) for name in names)

    def _matching(self, target: str, request: Message) -> _Entry | None:
        for entry in reversed(self._entries.get(target, [])):
            if self._behaviour.ignore_vary or entry.vary_key == self._vary_key(
                entry.vary_names, request
            ):
                return entry
        return None

    def lookup(self, target: str, request: Message) -> _Entry | None:
        """The fresh entry this request may reuse, if any."""
        with self._lock:
            entry = self._matching(target, request)
        return entry if entry is not None and entry.fresh() else None

    def invalidate(self, target: str) -> None:
        with self._lock:
            self._entries.pop(target, None)

    def put(
        self,
        target: str,
        request: Message,
        headers: Headers,
        first: int,
        data: bytes,
        length: int | None,
    ) -> None:
        """Store an answer (a part, or the whole when it covers 0..length-1), combining it with
        the stored parts when RFC 9111 §3.4 allows (or when the mutant says so)."""
        fresh = _freshness(headers, request.get("Authorization") is not None)
        vary = _field(headers, "vary")
        names = tuple(n.strip().lower() for n in (vary or "").split(",") if n.strip())
        if fresh is None or "*" in names:
            return
        etag = _field(headers, "etag")
        kept = _end_to_end(headers, *_NOT_STORED)
        with self._lock:
            old = self._matching(target, request)
            parts: tuple[tuple[int, bytes], ...] = ((first, data),)
            if (
                old is not None
                and old.length == length
                and length is not None
                and (self._behaviour.combine_across_etags or _strong_match(old.etag, etag))
            ):
                parts = _merge(old.parts, first, data)
            entry = _Entry(
                vary_names=names,
                vary_key=self._vary_key(names, request),
                headers=kept,
                etag=etag,
                length=length,
                parts=parts,
                received=time.monotonic(),
                age=fresh[1],
                lifetime=fresh[0],
            )
            entries = [e for e in self._entries.get(target, []) if e is not old]
            if self._behaviour.ignore_vary:
                entries = []
            self._entries[target] = [*entries, entry]


def _request_field(request: Message, name: str) -> str | None:
    values = request.get_all(name)
    return None if values is None else ", ".join(" ".join(v.split()) for v in values)


# ---------------------------------------------------------------------------------------------
# Upstream


@dataclass
class _Upstream:
    """One upstream answer, its body read as far as it went."""

    status: int
    reason: str
    headers: Headers
    body: bytes
    complete: bool  # False: the connection ended before the framing said the body ends
    declared_length: int | None
    chunked: bool

    @property
    def content_type(self) -> str:
        return (_field(self.headers, "content-type") or "").lower()


def _read_body(response: http.client.HTTPResponse) -> tuple[bytes, bool]:
    """The body and whether it ended where its framing said; ValueError past `MAX_BODY`."""
    chunks: list[bytes] = []
    size = 0
    complete = True
    try:
        while chunk := response.read(64 * 1024):
            size += len(chunk)
            if size > MAX_BODY:
                raise ValueError("upstream body larger than the proxy buffers")
            chunks.append(chunk)
    except http.client.IncompleteRead as exc:
        chunks.append(exc.partial)
        complete = False
    except (OSError, http.client.HTTPException):
        complete = False
    if response.length:  # http.client counts down what a Content-Length still owes
        complete = False
    return b"".join(chunks), complete


# ---------------------------------------------------------------------------------------------
# The server


class _ProxyServer(ThreadingHTTPServer):
    """Knows its open client connections, so stopping never waits on an idle keep-alive one."""

    daemon_threads = True

    def __init__(self, upstream: str, behaviour: Behaviour) -> None:
        split = urlsplit(upstream)
        if split.scheme not in ("http", "https") or not split.hostname:
            raise ValueError(f"upstream must be an http(s) base URL, not {upstream!r}")
        self.upstream_scheme = split.scheme
        self.upstream_host = split.hostname
        self.upstream_port = split.port
        self.upstream_netloc = split.netloc
        self.upstream_prefix = split.path.rstrip("/")
        self.behaviour = behaviour
        self.cache = _Cache(behaviour)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: _Request, client_address: Any) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: _Request) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """End every client connection's wait for its next request."""
        with self._open_lock:
            for sock in self._open:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def fetch(
        self, method: str, target: str, headers: Headers, body: bytes | None
    ) -> _Upstream | None:
        """One request on a fresh upstream connection; None if there was no answer at all."""
        conn: http.client.HTTPConnection
        if self.upstream_scheme == "https":
            conn = http.client.HTTPSConnection(
                self.upstream_host, self.upstream_port, timeout=UPSTREAM_TIMEOUT
            )
        else:
            conn = http.client.HTTPConnection(
                self.upstream_host, self.upstream_port, timeout=UPSTREAM_TIMEOUT
            )
        try:
            conn.putrequest(
                method, self.upstream_prefix + target, skip_host=True, skip_accept_encoding=True
            )
            conn.putheader("Host", self.upstream_netloc)
            for name, value in headers:
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            declared = response.getheader("Content-Length")
            chunked = response.chunked
            data, complete = _read_body(response)
            return _Upstream(
                status=response.status,
                reason=response.reason,
                headers=response.getheaders(),
                body=data,
                complete=complete,
                declared_length=int(declared) if declared and declared.isdigit() else None,
                chunked=chunked,
            )
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            conn.close()


class _Handler(BaseHTTPRequestHandler):
    """One client connection: each request answered from storage or forwarded."""

    protocol_version = "HTTP/1.1"
    timeout = CLIENT_TIMEOUT
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests read answers, not a log."""

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    # -- the request ----------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            body = self._request_body()
            target = self._target()
            if self.command == "GET":
                self._get(target)
            elif self.command == "HEAD":
                self._head(target)
            else:
                answer = self._forward(self._forward_headers(), body)
                if answer is not None and answer.status < 400:
                    self.server.cache.invalidate(target)  # RFC 9111 §4.4
                self._relay(answer)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _target(self) -> str:
        """Path and query, also from an absolute-form request target."""
        if self.path.startswith(("http://", "https://")):
            split = urlsplit(self.path)
            return (split.path or "/") + (f"?{split.query}" if split.query else "")
        return self.path

    def _request_body(self) -> bytes | None:
        length = self.headers.get("Content-Length")
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = bytearray()
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailer fields
            return bytes(data)
        if length is not None and length.strip().isdigit():
            return self.rfile.read(int(length))
        return None

    def _forward_headers(self, *drop: str) -> Headers:
        """The client's end-to-end fields, less Host (set to the upstream's) and `drop`."""
        return _end_to_end(list(self.headers.items()), "host", "content-length", *drop)

    def _forward(self, headers: Headers, body: bytes | None = None) -> _Upstream | None:
        return self.server.fetch(self.command, self._target(), headers, body)

    # -- GET and HEAD ---------------------------------------------------------------------

    def _bypass(self) -> bool:
        """The client asked for a validated answer, which this cache never gives from storage."""
        cc = _directives(_request_field(self.headers, "Cache-Control"))
        pragma = (_request_field(self.headers, "Pragma") or "").lower()
        return "no-cache" in cc or cc.get("max-age") == "0" or (not cc and "no-cache" in pragma)

    def _may_store(self) -> bool:
        return "no-store" not in _directives(_request_field(self.headers, "Cache-Control"))

    def _head(self, target: str) -> None:
        conditional = any(self.headers.get(name) for name in PRECONDITIONS)
        if not (conditional or self.headers.get("Range") or self._bypass()):
            entry = self.server.cache.lookup(target, self.headers)
            if entry is not None and entry.complete:
                self._answer(entry, 200, entry.parts[0][1], head=True)
                return
        self._relay(self._forward(self._forward_headers()))

    def _get(self, target: str) -> None:
        behaviour = self.server.behaviour
        cache = self.server.cache
        if any(self.headers.get(name) is not None for name in PRECONDITIONS):
            self._relay(self._forward(self._forward_headers()))
            return
        range_value = _request_field(self.headers, "Range")
        entry = None if self._bypass() else cache.lookup(target, self.headers)
        if range_value is None:
            if entry is not None and entry.complete:
                self._answer(entry, 200, entry.parts[0][1])
            elif entry is not None and behaviour.incomplete_as_200:
                self._answer(entry, 200, entry.parts[0][1])  # BUG: a part passed off as whole
            else:
                answer = self._forward(self._forward_headers())
                self._store(target, answer, bytes_unit=True)
                self._relay(answer)
            return
        if behaviour.never_cache_ranges:
            self._relay(self._forward(self._forward_headers()))
            return
        rng = _parse_range(range_value, any_unit=behaviour.store_unknown_unit)
        if rng.kind == "other":
            answer = self._forward(self._forward_headers())
            if answer is not None and answer.status == 200:
                self._store(target, answer, bytes_unit=True)
            self._relay(answer)
            return
        if rng.kind != "single":
            self._relay(self._forward(self._forward_headers()))
            return
        if_range = _request_field(self.headers, "If-Range")
        if entry is not None and self._answer_range(entry, rng, if_range):
            return
        if behaviour.fetch_whole and rng.bytes_unit:
            self._fetch_whole(target, rng, if_range)
            return
        answer = self._forward(self._forward_headers())
        self._store(target, answer, bytes_unit=rng.bytes_unit)
        self._relay(answer)

    def _answer_range(self, entry: _Entry, rng: _Range, if_range: str | None) -> bool:
        """Answer a single range from storage if it can be; False: it has to go upstream."""
        if if_range is not None and not _strong_match(if_range, entry.etag):
            if entry.complete:
                self._answer(entry, 200, entry.parts[0][1])  # the validator changed: all of it
                return True
            return False
        if entry.complete:
            self._answer_slice(entry, rng, entry.parts[0][1])
            return True
        if entry.length is not None:
            span = _resolve(rng, entry.length)
        elif rng.first is not None and rng.last is not None:
            span = rng.first, rng.last
        else:
            return False  # open or suffix range of an unknown length
        if span is None:
            return False  # unsatisfiable by the stored length: let the origin say so
        first, last = span
        for start, data in entry.parts:
            if start <= first and last < start + len(data):
                self._answer(entry, 206, data[first - start : last - start + 1], span=span)
                return True
        if self.server.behaviour.stored_206_outside:
            # BUG: the asked range is claimed, but the octets are the first part's from its start.
            data = entry.parts[0][1]
            want = last - first + 1
            octets = (data * (want // len(data) + 1))[:want] if data else b""
            self._answer(entry, 206, octets, span=span)
            return True
        return False

    def _answer_slice(self, entry: _Entry, rng: _Range, whole: bytes, cache: str = "HIT") -> None:
        """206 or 416 for one range of a complete representation (200 when it is empty)."""
        span = _resolve(rng, len(whole))
        if span is not None:
            self._answer(entry, 206, whole[span[0] : span[1] + 1], span=span, cache=cache)
        elif not whole and rng.first is None and rng.last:
            self._answer(entry, 200, whole, cache=cache)  # a suffix of nothing: no range says it
        else:
            self._write(
                416,
                "Range Not Satisfiable",
                [("Content-Range", f"bytes */{len(whole)}"), ("Date", formatdate(usegmt=True))],
                b"",
                cache=cache,
            )

    def _fetch_whole(self, target: str, rng: _Range, if_range: str | None) -> None:
        """The legal variant: ask for all of it, keep it, and cut the range here."""
        answer = self._forward(self._forward_headers("range", "if-range"))
        if answer is None or answer.status != 200 or not answer.complete:
            self._relay(answer)
            return
        self._store(target, answer, bytes_unit=True)
        fresh = _freshness(answer.headers, False) or (0.0, 0.0)
        entry = _Entry(
            vary_names=(),
            vary_key=(),
            headers=_end_to_end(answer.headers, *_NOT_STORED),
            etag=_field(answer.headers, "etag"),
            length=len(answer.body),
            parts=((0, answer.body),),
            received=time.monotonic(),
            age=fresh[1],
            lifetime=fresh[0],
        )
        if if_range is not None and not _strong_match(if_range, entry.etag):
            self._answer(entry, 200, answer.body, cache="MISS")
        else:
            self._answer_slice(entry, rng, answer.body, cache="MISS")

    def _store(self, target: str, answer: _Upstream | None, bytes_unit: bool) -> None:
        """Keep a whole 200 or a one-part bytes 206, if the answer and the request allow it."""
        if answer is None or not answer.complete or not self._may_store():
            return
        if answer.status == 200:
            self.server.cache.put(
                target, self.headers, answer.headers, 0, answer.body, len(answer.body)
            )
            return
        if answer.status != 206 or answer.content_type.startswith("multipart/byteranges"):
            return
        match = _CONTENT_RANGE.fullmatch((_field(answer.headers, "content-range") or "").strip())
        if match is None:
            if not bytes_unit:
                # BUG (store_unknown_unit): a 206 in another unit kept as if it were everything.
                self.server.cache.put(
                    target, self.headers, answer.headers, 0, answer.body, len(answer.body)
                )
            return
        first, last, total = match.groups()
        length = None if total == "*" else int(total)
        if int(last) < int(first) or len(answer.body) != int(last) - int(first) + 1:
            return  # the origin's Content-Range misdescribes its octets
        if length is not None and int(last) >= length:
            return
        self.server.cache.put(target, self.headers, answer.headers, int(first), answer.body, length)

    # -- writing answers ------------------------------------------------------------------

    def _answer(
        self,
        entry: _Entry,
        status: int,
        body: bytes,
        *,
        span: tuple[int, int] | None = None,
        head: bool = False,
        cache: str = "HIT",
    ) -> None:
        """An answer built from stored fields: Content-Length (and Content-Range) made here."""
        headers = list(entry.headers)
        if _field(headers, "date") is None:
            headers.append(("Date", formatdate(usegmt=True)))
        if cache == "HIT":
            headers.append(("Age", str(int(entry.current_age()))))
        if span is not None:
            total = "*" if entry.length is None else str(entry.length)
            headers.append(("Content-Range", f"bytes {span[0]}-{span[1]}/{total}"))
        reason = "Partial Content" if status == 206 else "OK"
        self._write(status, reason, headers, body, cache=cache, head=head)

    def _relay(self, answer: _Upstream | None) -> None:
        """Pass an upstream answer on as it came; a cut body stays cut (then the connection
        closes), and no answer at all becomes a 502."""
        if answer is None:
            text = b"upstream connection failed\n"
            self._write(502, "Bad Gateway", [("Content-Type", "text/plain")], text, cache="MISS")
            return
        headers = _end_to_end(answer.headers, "content-length", "x-cache")
        bodiless = self.command == "HEAD" or answer.status in (204, 304) or answer.status < 200
        if bodiless:
            if answer.declared_length is not None:
                headers.append(("Content-Length", str(answer.declared_length)))
            self._write(answer.status, answer.reason, headers, b"", cache="MISS", length=False)
        elif answer.complete:
            self._write(answer.status, answer.reason, headers, answer.body, cache="MISS")
        elif answer.declared_length is not None:
            headers.append(("Content-Length", str(answer.declared_length)))
            self._write(answer.status, answer.reason, headers, answer.body, cache="MISS", cut=True)
        else:  # chunked and cut: a chunked body without its last chunk says so to the client
            headers.append(("Transfer-Encoding", "chunked"))
            data = f"{len(answer.body):x}\r\n".encode() + answer.body + b"\r\n"
            self._write(
                answer.status, answer.reason, headers, data if answer.body else b"", cut=True
            )

    def _write(
        self,
        status: int,
        reason: str,
        headers: Headers,
        body: bytes,
        *,
        cache: str = "MISS",
        head: bool = False,
        length: bool = True,
        cut: bool = False,
    ) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        if length and not cut:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Cache", cache)
        if cut:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and not head and self.command != "HEAD":
            self.wfile.write(body)
        if cut:
            self.close_connection = True


@contextmanager
def caching_proxy(upstream: str, behaviour: Behaviour = Behaviour()) -> Iterator[str]:  # noqa: B008
    """Serve a caching proxy for `upstream` (an http base URL) on 127.0.0.1, a port the OS picks.

    Yields the proxy's base URL; on exit stops serving, closes every client connection and joins
    the server thread and every connection thread.
    """
    server = _ProxyServer(upstream, behaviour)
    host, port = server.server_address[:2]
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": _POLL},
        name=f"caching-proxy:{port}",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.drop_connections()
        server.server_close()  # joins the connection threads (block_on_close)
        thread.join(_JOIN_TIMEOUT)
        if thread.is_alive():
            raise RuntimeError("caching proxy thread did not stop")
