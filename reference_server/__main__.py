"""`python -m reference_server [DIR] [--host H] [--port P] [--server S] [--app A]`: serve DIR
(default: the fixtures) with Werkzeug's development server, or with gunicorn, granian or
waitress (`--server`); as the Flask app (default) or the plain WSGI app (`--app wsgi`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from werkzeug.serving import make_server

from .app import create_app
from .fixtures import FIXTURE_ROLES, build_fixtures, default_fixtures_dir
from .production import SERVERS, ServerOptions, default_options, serve_production
from .thread_server import netloc
from .wsgi import create_wsgi_app

_APPS = {"flask": create_app, "wsgi": create_wsgi_app}


def _announce(directory: Path, base_url: str, bundled: bool) -> None:
    print(f"Serving {directory} at {base_url}/files/", flush=True)
    if bundled:
        for role, path in FIXTURE_ROLES.items():
            print(f"  {role:<9} {base_url}{path}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C; print the base URL and, for the bundled fixtures, each role's URL."""
    parser = argparse.ArgumentParser(prog="python -m reference_server", description=__doc__)
    parser.add_argument("directory", nargs="?", type=Path, help="directory to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument(
        "--server",
        choices=("werkzeug", *SERVERS),
        default="werkzeug",
        help="werkzeug: the development server (default); gunicorn: production, zero-copy "
        "single ranges (POSIX); granian: production, Rust HTTP, fastest for small ranges "
        "(POSIX); waitress: production, pure Python",
    )
    parser.add_argument(
        "--app",
        choices=tuple(_APPS),
        default="flask",
        help="flask: the Flask app (default); wsgi: the same answers without Flask's "
        "per-request work",
    )
    defaults = default_options()
    parser.add_argument(
        "--workers", type=int, default=defaults.workers, help="gunicorn, granian: processes"
    )
    parser.add_argument("--threads", type=int, default=defaults.threads, help="per worker")
    args = parser.parse_args(argv)
    bundled = args.directory is None
    directory = build_fixtures(default_fixtures_dir()) if bundled else args.directory
    if not directory.is_dir():
        parser.error(f"not a directory: {directory}")
    app = _APPS[args.app](directory)
    if args.server != "werkzeug":
        serve_production(
            app,
            args.host,
            args.port,
            server=args.server,
            options=ServerOptions(workers=args.workers, threads=args.threads),
            ready=lambda base_url: _announce(directory, base_url, bundled),
        )
        return 0
    server = make_server(args.host, args.port, app, threaded=True)
    _announce(directory, f"http://{netloc(args.host, server.server_port)}", bundled)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
