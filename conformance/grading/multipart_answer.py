"""A multipart/byteranges 206 (RFC 9110 §14.6, §15.3.7.2): its boundary, no top-level
Content-Range, each part's fields and octets, where a coded representation says its coding.
A read capped inside the parts is judged on what it holds: the last part's octets up to the cut
(less the start of a delimiter line), its fields only when their section ended. Pure; findings,
never exceptions; a broken thousand-part body reads as a summary."""

from __future__ import annotations

from collections.abc import Sequence

from conformance.grading.context import Context, fail, warn
from conformance.grading.multipart import Multipart, Part, parse_multipart
from conformance.grading.part import content_range_findings, part_content_findings
from conformance.grading.spans import Span
from conformance.model import Finding, Grade, Level

EMPTY_LINE = (b"\n\r\n", b"\n\n")  # how a part's header section ends, bare LF or not


def check_multipart(
    ctx: Context, media: tuple[str, dict[str, str]]
) -> tuple[list[Finding], list[Span]]:
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
    cut = exchange.body_capped and not body.closed  # reading stopped inside the last part
    if cut:
        body = _before_delimiter(exchange.body, body, boundary)
    judged = body.parts
    if cut and body.parts and not exchange.body[: body.parts[-1].offset].endswith(EMPTY_LINE):
        judged = body.parts[:-1]  # reading stopped inside its header section: nothing to judge
    for problem in body.problems:
        # The cap, not the server, left the body unclosed and the unjudged part's fields cut.
        if (cut and "close delimiter" in problem) or f"part {len(judged) + 1} " in problem:
            continue
        findings.append(fail("multipart", problem, "8.3.3"))
    if not body.parts:
        return findings + [fail("multipart", "no body parts found", "15.3.7.2")], []
    spans: list[Span] = []
    baseline_type = ctx.baseline.header("Content-Type")
    findings += _coding_placement(ctx, judged)
    mark = len(findings)
    for number, part in enumerate(judged, start=1):
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
        (content_range,) = ranges
        problems, parsed = content_range_findings(ctx, content_range, f"{label} content-range")
        findings += problems
        if parsed is None or parsed.first is None or parsed.last is None:
            continue
        span = (parsed.first, parsed.last)
        last_part = number == len(body.parts)
        findings += part_content_findings(ctx, part.content, span, label, capped=cut and last_part)
        spans.append(span)
    findings[mark:] = summarised(findings[mark:])
    return findings, spans


def summarised(findings: list[Finding], keep: int = 20) -> list[Finding]:
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
    if coding is None or ctx.has_if_range or not parts:
        return []
    if ctx.exchange.header("Content-Encoding") is not None:
        where = "in the top-level header section"
    elif all(part.header_values("Content-Encoding") for part in parts):
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


def _before_delimiter(octets: bytes, body: Multipart, boundary: str) -> Multipart:
    """`body` parsed again without the start of a delimiter line that a capped read cut short
    after the last part's content: the CRLF and dashes that follow it are not its octets."""
    if not body.parts:
        return body
    content = body.parts[-1].content
    # Field values are read as latin-1, so this is the boundary's octets (as the parser's).
    tail = b"\n--" + boundary.encode("latin-1", "replace") + b"--"
    for size in range(len(tail), 0, -1):
        if content.endswith(tail[:size]):
            content = content[:-size]
            break
    if content.endswith(b"\r"):
        content = content[:-1]
    extra = len(body.parts[-1].content) - len(content)
    return parse_multipart(octets[: len(octets) - extra], boundary) if extra else body
