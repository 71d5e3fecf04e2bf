"""The 206 checks: a single part or multipart/byteranges, each part's octets, then what the
parts cover (RFC 9110 §14.4, §14.6, §15.3.7). Pure; findings, never exceptions."""

from __future__ import annotations

import re

from conformance.grading.context import (
    REPEATED_FROM_200,
    Context,
    declared_length,
    fail,
    missing_fields,
    warn,
)
from conformance.grading.fields import (
    parse_media_type,
)
from conformance.grading.multipart_answer import check_multipart
from conformance.grading.part import content_range_findings, part_content_findings
from conformance.grading.spans import Span, coverage_findings
from conformance.model import Finding, Grade, Level

MULTIPART = ("multipart/byteranges", "multipart/x-byteranges")
# RFC 9110 §15.3.7: without If-Range, also every representation field the 200 would carry.
REPRESENTATION_FIELDS = ("Last-Modified", "Content-Encoding", "Content-Language")


def check_partial(
    ctx: Context, requested: list[Span], *, exact: bool = False, allow_subset: bool = False
) -> list[Finding]:
    """A single-part 206 or a multipart one, each part's octets, then what the parts cover
    (`spans`)."""
    content_type = ctx.exchange.header("Content-Type") or ""
    media = parse_media_type(content_type)
    malformed: list[Finding] = []
    if media is None and content_type.strip().lower().startswith("multipart/"):
        # Say what is wrong with the header once, then still judge the parts.
        media = _lenient_media_type(content_type)
        malformed.append(
            fail(
                "content-type",
                "Content-Type is not a valid media type: a "
                "boundary must be a token or a quoted-string",
                "8.3.1",
                expected='multipart/byteranges; boundary="..."',
                actual=content_type,
            )
        )
    if media is not None and media[0] in MULTIPART:
        findings, parts = check_multipart(ctx, media)
        findings = malformed + findings
        if not ctx.several_ranges_requested:
            findings.insert(
                0,
                fail(
                    "multipart",
                    "multipart/byteranges in answer to a single range",
                    "15.3.7.2",
                    expected="a single-part 206",
                    actual=ctx.exchange.header("Content-Type"),
                ),
            )
    else:
        findings, parts = _single_part(ctx)
    if parts:
        covered = coverage_findings(parts, requested, ctx.length)
        if allow_subset:
            covered = [f for f in covered if not f.message.startswith("sent only part")]
        if exact:
            covered = [_as_failure(f) if f.check == "coverage" else f for f in covered]
        findings += covered
    return findings


def _as_failure(finding: Finding) -> Finding:
    """For branches that name one exact answer, any other span is not that branch."""
    return Finding(
        finding.check,
        Grade.FAIL,
        finding.message,
        Level.MUST,
        finding.rfc,
        finding.expected,
        finding.actual,
        finding.offset,
    )


def _lenient_media_type(value: str) -> tuple[str, dict[str, str]]:
    kind = value.partition(";")[0].strip().lower()
    found = re.search(r'boundary\s*=\s*"?([^";]+)"?', value, re.IGNORECASE)
    return kind, ({"boundary": found.group(1).strip()} if found else {})


def _single_part(ctx: Context) -> tuple[list[Finding], list[Span]]:
    exchange = ctx.exchange
    values = exchange.header_values("Content-Range")
    if len(values) != 1:
        return [
            fail(
                "content-range",
                "a single-part 206 carries exactly one Content-Range",
                "15.3.7.1",
                expected="one Content-Range",
                actual=", ".join(values) or "(absent)",
            )
        ], []
    (value,) = values
    findings, parsed = content_range_findings(ctx, value, "content-range")
    if parsed is None or parsed.first is None or parsed.last is None:
        return findings, []
    span = (parsed.first, parsed.last)
    declared = declared_length(exchange)
    if declared is not None and parsed.length is not None and declared != parsed.length:
        findings.append(
            fail(
                "content-length",
                f"Content-Length {declared} differs from the "
                f"{parsed.length} octets Content-Range describes",
                "15.3.7",
                expected=str(parsed.length),
                actual=str(declared),
            )
        )
    findings += part_content_findings(ctx, exchange.body, span, "body", capped=exchange.body_capped)
    baseline_type = ctx.baseline.header("Content-Type")
    sent_type = exchange.header("Content-Type")
    # With If-Range the client holds the 200's fields: a sender SHOULD NOT repeat them
    # (§15.3.7), so only a Content-Type that is there and differs is wrong.
    if_range_without = ctx.has_if_range and sent_type is None
    if baseline_type is not None and sent_type != baseline_type and not if_range_without:
        findings.append(
            fail(
                "content-type",
                "a single-part 206 carries the 200's Content-Type",
                "15.3.7",
                expected=baseline_type,
                actual=sent_type or "(absent)",
            )
        )
    return findings, [span]


def partial_headers(ctx: Context) -> list[Finding]:
    """RFC 9110 §15.3.7: a 206 repeats the 200's Date, ETag, Vary, … (and more without If-Range)."""
    if not ctx.compare_headers or ctx.baseline.status != 200:
        return []
    findings: list[Finding] = []
    names: tuple[str, ...] = REPEATED_FROM_200
    if not ctx.has_if_range:
        names += REPRESENTATION_FIELDS
    if (ctx.exchange.header("Content-Type") or "").lower().startswith("multipart/"):
        names = tuple(n for n in names if n != "Content-Encoding")  # judged per part below
    findings += missing_fields(ctx, names, "206", "15.3.7")
    for name in ("ETag", "Cache-Control", "Vary"):
        value, baseline_value = ctx.exchange.header(name), ctx.baseline.header(name)
        if value is not None and baseline_value is not None and value != baseline_value:
            findings.append(
                warn(
                    "header",
                    f"the 206's {name} differs from the 200's",
                    "15.3.7",
                    expected=baseline_value,
                    actual=value,
                )
            )
    accept = (ctx.exchange.header("Accept-Ranges") or "").strip().lower()
    if accept == "none":
        findings.append(
            warn(
                "accept-ranges",
                "advertises 'Accept-Ranges: none' while serving a 206",
                "14.3",
                actual="none",
            )
        )
    return findings
