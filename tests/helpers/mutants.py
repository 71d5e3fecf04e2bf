"""Deliberately broken variants of the reference server: one real-world bug each.

Every class here is a WSGI middleware around a working app (in the tests,
`reference_server.create_app(fixtures_dir)`). It breaks exactly one thing, from the outside:
either it rewrites the request before the app sees it (`request`), or it rewrites the status,
headers or body of the app's answer (`response`). `reference_server` itself stays clean: it has
no test-only switches.

Bodies are buffered only when they are small (`SMALL`), so a mutant never holds the 5 GB fixture
in memory: the plain GET of `large.bin` always passes through untouched.

`LEGAL` lists variants that take a branch RFC 9110 allows; the suite must not fail or warn them.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from werkzeug.wsgi import ClosingIterator

from tests.helpers.multipart import BodyPart, join_multipart, split_multipart

Environ = dict[str, Any]
WSGIApp = Callable[..., Iterable[bytes]]

SMALL = 1024 * 1024  # never buffer a body larger than this

_SATISFIED = re.compile(r"bytes ([0-9]+)-([0-9]+)/([0-9]+)", re.ASCII)
_UNSATISFIED = re.compile(r"bytes \*/([0-9]+)", re.ASCII)
_FIRST_LAST = re.compile(r"bytes=([0-9]+)-([0-9]+)", re.ASCII)
_OPEN_OR_CLOSED = re.compile(r"bytes=([0-9]+)-([0-9]*)", re.ASCII)
_SUFFIX = re.compile(r"bytes=-([0-9]+)", re.ASCII)

# A strict reading of RFC 9110 §14.1.1 for the bytes unit, written here and shared with nobody:
# the list rule `1#range-spec` lets a recipient skip empty elements (§5.6.1.2), OWS only around
# commas, DIGIT is ASCII only. re.ASCII also keeps IGNORECASE from matching U+017F as "s".
_SPEC = r"(?:[0-9]+-[0-9]*|-[0-9]+)"
_VALID_BYTES = re.compile(
    rf"bytes=(?:,[ \t]*)*{_SPEC}(?:[ \t]*,(?:[ \t]*{_SPEC})?)*", re.ASCII | re.IGNORECASE
)
_UNIT = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)=", re.ASCII)
_BOUNDARY = re.compile(r"multipart/byteranges;\s*boundary=([0-9A-Za-z'()+_,./:=?-]+)", re.ASCII)
_CONDITIONALS = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
                 "HTTP_IF_UNMODIFIED_SINCE", "HTTP_IF_RANGE")  # fmt: skip


def range_unit(value: str) -> str | None:
    """The range unit a Range value names, if it starts with `token=`."""
    match = _UNIT.match(value.strip(" \t"))
    return match.group(1).lower() if match else None


def is_invalid_bytes_range(value: str) -> bool:
    """True for a Range value that is not a valid bytes ranges-specifier.

    A value whose unit is some other token (`items=0-9`) is not invalid, only unknown: a server
    must ignore it (§14.2), so this returns False for it.
    """
    unit = range_unit(value)
    if unit is not None and unit != "bytes":
        return False
    stripped = value.strip(" \t")
    if _VALID_BYTES.fullmatch(stripped) is None:
        return True
    for element in stripped.partition("=")[2].split(","):
        first, _, last = element.strip(" \t").partition("-")
        if first and last and int(first) > int(last):
            return True  # §14.1.1: last-pos less than first-pos makes the specifier invalid
    return False


@dataclass
class Reply:
    """What the wrapped app answered: status line, header list and body chunks."""

    status: str
    headers: list[tuple[str, str]]
    chunks: Iterable[bytes]

    @property
    def code(self) -> int:
        return int(self.status[:3])

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def set_header(self, name: str, value: str) -> None:
        self.drop_header(name)
        self.headers.append((name, value))

    def drop_header(self, name: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]

    @property
    def small(self) -> bool:
        length = self.header("Content-Length")
        return length is not None and length.isdigit() and int(length) <= SMALL

    @property
    def single_part_206(self) -> bool:
        return (
            self.code == 206
            and _SATISFIED.fullmatch(self.header("Content-Range") or "") is not None
        )

    def read(self) -> bytes:
        """The whole body; only ever called on a small one."""
        assert self.small, "a mutant must not buffer a large body"
        data = b"".join(self.chunks)
        self.chunks = [data]
        return data

    def replace(self, status: str, body: bytes) -> None:
        """A new status and body; Content-Length follows the body, the old body is dropped."""
        self.status = status
        self.chunks = [body]
        self.set_header("Content-Length", str(len(body)))


def _call(app: WSGIApp, environ: Environ) -> Reply:
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, list(headers)]
        return _no_write

    chunks = app(environ, start_response)
    assert started, "the wrapped app must call start_response before returning (Flask does)"
    return Reply(started[0], started[1], chunks)


def _subrequest(app: WSGIApp, environ: Environ, **changes: str | None) -> Reply:
    """Ask the wrapped app something else on the mutant's behalf; the body is read and closed.

    `changes` maps environ keys to new values (None removes the key), e.g. `HTTP_RANGE=None`.
    """
    sub = dict(environ)
    for key, value in changes.items():
        if value is None:
            sub.pop(key, None)
        else:
            sub[key] = value
    reply = _call(app, sub)
    try:
        data = b"".join(reply.chunks) if reply.small or sub["REQUEST_METHOD"] == "HEAD" else b""
    finally:
        close = getattr(reply.chunks, "close", None)
        if close is not None:
            close()
    reply.chunks = [data]
    return reply


def _http_date(value: str) -> Any:
    """An aware datetime for an IMF-fixdate (or another form email.utils reads), else None."""
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo is not None else None


def multipart_boundary(reply: Reply) -> str | None:
    """The boundary of a multipart/byteranges 206 small enough to rewrite, else None."""
    match = _BOUNDARY.fullmatch(reply.header("Content-Type") or "")
    return match.group(1) if match and reply.code == 206 and reply.small else None


def _no_write(data: bytes) -> None:
    raise NotImplementedError("mutants do not support the WSGI write() callable")


class Mutant:
    """Wraps a WSGI app; subclasses override `request` and/or `response` to break one thing."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def request(self, environ: Environ) -> None:
        """Rewrite the request (in place) before the app sees it."""

    def response(self, environ: Environ, reply: Reply) -> None:
        """Rewrite the app's answer (in place)."""

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ = dict(environ)
        self.request(environ)
        reply = _call(self.app, environ)
        original = reply.chunks
        self.response(environ, reply)
        start_response(reply.status, reply.headers)
        if reply.chunks is original:
            return original
        close = getattr(original, "close", None)
        return ClosingIterator(reply.chunks, [close] if close is not None else None)


