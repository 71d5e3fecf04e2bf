"""What we know about the target: its resources by role, each learned once from a plain GET.

A resource's bytes come from an oracle: the body itself when it is small, a local copy the user
named (`--oracle-file`), or windows fetched on demand with ranges that differ from the ones the
cases send, so a large representation is never held in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conformance.engine.once import OncePerKey
from conformance.engine.oracle import BytesOracle, FileOracle, Oracle, WindowOracle, stream_to_file
from conformance.errors import TargetError
from conformance.httpdate import parse_http_date
from conformance.model import Exchange, Representation
from conformance.transport.client import Client

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

MIN_LENGTH = 1000  # the main resource's least length: the catalogue's positions assume it
LARGE = 2**32  # past this, 32-bit offsets and lengths break

# Request headers that select a learned form of a resource (content negotiation).
VARIANT_HEADERS = {"identity": [], "gzip": [("Accept-Encoding", "gzip")]}

IN_MEMORY_LIMIT = 1024 * 1024  # a representation up to this size is learned whole, in memory
PREFIX = 64 * 1024  # of a larger one, the plain 200's first octets (the rest: the oracle)
MISSING_NAME = "range-conformance-no-such-resource-7f3a9c"  # a sibling name nobody serves


@dataclass(frozen=True)
class Resource(Representation):
    """One role's URL and what its plain GET said, with where its true octets come from."""

    oracle: Oracle | None = None
    error: str | None = None
    learned_octets: int = 0

    @property
    def last_modified(self) -> datetime | None:
        return parse_http_date(self.header("Last-Modified"))

    @property
    def date(self) -> datetime | None:
        return parse_http_date(self.header("Date"))

    def known_octets(self) -> dict[int, bytes]:
        """The octets in hand without a request (start → octets): all of a small one, the
        plain 200's first octets and the windows already fetched of a large one."""
        return self.oracle.known() if self.oracle is not None else {}

    def read(self, first: int, last: int) -> bytes:
        if self.oracle is None:
            raise TargetError(f"no representation learned for {self.url}")
        return self.oracle.read(first, last)


