"""Which requested octets a 206 carried, and what else it carried (pure span arithmetic).

A 206 may legally send less than was asked (RFC 9110 §15.3.7), coalesce overlapping or nearly
adjacent ranges (§15.3.7.2), and must keep request order otherwise. These rules decide between
pass, warn and fail by looking only at inclusive spans.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from conformance.model import Finding, Grade, Level

Span = tuple[int, int]

# RFC 9110 §15.3.7.2: coalescing is fine across gaps smaller than a part's own overhead (~80 octets)
COALESCE_GAP = 80
AMPLIFICATION_LIMIT = 2


def merge(spans: Sequence[Span]) -> list[Span]:
    """Union of inclusive spans, sorted, with overlapping and adjacent ones joined."""
    merged: list[Span] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def subtract(spans: Sequence[Span], minus: Sequence[Span]) -> list[Span]:
    """Octets in `spans` that are in none of `minus`."""
    result: list[Span] = []
    cuts = merge(minus)
    for first, last in merge(spans):
        start = first
        for cut_first, cut_last in cuts:
            if cut_last < start or cut_first > last:
                continue
            if cut_first > start:
                result.append((start, cut_first - 1))
            start = max(start, cut_last + 1)
        if start <= last:
            result.append((start, last))
    return result


def overlaps(a: Span, b: Span) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def describe(spans: Sequence[Span]) -> str:
    return ", ".join(f"{first}-{last}" for first, last in spans)


def coverage_findings(
    parts: Sequence[Span], requested: Sequence[Span], length: int
) -> list[Finding]:
    """Grade the parts a 206 sent against the satisfiable ranges the request asked for."""
    findings: list[Finding] = []
    for part in parts:
        if not any(overlaps(part, span) for span in requested):
            findings.append(Finding(
                "coverage", Grade.FAIL,
                f"sent octets {part[0]}-{part[1]}, which no requested range includes",
                Level.MUST, "15.3.7.1", expected=describe(requested), actual=describe(parts),
            ))  # fmt: skip
    if any(f.grade is Grade.FAIL for f in findings):
        return findings
    missing = subtract(requested, parts)
    if missing:
        findings.append(Finding(
            "coverage", Grade.WARN,
            f"sent only part of what was asked; octets {describe(missing)} are missing "
            "(allowed, but the client must ask again)",
            Level.SHOULD, "15.3.7", expected=describe(merge(requested)), actual=describe(parts),
        ))  # fmt: skip
    findings.extend(_extra_findings(parts, requested))
    order = [min(i for i, span in enumerate(requested) if overlaps(part, span)) for part in parts]
    if order != sorted(order):
        findings.append(Finding(
            "order", Grade.WARN,
            "parts are not in the order the ranges were requested",
            Level.SHOULD, "15.3.7.2", expected=describe(requested), actual=describe(parts),
        ))  # fmt: skip
    sent = sum(last - first + 1 for first, last in parts)
    if length > 0 and sent > AMPLIFICATION_LIMIT * length:
        findings.append(Finding(
            "amplification", Grade.WARN,
            f"sent {sent} octets of parts for a {length}-octet representation "
            f"(amplification {sent / length:.1f}); servers ought to coalesce or refuse such sets",
            Level.SHOULD, "17.15", expected=f"at most {AMPLIFICATION_LIMIT * length}",
            actual=str(sent),
        ))  # fmt: skip
    return findings


def _extra_findings(parts: Sequence[Span], requested: Sequence[Span]) -> list[Finding]:
    """Unrequested octets: fine inside a small gap between requested ranges, else a warning."""
    wanted = merge(requested)
    starts = [first for first, _ in wanted]
    findings: list[Finding] = []
    for first, last in subtract(parts, wanted):
        # An unrequested run never overlaps a wanted span, so it sits in a gap exactly when
        # some wanted span starts before it and some after it.
        inside_gap = 0 < bisect_right(starts, first) < len(wanted)
        size = last - first + 1
        if inside_gap and size < COALESCE_GAP:
            continue
        why = (
            f"coalesced across a gap of {size} octets ({first}-{last}) that nobody asked for"
            if inside_gap
            else f"sent octets {first}-{last} beyond the requested range"
        )
        findings.append(Finding(
            "coverage", Grade.WARN, why, Level.SHOULD,
            "15.3.7.2" if inside_gap else "15.3.7",
            expected=describe(wanted), actual=describe(parts),
        ))  # fmt: skip
    return findings