def _is_get(environ: Environ) -> bool:
    return environ.get("REQUEST_METHOD") == "GET"


# The bugs, in the order of issue #2.


class ShortByOne(Mutant):
    """Length computed as `last - first`: the 206 body and Content-Length lose the last octet.

    The classic fencepost bug of hand-rolled range code that forgets both ends are inclusive
    (RFC 9110 §14.1.2); Content-Range still says `first-last`.
    """

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.single_part_206 and reply.small:
            reply.replace(reply.status, reply.read()[:-1])


class ContentRangeEndPlusOne(Mutant):
    """Content-Range written as `first-(last+1)`, an exclusive end as in Python slices or JS
    `slice()`; the body is right, so the header promises one octet more than it carries."""

    def response(self, environ: Environ, reply: Reply) -> None:
        match = _SATISFIED.fullmatch(reply.header("Content-Range") or "")
        if reply.code == 206 and match:
            first, last, length = match.groups()
            reply.set_header("Content-Range", f"bytes {first}-{int(last) + 1}/{length}")


class ExtraOctet(Mutant):
    """One octet too many: a slice taken as `first..last+1` (a read of `last - first + 2`
    octets), with Content-Length counting it, so the framing is consistent but the part is not."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.single_part_206 and reply.small:
            reply.replace(reply.status, reply.read() + b"\x00")


class NoContentRangeOn416(Mutant):
    """416 without `Content-Range: bytes */L` (RFC 9110 §15.5.17 SHOULD), as servers that
    send a bare error page do (e.g. many framework error handlers)."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.code == 416:
            reply.drop_header("Content-Range")


