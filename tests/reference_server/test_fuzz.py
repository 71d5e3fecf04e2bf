"""Property-based fuzzing of the reference server's parsers and of the whole app.

The parsers get arbitrary text (header octets arrive latin-1 decoded, so every code point up to
U+00FF is a possible octet) and near-miss grammar; the app gets arbitrary values for every header
it reads, through Flask's test client. Nothing may raise, nothing may be a 5xx, and every answer
must describe itself truthfully: a 206's Content-Range, Content-Length and octets agree with the
file, and no answer costs more than twice the file (RFC 9110 §17.15).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from reference_server import FIXTURE_ROLES
from reference_server.conditions import (
    Conditionals,
    Decision,
    Validators,
    evaluate_preconditions,
    if_range_matches,
    range_applies,
)
from reference_server.dates import format_http_date, parse_http_date
from reference_server.etags import EntityTag, parse_entity_tag, parse_entity_tag_list
from reference_server.negotiation import accepts_gzip, parse_accept_encoding
from reference_server.ranges import (
    MAX_RANGES,
    Ignore,
    Satisfiable,
    Unsatisfiable,
    evaluate_range,
    parse_range,
)
from tests.helpers.responses import check_response

# Octets a header value can carry once decoded as latin-1 (CR and LF end the field instead).
OCTETS = st.characters(min_codepoint=0, max_codepoint=0xFF, blacklist_characters="\r\n")
HEADER_TEXT = st.text(OCTETS, max_size=200)

# Near-miss grammar: the pieces the parsers look for, shuffled into mostly-wrong sequences.
_RANGE_ATOMS = st.sampled_from(
    ["bytes", "BYTES", "=", "-", ",", " ", "\t", "0", "1", "9", "999", "1000", "00",
     "9" * 45, "\u0660", "\xff", "\x00", ";", '"', "items", "*", "/"]
)  # fmt: skip
RANGE_LIKE = st.lists(_RANGE_ATOMS, max_size=30).map("".join)
_TAG_ATOMS = st.sampled_from(['"', "W/", "w/", ",", " ", "\t", "a", "*", "\x7f", "\x80", "\xff"])
TAG_LIKE = st.lists(_TAG_ATOMS, max_size=30).map("".join)
_DATE_ATOMS = st.sampled_from(
    ["Wed", "Wednesday", ",", " ", "01", "1", "Jan", "-", "2020", "20", "00:00:00", "GMT",
     "99", "Feb", "30", "24:00:60", "\t", "\xff"]
)  # fmt: skip
DATE_LIKE = st.lists(_DATE_ATOMS, max_size=12).map("".join)
LENGTHS = st.integers(min_value=0, max_value=10**15)
MOMENTS = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(timezone.utc)
).map(lambda moment: moment.replace(microsecond=0))
TAGS = st.builds(
    EntityTag, st.text(st.sampled_from("ab\x21\x7e\x80\xff"), max_size=4), st.booleans()
)


# --- the Range engine ----------------------------------------------------------------------


@given(st.one_of(HEADER_TEXT, RANGE_LIKE), LENGTHS)
@example("bytes=" + "0-0," * 20_000, 1000)
@example("bytes=" + ",".join(f"{i}-{i}" for i in range(0, 2 * MAX_RANGES, 2)), 3)
@example("bytes=" + "1" * 100_000 + "-", 10**15)
def test_evaluate_range_is_total_and_in_bounds(value: str, length: int) -> None:
    result = evaluate_range(value, length)
    assert isinstance(result, (Ignore, Unsatisfiable, Satisfiable))
    if isinstance(result, Satisfiable):
        assert 1 <= len(result.ranges) <= MAX_RANGES
        assert all(0 <= r.first <= r.last < length for r in result.ranges)
        # Disjoint and not touching: nothing is sent twice (§17.15).
        spans = sorted((r.first, r.last) for r in result.ranges)
        assert all(a[1] + 1 < b[0] for a, b in zip(spans, spans[1:], strict=False))
        assert sum(r.length for r in result.ranges) <= length


@given(st.one_of(HEADER_TEXT, RANGE_LIKE))
def test_parse_range_is_total(value: str) -> None:
    specifier = parse_range(value)
    if specifier is not None:
        assert specifier.unit == specifier.unit.lower()
        assert specifier.unit == "bytes" or specifier.specs == ()


@given(st.one_of(HEADER_TEXT, TAG_LIKE, DATE_LIKE), st.none() | TAGS, st.none() | MOMENTS)
def test_if_range_is_total(value: str, etag: EntityTag | None, moment: datetime | None) -> None:
    assert if_range_matches(value, etag, moment) in (True, False)


@given(TAGS, MOMENTS)
def test_if_range_matches_exactly_its_own_validators(etag: EntityTag, moment: datetime) -> None:
    assert if_range_matches(str(etag), etag, None) is (not etag.weak)
    assert if_range_matches(format_http_date(moment), None, moment)
    assert not if_range_matches(format_http_date(moment + timedelta(seconds=1)), None, moment)


# --- dates, entity-tags, Accept-Encoding ------------------------------------------------------


@given(st.one_of(HEADER_TEXT, DATE_LIKE))
def test_parse_http_date_is_total(value: str) -> None:
    parsed = parse_http_date(value)
    assert parsed is None or parsed.tzinfo is timezone.utc


@given(MOMENTS)
def test_http_date_round_trip(moment: datetime) -> None:
    assert parse_http_date(format_http_date(moment)) == moment


@given(st.one_of(HEADER_TEXT, TAG_LIKE))
def test_entity_tag_parsers_are_total(value: str) -> None:
    tag = parse_entity_tag(value)
    assert tag is None or isinstance(tag, EntityTag)
    tags = parse_entity_tag_list(value)
    assert tags is None or tags == "*" or all(isinstance(t, EntityTag) for t in tags)


@given(st.lists(TAGS, min_size=1, max_size=5), st.sampled_from([",", ", ", " ,\t", ",,"]))
def test_entity_tag_list_round_trip(tags: list[EntityTag], separator: str) -> None:
    assert parse_entity_tag_list(separator.join(map(str, tags))) == tuple(tags)


@given(HEADER_TEXT)
def test_accept_encoding_is_total(value: str) -> None:
    weights = parse_accept_encoding(value)
    assert all(0.0 <= weight <= 1.0 for weight in weights.values())
    assert accepts_gzip(value) in (True, False)


@given(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE"]),
    st.builds(
        Conditionals,
        *(st.none() | st.one_of(HEADER_TEXT, TAG_LIKE, DATE_LIKE) for _ in range(5)),
    ),
    st.builds(Validators, st.none() | TAGS, st.none() | MOMENTS, st.booleans()),
    st.none() | HEADER_TEXT,
)
def test_preconditions_are_total(
    method: str, conditionals: Conditionals, validators: Validators, range_value: str | None
) -> None:
    assert isinstance(evaluate_preconditions(method, conditionals, validators), Decision)
    applies = range_applies(method, range_value, conditionals, validators)
    assert applies in (True, False)
    assert not applies or (method == "GET" and range_value is not None)


# --- the whole app ---------------------------------------------------------------------------

_ROLES = ["main", "r10000", "one", "empty", "text", "gzip", "dynamic", "weak", "redirect"]
_HEADER_NAMES = [
    "Range",
    "If-Range",
    "If-Match",
    "If-None-Match",
    "If-Modified-Since",
    "If-Unmodified-Since",
    "Accept-Encoding",
    "Request-Range",
]


def header_values(files_dir: Path) -> st.SearchStrategy[str]:
    """Arbitrary octets, near-miss grammar, and the validators the files really have."""
    lm = format_http_date(datetime.fromtimestamp((files_dir / "r1000.bin").stat().st_mtime))
    real = st.sampled_from([lm, "gzip", "*", "bytes=0-0,-1", "bytes=0-", "bytes=-1"])
    return st.one_of(HEADER_TEXT, RANGE_LIKE, TAG_LIKE, DATE_LIKE, real)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_app_answers_arbitrary_headers_consistently(
    data: st.DataObject, app: Flask, files_dir: Path
) -> None:
    role = data.draw(st.sampled_from(_ROLES), label="role")
    method = data.draw(st.sampled_from(["GET", "HEAD"]), label="method")
    names = data.draw(st.lists(st.sampled_from(_HEADER_NAMES), unique=True, max_size=4))
    headers = {name: data.draw(header_values(files_dir), label=name) for name in names}
    url = FIXTURE_ROLES[role]
    name = url.rpartition("/")[2]
    files = {"identity": (files_dir / name).read_bytes()}
    if (files_dir / f"{name}.gz").is_file():
        files["gzip"] = (files_dir / f"{name}.gz").read_bytes()
    with app.test_client().open(url, method=method, headers=headers) as response:
        body = response.get_data()
        check_response(method, response.status_code, dict(response.headers), body, files)


@pytest.mark.parametrize(
    "value",
    [
        "bytes=0-0,-1",
        "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 200, 2)),
        "bytes=" + ",".join(f"{i}-{i + 5}" for i in range(0, 1000, 90)),
        "bytes=0-," + ",".join(f"5-{i}" for i in range(5, 1005)),
    ],
    ids=["two", "dos-01", "far-apart", "apache-killer"],
)
@pytest.mark.parametrize("role", ["main", "gzip", "text", "one"])
def test_hostile_ranges_on_every_file_stay_consistent(
    app: Flask, files_dir: Path, role: str, value: str
) -> None:
    name = FIXTURE_ROLES[role].rpartition("/")[2]
    for encoding in ("identity", "gzip"):
        files = {"identity": (files_dir / name).read_bytes()}
        if (files_dir / f"{name}.gz").is_file():
            files["gzip"] = (files_dir / f"{name}.gz").read_bytes()
        request_headers = {"Range": value, "Accept-Encoding": encoding}
        with app.test_client().get(FIXTURE_ROLES[role], headers=request_headers) as response:
            body = response.get_data()
            check_response("GET", response.status_code, dict(response.headers), body, files)
