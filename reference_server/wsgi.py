"""The reference server as a plain WSGI callable: the Flask app's routes and answers, without
Flask's per-request machinery (request context, URL map, Response objects).

Every file answer comes from `reference_server.engine`, as in the Flask app; the front door
here only routes by prefix. It is what `python -m reference_server --app wsgi` serves, for
deployments where each microsecond of a tiny range counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .engine import Answer, FileOptions, answer_file
from .paths import plain_path, resolve_file

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication

__all__ = ["create_wsgi_app"]

# Route prefix -> how its files are presented (the Flask app's /files/, /weak/, /dynamic/).
_ROUTES: dict[str, FileOptions] = {
    "/files/": FileOptions(),
    "/weak/": FileOptions(weak_etag=True),
    # Like generated content: no validator, so If-Range can never match (RFC 9110 §13.1.5).
    "/dynamic/": FileOptions(etag=False, last_modified=False),
}
_REDIRECT = "/redirect/"
_ALLOW = "GET, HEAD, OPTIONS"
_REASONS = {
    200: "OK",
    206: "Partial Content",
    301: "Moved Permanently",
    304: "Not Modified",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    416: "Range Not Satisfiable",
}
_STATUS_LINES = {status: f"{status} {reason}" for status, reason in _REASONS.items()}


def _text(
    start_response: StartResponse,
    status: int,
    text: str,
    fields: list[tuple[str, str]] | None = None,
    method: str = "GET",
) -> Iterable[bytes]:
    body = text.encode()
    start_response(
        _STATUS_LINES[status],
        [
            *(fields or []),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [] if method == "HEAD" else [body]


def _split(path_info: str) -> tuple[str, str] | None:
    """(route prefix, file name) for a path under one of the routes, else None."""
    for prefix in (*_ROUTES, _REDIRECT):
        if path_info.startswith(prefix):
            return prefix, path_info[len(prefix) :]
    return None


def _utf8(path_info: str) -> str:
    """PEP 3333 hands over the URL's octets as latin-1 text; file names are UTF-8, as Flask
    (Werkzeug) decodes them. A server that decoded them already is taken at its word."""
    try:
        return path_info.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return path_info


def create_wsgi_app(files_dir: Path) -> WSGIApplication:
    """A WSGI app serving `files_dir` under /files/, /weak/, /dynamic/ and /redirect/."""
    root = os.fspath(files_dir)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path_info = environ.get("PATH_INFO", "")
        if not path_info.isascii():
            path_info = _utf8(path_info)
        route = _split(path_info)
        if route is None:
            return _text(start_response, 404, "Not Found\n", method=method)
        prefix, name = route
        if method not in ("GET", "HEAD"):
            if method == "OPTIONS":
                start_response("200 OK", [("Allow", _ALLOW), ("Content-Length", "0")])
                return []
            return _text(start_response, 405, "Method Not Allowed\n", [("Allow", _ALLOW)])
        if prefix != _REDIRECT and (plain := plain_path(root, name)) is not None:
            # The common case: one plain name, opened without following symlinks.
            answer = answer_file(plain, environ, _ROUTES[prefix], follow_symlinks=False)
            if answer is not None:
                return _send(start_response, answer)
        path = resolve_file(root, name)  # anything else, symlinks within the directory too
        if path is None:
            return _text(start_response, 404, "Not Found\n", method=method)
        if prefix == _REDIRECT:
            # Only to what exists, so no Location ever carries "../" (see resolve_file).
            location = environ.get("SCRIPT_NAME", "") + "/files/" + quote(name)
            fields = [("Location", location)]
            return _text(start_response, 301, "Moved Permanently\n", fields, method=method)
        answer = answer_file(path, environ, _ROUTES[prefix])
        if answer is None:
            return _text(start_response, 404, "Not Found\n", method=method)
        return _send(start_response, answer)

    return app


def _send(start_response: StartResponse, answer: Answer) -> Iterable[bytes]:
    start_response(_STATUS_LINES[answer.status], answer.headers)
    return answer.body
