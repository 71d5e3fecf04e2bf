"""A controllable origin server, to judge an HTTP cache placed in front of it.

Representations under /o/ are files written from `patterns` and answered by the reference
engine (so every answer has its complete range support); a JSON control path on the origin
itself puts, replaces and breaks them and reads the log of what the cache asked for. Every
other path is the reference app over the bundled fixtures.
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import patterns
from .app import create_app
from .dates import format_http_date
from .engine import FileOptions, answer_file
from .etags import EntityTag
from .fixtures import build_fixtures, default_fixtures_dir
from .thread_server import serve_in_thread

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "CONTROL_PATH",
    "ControlError",
    "LoggedRequest",
    "Origin",
    "Representation",
    "serve_origin",
]

CONTROL_PATH = "/_rc/control"
_CONTROL_PREFIX = "/_rc/"  # never logged, never delegated: the cache under test is not asked
PREFIX = "/o/"
DEFAULT_CACHE_CONTROL = "public, max-age=3600"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
ETAG_KINDS = ("strong", "weak", "none")
FAULT_KINDS = ("cut", "status", "reset")
MAX_SIZE = 16 * 2**30  # a typo must not fill the disk
MAX_VERSION = 1_000_000  # keeps every Last-Modified in the past (see _modified)
LOG_LIMIT = 100_000  # requests kept; the oldest go first
WRITE_CHUNK = 1024 * 1024
_MAX_CONTROL_BODY = 64 * 1024
_SETTLE_SECONDS = 1.0
# Old and fixed, one minute later per version: a later version is always later, and every date
# is long past, so Last-Modified is a strong validator (RFC 9110 §8.8.2.2).
_EPOCH = datetime(2021, 1, 1, tzinfo=timezone.utc)
# "/o/" and one or more segments of pchar without pct-encoded (RFC 3986 §3.3): the path a server
# sees is then the path that was put, octet for octet.
_PATH = re.compile(r"/o(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+")
_DOTS = re.compile(r"/\.\.?(?:/|$)")  # "." and ".." segments: a client would remove them
_FIELD_VALUE = re.compile(r"[\x20-\x7e]*")  # visible ASCII and SP: no header injection
_ALLOW = "GET, HEAD"


class ControlError(Exception):
    """A control request the origin refuses; `status` is the HTTP status it answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Representation:
    """The current version of a representation, as a client sees its validators."""

    path: str
    version: int
    size: int
    etag: str | None  # the identity variant's ETag field value
    last_modified: str | None  # an HTTP-date
    gzip_etag: str | None  # the gzip variant's ETag, when there is one and tags are on

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "version": self.version,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "size": self.size,
            "gzip_etag": self.gzip_etag,
        }


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request the origin received (the control path's excepted) and what it sent back.

    `status` is 0 when no status line was sent (a reset); `octets` counts body octets the
    server really wrote; `complete` says the whole body was written.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    range: str | None
    status: int
    octets: int
    complete: bool
    fault: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "range": self.range,
            "status": self.status,
            "octets": self.octets,
            "complete": self.complete,
            "fault": self.fault,
        }


@dataclass(frozen=True, slots=True)
class _Settings:
    """How a representation is presented; kept across versions by `replace`."""

    size: int
    etag: str
    last_modified: bool
    cache_control: str | None
    content_type: str
    vary: str | None
    gzip: bool
    chunked: bool


@dataclass(slots=True)
class _Stored:
    """One version's files on disk, never changed once written. `users`: requests between
    choosing it and opening it; it is deleted only when retired and unused, so no request
    ever opens a file that is gone (one already open reads on after the unlink)."""

    directory: str
    users: int = 0
    retired: bool = False

    @property
    def body(self) -> str:
        return os.path.join(self.directory, "body")