class LongSuffixIs416(Mutant):
    """A suffix longer than the representation answered 416 instead of the whole of it, as
    Werkzeug 3.1.8 does (`bytes=-5000` on 1000 octets): it checks `suffix > length`."""

    def response(self, environ: Environ, reply: Reply) -> None:
        suffix = _SUFFIX.fullmatch(environ.get("HTTP_RANGE", ""))
        match = _SATISFIED.fullmatch(reply.header("Content-Range") or "")
        if reply.code == 206 and suffix and match and int(suffix.group(1)) > int(match.group(3)):
            reply.set_header("Content-Range", f"bytes */{match.group(3)}")
            reply.replace("416 Range Not Satisfiable", b"")


class MinusZeroIsWhole(Mutant):
    """`bytes=-0` answered 206 with the whole representation, as Werkzeug 3.1.8 does: a zero
    suffix is read as "from L - 0", and an empty suffix range is never declared unsatisfiable."""

    def request(self, environ: Environ) -> None:
        if re.fullmatch(r"bytes=-0+", environ.get("HTTP_RANGE", "").strip(" \t")):
            environ["HTTP_RANGE"] = "bytes=0-"


class UnknownUnitIs416(Mutant):
    """A Range with a unit the server does not know (`items=0-9`) answered 416 instead of being
    ignored (RFC 9110 §14.2 MUST), as Werkzeug 3.1.8 does for any unit but bytes."""

    def response(self, environ: Environ, reply: Reply) -> None:
        unit = range_unit(environ.get("HTTP_RANGE", ""))
        length = reply.header("Content-Length")
        if unit not in (None, "bytes") and reply.code == 200 and length is not None:
            reply.set_header("Content-Range", f"bytes */{length}")
            reply.replace("416 Range Not Satisfiable", b"")


class FirstPosAtLengthIs206(Mutant):
    """`bytes=L-` answered 206 `bytes L-(L-1)/L` with no content: the satisfiability test is
    `first > length` where it must be `first >= length` (RFC 9110 §14.1.2)."""

    def response(self, environ: Environ, reply: Reply) -> None:
        asked = _OPEN_OR_CLOSED.fullmatch(environ.get("HTTP_RANGE", ""))
        unsatisfied = _UNSATISFIED.fullmatch(reply.header("Content-Range") or "")
        if reply.code == 416 and asked and unsatisfied:
            length = int(unsatisfied.group(1))
            if int(asked.group(1)) == length:
                reply.set_header("Content-Range", f"bytes {length}-{length - 1}/{length}")
                reply.replace("206 Partial Content", b"")


class CompleteLength32(Mutant):
    """Complete length truncated to 32 bits (`/705032704` for 5 000 000 000 octets): a size
    kept in an `unsigned int` or `long` on a 32-bit build without large-file support."""

    def response(self, environ: Environ, reply: Reply) -> None:
        match = _SATISFIED.fullmatch(reply.header("Content-Range") or "")
        if reply.code == 206 and match:
            first, last, length = match.groups()
            wrapped = int(length) % 2**32
            reply.set_header("Content-Range", f"bytes {first}-{last}/{wrapped}")


class HeadLength32(Mutant):
    """HEAD reports Content-Length modulo 2**32: the HEAD path formats the size through a 32-bit
    integer while GET streams the file (RFC 9110 §8.6: the length the GET would send)."""

    def response(self, environ: Environ, reply: Reply) -> None:
        length = reply.header("Content-Length")
        if environ.get("REQUEST_METHOD") == "HEAD" and length is not None and length.isdigit():
            reply.set_header("Content-Length", str(int(length) % 2**32))


class NoETagOn206(Mutant):
    """A 206 without the ETag its 200 carries (RFC 9110 §15.3.7 MUST): partial responses built
    by a separate code path that sets only Content-Range and Content-Length."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.code == 206:
            reply.drop_header("ETag")


class NoContentTypeOn206(Mutant):
    """A single-part 206 without the Content-Type its 200 carries: a partial-content path that
    sets only Content-Range and Content-Length (RFC 9110 §15.3.7 MUST, without If-Range)."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.single_part_206:
            reply.drop_header("Content-Type")