def check_url(url: str) -> str:
    """Refuse anything that is not an absolute http(s) URL, with a remedy."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(
            f"{url!r} is not an http:// or https:// URL with a host. "
            "Pass the full URL of a resource, e.g. https://example.com/video.mp4"
        )
    return url


def sibling_url(url: str, name: str) -> str:
    """`url` with its last path segment replaced by `name`, query and fragment dropped."""
    parts = urlsplit(url)
    folder = parts.path.rpartition("/")[0]
    return urlunsplit(parts._replace(path=f"{folder}/{name}", query="", fragment=""))


class Target:
    """Role → URL, with each resource learned once (thread-safe, lazily).

    A role nobody named is served by what the target offers where that is exactly what the
    role asks for: the main resource when its ETag is weak (`weak`), it is long enough
    (`r10000`, `large`), it is text (`text`) or it has no validators (`dynamic`); and for
    `missing`, a sibling name of the main URL, but only if it answers 404.
    """

    def __init__(
        self,
        urls: dict[str, str],
        client: Client,
        oracle_files: dict[str, Path] | None = None,
        oracle_mode: str = "auto",
        *,
        intermediary: bool = False,
    ) -> None:
        """`intermediary`: the URLs reach the origin through a cache or proxy, graded by the
        rules the RFC sets for those where they differ (branches marked `via: intermediary`)."""
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
        self.intermediary = intermediary
        self._learned: OncePerKey[str, Resource] = OncePerKey()
        self._capable: bool | None = None
        self._capability = threading.Lock()
        self._lock = threading.Lock()
        self._stopped: dict[str, tuple[str, str]] = {}  # origin → (case id, what happened)

    def stop(self, url: str, case_id: str, problem: str) -> None:
        """Record, once per origin, that it stopped answering: later cases there are not sent."""
        with self._lock:
            self._stopped.setdefault(_origin(url), (case_id, problem))

    def stopped_for(self, url: str) -> str | None:
        """In a few words, why cases on `url` are no longer sent (the whole story is
        `stopped`, said once)."""
        origin = _origin(url)
        with self._lock:
            found = self._stopped.get(origin)
        return None if found is None else f"{origin} stopped answering during {found[0]}"

    @property
    def stopped(self) -> str | None:
        """Every origin that stopped answering during the run, where and how, once each."""
        with self._lock:
            told = [f"{origin} stopped answering during {case_id} ({problem})"
                    for origin, (case_id, problem) in self._stopped.items()]  # fmt: skip
        return "; ".join(told) or None

    def resource(self, role: str, form: str = "identity") -> Resource | None:
        """The learned resource for a role (in a negotiated form), or None when not given."""
        if role not in self.urls:
            return self._stand_in(role, form)
        if role == "cache" and form == "identity" and "main" in self.urls:
            # Learned from the origin: a GET through the cache would fill it before the case.
            origin = self.resource("main")
            return replace(origin, role="cache", url=self.urls["cache"]) if origin else None
        key = role if form == "identity" else f"{role}:{form}"
        oracle = self.oracle_files.get(role) if form == "identity" else None
        return self._learn_once(key, role, self.urls[role], oracle, VARIANT_HEADERS[form])

    def _learn_once(
        self,
        key: str,
        role: str,
        url: str,
        oracle_file: Path | None,
        headers: list[tuple[str, str]],
    ) -> Resource:
        """Learn `key` once; threads asking for it meanwhile wait for that one answer."""
        return self._learned.get(
            key,
            lambda: learn(self.client, role, url, oracle_file, headers, mode=self.oracle_mode),
        )

    def _stand_in(self, role: str, form: str) -> Resource | None:
        if role == "missing":
            return self._missing() if form == "identity" else None
        main = self.resource("main", form) if role in STAND_INS else None
        if main is None or main.status != 200 or main.error is not None:
            return None
        if not STAND_INS[role](main):
            return None
        return replace(main, role=role, stands_in=True)

    def _missing(self) -> Resource | None:
        url = sibling_url(self.urls["main"], MISSING_NAME)
        found = self._learn_once("missing", "missing", url, None, [])
        return replace(found, stands_in=True) if found.status == 404 else None

    def why_absent(self, role: str) -> str:
        """Why a case on `role` cannot run, and what to pass: for its skip message."""
        passing = f"pass --resource {role}=URL"
        if role in STAND_INS:
            return f"needs {ROLE_HELP[role]}, and the main resource is not one: {passing}"
        if role == "missing":
            url = sibling_url(self.urls["main"], MISSING_NAME)
            found = self._learn_once("missing", "missing", url, None, [])
            answer = found.error or f"answered {found.status}"
            return f"needs {ROLE_HELP[role]}; {url} {answer}, not 404: {passing}"
        return f"needs {ROLE_HELP[role]}: {passing}"

    def learned(self) -> dict[str, Resource]:
        """Every resource learned so far, by role (and form)."""
        return self._learned.items()

    def oracles(self) -> dict[str, str]:
        """Which oracle each learned resource used, for the report."""
        learned = self._learned.items()
        return {key: r.oracle.description for key, r in learned.items() if r.oracle}

    def close(self) -> None:
        """Remove what `--oracle full` downloaded."""
        for resource in self._learned.items().values():
            if isinstance(resource.oracle, FileOracle) and resource.oracle.temporary:
                resource.oracle.path.unlink(missing_ok=True)

    @property
    def range_capable(self) -> bool | None:
        """Whether the main resource answers `bytes=0-1` with 206, for the branches graded by
        whether the target serves ranges at all (`grade_if_capable`): asked once, under a lock
        of its own so that nobody else waits for the answer."""
        with self._capability:
            if self._capable is None:
                probe = self.client.send("GET", self.urls["main"], [("Range", "bytes=0-1")], cap=2)
                self._capable = probe.status == 206 if probe.error is None else None
            return self._capable


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def _text(resource: Resource) -> bool:
    return (resource.header("Content-Type") or "").lower().startswith("text/plain")


# Roles the main resource can serve itself, when it is what the role asks for.
STAND_INS: dict[str, Callable[[Resource], bool]] = {
    "weak": lambda r: (r.etag or "").startswith("W/"),
    "r10000": lambda r: (r.length or 0) >= 10_000,
    "large": lambda r: (r.length or 0) > LARGE,
    "text": _text,
    "dynamic": lambda r: r.etag is None and r.header("Last-Modified") is None,
}


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
    """GET the resource once: status, headers, length and an oracle for its bytes.

    A representation up to IN_MEMORY_LIMIT is read whole; of a larger one only the first
    PREFIX octets (none when `--oracle full` will download it all), and the connection is
    closed rather than drained.
    """
    prefix = 0 if mode == "full" and oracle_file is None else PREFIX  # full: all comes later
    exchange = client.send("GET", url, headers or [], cap=IN_MEMORY_LIMIT, window=prefix)
    resource = _learn(client, role, url, oracle_file, headers or [], mode, exchange)
    return replace(resource, learned_octets=exchange.body_octets)


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
        return Resource(role, url, None, (), None, error=exchange.error)
    declared = _content_length(exchange)
    if exchange.status != 200:
        return Resource(role, url, exchange.status, exchange.headers, None)
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
        problem = _disagreement(url, oracle, exchange)
        if problem is not None:
            return _broken(role, url, exchange, problem)
        return Resource(role, url, 200, exchange.headers, size, oracle=oracle)
    if not exchange.body_capped:
        if declared is not None and declared != len(exchange.body):
            return _broken(
                role,
                url,
                exchange,
                f"Content-Length: {declared} but {len(exchange.body)} octets arrived",
            )
        body = exchange.body
        return Resource(role, url, 200, exchange.headers, len(body), oracle=BytesOracle(body))
    if declared is None:
        return _broken(
            role,
            url,
            exchange,
            f"its 200 has no Content-Length and is longer than {IN_MEMORY_LIMIT} octets, so its "
            "length is unknown: give its size and octets with --oracle-file PATH",
        )
    if mode == "full":
        try:
            streamed = stream_to_file(client, url, headers, declared)
        except TargetError as error:
            return _broken(role, url, exchange, str(error))
        return Resource(role, url, 200, exchange.headers, declared, oracle=streamed)
    windows = WindowOracle(client, url, declared, prefix=exchange.body[:PREFIX])
    return Resource(role, url, 200, exchange.headers, declared, oracle=windows)


def _disagreement(url: str, oracle: FileOracle, exchange: Exchange) -> str | None:
    """Check the local copy against the plain 200's octets (never a 206, which is on trial)."""
    body = exchange.body
    if body and body != oracle.read(0, len(body) - 1):
        return (
            f"--oracle-file {oracle.path} differs from the 200 that {url} serves "
            f"in its first {len(body)} octets: is it the same version?"
        )
    return None


def _broken(role: str, url: str, exchange: Exchange, why: str) -> Resource:
    return Resource(role, url, exchange.status, exchange.headers, None, error=why)


def _content_length(exchange: Exchange) -> int | None:
    value = exchange.header("Content-Length")
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)
