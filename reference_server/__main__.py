"""`python -m reference_server [DIR] [--host H] [--port P]`: serve DIR (default: the fixtures)."""

from __future__ import annotations

import argparse
from pathlib import Path

from werkzeug.serving import make_server

from .app import create_app
from .fixtures import FIXTURE_ROLES, build_fixtures, default_fixtures_dir


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C; print the base URL and, for the bundled fixtures, each role's URL."""
    parser = argparse.ArgumentParser(prog="python -m reference_server", description=__doc__)
    parser.add_argument("directory", nargs="?", type=Path, help="directory to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    bundled = args.directory is None
    directory = build_fixtures(default_fixtures_dir()) if bundled else args.directory
    if not directory.is_dir():
        parser.error(f"not a directory: {directory}")
    server = make_server(args.host, args.port, create_app(directory), threaded=True)
    host = f"[{args.host}]" if ":" in args.host else args.host
    base_url = f"http://{host}:{server.server_port}"
    print(f"Serving {directory} at {base_url}/files/", flush=True)
    if bundled:
        for role, path in FIXTURE_ROLES.items():
            print(f"  {role:<9} {base_url}{path}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
