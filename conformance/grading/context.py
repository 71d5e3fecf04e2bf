"""What a check looks at, and the two ways it reports: a MUST broken (fail), a SHOULD (warn).

Shared by `checks` (200, 416, 304, validators) and `partial` (206 single-part and multipart).
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.grading.bytediff import compare
from conformance.grading.truth import Truth
from conformance.model import Exchange, Finding, Grade, Level, Representation

# RFC 9110 §15.3.7 (206) and §15.4.5 (304): the fields such an answer carries whenever the 200
# to the same request would.
REPEATED_FROM_200 = ("Date", "Cache-Control", "ETag", "Expires", "Content-Location", "Vary")


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a check may look at."""

    exchange: Exchange
    baseline: Representation
    truth: Truth  # the baseline's octets fetched for this grade
    range_value: str | None
    compare_headers: bool  # the request negotiated the same form as the baseline
    has_if_range: bool
    identity: Representation  # the identity form, whatever `baseline` is

    @property
    def length(self) -> int:
        return self.baseline.length or 0

    @property
    def several_ranges_requested(self) -> bool:
        value = self.range_value
        if value is None:  # the legacy Request-Range asks for ranges too (RFC 9110 §14.6)
            sent = [v for k, v in self.exchange.request.headers if k.lower() == "request-range"]
            value = sent[0] if sent else None
        if value is None:
            return False
        # Counted as sent: `bytes=,0-9` lists two elements, so a one-part multipart is allowed.
        return "," in value.partition("=")[2]


def fail(check: str, message: str, rfc: str, **extra: str | int | None) -> Finding:
    return Finding(check, Grade.FAIL, message, Level.MUST, rfc, **extra)  # type: ignore[arg-type]


def warn(check: str, message: str, rfc: str, **extra: str | int | None) -> Finding:
    return Finding(check, Grade.WARN, message, Level.SHOULD, rfc, **extra)  # type: ignore[arg-type]


def declared_length(exchange: Exchange) -> int | None:
    """Content-Length as a number: one field of ASCII digits (RFC 9110 §8.6), else None."""
    match [value.strip() for value in exchange.header_values("Content-Length")]:
        case [text] if text.isdigit() and text.isascii():
            return int(text)
    return None


def compare_bytes(ctx: Context, actual: bytes, first: int, label: str, rfc: str) -> list[Finding]:
    """A FAIL when `actual` differs from the representation at `first`; nothing while the
    octets to compare with are not known yet (the engine fetches them and grades again)."""
    expected = ctx.truth.read(first, first + len(actual) - 1)
    if expected is None:
        return []
    diff = compare(expected, actual, first)
    if diff is None:
        return []
    return [
        Finding(
            label,
            Grade.FAIL,
            f"content differs from the representation's octets {first}-{first + len(actual) - 1}",
            Level.MUST,
            rfc,
            expected=diff.expected,
            actual=diff.actual,
            offset=diff.offset,
        )
    ]


def missing_fields(ctx: Context, names: tuple[str, ...], status: str, rfc: str) -> list[Finding]:
    """Fields the baseline 200 carries that this answer leaves out."""
    return [
        fail("header", f"the 200 carries {name} but this {status} does not", rfc,
             expected=ctx.baseline.header(name), actual="(absent)")
        for name in names
        if ctx.baseline.header(name) is not None and ctx.exchange.header(name) is None
    ]  # fmt: skip
