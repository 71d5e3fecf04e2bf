"""Deterministic fixture files for the reference server, and the URL path of each role.

Content is fixed (a SHA-256 counter stream, so every 8-byte window is unique and a misplaced
slice can never compare equal) and so is every mtime: validators stay stable across runs.
"""

from __future__ import annotations

import getpass
import gzip
import hashlib
import os
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

__all__ = [
    "FIXTURE_FILES",
    "FIXTURE_MTIME",
    "FIXTURE_ROLES",
    "LARGE_SIZE",
    "build_fixtures",
    "counter_stream",
    "default_fixtures_dir",
    "role_files",
]

# Old and fixed: Last-Modified is then unambiguously strong (RFC 9110 §8.8.2.2).
FIXTURE_MTIME = datetime(2020, 1, 1, tzinfo=timezone.utc)
LARGE_SIZE = 5_000_000_000  # past 2**32, to catch 32-bit offsets and lengths
_WINDOW = 64 * 1024
# Non-zero islands in the sparse large file: at its start, straddling 2**32, and at its end.
LARGE_WINDOWS = (0, 2**32 - 32_768, LARGE_SIZE - _WINDOW)
_SEED = b"range-conformance"
_DIGEST = 32

FIXTURE_ROLES: dict[str, str] = {
    "main": "/files/r1000.bin",
    "r10000": "/files/r10000.bin",
    "one": "/files/one.bin",
    "empty": "/files/empty.bin",
    "text": "/files/text.txt",
    "gzip": "/files/gzip.txt",
    "large": "/files/large.bin",
    "missing": "/files/no-such-file.bin",
    "redirect": "/redirect/r1000.bin",
    "dynamic": "/dynamic/r1000.bin",
    "weak": "/weak/r1000.bin",
}


def role_files(files_dir: Path) -> dict[str, Path]:
    """Role → the fixture file served for it (roles served from /files/ only): the octets a
    judge compares with."""
    files = {}
    for role, url_path in FIXTURE_ROLES.items():
        if url_path.startswith("/files/"):
            candidate = files_dir / url_path.removeprefix("/files/")
            if candidate.is_file():
                files[role] = candidate
    return files


def counter_stream(offset: int, length: int) -> bytes:
    """Octets `offset`..`offset+length-1` of sha256(seed + i as 8 bytes) for i = 0, 1, 2, ..."""
    first_block, skip = divmod(offset, _DIGEST)
    blocks = -(-(skip + length) // _DIGEST)
    data = b"".join(
        hashlib.sha256(_SEED + i.to_bytes(8, "big")).digest()
        for i in range(first_block, first_block + blocks)
    )
    return data[skip : skip + length]


def _text(size: int) -> bytes:
    lines = (f"line {n:04d}: the quick brown fox jumps over the lazy dog\n" for n in range(size))
    data = "".join(lines).encode("ascii")[: size - 1]
    return data + b"\n"


def _compressible_text() -> bytes:
    words = ("range", "bytes", "partial", "content", "satisfiable", "multipart", "etag")
    lines = [
        f"{n:05d} " + " ".join(words[(n + k) % len(words)] for k in range(9)) + "\n"
        for n in range(261)
    ]
    return "".join(lines).encode("ascii")


def _write_bytes(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(data)

    return write


def _write_large(path: Path) -> None:
    with path.open("wb") as file:
        file.truncate(LARGE_SIZE)  # sparse: only the windows below take disk space
        for offset in LARGE_WINDOWS:
            file.seek(offset)
            file.write(counter_stream(offset, _WINDOW))


def _fixture_writers() -> dict[str, tuple[int, Callable[[Path], None]]]:
    text = _compressible_text()
    # mtime=0 and a fixed level make the gzip octets, and so its ETag, reproducible.
    compressed = gzip.compress(text, compresslevel=9, mtime=0)
    plain = {
        "r1000.bin": counter_stream(0, 1000),
        "r10000.bin": counter_stream(0, 10_000),
        "one.bin": counter_stream(0, 1),
        "empty.bin": b"",
        "text.txt": _text(1000),
        "gzip.txt": text,
        "gzip.txt.gz": compressed,
    }
    writers = {name: (len(data), _write_bytes(data)) for name, data in plain.items()}
    writers["large.bin"] = (LARGE_SIZE, _write_large)
    return writers


FIXTURE_FILES = (
    "r1000.bin",
    "r10000.bin",
    "one.bin",
    "empty.bin",
    "text.txt",
    "gzip.txt",
    "gzip.txt.gz",
    "large.bin",
)


def build_fixtures(directory: Path) -> Path:
    """Write the fixture files into `directory` (created if needed) and return it.

    Files already present with the right size are kept; every mtime is reset to FIXTURE_MTIME.
    """
    directory.mkdir(parents=True, exist_ok=True)
    stamp = FIXTURE_MTIME.timestamp()
    for name, (size, write) in _fixture_writers().items():
        target = directory / name
        if not (target.is_file() and target.stat().st_size == size):
            # Write aside and rename, so a concurrent or interrupted build never leaves a
            # half-written file with the right size behind.
            partial = directory / f".{name}.{os.getpid()}.partial"
            write(partial)
            os.replace(partial, target)
        os.utime(target, (stamp, stamp))
    return directory


def default_fixtures_dir() -> Path:
    """A per-user cache directory for the bundled fixtures (falls back to the temp dir)."""
    if configured := os.environ.get("RANGE_CONFORMANCE_FIXTURES"):
        return Path(configured)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidate = cache / "range-conformance" / "fixtures"
    try:
        candidate.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path(tempfile.gettempdir()) / f"range-conformance-fixtures-{getpass.getuser()}"
    return candidate
