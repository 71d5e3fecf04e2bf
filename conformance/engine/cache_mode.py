"""Cache mode's engine: a cache case (`*.cache.yaml`) → steps at the origin and through the
cache → the graded request → Result, with what reached the origin said beside the verdict.

The judge plays the origin, so it knows every version's octets (`reference_server.patterns`,
computed, never fetched through the cache under test) and reads the origin's own log.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from conformance.engine.oracle import BytesOracle
from conformance.engine.origin_control import OriginControl, OriginGone
from conformance.engine.plan import NotApplicable, PlannedRequest, plan_request
from conformance.engine.runner import EXCERPT, NOT_RUN, judged, measures, send, setup_result
from conformance.engine.target import Resource, Target
from conformance.errors import TargetError
from conformance.grading.grade import grade
from conformance.grading.probes import target_answers
from conformance.grading.truth import Truth
from conformance.grading.upstream import combined_parts, upstream_finding
from conformance.model import (
    Case,
    Exchange,
    Grade,
    OriginPlan,
    OriginStep,
    Result,
    Upstream,
    Verdict,
)
from conformance.transport.client import Client
from reference_server import patterns

# After a request through the cache, the time it may take to commit what it stored (a cache
# writes its entry as the last octets go out): without it the next step could race the store.
SETTLE = 0.1
GZIP_CAP = 16 * 1024 * 1024  # the gzip variant is read whole from the origin to judge by
# What reached the origin is read once it has been quiet this long: a cache may fetch on in the
# background after its answer (Traffic Server's background_fetch), and that cost is the case's.
UPSTREAM_QUIET = 0.3
UPSTREAM_WAIT = 5.0  # at most, for a cache that keeps fetching
SLACK = 64 * 1024  # beyond the representation's size: a multipart answer's own octets


@dataclass
class PatternOracle:
    """A version's octets, computed as the origin computes them (no I/O)."""

    version: int
    length: int
    description: str = "the tool's own origin"
    octets_fetched: int = 0

    def read(self, first: int, last: int) -> bytes:
        last = min(last, self.length - 1)
        return patterns.octets(self.version, first, last) if first <= last else b""

    def known(self) -> dict[int, bytes]:
        return {}


@dataclass
class CacheRun:
    """What every cache case shares: the cache's base URL, the origin's and its control, and
    the target through the cache (its client; where a cache or origin that stopped answering
    is recorded, so later cases say so once instead of failing one by one)."""

    cache: str
    origin: str
    control: OriginControl
    target: Target
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def client(self) -> Client:
        return self.target.client

    def path(self, case: Case) -> str:
        """A path of the case's own, new on every run, so no stored entry is shared."""
        return f"/o/{case.id.lower()}-{self.token}/representation.bin"

    @property
    def probe_path(self) -> str:
        """The representation no case breaks: the preflight's, and the probe's after a broken
        exchange."""
        return f"/o/preflight-{self.token}/representation.bin"


def run_cache_cases(
    cases: Sequence[Case], run: CacheRun, *, profile: str = "rfc"
) -> Iterator[Result]:
    """Each cache case in turn (one at a time: they change the origin and fill the cache)."""
    for case in cases:
        yield run_cache_case(case, run, profile=profile)


def run_cache_case(case: Case, run: CacheRun, *, profile: str = "rfc") -> Result:
    """Steps, the graded request, the origin's log; never raises for a bad cache."""
    if case.origin is None:
        return setup_result(case, Grade.SKIP, "not a cache case", profile)
    stopped = run.target.stopped_for(run.cache) or run.target.stopped_for(run.origin)
    if stopped is not None:
        return setup_result(case, Grade.ERROR, f"{NOT_RUN}{stopped}", profile)
    try:
        return _judge(case, case.origin, run, profile)
    except OriginGone as error:
        run.target.stop(run.origin, case.id, str(error))
        return setup_result(case, Grade.ERROR, str(error), profile)
    except (TargetError, NotApplicable) as error:
        return setup_result(case, Grade.ERROR, str(error), profile)


