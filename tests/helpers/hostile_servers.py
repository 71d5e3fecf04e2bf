"""Misbehaving HTTP servers for the hostile-target tests: raw sockets, one thread per connection.

Every server listens on 127.0.0.1 at a port the OS chooses, is started and stopped by the test
(`with HostileServer(handler) as server: ...`), and every loop in it is bounded: by a count, by
the octets it may send, and by the server's stop event, so a test that fails cannot leave a thread
spinning. A handler gets the connection and the request head it just read and returns True to read
another request on the same connection (keep-alive) or False to close it.
"""

from __future__ import annotations

import email.utils
import re
import socket

from tests.helpers.rawserver import MAX_HEAD, Connection, Handler, RawServer, closed_port

BODY = bytes(range(250)) * 4  # the 1000-octet representation every good answer serves
BIG_BODY = bytes(range(256)) * (4 * 4096)  # 4 MiB, so the runner reads up to 16 MiB per answer
TEN_GIB = 10 * 1024**3
STREAM_BLOCK = 64 * 1024
LINGER_SECONDS = 30.0  # longest any handler waits before giving up on its own


HostileServer = RawServer  # the name the hostile tests use


# --- reading the request --------------------------------------------------------------------

_RANGE = re.compile(rb"\r\nrange:[ \t]*bytes=([^\r\n]*)", re.IGNORECASE)


def method_of(head: bytes) -> bytes:
    return head.split(b" ", 1)[0]


def range_of(head: bytes) -> bytes | None:
    match = _RANGE.search(head)
    return match.group(1).strip() if match else None


def single_range(value: bytes, length: int) -> tuple[int, int] | None:
    """first-last, first- or -suffix; None for anything else (multiple ranges included)."""
    match = re.fullmatch(rb"([0-9]*)-([0-9]*)", value)
    if match is None or match.group(1) == match.group(2) == b"":
        return None
    first, last = match.groups()
    if first == b"":
        size = min(int(last), length)
        return (length - size, length - 1) if size else None
    start = int(first)
    end = min(int(last), length - 1) if last else length - 1
    return (start, end) if start <= end else None


# --- answers ----------------------------------------------------------------------------------


def head_bytes(status: str, fields: list[tuple[str, str | int]]) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in fields)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def good_answer(head: bytes, body: bytes = BODY) -> bytes:
    """A correct answer: 200, or 206 for one satisfiable range; multiple ranges are ignored."""
    fields: list[tuple[str, str | int]] = [
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Content-Type", "application/octet-stream"),
        ("Accept-Ranges", "bytes"),
        ("ETag", '"hostile-1"'),
    ]
    value = range_of(head)
    span = single_range(value, len(body)) if value is not None else None
    content = body
    if span is not None:
        first, last = span
        content = body[first : last + 1]
        fields.append(("Content-Range", f"bytes {first}-{last}/{len(body)}"))
    fields.append(("Content-Length", len(content)))
    status = "206 Partial Content" if span is not None else "200 OK"
    if method_of(head) == b"HEAD":
        content = b""
    return head_bytes(status, fields) + content


def serve_good(body: bytes = BODY) -> Handler:
    def handler(conn: Connection, head: bytes) -> bool:
        return conn.send(good_answer(head, body))

    return handler


def faulty(fault: Handler, *, on_range_only: bool) -> Handler:
    """`fault` for every request, or only for requests with a Range (a good answer otherwise)."""
    good = serve_good()

    def handler(conn: Connection, head: bytes) -> bool:
        if on_range_only and range_of(head) is None:
            return good(conn, head)
        return fault(conn, head)

    return handler


# --- the faults -------------------------------------------------------------------------------


def refused_url() -> str:
    """A loopback URL where nothing listens: the port was just chosen by the OS and released."""
    return f"http://127.0.0.1:{closed_port()}/r"


def never_answers(conn: Connection, head: bytes) -> bool:
    """Accept, read the request, then say nothing until the server stops."""
    conn.wait(LINGER_SECONDS)
    return False


def trickle_headers(interval: float = 1.0, limit: int = 120) -> Handler:
    """A status line, then one octet of an endless header field every `interval` seconds."""

    def handler(conn: Connection, head: bytes) -> bool:
        if conn.send(b"HTTP/1.1 200 OK\r\nX-Trickle: "):
            conn.trickle(b"a", interval, limit)
        return False

    return handler


def trickle_body(fast: int, interval: float, limit: int) -> Handler:
    """A 200 announcing `fast + limit * 1000` octets: `fast` at once, then one octet every
    `interval` seconds (always within the client's read timeout) up to `limit`, then close."""

    def handler(conn: Connection, head: bytes) -> bool:
        fields: list[tuple[str, str | int]] = [("Content-Length", fast + limit * 1000)]
        if conn.send(head_bytes("200 OK", fields) + bytes(fast)):
            conn.trickle(b"\0", interval, limit)
        return False

    return handler


def short_body(conn: Connection, head: bytes) -> bool:
    """Announce 1000 octets, send 10, close."""
    fields: list[tuple[str, str | int]] = [("Content-Length", 1000), ("Connection", "close")]
    conn.send(head_bytes("200 OK", fields) + BODY[:10])
    return False


STALE = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Stale: leftover\r\n\r\nSTALE"


def long_body(conn: Connection, head: bytes) -> bool:
    """A correct answer followed, on the same kept-alive connection, by a whole stale response."""
    return conn.send(good_answer(head) + STALE)


