"""Cache mode: what the cache under test asked of the origin for one client request, in words
and figures (pure: the origin's log in, a finding out)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from conformance.model import Finding, Grade, Level, Upstream

_SINGLE = re.compile(r"bytes=(\d*)-(\d*)$")


def single_range(value: str | None, length: int) -> tuple[int, int] | None:
    """A single `bytes=` range as (first, last) on a representation of `length`, its last
    position clamped to the end; None for anything else (several ranges, another unit)."""
    match = _SINGLE.match((value or "").replace(" ", ""))
    if match is None or not (match.group(1) or match.group(2)):
        return None
    end = length - 1
    if not match.group(1):
        return max(0, length - int(match.group(2))), end
    return int(match.group(1)), min(int(match.group(2)), end) if match.group(2) else end


def what_was_sent(record: Upstream, client_range: str | None, length: int) -> str:
    """One upstream request, named by how it relates to the client's: a full GET, the same
    range, a widened range, another range; a conditional one is a revalidation."""
    if record.range is None:
        kind = f"a full {record.method}"
    elif record.range == client_range:
        kind = "the same range"
    else:
        asked, sent = single_range(client_range, length), single_range(record.range, length)
        widened = asked and sent and sent[0] <= asked[0] and asked[1] <= sent[1]
        kind = f"{'a widened' if widened else 'another'} range ({record.range})"
    if any(name in record.headers for name in ("if-none-match", "if-modified-since")):
        kind += " as a revalidation"
    return kind


def upstream_finding(
    records: Sequence[Upstream],
    client_range: str | None,
    client_octets: int,
    length: int,
    amplification_info: float | None,
) -> tuple[Finding, tuple[tuple[str, float], ...]]:
    """The finding that says what reached the origin (INFO when it cost more than
    `amplification_info` origin octets per client octet, else neutral), and its figures."""
    fetched = sum(record.octets for record in records)
    ratio = fetched / client_octets if client_octets else float(fetched)
    if not records:
        said = "nothing reached the origin (answered from what the cache held)"
    else:
        kinds = [what_was_sent(record, client_range, length) for record in records]
        said = f"the cache sent the origin {', '.join(kinds)}: {fetched} octets"
        said += f" for {client_octets} to the client ({ratio:.4g} per client octet)"
    costly = amplification_info is not None and ratio > amplification_info
    finding = Finding(
        "upstream",
        Grade.INFO if costly else Grade.PASS,
        said + ("; legal, but costly" if costly else ""),
        rfc="RFC 9111 §3.3" if costly else None,
        expected=f"at most {amplification_info:g} per client octet" if costly else None,
        actual=f"{ratio:.4g}" if costly else None,
    )
    figures = (
        ("upstream_requests", float(len(records))),
        ("upstream_octets", float(fetched)),
        ("upstream_per_client_octet", round(ratio, 3)),
    )
    return finding, figures


def combined_parts(
    before: Sequence[Upstream], during: Sequence[Upstream], status: int | None, length: int
) -> Finding | None:
    """A FAIL when the answer came from stored parts alone although the origin never sent the
    representation whole: the parts carry only a weak validator, and combining them needs a
    strong one (RFC 9111 §3.4). None when the origin took part, or had sent it whole before."""
    if during or status not in (200, 206):
        return None
    for record in before:
        whole = record.range is None or single_range(record.range, length) == (0, length - 1)
        if whole and record.method == "GET" and record.status in (200, 206) and record.complete:
            return None
    return Finding(
        "upstream", Grade.FAIL,
        "answered from stored parts alone, which carry only a weak ETag: combining parts "
        "needs a strong validator (RFC 9111 §3.4)",
        level=Level.MUST, rfc="RFC 9111 §3.4",
        expected="a request to the origin (the parts may not be combined)",
        actual="nothing reached the origin",
    )  # fmt: skip
