"""Serve a user's WSGI app on a free loopback port for one run (`--target-app MODULE:APP`).

Uses Werkzeug's threaded server (Flask brings it), started the way the reference server starts
itself: good enough for a conformance run, and the server the app's developers use locally.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from conformance.errors import TargetError
from conformance.options import Settings, rooted

WSGIApp = Callable[..., Any]


def load_wsgi_app(spec: str) -> WSGIApp:
    """`package.module:app` (or `module:create_app()` for a factory with no arguments)."""
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise TargetError(f"--target-app {spec!r}: write MODULE:APP, e.g. myproject.wsgi:app")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as gunicorn and flask run do: the app lives here
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise TargetError(f"--target-app {spec!r}: cannot import {module_name}: {error}") from None
    factory = attribute.endswith("()")
    name = attribute.removesuffix("()")
    app = getattr(module, name, None)
    if app is None:
        raise TargetError(f"--target-app {spec!r}: {module_name} has no attribute {name!r}")
    if factory:
        app = app()
    if not callable(app):
        raise TargetError(f"--target-app {spec!r}: {attribute} is not a WSGI application")
    return app  # type: ignore[no-any-return]


def serve_target_app(settings: Settings, stack: ExitStack) -> Settings:
    """With --target-app, serve that app in-process until `stack` closes, and put the settings'
    path-only URLs under it; otherwise the settings as they are."""
    if not settings.target_app:
        return settings
    # The reference server's threaded Werkzeug runner: a server, not a parser (they share none).
    from reference_server import serve_in_thread

    base_url = stack.enter_context(serve_in_thread(load_wsgi_app(settings.target_app)))
    return rooted(settings, base_url)
