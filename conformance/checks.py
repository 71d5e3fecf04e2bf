"""Pure checks: (exchange, expectation, baseline) → Findings. Never raises on non-conformance.

Each function checks one bundle of the catalogue (RFC-RANGES.md §0.4): 200F, 206S/206M, 416R,
304, and the audits every response gets.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .bytediff import compare
from .model import Exchange, Expectation, Finding, Grade, Level
from .spans import Span, coverage_findings
from .target import Resource
from .wire import (
    ContentRange,
    Part,
    content_range_problem,
    parse_content_range,
    parse_media_type,
    parse_multipart,
)

# RFC 9110 §15.3.7: a 206 carries these whenever the 200 to the same request would.
REQUIRED_ON_206 = ("Date", "Cache-Control", "ETag", "Expires", "Content-Location", "Vary")
# RFC 9110 §15.3.7: without If-Range, also every representation field the 200 would carry.
REPRESENTATION_FIELDS = ("Last-Modified", "Content-Encoding", "Content-Language")
REQUIRED_ON_304 = ("Date", "Cache-Control", "ETag", "Expires", "Content-Location", "Vary")
MULTIPART = ("multipart/byteranges", "multipart/x-byteranges")


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a check may look at."""

    exchange: Exchange
    baseline: Resource
    range_value: str | None
    compare_headers: bool  # the request negotiated the same form as the baseline
    has_if_range: bool
    identity: Resource  # the identity form, whatever `baseline` is

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
    values = exchange.header_values("Content-Length")
    if len(values) != 1 or not values[0].strip().isdigit() or not values[0].strip().isascii():
        return None
    return int(values[0].strip())


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
    """200F: the whole representation, not multipart, Content-Length = L."""
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
    if exchange.body_capped and len(exchange.body) > length:
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
        findings += _compare_bytes(ctx, body, 0, "body", "15.3.1")
    return findings


def check_unsatisfied(ctx: Context) -> list[Finding]:
    """416R: `Content-Range: bytes */L` with the current length (RFC 9110 §14.4, §15.5.17)."""
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
    parsed = parse_content_range(values[0]) if len(values) == 1 else None
    if parsed is None:
        return [
            fail(
                "content-range",
                "invalid Content-Range on 416",
                "14.4",
                expected=expected,
                actual=", ".join(values),
            )
        ]
    if parsed.unit.lower() != "bytes":
        return [
            fail(
                "content-range",
                f"unit {parsed.unit!r} in answer to a bytes request",
                "14.4",
                expected=expected,
                actual=values[0],
            )
        ]
    if parsed.complete_length != ctx.length:
        return [
            fail(
                "content-range",
                "416 states a complete length that is not the representation's",
                "14.4",
                expected=expected,
                actual=values[0],
            )
        ]
    if not parsed.is_unsatisfied:
        return [
            warn(
                "content-range",
                "416 should carry the unsatisfied-range form",
                "14.4",
                expected=expected,
                actual=values[0],
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
    for name in REQUIRED_ON_304:
        if ctx.baseline.header(name) is not None and exchange.header(name) is None:
            findings.append(
                fail(
                    "header",
                    f"{name} sent on the 200 but missing on the 304",
                    "15.4.5",
                    expected=ctx.baseline.header(name),
                    actual="(absent)",
                )
            )
    return findings


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
        malformed.append(fail("content-type", "Content-Type is not a valid media type: a "
                              "boundary must be a token or a quoted-string", "8.3.1",
                              expected='multipart/byteranges; boundary="..."',
                              actual=content_type))
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
    if baseline_type is not None and exchange.header("Content-Type") != baseline_type:
        findings.append(
            fail(
                "content-type",
                "a single-part 206 carries the 200's Content-Type",
                "15.3.7",
                expected=baseline_type,
                actual=exchange.header("Content-Type") or "(absent)",
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
        findings += _compare_bytes(ctx, shown, first, label, "15.3.7.1")
    return findings


def _compare_bytes(ctx: Context, actual: bytes, first: int, label: str, rfc: str) -> list[Finding]:
    expected = ctx.baseline.read(first, first + len(actual) - 1)
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