class NoValidatorsOn304(Mutant):
    """A 304 stripped to its status line and Date, as a hand-written "not modified" shortcut
    does: RFC 9110 §15.4.5 says it MUST carry the ETag and Cache-Control the 200 would."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.code == 304:
            reply.drop_header("ETag")
            reply.drop_header("Cache-Control")


class SliceFromFirstPlusOne(Mutant):
    """Content-Range right, octets taken from first+1: a 1-based seek (`seek(first + 1)`), or
    an index that skips the octet it was told to start at. Only `bytes=first-last` requests."""

    def request(self, environ: Environ) -> None:
        asked = _FIRST_LAST.fullmatch(environ.get("HTTP_RANGE", ""))
        if asked and _is_get(environ):
            first, last = (int(n) for n in asked.groups())
            environ["mutant.range"] = (first, last)
            environ["HTTP_RANGE"] = f"bytes={first + 1}-{last + 1}"

    def response(self, environ: Environ, reply: Reply) -> None:
        asked = environ.get("mutant.range")
        match = _SATISFIED.fullmatch(reply.header("Content-Range") or "")
        if asked and reply.code == 206 and match:
            length = int(match.group(3))
            last = min(asked[1], length - 1)
            reply.set_header("Content-Range", f"bytes {asked[0]}-{last}/{length}")


class AlwaysPartial(Mutant):
    """206 to a request without Range (a 200 is due, RFC 9110 §15.3.1), as misconfigured
    range-by-default handlers and caches that replay a stored 206 do. Body left intact."""

    def response(self, environ: Environ, reply: Reply) -> None:
        length = reply.header("Content-Length")
        plain_get = _is_get(environ) and "HTTP_RANGE" not in environ and reply.code == 200
        if plain_get and length is not None and length.isdigit() and int(length) > 0:
            reply.status = "206 Partial Content"
            reply.set_header("Content-Range", f"bytes 0-{int(length) - 1}/{length}")


class SingleRangeAsMultipart(Mutant):
    """A single range answered as a one-part multipart/byteranges (RFC 9110 §14.6 MUST NOT), as
    servers that route every range request through their multipart writer do."""

    BOUNDARY = "MUTANT-BOUNDARY"

    def response(self, environ: Environ, reply: Reply) -> None:
        if not (reply.single_part_206 and reply.small):
            return
        content_range = reply.header("Content-Range") or ""
        content_type = reply.header("Content-Type") or "application/octet-stream"
        part = (
            f"--{self.BOUNDARY}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: {content_range}\r\n\r\n"
        ).encode("ascii")
        body = part + reply.read() + f"\r\n--{self.BOUNDARY}--\r\n".encode("ascii")
        reply.drop_header("Content-Range")
        reply.set_header("Content-Type", f"multipart/byteranges; boundary={self.BOUNDARY}")
        reply.replace(reply.status, body)


# Conditional requests with Range (PEERS.md: the If-Range and If-Match rows).


class IfRangeIgnored(Mutant):
    """If-Range not implemented: the Range is served whatever validator If-Range names, as
    aiohttp, Tornado, WhiteNoise, CherryPy, serve-handler and koa-range do (PEERS.md), so a
    resuming client splices octets of a new representation onto its stale copy."""

    def request(self, environ: Environ) -> None:
        environ.pop("HTTP_IF_RANGE", None)


class WeakIfRangeAccepted(Mutant):
    """`If-Range: W/"x"` matched against the strong `"x"`: the W/ prefix dropped before a plain
    comparison, as Werkzeug, aiohttp, Tornado, WhiteNoise, CherryPy, Express and others do
    (PEERS.md), where If-Range demands the strong comparison (RFC 9110 §13.1.5)."""

    def request(self, environ: Environ) -> None:
        value = environ.get("HTTP_IF_RANGE", "").strip(" \t")
        if value.startswith("W/"):
            environ["HTTP_IF_RANGE"] = value[2:]


class LaterDateIfRange(Mutant):
    """An If-Range date matched with `Last-Modified <= date`, the If-Modified-Since rule,
    instead of exact equality (RFC 9110 §13.1.5), as Werkzeug and most peers in PEERS.md do.

    Modelled from outside: a date later than the file's Last-Modified (learned by a HEAD
    sub-request) is replaced by that Last-Modified, which the reference then matches.
    """

    def request(self, environ: Environ) -> None:
        asked = _http_date(environ.get("HTTP_IF_RANGE", ""))
        if asked is None:
            return
        probe = {key: None for key in (*_CONDITIONALS, "HTTP_RANGE")}
        head = _subrequest(self.app, environ, REQUEST_METHOD="HEAD", **probe)
        last_modified = head.header("Last-Modified") or ""
        modified = _http_date(last_modified)
        if modified is not None and asked > modified:
            environ["HTTP_IF_RANGE"] = last_modified


class IfNoneMatchIgnoredWithRange(Mutant):
    """If-None-Match not evaluated when the request has a Range: a 206 where 304 is due
    (RFC 9110 §13.2.2 puts If-None-Match before Range), as Werkzeug's `make_conditional` does."""

    def request(self, environ: Environ) -> None:
        if "HTTP_RANGE" in environ:
            environ.pop("HTTP_IF_NONE_MATCH", None)


