"""Serve a user's WSGI app on a free loopback port for one run (`--target-app MODULE:APP`).

Uses Werkzeug's threaded server (Flask brings it): good enough for a conformance run, and the
same server the app's developers use locally.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
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


@contextmanager
def serve_wsgi(app: WSGIApp, host: str = "127.0.0.1", ssl_context: Any = None) -> Iterator[str]:
    """Run `app` in a daemon thread on a free port; yield its base URL; stop it afterwards."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

        def log_error(self, *args: Any) -> None:
            pass

    server = make_server(
        host, 0, app, threaded=True, request_handler=Quiet, ssl_context=ssl_context
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        scheme = "https" if ssl_context is not None else "http"
        yield f"{scheme}://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def serve_target_app(settings: Settings, stack: ExitStack) -> Settings:
    """With --target-app, serve that app in-process until `stack` closes, and put the settings'
    path-only URLs under it; otherwise the settings as they are."""
    if not settings.target_app:
        return settings
    base_url = stack.enter_context(serve_wsgi(load_wsgi_app(settings.target_app)))
    return rooted(settings, base_url)
