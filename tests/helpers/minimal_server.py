"""A faithful minimal HTTP/1.1 byte-range server, written from RFC 9110 and RFC 9112 alone.

It shares no code with `reference_server` or `conformance` (standard library only), so a bug in
the harness cannot agree with the same bug in the reference server: the whole case catalogue run
against this server must come out without warn, fail or error. Its choices, where RFC 9110 leaves
one:

- Range is applied to GET only (§14.2): HEAD gets the 200's fields, other methods 405 or 501;
- an invalid Range, an unknown unit, more than `MAX_RANGES` ranges, or ranges that add up to more
  than the representation are ignored (200, §14.2); a zero-length representation ignores Range;
- several satisfiable ranges become multipart/byteranges in request order, never coalesced;
- preconditions run in the §13.2.2 order before If-Range; If-Range matches a strong entity-tag
  by strong comparison or a date equal to a strong Last-Modified, and otherwise drops the Range;
- one thread per connection, every read and write under a timeout, bodies streamed in
  `CHUNK`-octet slices (a sparse 5 GiB file costs no memory).

`write_counter_file` and `write_sparse_file` make test files whose octets give away any slice
taken from the wrong place.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import secrets
import socket
import threading
import time
from calendar import timegm
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import formatdate
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote

CHUNK = 64 * 1024  # octets read from the file and sent per step
MAX_HEAD = 256 * 1024  # a 70 KB Range field is judged; a larger request head gets 431
MAX_BODY = 1024 * 1024  # request content read and discarded; more gets 413 and a close
MAX_RANGES = 100  # more range-specs than this are ignored as excessive (§14.2)
MAX_REQUESTS = 1000  # per connection
IDLE = 10.0  # seconds a connection may wait for a complete request head
POLL = 0.2  # how often a waiting read looks at the stop event
SEND_TIMEOUT = 10.0
JOIN_TIMEOUT = 5.0
FIXED_MTIME = 1_700_000_000  # 2023-11-14: far enough back that Last-Modified is a strong date
ALLOW = "GET, HEAD, OPTIONS"
KNOWN_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH", "CONNECT", "TRACE"})  # 405, not 501

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# RFC 9110 §14.1.1: int-range = first-pos "-" [ last-pos ], suffix-range = "-" suffix-length,
# positions are 1*DIGIT (ASCII only: not '+', '_', '²' or other Unicode digits).
RANGE_SPEC = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)")
HUGE = 1 << 64  # every position at or past this is past the end of any file
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MON = "(" + "|".join(MONTHS) + ")"
_D2, _D4 = "([0-9]{2})", "([0-9]{4})"
_TIME = f"{_D2}:{_D2}:{_D2}"
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_DAY_NAME = "(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
# RFC 9110 §5.6.7: a recipient MUST accept all three forms of HTTP-date.
IMF_FIXDATE = re.compile(f"{_DAY}, {_D2} {_MON} {_D4} {_TIME} GMT")
RFC850_DATE = re.compile(f"{_DAY_NAME}, {_D2}-{_MON}-{_D2} {_TIME} GMT")
ASCTIME_DATE = re.compile(f"{_DAY} {_MON} ([0-9 ][0-9]) {_TIME} {_D4}")

Piece = bytes | tuple[int, int]  # literal octets, or (offset, length) of the file


class _Close(Exception):
    """The connection cannot go on (peer gone, bad framing, file shrank): close it."""


@dataclass(frozen=True)
class _Resource:
    path: Path
    content_type: str
    validators: str  # "strong", "weak" (weak ETag) or "none" (no ETag, no Last-Modified)


@dataclass
class _Request:
    method: str
    target: str
    version: str
    fields: dict[str, list[str]]

    def field(self, name: str) -> str | None:
        """The field's value, several lines combined with ", " (RFC 9110 §5.3); None if absent."""
        values = self.fields.get(name)
        return None if values is None else ", ".join(values)


