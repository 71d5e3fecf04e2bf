"""What the engine's follow-up requests say about a case: a plain GET sent after a broken
connection (whose fault was it?) and after a DoS probe (does the server still answer?).

The engine sends them; the findings are made here, from their exchanges. Pure.
"""

from __future__ import annotations

from conformance.model import Case, Exchange, Finding, Grade, Level, Verdict


def target_answers(probe: Exchange) -> bool:
    """Whether a plain GET got an answer that is no server error: the target is still up."""
    return probe.error is None and probe.status is not None and probe.status < 500


def blamed(case: Case, exchange: Exchange, probe: Exchange, profile: str) -> Verdict:
    """The verdict on a case whose own request broke the connection while a plain GET right
    after it was answered: this request's header values broke the server (RFC 9110 §2.3)."""
    tolerated = case.on_transport_error == "warn" and profile != "strict"
    grade = Grade.WARN if tolerated else Grade.FAIL
    finding = Finding(
        "transport",
        grade,
        f"{exchange.error}, while a plain GET right after it was answered {probe.status}: "
        "this request's header values broke the server",
        Level.SHOULD if grade is Grade.WARN else Level.MUST,
        "2.3",
    )
    return Verdict(grade, None, (finding,), f"{grade.value}: {exchange.error}")


def aftermath(verdict: Verdict, check: Exchange, content_ok: bool) -> Verdict:
    """After a DoS probe the plain GET must still work (RFC 9110 §17.15): the verdict as it
    stands when it does, a FAIL added when it does not. `content_ok`: the octets it carried
    were the representation's."""
    if check.error is None and check.status == 200 and content_ok:
        return verdict
    problem = check.error or f"got {check.status}" + ("" if content_ok else " with wrong content")
    finding = Finding(
        "aftermath",
        Grade.FAIL,
        "after this request the plain GET no longer works",
        Level.MUST,
        "17.15",
        expected="200 with the representation",
        actual=problem,
    )
    findings = (*verdict.findings, finding)
    return Verdict(Grade.FAIL, verdict.branch, findings, verdict.summary + "; then GET failed")
