"""The engine both front-ends call: Case + Target → Result.

Every stage runs once per case, in order: requirements → request → send → grade. A case reads
an answer only as far as its judgement needs: a body of up to WHOLE_BODY octets whole, of a
larger one its first WINDOW octets (the rest is judged from the framing), and the result keeps
an excerpt of EXCERPT octets.
"""

from __future__ import annotations

import time
import traceback
import uuid
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conformance.engine.plan import NotApplicable, PlannedRequest, plan_request
from conformance.engine.target import PREFIX, Resource, Target
from conformance.errors import TargetError
from conformance.grading.context import declared_length
from conformance.grading.grade import grade
from conformance.grading.probes import aftermath, blamed, target_answers
from conformance.grading.truth import Truth
from conformance.model import Case, Exchange, Finding, Grade, Result, Verdict
from conformance.transport.client import Client

WHOLE_BODY = 256 * 1024  # a body declared (or turning out) this long or shorter is read whole
WINDOW = PREFIX  # of a longer one, the octets compared: the oracle knows them from the 200
EXCERPT = 1024  # body octets a result keeps once graded
# Through a cache (`Target.intermediary`), the time it may take to commit what the primers
# stored (some fetch the whole object in the background), before the graded request.
PRIMED_SETTLE = 0.3
NOT_RUN = "not run: "  # how a case not sent because its target stopped answering begins


def run_case(case: Case, target: Target, *, profile: str = "rfc") -> Result:
    """Send one case's request and grade the answer; never raises for a bad server."""
    try:
        return _run(case, target, profile)
    except TargetError as error:
        return setup_result(case, Grade.ERROR, str(error), profile)
    except Exception as error:  # noqa: BLE001 - one bad case must not end the run
        where = traceback.extract_tb(error.__traceback__)[-1]
        return setup_result(
            case, Grade.ERROR,
            f"internal error while judging this case ({type(error).__name__}: {error} at "
            f"{Path(where.filename).name}:{where.lineno}); please report it", profile,
        )  # fmt: skip


def run_cases(
    cases: Sequence[Case], target: Target, *, profile: str = "rfc", workers: int = 1
) -> Generator[Result, None, None]:
    """Every case's result, in case order, `workers` cases at a time.

    Cases that must run alone (probes that could hurt the server, primed caches, parallel
    connections: `Case.runs_alone`) run after all the others, one at a time, whatever
    `workers` is; so a server a probe brings down takes no innocent case with it, and the
    verdicts do not depend on the concurrency.
    """
    together = [case for case in cases if not case.runs_alone]
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures: dict[int, Future[Result]] = {
            id(case): pool.submit(run_case, case, target, profile=profile) for case in together
        }
        for case in cases:
            if case.runs_alone:
                wait(futures.values())
                yield run_case(case, target, profile=profile)
            else:
                yield futures[id(case)].result()
    finally:  # a consumer that stops early leaves no case waiting to be sent
        pool.shutdown(wait=True, cancel_futures=True)


def _run(case: Case, target: Target, run_profile: str) -> Result:
    if run_profile not in case.profiles:
        return setup_result(
            case, Grade.SKIP, f"not part of the {run_profile!r} profile", run_profile
        )
    result = _judge(case, target, case.grading_profile(run_profile))
    return replace(result, profile=run_profile)


