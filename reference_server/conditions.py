"""Conditional requests: the RFC 9110 §13.2.2 precedence of preconditions, then If-Range.

Pure: header values and validators in, a decision out. The caller has already established that
the resource exists and would otherwise be answered 200 (§13.2.1).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .dates import parse_http_date
from .etags import EntityTag, parse_entity_tag, parse_entity_tag_list, strong_match, weak_match

__all__ = [
    "Conditionals",
    "Decision",
    "Validators",
    "evaluate_preconditions",
    "if_range_matches",
    "range_applies",
]


class Decision(enum.Enum):
    """What the preconditions leave for the method to do."""

    PROCEED = "proceed"
    NOT_MODIFIED = "304"
    PRECONDITION_FAILED = "412"


@dataclass(frozen=True, slots=True)
class Validators:
    """The selected representation's current validators (None when it has none)."""

    etag: EntityTag | None
    last_modified: datetime | None
    last_modified_is_strong: bool = True


@dataclass(frozen=True, slots=True)
class Conditionals:
    """The request's conditional header fields, as received (None when absent)."""

    if_match: str | None = None
    if_unmodified_since: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    if_range: str | None = None


def _any_tag_matches(value: str, etag: EntityTag | None, *, strong: bool) -> bool:
    tags = parse_entity_tag_list(value)
    if tags == "*":
        return True  # the resource exists (our caller's guarantee), so "*" matches
    if tags is None or etag is None:
        return False  # a malformed list matches nothing
    compare = strong_match if strong else weak_match
    return any(compare(tag, etag) for tag in tags)


def evaluate_preconditions(
    method: str, conditionals: Conditionals, validators: Validators
) -> Decision:
    """Apply steps 1-4 of RFC 9110 §13.2.2 in their order."""
    safe = method in ("GET", "HEAD")
    last_modified = validators.last_modified
    # Step 1: If-Match, strong comparison (§13.1.1). Step 2 only without it: If-Unmodified-Since,
    # ignored when invalid or when there is no modification date (§13.1.4).
    if conditionals.if_match is not None:
        if not _any_tag_matches(conditionals.if_match, validators.etag, strong=True):
            return Decision.PRECONDITION_FAILED
    elif conditionals.if_unmodified_since is not None and last_modified is not None:
        date = parse_http_date(conditionals.if_unmodified_since)
        if date is not None and last_modified > date:
            return Decision.PRECONDITION_FAILED
    # Step 3: If-None-Match, weak comparison (§13.1.2); a match on GET/HEAD means 304.
    if conditionals.if_none_match is not None:
        if _any_tag_matches(conditionals.if_none_match, validators.etag, strong=False):
            return Decision.NOT_MODIFIED if safe else Decision.PRECONDITION_FAILED
    # Step 4: If-Modified-Since, only for GET/HEAD and only without If-None-Match (§13.1.3).
    elif safe and conditionals.if_modified_since is not None and last_modified is not None:
        date = parse_http_date(conditionals.if_modified_since)
        if date is not None and last_modified <= date:
            return Decision.NOT_MODIFIED
    return Decision.PROCEED


def range_applies(
    method: str, range_value: str | None, conditionals: Conditionals, validators: Validators
) -> bool:
    """Step 5 of §13.2.2: does Range get processed at all?

    Only GET defines range handling (§14.2), and a false If-Range means "ignore Range" (§13.1.5).
    If-Range without Range is ignored, which here simply means Range stays absent.
    """
    if method != "GET" or range_value is None:
        return False
    if conditionals.if_range is None:
        return True
    return if_range_matches(
        conditionals.if_range,
        validators.etag,
        validators.last_modified,
        last_modified_is_strong=validators.last_modified_is_strong,
    )


_OWS = " \t"


def if_range_matches(
    value: str,
    etag: EntityTag | None,
    last_modified: datetime | None,
    *,
    last_modified_is_strong: bool = True,
) -> bool:
    """Evaluate an If-Range condition (RFC 9110 §13.1.5); False means "ignore Range".

    A DQUOTE among the first three characters marks an entity-tag (so `W/"x"` is a tag, not a
    broken date); tags need a strong match, dates an exact match with a strong Last-Modified.
    """
    text = value.strip(_OWS)
    if '"' in text[:3]:
        tag = parse_entity_tag(text)  # If-Range holds one tag, so a list is malformed: False
        return tag is not None and etag is not None and strong_match(tag, etag)
    date = parse_http_date(text)
    if date is None or last_modified is None or not last_modified_is_strong:
        return False
    return date == last_modified
