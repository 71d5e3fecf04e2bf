"""The values that flow through the pipeline: case file → Case → Exchange → Verdict → Result.

Frozen dataclasses and enums only; no I/O and no parsing here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from pathlib import Path


class Level(enum.Enum):
    """RFC 2119 requirement level that a check cites."""

    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


class Grade(enum.Enum):
    """What one case (or one finding) comes to, worst last."""

    SKIP = "skip"
    PASS = "pass"
    INFO = "info"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Grade.SKIP: 0,
    Grade.PASS: 1,
    Grade.INFO: 2,
    Grade.WARN: 3,
    Grade.FAIL: 4,
    Grade.ERROR: 5,
}

PROFILES = ("rfc", "strict", "media")
CASE_SUFFIX = ".range.yaml"  # what a case file's name ends in (the plugin collects only these)
CACHE_CASE_SUFFIX = ".cache.yaml"  # cache mode's cases, judged with the tool's own origin
MEDIA_TAG = "media"  # the cases whose outcomes decide a run in the media profile


def cite(section: str) -> str:
    """`14.1.2` → `RFC 9110 §14.1.2`; other RFCs are written out already (`RFC 9111 §3.3`)."""
    return section if section.startswith("RFC") else f"RFC 9110 §{section}"


def short_cite(section: str) -> str:
    """`14.1.2` → `§14.1.2`, `RFC 9111 §3.3` stays as it is."""
    return section if section.startswith("RFC") else f"§{section}"


_POSITION = re.compile(r"L(?:([+-])([0-9]+))?")


@dataclass(frozen=True, slots=True)
class Position:
    """A byte position, absolute or relative to the representation length L."""

    offset: int
    from_length: bool = False

    @classmethod
    def parse(cls, raw: int | str) -> Position:
        if isinstance(raw, int):
            return cls(raw)
        match = _POSITION.fullmatch(raw)
        if match is None:
            raise ValueError(f"not a position: {raw!r}")
        sign, digits = match.groups()
        delta = int(digits) if digits else 0
        return cls(-delta if sign == "-" else delta, from_length=True)

    def resolve(self, length: int) -> int:
        return length + self.offset if self.from_length else self.offset

    def __str__(self) -> str:
        if not self.from_length:
            return str(self.offset)
        if self.offset == 0:
            return "L"
        return f"L{self.offset:+d}"


@dataclass(frozen=True, slots=True)
class RangeSpec:
    """One range-spec of a request: `first-last`, `first-` or `-suffix`."""

    first: Position | None = None
    last: Position | None = None
    suffix: Position | None = None  # may be relative to L: a suffix as long as, or longer than, L

    def render(self, length: int) -> str:
        if self.suffix is not None:
            return f"-{self.suffix.resolve(length)}"
        assert self.first is not None
        last = "" if self.last is None else str(self.last.resolve(length))
        return f"{self.first.resolve(length)}-{last}"

    def render_template(self) -> str:
        """The spec with positions still relative to L, for explanations."""
        if self.suffix is not None:
            return f"-{self.suffix}"
        assert self.first is not None
        return f"{self.first}-{'' if self.last is None else self.last}"


@dataclass(frozen=True, slots=True)
class ByteSpan:
    """An expected inclusive span `first..last`; positions may be relative to L."""

    first: Position
    last: Position

    def resolve(self, length: int) -> tuple[int, int]:
        return self.first.resolve(length), self.last.resolve(length)


@dataclass(frozen=True, slots=True)
class Learned:
    """A request header value taken from what the target told us in its 200."""

    source: str  # etag | weak-etag | strong-etag | last-modified | previous-etag (cache mode)
    shift_days: int = 0
    date_format: str = "imf"  # imf | rfc850 | asctime
    transform: str | None = None  # swapcase | strip-weak


HeaderValue = str | Learned


@dataclass(frozen=True, slots=True)
class RangeSeries:
    """Generated range-specs for DoS probes: spec i is `first+i*first_step - last+i*last_step`."""

    count: int
    first: int
    first_step: int = 0
    last: int | None = None  # None: open-ended `first-`
    last_step: int = 0
    descending: bool = False

    def render(self) -> list[str]:
        specs = []
        for i in range(self.count):
            first = self.first + i * self.first_step
            last = "" if self.last is None else str(self.last + i * self.last_step)
            specs.append(f"{first}-{last}")
        return specs[::-1] if self.descending else specs


@dataclass(frozen=True, slots=True)
class RequestTemplate:
    """What a case sends, before the target's values are filled in."""

    method: str = "GET"
    ranges: tuple[RangeSpec, ...] = ()
    series: RangeSeries | None = None
    headers: tuple[tuple[str, HeaderValue], ...] = ()
    raw_header_lines: tuple[str, ...] = ()
    body: bytes = b""
    prime: tuple[RequestTemplate, ...] = ()  # sent first, answers unjudged (cache priming)
    parallel: int = 1  # send this many at once on separate connections, grade each


