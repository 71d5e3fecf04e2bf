"""One exchange → one Verdict: pick the branch the server took, run its checks, apply the profile.

Pure: it imports nothing that does I/O, and compares octets only with those it is given. A case
lists every acceptable answer; the branch whose status matches and whose checks come out best is
the one reported, so a server is never failed for taking a legal alternative.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from conformance.grading.checks import check_expectation
from conformance.grading.context import Context, declared_length, fail, warn
from conformance.grading.partial import partial_headers
from conformance.grading.truth import Truth
from conformance.model import (
    Case,
    Exchange,
    Expectation,
    Finding,
    Grade,
    Level,
    Representation,
    Verdict,
)

# Repeated framing fields with different values make the message ambiguous: audited everywhere.
FRAMING_FIELDS = ("Content-Length", "Content-Range")
# RFC 9110 §5.3: fields that are not lists must appear at most once (audited by cases that ask).
SINGLETON_FIELDS = ("Content-Length", "Content-Range", "Content-Type", "Date", "ETag",
                    "Last-Modified", "Expires")  # fmt: skip
ACCEPT_RANGES_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def grade(
    case: Case,
    exchange: Exchange,
    baseline: Representation,
    *,
    profile: str = "rfc",
    range_capable: bool | None = None,
    range_value: str | None = None,
    variants: Mapping[str, Representation] | None = None,
    truths: Mapping[str, Truth] | None = None,
    intermediary: bool = False,
) -> Verdict:
    """Grade what came back against every outcome the case allows. Pure: values in, a
    verdict out, no I/O.

    `variants` holds other learned forms of the resource (e.g. its gzip coding) that branches
    may compare against; `baseline` is the identity form. `truths` holds, per form, the octets
    fetched to compare with; octets asked for beyond them are noted in that Truth's `missing`,
    and the verdict is then provisional (the engine fetches them and grades again).
    `intermediary`: the answer came through a cache or proxy, so the branches the RFC allows
    only there (`via: intermediary`) count too.
    """
    if exchange.error is not None:
        finding = Finding("transport", Grade.ERROR, exchange.error)
        return Verdict(Grade.ERROR, None, (finding,), f"error: {exchange.error}")
    forms = {"identity": baseline, **(variants or {})}
    known = {form: (truths or {}).get(form) or Truth() for form in forms}
    sent = {name.lower(): value for name, value in exchange.request.headers}
    ctx = Context(
        exchange=exchange,
        baseline=baseline,
        truth=known["identity"],
        range_value=range_value,
        compare_headers=baseline.status == 200,
        has_if_range="if-range" in sent,
        identity=baseline,
    )
    common = audit(ctx)
    if case.slow_after is not None and exchange.elapsed > case.slow_after:
        common.append(
            warn(
                "latency",
                f"took {exchange.elapsed:.1f} s to answer",
                "17.15",
                expected=f"under {case.slow_after:g} s",
                actual=f"{exchange.elapsed:.1f} s",
            )
        )
    candidates = [
        e for e in case.expectations
        if e.matches(exchange.status) and forms.get(e.representation) is not None
        and (e.via is None or intermediary)
    ]  # fmt: skip
    if not candidates:
        findings = [*common, _unexpected_status(case, exchange, intermediary)]
        return _verdict(findings, None, f"got {exchange.status}")
    scored = [
        _apply_profile(
            _branch_findings(
                e,
                replace(ctx, baseline=forms[e.representation], truth=known[e.representation]),
                profile,
                range_capable,
            ),
            profile,
        )
        for e in candidates
    ]
    best = min(range(len(candidates)), key=lambda i: _worst(scored[i]).rank)
    chosen = candidates[best]
    findings = [*_apply_profile(common, profile), *scored[best]]
    summary = f"{exchange.status} {chosen.branch}"
    content_range = exchange.header("Content-Range")
    if content_range:
        summary += f" ({content_range})"
    return _verdict(findings, chosen.branch, summary)


def _branch_findings(
    expectation: Expectation, ctx: Context, profile: str, range_capable: bool | None
) -> list[Finding]:
    findings = check_expectation(expectation, ctx)
    if expectation.single_fields:
        findings += duplicate_fields(ctx.exchange, SINGLETON_FIELDS)
    if ctx.exchange.status == 206:
        findings += partial_headers(ctx)
    branch_grade = expectation.grade_for(profile, range_capable)
    if branch_grade is not Grade.PASS:
        note = expectation.note or f"the server took the {expectation.branch!r} branch"
        level = expectation.level or (Level.SHOULD if branch_grade is Grade.WARN else Level.MAY)
        if branch_grade is Grade.FAIL:
            level = expectation.level or Level.MUST
        findings.insert(0, Finding("branch", branch_grade, note, level, expectation.rfc))
    return findings


def audit(ctx: Context) -> list[Finding]:
    """Checks every response gets, whatever branch it took: framing (§8.6), Content-Range only
    on a 206 or 416 (§14.4), Date on them (§6.6.1), no repeated framing field (§5.3), a valid
    Accept-Ranges (§14.3). The HDR cases probe the same rules one by one."""
    exchange = ctx.exchange
    status = exchange.status or 0
    findings: list[Finding] = []
    declared = declared_length(exchange)
    framed = status not in (204, 304) and status >= 200 and exchange.request.method != "HEAD"
    if (
        framed
        and declared is not None
        and (
            declared != len(exchange.body)
            if not exchange.body_capped
            else len(exchange.body) > declared
        )
    ):
        findings.append(
            fail(
                "framing",
                "Content-Length does not match the octets received",
                "8.6",
                expected=str(declared),
                actual=str(len(exchange.body)),
            )
        )
    if status not in (206, 416) and exchange.header("Content-Range") is not None:
        findings.append(
            warn(
                "content-range",
                f"Content-Range on a {status} misleads caches and clients",
                "14.4",
                expected="(absent)",
                actual=exchange.header("Content-Range"),
            )
        )
    if status in (206, 416) and exchange.header("Date") is None:
        findings.append(
            fail(
                "header",
                f"a {status} from an origin with a clock carries Date",
                "6.6.1",
                expected="Date present",
                actual="(absent)",
            )
        )
    findings += duplicate_fields(exchange, FRAMING_FIELDS)
    accept = exchange.header("Accept-Ranges")
    if accept is not None and not all(
        ACCEPT_RANGES_TOKEN.fullmatch(unit.strip(" \t")) for unit in accept.split(",")
    ):
        findings.append(
            warn(
                "accept-ranges",
                "Accept-Ranges is not a list of range units",
                "14.3",
                expected="e.g. bytes",
                actual=accept,
            )
        )
    return findings


def duplicate_fields(exchange: Exchange, names: tuple[str, ...]) -> list[Finding]:
    """Non-list fields sent more than once (RFC 9110 §5.3)."""
    findings = []
    for name in names:
        values = exchange.header_values(name)
        if len(values) > 1:
            findings.append(
                fail(
                    "header",
                    f"{name} sent {len(values)} times; it is not a list "
                    "field, so recipients cannot tell which one holds",
                    "5.3",
                    expected=f"one {name}",
                    actual=" | ".join(values),
                )
            )
    return findings


def _unexpected_status(case: Case, exchange: Exchange, intermediary: bool = False) -> Finding:
    """No branch took this status: the ones that would have passed (or been tolerated) are
    named, those for intermediaries only when the answer came through one."""
    allowed = ", ".join(
        f"{'/'.join(map(str, e.statuses))} ({e.branch})"
        for e in case.expectations
        if e.grade is not Grade.FAIL and (e.via is None or intermediary)
    )
    status = exchange.status
    message = f"got {status}, which no branch of this case allows"
    if status is not None and status >= 500:
        message += ". A server error in answer to a range request is never acceptable"
    return Finding(
        "status",
        Grade.FAIL,
        message,
        case.level,
        case.rfc,
        expected=allowed,
        actual=f"{status} {exchange.reason}".strip(),
    )


def _apply_profile(findings: list[Finding], profile: str) -> list[Finding]:
    """The strict profile fails what the rfc profile only warns about."""
    if profile != "strict":
        return findings
    return [
        Finding(f.check, Grade.FAIL, f.message, f.level, f.rfc, f.expected, f.actual, f.offset)
        if f.grade is Grade.WARN
        else f
        for f in findings
    ]


def _worst(findings: list[Finding]) -> Grade:
    return max((f.grade for f in findings), key=lambda g: g.rank, default=Grade.PASS)


def _verdict(findings: list[Finding], branch: str | None, summary: str) -> Verdict:
    return Verdict(_worst(findings), branch, tuple(findings), summary)