class IfMatchIgnoredWithRange(Mutant):
    """A failed If-Match not enforced when the request has a Range: 206 where 412 is due
    (RFC 9110 §13.1.1), as lighttpd, Werkzeug, Starlette, Tornado, WhiteNoise, CherryPy,
    serve-handler and koa-range do (PEERS.md). A true If-Match makes no difference either way."""

    def request(self, environ: Environ) -> None:
        if "HTTP_RANGE" in environ:
            environ.pop("HTTP_IF_MATCH", None)


# multipart/byteranges framing (RFC 9110 §14.6, §15.3.7.2; RFC 2046 §5.1.1).


class MultipartWithoutBoundary(Mutant):
    """`Content-Type: multipart/byteranges` with no boundary parameter, which §14.6 requires:
    hand-written multipart writers that build the field from a constant and forget the
    parameter; no client can find the parts."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if multipart_boundary(reply) is not None:
            reply.set_header("Content-Type", "multipart/byteranges")


class PartWithoutContentRange(Mutant):
    """Body parts with only a Content-Type, no Content-Range (RFC 9110 §14.6 MUST): a multipart
    writer borrowed from form-data code, so a client cannot tell which octets a part holds."""

    def response(self, environ: Environ, reply: Reply) -> None:
        boundary = multipart_boundary(reply)
        if boundary is None:
            return
        parts = split_multipart(reply.read(), boundary)
        for part in parts:
            part.lines = [
                line for line in part.lines if not line.lower().startswith("content-range:")
            ]
        reply.replace(reply.status, join_multipart(parts, boundary))


class LaterPartsSeekOneTooFar(Mutant):
    """Every part after the first read from first+1 while its Content-Range is right: a seek
    that counts the delimiter's CRLF, or a file offset carried over from the previous part.
    Only for requests made of `first-last` ranges alone."""

    def request(self, environ: Environ) -> None:
        value = environ.get("HTTP_RANGE", "")
        specs = re.fullmatch(r"bytes=([0-9]+-[0-9]+(?:,[0-9]+-[0-9]+)+)", value.replace(" ", ""))
        if not specs or not _is_get(environ):
            return
        asked = [tuple(int(n) for n in spec.split("-")) for spec in specs.group(1).split(",")]
        moved = [asked[0], *((first + 1, last + 1) for first, last in asked[1:])]
        environ["mutant.moved"] = {f"{a[0]}-{a[1]}": f"{b[0]}-{b[1]}" for a, b in zip(
            moved, asked, strict=True)}  # fmt: skip
        environ["HTTP_RANGE"] = "bytes=" + ",".join(f"{first}-{last}" for first, last in moved)

    def response(self, environ: Environ, reply: Reply) -> None:
        moved = environ.get("mutant.moved")
        boundary = multipart_boundary(reply)
        if not moved or boundary is None:
            return
        parts = split_multipart(reply.read(), boundary)
        for part in parts:
            match = _SATISFIED.fullmatch(part.header("Content-Range") or "")
            if match and f"{match.group(1)}-{match.group(2)}" in moved:
                told = moved[f"{match.group(1)}-{match.group(2)}"]
                part.lines = [
                    f"Content-Range: bytes {told}/{match.group(3)}"
                    if line.lower().startswith("content-range:") else line
                    for line in part.lines
                ]  # fmt: skip
        reply.replace(reply.status, join_multipart(parts, boundary))


class NoCloseDelimiter(Mutant):
    """The body stops after the last part's octets, without the close delimiter
    `CRLF --boundary--` (RFC 2046 §5.1.1): a writer that emits a delimiter before each part and
    forgets the one after the last; Content-Length counts what is sent."""

    def response(self, environ: Environ, reply: Reply) -> None:
        boundary = multipart_boundary(reply)
        if boundary is not None:
            parts = split_multipart(reply.read(), boundary)
            reply.replace(reply.status, join_multipart(parts, boundary, close=False))


class TopLevelContentRangeOnMultipart(Mutant):
    """A multipart 206 that also carries a top-level Content-Range (RFC 9110 §15.3.7.2 MUST
    NOT), copied from its first part: single-range header code left running on the multipart
    path."""

    def response(self, environ: Environ, reply: Reply) -> None:
        boundary = multipart_boundary(reply)
        if boundary is not None:
            first = split_multipart(reply.read(), boundary)[0].header("Content-Range")
            if first is not None:
                reply.set_header("Content-Range", first)


class PartsAscending(Mutant):
    """Parts sorted by position instead of the order they were asked in (RFC 9110 §15.3.7.2
    SHOULD keep request order), as servers that sort the ranges before merging them do."""

    def response(self, environ: Environ, reply: Reply) -> None:
        boundary = multipart_boundary(reply)
        if boundary is None:
            return

        def first_pos(part: BodyPart) -> int:
            match = _SATISFIED.fullmatch(part.header("Content-Range") or "")
            return int(match.group(1)) if match else -1

        parts = sorted(split_multipart(reply.read(), boundary), key=first_pos)
        reply.replace(reply.status, join_multipart(parts, boundary))


class HeadServedAsGet(Mutant):
    """HEAD handled as a GET, content included, though a HEAD response has none (RFC 9110
    §9.3.2): a HEAD routed through the GET handler of a server whose core does not drop the
    body. With a Range that is a 206 carrying the octets. Flask drops a HEAD body inside the
    app, so the app is asked a GET; Werkzeug's dev server, outside, writes what it is given."""

    def request(self, environ: Environ) -> None:
        if environ.get("REQUEST_METHOD") == "HEAD":
            environ["REQUEST_METHOD"] = "GET"


