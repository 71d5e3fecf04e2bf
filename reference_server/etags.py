"""Entity-tags: parsing and the two comparison functions (RFC 9110 §8.8.3).

Pure. Parsers return None on malformed input; nothing here raises on what a client sends.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

__all__ = ["EntityTag", "parse_entity_tag", "parse_entity_tag_list", "strong_match", "weak_match"]

# entity-tag = [ weak ] opaque-tag ; weak = %s"W/" ; opaque-tag = DQUOTE *etagc DQUOTE
# etagc = %x21 / %x23-7E / obs-text   (header text arrives latin-1 decoded, so obs-text is 80-FF)
_ENTITY_TAG = re.compile(r'(?P<weak>W/)?"(?P<opaque>[\x21\x23-\x7e\x80-\xff]*)"')
# After a tag: OWS, then a comma or the end. Matched in place, never by slicing the rest off,
# so a 64 KB list of tags costs linear time, not quadratic.
_AFTER_TAG = re.compile(r"[ \t]*(?:,|\Z)")


class EntityTag(NamedTuple):
    """One entity-tag; `opaque` is the text between the quotes. A named tuple: every answer
    makes one, and a tuple is built in half the time of a frozen dataclass."""

    opaque: str
    weak: bool = False

    def __str__(self) -> str:
        return ('W/"' if self.weak else '"') + self.opaque + '"'


def parse_entity_tag(text: str) -> EntityTag | None:
    """Parse exactly one entity-tag (surrounding OWS allowed), or return None."""
    match = _ENTITY_TAG.fullmatch(text.strip(" \t"))
    if match is None:
        return None
    return EntityTag(match["opaque"], weak=match["weak"] is not None)


def parse_entity_tag_list(value: str) -> Literal["*"] | tuple[EntityTag, ...] | None:
    """Parse an If-Match / If-None-Match value: `"*" / #entity-tag` (RFC 9110 §13.1.1-2).

    Empty list elements are skipped (§5.6.1.2); any malformed element makes the whole value None.
    """
    text = value.strip(" \t")
    if text == "*":
        return "*"
    tags: list[EntityTag] = []
    position = 0
    while position < len(text):
        if text[position] in ", \t":  # separators and OWS between elements
            position += 1
            continue
        match = _ENTITY_TAG.match(text, position)
        if match is None:
            return None
        tags.append(EntityTag(match["opaque"], weak=match["weak"] is not None))
        if _AFTER_TAG.match(text, match.end()) is None:  # tags must be separated by a comma
            return None
        position = match.end()
    return tuple(tags) if tags else None


def strong_match(a: EntityTag, b: EntityTag) -> bool:
    """RFC 9110 §8.8.3.2: both strong and the opaque tags identical, octet by octet."""
    return not a.weak and not b.weak and a.opaque == b.opaque


def weak_match(a: EntityTag, b: EntityTag) -> bool:
    """RFC 9110 §8.8.3.2: the opaque tags identical, whatever either tag's weakness."""
    return a.opaque == b.opaque
