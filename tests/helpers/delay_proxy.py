"""A TCP proxy that delivers every chunk a fixed time after it arrived, in each direction.

A loopback server answers in microseconds, which hides behaviour that only shows when a round
trip costs real time (keep-alive reuse, pipelining, timeouts, clients that stall between
requests). `delay_proxy` puts a fixed one-way latency in front of any TCP server so a test can
see those effects without a real network.

Each direction of each connection is a delay line: a reader thread stamps every chunk with
arrival + delay and queues it, a writer thread sends it when that time comes. Chunks in flight
overlap, so the delay is paid once per direction, not once per chunk, and throughput is not
limited by it. With delay=0 the reader forwards directly and there is no writer thread.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

__all__ = ["delay_proxy"]

# How long a blocked thread waits before it looks at its stop flag again: it bounds how long
# exit takes, and never delays data (recv and queue waits return as soon as there is some).
_POLL = 0.05
_CONNECT_TIMEOUT = 5.0
_JOIN_TIMEOUT = 10.0
_CHUNK = 64 * 1024
# Bytes one delay line may hold: a receiver that stops reading back-pressures the sender instead
# of growing memory without bound. Caps throughput at _BUDGET / delay (160 MiB/s at 50 ms).
_BUDGET = 8 * 1024 * 1024

# (due time on the monotonic clock, chunk); b"" stands for EOF and None for a reset.
_Item = tuple[float, bytes | None]


class _DelayLine:
    """A FIFO of timed chunks with a byte budget; every wait polls `stop` so nothing hangs."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._items: deque[_Item] = deque()
        self._size = 0
        self._cond = threading.Condition()

    def put(self, due: float, chunk: bytes | None) -> bool:
        """Queue a chunk; False if the connection stopped while waiting for room."""
        size = len(chunk or b"")
        with self._cond:
            while self._size and self._size + size > _BUDGET:
                if self._stop.is_set():
                    return False
                self._cond.wait(_POLL)
            self._items.append((due, chunk))
            self._size += size
            self._cond.notify_all()
        return True

    def get(self) -> _Item | None:
        """The oldest item, or None once the connection has stopped and nothing is queued."""
        with self._cond:
            while not self._items:
                if self._stop.is_set():
                    return None
                self._cond.wait(_POLL)
            item = self._items.popleft()
            self._size -= len(item[1] or b"")
            self._cond.notify_all()
            return item


