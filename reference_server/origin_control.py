"""The origin's JSON control path: read one operation, check its fields, run it, answer in JSON.

The origin keeps its state; the wire format of its control lives here. The Origin comes in
as an argument (imported for type checking only), so the two modules import in one direction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .origin_faults import status_line

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .origin import Origin

__all__ = [
    "DEFAULT_CACHE_CONTROL",
    "DEFAULT_CONTENT_TYPE",
    "ControlError",
    "check_field",
    "json_answer",
    "read_json",
    "run_operation",
    "show",
]

# What a put has when it does not say; Origin.put takes the same defaults.
DEFAULT_CACHE_CONTROL = "public, max-age=3600"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_MAX_CONTROL_BODY = 64 * 1024
_FIELD_VALUE = re.compile(r"[\x20-\x7e]*")  # visible ASCII and SP: no header injection

_OP_FIELDS: dict[str, frozenset[str]] = {
    "put": frozenset(
        (
            "path",
            "size",
            "version",
            "etag",
            "last_modified",
            "cache_control",
            "content_type",
            "vary",
            "gzip",
            "chunked",
        )
    ),
    "replace": frozenset(("path", "version")),
    "fault": frozenset(("path", "kind", "after", "status", "count")),
    "log": frozenset(("path",)),
    "clear_log": frozenset(),
}


class ControlError(Exception):
    """A control request the origin refuses; `status` is the HTTP status it answers with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def run_operation(origin: Origin, request: dict[str, Any]) -> dict[str, Any]:
    """Run one control operation from its JSON object on `origin`; the JSON reply."""
    fields = dict(request)
    op = fields.pop("op", None)
    if not isinstance(op, str):
        raise ControlError("missing field 'op' (a string)")
    if op not in _OP_FIELDS:
        raise ControlError(f"unknown op {show(op)}; one of {', '.join(_OP_FIELDS)}")
    unknown = sorted(set(fields) - _OP_FIELDS[op])
    if unknown:
        raise ControlError(f"op {op!r} takes no field {unknown[0]!r}")
    if op == "put":
        return origin.put(
            _text_field(fields, "path"),
            _int_field(fields, "size"),
            version=_int_field(fields, "version", 1),
            etag=_text_field(fields, "etag", "strong"),
            last_modified=_flag_field(fields, "last_modified", True),
            cache_control=_optional_text_field(fields, "cache_control", DEFAULT_CACHE_CONTROL),
            content_type=_text_field(fields, "content_type", DEFAULT_CONTENT_TYPE),
            vary=_optional_text_field(fields, "vary", None),
            gzip=_flag_field(fields, "gzip", False),
            chunked=_flag_field(fields, "chunked", False),
        ).to_json()
    if op == "replace":
        version = _optional_int_field(fields, "version")
        return origin.replace(_text_field(fields, "path"), version).to_json()
    if op == "fault":
        origin.fault(
            _text_field(fields, "path"),
            _text_field(fields, "kind"),
            after=_optional_int_field(fields, "after"),
            status=_optional_int_field(fields, "status"),
            count=_int_field(fields, "count", 1),
        )
        return {"ok": True}
    if op == "log":
        path = _optional_text_field(fields, "path", None)
        return {"requests": [entry.to_json() for entry in origin.log(path)]}
    origin.clear_log()  # the only op left
    return {"ok": True}


def read_json(environ: WSGIEnvironment) -> dict[str, Any]:
    """The control request's body: one JSON object, of at most 64 KiB."""
    stream = environ["wsgi.input"]
    length_text = environ.get("CONTENT_LENGTH") or ""
    if length_text:
        if not length_text.isdigit():
            raise ControlError("bad Content-Length")
        length = int(length_text)
        if length > _MAX_CONTROL_BODY:
            raise ControlError("the control body is over 64 KiB", 413)
        data = stream.read(length) if length else b""
    elif environ.get("wsgi.input_terminated"):  # a chunked request body
        data = stream.read(_MAX_CONTROL_BODY + 1)
        if len(data) > _MAX_CONTROL_BODY:
            raise ControlError("the control body is over 64 KiB", 413)
    else:
        data = b""
    try:
        value = json.loads(data)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError alike
        raise ControlError("the body is not JSON") from None
    if not isinstance(value, dict):
        raise ControlError("the body must be a JSON object")
    return value


def json_answer(
    start_response: StartResponse,
    status: int,
    payload: dict[str, Any],
    fields: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    """The control path's answer: `payload` as JSON, never stored by a cache."""
    body = json.dumps(payload).encode()
    start_response(
        status_line(status),
        [
            *(fields or []),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
    )
    return [body]


def check_field(name: str, value: str | None, *, optional: bool) -> None:
    """Refuse a header field value a put would send that is empty or not visible ASCII."""
    if value is None and optional:
        return
    if not isinstance(value, str) or not value or _FIELD_VALUE.fullmatch(value) is None:
        raise ControlError(f"{name} must be a field value of visible ASCII, not {show(value)}")


def show(value: object) -> str:
    """A value for an error message, cut to 60 characters: a client sent it, any size."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# JSON fields, checked for type: absent or null takes the default; a bool is never an integer.


def _int_field(fields: dict[str, Any], name: str, default: int | None = None) -> int:
    value = _optional_int_field(fields, name)
    if value is not None:
        return value
    if default is None:
        raise ControlError(f"missing field {name!r} (an integer)")
    return default


def _optional_int_field(fields: dict[str, Any], name: str) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ControlError(f"field {name!r} must be an integer, not {show(value)}")
    return value


def _text_field(fields: dict[str, Any], name: str, default: str | None = None) -> str:
    value = _optional_text_field(fields, name, default)
    if value is None:
        raise ControlError(f"missing field {name!r} (a string)")
    return value


def _optional_text_field(fields: dict[str, Any], name: str, default: str | None) -> str | None:
    if name not in fields:
        return default
    value = fields[name]
    if value is not None and not isinstance(value, str):
        raise ControlError(f"field {name!r} must be a string, not {show(value)}")
    return value


def _flag_field(fields: dict[str, Any], name: str, default: bool) -> bool:
    value = fields.get(name, default)
    if not isinstance(value, bool):
        raise ControlError(f"field {name!r} must be true or false, not {show(value)}")
    return value
