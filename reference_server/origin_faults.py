"""The origin's faults and its counting body, apart from its state: what a broken answer sends.

Nothing here knows the Origin: the body reports written octets and its end through callbacks,
so the origin's log is kept by the origin alone.
"""

from __future__ import annotations

import contextlib
import socket
import struct
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["CountingBody", "abort_connection", "fault_answer", "status_line", "text_answer"]


class CountingBody:
    """The answer's body as the server sees it: counts the octets the server wrote and makes
    a cut. A chunk counts once the server asks for the next one, which it does only after
    writing it; a class, not a generator, so close() reaches the inner body even unstarted.

    `count(octets)` is called for octets known to be written; `finish(complete)` once, when
    the body ends, fails or is abandoned.
    """

    def __init__(
        self,
        inner: Iterable[bytes],
        cut: int | None,
        *,
        count: Callable[[int], None],
        finish: Callable[[bool], None],
    ) -> None:
        self._count = count
        self._finish = finish
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
            self._count(self._pending)
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
        self._finish(complete)

    def close(self) -> None:
        if not self._done:
            self._end(complete=False)  # abandoned: a pending chunk is not known to be written
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


def abort_connection(environ: WSGIEnvironment) -> None:
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


def fault_answer(start_response: StartResponse, status: int, method: str) -> Iterable[bytes]:
    """A status fault's answer: a short text the cache must not store."""
    fields = [("Cache-Control", "no-store")]
    if status in (204, 304):  # no content in these (RFC 9110 §15.3.5, §15.4.5)
        start_response(status_line(status), fields)
        return []
    return text_answer(
        start_response, status, f"{status_line(status)} (origin fault)\n", method, fields
    )


def text_answer(
    start_response: StartResponse,
    status: int,
    text: str,
    method: str,
    fields: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    """A short plain-text answer (no body for HEAD), for faults and the origin's own errors."""
    body = text.encode()
    start_response(
        status_line(status),
        [
            *(fields or []),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [] if method == "HEAD" else [body]


def status_line(status: int) -> str:
    """The WSGI status string; any code from 200 to 599 is allowed, known or not."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"
