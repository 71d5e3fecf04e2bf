"""Accept-Encoding: does the client take gzip? (RFC 9110 §12.5.3, §12.4.2)

Pure. Malformed list members are skipped, never fatal: a client that garbles the field still gets
the identity representation, which every client accepts.
"""

from __future__ import annotations

import re

__all__ = ["accepts_gzip", "parse_accept_encoding"]

# codings [ weight ] ; weight = OWS ";" OWS "q=" qvalue
_MEMBER = re.compile(
    r"(?P<coding>[!#$%&'*+\-.^_`|~0-9A-Za-z]+)"
    r"(?:[ \t]*;[ \t]*[qQ]=(?P<q>0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?))?",
    re.ASCII,
)


def parse_accept_encoding(value: str) -> dict[str, float]:
    """Map each (lower-cased) coding named in the field to its weight; 1.0 when none is given."""
    weights: dict[str, float] = {}
    for member in value.split(","):
        match = _MEMBER.fullmatch(member.strip(" \t"))
        if match is None:
            continue
        weights[match["coding"].lower()] = float(match["q"]) if match["q"] else 1.0
    return weights


def accepts_gzip(value: str | None) -> bool:
    """True when the field names gzip (or its alias x-gzip, or "*") with a non-zero weight."""
    if value is None:
        return False  # no field: any coding is acceptable, but identity is the safe choice
    weights = parse_accept_encoding(value)
    for name in ("gzip", "x-gzip"):
        if name in weights:
            return weights[name] > 0
    return weights.get("*", 0.0) > 0
