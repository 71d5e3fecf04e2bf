"""The 206 checks: a single part or multipart/byteranges, each part's octets, then what the
parts cover (RFC 9110 §14.4, §14.6, §15.3.7). Pure; findings, never exceptions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from conformance.grading.context import (
    Context,
    compare_bytes,
    declared_length,
    fail,
    missing_fields,
    warn,
)
from conformance.grading.fields import (
    ContentRange,
    Part,
    content_range_problem,
    parse_content_range,
    parse_media_type,
    parse_multipart,
)
from conformance.grading.spans import Span, coverage_findings
from conformance.model import Finding, Grade, Level

MULTIPART = ("multipart/byteranges", "multipart/x-byteranges")
# RFC 9110 §15.3.7: a 206 carries these whenever the 200 to the same request would.
REQUIRED_ON_206 = ("Date", "Cache-Control", "ETag", "Expires", "Content-Location", "Vary")
# RFC 9110 §15.3.7: without If-Range, also every representation field the 200 would carry.
REPRESENTATION_FIELDS = ("Last-Modified", "Content-Encoding", "Content-Language")


def check_partial(
    ctx: Context, requested: list[Span], *, exact: bool = False, allow_subset: bool = False
) -> list[Finding]:
    """206S or 206M, each part's bytes, then what the parts cover (spans.py)."""
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
        findings, parts = _multipart(ctx, media)
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
    kind = value.split(";", 1)[0].strip().lower()
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
    findings, parsed = _content_range(ctx, values[0], "content-range")
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
    findings += _part_content(ctx, exchange.body, span, "body", capped=exchange.body_capped)
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


def _multipart(ctx: Context, media: tuple[str, dict[str, str]]) -> tuple[list[Finding], list[Span]]:
    exchange = ctx.exchange
    findings: list[Finding] = []
    kind, params = media
    if (
        kind == "multipart/x-byteranges"
        and exchange.request.headers
        and not any(name.lower() == "request-range" for name, _ in exchange.request.headers)
    ):
        findings.append(
            fail(
                "content-type",
                "multipart/x-byteranges is only for legacy Request-Range clients",
                "14.6",
                expected="multipart/byteranges",
                actual=kind,
            )
        )
    boundary = params.get("boundary")
    if kind == "multipart/x-byteranges" and not findings:
        findings.append(
            Finding(
                "content-type",
                Grade.INFO,
                "legacy multipart/x-byteranges in answer to Request-Range",
                Level.MAY,
                "14.6",
                actual=kind,
            )
        )
    if boundary and '"' in (exchange.header("Content-Type") or ""):
        findings.append(
            Finding(
                "multipart",
                Grade.INFO,
                "quoted boundary parameter (legal; some clients mishandle it)",
                Level.MAY,
                "14.6",
                actual=exchange.header("Content-Type"),
            )
        )
    if not boundary:
        return findings + [
            fail(
                "multipart",
                "multipart/byteranges without a boundary parameter",
                "14.6",
                actual=exchange.header("Content-Type"),
            )
        ], []
    if exchange.header("Content-Range") is not None:
        findings.append(
            fail(
                "content-range",
                "a multipart 206 has no top-level Content-Range",
                "15.3.7.2",
                expected="(absent)",
                actual=exchange.header("Content-Range"),
            )
        )
    body = parse_multipart(exchange.body, boundary)
    for problem in body.problems:
        if exchange.body_capped and ("close delimiter" in problem or "empty line" in problem):
            continue
        findings.append(fail("multipart", problem, "8.3.3"))
    if not body.parts:
        return findings + [fail("multipart", "no body parts found", "15.3.7.2")], []
    spans: list[Span] = []
    baseline_type = ctx.baseline.header("Content-Type")
    findings += _coding_placement(ctx, body.parts)
    mark = len(findings)
    for number, part in enumerate(body.parts, start=1):
        label = f"part {number}/{len(body.parts)}"
        if part.header_values("Content-Transfer-Encoding"):
            findings.append(
                fail(
                    "multipart",
                    f"{label} has a Content-Transfer-Encoding",
                    "14.6",
                    actual=part.header_values("Content-Transfer-Encoding")[0],
                )
            )
        types = part.header_values("Content-Type")
        if baseline_type is not None and types != [baseline_type]:
            findings.append(
                warn(
                    "part-content-type",
                    f"{label} should carry the 200's Content-Type",
                    "15.3.7.2",
                    expected=baseline_type,
                    actual=", ".join(types) or "(absent)",
                )
            )
        ranges = part.header_values("Content-Range")
        if len(ranges) != 1:
            findings.append(
                fail(
                    "content-range",
                    f"{label} needs exactly one Content-Range",
                    "15.3.7.2",
                    actual=", ".join(ranges) or "(absent)",
                )
            )
            continue
        problems, parsed = _content_range(ctx, ranges[0], f"{label} content-range")
        findings += problems
        if parsed is None or parsed.first is None or parsed.last is None:
            continue
        span = (parsed.first, parsed.last)
        last_part = number == len(body.parts)
        findings += _part_content(
            ctx, part.content, span, label, capped=exchange.body_capped and last_part
        )
        spans.append(span)
    findings[mark:] = _summarised(findings[mark:])
    return findings, spans


def _summarised(findings: list[Finding], keep: int = 20) -> list[Finding]:
    """A broken thousand-part body gets twenty findings and a count, not a thousand findings."""
    if len(findings) <= keep:
        return findings
    rest = findings[keep:]
    worst = max((f.grade for f in rest), key=lambda g: g.rank)
    level = Level.MUST if worst is Grade.FAIL else Level.SHOULD
    note = Finding("multipart", worst, f"... and {len(rest)} more findings about other parts",
                   level, rest[0].rfc)  # fmt: skip
    return [*findings[:keep], note]


def _coding_placement(ctx: Context, parts: Sequence[Part]) -> list[Finding]:
    """Where a multipart 206 of a coded representation says so is unspecified; it must say it."""
    coding = ctx.baseline.header("Content-Encoding")
    if coding is None or ctx.has_if_range:
        return []
    if ctx.exchange.header("Content-Encoding") is not None:
        where = "in the top-level header section"
    elif parts and all(part.header_values("Content-Encoding") for part in parts):
        where = "in every part"
    else:
        return [
            fail(
                "header",
                "the 200 carries Content-Encoding but this multipart 206 says it "
                "neither at the top level nor in every part",
                "15.3.7",
                expected=coding,
                actual="(absent)",
            )
        ]
    return [
        Finding(
            "content-encoding",
            Grade.INFO,
            f"Content-Encoding given {where} (placement in a multipart 206 is not specified)",
            Level.MAY,
            "15.3.7",
            actual=coding,
        )
    ]


def _content_range(
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
    if parsed.last is not None and parsed.last >= ctx.length:
        return [
            fail(
                check, "range ends past the representation", "14.4", expected=expected, actual=value
            )
        ], None
    return [], parsed


def _part_content(
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


def partial_headers(ctx: Context) -> list[Finding]:
    """RFC 9110 §15.3.7: a 206 repeats the 200's Date, ETag, Vary, … (and more without If-Range)."""
    findings: list[Finding] = []
    if not ctx.compare_headers or ctx.baseline.status != 200:
        return findings
    names: tuple[str, ...] = REQUIRED_ON_206
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
