"""The few exceptions the engine raises: only when something prevents judging at all."""

from __future__ import annotations


class ConformanceError(Exception):
    """Base of every error this package raises on purpose."""


class CaseFileError(ConformanceError):
    """One or more case files are invalid; each problem is one `path:line: $.path: message` line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class TargetError(ConformanceError):
    """The target cannot be used at all (bad URL, unreachable); the message says how to fix it."""


class ShouldViolation(UserWarning):
    """A SHOULD-level deviation: the case passes, pytest lists it in its warnings summary."""


class OutsideMediaQuestion(UserWarning):
    """In the media profile, a case outside the media question failed by RFC 9110: shown in
    pytest's warnings summary, while the run's verdict answers the media question alone."""
