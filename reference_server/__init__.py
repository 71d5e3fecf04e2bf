"""Reference server: its own RFC 9110 §14 range engine behind two front doors, a Flask app
(`create_app`, `send_file_ranged` for any Flask view) and a plain WSGI app (`create_wsgi_app`).

It shares no parsing code with the conformance harness, so a bug in one cannot make the suite
agree with itself.
"""

from __future__ import annotations

from .app import create_app, create_blueprint
from .fixtures import FIXTURE_ROLES, build_fixtures
from .flask_helper import send_file_ranged
from .thread_server import BundledServer, serve_bundled, serve_in_thread
from .wsgi import create_wsgi_app

__all__ = [
    "FIXTURE_ROLES",
    "BundledServer",
    "build_fixtures",
    "create_app",
    "create_blueprint",
    "create_wsgi_app",
    "send_file_ranged",
    "serve_bundled",
    "serve_in_thread",
]
