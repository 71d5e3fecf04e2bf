"""Text from a server or a case file, made safe where a report puts it: in HTML (escaped, with
control characters spelt out, so a hostile header renders as text) or in a Markdown table cell
or list item (on one line, Markdown's own characters escaped). One copy of each, for every
report and for the scorecard's pages."""

from __future__ import annotations

import html
import re

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_MARKDOWN = "\\`*_[]<>|#"


def visible(value: object) -> str:
    """str(value) with control characters and lone surrogates spelt out as escapes."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()) & 0xFF:02x}", text)


def esc(value: object) -> str:
    """Text for HTML, attribute values included."""
    return html.escape(visible(value), quote=True)


def markdown_text(value: object) -> str:
    """Text for a Markdown table cell or list item: one line, nothing Markdown would read."""
    out = " ".join(visible(value).split())
    for char in _MARKDOWN:
        out = out.replace(char, "\\" + char)
    return out
