"""Serve a WSGI app with a production server: gunicorn (the default choice), granian or waitress.

Why gunicorn: its `wsgi.file_wrapper` sends a file body with `sendfile(2)` from the
descriptor's current offset for exactly `Content-Length` octets (gunicorn/http/wsgi.py,
`Response.sendfile`), and its non-sendfile path (TLS, `--no-sendfile`) clips what it writes at
`Content-Length`. So `send_file_ranged` can hand it the real descriptor positioned at the first
octet of a range and the kernel copies the range straight from the page cache to the socket.
The `gthread` worker keeps connections alive and serves many slow clients per process.

Why granian: its HTTP/1.1 parser and connection handling are Rust, so a request costs the app's
Python and little else: for tiny ranges, where per-request overhead is all there is, it serves
several times more requests per second than gunicorn (benchmarks/README.md). It offers no
`wsgi.file_wrapper`, so bodies past one chunk are read by Python in 64 KiB chunks; from 1 MiB
on, gunicorn's sendfile and granian's chunks move octets at about the same rate here.

waitress is the pure-Python alternative (Windows too). It has no sendfile; its file wrapper
reads the file in its own I/O thread, bounded by Content-Length.

`serve_production(app, server=...)` blocks until SIGINT/SIGTERM. It is what
`python -m reference_server --server gunicorn|granian|waitress` runs.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .thread_server import netloc

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["SERVERS", "ServerOptions", "default_options", "serve_production"]

SERVERS = ("gunicorn", "granian", "waitress")


@dataclass(frozen=True)
class ServerOptions:
    """How many processes and threads; the same for every server so benchmarks compare apps.

    gunicorn: `workers` processes (gthread worker) of `threads` threads each. granian:
    `workers` processes, each running the app in `threads` Python threads. waitress has one
    process: `threads` threads.
    """

    workers: int
    threads: int
    keepalive: int = 5  # seconds an idle keep-alive connection is held (gunicorn)


def default_options() -> ServerOptions:
    """One worker per CPU (at least 2), 32 threads each: 50 concurrent streams all in flight."""
    return ServerOptions(workers=max(2, os.cpu_count() or 1), threads=32)


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
        ready(f"http://{netloc(bound_host, bound_port)}")

    settings: dict[str, object] = {
        "bind": [netloc(host, port)],
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


# What granian's workers serve, and how the first of them announces it. Workers are forked from
# this process (see _serve_granian), so they inherit these instead of importing them by name.
_granian_app: WSGIApplication | None = None
_granian_announce: tuple[str, int, Callable[[str], None], Any] | None = None


def _granian_target() -> WSGIApplication:
    """Run in each worker: hand granian the app, and announce the URL once it answers.

    The announcing thread starts here, after the fork: a thread alive in the master while
    granian forks can leave a worker holding a lock no thread will ever release.
    """
    assert _granian_app is not None, "granian worker started without an app"
    if _granian_announce is not None:
        threading.Thread(
            target=_announce_when_listening, args=_granian_announce, daemon=True
        ).start()
    return _granian_app


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _serve_granian(
    app: WSGIApplication,
    host: str,
    port: int,
    options: ServerOptions,
    ready: Callable[[str], None],
) -> None:
    global _granian_app, _granian_announce
    granian: Any = importlib.import_module("granian.server")
    constants: Any = importlib.import_module("granian.constants")
    levels: Any = importlib.import_module("granian.log").LogLevels
    # granian binds in Rust and does not say which port the OS picked: for port 0, pick one
    # here (a port freed a moment ago; another process taking it in between makes bind fail).
    port = port or _free_port(host)
    # Fork, so workers inherit `app` (an object, not an import path); granian uses the
    # process-wide start method.
    multiprocessing.set_start_method("fork", force=True)
    _granian_app = app
    _granian_announce = (host, port, ready, multiprocessing.Value("b", 0))
    server: Any = granian.Server(
        target="reference_server",  # a label only: _granian_target supplies the app
        address=host,
        port=port,
        interface=constants.Interfaces.WSGI,
        http=constants.HTTPModes.http1,
        workers=options.workers,
        blocking_threads=options.threads,
        log_level=levels.warning,
        process_name=None,
    )
    server.serve(target_loader=_granian_target, wrap_loader=False)


def _announce_when_listening(
    host: str, port: int, ready: Callable[[str], None], announced: Any, timeout: float = 60
) -> None:
    """Call `ready` once the port takes connections (on Linux each granian worker binds it
    itself, with SO_REUSEPORT), and only in the first worker to get there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
            continue
        with announced.get_lock():
            if announced.value:
                return
            announced.value = 1
        ready(f"http://{netloc(host, port)}")
        return


def _serve_waitress(
    app: WSGIApplication,
    host: str,
    port: int,
    options: ServerOptions,
    ready: Callable[[str], None],
) -> None:
    create_server: Any = importlib.import_module("waitress.server").create_server
    server: Any = create_server(app, host=host, port=port, threads=options.threads, ident=None)
    ready(f"http://{netloc(host, server.effective_port)}")
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
    elif server == "granian":
        if sys.platform == "win32":
            raise RuntimeError(
                "this granian setup forks its workers (POSIX); use --server waitress"
            )
        _serve_granian(app, host, port, chosen, ready)
    elif server == "waitress":
        _serve_waitress(app, host, port, chosen, ready)
    else:
        raise ValueError(f"unknown server {server!r}; choose one of {', '.join(SERVERS)}")