@dataclass(frozen=True, slots=True)
class Expectation:
    """One acceptable (or tolerated, or known-bad) answer, named by the legal branch it is."""

    branch: str
    statuses: tuple[int, ...]  # empty: any status below 500
    grade: Grade = Grade.PASS
    level: Level | None = None
    rfc: str | None = None
    note: str = ""
    full: bool = False
    partial: tuple[ByteSpan, ...] = ()
    exact: bool = False  # the 206 must carry exactly `partial`: no subset, no extra octets
    allow_subset: bool = False  # serving only some of `partial` passes (DoS probes)
    unsatisfied: bool = False
    not_modified: bool = False
    no_content: bool = False
    content_length: Position | None = None
    headers_present: tuple[str, ...] = ()
    headers_absent: tuple[str, ...] = ()
    representation: str = "identity"  # which form bytes compare to: identity | gzip | previous
    via: str | None = None  # "intermediary": a branch only for answers through a cache or proxy
    etag_distinct: bool = False  # ETag differs from the identity form's, or is weak
    single_fields: bool = False  # no non-list field (Date, ETag, …) sent twice (§5.3)
    header_tokens: tuple[tuple[str, str], ...] = ()  # field's comma list holds this token
    grade_if_capable: Grade | None = None
    profile_grades: tuple[tuple[str, Grade], ...] = ()

    def matches(self, status: int | None) -> bool:
        if status is None:
            return False
        return status in self.statuses if self.statuses else status < 500

    def grade_for(self, profile: str, range_capable: bool | None) -> Grade:
        """The grade of this branch under a profile, given whether the target serves ranges."""
        grade = self.grade
        if self.grade_if_capable is not None and range_capable:
            grade = self.grade_if_capable
        for name, override in self.profile_grades:
            if name == profile:
                grade = override
        return grade


@dataclass(frozen=True, slots=True)
class OriginStep:
    """Cache mode: one step before the graded request, either a request through the cache
    (answer kept, not graded) or a change at the tool's own origin."""

    request: RequestTemplate | None = None
    replace: bool = False
    fault: str | None = None  # cut | status | reset
    after: int = 0  # cut: body octets sent before the connection closes
    status: int = 0  # status: the status answered instead
    count: int = 1  # how many of the origin's next answers for the path go wrong


@dataclass(frozen=True, slots=True)
class OriginPlan:
    """Cache mode: what the tool's own origin serves for one case, and what happens first."""

    size: int = 100_000
    etag: str = "strong"  # strong | weak | none
    gzip: bool = False
    vary: str | None = None
    chunked: bool = False
    steps: tuple[OriginStep, ...] = ()
    amplification_info: float | None = None  # INFO above this many origin octets per client one
    must_reach_origin: bool = False  # parts it may not combine: the answer needs the origin


@dataclass(frozen=True, slots=True)
class Upstream:
    """Cache mode: one request that reached the tool's own origin, as its log recorded it."""

    method: str
    range: str | None
    headers: dict[str, str]
    status: int
    octets: int  # body octets the origin really sent
    complete: bool  # all it promised


