"""How a run talks to the target (the same for every case), and what it cost the target."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from conformance import __version__

USER_AGENT = f"range-conformance/{__version__}"


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How to talk to the target; the same for every case of a run."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    verify: bool | str = True
    extra_headers: tuple[tuple[str, str], ...] = ()
    user_agent: str = USER_AGENT
    cert: tuple[str] | tuple[str, str] | None = None  # client certificate (and key)
    proxy: str | None = None
    proxy_from_env: bool = False

    @property
    def deadline(self) -> float:
        """Longest a whole exchange may take, so a trickling server cannot hang the run."""
        return self.connect_timeout + 3 * self.read_timeout


class Traffic:
    """What a run cost the target: requests sent and octets received (thread-safe).

    Octets are the body octets read plus each answer's head as parsed (status line and field
    lines with their CRLFs): what a CDN bills, give or take its own framing.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.octets = 0
        self._lock = threading.Lock()

    def count(self, requests: int, octets: int) -> None:
        with self._lock:
            self.requests += requests
            self.octets += octets


def base_headers(settings: ClientSettings) -> dict[str, str]:
    """The fields every request carries: identity coding, so slices compare on coded octets."""
    headers = {
        "User-Agent": settings.user_agent,
        "Accept-Encoding": "identity",
        "Accept": "*/*",
    }
    headers.update(settings.extra_headers)
    return headers