@dataclass
class _Response:
    status: int
    fields: list[tuple[str, str]] = field(default_factory=list)
    body: list[Piece] = field(default_factory=list)
    fd: int | None = None  # the open file the (offset, length) pieces come from

    @property
    def length(self) -> int:
        return sum(len(p) if isinstance(p, bytes) else p[1] for p in self.body)


# --- HTTP-dates and entity-tags -----------------------------------------------------------------


def http_date(seconds: float) -> str:
    """IMF-fixdate, the form a sender must generate (RFC 9110 §5.6.7)."""
    return formatdate(seconds, usegmt=True)


def parse_http_date(value: str | None) -> int | None:
    """Seconds since the epoch for any of the three HTTP-date forms, or None when invalid."""
    if value is None:
        return None
    if m := IMF_FIXDATE.fullmatch(value):
        day, mon, year, hh, mm, ss = m.groups()
    elif m := ASCTIME_DATE.fullmatch(value):
        mon, day, hh, mm, ss, year = m.groups()
    elif m := RFC850_DATE.fullmatch(value):
        day, mon, yy, hh, mm, ss = m.groups()
        # §5.6.7: a two-digit year more than 50 years ahead is the latest past year ending so.
        this_year = time.gmtime().tm_year
        candidate = this_year - this_year % 100 + int(yy)
        year = str(candidate - 100 if candidate > this_year + 50 else candidate)
    else:
        return None
    try:  # datetime rejects 31 Feb, 25:00 and the like
        moment = datetime(int(year), MONTHS.index(mon) + 1, int(day), int(hh), int(mm), int(ss))
    except ValueError:
        return None
    return timegm(moment.timetuple())


def parse_etags(value: str) -> list[str] | None:
    """The members of `#entity-tag` (RFC 9110 §8.8.3) as sent, W/ kept; None when malformed.

    A hand scanner, because an opaque-tag may itself contain commas."""
    tags: list[str] = []
    i, n = 0, len(value)
    while i < n:
        if value[i] in " \t,":
            i += 1
            continue
        start = i
        if value.startswith("W/", i):
            i += 2
        if i >= n or value[i] != '"':
            return None
        close = value.find('"', i + 1)
        if close < 0 or any(c < "\x21" or c == "\x7f" for c in value[i + 1 : close]):
            return None
        tags.append(value[start : close + 1])
        i = close + 1
        if i < n and value[i] not in " \t,":
            return None
    return tags


def strong_match(a: str, b: str) -> bool:
    """Strong comparison (§8.8.3.2): both strong and octet-for-octet equal."""
    return a == b and not a.startswith("W/")


def weak_match(a: str, b: str) -> bool:
    """Weak comparison (§8.8.3.2): the opaque-tags are equal, W/ or not."""
    return a.removeprefix("W/") == b.removeprefix("W/")


# --- Range (RFC 9110 §14) -----------------------------------------------------------------------


