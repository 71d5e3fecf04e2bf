"""What we know about the target: its resources by role, each learned once from a plain GET.

A resource's bytes come from an oracle: the body itself when it is small, a local copy the user
named (`--oracle-file`), or windows fetched on demand with ranges that differ from the ones the
cases send, so a large representation is never held in memory.
"""

from __future__ import annotations

import email.utils
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from .client import Client
from .errors import TargetError
from .model import Exchange

ROLES = (
    "main", "r10000", "one", "empty", "text", "gzip", "large",
    "missing", "redirect", "dynamic", "weak", "cache",
)  # fmt: skip

ROLE_HELP = {
    "main": "the resource under test (at least 1000 octets)",
    "r10000": "a resource of at least 10 000 octets (the RFC's own multi-range examples)",
    "one": "a one-octet resource",
    "empty": "an empty (zero-octet) resource",
    "text": "a text/plain resource",
    "gzip": "a resource that negotiates Content-Encoding: gzip",
    "large": "a resource larger than 4 GiB",
    "missing": "a URL that answers 404",
    "redirect": "a URL that answers with a redirect",
    "dynamic": "the main resource served without ETag and Last-Modified",
    "weak": "a resource whose ETag is weak",
    "cache": "the main resource as served through a cache or CDN",
}

# Request headers that select a learned form of a resource (content negotiation).
VARIANT_HEADERS = {"identity": [], "gzip": [("Accept-Encoding", "gzip")]}

IN_MEMORY_LIMIT = 32 * 1024 * 1024
WINDOW_MARGIN = 16


class Oracle(Protocol):
    """The representation's true bytes, window by window."""

    description: str

    def read(self, first: int, last: int) -> bytes: ...


@dataclass
class BytesOracle:
    body: bytes
    description: str = "full body in memory"

    def read(self, first: int, last: int) -> bytes:
        return self.body[first : last + 1]


@dataclass
class FileOracle:
    path: Path
    description: str = ""

    def __post_init__(self) -> None:
        self.description = f"local file {self.path}"

    def read(self, first: int, last: int) -> bytes:
        with self.path.open("rb") as handle:
            handle.seek(first)
            return handle.read(last - first + 1)


@dataclass
class WindowOracle:
    """Fetch each window with a wider range than any case asks for, and cache it."""

    client: Client
    url: str
    length: int
    description: str = "windows fetched on demand"
    cache: dict[tuple[int, int], bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, first: int, last: int) -> bytes:
        if (first, last) in self.cache:
            return self.cache[(first, last)]
        low = max(0, first - WINDOW_MARGIN)
        high = min(self.length - 1, last + WINDOW_MARGIN)
        size = high - low + 1
        exchange = self.client.send(
            "GET", self.url, [("Range", f"bytes={low}-{high}")], cap=size + 1
        )
        expected = f"bytes {low}-{high}/{self.length}"
        if exchange.status != 206 or exchange.header("Content-Range") != expected:
            raise TargetError(
                f"cannot read octets {first}-{last} of {self.url} to compare against: "
                f"'Range: bytes={low}-{high}' got {exchange.status} "
                f"{exchange.header('Content-Range') or exchange.error or ''}. "
                f"Give a local copy with --oracle-file."
            )
        window = exchange.body[first - low : last - low + 1]
        with self.lock:
            self.cache[(first, last)] = window
        return window


@dataclass(frozen=True)
class Resource:
    """One role's URL and what its plain GET said."""

    role: str
    url: str
    status: int | None
    headers: tuple[tuple[str, str], ...]
    length: int | None
    oracle: Oracle | None
    error: str | None = None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        values = [v for k, v in self.headers if k.lower() == wanted]
        return ", ".join(values) if values else None

    @property
    def etag(self) -> str | None:
        return self.header("ETag")

    @property
    def last_modified(self) -> datetime | None:
        return parse_http_date(self.header("Last-Modified"))

    @property
    def date(self) -> datetime | None:
        return parse_http_date(self.header("Date"))

    def read(self, first: int, last: int) -> bytes:
        if self.oracle is None:
            raise TargetError(f"no representation learned for {self.url}")
        return self.oracle.read(first, last)


def parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # HTTP dates are always UTC (RFC 9110 §5.6.7); "-0000" parses as naive.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def check_url(url: str) -> str:
    """Refuse anything that is not an absolute http(s) URL, with a remedy."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(
            f"{url!r} is not an http:// or https:// URL with a host. "
            "Pass the full URL of a resource, e.g. https://example.com/video.mp4"
        )
    return url


class Target:
    """Role → URL, with each resource learned once (thread-safe, lazily)."""

    def __init__(
        self,
        urls: dict[str, str],
        client: Client,
        oracle_files: dict[str, Path] | None = None,
    ) -> None:
        for role, url in urls.items():
            if role not in ROLES:
                raise TargetError(f"unknown resource role {role!r}; known: {', '.join(ROLES)}")
            check_url(url)
        if "main" not in urls:
            raise TargetError("no target URL: pass the URL of the resource to check")
        self.urls = dict(urls)
        self.client = client
        self.oracle_files = dict(oracle_files or {})
        self._learned: dict[str, Resource] = {}
        self._capable: bool | None = None
        self._lock = threading.Lock()

    def resource(self, role: str, form: str = "identity") -> Resource | None:
        """The learned resource for a role (in a negotiated form), or None when not given."""
        if role not in self.urls:
            return None
        if role == "cache" and form == "identity" and "main" in self.urls:
            # Learned from the origin: a GET through the cache would fill it before the case.
            origin = self.resource("main")
            return replace(origin, role="cache", url=self.urls["cache"]) if origin else None
        key = role if form == "identity" else f"{role}:{form}"
        with self._lock:
            if key not in self._learned:
                oracle = self.oracle_files.get(role) if form == "identity" else None
                self._learned[key] = learn(
                    self.client, role, self.urls[role], oracle, VARIANT_HEADERS[form]
                )
            return self._learned[key]

    @property
    def range_capable(self) -> bool | None:
        """Whether the main resource answers `bytes=0-1` with 206 (for 200F(c) grading)."""
        with self._lock:
            if self._capable is None:
                probe = self.client.send("GET", self.urls["main"], [("Range", "bytes=0-1")], cap=2)
                self._capable = probe.status == 206 if probe.error is None else None
            return self._capable


def learn(
    client: Client,
    role: str,
    url: str,
    oracle_file: Path | None,
    headers: list[tuple[str, str]] | None = None,
) -> Resource:
    """GET the resource once: status, headers, length and an oracle for its bytes."""
    exchange = client.send("GET", url, headers or [], cap=IN_MEMORY_LIMIT, whole_or_nothing=True)
    if exchange.error is not None:
        return Resource(role, url, None, (), None, None, error=exchange.error)
    declared = _content_length(exchange)
    if exchange.status != 200:
        return Resource(role, url, exchange.status, exchange.headers, None, None)
    if oracle_file is not None:
        size = oracle_file.stat().st_size
        if declared is not None and declared != size:
            return _broken(
                role,
                url,
                exchange,
                f"--oracle-file {oracle_file} has {size} octets "
                f"but the server declares Content-Length: {declared}",
            )
        return Resource(role, url, 200, exchange.headers, size, FileOracle(oracle_file))
    if not exchange.body_capped:
        if declared is not None and declared != len(exchange.body):
            return _broken(
                role,
                url,
                exchange,
                f"Content-Length: {declared} but {len(exchange.body)} octets arrived",
            )
        body = exchange.body
        return Resource(role, url, 200, exchange.headers, len(body), BytesOracle(body))
    if declared is None:
        return _broken(
            role,
            url,
            exchange,
            "larger than 32 MiB and no Content-Length: give its size and bytes with --oracle-file",
        )
    return Resource(role, url, 200, exchange.headers, declared,
                    WindowOracle(client, url, declared))  # fmt: skip


def _broken(role: str, url: str, exchange: Exchange, why: str) -> Resource:
    return Resource(role, url, exchange.status, exchange.headers, None, None, error=why)


def _content_length(exchange: Exchange) -> int | None:
    value = exchange.header("Content-Length")
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)
