"""Run a WSGI app on a real socket in a background thread (the pytest-httpbin pattern).

Used by tests, by the harness CLI (`serve_bundled`) and by `python -m reference_server`.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import create_app
from .fixtures import FIXTURE_ROLES, build_fixtures, default_fixtures_dir, role_files


def netloc(host: str, port: int) -> str:
    """`host:port` for a URL, an IPv6 address in brackets (RFC 3986 §3.2.2)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["BundledServer", "serve_bundled", "serve_in_thread"]


class _QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the per-request log line (tests make thousands)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass  # e.g. "code 431, message Line too long" for the DoS probes: already in the answer


@contextmanager
def serve_in_thread(
    app: WSGIApplication,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    quiet: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> Iterator[str]:
    """Serve `app` from a daemon thread; yield its base URL (https with an `ssl_context`) and
    shut it down on exit.

    Port 0 lets the OS pick a free port.
    """
    handler = _QuietRequestHandler if quiet else None
    server = make_server(
        host, port, app, threaded=True, request_handler=handler, ssl_context=ssl_context
    )
    # A short poll interval so shutdown() returns quickly (tests start many servers).
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="reference-server",
        daemon=True,
    )
    thread.start()
    try:
        scheme = "https" if ssl_context is not None else "http"
        yield f"{scheme}://{netloc(host, server.server_port)}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass(frozen=True)
class BundledServer:
    """A running reference server over the bundled fixtures."""

    base_url: str
    urls: dict[str, str]  # role -> absolute URL (every role in FIXTURE_ROLES)
    files: dict[str, Path]  # role -> local fixture file, for roles backed by one


@contextmanager
def serve_bundled(
    files_dir: Path | None = None, host: str = "127.0.0.1", port: int = 0
) -> Iterator[BundledServer]:
    """Build the fixtures (in a per-user cache unless `files_dir`) and serve them."""
    directory = build_fixtures(files_dir if files_dir is not None else default_fixtures_dir())
    with serve_in_thread(create_app(directory), host, port) as base_url:
        yield BundledServer(
            base_url=base_url,
            urls={role: base_url + path for role, path in FIXTURE_ROLES.items()},
            files=role_files(directory),
        )