def _judge(case: Case, target: Target, profile: str) -> Result:
    resource = target.resource(case.resource)
    if resource is None:
        return setup_result(case, Grade.SKIP, target.why_absent(case.resource), profile)
    stopped = target.stopped_for(resource.url)
    if stopped is not None:
        return setup_result(case, Grade.ERROR, f"{NOT_RUN}{stopped}", profile)
    if resource.error is not None:
        return setup_result(
            case, Grade.ERROR, f"cannot use {resource.url}: {resource.error}", profile
        )
    if needs_baseline(case) and resource.status != 200:
        return _without_baseline(case, target, resource, profile)
    unmet = unmet_requirement(case, resource)
    if unmet is not None:
        return setup_result(case, Grade.SKIP, unmet, profile)
    variants = {}
    for form in {e.representation for e in case.expectations} - {"identity"}:
        learned = target.resource(case.resource, form)
        if learned is not None and learned.status == 200 and learned.error is None:
            variants[form] = learned
    try:
        planned = plan_request(case.request, resource)
        primers = [plan_request(template, resource) for template in case.request.prime]
    except NotApplicable as reason:
        return setup_result(case, Grade.SKIP, str(reason), profile)
    if case.resource == "cache":
        # A fresh cache key per case, so one case's primers cannot answer another's request.
        bust = f"range-conformance={case.id}-{uuid.uuid4().hex[:12]}"
        planned = replace(planned, url=with_query(planned.url, bust))
        primers = [replace(p, url=with_query(p.url, bust)) for p in primers]
    for primer in primers:
        primed = send(target.client, primer)
        if primed.error is not None:
            return setup_result(
                case, Grade.ERROR, f"priming request failed: {primed.error}", profile
            )
    if primers and target.intermediary:
        time.sleep(PRIMED_SETTLE)
    exchanges = send_all(target.client, planned, case.request.parallel)
    capable = target.range_capable if _uses_capability(case) else None
    forms: dict[str, Resource] = {"identity": resource, **variants}

    def grading(exchange: Exchange) -> Callable[[dict[str, Truth]], Verdict]:
        def with_truths(truths: dict[str, Truth]) -> Verdict:
            return grade(
                case, exchange, resource, profile=profile, range_capable=capable,
                range_value=planned.range_value, variants=variants, truths=truths,
                intermediary=target.intermediary,
            )  # fmt: skip

        return with_truths

    verdicts = [judged(grading(exchange), forms) for exchange in exchanges]
    worst = max(range(len(verdicts)), key=lambda i: verdicts[i].grade.rank)
    verdict, exchange = verdicts[worst], exchanges[worst]
    if exchange.error is not None:
        verdict = _blame_transport_error(case, verdict, exchange, target, resource, profile)
    if case.then_baseline:
        verdict = _still_answering(case, verdict, target, resource)
    return Result(case, verdict, exchange.excerpt(EXCERPT), profile, measures(exchanges, resource))


