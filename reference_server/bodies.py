"""Response bodies read from an open file: small ones at once, the rest streamed.

A body owns its file and closes it when the server is done with it. Large single ranges go to
the server's `wsgi.file_wrapper` when it offers one, in the form that server sends correctly
(zero-copy under gunicorn).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from .multipart import CHUNK_SIZE, MultipartPlan, iter_file_slice, iter_multipart
from .ranges import ByteRange

__all__ = ["SMALL_BODY", "FileBody", "open_body"]

# A body up to this size is read with one pread() and handed over as one bytes object: no
# iterator, no file wrapper, and the file is closed before the answer leaves. It is the size of
# one streaming chunk, so memory per request stays as bounded as when streaming.
SMALL_BODY = CHUNK_SIZE


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


class FileBody:
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


def _read_at(descriptor: int, part: ByteRange) -> bytes:
    """The octets of `part`, read now; a file that shrank under us yields fewer (the server
    then ends the connection early, which is how a truncated body must show)."""
    chunks = []
    position, remaining = part.first, part.length
    while remaining > 0:
        if _pread is not None:
            chunk = _pread(descriptor, remaining, position)
        else:  # Windows has no pread; this descriptor is ours alone, so seeking is safe
            os.lseek(descriptor, position, os.SEEK_SET)
            chunk = os.read(descriptor, remaining)
        if not chunk:
            break
        chunks.append(chunk)
        position += len(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


_pread = getattr(os, "pread", None)


def open_body(
    environ: dict[str, Any],
    descriptor: int,
    content: bytes | ByteRange | MultipartPlan,
    whole: bool,
) -> Iterable[bytes]:
    """The WSGI body for `content` (a short text, a range of the file, or a multipart plan).

    Takes over `descriptor` in every case, errors included: it is closed at once when nothing
    needs it any more, else by the body's close(). `whole`: the range is the entire file.
    """
    if isinstance(content, bytes) or _size(content) <= SMALL_BODY:
        try:
            data = _read_now(descriptor, content)
        finally:
            os.close(descriptor)
        return [data] if data else []
    file = open(descriptor, "rb")  # noqa: SIM115 - owned by the body from here on
    try:
        if isinstance(content, MultipartPlan):
            return FileBody(file, iter_multipart(content, file))
        return _range_body(environ, file, content, whole)
    except BaseException:
        file.close()
        raise


def _size(content: ByteRange | MultipartPlan) -> int:
    return content.length if isinstance(content, ByteRange) else content.content_length


def _read_now(descriptor: int, content: bytes | ByteRange | MultipartPlan) -> bytes:
    if isinstance(content, bytes):
        return content
    if isinstance(content, ByteRange):
        return _read_at(descriptor, content)
    pieces = []
    span = content.span
    if span.length <= SMALL_BODY:  # one read covers every part: slice them out of it
        window = _read_at(descriptor, span)
        start = span.first
        for head, part in content.heads:
            pieces.append(head)
            pieces.append(window[part.first - start : part.last - start + 1])
    else:
        for head, part in content.heads:
            pieces.append(head)
            pieces.append(_read_at(descriptor, part))
    pieces.append(content.tail)
    return b"".join(pieces)


def _range_body(
    environ: dict[str, Any], file: io.BufferedReader, part: ByteRange, whole: bool
) -> Iterable[bytes]:
    """A range past SMALL_BODY, streamed: through the server's `wsgi.file_wrapper` when there
    is one, in the form that server sends correctly."""
    file_wrapper = environ.get("wsgi.file_wrapper")
    if file_wrapper is None:
        return FileBody(file, iter_file_slice(file, part))
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
