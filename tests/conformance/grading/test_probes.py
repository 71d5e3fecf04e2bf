"""What the engine's follow-up requests mean for a case: whose fault a broken connection was,
and whether a DoS probe left the server answering."""

from __future__ import annotations

import pytest

from conformance.casefile.loader import bundled_cases_dir, load_cases
from conformance.grading.probes import aftermath, blamed, target_answers
from conformance.model import Exchange, Finding, Grade, Level, SentRequest, Verdict

SENT = SentRequest("GET", "http://t/r", ())
CASES = {case.id: case for case in load_cases([bundled_cases_dir()])}
PASSED = Verdict(Grade.PASS, "ignored", (), "200 ignored")


def answer(status: int | None, error: str | None = None) -> Exchange:
    return Exchange(SENT, status=status, error=error)


@pytest.mark.parametrize(
    ("probe", "up"),
    [
        (answer(200), True),
        (answer(404), True),
        (answer(499), True),
        (answer(500), False),
        (answer(503), False),
        (answer(None, "reset"), False),
        (answer(200, "cut short"), False),
    ],
)
def test_the_target_still_answers(probe: Exchange, up: bool) -> None:
    assert target_answers(probe) is up


def test_a_broken_connection_the_target_survives_is_the_cases_failure() -> None:
    broken = answer(None, "http://t/r reset the connection before answering")
    verdict = blamed(CASES["SGL-04"], broken, answer(200), "rfc")
    assert verdict.grade is Grade.FAIL
    (finding,) = verdict.findings
    assert finding == Finding(
        "transport",
        Grade.FAIL,
        "http://t/r reset the connection before answering, while a plain GET right after it "
        "was answered 200: this request's header values broke the server",
        Level.MUST,
        "2.3",
    )
    assert verdict.summary == "fail: http://t/r reset the connection before answering"


def test_a_tolerated_break_warns_and_fails_in_strict() -> None:
    """DOS-06 (a 70 KB field): closing without an answer is tolerated, except in strict."""
    broken = answer(None, "closed")
    rfc = blamed(CASES["DOS-06"], broken, answer(200), "rfc")
    strict = blamed(CASES["DOS-06"], broken, answer(200), "strict")
    assert (rfc.grade, rfc.findings[0].level) == (Grade.WARN, Level.SHOULD)
    assert (strict.grade, strict.findings[0].level) == (Grade.FAIL, Level.MUST)


def test_a_server_still_serving_the_plain_get_keeps_the_verdict() -> None:
    assert aftermath(PASSED, answer(200), content_ok=True) is PASSED


@pytest.mark.parametrize(
    ("check", "content_ok", "actual"),
    [
        (answer(None, "refused"), True, "refused"),
        (answer(500), True, "got 500"),
        (answer(206), True, "got 206"),
        (answer(200), False, "got 200 with wrong content"),
    ],
)
def test_a_server_that_no_longer_serves_it_fails(
    check: Exchange, content_ok: bool, actual: str
) -> None:
    verdict = aftermath(PASSED, check, content_ok)
    assert verdict.grade is Grade.FAIL
    assert verdict.branch == "ignored"
    assert verdict.summary == "200 ignored; then GET failed"
    assert verdict.findings == (
        Finding(
            "aftermath",
            Grade.FAIL,
            "after this request the plain GET no longer works",
            Level.MUST,
            "17.15",
            expected="200 with the representation",
            actual=actual,
        ),
    )
