"""Choose cases: a `-k` expression (as in pytest: words, and/or/not, parentheses) and a level.

A word matches when it occurs, case-insensitively, in the case id, title, group or tags.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence

from conformance.model import Case

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")

Matcher = Callable[[str], bool]


class SelectionError(ValueError):
    """The -k expression cannot be parsed."""


def compile_keyword(expression: str) -> Callable[[Case], bool]:
    """Turn `-k` text into a predicate over cases."""
    tokens = _TOKEN.findall(expression)
    if not tokens:
        return lambda case: True
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        token = peek()
        if token is None:
            raise SelectionError(f"-k {expression!r}: unexpected end of expression")
        position += 1
        return token

    def either() -> Matcher:
        left = both()
        while peek() == "or":
            take()
            left = _either(left, both())
        return left

    def both() -> Matcher:
        left = negated()
        while peek() == "and":
            take()
            left = _both(left, negated())
        return left

    def negated() -> Matcher:
        if peek() == "not":
            take()
            inner = negated()
            return lambda text: not inner(text)
        return atom()

    def atom() -> Matcher:
        token = take()
        if token == "(":
            inner = either()
            if take() != ")":
                raise SelectionError(f"-k {expression!r}: missing ')'")
            return inner
        if token in (")", "and", "or", "not"):
            raise SelectionError(f"-k {expression!r}: unexpected {token!r}")
        word = token.lower()
        return lambda text: word in text

    matcher = either()
    if position != len(tokens):
        raise SelectionError(f"-k {expression!r}: unexpected {tokens[position]!r}")
    return lambda case: matcher(haystack(case))


def _either(a: Matcher, b: Matcher) -> Matcher:
    return lambda text: a(text) or b(text)


def _both(a: Matcher, b: Matcher) -> Matcher:
    return lambda text: a(text) and b(text)


def haystack(case: Case) -> str:
    return " ".join([case.id, case.title, case.group, *case.tags]).lower()


def select(
    cases: Sequence[Case],
    *,
    keyword: str | None = None,
    levels: Sequence[str] = (),
    ids: Sequence[str] = (),
    tags: Sequence[str] = (),
    sections: Sequence[str] = (),
    profile: str | None = None,
) -> list[Case]:
    """The cases every given filter admits (values of one filter are alternatives)."""
    predicate = compile_keyword(keyword or "")
    wanted = {level.upper() for level in levels}
    return [
        case
        for case in cases
        if predicate(case)
        and (not wanted or case.level.value in wanted)
        and (not ids or any(fnmatch.fnmatchcase(case.id, glob.upper()) for glob in ids))
        and (not tags or any(tag in case.tags for tag in tags))
        and (not sections or any(in_section(case.rfc, section) for section in sections))
        and (profile is None or profile in case.profiles)
    ]


def in_section(cited: str, section: str) -> bool:
    """`14.1.2` is in 14.1 and in 14, not in 14.10."""
    cited, section = cited.lstrip("§"), section.lstrip("§")
    return cited == section or cited.startswith(section + ".")
