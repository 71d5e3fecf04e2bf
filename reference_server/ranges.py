"""The Range engine: parse a Range field value and decide what to send (RFC 9110 §14).

Pure: text and a length in, a tagged result out. Never raises on client input; numbers stay
Python ints, so nothing can overflow or wrap. (If-Range, a condition, is in `conditions`.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import gt
from typing import NamedTuple

__all__ = [
    "AMPLIFICATION_LIMIT",
    "COALESCE_GAP",
    "MAX_OVERLAPPING",
    "MAX_RANGES",
    "MULTIPART_PART_OVERHEAD",
    "MULTIPART_TAIL_OVERHEAD",
    "ByteRange",
    "Ignore",
    "IntRange",
    "RangeResult",
    "RangeSpecifier",
    "Satisfiable",
    "SuffixRange",
    "Unsatisfiable",
    "coalesce",
    "evaluate_range",
    "evaluate_range_in_full",
    "multipart_size_bound",
    "parse_range",
]

MAX_RANGES = 100  # RFC 9110 §14.2, §17.15: a server may ignore "many small ranges"
MAX_OVERLAPPING = 2  # RFC 9110 §14.2: ... or "more than two overlapping ranges"

# §17.15 (CVE-2011-3192): a 206 never costs more than AMPLIFICATION_LIMIT times the
# representation, multipart framing included. An upper bound on the framing of one part besides
# its three numbers: CRLF "--" boundary(32) CRLF, the part's Content-Type (and Content-Encoding)
# lines when the type is at most 55 characters, "Content-Range: bytes " "-" "/" CRLF, CRLF.
AMPLIFICATION_LIMIT = 2
MULTIPART_PART_OVERHEAD = 160
MULTIPART_TAIL_OVERHEAD = 64  # CRLF "--" boundary "--" CRLF is 40
# Ranges fewer than this many octets apart may be coalesced (§15.3.7.2): such a gap costs less
# than the delimiter and fields a separate part would carry (the harness allows the same).
COALESCE_GAP = 80

# Beyond this many significant digits a position exceeds any length we could serve; clamping
# there keeps int() (whose default limit is 4300 digits) away from hostile numerals (§17.5).
_MAX_DIGITS = 40
_CLAMPED: int = 10**_MAX_DIGITS

# range-unit = token (RFC 9110 §14.1, §5.6.2); tchar spelled out so no non-ASCII can slip in
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", re.ASCII)
# int-range = first-pos "-" [ last-pos ] ; first-pos = 1*DIGIT ; last-pos = 1*DIGIT
_INT_RANGE = re.compile(r"(?P<first>[0-9]+)-(?P<last>[0-9]*)", re.ASCII)
# suffix-range = "-" suffix-length ; suffix-length = 1*DIGIT
_SUFFIX_RANGE = re.compile(r"-(?P<length>[0-9]+)", re.ASCII)
_OWS = " \t"
# The shape nearly every client sends: "bytes=" and up to MAX_RANGES int-ranges ("first-last"
# or "first-") joined by bare commas, numerals far below the clamp. It is answered without the
# general parser, with the same result (a test compares the two on generated values).
_SIMPLE_SPEC = r"[0-9]{1,18}-[0-9]{0,18}"
_SIMPLE_SET = re.compile(
    rf"bytes={_SIMPLE_SPEC}(?:,{_SIMPLE_SPEC}){{0,{MAX_RANGES - 1}}}", re.ASCII
)


@dataclass(frozen=True, slots=True)
class IntRange:
    """`first-last` or `first-` as requested; `last` is None when omitted."""

    first: int
    last: int | None


@dataclass(frozen=True, slots=True)
class SuffixRange:
    """`-length`: the final `length` octets."""

    length: int


@dataclass(frozen=True, slots=True)
class RangeSpecifier:
    """A syntactically valid Range value: its unit (lower-cased) and, for bytes, its specs."""

    unit: str
    specs: tuple[IntRange | SuffixRange, ...]


class ByteRange(NamedTuple):
    """Positions `first` to `last`, both inclusive (RFC 9110 §14.1.2), inside the representation.

    A named tuple rather than a dataclass: a 10-range request makes ten of them, and a tuple is
    built in a third less time.
    """

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True, slots=True)
class Ignore:
    """Serve the whole representation with 200, as if there were no Range; `reason` says why."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unsatisfiable:
    """Answer 416 with `Content-Range: bytes */length`."""