def _position(digits: str) -> int:
    """A 1*DIGIT position of any length, without int()'s digit limit: huge values cap at HUGE."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 20 else HUGE


def _below(a: str, b: str) -> bool:
    """Whether the decimal a is less than b, compared as strings so no size is too large."""
    a, b = a.lstrip("0"), b.lstrip("0")
    return (len(a), a) < (len(b), b)


def parse_range(value: str) -> list[tuple[int | None, int]] | None:
    """A bytes range-set as (first, last) int-ranges (last HUGE when open) and (None, suffix)
    suffix-ranges, or None when the Range is to be ignored: another unit, invalid syntax (one
    bad range-spec spoils the set, §14.1.1), or more than MAX_RANGES specs."""
    unit, equals, range_set = value.partition("=")
    if not equals or unit.lower() != "bytes":  # units are case-insensitive (§14.1)
        return None
    specs: list[tuple[int | None, int]] = []
    for element in range_set.split(","):
        element = element.strip(" \t")
        if not element:  # empty list elements are skipped (§5.6.1.2)
            continue
        m = RANGE_SPEC.fullmatch(element)
        if m is None or len(specs) == MAX_RANGES:
            return None
        first, last, suffix = m.groups()
        if suffix is not None:
            specs.append((None, _position(suffix)))
        elif not last:
            specs.append((_position(first), HUGE))
        elif _below(last, first):  # last-pos below first-pos makes the spec invalid
            return None
        else:
            specs.append((_position(first), _position(last)))
    return specs or None


def satisfiable(spec: tuple[int | None, int], length: int) -> tuple[int, int] | None:
    """The (first, last) octets a spec selects in `length` octets, or None (§14.1.2)."""
    first, last = spec
    if first is None:  # suffix: the last `last` octets, all of them when it is longer
        return (max(0, length - last), length - 1) if last > 0 else None
    return (first, min(last, length - 1)) if first < length else None


# --- Answers ------------------------------------------------------------------------------------


class _Site:
    """What is served: files by URL path, redirects, and how to answer one request."""

    def __init__(self, resources: Mapping[str, _Resource], redirects: Mapping[str, str]) -> None:
        self.resources = resources
        self.redirects = redirects

    def respond(self, request: _Request, now: float) -> _Response:
        path = unquote(request.target.partition("?")[0])
        if request.method == "OPTIONS" and request.target == "*":
            return _Response(204, [("Allow", ALLOW)])
        if path in self.redirects:
            return _Response(302, [("Location", self.redirects[path])])
        resource = self.resources.get(path)
        if resource is None or not resource.path.is_file():
            return _not_found()
        if request.method == "OPTIONS":
            return _Response(204, [("Allow", ALLOW)])
        if request.method not in ("GET", "HEAD"):
            # Range is never applied here (§14.2): 405 for a method we know, else 501 (§15.6.2).
            status = 405 if request.method in KNOWN_METHODS else 501
            return _Response(status, [("Allow", ALLOW)] if status == 405 else [])
        try:
            fd = os.open(resource.path, os.O_RDONLY)
        except OSError:  # removed since is_file()
            return _not_found()
        try:
            response = self._representation(request, resource, fd, now)
        except BaseException:
            os.close(fd)
            raise
        if response.fd is None:
            os.close(fd)
        return response

    def _representation(
        self, request: _Request, resource: _Resource, fd: int, now: float
    ) -> _Response:
        """GET or HEAD of a file: preconditions (§13.2.2), then If-Range and Range (§14)."""
        stat = os.fstat(fd)
        length = stat.st_size
        etag: str | None = None
        modified: int | None = None
        if resource.validators != "none":
            etag = f'"r{stat.st_ino:x}-{length:x}-{stat.st_mtime_ns:x}"'
            if resource.validators == "weak":
                etag = "W/" + etag
            # §8.8.2.1: never a Last-Modified later than the Date of the same message.
            modified = min(int(stat.st_mtime), int(now))
        validators = [("ETag", etag)] if etag else []
        if modified is not None:
            validators.append(("Last-Modified", http_date(modified)))

        status = _preconditions(request, etag, modified, now)
        if status == 304:  # §15.4.5: the 200's ETag; Last-Modified only to stand in for one
            return _Response(304, validators[:1] if etag else validators)
        if status == 412:
            return _Response(412)

        whole = _Response(
            200,
            [("Accept-Ranges", "bytes"), ("Content-Type", resource.content_type), *validators],
            [(0, length)],
            fd,
        )
        range_value = request.field("range")
        if request.method != "GET" or range_value is None or length == 0:
            return whole  # Range is defined for GET only; nothing of zero octets can be a part
        if_range = request.field("if-range")
        if if_range is not None and not _if_range_holds(if_range, etag, modified, now):
            return whole  # §13.1.5: a false If-Range means the whole representation
        specs = parse_range(range_value)
        if specs is None:
            return whole
        spans = [s for s in (satisfiable(spec, length) for spec in specs) if s is not None]
        if not spans:
            return _Response(416, [("Content-Range", f"bytes */{length}")])
        if sum(last - first + 1 for first, last in spans) > length:
            return whole  # overlapping or repeated ranges: no more octets than a 200 (§14.2)
        # §15.3.7: after If-Range the client has the representation fields already, so the 206
        # SHOULD NOT repeat them: Last-Modified goes. Content-Type stays on a single part only
        # because the harness demands it on every single-part 206 (a SHOULD NOT we break).
        kept = validators if if_range is None else validators[:1]
        if len(spans) == 1:
            (first, last) = spans[0]
            return _Response(
                206,
                [
                    ("Accept-Ranges", "bytes"),
                    ("Content-Type", resource.content_type),
                    ("Content-Range", f"bytes {first}-{last}/{length}"),
                    *kept,
                ],
                [(first, last - first + 1)],
                fd,
            )
        boundary = secrets.token_hex(16)
        body: list[Piece] = []
        for first, last in spans:  # §14.6, RFC 2046 §5.1.1; parts in request order
            part_head = (
                f"--{boundary}\r\nContent-Type: {resource.content_type}\r\n"
                f"Content-Range: bytes {first}-{last}/{length}\r\n\r\n"
            )
            # The CRLF that ends a part's content belongs to the next delimiter (RFC 2046).
            body.append((b"\r\n" if body else b"") + part_head.encode("latin-1"))
            body.append((first, last - first + 1))
        body.append(f"\r\n--{boundary}--\r\n".encode("latin-1"))
        content_type = f"multipart/byteranges; boundary={boundary}"
        return _Response(
            206, [("Accept-Ranges", "bytes"), ("Content-Type", content_type), *kept], body, fd
        )


def _not_found() -> _Response:
    return _Response(404, [("Content-Type", "text/plain")], [b"not found\n"])


def _preconditions(request: _Request, etag: str | None, modified: int | None, now: float) -> int:
    """RFC 9110 §13.2.2 steps 1-4 for GET and HEAD: 412, 304, or 200 to go on."""
    if_match = request.field("if-match")
    if if_match is not None:
        tags = parse_etags(if_match) or []
        if if_match != "*" and not (etag and any(strong_match(t, etag) for t in tags)):
            return 412
    else:
        since = parse_http_date(request.field("if-unmodified-since"))
        if since is not None and modified is not None and modified > since:
            return 412
    if_none_match = request.field("if-none-match")
    if if_none_match is not None:
        tags = parse_etags(if_none_match) or []
        if if_none_match == "*" or (etag and any(weak_match(t, etag) for t in tags)):
            return 304
    else:
        since = parse_http_date(request.field("if-modified-since"))
        # §13.1.3: a date later than our clock is invalid, so ignored.
        if since is not None and modified is not None and modified <= since <= now:
            return 304
    return 200


def _if_range_holds(value: str, etag: str | None, modified: int | None, now: float) -> bool:
    """§13.1.5: an entity-tag by strong comparison, or a date equal to a strong Last-Modified."""
    if value.startswith(('"', 'W/"')):
        return etag is not None and strong_match(value, etag)
    date = parse_http_date(value)
    # §8.8.2.2: Last-Modified is strong only once its second is over.
    return date is not None and modified is not None and date == modified and modified + 1 <= now


# --- The wire (RFC 9112) ------------------------------------------------------------------------


def _parse_head(head: bytes) -> _Request | None:
    """Request line and field lines, or None when they are malformed (answered 400)."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not TOKEN.fullmatch(parts[0]) or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
        return None
    fields: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        # No whitespace before the colon, no obs-fold (RFC 9112 §5.1, §5.2); no CR, LF or NUL
        # inside a value (RFC 9110 §5.5).
        if not colon or not TOKEN.fullmatch(name) or any(c in value for c in "\r\n\0"):
            return None
        fields.setdefault(name.lower(), []).append(value.strip(" \t"))
    request = _Request(parts[0], parts[1], parts[2], fields)
    if request.version == "HTTP/1.1" and len(fields.get("host", [])) != 1:
        return None  # RFC 9112 §3.2: exactly one Host
    return request


