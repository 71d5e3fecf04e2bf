"""send_file_ranged: Flask's send_file with RFC 9110 range and conditional handling of its own.

Works inside any Flask view (reads `flask.request`). Bodies are streamed from the file in
bounded chunks, zero-copy through `wsgi.file_wrapper` when the server offers one.
"""

from __future__ import annotations

import functools
import io
import mimetypes
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, BinaryIO

from flask import Response, abort, request
from werkzeug.datastructures import Headers

from .conditions import (
    Conditionals,
    Decision,
    Validators,
    evaluate_preconditions,
    range_applies,
)
from .dates import format_http_date
from .etags import EntityTag, parse_entity_tag
from .multipart import (
    CHUNK_SIZE,
    MultipartPlan,
    iter_file_slice,
    iter_multipart,
    new_boundary,
    plan_multipart,
)
from .negotiation import accepts_gzip
from .ranges import ByteRange, Ignore, Satisfiable, Unsatisfiable, evaluate_range

__all__ = ["send_file_ranged"]


class RangedResponse(Response):
    """Keeps Last-Modified on a 304, which Werkzeug strips with the other entity headers.

    RFC 9110 §15.4.5 lets a 304 carry metadata that guides cache updates, Last-Modified included.
    """

    def get_wsgi_headers(self, environ: Any) -> Headers:
        headers = super().get_wsgi_headers(environ)
        last_modified = self.headers.get("Last-Modified")
        if self.status_code == 304 and last_modified is not None:
            headers["Last-Modified"] = last_modified
        return headers


class _BoundedReader:
    """A read-only view of `length` octets from a file's current position.

    `wsgi.file_wrapper` reads to EOF, so a sub-range needs an object that ends early. It has no
    fileno(): a server doing sendfile() on the raw descriptor up to EOF would overrun the range.
    """

    def __init__(self, file: BinaryIO, length: int) -> None:
        self._file = file
        self._remaining = length

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._remaining:
            size = self._remaining
        data = self._file.read(size) if size else b""
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._file.close()


class _SendfileRange(_BoundedReader):
    """A _BoundedReader that also offers its descriptor, positioned at the range's first octet.

    Only for servers that sendfile() exactly Content-Length octets from the descriptor's current
    offset (gunicorn): the range then goes from the page cache to the socket without a copy.
    If the server cannot sendfile (TLS, --no-sendfile) it reads, and reads stop at the range's
    end. `seek` keeps `socket.sendfile`'s read fallback and its final seek consistent.
    """

    def __init__(self, file: BinaryIO, first: int, length: int) -> None:
        super().__init__(file, length)
        self._end = first + length

    def fileno(self) -> int:
        return self._file.fileno()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET:
            raise OSError("only absolute seeks within the range")
        position = self._file.seek(min(offset, self._end))
        self._remaining = max(0, self._end - position)
        return position


# How each known server's `wsgi.file_wrapper` treats a file positioned mid-way, by the module
# that defines it (checked in each server's source):
#   gunicorn.http.wsgi.FileWrapper: sendfile() of Content-Length octets from the current offset,
#     write() clipped at Content-Length otherwise -> a fileno()-capable bounded reader.
#   waitress.buffers.ReadOnlyFileBasedBuffer: for a seekable file, sends
#     min(EOF - tell(), Content-Length) from its I/O thread -> the real file, seeked.
# Any other server gets the real file only for a body that runs to EOF from offset 0.
_SENDFILE_BY_CONTENT_LENGTH = ("gunicorn.",)
_SEEKED_FILE_BY_CONTENT_LENGTH = ("waitress.",)


def _wrapper_module(file_wrapper: Any) -> str:
    return (getattr(file_wrapper, "__module__", None) or "") + "."


@dataclass(frozen=True, slots=True)
class _Variant:
    path: str
    coding: str | None  # the Content-Encoding of this variant; None for identity
    negotiated: bool  # True when a gzip sibling exists, so the choice depends on Accept-Encoding


def _select_variant(path: str, accept_encoding: str | None) -> _Variant:
    compressed = path + ".gz"
    if not os.path.isfile(compressed) or not _beside(compressed, path):
        return _Variant(path, None, negotiated=False)
    if accepts_gzip(accept_encoding):
        return _Variant(compressed, "gzip", negotiated=True)
    return _Variant(path, None, negotiated=True)


def _beside(sibling: str, path: str) -> bool:
    """The sibling resolves into the same directory as the file: a `.gz` symlink pointing out
    of the served directory is not a variant of this file."""
    real = os.path.dirname(os.path.realpath(path))
    return os.path.dirname(os.path.realpath(sibling)) == real


