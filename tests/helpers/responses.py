"""The self-consistency every answer of the reference server owes, whatever was asked: what the
fuzz, hostile-input and load tests check each answer against."""

from __future__ import annotations

from reference_server.ranges import AMPLIFICATION_LIMIT
from tests.helpers.multipart import parts_of


def check_content_range(value: str, data: bytes, representation: bytes) -> None:
    unit, _, rest = value.partition(" ")
    assert unit == "bytes"
    positions, _, complete = rest.partition("/")
    first, _, last = positions.partition("-")
    assert int(complete) == len(representation)
    assert 0 <= int(first) <= int(last) < len(representation)
    assert data == representation[int(first) : int(last) + 1]


def check_response(
    method: str, status: int, headers: dict[str, str], body: bytes, files: dict[str, bytes]
) -> None:
    """The self-consistency every answer owes, whatever was asked."""
    assert status < 500
    assert status in (200, 206, 301, 304, 404, 412, 416), status
    if "Content-Length" in headers and method == "GET":
        assert int(headers["Content-Length"]) == len(body)
    if status not in (200, 206, 416):
        return
    representation = files["gzip" if headers.get("Content-Encoding") == "gzip" else "identity"]
    if method == "HEAD":
        assert body == b""
    if status == 416:
        assert headers["Content-Range"] == f"bytes */{len(representation)}"
        return
    if method == "HEAD":
        return
    if status == 200:
        assert "Content-Range" not in headers
        assert body == representation
    elif headers["Content-Type"].startswith("multipart/byteranges"):
        assert "Content-Range" not in headers
        parts = parts_of(body, headers["Content-Type"])
        assert len(parts) >= 2
        # A coded representation says so in each part (§14.6), not at the top.
        coding = "gzip" if parts[0][0].get("Content-Encoding") == "gzip" else "identity"
        representation = files[coding]
        for fields, data in parts:
            assert fields.get("Content-Encoding") == parts[0][0].get("Content-Encoding")
            check_content_range(fields["Content-Range"], data, representation)
    else:
        check_content_range(headers["Content-Range"], body, representation)
    # §17.15: never more than twice the representation, the framing of any parts included.
    assert len(body) <= AMPLIFICATION_LIMIT * len(representation)
