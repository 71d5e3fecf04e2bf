"""Reading a body from urllib3 without being fooled by its framing.

Reads into one buffer up to a cap, and notices octets that follow a Content-Length body (which
would otherwise be dropped unseen, or read as the next answer on a reused connection).
"""

from __future__ import annotations

import io
import select
import socket
import ssl
from typing import Any

import urllib3

from conformance.transport.failures import SHOWN_OCTETS

CHUNK = 64 * 1024


class BodyReader:
    """Reads a urllib3 body into one buffer, up to `cap` octets (no copy beyond the cap).

    For a Content-Length body it looks at what is already buffered, and at the socket, before
    the last read: octets past the announced length would otherwise be dropped unseen or, on a
    reused connection, be read as the next answer. They end up in `stray`; `follows` says the
    connection must not be reused (anything at all may follow).
    """

    def __init__(self, raw: urllib3.BaseHTTPResponse, cap: int, head: bool) -> None:
        self.raw = raw
        self.cap = cap
        self.head = head
        self.size = 0
        self.capped = False
        self.follows = False
        self.stray = b""
        self.data = b""
        self._buffer = io.BytesIO()

    def run(self) -> None:
        while self.size <= self.cap:
            room = self.cap + 1 - self.size
            before = self.size
            tail = self._last_octets(room)
            if tail is not None:
                self._keep(tail)
                break
            if self.size > before:
                continue
            chunk = self.raw.read(min(CHUNK, room), decode_content=False)
            if not chunk:
                break
            self._keep(chunk)
        self.capped = self.size > self.cap
        self._buffer.truncate(self.cap)
        self.data = self._buffer.getvalue()
        self._buffer = io.BytesIO()

    def _keep(self, chunk: bytes) -> None:
        self._buffer.write(chunk)
        self.size += len(chunk)

    def _last_octets(self, room: int) -> bytes | None:
        """The rest of a Content-Length body when all of it is buffered and something follows.

        None means: read on as usual (nothing follows, or this is not the last read).
        """
        inner = getattr(self.raw, "_fp", None)  # the http.client response under urllib3
        remaining = getattr(inner, "length", None)
        reader = getattr(inner, "fp", None)
        if (
            self.head
            or not isinstance(remaining, int)
            or getattr(inner, "chunked", True)
            or not 0 < remaining <= min(CHUNK, room)
            or not hasattr(reader, "peek")
        ):
            return None
        try:  # a transport error here (a reset) is the body's error: let it through
            buffered: bytes = reader.peek(remaining)  # type: ignore[union-attr]
        except ValueError:  # closed under us
            return None
        if len(buffered) < remaining:
            # Not all here yet: take what is buffered (so a reset later loses no count of it)
            # and look again before the next read.
            self._keep(self.raw.read(len(buffered), decode_content=False))
            return None
        stray, follows = _pending(getattr(self.raw, "connection", None))
        stray = buffered[remaining:] + stray
        if not (stray or follows):
            return None
        self.stray, self.follows = stray[:SHOWN_OCTETS], True
        return buffered[:remaining]


def _pending(connection: Any) -> tuple[bytes, bool]:
    """Octets waiting on a connection's socket without reading them; and whether any may be."""
    sock = getattr(connection, "sock", None)
    if not isinstance(sock, socket.socket):
        return b"", False
    if isinstance(sock, ssl.SSLSocket):
        try:
            readable = bool(sock.pending()) or bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return b"", True
        return b"", readable  # TLS records cannot be peeked: drop the connection, say nothing
    try:
        # A socket with a timeout waits for data before recv, whatever the flags: poll first.
        if not select.select([sock], [], [], 0)[0]:
            return b"", False
        data = sock.recv(SHOWN_OCTETS, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except (OSError, ValueError):
        return b"", True
    return data, True  # b"" is the server's FIN: nothing stray, but the connection is done
