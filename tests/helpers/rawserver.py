"""A raw-socket HTTP server for tests: the handler writes whatever octets it likes.

For answers a real framework would refuse to produce (hostile servers, canned and broken
responses). Listens on 127.0.0.1 at a port the OS chooses, runs one thread per connection, and
every loop is bounded by a count, by the octets it may send and by the stop event, so a failing
test cannot leave a thread spinning. A handler gets the connection and the request head it just
read, and returns True to read another request on the same connection, False to close it.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

MAX_HEAD = 64 * 1024
MAX_REQUESTS_PER_CONNECTION = 50
MAX_STREAM = 64 * 1024 * 1024  # no server sends more than this on one answer

Handler = Callable[["Connection", bytes], bool]


class Connection:
    """One accepted socket and the server's stop event; sends never raise."""

    def __init__(self, sock: socket.socket, stop: threading.Event) -> None:
        self.sock = sock
        self.stop = stop

    def read_head(self) -> bytes | None:
        """The request head up to the empty line, or None when the peer went away or we stop."""
        data = b""
        self.sock.settimeout(0.2)
        while b"\r\n\r\n" not in data and len(data) < MAX_HEAD and not self.stop.is_set():
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            data += chunk
        return data if b"\r\n\r\n" in data else None

    def send(self, data: bytes) -> bool:
        """Send everything; False when the peer is gone (closed, reset) or we stop."""
        if self.stop.is_set():
            return False
        try:
            self.sock.settimeout(5)
            self.sock.sendall(data)
        except OSError:
            return False
        return True

    def wait(self, seconds: float) -> bool:
        """Sleep unless the server stops; True when the full time passed."""
        return not self.stop.wait(seconds)

    def stream(self, block: bytes, limit: int = MAX_STREAM) -> None:
        """Send `block` again and again until `limit` octets, the peer leaves, or we stop."""
        sent = 0
        while sent < limit and self.send(block):
            sent += len(block)

    def trickle(self, octet: bytes, interval: float, count: int) -> None:
        """`count` times: wait `interval`, send `octet`; stops early when a wait or a send fails."""
        for _ in range(count):
            if not self.wait(interval) or not self.send(octet):
                return

    def reset(self) -> None:
        """Close with an RST instead of a FIN (SO_LINGER with a zero timeout)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class RawServer:
    """A loopback server that runs `handler` for each request on each accepted connection."""

    def __init__(self, handler: Handler, *, scheme: str = "http", path: str = "/r") -> None:
        self.handler = handler
        self.scheme = scheme
        self.path = path
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests: list[bytes] = []
        self.connections = 0
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{self.path}"

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stop.set()
        self._acceptor.join(timeout=5)
        self.listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                sock, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        conn = Connection(sock, self.stop)
        try:
            for _ in range(MAX_REQUESTS_PER_CONNECTION):
                head = conn.read_head()
                if head is None:
                    return
                self.requests.append(head)
                if not self.handler(conn, head):
                    return
        finally:
            with suppress(OSError):
                sock.close()


def closed_port() -> int:
    """A loopback port where nothing listens: the OS chose it and it was released at once."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


def vanishing(answer: bytes, trigger: bytes = b"x-vanish:") -> Handler:
    """Answer every request with `answer`, except: a request carrying the `trigger` header, and
    the two after it (a plain GET to see whether the server is still there, and the client's
    one retry of it), are closed unanswered. A server that goes away during one case and is
    back by the next run."""
    unanswered = [0]
    lock = threading.Lock()

    def handler(conn: Connection, head: bytes) -> bool:
        with lock:
            if trigger in head.lower():
                unanswered[0] = 2
                return False
            if unanswered[0]:
                unanswered[0] -= 1
                return False
        conn.send(answer)
        return False

    return handler


@contextmanager
def serving(handler: Handler, *, path: str = "/r") -> Iterator[RawServer]:
    """Run a RawServer for the duration of the block."""
    with RawServer(handler, path=path) as server:
        yield server