def _entity_tag(
    etag: str | bool, stat: os.stat_result, coding: str | None, weak: bool
) -> EntityTag | None:
    if etag is False:
        return None
    if etag is True:
        opaque = f"{stat.st_size:x}-{stat.st_mtime_ns:x}"
    else:
        given = parse_entity_tag(etag) or parse_entity_tag(f'"{etag}"')
        if given is None:
            raise ValueError(f"not a valid entity-tag: {etag!r}")
        opaque, weak = given.opaque, weak or given.weak
    if coding is not None:
        # RFC 9110 §8.8.3: a coded variant is a different representation and needs its own tag,
        # or If-Range and resumption would splice identity and gzip octets together.
        opaque += f"-{coding}"
    return EntityTag(opaque, weak)


def _last_modified(given: datetime | bool | None, stat: os.stat_result) -> datetime | None:
    if given is False:
        return None
    if given is None or given is True:
        moment = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
    else:
        moment = given if given.tzinfo else given.replace(tzinfo=timezone.utc)
    return moment.replace(microsecond=0)  # HTTP-dates have whole seconds


@functools.lru_cache(maxsize=1024)
def _http_date(moment: datetime) -> str:
    return format_http_date(moment)


@functools.lru_cache(maxsize=1024)  # mimetypes.guess_type is slow, and pure for a given name
def _content_type(path: str, mimetype: str | None) -> str:
    if mimetype is None:
        guessed, encoding = mimetypes.guess_type(path)
        if encoding == "gzip":
            guessed = "application/gzip"  # a .gz asked for by name is opaque to the client
        elif encoding is not None or guessed is None:
            guessed = "application/octet-stream"
        mimetype = guessed
    if mimetype.startswith("text/") and "charset" not in mimetype:
        mimetype += "; charset=utf-8"
    return mimetype


class _FileBody:
    """A body that owns its open file: iterating streams it, close() closes it, started or not
    (a generator that never ran would leave the file to the garbage collector)."""

    def __init__(self, file: io.BufferedReader, chunks: Iterator[bytes]) -> None:
        self.file = file
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.chunks
        finally:
            self.file.close()  # read to the end (or abandoned mid-way): done with the file

    def close(self) -> None:
        self.file.close()


def _stream_slice(file: io.BufferedReader, part: ByteRange) -> _FileBody:
    return _FileBody(file, iter_file_slice(file, part))


def _file_body(file: io.BufferedReader, part: ByteRange, whole: bool) -> Iterable[bytes]:
    file_wrapper = request.environ.get("wsgi.file_wrapper")
    if file_wrapper is None:
        return _stream_slice(file, part)
    try:
        file.seek(part.first)
        module = _wrapper_module(file_wrapper)
        source: BinaryIO | _BoundedReader
        if whole or module.startswith(_SEEKED_FILE_BY_CONTENT_LENGTH):
            source = file
        elif module.startswith(_SENDFILE_BY_CONTENT_LENGTH):
            source = _SendfileRange(file, part.first, part.length)
        else:
            source = _BoundedReader(file, part.length)
        return file_wrapper(source, CHUNK_SIZE)  # type: ignore[no-any-return]
    except BaseException:
        file.close()
        raise


def _stream_multipart(file: io.BufferedReader, plan: MultipartPlan) -> _FileBody:
    return _FileBody(file, iter_multipart(plan, file))


def send_file_ranged(
    path: str | os.PathLike[str],
    *,
    mimetype: str | None = None,
    etag: str | bool = True,
    last_modified: datetime | bool | None = None,
    max_age: int | None = 3600,
    weak_etag: bool = False,
) -> Response:
    """Answer the current request with the file at `path`, honouring Range and preconditions.

    `etag`: True derives a strong tag from size and mtime, a string is used as given, False
    sends none. `last_modified`: None (or True) uses the file's mtime, False sends none.
    A sibling `<path>.gz` is served with `Content-Encoding: gzip` to clients that accept it.
    """
    path = os.fspath(path)
    environ = request.environ  # read once: each request.headers lookup goes through a proxy
    variant = _select_variant(path, environ.get("HTTP_ACCEPT_ENCODING"))
    try:
        # One open file for validators, length and octets: a file replaced on disk mid-request
        # yields an answer wholly of one version, never headers of one and octets of another.
        file = open(variant.path, "rb")  # noqa: SIM115 - closed with the response
    except FileNotFoundError:
        abort(404)  # removed between the route's check and now
    try:
        response = _answer(file, variant, path, environ, request.method, mimetype, etag,
                           last_modified, max_age, weak_etag)  # fmt: skip
    except BaseException:
        file.close()
        raise
    if response.status_code in (200, 206) and request.method != "HEAD" and response.response:
        response.call_on_close(file.close)  # the body streams from it; closing twice is harmless
    else:
        file.close()  # no body reads it (304, 412, 416, HEAD, empty)
    return response