class _Connection:
    """One client socket: read requests, answer them, until close, idle timeout or stop."""

    def __init__(self, sock: socket.socket, site: _Site, stop: threading.Event) -> None:
        self.sock = sock
        self.site = site
        self.stop = stop
        self.buffer = b""

    def serve(self) -> None:
        for _ in range(MAX_REQUESTS):
            head = self._read_head()
            if head is None:
                return
            request = _parse_head(head)
            if request is None:
                self._send(_Response(400), head_only=False, close=True)
                return
            if not self._discard_content(request):
                return
            connection = {t.strip().lower() for t in (request.field("connection") or "").split(",")}
            close = request.version == "HTTP/1.0" or "close" in connection
            response = self.site.respond(request, time.time())
            self._send(response, head_only=request.method == "HEAD", close=close)
            if close:
                return

    def _recv(self, deadline: float) -> bytes:
        """Some octets; raises _Close on EOF, reset, idle timeout or stop."""
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError as exc:
                raise _Close from exc
            if not chunk:
                raise _Close
            return chunk
        raise _Close

    def _read_head(self) -> bytes | None:
        """The next request head without its blank line; None to close (431 already sent)."""
        deadline = time.monotonic() + IDLE
        while True:
            self.buffer = self.buffer.lstrip(b"\r\n")  # RFC 9112 §2.2: blank lines before a request
            end = self.buffer.find(b"\r\n\r\n")
            if 0 <= end <= MAX_HEAD:
                head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
                return head
            if len(self.buffer) > MAX_HEAD:
                self._send(_Response(431), head_only=False, close=True)
                return None
            self.buffer += self._recv(deadline)

    def _discard_content(self, request: _Request) -> bool:
        """Read the request's content, if any, so the next request starts in the right place."""
        if request.field("transfer-encoding") is not None:
            self._send(_Response(411), head_only=False, close=True)  # we read no chunked content
            return False
        declared = request.field("content-length")
        if declared is None:
            return True
        if not declared.isascii() or not declared.isdigit():
            self._send(_Response(400), head_only=False, close=True)
            return False
        remaining = int(declared)
        if remaining > MAX_BODY:
            self._send(_Response(413), head_only=False, close=True)
            return False
        deadline = time.monotonic() + IDLE
        while len(self.buffer) < remaining:
            self.buffer += self._recv(deadline)
        self.buffer = self.buffer[remaining:]
        return True

    def _send(self, response: _Response, head_only: bool, close: bool) -> None:
        """Status line, fields (Date on every answer), then the content streamed from the file."""
        try:
            lines = [f"HTTP/1.1 {response.status} {HTTPStatus(response.status).phrase}"]
            lines.append(f"Date: {http_date(time.time())}")
            lines += [f"{name}: {value}" for name, value in response.fields]
            if response.status not in (204, 304):  # §8.6: never on 204; a 304 needs none
                lines.append(f"Content-Length: {response.length}")
            if close:
                lines.append("Connection: close")
            self.sock.settimeout(SEND_TIMEOUT)
            self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
            if not head_only and response.status not in (204, 304):
                for piece in response.body:
                    self._send_piece(piece, response.fd)
        except OSError as exc:
            raise _Close from exc
        finally:
            self.sock.settimeout(POLL)
            if response.fd is not None:
                os.close(response.fd)

    def _send_piece(self, piece: Piece, fd: int | None) -> None:
        if isinstance(piece, bytes):
            self.sock.sendall(piece)
            return
        offset, remaining = piece
        assert fd is not None
        while remaining:
            if self.stop.is_set():
                raise _Close
            data = os.pread(fd, min(CHUNK, remaining), offset)
            if not data:  # the file shrank under us: the promised length cannot be kept
                raise _Close
            self.sock.sendall(data)
            offset += len(data)
            remaining -= len(data)


