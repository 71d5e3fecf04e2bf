"""The reference server: a Flask app (or blueprint) serving a directory with full range support.

Routes: /files/ (strong ETag), /weak/ (weak ETag), /dynamic/ (no validators), /redirect/ (301 to
/files/). Only GET and HEAD are routed; Flask answers other methods 405 with Allow.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, redirect, url_for

from .fixtures import build_fixtures, default_fixtures_dir
from .flask_helper import send_file_ranged
from .paths import resolve_file

__all__ = ["create_app", "create_blueprint"]

_METHODS = ["GET", "HEAD"]
# No slash merging: "/files//etc/passwd" must be a 404 of its own, not a redirect that rewrites
# an absolute path into a relative one inside the directory.
_RULE_OPTIONS = {"methods": _METHODS, "merge_slashes": False}


def _resolve(files_dir: Path, name: str) -> str:
    """The regular file `name` names inside `files_dir`, or abort with 404."""
    path = resolve_file(os.fspath(files_dir), name)
    if path is None:
        abort(404)
    return path


def create_blueprint(files_dir: Path, name: str = "reference_server") -> Blueprint:
    """A blueprint serving `files_dir`, to mount in any Flask app (optionally under a prefix)."""
    blueprint = Blueprint(name, __name__)

    @blueprint.route("/files/<path:name>", **_RULE_OPTIONS)
    def files(name: str) -> Response:
        return send_file_ranged(_resolve(files_dir, name))

    @blueprint.route("/weak/<path:name>", **_RULE_OPTIONS)
    def weak(name: str) -> Response:
        return send_file_ranged(_resolve(files_dir, name), weak_etag=True)

    @blueprint.route("/dynamic/<path:name>", **_RULE_OPTIONS)
    def dynamic(name: str) -> Response:
        # Like generated content: no validator, so If-Range can never match (RFC 9110 §13.1.5).
        return send_file_ranged(_resolve(files_dir, name), etag=False, last_modified=False)

    @blueprint.route("/redirect/<path:name>", **_RULE_OPTIONS)
    def moved(name: str) -> Response:
        _resolve(files_dir, name)  # only point at what exists: no Location with "../" in it
        return redirect(url_for(".files", name=name), 301)  # type: ignore[return-value]

    return blueprint


def create_app(files_dir: Path | None = None) -> Flask:
    """Build the reference server app; without `files_dir`, serve freshly built fixtures."""
    if files_dir is None:
        files_dir = build_fixtures(default_fixtures_dir())
    app = Flask(__name__)
    app.config["FILES_DIR"] = Path(files_dir)
    app.register_blueprint(create_blueprint(Path(files_dir)))
    return app