def _answer(
    file: io.BufferedReader,
    variant: _Variant,
    path: str,
    environ: dict[str, Any],
    method: str,
    mimetype: str | None,
    etag: str | bool,
    last_modified: datetime | bool | None,
    max_age: int | None,
    weak_etag: bool,
) -> Response:
    stat = os.fstat(file.fileno())
    length = stat.st_size
    now = datetime.now(timezone.utc)
    tag = _entity_tag(etag, stat, variant.coding, weak_etag)
    modified = _last_modified(last_modified, stat)
    # RFC 9110 §8.8.2.2: Last-Modified is strong only once its whole second has passed.
    validators = Validators(
        tag, modified, modified is not None and now - modified >= timedelta(seconds=1)
    )
    content_type = _content_type(path, mimetype)

    # Fields every answer carries (§15.3.7 and §15.4.5 validators and Vary). Date (§6.6.1) is
    # left to the HTTP server, which adds its own: a second Date line would break §5.3.
    # A plain list, made into Headers once: each Headers[...] = ... rescans the fields.
    fields: list[tuple[str, str]] = []
    if tag is not None:
        fields.append(("ETag", str(tag)))
    if modified is not None:
        fields.append(("Last-Modified", _http_date(modified)))
    if variant.negotiated:
        fields.append(("Vary", "Accept-Encoding"))
    cache_control = "no-cache" if max_age is None else f"public, max-age={max_age}"

    conditionals = Conditionals(
        if_match=environ.get("HTTP_IF_MATCH"),
        if_unmodified_since=environ.get("HTTP_IF_UNMODIFIED_SINCE"),
        if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
        if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
        if_range=environ.get("HTTP_IF_RANGE"),
    )
    decision = evaluate_preconditions(method, conditionals, validators)
    if decision is Decision.NOT_MODIFIED:
        fields.append(("Cache-Control", cache_control))
        return RangedResponse(b"", 304, fields)  # Werkzeug adds no Content-Length to a 304
    if decision is Decision.PRECONDITION_FAILED:
        return RangedResponse(b"Precondition Failed\n", 412, fields, content_type="text/plain")

    fields.append(("Accept-Ranges", "bytes"))
    range_value = environ.get("HTTP_RANGE")  # never the legacy Request-Range
    if range_applies(method, range_value, conditionals, validators):
        assert range_value is not None
        result = evaluate_range(range_value, length)
    else:
        result = Ignore("no applicable Range")

    if isinstance(result, Unsatisfiable):
        fields.append(("Content-Range", f"bytes */{length}"))  # §15.5.17: SHOULD state it
        return RangedResponse(b"Range Not Satisfiable\n", 416, fields, content_type="text/plain")

    # 200 and 206 carry the same representation fields (§15.3.7).
    fields.append(("Cache-Control", cache_control))
    part_fields: tuple[tuple[str, str], ...] = (("Content-Type", content_type),)
    if variant.coding is not None:
        part_fields += (("Content-Encoding", variant.coding),)
    body: Iterable[bytes] = ()
    if isinstance(result, Satisfiable) and len(result.ranges) > 1:
        # §15.3.7.2: several parts go in a multipart/byteranges body with no top-level
        # Content-Range; each part repeats the representation's Content-Type (and coding).
        plan = plan_multipart(result.ranges, length, new_boundary(), part_fields)
        fields.append(("Content-Type", plan.content_type))
        fields.append(("Content-Length", str(plan.content_length)))
        return RangedResponse(_stream_multipart(file, plan), 206, fields, direct_passthrough=True)

    fields.extend(part_fields)
    if isinstance(result, Satisfiable):
        part = result.ranges[0]
        fields.append(("Content-Range", f"bytes {part.first}-{part.last}/{length}"))
        fields.append(("Content-Length", str(part.length)))
        if method != "HEAD":
            body = _file_body(file, part, whole=part.length == length)
        return RangedResponse(body, 206, fields, direct_passthrough=True)

    fields.append(("Content-Length", str(length)))
    if method != "HEAD" and length > 0:  # HEAD: the GET's fields, no content (§9.3.2)
        body = _file_body(file, ByteRange(0, length - 1), whole=True)
    return RangedResponse(body, 200, fields, direct_passthrough=True)