class _Server:
    """The listening socket, its accept thread and one daemon thread per connection."""

    def __init__(self, site: _Site, host: str) -> None:
        self.site = site
        self.listener = socket.create_server((host, 0))
        self.listener.settimeout(POLL)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.connections: dict[socket.socket, threading.Thread] = {}
        self.acceptor = threading.Thread(target=self._accept, name="minimal-accept", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(POLL)
            # The head and the content go out in separate writes: without this, Nagle's
            # algorithm and the peer's delayed ACK hold the second one back for ~40 ms.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            with self.lock:
                self.connections[sock] = thread
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            _Connection(sock, self.site, self.stop).serve()
        except _Close:
            pass
        finally:
            with self.lock:
                self.connections.pop(sock, None)
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        """Stop accepting, cut every open connection and join all threads."""
        self.stop.set()
        self.acceptor.join(JOIN_TIMEOUT)
        self.listener.close()
        with self.lock:
            open_connections = list(self.connections.items())
        for sock, thread in open_connections:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            thread.join(JOIN_TIMEOUT)


def _content_type(url_path: str) -> str:
    guessed = mimetypes.guess_type(url_path)[0] or "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


@contextmanager
def serve_minimal(
    files: Mapping[str, Path],
    host: str = "127.0.0.1",
    *,
    weak: Collection[str] = (),
    dynamic: Collection[str] = (),
    redirects: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Serve the given files (URL path -> local file, e.g. {"/main.bin": path}) on a free port;
    yield the base URL ("http://127.0.0.1:PORT"); stop the server and join its threads on exit.

    Paths in `weak` get a weak ETag, paths in `dynamic` neither ETag nor Last-Modified (the
    suite's `weak` and `dynamic` roles); `redirects` maps URL paths to a 302 Location. Any other
    path answers 404 (the `missing` role). The Content-Type follows the URL path's extension."""
    resources = {
        url_path: _Resource(
            Path(local),
            _content_type(url_path),
            "none" if url_path in dynamic else "weak" if url_path in weak else "strong",
        )
        for url_path, local in files.items()
    }
    server = _Server(_Site(resources, dict(redirects or {})), host)
    server.acceptor.start()
    try:
        yield server.url
    finally:
        server.close()


# --- Test files ---------------------------------------------------------------------------------


def _counter_octets(start: int, length: int, seed: bytes = b"") -> bytes:
    """`length` octets of SHA-256(seed + counter) blocks, counters from start // 32."""
    first_block = start // 32
    blocks = (length + start % 32 + 31) // 32
    data = b"".join(
        hashlib.sha256(seed + (first_block + i).to_bytes(8, "big")).digest() for i in range(blocks)
    )
    return data[start % 32 : start % 32 + length]


def write_counter_file(path: Path, length: int, mtime: float | None = FIXED_MTIME) -> Path:
    """Write `length` octets that never repeat in a useful way (SHA-256 of a block counter), so
    a slice off by one, or from another place, never matches; set the mtime well in the past
    (None: leave it) so that Last-Modified is a strong validator."""
    with path.open("wb") as out:
        for offset in range(0, length, CHUNK):
            out.write(_counter_octets(offset, min(CHUNK, length - offset)))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def write_sparse_file(path: Path, length: int, mtime: float | None = FIXED_MTIME) -> Path:
    """A sparse file of `length` octets (truncate): zeros, except 64 KiB islands of counter
    octets at the start, the middle and the end, each different, so windows there are checked
    against something other than zeros."""
    with path.open("wb") as out:
        out.truncate(length)
        island = min(CHUNK, length)
        for index, start in enumerate((0, max(0, length // 2 - island // 2), length - island)):
            out.seek(start)
            out.write(_counter_octets(start, island, seed=b"island%d" % index))
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path