@dataclass(frozen=True, slots=True)
class _Entry:
    """A representation's current version: swapped whole under the lock, never mutated, so a
    request that took it has the files and the options of one version."""

    path: str
    version: int
    settings: _Settings
    stored: _Stored
    options: FileOptions
    described: Representation


@dataclass(slots=True)
class _Fault:
    kind: str
    remaining: int
    after: int | None = None
    status: int | None = None


@dataclass(slots=True)
class _Record:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    range: str | None
    fault: str | None
    status: int = 0
    octets: int = 0
    complete: bool = False
    finished: bool = False

    def freeze(self) -> LoggedRequest:
        return LoggedRequest(
            self.method,
            self.path,
            self.query,
            dict(self.headers),
            self.range,
            self.status,
            self.octets,
            self.complete,
            self.fault,
        )


@dataclass(slots=True)
class _State:
    entries: dict[str, _Entry] = field(default_factory=dict)
    faults: dict[str, _Fault] = field(default_factory=dict)
    records: deque[_Record] = field(default_factory=lambda: deque(maxlen=LOG_LIMIT))
    closed: bool = False


class Origin:
    """The origin: representations by URL path, pending faults and a request log behind one
    lock. `app` is its WSGI callable; `close()` (or leaving `with`) deletes its files."""

    def __init__(self, fixtures_dir: Path | None = None) -> None:
        directory = fixtures_dir if fixtures_dir is not None else default_fixtures_dir()
        self._fixtures = create_app(build_fixtures(directory))
        self.directory = Path(tempfile.mkdtemp(prefix="range-conformance-origin-"))
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)  # a logged request has finished
        self._state = _State()

    # -- life cycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Delete every representation file; requests already streaming read on (POSIX)."""
        with self._lock:
            self._state.closed = True
            self._state.entries.clear()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Origin:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- operations (the control path calls these) -------------------------------------------

    def put(
        self,
        path: str,
        size: int,
        *,
        version: int = 1,
        etag: str = "strong",
        last_modified: bool = True,
        cache_control: str | None = DEFAULT_CACHE_CONTROL,
        content_type: str = DEFAULT_CONTENT_TYPE,
        vary: str | None = None,
        gzip: bool = False,
        chunked: bool = False,
    ) -> Representation:
        """Create or overwrite the representation at `path` (under /o/) with `version`."""
        if not isinstance(path, str) or _PATH.fullmatch(path) is None or _DOTS.search(path):
            raise ControlError(f"path must be /o/ and plain path segments, not {_show(path)}")
        if not 0 <= size <= MAX_SIZE:
            raise ControlError(f"size must be 0 to {MAX_SIZE}, not {size}")
        _check_version(version)
        if etag not in ETAG_KINDS:
            raise ControlError(f"etag must be one of {', '.join(ETAG_KINDS)}, not {_show(etag)}")
        _check_field("cache_control", cache_control, optional=True)
        _check_field("content_type", content_type, optional=False)
        _check_field("vary", vary, optional=True)
        settings = _Settings(
            size, etag, last_modified, cache_control, content_type, vary, gzip, chunked
        )
        return self._install(path, version, settings)

    def replace(self, path: str, version: int | None = None) -> Representation:
        """Make `version` (default: the next) current: new octets, a new ETag of the same
        strength and a later Last-Modified (when the version is higher)."""
        settings, current = self._settings(path)
        if version is None:
            version = current + 1
        _check_version(version)
        if version == current:
            raise ControlError(f"{path} is at version {version} already")
        return self._install(path, version, settings)

    def fault(
        self,
        path: str,
        kind: str,
        *,
        after: int | None = None,
        status: int | None = None,
        count: int = 1,
    ) -> None:
        """Break the next `count` requests for `path` (any path but the control path's); a new
        fault for a path replaces the one pending there.

        `cut`: send the status, the fields and `after` body octets, then close the connection
        (Content-Length still promises the whole). `status`: answer `status` with a short text
        and `Cache-Control: no-store`. `reset`: close the connection before any status line.
        """
        if not isinstance(path, str) or not path.startswith("/"):
            raise ControlError(f"path must start with '/', not {_show(path)}")
        if path.startswith(_CONTROL_PREFIX):
            raise ControlError("the control path cannot be faulted")
        if kind not in FAULT_KINDS:
            raise ControlError(f"kind must be one of {', '.join(FAULT_KINDS)}, not {_show(kind)}")
        if count < 1:
            raise ControlError(f"count must be at least 1, not {count}")
        if kind == "cut":
            if after is None or after < 0:
                raise ControlError("a cut needs 'after', the body octets to send (0 or more)")
        elif after is not None:
            raise ControlError("'after' is for a cut only")
        if kind == "status":
            if status is None or not 200 <= status <= 599:
                raise ControlError("a status fault needs 'status', from 200 to 599")
        elif status is not None:
            raise ControlError("'status' is for a status fault only")
        with self._lock:
            if path.startswith(PREFIX) and path not in self._state.entries:
                raise ControlError(f"no representation at {path}", 404)
            self._state.faults[path] = _Fault(kind, count, after, status)

    def log(
        self, path: str | None = None, *, settle: float = _SETTLE_SECONDS
    ) -> list[LoggedRequest]:
        """The requests for `path` (every path when None), in arrival order.

        Waits up to `settle` seconds for those still being answered to finish: a client that
        has read a whole body asks before the server thread has noted the last write.
        """
        deadline = time.monotonic() + settle
        with self._settled:
            while True:
                chosen = [r for r in self._state.records if path is None or r.path == path]
                left = deadline - time.monotonic()
                if left <= 0 or all(record.finished for record in chosen):
                    return [record.freeze() for record in chosen]
                self._settled.wait(left)

    def clear_log(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._state.records.clear()

    def current(self, path: str) -> Representation:
        """The representation at `path` now; ControlError (404) when there is none."""
        with self._lock:
            entry = self._state.entries.get(path)
        if entry is None:
            raise ControlError(f"no representation at {path}", 404)
        return entry.described

    def octets(self, path: str, version: int, first: int, last: int) -> bytes:
        """The true identity octets `first`..`last` of `version` of the representation at
        `path` (for a gzip representation too: the coded form is not what ranges of it mean
        to a test)."""
        current = self.current(path)
        if version == current.version and last >= current.size:
            raise ValueError(f"{path} has {current.size} octets; {last} is past its end")
        return patterns.octets(version, first, last)

    # -- the WSGI application ----------------------------------------------------------------

    def app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one request: control, a representation, a fault, or a fixture file."""
        path = _decoded_path(environ)
        if path.startswith(_CONTROL_PREFIX):
            return self._control(environ, start_response, path)
        record, fault = self._arrive(environ, path)
        try:
            if fault is not None and fault.kind == "reset":
                self._finish(record, complete=False)
                _abort_connection(environ)

            def recorded(
                status: str,
                headers: list[tuple[str, str]],
                exc_info: OptExcInfo | None = None,
                /,
            ) -> Callable[[bytes], object]:
                code = int(status.split(None, 1)[0])
                with self._lock:
                    record.status = code
                return start_response(status, headers, exc_info)

            body: Iterable[bytes]
            if fault is not None and fault.status is not None:
                body = _fault_answer(recorded, fault.status, record.method)
            elif path.startswith(PREFIX):
                body = self._representation(environ, recorded, path)
            else:
                body = self._fixtures(environ, recorded)
        except BaseException:
            self._finish(record, complete=False)
            raise
        cut = fault.after if fault is not None and fault.kind == "cut" else None
        return _Body(self, record, body, cut)

    # -- internals ---------------------------------------------------------------------------

    def _settings(self, path: str) -> tuple[_Settings, int]:
        with self._lock:
            entry = self._state.entries.get(path)
        if entry is None:
            raise ControlError(f"no representation at {path}", 404)
        return entry.settings, entry.version

    def _install(self, path: str, version: int, settings: _Settings) -> Representation:
        """Write `version` into a directory of its own, then make it current in one swap."""
        stored = self._write(version, settings)
        entry = _entry(path, version, settings, stored)
        with self._lock:
            closed = self._state.closed
            if closed:
                old: _Stored | None = stored  # too late: throw the new files away
            else:
                previous = self._state.entries.get(path)
                self._state.entries[path] = entry
                old = previous.stored if previous is not None else None
            doomed = old is not None and _retire(old)
        if doomed and old is not None:
            shutil.rmtree(old.directory, ignore_errors=True)
        if closed:
            raise ControlError("the origin is closed", 503)
        return entry.described

    def _write(self, version: int, settings: _Settings) -> _Stored:
        """The version's octets on disk, written 1 MiB at a time (never whole in memory)."""
        try:
            directory = tempfile.mkdtemp(prefix=f"v{version}-", dir=self.directory)
        except FileNotFoundError:
            raise ControlError("the origin is closed", 503) from None
        stored = _Stored(directory)
        with contextlib.ExitStack() as stack:
            plain = stack.enter_context(open(stored.body, "wb"))  # noqa: SIM115
            coded = None
            if settings.gzip:
                raw = stack.enter_context(open(stored.body + ".gz", "wb"))  # noqa: SIM115
                # mtime=0: the same octets each time, as a strong ETag promises
                coded = stack.enter_context(
                    gzip_module.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0)
                )
            for chunk in patterns.stream(version, 0, settings.size - 1, WRITE_CHUNK):
                plain.write(chunk)
                if coded is not None:
                    coded.write(chunk)
        stamp = _modified(version).timestamp()
        for name in os.listdir(directory):
            os.utime(os.path.join(directory, name), (stamp, stamp))
        return stored

    def _arrive(self, environ: WSGIEnvironment, path: str) -> tuple[_Record, _Fault | None]:
        """Log the request and take the fault pending for its path, if any."""
        record = _Record(
            method=environ.get("REQUEST_METHOD", "GET"),
            path=path,
            query=environ.get("QUERY_STRING", ""),
            headers=_request_headers(environ),
            range=environ.get("HTTP_RANGE"),
            fault=None,
        )
        with self._lock:
            fault = self._state.faults.get(path)
            if fault is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._state.faults[path]
                record.fault = fault.kind
            self._state.records.append(record)
        return record, fault

    def _finish(self, record: _Record, *, complete: bool) -> None:
        with self._settled:
            if not record.finished:
                record.finished = True
                record.complete = complete
                self._settled.notify_all()

    def _count(self, record: _Record, octets: int) -> None:
        with self._lock:
            record.octets += octets

    def _representation(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        with self._lock:
            entry = self._state.entries.get(path)
            if entry is not None:
                entry.stored.users += 1
        if entry is None:
            return _text(start_response, 404, "Not Found\n", method)
        if method not in ("GET", "HEAD"):
            self._release(entry.stored)
            return _text(start_response, 405, "Method Not Allowed\n", method, [("Allow", _ALLOW)])
        try:
            # No wsgi.file_wrapper: the body must pass through _Body to be counted and cut.
            engine_environ = {k: v for k, v in environ.items() if k != "wsgi.file_wrapper"}
            answer = answer_file(entry.stored.body, engine_environ, entry.options)
        finally:
            self._release(entry.stored)
        if answer is None:  # cannot happen while the version is held; never a traceback
            return _text(start_response, 404, "Not Found\n", method)
        fields = _present(entry.settings, answer.status, answer.headers)
        start_response(_status_line(answer.status), fields)
        return answer.body

    def _release(self, stored: _Stored) -> None:
        with self._lock:
            stored.users -= 1
            doomed = stored.retired and stored.users == 0
        if doomed:
            shutil.rmtree(stored.directory, ignore_errors=True)

    def _control(
        self, environ: WSGIEnvironment, start_response: StartResponse, path: str
    ) -> Iterable[bytes]:
        if path != CONTROL_PATH:
            return _json(start_response, 404, {"error": f"no control at {path}"})
        if environ.get("REQUEST_METHOD") != "POST":
            fields = [("Allow", "POST")]
            return _json(start_response, 405, {"error": "POST a JSON object"}, fields)
        try:
            reply = self._dispatch(_read_json(environ))
        except ControlError as error:
            return _json(start_response, error.status, {"error": str(error)})
        return _json(start_response, 200, reply)

    def _dispatch(self, request: dict[str, Any]) -> dict[str, Any]:
        """Run one control operation from its JSON object."""
        fields = dict(request)
        op = fields.pop("op", None)
        if not isinstance(op, str):
            raise ControlError("missing field 'op' (a string)")
        if op not in _OP_FIELDS:
            raise ControlError(f"unknown op {_show(op)}; one of {', '.join(_OP_FIELDS)}")
        unknown = sorted(set(fields) - _OP_FIELDS[op])
        if unknown:
            raise ControlError(f"op {op!r} takes no field {unknown[0]!r}")
        if op == "put":
            return self.put(
                _text_field(fields, "path"),
                _int_field(fields, "size"),
                version=_int_field(fields, "version", 1),
                etag=_text_field(fields, "etag", "strong"),
                last_modified=_flag_field(fields, "last_modified", True),
                cache_control=_optional_text_field(fields, "cache_control", DEFAULT_CACHE_CONTROL),
                content_type=_text_field(fields, "content_type", DEFAULT_CONTENT_TYPE),
                vary=_optional_text_field(fields, "vary", None),
                gzip=_flag_field(fields, "gzip", False),
                chunked=_flag_field(fields, "chunked", False),
            ).to_json()
        if op == "replace":
            version = _optional_int_field(fields, "version")
            return self.replace(_text_field(fields, "path"), version).to_json()
        if op == "fault":
            self.fault(
                _text_field(fields, "path"),
                _text_field(fields, "kind"),
                after=_optional_int_field(fields, "after"),
                status=_optional_int_field(fields, "status"),
                count=_int_field(fields, "count", 1),
            )
            return {"ok": True}
        if op == "log":
            path = _optional_text_field(fields, "path", None)
            return {"requests": [entry.to_json() for entry in self.log(path)]}
        self.clear_log()  # the only op left
        return {"ok": True}


_OP_FIELDS: dict[str, frozenset[str]] = {
    "put": frozenset(
        (
            "path",
            "size",
            "version",
            "etag",
            "last_modified",
            "cache_control",
            "content_type",
            "vary",
            "gzip",
            "chunked",
        )
    ),
    "replace": frozenset(("path", "version")),
    "fault": frozenset(("path", "kind", "after", "status", "count")),
    "log": frozenset(("path",)),
    "clear_log": frozenset(),
}


class _Body:
    """The answer's body as the server sees it: counts the octets the server wrote and makes
    a cut. A chunk counts once the server asks for the next one, which it does only after
    writing it; a class, not a generator, so close() reaches the inner body even unstarted."""

    def __init__(
        self, origin: Origin, record: _Record, inner: Iterable[bytes], cut: int | None
    ) -> None:
        self._origin = origin
        self._record = record
        self._inner = inner
        self._chunks: Iterator[bytes] | None = None
        self._cut = cut
        self._sent = 0
        self._pending = 0
        self._truncated = False
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        if self._pending:
            self._origin._count(self._record, self._pending)
            self._sent += self._pending
            self._pending = 0
        if self._truncated:
            self._end(complete=False)
            # The servers we run under take a ConnectionError from the body for a dropped
            # connection: they stop writing and close it, with no 500 page after the octets.
            raise ConnectionResetError("origin fault: connection cut")
        if self._chunks is None:
            self._chunks = iter(self._inner)
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self._end(complete=True)
            raise
        except BaseException:
            self._end(complete=False)
            raise
        if self._cut is not None and self._sent + len(chunk) > self._cut:
            # Octets beyond the cut: send up to it (even none: an empty write still makes the
            # server send the status line and fields), then drop the connection.
            chunk = chunk[: self._cut - self._sent]
            self._truncated = True
        self._pending = len(chunk)
        return chunk

    def _end(self, *, complete: bool) -> None:
        self._done = True
        self._origin._finish(self._record, complete=complete)

    def close(self) -> None:
        if not self._done:
            self._end(complete=False)  # abandoned: a pending chunk is not known to be written
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


@contextlib.contextmanager
def serve_origin(
    host: str = "127.0.0.1", port: int = 0, *, fixtures_dir: Path | None = None
) -> Iterator[tuple[Origin, str]]:
    """Run an origin on `host`:`port` (0: a free port) in a thread; yield it and its base URL."""
    with Origin(fixtures_dir) as origin, serve_in_thread(origin.app, host, port) as base_url:
        yield origin, base_url


def _entry(path: str, version: int, settings: _Settings, stored: _Stored) -> _Entry:
    opaque = f"v{version}-{settings.size}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
    weak = settings.etag == "weak"
    tag = EntityTag(opaque, weak) if settings.etag != "none" else None
    # The engine tags the coded variant with "-gzip" appended to the opaque-tag (RFC 9110 §8.8.3)
    gzip_tag = EntityTag(opaque + "-gzip", weak) if tag is not None and settings.gzip else None
    modified = _modified(version) if settings.last_modified else None
    options = FileOptions(
        mimetype=settings.content_type,
        etag=f'"{opaque}"' if tag is not None else False,
        last_modified=modified if modified is not None else False,
        max_age=None,  # Cache-Control is replaced with the representation's own in _present
        weak_etag=weak,
    )
    described = Representation(
        path=path,
        version=version,
        size=settings.size,
        etag=str(tag) if tag is not None else None,
        last_modified=format_http_date(modified) if modified is not None else None,
        gzip_etag=str(gzip_tag) if gzip_tag is not None else None,
    )
    return _Entry(path, version, settings, stored, options, described)


def _retire(stored: _Stored) -> bool:
    """Mark a replaced version for deletion; True when no request holds it (delete it now).
    Call with the lock held."""
    stored.retired = True
    return stored.users == 0


def _modified(version: int) -> datetime:
    return _EPOCH + timedelta(minutes=version)


def _present(
    settings: _Settings, status: int, headers: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """The engine's fields with the representation's Cache-Control and Vary, and without
    Content-Length on a chunked 200 or 206 (the server then sends it chunked)."""
    fields = []
    varies = []
    for name, value in headers:
        lower = name.lower()
        if lower == "cache-control":
            if settings.cache_control is not None:
                fields.append((name, settings.cache_control))
        elif lower == "vary":
            varies.append(value)
        elif not (lower == "content-length" and settings.chunked and status in (200, 206)):
            fields.append((name, value))
    if settings.vary is not None:
        varies.insert(0, settings.vary)
    vary = _merge_vary(varies)
    if vary:
        fields.append(("Vary", vary))
    return fields


def _merge_vary(values: list[str]) -> str:
    """One Vary value naming each field once (case-insensitively), in first-seen order."""
    names: dict[str, str] = {}
    for value in values:
        for name in value.split(","):
            name = name.strip(" \t")
            if name:
                names.setdefault(name.lower(), name)
    return ", ".join(names.values())


def _abort_connection(environ: WSGIEnvironment) -> None:
    """Close the connection before any status line: SO_LINGER 0 makes the close send RST."""
    connection = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if isinstance(connection, socket.socket):
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # Shutting down the read side too ends werkzeug's wait for a next request on this
            # connection (no status line means it never saw "Connection: close").
            connection.shutdown(socket.SHUT_RDWR)
    # Werkzeug (and gunicorn) take a ConnectionError as a dropped connection: nothing is sent.
    raise ConnectionResetError("origin fault: connection reset")


def _fault_answer(start_response: StartResponse, status: int, method: str) -> Iterable[bytes]:
    fields = [("Cache-Control", "no-store")]
    if status in (204, 304):  # no content in these (RFC 9110 §15.3.5, §15.4.5)
        start_response(_status_line(status), fields)
        return []
    return _text(start_response, status, f"{_status_line(status)} (origin fault)\n", method, fields)


def _text(
    start_response: StartResponse,
    status: int,
    text: str,
    method: str,
    fields: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    body = text.encode()
    start_response(
        _status_line(status),
        [
            *(fields or []),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [] if method == "HEAD" else [body]


def _json(
    start_response: StartResponse,
    status: int,
    payload: dict[str, Any],
    fields: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        _status_line(status),
        [
            *(fields or []),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def _decoded_path(environ: WSGIEnvironment) -> str:
    """PATH_INFO as text: PEP 3333 hands the URL's octets over as latin-1; names are UTF-8."""
    path: str = environ.get("PATH_INFO", "") or "/"
    if path.isascii():
        return path
    try:
        return path.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return path


def _request_headers(environ: WSGIEnvironment) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers[key.replace("_", "-").lower()] = value
    return headers


def _read_json(environ: WSGIEnvironment) -> dict[str, Any]:
    """The control request's body: one JSON object, of at most 64 KiB."""
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        if not length_text.isdigit():
            raise ControlError("bad Content-Length")
        length = int(length_text)
        if length > _MAX_CONTROL_BODY:
            raise ControlError("the control body is over 64 KiB", 413)
        data = stream.read(length) if length else b""
    elif environ.get("wsgi.input_terminated"):  # a chunked request body
        data = stream.read(_MAX_CONTROL_BODY + 1)
        if len(data) > _MAX_CONTROL_BODY:
            raise ControlError("the control body is over 64 KiB", 413)
    else:
        data = b""
    try:
        value = json.loads(data)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError alike
        raise ControlError("the body is not JSON") from None
    if not isinstance(value, dict):
        raise ControlError("the body must be a JSON object")
    return value


def _check_version(version: int) -> None:
    if not 0 <= version <= MAX_VERSION:
        raise ControlError(f"version must be 0 to {MAX_VERSION}, not {version}")


def _check_field(name: str, value: str | None, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value or _FIELD_VALUE.fullmatch(value) is None:
        raise ControlError(f"{name} must be a field value of visible ASCII, not {_show(value)}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# JSON fields, checked for type: absent or null takes the default; a bool is never an integer.


def _int_field(fields: dict[str, Any], name: str, default: int | None = None) -> int:
    value = _optional_int_field(fields, name)
    if value is not None:
        return value
    if default is None:
        raise ControlError(f"missing field {name!r} (an integer)")
    return default


def _optional_int_field(fields: dict[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"field {name!r} must be an integer, not {_show(value)}")
    return value


def _text_field(fields: dict[str, Any], name: str, default: str | None = None) -> str:
    value = _optional_text_field(fields, name, default)
    if value is None:
        raise ControlError(f"missing field {name!r} (a string)")
    return value


def _optional_text_field(fields: dict[str, Any], name: str, default: str | None) -> str | None:
    if name not in fields:
        return default
    value = fields[name]
    if value is not None and not isinstance(value, str):
        raise ControlError(f"field {name!r} must be a string, not {_show(value)}")
    return value


def _flag_field(fields: dict[str, Any], name: str, default: bool) -> bool:
    value = fields.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(f"field {name!r} must be true or false, not {_show(value)}")
    return value
