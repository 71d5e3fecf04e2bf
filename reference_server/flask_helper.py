"""send_file_ranged: Flask's send_file with RFC 9110 range and conditional handling of its own.

Works inside any Flask view (reads `flask.request`); the answer itself comes from
`reference_server.engine`, the engine the plain WSGI app uses too.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from flask import Response, abort, request
from werkzeug.datastructures import Headers

from .engine import FileOptions, answer_file

__all__ = ["send_file_ranged"]


class RangedResponse(Response):
    """Keeps Last-Modified on a 304, which Werkzeug strips with the other entity headers.

    RFC 9110 §15.4.5 lets a 304 carry metadata that guides cache updates, Last-Modified included.
    """

    def get_wsgi_headers(self, environ: Any) -> Headers:
        headers = super().get_wsgi_headers(environ)
        last_modified = self.headers.get("Last-Modified")
        if self.status_code == 304 and last_modified is not None:
            headers["Last-Modified"] = last_modified
        return headers


def send_file_ranged(
    path: str | os.PathLike[str],
    *,
    mimetype: str | None = None,
    etag: str | bool = True,
    last_modified: datetime | bool | None = None,
    max_age: int | None = 3600,
    weak_etag: bool = False,
) -> Response:
    """Answer the current request with the file at `path`, honouring Range and preconditions.

    `etag`: True derives a strong tag from size and mtime, a string is used as given, False
    sends none. `last_modified`: None (or True) uses the file's mtime, False sends none.
    A sibling `<path>.gz` is served with `Content-Encoding: gzip` to clients that accept it.
    """
    options = FileOptions(
        mimetype=mimetype,
        etag=etag,
        last_modified=last_modified,
        max_age=max_age,
        weak_etag=weak_etag,
    )
    answer = answer_file(os.fspath(path), request.environ, options)
    if answer is None:
        abort(404)  # removed between the route's check and now
    # The body is final (it closes its own file), so Werkzeug must pass it through untouched.
    return RangedResponse(answer.body, answer.status, answer.headers, direct_passthrough=True)
