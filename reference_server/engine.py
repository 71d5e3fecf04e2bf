"""The engine both front doors share: one file, one request's headers in; status, header
fields and body out (RFC 9110 §13, §14, §15.3.7).

Framework-free: it reads the WSGI environ only, so the Flask helper (`send_file_ranged`) and
the plain WSGI app (`reference_server.wsgi`) answer every request identically.
"""

from __future__ import annotations

import errno
import functools
import mimetypes
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from stat import S_ISREG
from typing import Any, NamedTuple

from .bodies import open_body
from .conditions import (
    Conditionals,
    Decision,
    Validators,
    evaluate_preconditions,
    range_applies,
)
from .dates import format_http_date
from .etags import EntityTag, parse_entity_tag
from .multipart import MultipartPlan, new_boundary, part_overhead, plan_multipart
from .negotiation import accepts_gzip
from .ranges import ByteRange, Satisfiable, Unsatisfiable, evaluate_range

__all__ = ["Answer", "FileOptions", "answer_file"]


@dataclass(frozen=True, slots=True)
class FileOptions:
    """How a file is presented: see `send_file_ranged` for each option's meaning."""

    mimetype: str | None = None
    etag: str | bool = True
    last_modified: datetime | bool | None = None
    max_age: int | None = 3600
    weak_etag: bool = False


DEFAULT_OPTIONS = FileOptions()


@dataclass(slots=True)
class Answer:
    """What to send. `headers` lack Date, which the HTTP server adds (a second one would break
    RFC 9110 §5.3). `body` owns the open file, if it still needs one, and closes it."""

    status: int
    headers: list[tuple[str, str]]
    body: Iterable[bytes]


class _Variant(NamedTuple):
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


@functools.lru_cache(maxsize=1024)
def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc)


def _last_modified(given: datetime | bool | None, stat: os.stat_result) -> datetime | None:
    if given is False:
        return None
    if given is None or given is True:
        return _moment(int(stat.st_mtime))  # HTTP-dates have whole seconds
    moment = given if given.tzinfo else given.replace(tzinfo=timezone.utc)
    return moment.replace(microsecond=0)


@functools.lru_cache(maxsize=1024)
def _http_date(moment: datetime) -> str:
    return format_http_date(moment)


@functools.lru_cache(maxsize=64)
def _cache_control(max_age: int | None) -> str:
    return "no-cache" if max_age is None else f"public, max-age={max_age}"


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


def answer_file(
    path: str,
    environ: dict[str, Any],
    options: FileOptions = DEFAULT_OPTIONS,
    *,
    follow_symlinks: bool = True,
) -> Answer | None:
    """Answer the request in `environ` with the file at `path`; None if it is gone (404).

    A sibling `<path>.gz` is served with `Content-Encoding: gzip` to clients that accept it.
    `follow_symlinks=False`: None also when the file (or its chosen variant) is a symlink or
    not a regular file, for a caller that has not looked at it (see `paths.plain_path`).
    """
    variant = _select_variant(path, environ.get("HTTP_ACCEPT_ENCODING"))
    try:
        # One open file for validators, length and octets: a file replaced on disk mid-request
        # yields an answer wholly of one version, never headers of one and octets of another.
        descriptor = os.open(variant.path, _OPEN_FLAGS if follow_symlinks else _NO_FOLLOW_FLAGS)
    except OSError as error:
        if error.errno in _UNSERVABLE or not follow_symlinks:
            return None  # gone, unreadable, or a link loop: a 404, never a traceback
        raise
    try:
        reply = _decide(descriptor, variant, path, environ, options)
    except BaseException:
        os.close(descriptor)
        raise
    if reply is None:
        os.close(descriptor)
        return None
    # HEAD: the GET's fields, no content (§9.3.2), whatever the status
    content = b"" if environ.get("REQUEST_METHOD") == "HEAD" else reply.content
    return Answer(reply.status, reply.fields, open_body(environ, descriptor, content, reply.whole))


# Never wait on a FIFO for a writer that never comes (fstat then rejects anything not regular).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NONBLOCK", 0)
)
_NO_FOLLOW_FLAGS = _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0)  # no symlinks either
_UNSERVABLE = (errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.ELOOP, errno.ENAMETOOLONG)


