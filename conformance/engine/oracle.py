"""Where the representation's true octets come from, without holding a large one in memory.

- BytesOracle: the body of the plain GET, when it is small;
- FileOracle: a local copy the user names (`--oracle-file`), or the one `--oracle full` made;
- WindowOracle: the first octets of the plain 200, and just the other windows the graded
  answers carry, each fetched twice in different forms (an explicit range and an open-ended one
  read only as far as needed) and compared, so a server cannot vouch for its own wrong answer
  with the same wrong answer.
"""

from __future__ import annotations

import tempfile
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

import requests
import urllib3

from conformance.engine.once import OncePerKey
from conformance.errors import TargetError
from conformance.transport.body_reader import CHUNK
from conformance.transport.client import Client
from conformance.transport.failures import body_error
from conformance.transport.watchdog import RateWatchdog

BLOCK = 64 * 1024  # windows are fetched as aligned blocks, so many cases share a few fetches


class Oracle(Protocol):
    """The representation's true bytes, window by window."""

    description: str
    octets_fetched: int

    def read(self, first: int, last: int) -> bytes: ...

    def known(self) -> dict[int, bytes]:
        """Octets in hand without a request or a file read: start → octets."""
        ...


@dataclass
class BytesOracle:
    body: bytes
    description: str = "full body in memory"
    octets_fetched: int = 0

    def read(self, first: int, last: int) -> bytes:
        return self.body[first : last + 1]

    def known(self) -> dict[int, bytes]:
        return {0: self.body}


@dataclass
class FileOracle:
    path: Path
    description: str = ""
    octets_fetched: int = 0
    temporary: bool = False

    def __post_init__(self) -> None:
        if not self.description:
            self.description = f"local file {self.path}"

    def read(self, first: int, last: int) -> bytes:
        with self.path.open("rb") as handle:
            handle.seek(first)
            return handle.read(last - first + 1)

    def known(self) -> dict[int, bytes]:
        return {}  # on disk: read when asked