# Content coding (RFC 9110 §8.4, §8.8.3, §14.1.2).


def _wants_gzip(environ: Environ) -> bool:
    return "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "").lower()


class NoContentEncodingOn206(Mutant):
    """A 206 of the gzip form without `Content-Encoding: gzip`: the partial path rebuilds the
    header section and forgets the coding (RFC 9110 §15.3.7 MUST repeat it), so the client
    takes gzip octets for the identity form."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.code == 206 and _wants_gzip(environ):
            reply.drop_header("Content-Encoding")


class SharedETagAcrossCodings(Mutant):
    """The gzip form sent under the identity form's strong ETag (RFC 9110 §8.8.3): on-the-fly
    or precompressed gzip layered over a file handler that already set the file's ETag and
    that nothing weakens or changes, so If-Range can splice identity and gzip octets."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if (reply.header("Content-Encoding") or "").lower() != "gzip":
            return
        probe = {key: None for key in (*_CONDITIONALS, "HTTP_RANGE")}
        identity = _subrequest(
            self.app, environ, REQUEST_METHOD="HEAD", HTTP_ACCEPT_ENCODING="identity", **probe
        )
        etag = identity.header("ETag")
        if etag is not None:
            reply.set_header("ETag", etag)


# Legal variants: branches RFC 9110 allows, which the suite must not fail or warn about.


class IgnoreRange(Mutant):
    """Ranges not supported at all: Range is dropped, every GET is a 200 (RFC 9110 §14.2 MAY),
    like a server with range support turned off. Legal in the rfc profile; media needs ranges."""

    def request(self, environ: Environ) -> None:
        environ.pop("HTTP_RANGE", None)