class Satisfiable(NamedTuple):
    """Answer 206 with these ranges, coalesced and in request order."""

    ranges: tuple[ByteRange, ...]


RangeResult = Ignore | Unsatisfiable | Satisfiable


def _digits(text: str) -> int:
    """Value of an already-validated run of ASCII digits, clamped at _CLAMPED."""
    significant = text.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        return _CLAMPED
    return int(significant or "0")


def _parse_spec(text: str) -> IntRange | SuffixRange | None:
    if (match := _INT_RANGE.fullmatch(text)) is not None:
        first, last = match["first"].lstrip("0"), match["last"].lstrip("0")
        # RFC 9110 §14.1.1: last-pos < first-pos makes the int-range invalid. Compared as
        # digit strings (length first), so clamping cannot hide a reversal of huge numerals.
        if match["last"] and (len(last), last) < (len(first), first):
            return None
        return IntRange(_digits(first), _digits(last) if match["last"] else None)
    if (match := _SUFFIX_RANGE.fullmatch(text)) is not None:
        return SuffixRange(_digits(match["length"]))
    return None  # bytes never uses other-range (§14.1.2), so anything else is invalid


def parse_range(value: str, max_specs: int | None = None) -> RangeSpecifier | None:
    """Parse `ranges-specifier = range-unit "=" range-set`; None when the syntax is invalid.

    For units other than bytes only the unit is checked: §14.2 says to ignore such a Range.
    With `max_specs`, parsing stops after max_specs + 1 range-specs (enough to know there are
    too many), so 10 000 ranges cost no more than 101; the rest of the value goes unchecked.
    """
    # RFC 9110 §5.5: leading and trailing whitespace is not part of the field value.
    unit, equals, range_set = value.strip(_OWS).partition("=")
    if not equals or _TOKEN.fullmatch(unit) is None:
        return None
    unit = unit.lower()  # §14.1: range units are compared case-insensitively
    if unit != "bytes":
        return RangeSpecifier(unit, ())
    # range-set = 1#range-spec. OWS is allowed only next to a comma (so not right after "=",
    # despite the example in §14.1.2, erratum 7306), and empty elements are skipped (§5.6.1.2).
    elements = range_set.split(",")
    specs: list[IntRange | SuffixRange] = []
    for index, element in enumerate(elements):
        if index > 0:
            element = element.lstrip(_OWS)
        if index < len(elements) - 1:
            element = element.rstrip(_OWS)
        if not element:
            continue
        spec = _parse_spec(element)
        if spec is None:
            return None  # §14.1.1: one invalid range-spec invalidates the whole specifier
        specs.append(spec)
        if max_specs is not None and len(specs) > max_specs:
            break
    return RangeSpecifier(unit, tuple(specs)) if specs else None


def _resolve(spec: IntRange | SuffixRange, length: int) -> ByteRange | None:
    """Turn a spec into concrete positions, or None when it is unsatisfiable (§14.1.2)."""
    if isinstance(spec, SuffixRange):
        if spec.length == 0:
            return None  # a suffix-range is satisfiable only with a non-zero length
        return ByteRange(max(length - spec.length, 0), length - 1)
    if spec.first >= length:
        return None  # an int-range is satisfiable only if first-pos < length
    last = length - 1 if spec.last is None else min(spec.last, length - 1)
    return ByteRange(spec.first, last)


