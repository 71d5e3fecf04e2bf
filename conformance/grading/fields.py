"""Pure parsers for header fields servers send back: Content-Range values and media types.

Deliberately shares no code with reference_server, so a bug cannot make the suite agree with
itself. No I/O; the parsers never raise on any input and report framing problems as data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from sys import int_info

# RFC 9110 §5.6.2 tchar; explicit ASCII classes because `\d`/`\w` match non-ASCII digits/letters.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
TOKEN_RE = re.compile(_TOKEN)
# RFC 9110 §14.4: range-unit SP ( first-pos "-" last-pos "/" ( complete-length / "*" )
#                                / "*/" complete-length )
_CONTENT_RANGE_RE = re.compile(rf"({_TOKEN}) (?:([0-9]+)-([0-9]+)/([0-9]+|\*)|\*/([0-9]+))")
# RFC 9110 §5.6.4 quoted-string: qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.
_QUOTED = r'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_MEDIA_TYPE_RE = re.compile(rf"({_TOKEN})/({_TOKEN})")
# RFC 9110 §8.3.1: parameters = *( OWS ";" OWS [ parameter ] ); value is token / quoted-string.
_PARAMETER_RE = re.compile(rf"[ \t]*;[ \t]*(?:({_TOKEN})=({_TOKEN}|{_QUOTED}))?")
_OWS = " \t"
# int() and str() refuse numbers longer than sys.get_int_max_str_digits(), which can never be set
# below this threshold; the grammar has no limit, so longer numbers go a block of digits at a time.
_BLOCK = int_info.str_digits_check_threshold
_BLOCK_SCALE = 10**_BLOCK


def _to_int(digits: str) -> int:
    number = 0
    for start in range(0, len(digits), _BLOCK):
        block = digits[start : start + _BLOCK]
        number = number * 10 ** len(block) + int(block)
    return number


def _to_str(number: int) -> str:
    """Decimal digits of a non-negative number."""
    blocks = []
    while number >= _BLOCK_SCALE:
        number, low = divmod(number, _BLOCK_SCALE)
        blocks.append(str(low).zfill(_BLOCK))
    blocks.append(str(number))
    return "".join(reversed(blocks))


def _show(number: int) -> str:
    # Problem messages stay short (and fast) even for absurd values; 0.30103 ≈ log10 2.
    if number < _BLOCK_SCALE:
        return str(number)
    return f"<~{int(number.bit_length() * 0.30103)} digits>"


@dataclass(frozen=True, slots=True)
class ContentRange:
    """A syntactically valid Content-Range value (RFC 9110 §14.4)."""

    unit: str
    first: int | None
    last: int | None
    complete_length: int | None

    @property
    def is_unsatisfied(self) -> bool:
        """Whether this is the unsatisfied-range form ``unit */length`` (no first or last pos)."""
        return self.first is None or self.last is None

    @property
    def length(self) -> int | None:
        """Return the number of octets the range covers, None for the unsatisfied form."""
        if self.first is None or self.last is None:
            return None
        return self.last - self.first + 1


def parse_content_range(value: str) -> ContentRange | None:
    """Parse a Content-Range field value strictly; None on any deviation from the grammar.

    Only the OWS around the whole field value is dropped (RFC 9110 §5.5).
    """
    match = _CONTENT_RANGE_RE.fullmatch(value.strip(_OWS))
    if match is None:
        return None
    unit, first, last, complete, unsatisfied = match.groups()
    if unsatisfied is not None:
        return ContentRange(unit, None, None, _to_int(unsatisfied))
    return ContentRange(
        unit, _to_int(first), _to_int(last), None if complete == "*" else _to_int(complete)
    )


def content_range_problem(cr: ContentRange) -> str | None:
    """Say why a parsed Content-Range is semantically invalid (RFC 9110 §14.4), or None."""
    problems = []
    if cr.first is not None and cr.last is not None:
        if cr.last < cr.first:
            problems.append(f"last-pos {_show(cr.last)} is less than first-pos {_show(cr.first)}")
        if cr.complete_length is not None and cr.complete_length <= cr.last:
            problems.append(
                f"complete-length {_show(cr.complete_length)} is not greater than "
                f"last-pos {_show(cr.last)}"
            )
    return "; ".join(problems) or None


def format_content_range(cr: ContentRange) -> str:
    """Format a ContentRange canonically; the inverse of parse_content_range."""
    complete = "*" if cr.complete_length is None else _to_str(cr.complete_length)
    if cr.first is None or cr.last is None:
        return f"{cr.unit} */{complete}"
    return f"{cr.unit} {_to_str(cr.first)}-{_to_str(cr.last)}/{complete}"


def parse_media_type(value: str) -> tuple[str, dict[str, str]] | None:
    """Parse a Content-Type value into (lower-cased type, parameters); None when malformed.

    Parameter names are lower-cased, quoted values unescaped; a repeated parameter is
    malformed because it would make e.g. the boundary ambiguous.
    """
    text = value.strip(_OWS)
    match = _MEDIA_TYPE_RE.match(text)
    if match is None:
        return None
    params: dict[str, str] = {}
    pos = match.end()
    while pos < len(text):
        param = _PARAMETER_RE.match(text, pos)
        if param is None:
            return None
        pos = param.end()
        name, raw = param.groups()
        if name is None:  # RFC 9110 §8.3.1 allows empty parameters ("a/b;;c=d")
            continue
        name = name.lower()
        if name in params:
            return None
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1], flags=re.DOTALL)
        params[name] = raw
    return f"{match[1]}/{match[2]}".lower(), params
