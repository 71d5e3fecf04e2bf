"""Result → text a person can act on: where, what was sent, expected vs actual, how to reproduce.

The same text goes to pytest, the CLI and the reports. Pure; it formats what the checks recorded
and recomputes nothing.
"""

from __future__ import annotations

import shlex

from conformance.model import Finding, Grade, Result, SentRequest, cite, short_cite

# A value longer than this (a 70 KB Range field) is shown cut, with its full size: once is
# enough to see what it was, and reports stay light.
LONG_VALUE = 200


def shorten(text: str, limit: int = LONG_VALUE) -> str:
    """`text`, or its first `limit` characters and how many there were in all."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters in all)"


SHOWN_HEADERS = (
    "range", "if-range", "if-match", "if-none-match", "if-modified-since",
    "if-unmodified-since", "accept-encoding", "request-range", "content-range",
)  # fmt: skip
ANSWER_HEADERS = ("Content-Range", "Content-Length", "Content-Type", "ETag", "Accept-Ranges")


def headline(result: Result) -> str:
    case = result.case
    return f"{case.location}: {case.id} {case.title}   {case.level.value} · {cite(case.rfc)}"


def render_failure(result: Result) -> str:
    """Everything needed to understand and reproduce a non-passing case."""
    lines = [headline(result)]
    exchange = result.exchange
    if exchange is not None:
        sent = exchange.request
        lines.append(f"  {sent.method} {sent.url}{'   (raw socket)' if sent.raw else ''}")
        for name, value in sent.headers:
            if name.lower() in SHOWN_HEADERS:
                lines.append(f"  {name}: {shorten(value)}")
        if exchange.status is not None:
            lines.append("")
            lines.append(f"  answer: {exchange.status} {exchange.reason}".rstrip())
            for name in ANSWER_HEADERS:
                answer = exchange.header(name)
                if answer is not None:
                    lines.append(f"  {name}: {shorten(answer)}")
            size = f"{len(exchange.body)} octets of content"
            lines.append(f"  ({size}{', read capped' if exchange.body_capped else ''})")
    lines.append("")
    lines.extend(render_findings(result.verdict.findings))
    if exchange is not None:
        lines.append("")
        lines.append("  reproduce:")
        lines.append("    " + curl_command(exchange.request))
    return "\n".join(lines)


def render_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    """One block per finding that is not a pass, worst first, with expected/actual rows."""
    shown = sorted(
        (f for f in findings if f.grade not in (Grade.PASS,)),
        key=lambda f: -f.grade.rank,
    )
    lines: list[str] = []
    width = max((len(f.check) for f in shown), default=0)
    for finding in shown:
        cite = ""
        if finding.level is not None or finding.rfc is not None:
            level = finding.level.value if finding.level is not None else ""
            rfc = short_cite(finding.rfc) if finding.rfc else None
            cite = f"  [{' '.join(part for part in (level, rfc) if part)}]"
        message = shorten(finding.message, 4 * LONG_VALUE)
        lines.append(f"  {finding.grade.value.upper():5} {finding.check:<{width}}  {message}{cite}")
        if finding.expected is not None or finding.actual is not None:
            lines.append(f"        {'expected':<8}  {shorten(finding.expected or '-')}")
            lines.append(f"        {'actual':<8}  {shorten(finding.actual or '-')}")
    return lines


def curl_command(sent: SentRequest) -> str:
    """A shell-safe curl command that sends the same request (built with shlex); a value
    longer than LONG_VALUE is cut, and the command says so."""
    words = ["curl", "-sS", "--http1.1", "-D", "-", "-o", "body.bin"]
    if sent.method == "HEAD":
        words.append("--head")
    elif sent.method != "GET":
        words += ["-X", sent.method]
    skip = {"host", "connection", "content-length"}
    cut = False
    for name, value in sent.headers:
        if name.lower() in skip:
            continue
        cut = cut or len(value) > LONG_VALUE
        value = shorten(value)
        words += ["-H", f"{name}: {value}" if value else f"{name};"]
    if sent.body:
        words += ["--data-binary", sent.body.decode("latin-1")]
    words.append(sent.url)
    command = shlex.join(words)
    if sent.raw:
        command += "   # approximate: the case sends header lines curl may normalise"
    if cut:
        command += "   # a header value is cut here: the case sends it whole"
    return command
