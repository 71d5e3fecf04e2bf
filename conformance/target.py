"""What we know about the target: its resources by role, each learned once from a plain GET.

A resource's bytes come from an oracle: the body itself when it is small, a local copy the user
named (`--oracle-file`), or windows fetched on demand with ranges that differ from the ones the
cases send, so a large representation is never held in memory.
"""

from __future__ import annotations

import email.utils
import threading
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from .client import Client
from .errors import TargetError
from .model import Exchange
from .oracle import BytesOracle, FileOracle, Oracle, WindowOracle, stream_to_file

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
PREFIX_CHECK = 64 * 1024  # octets of a large 200 compared with --oracle-file


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
    learned_octets: int = 0

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
        oracle_mode: str = "auto",
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
        check_oracle_files(self.oracle_files)
        self.oracle_mode = oracle_mode
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
                    self.client, role, self.urls[role], oracle, VARIANT_HEADERS[form],
                    mode=self.oracle_mode,
                )  # fmt: skip
            return self._learned[key]

    def oracles(self) -> dict[str, str]:
        """Which oracle each learned resource used, for the report."""
        with self._lock:
            return {key: r.oracle.description for key, r in self._learned.items() if r.oracle}

    def octets_fetched(self) -> int:
        """Octets downloaded to learn the resources and fetch oracle windows."""
        with self._lock:
            return sum(r.learned_octets + (r.oracle.octets_fetched if r.oracle else 0)
                       for r in self._learned.values())  # fmt: skip

    def close(self) -> None:
        """Remove what `--oracle full` downloaded."""
        with self._lock:
            for resource in self._learned.values():
                if isinstance(resource.oracle, FileOracle) and resource.oracle.temporary:
                    resource.oracle.path.unlink(missing_ok=True)

    @property
    def range_capable(self) -> bool | None:
        """Whether the main resource answers `bytes=0-1` with 206 (for 200F(c) grading)."""
        with self._lock:
            if self._capable is None:
                probe = self.client.send("GET", self.urls["main"], [("Range", "bytes=0-1")], cap=2)
                self._capable = probe.status == 206 if probe.error is None else None
            return self._capable


def check_oracle_files(oracle_files: dict[str, Path]) -> None:
    """Each local copy given with --oracle-file exists, or TargetError naming it."""
    for role, path in oracle_files.items():
        if not path.is_file():
            raise TargetError(f"--oracle-file {path} (for {role}) is not a readable file")


def learn(
    client: Client,
    role: str,
    url: str,
    oracle_file: Path | None,
    headers: list[tuple[str, str]] | None = None,
    *,
    mode: str = "auto",
) -> Resource:
    """GET the resource once: status, headers, length and an oracle for its bytes."""
    exchange = client.send("GET", url, headers or [], cap=IN_MEMORY_LIMIT, whole_or_nothing=True)
    resource = _learn(client, role, url, oracle_file, headers or [], mode, exchange)
    return replace(resource, learned_octets=len(exchange.body))


def _learn(
    client: Client,
    role: str,
    url: str,
    oracle_file: Path | None,
    headers: list[tuple[str, str]],
    mode: str,
    exchange: Exchange,
) -> Resource:
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
        oracle = FileOracle(oracle_file)
        problem = _disagreement(client, url, oracle, exchange)
        if problem is not None:
            return _broken(role, url, exchange, problem)
        return Resource(role, url, 200, exchange.headers, size, oracle)
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
    if mode == "full":
        try:
            streamed = stream_to_file(client, url, headers, declared)
        except TargetError as error:
            return _broken(role, url, exchange, str(error))
        return Resource(role, url, 200, exchange.headers, declared, streamed)
    return Resource(role, url, 200, exchange.headers, declared,
                    WindowOracle(client, url, declared))  # fmt: skip


def _disagreement(client: Client, url: str, oracle: FileOracle, exchange: Exchange) -> str | None:
    """Check the local copy against the plain 200 (never a 206, which is what is on trial)."""
    body = exchange.body
    if exchange.body_capped or not body:
        prefix = client.send("GET", url, [], cap=PREFIX_CHECK)
        body = prefix.body if prefix.error is None and prefix.status == 200 else b""
    if body and body != oracle.read(0, len(body) - 1):
        return (
            f"--oracle-file {oracle.path} differs from the 200 that {url} serves "
            f"in its first {len(body)} octets: is it the same version?"
        )
    return None


def _broken(role: str, url: str, exchange: Exchange, why: str) -> Resource:
    return Resource(role, url, exchange.status, exchange.headers, None, None, error=why)


def _content_length(exchange: Exchange) -> int | None:
    value = exchange.header("Content-Length")
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)
