"""Pure checks: (exchange, expectation, baseline) → Findings. Never raises on non-conformance.

Each function checks one kind of answer: a 200 with the whole representation, a 416, a 304,
and the validators here; a 206 in `partial`.
"""

from __future__ import annotations

from conformance.grading.context import (
    REPEATED_FROM_200,
    Context,
    compare_bytes,
    declared_length,
    fail,
    missing_fields,
    warn,
)
from conformance.grading.fields import parse_content_range, parse_media_type
from conformance.grading.partial import MULTIPART, check_partial
from conformance.model import Expectation, Finding


def check_expectation(expectation: Expectation, ctx: Context) -> list[Finding]:
    """Every check the matched branch implies."""
    findings: list[Finding] = []
    length = ctx.length
    if expectation.full:
        findings += check_full(ctx)
    if expectation.partial:
        spans = [span.resolve(length) for span in expectation.partial]
        findings += check_partial(
            ctx, spans, exact=expectation.exact, allow_subset=expectation.allow_subset
        )
    if expectation.unsatisfied:
        findings += check_unsatisfied(ctx)
    if expectation.not_modified:
        findings += check_not_modified(ctx)
    if expectation.no_content and ctx.exchange.body:
        findings.append(
            fail(
                "no-content",
                f"sent {len(ctx.exchange.body)} octets of content where none may be sent",
                "9.3.2",
                expected="no content",
            )
        )
    if expectation.content_length is not None:
        wanted = expectation.content_length.resolve(length)
        got = declared_length(ctx.exchange)
        if ctx.exchange.header("Content-Length") is not None and got != wanted:
            findings.append(
                fail(
                    "content-length",
                    "Content-Length differs from what the corresponding GET would send",
                    "8.6",
                    expected=str(wanted),
                    actual=ctx.exchange.header("Content-Length"),
                )
            )
    if expectation.etag_distinct:
        findings += check_etag_distinct(ctx)
    for name, token in expectation.header_tokens:
        listed = [t.strip(" \t").lower() for t in (ctx.exchange.header(name) or "").split(",")]
        if token.lower() not in listed:
            findings.append(
                fail(
                    "header",
                    f"{name} does not list {token!r}",
                    expectation.rfc or "14.3",
                    expected=f"{name}: {token}",
                    actual=ctx.exchange.header(name) or "(absent)",
                )
            )
    for name in expectation.headers_present:
        if ctx.exchange.header(name) is None:
            findings.append(
                fail(
                    "header",
                    f"{name} is missing",
                    expectation.rfc or "15.3.7",
                    expected=f"{name} present",
                    actual="(absent)",
                )
            )
    for name in expectation.headers_absent:
        if ctx.exchange.header(name) is not None:
            findings.append(
                fail(
                    "header",
                    f"{name} must not be sent here",
                    expectation.rfc or "15.3.7",
                    expected="(absent)",
                    actual=ctx.exchange.header(name),
                )
            )
    return findings


def check_etag_distinct(ctx: Context) -> list[Finding]:
    """Different octets need different strong validators (RFC 9110 §8.8.3, §8.8.1)."""
    etag, identity_etag = ctx.exchange.header("ETag"), ctx.identity.etag
    if etag is None or identity_etag is None or etag.startswith("W/"):
        return []
    if etag == identity_etag:
        return [
            fail(
                "etag",
                "the coded and the identity forms share one strong ETag, so "
                "If-Range and resumption would splice different octets",
                "8.8.3",
                expected=f"an ETag other than {identity_etag}, or a weak one",
                actual=etag,
            )
        ]
    return []


def check_full(ctx: Context) -> list[Finding]:
    """A 200 with the whole representation: not multipart, Content-Length = L, its octets."""
    exchange, length = ctx.exchange, ctx.length
    findings: list[Finding] = []
    media = parse_media_type(exchange.header("Content-Type") or "")
    if media is not None and media[0] in MULTIPART:
        findings.append(
            fail(
                "content-type",
                "a 200 must not be multipart/byteranges",
                "14.6",
                actual=exchange.header("Content-Type"),
            )
        )
    declared = declared_length(exchange)
    if declared is not None and declared != length:
        findings.append(
            fail(
                "content-length",
                "Content-Length of a 200 is not the representation's length",
                "8.6",
                expected=str(length),
                actual=str(declared),
            )
        )
    # Capped: more octets arrived than `body` keeps, so a prefix of L octets means over L sent.
    if exchange.body_capped and len(exchange.body) >= length:
        findings.append(
            fail(
                "body",
                f"more than {len(exchange.body)} octets of 200 content "
                f"(reading stopped there); the representation has {length}",
                "15.3.1",
                expected=str(length),
                actual=f"more than {len(exchange.body)}",
            )
        )
    if not exchange.body_capped and len(exchange.body) != length:
        findings.append(
            fail(
                "body",
                f"200 content is {len(exchange.body)} octets; the representation has {length}",
                "15.3.1",
                expected=str(length),
                actual=str(len(exchange.body)),
            )
        )
    body = exchange.body[:length]
    if body:
        findings += compare_bytes(ctx, body, 0, "body", "15.3.1")
    return findings


def check_unsatisfied(ctx: Context) -> list[Finding]:
    """A 416: `Content-Range: bytes */L` with the current length (RFC 9110 §14.4, §15.5.17)."""
    values = ctx.exchange.header_values("Content-Range")
    expected = f"bytes */{ctx.length}"
    if not values:
        return [
            warn(
                "content-range",
                "416 without Content-Range",
                "15.5.17",
                expected=expected,
                actual="(absent)",
            )
        ]
    value = ", ".join(values)  # as a recipient combines the lines; the line itself when one
    parsed = parse_content_range(value) if len(values) == 1 else None
    if parsed is None:
        return [
            fail(
                "content-range",
                "invalid Content-Range on 416",
                "14.4",
                expected=expected,
                actual=value,
            )
        ]
    if parsed.unit.lower() != "bytes":
        return [
            fail(
                "content-range",
                f"unit {parsed.unit!r} in answer to a bytes request",
                "14.4",
                expected=expected,
                actual=value,
            )
        ]
    if parsed.complete_length != ctx.length:
        return [
            fail(
                "content-range",
                "416 states a complete length that is not the representation's",
                "14.4",
                expected=expected,
                actual=value,
            )
        ]
    if not parsed.is_unsatisfied:
        return [
            warn(
                "content-range",
                "416 should carry the unsatisfied-range form",
                "14.4",
                expected=expected,
                actual=value,
            )
        ]
    return []


def check_not_modified(ctx: Context) -> list[Finding]:
    """304: no content, Content-Length (if any) of the 200, the validators the 200 had."""
    exchange = ctx.exchange
    findings: list[Finding] = []
    if exchange.body:
        findings.append(
            fail(
                "no-content",
                "a 304 has no content",
                "15.4.5",
                actual=f"{len(exchange.body)} octets",
            )
        )
    declared = declared_length(exchange)
    if exchange.header("Content-Length") is not None and declared != ctx.length:
        findings.append(
            fail(
                "content-length",
                "Content-Length of a 304 must be the 200's, not the range's",
                "8.6",
                expected=str(ctx.length),
                actual=exchange.header("Content-Length"),
            )
        )
    findings += missing_fields(ctx, REPEATED_FROM_200, "304", "15.4.5")
    return findings
