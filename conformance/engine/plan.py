"""Case + learned resource → the exact request to send (pure).

Values the case takes from the target (its ETag, Last-Modified, a date a day before it) are filled
in here; when the target lacks one, the case is skipped with a reason instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from conformance.engine.target import Resource
from conformance.httpdate import format_http_date
from conformance.model import Learned, RequestTemplate


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """A request ready for the client: either header pairs, or raw lines for the socket path."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    raw_lines: tuple[str, ...] | None
    body: bytes

    @property
    def range_value(self) -> str | None:
        """The Range field value as sent (raw lines joined the way a recipient combines them)."""
        if self.raw_lines is not None:
            values = [
                line.partition(":")[2].strip(" \t")
                for line in self.raw_lines
                if line.partition(":")[0].lower() == "range"
            ]
            return ", ".join(values) if values else None
        for name, value in self.headers:
            if name.lower() == "range":
                return value
        return None


class NotApplicable(Exception):
    """The target lacks what the case needs (no ETag, no Last-Modified, …)."""


def plan_request(
    template: RequestTemplate, resource: Resource, earlier: Resource | None = None
) -> PlannedRequest:
    """Resolve learned values and structured ranges against this resource (`previous-etag`:
    against `earlier`, the version the tool's own origin served before its last replace)."""
    length = resource.length or 0
    headers: list[tuple[str, str]] = []
    specs = [spec.render(length) for spec in template.ranges]
    if template.series is not None:
        specs += template.series.render()
    if specs:
        headers.append(("Range", "bytes=" + ",".join(specs)))
    for name, value in template.headers:
        if not isinstance(value, str) and value.source == "previous-etag":
            if earlier is None or earlier.etag is None:
                raise NotApplicable("no earlier version with an ETag to name")
            value = earlier.etag
        headers.append((name, value if isinstance(value, str) else resolve(value, resource)))
    raw = None
    if template.raw_header_lines:
        raw = (*(f"{name}: {value}" for name, value in headers), *template.raw_header_lines)
    return PlannedRequest(template.method, resource.url, tuple(headers), raw, template.body)


def resolve(learned: Learned, resource: Resource) -> str:
    """The header value a Learned placeholder stands for on this resource."""
    if learned.source == "last-modified":
        modified = resource.last_modified
        if modified is None:
            raise NotApplicable("the target sends no valid Last-Modified")
        return format_http_date(modified + timedelta(days=learned.shift_days), learned.date_format)
    etag = resource.etag
    if etag is None:
        raise NotApplicable("the target sends no ETag")
    weak = etag.startswith("W/")
    if learned.source == "strong-etag" and weak:
        raise NotApplicable(f"the target's ETag {etag} is weak; the case needs a strong one")
    if learned.source == "weak-etag":
        etag = etag if weak else "W/" + etag
    if learned.transform == "strip-weak":
        if not weak:
            raise NotApplicable(f"the target's ETag {etag} is already strong")
        etag = etag[2:]
    if learned.transform == "swapcase":
        changed = etag[:2] + etag[2:].swapcase() if weak else etag.swapcase()
        if changed == etag:
            raise NotApplicable(f"the target's ETag {etag} has no letters whose case could change")
        etag = changed
    return etag