def _judge(case: Case, plan: OriginPlan, run: CacheRun, profile: str) -> Result:
    path = run.path(case)
    version = 1
    put = run.control.put(
        path, size=plan.size, version=version, etag=plan.etag, gzip=plan.gzip,
        vary=plan.vary, chunked=plan.chunked,
    )  # fmt: skip
    current = _learn(run, path, version, plan.size)
    earlier: Resource | None = None
    for step in plan.steps:
        if step.replace:
            version += 1
            put = run.control.replace(path, version)
            earlier, current = current, _learn(run, path, version, plan.size)
        elif step.fault is not None:
            run.control.fault(
                path, step.fault, after=step.after, status=step.status, count=step.count
            )
        elif step.request is not None:
            _step_request(step, run, current, earlier)
    before = run.control.log(path)
    planned = plan_request(case.request, current, earlier)
    exchange = _send_whole(run, planned, plan.size)
    if exchange.error is not None:
        _still_answering(run, case, exchange.error)
    upstream = _quiet_log(run, path)[len(before) :]
    forms: dict[str, Resource] = {"identity": current}
    if earlier is not None:
        forms["previous"] = earlier
    if put.get("gzip_etag"):
        forms["gzip"] = _learn_gzip(run, path)

    def grading(truths: dict[str, Truth]) -> Verdict:
        return grade(
            case, exchange, current, profile=profile, range_value=planned.range_value,
            variants={k: v for k, v in forms.items() if k != "identity"}, truths=truths,
            intermediary=True,
        )  # fmt: skip

    verdict = judged(grading, forms)
    finding, figures = upstream_finding(
        upstream, planned.range_value, exchange.body_octets, plan.size, plan.amplification_info
    )
    added = [finding]
    if plan.must_reach_origin:
        combined = combined_parts(before, upstream, exchange.status, plan.size)
        added += [combined] if combined is not None else []
    worst = max((verdict.grade, *(f.grade for f in added)), key=lambda g: g.rank)
    verdict = Verdict(
        worst, verdict.branch, (*verdict.findings, *added),
        f"{verdict.summary}; upstream: {_short(finding.message)}",
    )  # fmt: skip
    taken = measures([exchange], current) + figures
    return Result(case, verdict, exchange.excerpt(EXCERPT), profile, taken)


def _short(message: str) -> str:
    return message.removeprefix("the cache sent the origin ")


def _step_request(
    step: OriginStep, run: CacheRun, current: Resource, earlier: Resource | None
) -> None:
    """A request through the cache before the graded one; its answer only fills the cache
    (a cut or reset the case caused at the origin is expected here, so errors are kept
    quiet)."""
    assert step.request is not None
    _send_whole(run, plan_request(step.request, current, earlier), current.length or 0)
    time.sleep(SETTLE)


def _still_answering(run: CacheRun, case: Case, problem: str) -> None:
    """After a broken exchange, a plain GET through the cache of a representation no case
    breaks: if that breaks too, the cache has stopped answering, and the cases after this one
    are not sent (said once)."""
    probe = send(run.client, PlannedRequest("GET", run.cache + run.probe_path, (), None, b""))
    if not target_answers(probe):
        run.target.stop(run.cache, case.id, probe.error or problem)


def _send_whole(run: CacheRun, planned: PlannedRequest, size: int) -> Exchange:
    """The answer read whole (the origin's objects are small enough), so what the cache fetched
    upstream does not depend on when the client stopped reading."""
    return send(run.client, planned, cap=size + SLACK, window=None)


def _quiet_log(run: CacheRun, path: str) -> list[Upstream]:
    """The origin's log for `path` once no request has arrived for UPSTREAM_QUIET seconds."""
    records = run.control.log(path)
    waited = 0.0
    while waited < UPSTREAM_WAIT:
        time.sleep(UPSTREAM_QUIET)
        waited += UPSTREAM_QUIET
        again = run.control.log(path)
        if again == records:
            break
        records = again
    return records


def _learn(run: CacheRun, path: str, version: int, size: int) -> Resource:
    """The version's plain-GET fields, from the origin itself (a HEAD, never through the
    cache), and its octets, computed."""
    head = run.client.send("HEAD", run.origin + path, [("Accept-Encoding", "identity")], cap=0)
    if head.status != 200:
        raise TargetError(f"the origin answered HEAD {path} with {head.status or head.error}")
    return Resource(
        role="cache", url=run.cache + path, status=200, headers=head.headers,
        length=size, oracle=PatternOracle(version, size),
    )  # fmt: skip


def _learn_gzip(run: CacheRun, path: str) -> Resource:
    """The gzip variant, read whole from the origin (its octets are what the origin wrote)."""
    got = run.client.send("GET", run.origin + path, [("Accept-Encoding", "gzip")], cap=GZIP_CAP)
    if got.status != 200 or got.body_capped:
        raise TargetError(f"cannot read the gzip variant of {path} from the origin")
    return Resource(
        role="cache", url=run.cache + path, status=200, headers=got.headers,
        length=len(got.body), oracle=BytesOracle(got.body),
    )  # fmt: skip
