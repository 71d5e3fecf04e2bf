"""multipart/byteranges bodies (RFC 9110 §14.6, RFC 2046 §5.1.1), streamed part by part.

The exact length is known before the first byte is sent, so the response can carry
Content-Length; part data is read from the file in bounded chunks, never held whole.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple, Protocol

from .ranges import MULTIPART_PART_OVERHEAD, ByteRange

__all__ = [
    "CHUNK_SIZE",
    "MultipartPlan",
    "iter_file_slice",
    "iter_multipart",
    "new_boundary",
    "part_overhead",
    "plan_multipart",
]

CHUNK_SIZE = 64 * 1024
BOUNDARY_LENGTH = 32
# One part's framing besides its fields and its three numbers: CRLF "--" boundary CRLF,
# "Content-Range: bytes " "-" "/" CRLF, and the CRLF that ends the part's header section.
_BARE_PART_FRAMING = len("\r\n--\r\nContent-Range: bytes -/\r\n\r\n") + BOUNDARY_LENGTH


def new_boundary() -> str:
    """A fresh boundary per response: 32 hex digits, far under RFC 2046's 70 characters.

    Hex never needs quoting, and 128 random bits make a collision with part data negligible.
    """
    return secrets.token_hex(BOUNDARY_LENGTH // 2)


@functools.lru_cache(maxsize=256)
def part_overhead(part_fields: tuple[tuple[str, str], ...]) -> int:
    """Octets of framing per part besides its three numbers, for `evaluate_range`'s §17.15
    budget: MULTIPART_PART_OVERHEAD, or more when the part fields are long (a long mimetype
    would otherwise let many small parts cost more than twice the representation)."""
    fields = sum(len(name) + len(": \r\n") + len(value) for name, value in part_fields)
    return max(MULTIPART_PART_OVERHEAD, _BARE_PART_FRAMING + fields)


class MultipartPlan(NamedTuple):
    """Every framing octet of the body, decided up front; only the part data is read later."""

    boundary: str
    heads: tuple[tuple[bytes, ByteRange], ...]
    tail: bytes
    content_length: int  # every octet of the body: framing and part data
    span: ByteRange  # from the first octet of any part to the last

    @property
    def content_type(self) -> str:
        return f"multipart/byteranges; boundary={self.boundary}"


def plan_multipart(
    ranges: tuple[ByteRange, ...],
    complete_length: int,
    boundary: str,
    part_fields: tuple[tuple[str, str], ...],
) -> MultipartPlan:
    """Lay out the parts; each repeats `part_fields` (the 200's Content-Type, and
    Content-Encoding for a coded representation) and carries its own Content-Range (§14.6).
    """
    fields = "".join(f"{name}: {value}\r\n" for name, value in part_fields)
    # The CRLF before a delimiter belongs to the delimiter (RFC 2046 §5.1.1). The body opens
    # with the first delimiter itself: no preamble, no leading CRLF. One bytes template,
    # filled by each (first, last) pair, lays out every head at C speed.
    opening = f"\r\n--{boundary}\r\n{fields}".replace("%", "%%")
    template = f"{opening}Content-Range: bytes %d-%d/{complete_length}\r\n\r\n".encode("latin-1")
    heads = [template % part for part in ranges]
    heads[0] = heads[0][2:]  # the first delimiter has no CRLF before it
    tail = f"\r\n--{boundary}--\r\n".encode("latin-1")
    firsts, lasts = zip(*ranges, strict=True)
    data = sum(lasts) - sum(firsts) + len(ranges)
    size = sum(map(len, heads)) + data + len(tail)
    span = ByteRange(min(firsts), max(lasts))
    return MultipartPlan(boundary, tuple(zip(heads, ranges, strict=True)), tail, size, span)


def iter_file_slice(file: BinaryIO, part: ByteRange) -> Iterator[bytes]:
    """Yield octets `part.first`..`part.last` of `file` in chunks of at most CHUNK_SIZE."""
    file.seek(part.first)
    remaining = part.length
    while remaining > 0:
        chunk = file.read(min(CHUNK_SIZE, remaining))
        if not chunk:  # the file shrank under us: stop rather than loop; framing will show it
            return
        remaining -= len(chunk)
        yield chunk


class Readable(Protocol):
    """What iter_multipart reads from: an open binary file (raw or buffered) or a BytesIO."""

    def seek(self, offset: int, whence: int = ..., /) -> int: ...

    def readinto(self, buffer: memoryview, /) -> int | None: ...


def iter_multipart(plan: MultipartPlan, file: Readable) -> Iterator[bytes]:
    """Yield the body of `plan`, reading each part's data from `file` as it goes.

    Framing and data are packed into chunks of CHUNK_SIZE octets (the last one shorter): a
    part's head travels with its first data, and small parts share a chunk, so the server makes
    one socket write per CHUNK_SIZE octets instead of one per head and per part.
    """
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    filled = 0
    for head, part in plan.heads:
        if filled + len(head) > CHUNK_SIZE:
            yield bytes(view[:filled])
            filled = 0
        if len(head) > CHUNK_SIZE:  # only with absurdly long part fields
            yield head
        else:
            view[filled : filled + len(head)] = head
            filled += len(head)
        file.seek(part.first)
        remaining = part.length
        while remaining > 0:
            if filled == CHUNK_SIZE:
                yield bytes(view)
                filled = 0
            count = file.readinto(view[filled : filled + min(CHUNK_SIZE - filled, remaining)])
            if not count:  # the file shrank under us: stop; the framing will show it
                yield bytes(view[:filled])
                return
            filled += count
            remaining -= count
    tail = plan.tail
    if filled + len(tail) > CHUNK_SIZE:
        yield bytes(view[:filled])
        filled = 0
    if len(tail) > CHUNK_SIZE:
        yield tail
    else:
        view[filled : filled + len(tail)] = tail
        filled += len(tail)
    yield bytes(view[:filled])