@dataclass(frozen=True, slots=True)
class Requirements:
    """What the target must offer for a case to be judged at all; otherwise it is skipped."""

    min_length: int | None = None
    etag: str | None = None  # strong | weak | any
    last_modified: bool = False
    date_after_last_modified: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    """One request and every answer the RFC allows to it."""

    id: str
    title: str
    group: str
    rfc: str
    level: Level
    resource: str
    request: RequestTemplate
    expectations: tuple[Expectation, ...]
    source: Path
    line: int  # 1-based line of the case in its file
    tags: tuple[str, ...] = ()
    requires: Requirements = field(default_factory=Requirements)
    profiles: tuple[str, ...] = PROFILES
    note: str = ""
    slow_after: float | None = None  # seconds after which the answer earns a warning
    then_baseline: bool = False  # afterwards the plain GET must still work (DoS probes)
    on_transport_error: str = "fail"  # grade when only this request breaks the connection
    alone: bool = False  # the case file asks that nothing else be in flight
    file: str = ""  # the case file as reports name it (`cases/NAME` when bundled)
    origin: OriginPlan | None = None  # cache mode only: judged with the tool's own origin

    def decides(self, profile: str) -> bool:
        """Whether this case's outcome decides the run's verdict in `profile`: in media, only
        the cases that answer "can browsers and players play and seek this URL" (tag media)."""
        return profile != "media" or MEDIA_TAG in self.tags

    def grading_profile(self, profile: str) -> str:
        """The profile this case is graded by: outside the media question, RFC 9110's own."""
        return profile if self.decides(profile) else "rfc"

    @property
    def runs_alone(self) -> bool:
        """Whether no other case may be in flight: a probe that might hurt the server and must
        then see it still answer, several connections at once, or the case file's own say.
        (A case's own requests, primers first, always go out in order, one after another.)"""
        return self.alone or self.then_baseline or self.request.parallel > 1

    @property
    def location(self) -> str:
        return f"{self.file or self.source}:{self.line}"


def field_value(fields: tuple[tuple[str, str], ...], name: str) -> str | None:
    """A header field's value, its lines joined with ", " as a recipient combines them
    (RFC 9110 §5.3); None when absent."""
    values = field_values(fields, name)
    return ", ".join(values) if values else None


def field_values(fields: tuple[tuple[str, str], ...], name: str) -> list[str]:
    """Every line of a header field, in order (names compare case-insensitively)."""
    wanted = name.lower()
    return [value for key, value in fields if key.lower() == wanted]


@dataclass(frozen=True)
class Representation:
    """What the plain GET of a resource said: status, fields and length (no octets; those a
    grade compares come in a `grading.truth.Truth`)."""

    role: str
    url: str
    status: int | None
    headers: tuple[tuple[str, str], ...]
    length: int | None
    stands_in: bool = False  # the main resource, serving a role nobody named

    def header(self, name: str) -> str | None:
        return field_value(self.headers, name)

    @property
    def etag(self) -> str | None:
        return self.header("ETag")


@dataclass(frozen=True, slots=True)
class SentRequest:
    """The request as it actually went on the wire (for failure text and curl)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    raw: bool = False
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and what came back, bytes undecoded."""

    request: SentRequest
    status: int | None = None
    reason: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    body_capped: bool = False  # stopped reading at the cap; body is a prefix
    elapsed: float = 0.0
    error: str | None = None  # transport problem: the case cannot be judged
    received: int | None = None  # body octets read, when `body` keeps fewer (None: len(body))
    head_octets: int = 0  # status line and header section as parsed, CRLFs included

    @property
    def body_octets(self) -> int:
        """Body octets read from the wire, whether or not `body` still holds them all."""
        return len(self.body) if self.received is None else max(self.received, len(self.body))

    def excerpt(self, keep: int) -> Exchange:
        """The same exchange keeping only the first `keep` body octets (after grading, so a
        run's results do not hold the bodies they judged)."""
        if len(self.body) <= keep:
            return self
        return replace(self, body=self.body[:keep], received=self.body_octets)

    def header_values(self, name: str) -> list[str]:
        return field_values(self.headers, name)

    def header(self, name: str) -> str | None:
        return field_value(self.headers, name)


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check noticed: data, never an exception."""

    check: str
    grade: Grade
    message: str
    level: Level | None = None
    rfc: str | None = None
    expected: str | None = None
    actual: str | None = None
    offset: int | None = None  # first differing body octet, relative to the compared span


@dataclass(frozen=True, slots=True)
class Verdict:
    grade: Grade
    branch: str | None
    findings: tuple[Finding, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class Result:
    case: Case
    verdict: Verdict
    exchange: Exchange | None
    profile: str = "rfc"
    measures: tuple[tuple[str, float], ...] = ()

    @property
    def decides(self) -> bool:
        """Whether this result counts towards the run's verdict (see Case.decides)."""
        return self.case.decides(self.profile)
