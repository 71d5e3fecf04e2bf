"""A controllable origin server, to judge an HTTP cache placed in front of it.

Representations under /o/ are files written from `patterns` and answered by the reference
engine (so every answer has its complete range support); a JSON control path on the origin
itself puts, replaces and breaks them and reads the log of what the cache asked for. Every
other path is the reference app over the bundled fixtures.

The control path's wire format is in `origin_control`, the broken answers and the counting
body in `origin_faults`; this module keeps the state and the WSGI app.
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from . import patterns
from .app import create_app
from .dates import format_http_date
from .engine import FileOptions, answer_file
from .etags import EntityTag
from .fixtures import build_fixtures, default_fixtures_dir
from .origin_control import (
    DEFAULT_CACHE_CONTROL,
    DEFAULT_CONTENT_TYPE,
    ControlError,
    check_field,
    json_answer,
    read_json,
    run_operation,
    show,
)
from .origin_faults import (
    CountingBody,
    abort_connection,
    fault_answer,
    status_line,
    text_answer,
)
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
ETAG_KINDS = ("strong", "weak", "none")
FAULT_KINDS = ("cut", "status", "reset")
MAX_SIZE = 16 * 2**30  # a typo must not fill the disk
MAX_VERSION = 1_000_000  # keeps every Last-Modified in the past (see _modified)
LOG_LIMIT = 100_000  # requests kept; the oldest go first
WRITE_CHUNK = 1024 * 1024
_SETTLE_SECONDS = 1.0
# Old and fixed, one minute later per version: a later version is always later, and every date
# is long past, so Last-Modified is a strong validator (RFC 9110 §8.8.2.2).
_EPOCH = datetime(2021, 1, 1, tzinfo=timezone.utc)
# "/o/" and one or more segments of pchar without pct-encoded (RFC 3986 §3.3): the path a server
# sees is then the path that was put, octet for octet.
_PATH = re.compile(r"/o(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+")
_DOTS = re.compile(r"/\.\.?(?:/|$)")  # "." and ".." segments: a client would remove them
_ALLOW = "GET, HEAD"


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
            raise ControlError(f"path must be /o/ and plain path segments, not {show(path)}")
        if not 0 <= size <= MAX_SIZE:
            raise ControlError(f"size must be 0 to {MAX_SIZE}, not {size}")
        _check_version(version)
        if etag not in ETAG_KINDS:
            raise ControlError(f"etag must be one of {', '.join(ETAG_KINDS)}, not {show(etag)}")
        check_field("cache_control", cache_control, optional=True)
        check_field("content_type", content_type, optional=False)
        check_field("vary", vary, optional=True)
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
            raise ControlError(f"path must start with '/', not {show(path)}")
        if path.startswith(_CONTROL_PREFIX):
            raise ControlError("the control path cannot be faulted")
        if kind not in FAULT_KINDS:
            raise ControlError(f"kind must be one of {', '.join(FAULT_KINDS)}, not {show(kind)}")
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
                abort_connection(environ)

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
                body = fault_answer(recorded, fault.status, record.method)
            elif path.startswith(PREFIX):
                body = self._representation(environ, recorded, path)
            else:
                body = self._fixtures(environ, recorded)
        except BaseException:
            self._finish(record, complete=False)
            raise
        cut = fault.after if fault is not None and fault.kind == "cut" else None
        return CountingBody(
            body,
            cut,
            count=lambda octets: self._count(record, octets),
            finish=lambda complete: self._finish(record, complete=complete),
        )

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
            return text_answer(start_response, 404, "Not Found\n", method)
        if method not in ("GET", "HEAD"):
            self._release(entry.stored)
            return text_answer(
                start_response, 405, "Method Not Allowed\n", method, [("Allow", _ALLOW)]
            )
        try:
            # No wsgi.file_wrapper: the body must pass through CountingBody to be counted and cut.
            engine_environ = {k: v for k, v in environ.items() if k != "wsgi.file_wrapper"}
            answer = answer_file(entry.stored.body, engine_environ, entry.options)
        finally:
            self._release(entry.stored)
        if answer is None:  # cannot happen while the version is held; never a traceback
            return text_answer(start_response, 404, "Not Found\n", method)
        fields = _present(entry.settings, answer.status, answer.headers)
        start_response(status_line(answer.status), fields)
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
            return json_answer(start_response, 404, {"error": f"no control at {path}"})
        if environ.get("REQUEST_METHOD") != "POST":
            fields = [("Allow", "POST")]
            return json_answer(start_response, 405, {"error": "POST a JSON object"}, fields)
        try:
            reply = run_operation(self, read_json(environ))
        except ControlError as error:
            return json_answer(start_response, error.status, {"error": str(error)})
        return json_answer(start_response, 200, reply)


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


def _check_version(version: int) -> None:
    if not 0 <= version <= MAX_VERSION:
        raise ControlError(f"version must be 0 to {MAX_VERSION}, not {version}")