def _count_overlapping(ranges: list[ByteRange]) -> int:
    """How many ranges overlap at least one other range.

    In order of first position, a range overlaps an earlier one exactly when the furthest end
    seen so far reaches it, and a later one exactly when the next range starts within it (every
    later range starts no earlier than the next): O(n log n), not n².
    """
    ordered = sorted(ranges)  # by first position (named tuples compare as tuples)
    count = 0
    reach = -1  # the furthest last position among the ranges before the current one
    for index, current in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        if reach >= current.first or (following is not None and following.first <= current.last):
            count += 1
        reach = max(reach, current.last)
    return count


def coalesce(
    ranges: list[ByteRange] | tuple[ByteRange, ...], gap: int = 0
) -> tuple[ByteRange, ...]:
    """Merge overlapping or adjacent ranges (§15.3.7.2 MAY); otherwise keep request order.

    With `gap`, ranges at most `gap` octets apart are merged too (the gap is then sent).
    A merged range sits where its earliest member was requested (§15.3.7.2 SHOULD keep order).
    """
    reach = 1 + max(gap, 0)
    if _all_apart(ranges, reach):
        return tuple(ranges)  # the usual case, settled in O(n log n)
    merged: list[ByteRange] = []
    for current in ranges:
        touching = [
            m for m in merged if m.first <= current.last + reach and current.first <= m.last + reach
        ]
        if not touching:
            merged.append(current)
            continue
        # Groups already in `merged` are pairwise apart, and each touches `current`, so their
        # union with `current` is one contiguous range.
        union = ByteRange(
            min(current.first, *(m.first for m in touching)),
            max(current.last, *(m.last for m in touching)),
        )
        position = merged.index(touching[0])
        merged = [m for m in merged if m not in touching]
        merged.insert(position, union)
    return tuple(merged)


def _all_apart(ranges: list[ByteRange] | tuple[ByteRange, ...], reach: int) -> bool:
    """No two ranges within `reach` of each other (so coalescing would change nothing)."""
    end = -reach - 1  # the furthest last position so far, in order of first position
    for first, last in sorted(ranges):  # named tuples: sorted by first (then last) in C
        if first <= end + reach:
            return False
        if last > end:
            end = last
    return True


def multipart_size_bound(
    ranges: tuple[ByteRange, ...], length: int, part_overhead: int = MULTIPART_PART_OVERHEAD
) -> int:
    """An upper bound on the octets of a multipart/byteranges body carrying `ranges`."""
    digits = len(str(length))
    return MULTIPART_TAIL_OVERHEAD + sum(
        part_overhead + len(str(r.first)) + len(str(r.last)) + digits + r.length for r in ranges
    )


def evaluate_range(
    value: str, length: int, *, part_overhead: int = MULTIPART_PART_OVERHEAD
) -> RangeResult:
    """Decide what a GET with `Range: value` gets from a representation of `length` octets.

    A 206 is chosen only if its body stays within AMPLIFICATION_LIMIT times `length`, counting
    `part_overhead` octets of framing per part (pass more when part fields are long).
    """
    if length > 0 and _SIMPLE_SET.fullmatch(value) is not None:
        resolved = _resolve_simple(value[6:], length - 1)
        if resolved is not None:
            if len(resolved) > 1:
                return _choose(resolved, length, part_overhead)
            return Satisfiable(tuple(resolved)) if resolved else Unsatisfiable()
    return evaluate_range_in_full(value, length, part_overhead=part_overhead)


