"""Serve a WSGI app with a production server: gunicorn (the default choice) or waitress.

Why gunicorn: its `wsgi.file_wrapper` sends a file body with `sendfile(2)` from the
descriptor's current offset for exactly `Content-Length` octets (gunicorn/http/wsgi.py,
`Response.sendfile`), and its non-sendfile path (TLS, `--no-sendfile`) clips what it writes at
`Content-Length`. So `send_file_ranged` can hand it the real descriptor positioned at the first
octet of a range and the kernel copies the range straight from the page cache to the socket.
The `gthread` worker keeps connections alive and serves many slow clients per process.

waitress is the pure-Python alternative (Windows too). It has no sendfile; its file wrapper
reads the file in its own I/O thread, bounded by Content-Length.

`serve_production(app, server=...)` blocks until SIGINT/SIGTERM. It is what
`python -m reference_server --server gunicorn|waitress` runs.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["SERVERS", "ServerOptions", "default_options", "serve_production"]

SERVERS = ("gunicorn", "waitress")


@dataclass(frozen=True)
class ServerOptions:
    """How many processes and threads; the same for every server so benchmarks compare apps.

    gunicorn: `workers` processes (gthread worker) of `threads` threads each. waitress has one
    process: `threads` threads.
    """

    workers: int
    threads: int
    keepalive: int = 5  # seconds an idle keep-alive connection is held (gunicorn)


def default_options() -> ServerOptions:
    """One worker per CPU (at least 2), 32 threads each: 50 concurrent streams all in flight."""
    return ServerOptions(workers=max(2, os.cpu_count() or 1), threads=32)


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _serve_gunicorn(
    app: WSGIApplication,
    host: str,
    port: int,
    options: ServerOptions,
    ready: Callable[[str], None],
) -> None:
    # Imported by name: both servers are optional and neither ships type information.
    base_application: Any = importlib.import_module("gunicorn.app.base").BaseApplication

    def when_ready(arbiter: Any) -> None:  # in the master, once the socket is bound
        bound_host, bound_port = arbiter.LISTENERS[0].sock.getsockname()[:2]
        ready(f"http://{_netloc(bound_host, bound_port)}")

    settings: dict[str, object] = {
        "bind": [_netloc(host, port)],
        "workers": options.workers,
        "worker_class": "gthread",
        "threads": options.threads,
        "keepalive": options.keepalive,
        # "sendfile" is left unset: it is gunicorn's --no-sendfile flag, and any value given
        # to it, True included, turns sendfile off (gunicorn/config.py, Config.sendfile).
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "graceful_timeout": 5,
        "proc_name": "reference-server",
        "when_ready": when_ready,
    }

    class _Application(base_application):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> WSGIApplication:
            return app

    _Application().run()


def _serve_waitress(
    app: WSGIApplication,
    host: str,
    port: int,
    options: ServerOptions,
    ready: Callable[[str], None],
) -> None:
    create_server: Any = importlib.import_module("waitress.server").create_server
    server: Any = create_server(app, host=host, port=port, threads=options.threads, ident=None)
    ready(f"http://{_netloc(host, server.effective_port)}")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _print_ready(base_url: str) -> None:
    print(f"Serving at {base_url}", flush=True)


def serve_production(
    app: WSGIApplication,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    server: str = "gunicorn",
    options: ServerOptions | None = None,
    ready: Callable[[str], None] = _print_ready,
) -> None:
    """Serve `app` with `server` until interrupted; call `ready(base_url)` once it listens.

    Port 0 lets the OS pick a free port; `ready` receives the one it picked. gunicorn forks
    worker processes, so call this from a main thread (a subprocess in tests), never a thread.
    """
    chosen = options or default_options()
    if server == "gunicorn":
        if sys.platform == "win32":
            raise RuntimeError("gunicorn needs a POSIX system; use --server waitress")
        _serve_gunicorn(app, host, port, chosen, ready)
    elif server == "waitress":
        _serve_waitress(app, host, port, chosen, ready)
    else:
        raise ValueError(f"unknown server {server!r}; choose one of {', '.join(SERVERS)}")
