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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.wsgi import ClosingIterator

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


LEGAL: tuple[type[Mutant], ...] = (IgnoreRange, RejectInvalidWith416)