def _resolve_simple(range_set: str, end: int) -> list[ByteRange] | None:
    """The satisfiable ranges of a range-set of the common shape, in request order, for a
    representation whose last position is `end`; None when an int-range is invalid (last <
    first), for the general path to answer.

    Several ranges are handled a column of numbers at a time (builtins looping in C): ten
    ranges are the price of every small multipart (README, performance section).
    """
    if "," not in range_set:  # one range: the commonest request of all
        first_text, _, last_text = range_set.partition("-")
        first = int(first_text)
        last = int(last_text) if last_text else end
        if last < first:
            return None
        return [ByteRange(first, min(last, end))] if first <= end else []
    numerals = range_set.replace(",", "-").split("-")  # first, last, first, last, ...
    firsts = list(map(int, numerals[::2]))
    last_numerals = numerals[1::2]
    if "" in last_numerals:  # "first-" runs to the end
        lasts = [int(text) if text else end for text in last_numerals]
    else:
        lasts = list(map(int, last_numerals))
    if any(map(gt, firsts, lasts)):
        return None
    if max(lasts) > end:
        lasts = [min(last, end) for last in lasts]
    if max(firsts) > end:  # an int-range starting past the end is unsatisfiable: left out
        pairs = zip(firsts, lasts, strict=True)
        return [ByteRange(first, last) for first, last in pairs if first <= end]
    return list(map(ByteRange, firsts, lasts))


def _within_budget(count: int, octets: int, length: int, part_overhead: int) -> bool:
    """A cheap sufficient test that a multipart of `count` parts carrying `octets` octets of
    data fits AMPLIFICATION_LIMIT × length: no position has more digits than the length, and
    coalescing never adds octets (so the count and total before coalescing will do)."""
    framing = MULTIPART_TAIL_OVERHEAD + count * (part_overhead + 3 * len(str(length)))
    return framing + octets <= AMPLIFICATION_LIMIT * length


def evaluate_range_in_full(
    value: str, length: int, *, part_overhead: int = MULTIPART_PART_OVERHEAD
) -> RangeResult:
    """`evaluate_range` without its shortcut for the common shape: the general algorithm."""
    specifier = parse_range(value, max_specs=MAX_RANGES)
    if specifier is None:
        return Ignore("invalid range specifier")  # §14.2: MAY ignore (chosen) or reject
    if specifier.unit != "bytes":
        return Ignore(f"unknown range unit {specifier.unit!r}")  # §14.2: MUST ignore
    if length == 0:
        # §14.2 MAY ignore when the representation is empty; no Content-Range can describe a
        # part of nothing, so this is the only clean answer.
        return Ignore("empty representation")
    if len(specifier.specs) > MAX_RANGES:
        return Ignore("too many ranges")
    resolved = [r for spec in specifier.specs if (r := _resolve(spec, length)) is not None]
    if not resolved:
        return Unsatisfiable()  # §14.1.1: satisfiable iff at least one range-spec is
    return _choose(resolved, length, part_overhead)


def _choose(resolved: list[ByteRange], length: int, part_overhead: int) -> RangeResult:
    """The answer for satisfiable ranges of a non-empty representation, in request order."""
    # §17.15: defuse range sets that would cost more than sending the whole representation.
    octets = sum(last - first + 1 for first, last in resolved)
    if octets > length:
        return Ignore("ranges add up to more than the representation")
    if _all_apart(resolved, 1):
        ranges = tuple(resolved)  # the usual case: nothing overlaps, nothing to coalesce
    elif _count_overlapping(resolved) > MAX_OVERLAPPING:
        return Ignore("more than two overlapping ranges")
    else:
        ranges = coalesce(resolved)
    budget = AMPLIFICATION_LIMIT * length
    if (
        len(ranges) > 1
        and not _within_budget(len(resolved), octets, length, part_overhead)
        and multipart_size_bound(ranges, length, part_overhead) > budget
    ):
        # Many small parts: their framing would dwarf their data (§17.15). Coalesce across the
        # small gaps first (fewer, larger parts); if that is still too dear, send it all (200).
        ranges = coalesce(resolved, COALESCE_GAP - 1)
        if len(ranges) > 1 and multipart_size_bound(ranges, length, part_overhead) > budget:
            return Ignore("multipart framing would exceed twice the representation")
    return Satisfiable(ranges)
