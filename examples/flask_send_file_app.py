"""What most Flask apps do: serve files with `flask.send_file(path, conditional=True)`.

Check it in-process, at the reference server's paths, with
`range-conformance --targets examples/flask-send-file.targets.yaml`. The README's comparison
table and `tests/mutants/test_flask_send_file.py` come from this app.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import flask
from flask import Flask, abort, redirect, request
from flask.typing import ResponseReturnValue
from werkzeug.security import safe_join

from reference_server.fixtures import build_fixtures, default_fixtures_dir


def create_app(files_dir: Path | None = None) -> Flask:
    """The fixture directory behind `flask.send_file`. /weak and /dynamic go through the same
    `make_conditional` call send_file makes, with a weak ETag and with no validators."""
    if files_dir is None:
        files_dir = build_fixtures(default_fixtures_dir())
    app = Flask(__name__)

    def resolve(name: str) -> str:
        path = safe_join(os.fspath(files_dir), name)
        if path is None or not os.path.isfile(path):
            abort(404)
        return path

    @app.route("/files/<path:name>", methods=["GET", "HEAD"])
    def files(name: str) -> ResponseReturnValue:
        return flask.send_file(resolve(name), conditional=True)

    @app.route("/weak/<path:name>", methods=["GET", "HEAD"])
    def weak(name: str) -> ResponseReturnValue:
        path = resolve(name)
        size = os.path.getsize(path)
        response = flask.send_file(path, conditional=False, etag=False)
        response.set_etag(f"sf-{int(os.path.getmtime(path))}-{size}", weak=True)
        return response.make_conditional(request.environ, accept_ranges=True, complete_length=size)

    @app.route("/dynamic/<path:name>", methods=["GET", "HEAD"])
    def dynamic(name: str) -> ResponseReturnValue:
        data = Path(resolve(name)).read_bytes()
        return flask.send_file(
            io.BytesIO(data), mimetype="application/octet-stream", conditional=True, etag=False
        )

    @app.route("/redirect/<path:name>", methods=["GET", "HEAD"])
    def moved(name: str) -> ResponseReturnValue:
        return redirect(f"/files/{name}", 301)

    return app
