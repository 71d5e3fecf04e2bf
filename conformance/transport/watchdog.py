"""Deadlines that a trickling server cannot evade.

Read timeouts apply to each socket read, so a server sending one octet a second never trips them.
A Watchdog shuts the exchange's sockets down when its total deadline passes; any read blocked on
them returns at once. `DeadlineAdapter` lets the watchdog reach the sockets `requests` opens.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

import requests.adapters
import urllib3
import urllib3.connectionpool


class Watchdog:
    """Shuts the watched sockets down when an exchange outlives its deadline.

    Any read blocked on them then returns or fails at once; `fired` tells the reader why.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._connections: list[Any] = []  # urllib3 connections: their socket may come later
        self._closed = False  # the exchange is over: a late timer must not shut anything
        self._outer: Watchdog | None = None
        self._timer = self._arm()

    def _arm(self) -> threading.Timer:
        timer = threading.Timer(self.seconds, self._fire)
        timer.daemon = True
        return timer

    def __enter__(self) -> Watchdog:
        """Start the clock, and be the watchdog the session's pools hand connections to."""
        self._outer = _current_watchdog()
        current.watchdog = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._closed = True
            self._timer.cancel()
        current.watchdog = self._outer

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shut(sock)

    def watch_connection(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
            if self.fired:
                _shut(getattr(connection, "sock", None))

    def _fire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.fired = True
            for sock in [*self._sockets, *(getattr(c, "sock", None) for c in self._connections)]:
                _shut(sock)


class RateWatchdog(Watchdog):
    """Shuts the watched sockets down when fewer than `min_octets` arrive in any `window`
    seconds: a transfer of any size may take as long as it keeps moving, but a server that
    trickles (or stalls) is cut off within two windows.

    The reader reports what it received with `advance`; `fired` then tells it why reads ended.
    """

    def __init__(self, window: float, min_octets: int) -> None:
        self.min_octets = min_octets
        self.received = 0
        self._checked = 0  # `received` at the last check
        super().__init__(window)

    def _arm(self) -> threading.Timer:
        timer = threading.Timer(self.seconds, self._check)
        timer.daemon = True
        return timer

    def advance(self, octets: int) -> None:
        self.received += octets

    def _check(self) -> None:
        with self._lock:
            if self._closed:
                return
            moved = self.received - self._checked
            self._checked = self.received
            if moved >= self.min_octets:
                self._timer = self._arm()
                self._timer.start()
                return
        self._fire()  # does nothing if the transfer ended meanwhile


def _shut(sock: socket.socket | None) -> None:
    """Shut the OS socket down; for TLS, below the TLS layer so the reader sees EOF at once."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


current = threading.local()  # the Watchdog of the exchange running in this thread, if any


def _current_watchdog() -> Watchdog | None:
    dog: Watchdog | None = getattr(current, "watchdog", None)
    return dog


class _Watched:
    """Hands every connection a pool gives out to the running exchange's watchdog."""

    def _get_conn(self, timeout: float | None = None) -> Any:
        connection = super()._get_conn(timeout)  # type: ignore[misc]
        dog = _current_watchdog()
        if dog is not None:
            dog.watch_connection(connection)
        return connection


class _WatchedHTTPPool(_Watched, urllib3.connectionpool.HTTPConnectionPool):
    pass


class _WatchedHTTPSPool(_Watched, urllib3.connectionpool.HTTPSConnectionPool):
    pass


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(requests.adapters.HTTPAdapter):
    """An HTTPAdapter whose connections the running exchange's Watchdog can shut down."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_WATCHED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # SOCKS managers keep their own pools
            manager.pool_classes_by_scheme = dict(_WATCHED_POOLS)
        return manager