class _Connection:
    """A client socket and its upstream socket, relayed both ways by two or four threads.

    The last thread to finish closes both sockets, so no socket is closed under a thread that
    still uses it, and a connection whose two directions both ended closes at once.
    """

    def __init__(
        self, client: socket.socket, server: socket.socket, delay: float, name: str
    ) -> None:
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []
        self._socks = (client, server)
        self._delay = delay
        self._lock = threading.Lock()
        for label, src, dst in (("c2s", client, server), ("s2c", server, client)):
            if delay > 0:
                line = _DelayLine(self.stop)
                self._add(f"{name}:{label}-read", self._read, src, line.put)
                self._add(f"{name}:{label}-write", self._write, line, dst)
            else:
                self._add(f"{name}:{label}-relay", self._read, src, self._forwarder(dst))
        self._running = len(self.threads)

    def _add(self, name: str, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=self._run, args=(target, *args), name=name, daemon=True)
        self.threads.append(thread)

    def _forwarder(self, dst: socket.socket) -> Callable[[float, bytes | None], bool]:
        """A reader callback that delivers at once (delay=0): no queue, no writer thread."""

        def forward(_due: float, chunk: bytes | None) -> bool:
            return self._deliver(dst, chunk)

        return forward

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def alive(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def close(self) -> None:
        for sock in self._socks:
            with suppress(OSError):
                sock.close()

    def _run(self, target: Callable[..., None], *args: object) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._running -= 1
                last = self._running == 0
            if last:
                self.close()

    def _read(self, src: socket.socket, forward: Callable[[float, bytes | None], bool]) -> None:
        """Stamp each chunk with its delivery time as soon as it arrives; stop after EOF/reset."""
        while not self.stop.is_set():
            try:
                chunk: bytes | None = src.recv(_CHUNK)
            except TimeoutError:
                continue
            except OSError:
                chunk = None
            if not forward(time.monotonic() + self._delay, chunk) or not chunk:
                return

    def _write(self, line: _DelayLine, dst: socket.socket) -> None:
        """Deliver each chunk at its due time; the sleep is per chunk, so in-flight ones overlap."""
        while (item := line.get()) is not None:
            due, chunk = item
            # Event.wait may wake a hair early; loop so nothing is ever delivered before `due`.
            while (left := due - time.monotonic()) > 0:
                if self.stop.wait(left):
                    return
            if not self._deliver(dst, chunk):
                return

    def _deliver(self, dst: socket.socket, chunk: bytes | None) -> bool:
        """Send a chunk, pass on EOF as a half-close, or a reset as an abort; False when done."""
        if chunk is None:
            self._abort()
            return False
        if not chunk:
            with suppress(OSError):
                dst.shutdown(socket.SHUT_WR)
            return False
        view = memoryview(chunk)
        try:
            while view:
                if self.stop.is_set():
                    return False
                try:
                    view = view[dst.send(view) :]
                except TimeoutError:
                    continue
        except OSError:
            self._abort()
            return False
        return True

    def _abort(self) -> None:
        """One side reset or vanished: reset the other too (linger 0) and stop every thread."""
        for sock in self._socks:
            with suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.stop.set()


def _accept(
    listener: socket.socket,
    upstream: tuple[str, int],
    delay: float,
    stop: threading.Event,
    conns: list[_Connection],
    name: str,
) -> None:
    """Accept until `stop`, opening the upstream connection at once for each client."""
    serial = 0
    while not stop.is_set():
        try:
            client, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        try:
            server = socket.create_connection(upstream, timeout=_CONNECT_TIMEOUT)
        except OSError:
            # Upstream refused: reset the client, as a refused connection would look to it.
            with suppress(OSError):
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            continue
        for sock in (client, server):
            sock.settimeout(_POLL)
            with suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        serial += 1
        conn = _Connection(client, server, delay, f"{name}:conn{serial}")
        conns[:] = [c for c in conns if c.alive()]  # finished ones closed their own sockets
        conns.append(conn)
        conn.start()


@contextmanager
def delay_proxy(upstream: tuple[str, int], delay: float) -> Iterator[tuple[str, int]]:
    """Listen on 127.0.0.1 (a port the OS picks); each accepted connection is relayed to
    `upstream`; every chunk of octets is delivered `delay` seconds after it arrived, in each
    direction, in order. Yields (host, port) to connect to; on exit stops accepting, closes every
    connection and joins every thread.

    The upstream connection is opened as soon as a client connects; since its first octets are
    delayed anyway, a request/response round trip costs at least 2 × delay more than direct.
    """
    if not delay >= 0:
        raise ValueError(f"delay must be >= 0, not {delay!r}")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(_POLL)
        host, port = listener.getsockname()[:2]
        name = f"delay-proxy:{port}"
        stop = threading.Event()
        conns: list[_Connection] = []
        acceptor = threading.Thread(
            target=_accept,
            args=(listener, upstream, delay, stop, conns, name),
            name=f"{name}:accept",
            daemon=True,
        )
        acceptor.start()
        try:
            yield host, port
        finally:
            stop.set()
            deadline = time.monotonic() + _JOIN_TIMEOUT
            acceptor.join(_JOIN_TIMEOUT)
            # The acceptor is done (or stuck, reported below), so `conns` no longer changes.
            for conn in conns:
                conn.stop.set()
            stuck = [] if not acceptor.is_alive() else [acceptor]
            for conn in conns:
                for thread in conn.threads:
                    thread.join(max(0.0, deadline - time.monotonic()))
                    if thread.is_alive():
                        stuck.append(thread)
                if not conn.alive():
                    conn.close()
            if stuck:
                raise RuntimeError(f"delay proxy threads did not stop: {stuck}")
    finally:
        listener.close()