@dataclass
class WindowOracle:
    """The first octets from the plain 200 itself; any others fetched on demand as aligned
    blocks, each both as an explicit range and as an open-ended one read only that far.

    Only the octets an answer carries are ever asked for, and each block once (threads that
    want the same block wait for the first fetch).
    """

    client: Client
    url: str
    length: int
    prefix: bytes = b""  # octets 0.. of the 200 that taught us the representation
    description: str = (
        "the plain 200's first octets, other windows fetched on demand and each cross-checked "
        "with an open-ended range"
    )
    octets_fetched: int = 0
    blocks: OncePerKey[int, bytes] = field(default_factory=OncePerKey)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, first: int, last: int) -> bytes:
        last = min(last, self.length - 1)
        if last < len(self.prefix):
            return self.prefix[first : last + 1]
        pieces = [self._block(number) for number in range(first // BLOCK, last // BLOCK + 1)]
        start = (first // BLOCK) * BLOCK
        return b"".join(pieces)[first - start : last - start + 1]

    def known(self) -> dict[int, bytes]:
        blocks = {number * BLOCK: block for number, block in self.blocks.items().items()}
        return {0: self.prefix, **blocks} if self.prefix else blocks

    def _block(self, number: int) -> bytes:
        return self.blocks.get(number, lambda: self._fetch_block(number))

    def _fetch_block(self, number: int) -> bytes:
        low = number * BLOCK
        high = min(self.length, low + BLOCK) - 1
        # The same octets by two routes at once (one round trip, not two): an explicit
        # range, and an open-ended one read only this far.
        with ThreadPoolExecutor(max_workers=2) as pool:
            asked = pool.submit(self._fetch, f"bytes={low}-{high}", low, high)
            other = self._fetch(f"bytes={low}-", low, self.length - 1, keep=high - low + 1)
            explicit = asked.result()
        if explicit != other:
            raise TargetError(
                f"{self.url} gives different octets for {low}-{high} as "
                f"'bytes={low}-{high}' and as 'bytes={low}-', so neither can serve as the "
                "truth; pass --oracle-file or --oracle full"
            )
        return explicit

    def _fetch(self, value: str, low: int, high: int, keep: int | None = None) -> bytes:
        size = keep if keep is not None else high - low + 1
        exchange = self.client.send("GET", self.url, [("Range", value)], cap=size, window=size)
        with self.lock:
            self.octets_fetched += exchange.body_octets
        expected = f"bytes {low}-{high}/{self.length}"
        if exchange.status != 206 or exchange.header("Content-Range") != expected:
            raise TargetError(
                f"cannot read octets {low}-{high} of {self.url} to compare against: "
                f"'Range: {value}' got {exchange.status} "
                f"{exchange.header('Content-Range') or exchange.error or ''}. "
                "Give a local copy with --oracle-file, or use --oracle full."
            )
        if len(exchange.body) < size:  # cut short: not a truth to judge the case's answer by
            raise TargetError(
                f"cannot read octets {low}-{high} of {self.url} to compare against: "
                f"'Range: {value}' brought {len(exchange.body)} of {size} octets "
                f"({exchange.error or 'the body ended early'}). "
                "Give a local copy with --oracle-file, or use --oracle full."
            )
        return exchange.body[:size]


# `--oracle full` may take as long as the download keeps moving; below this rate over a whole
# window (the client's deadline for one exchange) the server is trickling or stalled.
FULL_DOWNLOAD_MIN_RATE = 64 * 1024  # octets per second


def stream_to_file(
    client: Client, url: str, headers: list[tuple[str, str]], length: int
) -> FileOracle:
    """`--oracle full`: download the representation once to a temporary file (bounded memory
    and disk), removed again on every way out but success."""
    descriptor, name = tempfile.mkstemp(prefix="range-conformance-", suffix=".oracle")
    path = Path(name)
    window = client.settings.deadline
    dog = RateWatchdog(window, int(FULL_DOWNLOAD_MIN_RATE * window))
    try:
        with open(descriptor, "wb") as handle:
            received = _download(client, url, headers, length, handle, dog)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        client.traffic.count(1, dog.received)
    return FileOracle(path, f"full download to {path}", received, temporary=True)


def _download(
    client: Client,
    url: str,
    headers: list[tuple[str, str]],
    length: int,
    handle: BinaryIO,
    dog: RateWatchdog,
) -> int:
    """Write the 200's `length` octets to `handle`, never more, under `dog`, which ends the
    download once it stops moving; the octets written, or TargetError saying why not."""
    window = dog.seconds
    timeout = (client.settings.connect_timeout, client.settings.read_timeout)
    try:
        # dog first: the session's pool hands the connection to the watchdog in charge
        with dog, _quiet_if_insecure(client), client.session.get(
            url, headers=dict(headers), stream=True, timeout=timeout, allow_redirects=False
        ) as response:  # fmt: skip
            if response.status_code != 200:
                raise TargetError(f"--oracle full: GET {url} answered {response.status_code}")
            for chunk in response.raw.stream(CHUNK, decode_content=False):
                if dog.received + len(chunk) > length:
                    raise TargetError(
                        f"--oracle full: {url} sent more than the {length} octets it announced"
                    )
                handle.write(chunk)
                dog.advance(len(chunk))
    # urllib3's own errors: raw.stream() reads below requests, so they arrive unwrapped
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
        if not dog.fired:
            problem = body_error(error, dog.received, length, url, client.settings.read_timeout)
            raise TargetError(f"--oracle full: {problem}") from None
    if dog.fired:
        raise TargetError(
            f"--oracle full: {url} sent fewer than {dog.min_octets} octets in {window:g} s "
            f"({dog.received} of {length} so far): too slow to download whole; use the default "
            "windows oracle or --oracle-file"
        )
    if dog.received != length:
        raise TargetError(f"--oracle full: {url} sent {dog.received} octets of {length}")
    return dog.received


@contextmanager
def _quiet_if_insecure(client: Client) -> Iterator[None]:
    """--insecure: the user asked for it, so no warning per request (as Client.send does)."""
    with warnings.catch_warnings():
        if client.settings.verify is False:
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        yield
