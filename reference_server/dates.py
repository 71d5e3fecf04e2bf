"""HTTP-date parsing and formatting (RFC 9110 §5.6.7).

Pure and strict: each of the three grammars is matched in full, so a malformed date yields None
(and the condition that carried it is then ignored) instead of a guess.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import format_datetime

__all__ = ["format_http_date", "parse_http_date"]

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_DAY_LONG = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = "(?P<month>" + "|".join(_MONTHS) + ")"
_TIME = r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})"

# IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT ; date1 = day SP month SP year
_IMF_FIXDATE = re.compile(
    rf"{_DAY}, (?P<day>[0-9]{{2}}) {_MONTH} (?P<year>[0-9]{{4}}) {_TIME} GMT", re.ASCII
)
# rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT ; date2 = day "-" month "-" 2DIGIT
_RFC850 = re.compile(
    rf"{_DAY_LONG}, (?P<day>[0-9]{{2}})-{_MONTH}-(?P<year>[0-9]{{2}}) {_TIME} GMT", re.ASCII
)
# asctime-date = day-name SP date3 SP time-of-day SP year
# date3 = month SP ( 2DIGIT / ( SP DIGIT ))
_ASCTIME = re.compile(
    rf"{_DAY} {_MONTH} (?P<day>[0-9]{{2}}| [0-9]) {_TIME} (?P<year>[0-9]{{4}})", re.ASCII
)


def parse_http_date(value: str, *, now: datetime | None = None) -> datetime | None:
    """Return the aware UTC datetime an HTTP-date denotes, or None when it is not one.

    `now` only matters for the two-digit years of the obsolete RFC 850 form.
    """
    text = value.strip(" \t")  # RFC 9110 §5.5: surrounding whitespace is not part of the value
    for pattern in (_IMF_FIXDATE, _RFC850, _ASCTIME):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = int(match["year"])
        if pattern is _RFC850:
            year = _expand_two_digit_year(year, now or datetime.now(timezone.utc))
        try:
            return datetime(
                year,
                _MONTHS.index(match["month"]) + 1,
                int(match["day"].strip()),
                int(match["hour"]),
                int(match["minute"]),
                int(match["second"]),
                tzinfo=timezone.utc,
            )
        except ValueError:  # 31 Feb, hour 25, leap second 60: not a date we can compare
            return None
    return None


def _expand_two_digit_year(two_digits: int, now: datetime) -> int:
    # RFC 9110 §5.6.7: a two-digit year that would lie more than 50 years in the future means
    # the most recent past year with the same last two digits.
    year = now.year - now.year % 100 + two_digits
    return year - 100 if year > now.year + 50 else year


def format_http_date(moment: datetime) -> str:
    """Format `moment` as an IMF-fixdate, the only form RFC 9110 §5.6.7 lets senders generate."""
    return format_datetime(moment.astimezone(timezone.utc), usegmt=True)