def with_query(url: str, parameter: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{parameter}" if parts.query else parameter
    return urlunsplit(parts._replace(query=query))


def measures(exchanges: list[Exchange], resource: Resource) -> tuple[tuple[str, float], ...]:
    """Time taken; the answer's size (as declared, else as read) and the body octets read;
    amplification is the answer's size per representation octet."""
    seconds = max(e.elapsed for e in exchanges)
    size = max(_answer_octets(e) for e in exchanges)
    read = max(e.body_octets for e in exchanges)
    figures = [("seconds", round(seconds, 4)), ("octets", float(size))]
    figures.append(("octets_read", float(read)))
    if resource.length:
        figures.append(("amplification", round(size / resource.length, 3)))
    return tuple(figures)


def _answer_octets(exchange: Exchange) -> int:
    declared = declared_length(exchange)
    if declared is not None and exchange.request.method != "HEAD" and exchange.error is None:
        return max(declared, exchange.body_octets)
    return exchange.body_octets


def judged(grading: Callable[[dict[str, Truth]], Verdict], forms: dict[str, Resource]) -> Verdict:
    """Grade with the octets in hand; if the grade asked for octets not in hand, fetch just
    those (from the plain 200, a local copy or two range requests) and grade once more.

    Grading stays pure: every fetch happens here, between the two grades.
    """
    truths = {form: Truth(resource.known_octets()) for form, resource in forms.items()}
    verdict = grading(truths)
    asked = {form: truth.asked_spans() for form, truth in truths.items() if truth.missing}
    if not asked:
        return verdict
    truths = {
        form: truth.adding(
            {first: forms[form].read(first, last) for first, last in asked.get(form, [])}
        )
        for form, truth in truths.items()
    }
    verdict = grading(truths)
    still = sorted({span for truth in truths.values() for span in truth.missing})
    if still:  # the octets a grade asks for must be the ones it was just given
        shown = ", ".join(f"{first}-{last}" for first, last in still[:3])
        more = f" and {len(still) - 3} more spans" if len(still) > 3 else ""
        raise TargetError(f"octets {shown}{more} to compare with could not be had")
    return verdict


def _still_answering(case: Case, verdict: Verdict, target: Target, resource: Resource) -> Verdict:
    """After a DoS probe the server must still serve the plain GET correctly."""
    check = send(target.client, PlannedRequest("GET", resource.url, (), None, b""))
    body = check.body[: resource.length or 0]
    content_ok = not body or body == resource.read(0, len(body) - 1)
    if check.error is not None:
        target.stop(resource.url, case.id, check.error)
    return aftermath(verdict, check, content_ok)


def _blame_transport_error(
    case: Case,
    verdict: Verdict,
    exchange: Exchange,
    target: Target,
    resource: Resource,
    profile: str,
) -> Verdict:
    """A reset or timeout is the case's fault when a plain GET still works right after it.

    Otherwise the target is down or unreachable and the case cannot be judged (ERROR).
    """
    probe = send(target.client, PlannedRequest("GET", resource.url, (), None, b""))
    if not target_answers(probe):
        target.stop(resource.url, case.id, probe.error or f"a plain GET got {probe.status}")
        return verdict
    return blamed(case, exchange, probe, profile)


def send_all(client: Client, planned: PlannedRequest, copies: int) -> list[Exchange]:
    """One request, or several at once on separate connections."""
    if copies == 1:
        return [send(client, planned)]
    raw = PlannedRequest(
        planned.method, planned.url, planned.headers,
        planned.raw_lines or tuple(f"{n}: {v}" for n, v in planned.headers), planned.body,
    )  # fmt: skip
    with ThreadPoolExecutor(max_workers=copies) as pool:
        return list(pool.map(lambda _: send(client, raw), range(copies)))


def send(
    client: Client, planned: PlannedRequest, cap: int = WHOLE_BODY, window: int | None = WINDOW
) -> Exchange:
    """Send on the path the request needs, reading as much of the body as a case may: `cap`
    octets whole, or of a longer answer its first `window` (None: up to `cap`)."""
    if planned.raw_lines is not None or planned.method == "HEAD":
        lines = planned.raw_lines or tuple(f"{n}: {v}" for n, v in planned.headers)
        return client.send_raw(
            planned.method, planned.url, list(lines), body=planned.body, cap=cap, window=window
        )
    return client.send(
        planned.method, planned.url, list(planned.headers), body=planned.body, cap=cap,
        window=window,
    )  # fmt: skip


def _uses_capability(case: Case) -> bool:
    return any(e.grade_if_capable is not None for e in case.expectations)


def _without_baseline(case: Case, target: Target, resource: Resource, profile: str) -> Result:
    """No 200 to compare with: a status no branch allows still fails; the rest can't be judged."""
    try:
        planned = plan_request(case.request, resource)
    except NotApplicable as reason:
        return setup_result(case, Grade.SKIP, str(reason), profile)
    exchange = send(target.client, planned)
    if exchange.error is None and not any(e.matches(exchange.status) for e in case.expectations):
        verdict = judged(
            lambda truths: grade(
                case, exchange, resource, profile=profile, range_value=planned.range_value,
                truths=truths,
            ),
            {"identity": resource},
        )  # fmt: skip
        return Result(
            case, verdict, exchange.excerpt(EXCERPT), profile, measures([exchange], resource)
        )
    return setup_result(
        case, Grade.ERROR,
        f"{resource.url} answered {resource.status} to a plain GET, so its representation "
        "cannot be learned; every case that compares octets needs a 200 there", profile,
    )  # fmt: skip


def needs_baseline(case: Case) -> bool:
    """Whether grading compares against the learned 200 (octets, length, validators)."""
    return any(e.full or e.partial or e.unsatisfied or e.not_modified for e in case.expectations)


def unmet_requirement(case: Case, resource: Resource) -> str | None:
    """Why the target cannot judge this case, or None."""
    needs = case.requires
    length = resource.length or 0
    if needs.min_length is not None and length < needs.min_length:
        return (
            f"needs a representation of at least {needs.min_length} octets; "
            f"{resource.url} has {length}"
        )
    etag = resource.etag
    if needs.etag == "any" and etag is None:
        return "the target sends no ETag"
    if needs.etag == "strong" and (etag is None or etag.startswith("W/")):
        return f"needs a strong ETag; the target sends {etag or 'none'}"
    if needs.etag == "weak" and (etag is None or not etag.startswith("W/")):
        return f"needs a weak ETag; the target sends {etag or 'none'}"
    modified = resource.last_modified
    if (needs.last_modified or needs.date_after_last_modified) and modified is None:
        return "the target sends no valid Last-Modified"
    if needs.date_after_last_modified:
        date = resource.date
        if date is None or modified is None or date - modified < timedelta(seconds=1):
            return "Last-Modified is not at least 1 s before Date, so it is not a strong validator"
    return None


def setup_result(case: Case, outcome: Grade, message: str, profile: str) -> Result:
    finding = Finding("setup", outcome, message)
    return Result(case, Verdict(outcome, None, (finding,), message), None, profile)
