"""HTTP-dates (RFC 9110 §5.6.7): read in any of the three forms, written in each of them.

Pure; used where the engine learns Last-Modified and Date, and where a request carries a date
derived from them (If-Range, If-Modified-Since, …).
"""

from __future__ import annotations

import email.utils
from datetime import datetime, timezone

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # HTTP dates are always UTC (RFC 9110 §5.6.7); "-0000" parses as naive.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def format_http_date(moment: datetime, style: str = "imf") -> str:
    """IMF-fixdate, or the obsolete RFC 850 and asctime forms (RFC 9110 §5.6.7)."""
    moment = moment.astimezone(timezone.utc)
    day = moment.weekday()
    month = _MONTHS[moment.month - 1]
    clock = moment.strftime("%H:%M:%S")
    if style == "rfc850":
        return f"{_DAYS[day]}, {moment.day:02d}-{month}-{moment.year % 100:02d} {clock} GMT"
    if style == "asctime":
        return f"{_DAYS[day][:3]} {month} {moment.day:2d} {clock} {moment.year}"
    return f"{_DAYS[day][:3]}, {moment.day:02d} {month} {moment.year} {clock} GMT"
