"""A pure parser (and, for tests, a writer) of multipart/byteranges bodies (RFC 9110 §14.6,
RFC 2046 §5.1.1): the parts, their header fields and content, and every framing problem as
data, never an exception.

Deliberately shares no code with reference_server, which writes these bodies: a bug cannot
make the suite agree with itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from conformance.grading.fields import TOKEN_RE

# RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace.
_BOUNDARY_RE = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_OWS = " \t"
MAX_PARTS = 10_000  # more parts than the largest range set any case sends (DOS-06)
_MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class Part:
    """One body part: its header fields in order, and its exact content octets."""

    headers: tuple[tuple[str, str], ...]
    content: bytes
    offset: int

    def header_values(self, name: str) -> list[str]:
        """Return the values of every header field called `name` (case-insensitive)."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


@dataclass(frozen=True, slots=True)
class Multipart:
    """A parsed multipart body and the framing problems found in it."""

    parts: tuple[Part, ...]
    preamble: bytes
    closed: bool
    epilogue: bytes
    problems: tuple[str, ...]


def _parse_part(body: bytes, start: int, end: int, number: int, problems: list[str]) -> Part:
    headers: list[tuple[str, str]] = []
    pos, bare_lf, colonless = start, False, False
    while True:
        eol = body.find(b"\n", pos, end)
        if (
            eol == -1
        ):  # RFC 2046 allows a part without the empty line; byteranges parts have content
            problems.append(f"part {number} has no empty line after its headers")
            if pos == end:
                break
            line, pos = body[pos:end], end
        else:
            line, pos = body[pos:eol], eol + 1
            if line.endswith(b"\r"):
                line = line[:-1]
            else:
                bare_lf = True
            if not line:
                break
        text = line.decode("latin-1")
        if text[:1] in (" ", "\t") and headers:  # obsolete line folding: unfold to one SP
            headers[-1] = (headers[-1][0], f"{headers[-1][1]} {text.strip(_OWS)}")
        elif ":" not in text:
            if not colonless:
                problems.append(f"part {number} header line without a colon: {line[:60]!r}")
            colonless = True
        else:
            name, _, field_value = text.partition(":")
            if TOKEN_RE.fullmatch(name) is None:
                problems.append(f"part {number} header name is not a token: {name[:60]!r}")
            headers.append((name, field_value.strip(_OWS)))
        if pos >= end:
            break
    if bare_lf:  # RFC 9110 §8.3.3: line breaks between body parts are CRLF
        problems.append(f"bare LF line break in part {number} headers")
    return Part(tuple(headers), body[pos:end], pos)


def _encode_boundary(boundary: str) -> bytes:
    try:
        return boundary.encode("latin-1")
    except UnicodeEncodeError:
        return boundary.encode("utf-8", "surrogatepass")


def _skip_padding(body: bytes, pos: int) -> int:
    # RFC 2046 §5.1.1 transport-padding: LWSP-chars a gateway may add before a delimiter's CRLF.
    while pos < len(body) and body[pos] in b" \t":
        pos += 1
    return pos


def parse_multipart(body: bytes, boundary: str, *, max_parts: int = MAX_PARTS) -> Multipart:
    """Split a multipart body (RFC 2046 §5.1.1, RFC 9110 §14.6) into parts; never raises.

    The CRLF before each delimiter belongs to the delimiter; delimiter lines may carry transport
    padding. Problems are collected and parsing goes on as far as it can. Runs in O(len(body)).
    """
    problems: list[str] = []
    if not boundary:
        return Multipart((), body, False, b"", ("boundary is empty",))
    if _BOUNDARY_RE.fullmatch(boundary) is None:
        problems.append(f"boundary {boundary!r} is not 1-70 RFC 2046 bchars")
    dash = b"--" + _encode_boundary(boundary)
    parts: list[Part] = []
    preamble, epilogue, closed = body, b"", False
    start = search = number = 0  # number 0 is the preamble, then 1-based part numbers
    while (hit := body.find(dash, search)) >= 0:
        search = hit + 1
        if hit != 0 and body[hit - 1] != 0x0A:
            continue  # not at the start of a line, so not a delimiter
        after = hit + len(dash)
        is_close = body.startswith(b"--", after)
        eol = _skip_padding(body, after + 2 if is_close else after)
        bare_lf_after = body.startswith(b"\n", eol)
        line_end = eol + 2 if body.startswith(b"\r\n", eol) else eol + 1 if bare_lf_after else eol
        line_ends = line_end > eol or eol == len(body)
        if number and (hit == start or not (is_close or line_ends)):
            # RFC 2046 §5.1.1: the boundary must not occur in the encapsulated material.
            if f"boundary found inside part {number} content" not in problems[-1:]:
                problems.append(f"boundary found inside part {number} content")
            continue
        if not (is_close or line_ends):
            continue  # e.g. "--boundaryX" in the preamble
        where = f"the delimiter ending part {number}" if number else "the first delimiter"
        end = hit
        if hit > start:  # the CRLF before a delimiter belongs to the delimiter
            end = hit - 2 if hit - 2 >= start and body[hit - 2] == 0x0D else hit - 1
        if number:
            if number > max_parts:  # a hostile body must not cost a million Part objects
                problems.append(f"more than {max_parts} parts; the rest were not parsed")
                return Multipart(
                    tuple(parts), preamble, False, b"", tuple(problems[:_MAX_PROBLEMS])
                )
            parts.append(_parse_part(body, start, end, number, problems))
        else:
            preamble = body[:end]
        if end == hit - 1:
            problems.append(f"bare LF line break before {where}")
        if bare_lf_after:
            problems.append(f"bare LF line break after {where}")
        if is_close:
            closed, epilogue = True, body[line_end:]
            break
        number += 1
        start = search = line_end
    if number == 0 and not closed:
        problems.append("no delimiter line found")
    elif not closed:
        if start < len(body):
            parts.append(_parse_part(body, start, len(body), number, problems))
        problems.append("no close delimiter")
    if len(problems) > _MAX_PROBLEMS:  # a broken million-part body should not yield a million
        problems[_MAX_PROBLEMS:] = [f"... and {len(problems) - _MAX_PROBLEMS} more problems"]
    return Multipart(tuple(parts), preamble, closed, epilogue, tuple(problems))


def format_multipart(
    parts: Sequence[tuple[Sequence[tuple[str, str]], bytes]],
    boundary: str,
    *,
    preamble: bytes = b"",
) -> bytes:
    """Build a well-formed multipart body with CRLF line breaks and a close delimiter."""
    dash = b"--" + _encode_boundary(boundary)
    chunks = [preamble + b"\r\n"] if preamble else []
    for headers, content in parts:
        chunks.append(dash + b"\r\n")
        chunks.extend(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers)
        chunks += [b"\r\n", content, b"\r\n"]
    chunks.append(dash + b"--\r\n")
    return b"".join(chunks)
