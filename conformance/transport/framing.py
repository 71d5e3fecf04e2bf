"""What an answer's head says about its size, and how long an exchange took (for both paths)."""

from __future__ import annotations

import time


def head_octets(status: int, reason: str, fields: tuple[tuple[str, str], ...]) -> int:
    """Octets of an answer's head as parsed: `HTTP/1.1 status reason`, each `name: value`, and
    their CRLFs (an estimate only where the server padded with whitespace or folded lines)."""
    line = len(f"HTTP/1.1 {status} {reason}") + 2
    return line + sum(len(name) + 2 + len(value) + 2 for name, value in fields) + 2


def content_length(value: str | None) -> int | None:
    """A Content-Length value as a number, or None when it is absent or not one."""
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def since(started: float) -> float:
    return time.monotonic() - started