def endless_chunked(conn: Connection, head: bytes) -> bool:
    """The right answer's header fields and first octets, chunked, then chunks that never end.

    No Content-Length; the chunks go on up to MAX_STREAM octets, or until the client leaves.
    """
    answer = good_answer(head)
    split = answer.index(b"\r\n\r\n")
    fields = re.sub(rb"\r\nContent-Length: [0-9]+", b"", answer[:split])
    first = answer[split + 4 :]
    if conn.send(
        fields + b"\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n" % (len(first), first)
    ):
        conn.stream(b"%x\r\n" % STREAM_BLOCK + bytes(STREAM_BLOCK) + b"\r\n")
    return False


def ten_gib(conn: Connection, head: bytes) -> bool:
    """A 10 GiB representation of zeros whose every answer says Content-Length: 10 GiB.

    A 206 names the right range in Content-Range but still announces 10 GiB of content.
    """
    fields: list[tuple[str, str | int]] = [("Date", email.utils.formatdate(usegmt=True))]
    fields.append(("Accept-Ranges", "bytes"))
    value = range_of(head)
    span = single_range(value, TEN_GIB) if value is not None else None
    status = "200 OK"
    if span is not None:
        status = "206 Partial Content"
        fields.append(("Content-Range", f"bytes {span[0]}-{span[1]}/{TEN_GIB}"))
    fields.append(("Content-Length", TEN_GIB))
    if conn.send(head_bytes(status, fields)) and method_of(head) != b"HEAD":
        conn.stream(bytes(STREAM_BLOCK))
    return False


def garbage_status(conn: Connection, head: bytes) -> bool:
    conn.send(b"GARBAGE\r\n\r\n")
    return False


def http09(conn: Connection, head: bytes) -> bool:
    """HTTP/0.9: no status line, no header fields, just the octets, then close."""
    conn.send(b"<html>the body, and nothing before it</html>\n" + BODY)
    return False


BOUNDARY = "HOSTILE"


def _part(first: int, last: int, length: int, content: bytes) -> bytes:
    return (
        f"\r\n--{BOUNDARY}\r\nContent-Type: application/octet-stream\r\n"
        f"Content-Range: bytes {first}-{last}/{length}\r\n\r\n"
    ).encode() + content


def unclosed_multipart(conn: Connection, head: bytes) -> bool:
    """Two ranges get a 206 multipart/byteranges whose close delimiter never comes."""
    value = range_of(head) or b""
    if b"," not in value:
        return conn.send(good_answer(head))
    body = _part(0, 0, len(BODY), BODY[:1]) + _part(999, 999, len(BODY), BODY[999:])
    fields: list[tuple[str, str | int]] = [
        ("Content-Type", f"multipart/byteranges; boundary={BOUNDARY}"),
        ("Content-Length", len(body)),
    ]
    return conn.send(head_bytes("206 Partial Content", fields) + body)


MILLION = 1_000_000


def million_parts(conn: Connection, head: bytes) -> bool:
    """Several ranges of the 4 MiB resource get a million one-octet parts, streamed."""
    value = range_of(head) or b""
    if b"," not in value:
        return conn.send(good_answer(head, BIG_BODY))
    part = f"--{BOUNDARY}\r\n\r\n".encode() + BIG_BODY[:1] + b"\r\n"
    close = f"--{BOUNDARY}--\r\n".encode()
    fields: list[tuple[str, str | int]] = [
        ("Content-Type", f"multipart/byteranges; boundary={BOUNDARY}"),
        ("Content-Length", len(part) * MILLION + len(close)),
        ("Connection", "close"),
    ]
    if not conn.send(head_bytes("206 Partial Content", fields)):
        return False
    block = part * 10_000
    for _ in range(MILLION // 10_000):
        if not conn.send(block):
            return False
    conn.send(close)
    return False


def redirect_loop(conn: Connection, head: bytes) -> bool:
    """Every request is sent back to the same URL."""
    target = head.split(b" ", 2)[1].decode("latin-1")
    fields: list[tuple[str, str | int]] = [("Location", target), ("Content-Length", 0)]
    return conn.send(head_bytes("302 Found", fields))


# TLS alert record: content type 21 (alert), TLS 1.2, length 2, fatal (2), handshake_failure (40).
HANDSHAKE_FAILURE_ALERT = bytes([21, 3, 3, 0, 2, 2, 40])


class TlsRefuser(HostileServer):
    """Reads the ClientHello and answers with a fatal handshake_failure alert."""

    def __init__(self) -> None:
        super().__init__(lambda conn, head: False, scheme="https")

    def _serve(self, sock: socket.socket) -> None:
        conn = Connection(sock, self.stop)
        try:
            sock.settimeout(2)
            if sock.recv(MAX_HEAD):
                conn.send(HANDSHAKE_FAILURE_ALERT)
        except OSError:
            pass
        finally:
            sock.close()


def reset_mid_body(conn: Connection, head: bytes) -> bool:
    """Headers for the right answer, half of its content, then an RST."""
    answer = good_answer(head)
    split = answer.index(b"\r\n\r\n") + 4
    content = answer[split:]
    conn.send(answer[:split] + content[: max(1, len(content) // 2)])
    conn.wait(0.05)  # let the octets leave before the RST discards what is still queued
    conn.reset()
    return False
