"""One part of a 206, single or within multipart/byteranges: its Content-Range (strict syntax, a
bytes unit, a satisfied range, the representation's length; RFC 9110 §14.4) and the octets it
carries against the representation's (§15.3.7.1). Pure; findings, never exceptions."""

from __future__ import annotations

from conformance.grading.context import Context, compare_bytes, fail, warn
from conformance.grading.fields import ContentRange, content_range_problem, parse_content_range
from conformance.grading.spans import Span
from conformance.model import Finding


def content_range_findings(
    ctx: Context, value: str, check: str
) -> tuple[list[Finding], ContentRange | None]:
    """Strict syntax, a bytes unit, a satisfied range, complete length = L (RFC 9110 §14.4)."""
    expected = f"bytes first-last/{ctx.length}"
    parsed = parse_content_range(value)
    if parsed is None:
        return [
            fail(
                check, "Content-Range is not valid syntax", "14.4", expected=expected, actual=value
            )
        ], None
    if parsed.unit.lower() != "bytes":
        return [
            fail(
                check,
                f"unit {parsed.unit!r} in answer to a bytes request",
                "14.4",
                expected=expected,
                actual=value,
            )
        ], None
    if parsed.is_unsatisfied:
        return [
            fail(
                check,
                "a 206 cannot carry the unsatisfied form */length",
                "14.4",
                expected=expected,
                actual=value,
            )
        ], None
    problem = content_range_problem(parsed)
    if problem is not None:
        return [fail(check, problem, "14.4", expected=expected, actual=value)], None
    if parsed.complete_length is None:
        # A known complete length above last-pos is checked by content_range_problem; with
        # '*' only the representation's own length says the range ends past it.
        if parsed.last is not None and parsed.last >= ctx.length:
            return [
                fail(
                    check,
                    "range ends past the representation",
                    "14.4",
                    expected=expected,
                    actual=value,
                )
            ], None
        return [
            warn(
                check,
                "complete length '*' on a representation whose length is known",
                "14.4",
                expected=expected,
                actual=value,
            )
        ], parsed
    if parsed.complete_length != ctx.length:
        return [
            fail(
                check,
                "complete length is not the representation's length",
                "14.4",
                expected=expected,
                actual=value,
            )
        ], None
    return [], parsed


def part_content_findings(
    ctx: Context, content: bytes, span: Span, label: str, *, capped: bool
) -> list[Finding]:
    first, last = span
    size = last - first + 1
    findings: list[Finding] = []
    if capped and len(content) > size:
        findings.append(
            fail(
                label,
                f"more than {len(content)} octets of content (reading stopped there) "
                f"where Content-Range {first}-{last} promises {size}",
                "15.3.7.1",
                expected=str(size),
                actual=f"more than {len(content)}",
            )
        )
    if not capped and len(content) != size:
        findings.append(
            fail(
                label,
                f"{len(content)} octets of content where Content-Range "
                f"{first}-{last} promises {size}",
                "15.3.7.1",
                expected=str(size),
                actual=str(len(content)),
            )
        )
    shown = content[:size]
    if shown:
        findings += compare_bytes(ctx, shown, first, label, "15.3.7.1")
    return findings