class _Reply(NamedTuple):
    """What was decided before any octet is read: the body's content is a short text, a range
    of the file, or a multipart plan. `whole`: the range is the entire file."""

    status: int
    fields: list[tuple[str, str]]
    content: bytes | ByteRange | MultipartPlan
    whole: bool = False


def _text(status: int, fields: list[tuple[str, str]], text: bytes) -> _Reply:
    """A reply whose body (if any) is a short text, not the file's octets."""
    if text:
        fields.append(("Content-Type", "text/plain; charset=utf-8"))
        fields.append(("Content-Length", str(len(text))))
    return _Reply(status, fields, text)


def _decide(
    descriptor: int,
    variant: _Variant,
    path: str,
    environ: dict[str, Any],
    options: FileOptions,
) -> _Reply | None:
    stat = os.fstat(descriptor)
    if not S_ISREG(stat.st_mode):
        return None  # replaced by a directory (or worse) since the route looked
    method = environ.get("REQUEST_METHOD", "GET")
    length = stat.st_size
    tag = _entity_tag(options.etag, stat, variant.coding, options.weak_etag)
    modified = _last_modified(options.last_modified, stat)

    # Fields every answer carries (§15.3.7 and §15.4.5 validators and Vary).
    fields: list[tuple[str, str]] = []
    if tag is not None:
        fields.append(("ETag", str(tag)))
    if modified is not None:
        fields.append(("Last-Modified", _http_date(modified)))
    if variant.negotiated:
        fields.append(("Vary", "Accept-Encoding"))
    cache_control = _cache_control(options.max_age)

    range_value = environ.get("HTTP_RANGE")  # never the legacy Request-Range
    if (
        "HTTP_IF_MATCH" in environ
        or "HTTP_IF_NONE_MATCH" in environ
        or "HTTP_IF_MODIFIED_SINCE" in environ
        or "HTTP_IF_UNMODIFIED_SINCE" in environ
        or "HTTP_IF_RANGE" in environ
    ):
        # RFC 9110 §8.8.2.2: Last-Modified is strong only once its whole second has passed.
        now = datetime.now(timezone.utc)
        strong_date = modified is not None and now - modified >= timedelta(seconds=1)
        validators = Validators(tag, modified, strong_date)
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
            return _text(304, fields, b"")
        if decision is Decision.PRECONDITION_FAILED:
            return _text(412, fields, b"Precondition Failed\n")
        applies = range_applies(method, range_value, conditionals, validators)
    else:
        applies = method == "GET" and range_value is not None  # §13.2.2 step 5, unconditional

    fields.append(("Accept-Ranges", "bytes"))
    # The 200's Content-Type (and coding); each part of a multipart repeats them (§14.6).
    part_fields: tuple[tuple[str, str], ...] = (
        ("Content-Type", _content_type(path, options.mimetype)),
    )
    if variant.coding is not None:
        part_fields += (("Content-Encoding", variant.coding),)
    result = None
    if applies and range_value is not None:
        result = evaluate_range(range_value, length, part_overhead=part_overhead(part_fields))

    if isinstance(result, Unsatisfiable):
        fields.append(("Content-Range", f"bytes */{length}"))  # §15.5.17: SHOULD state it
        return _text(416, fields, b"Range Not Satisfiable\n")

    # 200 and 206 carry the same representation fields (§15.3.7).
    fields.append(("Cache-Control", cache_control))
    if isinstance(result, Satisfiable) and len(result.ranges) > 1:
        # §15.3.7.2: several parts go in a multipart/byteranges body with no top-level
        # Content-Range; each part repeats the representation's Content-Type (and coding).
        plan = plan_multipart(result.ranges, length, new_boundary(), part_fields)
        fields.append(("Content-Type", plan.content_type))
        fields.append(("Content-Length", str(plan.content_length)))
        return _Reply(206, fields, plan)

    fields.extend(part_fields)
    if isinstance(result, Satisfiable):
        status, part = 206, result.ranges[0]
        fields.append(("Content-Range", f"bytes {part.first}-{part.last}/{length}"))
    else:
        status, part = 200, ByteRange(0, length - 1)
    fields.append(("Content-Length", str(part.length)))
    if not length:
        return _Reply(status, fields, b"")
    return _Reply(status, fields, part, whole=part.length == length)
