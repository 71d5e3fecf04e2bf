"""One strict reader (and writer) of multipart/byteranges bodies as the reference server lays
them out: no preamble, CRLF framing, a close delimiter at the end. The tests' own, written apart
from the harness's parser (`conformance.grading.multipart`), which is what is under test."""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "multipart/byteranges; boundary="


@dataclass
class BodyPart:
    """One part of a multipart/byteranges body: its header lines (without CRLF) and content."""

    lines: list[str]
    content: bytes

    def header(self, name: str) -> str | None:
        prefix = name.lower() + ":"
        found = (line for line in self.lines if line.lower().startswith(prefix))
        return next((line.partition(":")[2].strip() for line in found), None)


def split_multipart(body: bytes, boundary: str) -> list[BodyPart]:
    """The parts of a body laid out as the reference server lays it out (no preamble, CRLF
    framing, a close delimiter at the end). The boundary is 128 random bits, never in content."""
    dash = f"--{boundary}".encode("ascii")
    opening, closing = dash + b"\r\n", b"\r\n" + dash + b"--\r\n"
    assert body.startswith(opening), "not the reference server's framing"
    assert body.endswith(closing), "not the reference server's framing"
    parts = []
    for chunk in body[len(opening) : -len(closing)].split(b"\r\n" + opening):
        head, _, content = chunk.partition(b"\r\n\r\n")
        parts.append(BodyPart(head.decode("latin-1").split("\r\n"), content))
    return parts


def join_multipart(parts: list[BodyPart], boundary: str, *, close: bool = True) -> bytes:
    """The inverse of `split_multipart`; `close=False` leaves out the close delimiter."""
    dash = f"--{boundary}".encode("ascii")
    chunks = []
    for part in parts:
        head = "".join(f"{line}\r\n" for line in part.lines).encode("latin-1")
        chunks.append(dash + b"\r\n" + head + b"\r\n" + part.content)
    return b"\r\n".join(chunks) + (b"\r\n" + dash + b"--\r\n" if close else b"")


def parts_of(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """(fields, content) of each part of a multipart/byteranges body with this Content-Type."""
    assert content_type.startswith(PREFIX), content_type
    boundary = content_type.removeprefix(PREFIX)
    assert 0 < len(boundary) <= 70
    return [
        (dict(line.split(": ", 1) for line in part.lines), part.content)
        for part in split_multipart(body, boundary)
    ]
