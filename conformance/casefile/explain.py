"""`--explain ID`: what a case sends, every answer it accepts, and why (pure)."""

from __future__ import annotations

from conformance.model import Case, Expectation, Learned, RequestTemplate, cite


def explain(case: Case) -> str:
    lines = [
        f"{case.id}  {case.title}",
        f"  {case.location} · {case.level.value} · {cite(case.rfc)} · resource: {case.resource}",
    ]
    if case.note:
        lines.append(f"  {case.note}")
    lines += ["", "sends:"]
    lines += [f"  {line}" for line in describe_request(case.request)]
    lines += ["", "accepts:"]
    for expectation in case.expectations:
        lines.append(f"  {describe_expectation(expectation)}")
        if expectation.note:
            lines.append(f"      why: {expectation.note}")
    lines += [
        "",
        "Any other status fails. Every answer is also audited: framing, Date on 206/416,"
        " the 200's validators on a 206, no Content-Range outside 206/416.",
    ]
    return "\n".join(lines)


def describe_request(request: RequestTemplate) -> list[str]:
    lines = [f"{request.method} <{'target'}>"]
    specs = [spec.render_template() for spec in request.ranges]
    if request.series is not None:
        series = request.series
        lines.append(
            f"Range: bytes={','.join(specs) + ',' if specs else ''}"
            f"<{series.count} generated specs: {','.join(series.render()[:3])},…>"
        )
    elif specs:
        lines.append(f"Range: bytes={','.join(specs)}")
    for name, value in request.headers:
        lines.append(f"{name}: {value if isinstance(value, str) else describe_learned(value)}")
    lines += [f"{line!r}  (raw header line)" for line in request.raw_header_lines]
    if request.parallel > 1:
        lines.append(f"(sent {request.parallel} times at once on separate connections)")
    for primer in request.prime:
        lines.append(f"(first, unjudged: {' / '.join(describe_request(primer))})")
    return lines


def describe_learned(value: Learned) -> str:
    text = f"<the target's {value.source}"
    if value.shift_days:
        text += f" {value.shift_days:+d} day(s)"
    if value.source == "last-modified" and value.date_format != "imf":
        text += f", {value.date_format} form"
    if value.transform:
        text += f", {value.transform}"
    return text + ">"


def describe_expectation(expectation: Expectation) -> str:
    statuses = "/".join(map(str, expectation.statuses)) or "any status below 500"
    parts = [f"{statuses} ({expectation.branch}) → {expectation.grade.value}"]
    if expectation.full:
        parts.append("the whole representation")
    if expectation.partial:
        spans = ", ".join(f"{s.first}-{s.last}" for s in expectation.partial)
        parts.append(f"octets {spans}" + (" exactly" if expectation.exact else ""))
    if expectation.unsatisfied:
        parts.append("Content-Range: bytes */L")
    if expectation.not_modified:
        parts.append("no content, the 200's validators")
    if expectation.no_content:
        parts.append("no content")
    if expectation.content_length is not None:
        parts.append(f"Content-Length {expectation.content_length} if sent")
    if expectation.representation != "identity":
        parts.append(f"compared with the {expectation.representation} form")
    for name, grade in expectation.profile_grades:
        parts.append(f"{grade.value} in the {name} profile")
    return "; ".join(parts)
