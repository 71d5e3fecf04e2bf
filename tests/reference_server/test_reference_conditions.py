"""Precondition precedence (RFC 9110 §13.2.2), as the IFR and PRE cases ask it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reference_server.conditions import (
    Conditionals,
    Decision,
    Validators,
    evaluate_preconditions,
    range_applies,
)
from reference_server.dates import format_http_date
from reference_server.etags import EntityTag

LM = datetime(2020, 1, 1, tzinfo=timezone.utc)
LM_TEXT = format_http_date(LM)
BEFORE = format_http_date(LM - timedelta(days=1))
AFTER = format_http_date(LM + timedelta(days=1))
STRONG = Validators(EntityTag("E"), LM)
NONE = Validators(None, None)


def decide(
    validators: Validators = STRONG,
    method: str = "GET",
    range_value: str | None = "bytes=0-9",
    **headers: str,
) -> str:
    """ "304", "412", "206" (Range applies) or "200" (Range ignored or absent)."""
    conditionals = Conditionals(**headers)
    decision = evaluate_preconditions(method, conditionals, validators)
    if decision is not Decision.PROCEED:
        return decision.value
    return "206" if range_applies(method, range_value, conditionals, validators) else "200"


CASES = [
    # §2.8 PRE
    ("PRE-01", {"if_none_match": '"E"'}, "304"),
    ("PRE-02", {"if_none_match": 'W/"E"'}, "304"),
    ("PRE-03", {"if_none_match": "*"}, "304"),
    ("PRE-04", {"if_none_match": '"other"'}, "206"),
    ("PRE-06", {"if_modified_since": LM_TEXT}, "304"),
    ("PRE-07", {"if_modified_since": BEFORE}, "206"),
    ("PRE-08", {"if_none_match": '"other"', "if_modified_since": LM_TEXT}, "206"),
    ("PRE-09", {"if_modified_since": "not-a-date"}, "206"),
    ("PRE-10", {"if_match": '"E"'}, "206"),
    ("PRE-11", {"if_match": '"other"'}, "412"),
    ("PRE-13", {"if_match": "*"}, "206"),
    ("PRE-14", {"if_match": 'W/"E"'}, "412"),
    ("PRE-15", {"if_unmodified_since": BEFORE}, "412"),
    ("PRE-16", {"if_unmodified_since": LM_TEXT}, "206"),
    ("PRE-17", {"if_match": '"E"', "if_unmodified_since": BEFORE}, "206"),
    ("PRE-18", {"if_range": '"E"', "if_none_match": '"E"'}, "304"),
    ("PRE-19", {"if_range": '"E"', "if_match": '"other"'}, "412"),
    ("PRE-20", {"if_range": '"not-E"', "if_match": '"E"'}, "200"),
    ("PRE-21", {"if_range": '"E"', "if_modified_since": LM_TEXT}, "304"),
    ("if-match-list", {"if_match": '"x", "E"'}, "206"),
    ("if-match-garbage", {"if_match": "garbage"}, "412"),
    ("ius-invalid-ignored", {"if_unmodified_since": "yesterday"}, "206"),
    ("ius-later-date", {"if_unmodified_since": AFTER}, "206"),
    ("ims-later-date", {"if_modified_since": AFTER}, "304"),
    ("inm-garbage-matches-nothing", {"if_none_match": "garbage"}, "206"),
    # §2.7 IFR
    ("IFR-01", {"if_range": '"E"'}, "206"),
    ("IFR-02", {"if_range": '"not-E"'}, "200"),
    ("IFR-03", {"if_range": 'W/"E"'}, "200"),
    ("IFR-06", {"if_range": LM_TEXT}, "206"),
    ("IFR-07", {"if_range": BEFORE}, "200"),
    ("IFR-08", {"if_range": AFTER}, "200"),
    ("IFR-16", {"if_range": "garbage-value"}, "200"),
    ("IFR-17", {"if_range": '"a", "E"'}, "200"),
    ("IFR-18", {"if_range": '"e"'}, "200"),
]


@pytest.mark.parametrize(("headers", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_precedence(headers: dict[str, str], expected: str) -> None:
    assert decide(**headers) == expected


@pytest.mark.parametrize(
    ("validators", "headers", "expected"),
    [
        (Validators(EntityTag("x", weak=True), LM), {"if_range": 'W/"x"'}, "200"),
        (Validators(EntityTag("x", weak=True), LM), {"if_range": '"x"'}, "200"),
        (Validators(EntityTag("x", weak=True), LM), {"if_none_match": '"x"'}, "304"),
        (Validators(EntityTag("x", weak=True), LM), {"if_match": '"x"'}, "412"),
        (NONE, {"if_range": '"E"'}, "200"),
        (NONE, {"if_range": LM_TEXT}, "200"),
        (NONE, {"if_modified_since": LM_TEXT}, "206"),
        (NONE, {"if_unmodified_since": BEFORE}, "206"),
        (NONE, {"if_match": "*"}, "206"),
        (NONE, {"if_match": '"E"'}, "412"),
        (
            Validators(EntityTag("E"), LM, last_modified_is_strong=False),
            {"if_range": LM_TEXT},
            "200",
        ),
    ],
    ids=[
        "IFR-04",
        "IFR-05",
        "weak-inm",
        "weak-if-match",
        "IFR-19",
        "IFR-19-date",
        "ims-no-lm",
        "ius-no-lm",
        "if-match-star-exists",
        "if-match-no-etag",
        "date-not-strong",
    ],
)
def test_validators_matter(validators: Validators, headers: dict[str, str], expected: str) -> None:
    assert decide(validators, **headers) == expected


def test_if_range_without_range_is_ignored() -> None:  # IFR-11
    assert decide(range_value=None, if_range='"E"') == "200"


@pytest.mark.parametrize("method", ["HEAD", "POST", "PUT", "OPTIONS", "RANGETEST"])
def test_range_only_applies_to_get(method: str) -> None:
    assert decide(method=method) == "200"


def test_if_modified_since_only_for_get_and_head() -> None:
    assert decide(method="HEAD", if_modified_since=LM_TEXT) == "304"
    assert decide(method="POST", if_modified_since=LM_TEXT) == "200"


def test_if_none_match_on_unsafe_method_is_412() -> None:
    assert decide(method="POST", if_none_match='"E"') == "412"