class RejectInvalidWith416(Mutant):
    """Syntactically invalid bytes ranges rejected with 416 `bytes */L` where the reference
    ignores them with a 200 (RFC 9110 §14.2: a server MAY ignore or reject an invalid
    ranges-specifier). Unknown units are not invalid and still get the app's 200."""

    def response(self, environ: Environ, reply: Reply) -> None:
        value = environ.get("HTTP_RANGE")
        length = reply.header("Content-Length")
        if value is None or not _is_get(environ) or reply.code != 200 or length is None:
            return
        if is_invalid_bytes_range(value):
            reply.set_header("Content-Range", f"bytes */{length}")
            reply.drop_header("Content-Type")
            reply.replace("416 Range Not Satisfiable", b"")


class IgnoreMultiRange(Mutant):
    """Single ranges served, several ignored with a 200 (RFC 9110 §14.2 MAY), as Tornado,
    WhiteNoise and Express do for `bytes=0-9,20-29` (PEERS.md)."""

    def request(self, environ: Environ) -> None:
        if "," in environ.get("HTTP_RANGE", ""):
            environ.pop("HTTP_RANGE")


def _span(content_range: str | None) -> tuple[int, int]:
    """first and last of a satisfied `bytes first-last/length`."""
    match = _SATISFIED.fullmatch(content_range or "")
    assert match is not None, f"not a satisfied Content-Range: {content_range!r}"
    return int(match.group(1)), int(match.group(2))


class OverlapNotCoalesced(Mutant):
    """Overlapping ranges each sent as asked, the shared octets twice, where the reference
    coalesces them (RFC 9110 §15.3.7.2 MAY either way), as nginx, Caddy, Go and CherryPy do.

    Whenever the app answers a multi-range GET with a 206, each range is asked of the app on
    its own; if two of the answers overlap, the multipart body is rebuilt from them in request
    order. Sets the reference refuses (more than two overlapping) stay refused.
    """

    def response(self, environ: Environ, reply: Reply) -> None:
        value = environ.get("HTTP_RANGE", "")
        if not (_is_get(environ) and reply.code == 206 and "," in value and reply.small):
            return
        specs = [s.strip(" \t") for s in value.partition("=")[2].split(",") if s.strip(" \t")]
        answers = [_subrequest(self.app, environ, HTTP_RANGE=f"bytes={s}") for s in specs]
        answers = [a for a in answers if a.single_part_206]
        spans = [_span(a.header("Content-Range")) for a in answers]
        if not any(
            i < j and a[0] <= b[1] and b[0] <= a[1]
            for i, a in enumerate(spans)
            for j, b in enumerate(spans)
        ):
            return
        boundary = secrets.token_hex(16)
        per_part = ("Content-Type", "Content-Encoding", "Content-Range")
        parts = [
            BodyPart(
                [f"{name}: {a.header(name)}" for name in per_part if a.header(name) is not None],
                b"".join(a.chunks),
            )
            for a in answers
        ]
        reply.read()  # drain the app's own (coalesced) body, closed when the response ends
        reply.drop_header("Content-Range")
        reply.drop_header("Content-Encoding")
        reply.set_header("Content-Type", f"multipart/byteranges; boundary={boundary}")
        reply.replace(reply.status, join_multipart(parts, boundary))


class WeakETagsOnly(Mutant):
    """Every ETag weak (`W/"…"`), as Apache sends for files modified within the last second
    and many frameworks send for generated content: legal, and If-Range with an entity-tag
    can then never match (strong comparison), so every such request gets a 200."""

    def response(self, environ: Environ, reply: Reply) -> None:
        etag = reply.header("ETag")
        if etag is not None and not etag.startswith("W/"):
            reply.set_header("ETag", f"W/{etag}")


class NoRepresentationFieldsWithIfRange(Mutant):
    """A 206 to an If-Range request without Content-Type or Last-Modified: the client holds
    them from the 200, and a sender SHOULD NOT repeat them (RFC 9110 §15.3.7)."""

    def response(self, environ: Environ, reply: Reply) -> None:
        if reply.single_part_206 and "HTTP_IF_RANGE" in environ:
            reply.drop_header("Content-Type")
            reply.drop_header("Last-Modified")


LEGAL: tuple[type[Mutant], ...] = (
    IgnoreRange,
    RejectInvalidWith416,
    IgnoreMultiRange,
    OverlapNotCoalesced,
    WeakETagsOnly,
    NoRepresentationFieldsWithIfRange,
)
