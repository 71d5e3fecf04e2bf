"""The rate watchdog: a transfer may run as long as it moves, and is cut off once it stalls."""

from __future__ import annotations

import socket
import time

from conformance.transport.watchdog import RateWatchdog

WINDOW = 0.2


def test_a_transfer_that_keeps_moving_is_never_cut_off() -> None:
    reader, writer = socket.socketpair()
    with reader, writer, RateWatchdog(WINDOW, min_octets=100) as dog:
        dog.watch(reader)
        until = time.monotonic() + 5 * WINDOW  # five windows, each with enough progress
        while time.monotonic() < until:
            dog.advance(60)
            time.sleep(WINDOW / 4)
        assert not dog.fired
        writer.sendall(b"still open")
        assert reader.recv(16) == b"still open"


def test_a_stalled_transfer_is_cut_off_and_a_blocked_read_returns() -> None:
    reader, writer = socket.socketpair()
    with reader, writer, RateWatchdog(WINDOW, min_octets=100) as dog:
        dog.watch(reader)
        dog.advance(150)  # the first window moves; then nothing more arrives
        started = time.monotonic()
        reader.settimeout(10 * WINDOW)  # only so a broken watchdog fails instead of hanging
        assert reader.recv(16) == b""  # shut down under the blocked read
        assert dog.fired
        assert time.monotonic() - started < 4 * WINDOW


def test_leaving_the_watchdog_stops_it() -> None:
    reader, writer = socket.socketpair()
    with reader, writer:
        with RateWatchdog(WINDOW, min_octets=100) as dog:
            dog.watch(reader)
        time.sleep(3 * WINDOW)
        assert not dog.fired
        writer.sendall(b"x")
        assert reader.recv(1) == b"x"
