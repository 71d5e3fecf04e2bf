"""The real servers the scorecard grades: how each is installed, started and named.

Every peer serves the suite's fixture directory under `/files/` on 127.0.0.1 and a free port.
Python peers get a virtualenv of their own and Node peers an npm prefix, both under the cache
folder (`~/.cache/range-conformance/peers/` by default, `RANGE_CONFORMANCE_PEERS` overrides it),
never the project's environment. Debian peers come from apt; the Go peer is built from
`apps/fileserver.go` with Debian's golang-go.

Versions are pinned (PyPI, npm) or fixed by the Debian release, so regenerating the published
reports on the same versions gives the same verdicts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

APPS = Path(__file__).with_name("apps")

# Roles every peer can serve from the fixture directory (see reference_server.fixtures).
BASE_ROLES = ("main", "r10000", "one", "empty", "text", "gzip", "large", "missing")

NO_RANGES = "ranges not supported: Range ignored, every response 200"


class PeerUnavailable(Exception):
    """The peer cannot be installed or started here; the message says why."""


def cache_dir() -> Path:
    if configured := os.environ.get("RANGE_CONFORMANCE_PEERS"):
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "range-conformance" / "peers"


@dataclass(frozen=True)
class Peer:
    name: str  # --only NAME, folder under reports/servers/
    title: str  # what is graded, for the report
    kind: str  # pypi | npm | apt | go | stdlib
    packages: tuple[str, ...] = ()  # pinned pip / npm specs, or Debian package names
    label_packages: tuple[tuple[str, str], ...] = ()  # (display name, package) for the label
    app: str = ""  # file under apps/
    roles: tuple[str, ...] = BASE_ROLES + ("redirect",)
    docroot: bool = False  # serves a document root whose `files` links to the fixtures


PEERS: tuple[Peer, ...] = (
    Peer("werkzeug", "Flask send_from_directory on Werkzeug's dev server", "pypi",
         ("flask==3.1.3", "werkzeug==3.1.9"), (("Werkzeug", "werkzeug"), ("Flask", "flask")),
         "werkzeug_peer.py"),
    Peer("aiohttp", "aiohttp add_static", "pypi", ("aiohttp==3.14.5",),
         (("aiohttp", "aiohttp"),), "aiohttp_peer.py"),
    Peer("starlette", "Starlette StaticFiles under uvicorn", "pypi",
         ("starlette==1.10.0", "uvicorn==0.54.0"),
         (("Starlette", "starlette"), ("uvicorn", "uvicorn")), "starlette_peer.py"),
    Peer("tornado", "Tornado StaticFileHandler", "pypi", ("tornado==6.6.1",),
         (("Tornado", "tornado"),), "tornado_peer.py"),
    Peer("nginx", "nginx static files (alias, gzip_static)", "apt", ("nginx-light",),
         (("nginx", "nginx"),), "nginx.conf.in"),
    Peer("apache", "Apache httpd core static files (mod_alias, mod_mime)", "apt", ("apache2",),
         (("Apache", "apache2"),), "apache2.conf.in"),
    Peer("lighttpd", "lighttpd static files (mod_alias)", "apt", ("lighttpd",),
         (("lighttpd", "lighttpd"),), "lighttpd.conf.in"),
    Peer("caddy", "Caddy file_server (precompressed gzip)", "apt", ("caddy",),
         (("Caddy", "caddy"),), "Caddyfile.in"),
    Peer("go", "Go net/http FileServer", "go", ("golang-go",), (("Go", "go"),),
         "fileserver.go"),
    Peer("whitenoise", "WhiteNoise under waitress", "pypi",
         ("whitenoise==6.12.0", "waitress==3.0.2"),
         (("WhiteNoise", "whitenoise"), ("waitress", "waitress")), "whitenoise_peer.py"),
    Peer("cherrypy", "CherryPy tools.staticdir", "pypi", ("cherrypy==18.10.0",),
         (("CherryPy", "cherrypy"),), "cherrypy_peer.py"),
    Peer("sanic", "Sanic app.static (defaults)", "pypi", ("sanic==25.12.1",),
         (("Sanic", "sanic"),), "sanic_peer.py"),
    Peer("http.server", "CPython http.server (SimpleHTTPRequestHandler)", "stdlib", (),
         (("CPython http.server", "python"),), "", BASE_ROLES, docroot=True),
    Peer("express", "Express express.static", "npm", ("express@5.3.0",),
         (("Express", "express"), ("send", "send")), "express.js"),
    Peer("serve-handler", "serve-handler (the engine of `serve`)", "npm",
         ("serve-handler@6.1.8",), (("serve-handler", "serve-handler"),), "serve_handler.js",
         docroot=True),
    Peer("koa", "koa + koa-send + koa-range", "npm",
         ("koa@3.3.0", "koa-send@5.0.1", "koa-range@0.3.0"),
         (("koa", "koa"), ("koa-send", "koa-send"), ("koa-range", "koa-range")), "koa.js"),
)  # fmt: skip

BY_NAME = {peer.name: peer for peer in PEERS}
NPM_PACKAGES = tuple(spec for peer in PEERS if peer.kind == "npm" for spec in peer.packages)


def _run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PeerUnavailable(f"{' '.join(cmd[:3])} …: {exc}") from exc
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise PeerUnavailable(f"{' '.join(cmd[:4])} … exited {done.returncode}: {' | '.join(tail)}")
    return done.stdout + done.stderr


# --- installation ---------------------------------------------------------------------------


def venv_dir(peer: Peer) -> Path:
    return cache_dir() / "py" / peer.name


def venv_python(peer: Peer) -> Path:
    return venv_dir(peer) / "bin" / "python"


def install_pypi(peer: Peer) -> None:
    """A virtualenv of the peer's own, with its pinned packages (kept when already right)."""
    venv = venv_dir(peer)
    stamp = venv / "scorecard-requirements.txt"
    wanted = "\n".join(peer.packages) + "\n"
    if venv_python(peer).exists() and stamp.is_file() and stamp.read_text() == wanted:
        return
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv_python(peer)), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          *peer.packages], timeout=600)  # fmt: skip
    stamp.write_text(wanted)


def node_dir() -> Path:
    return cache_dir() / "node"


def install_npm(peer: Peer) -> None:
    """One npm prefix for the Node peers, every pinned package in it."""
    if not shutil.which("npm") or not shutil.which("node"):
        raise PeerUnavailable("node and npm are not installed")
    prefix = node_dir()
    stamp = prefix / "scorecard-packages.txt"
    wanted = "\n".join(NPM_PACKAGES) + "\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "package.json").write_text('{"name": "range-conformance-peers", "private": true}\n')
    _run(["npm", "install", "--no-audit", "--no-fund", "--save-exact", "--prefix", str(prefix),
          *NPM_PACKAGES], timeout=600)  # fmt: skip
    stamp.write_text(wanted)


_BINARIES = {"nginx-light": "nginx", "apache2": "apache2", "lighttpd": "lighttpd",
             "caddy": "caddy", "golang-go": "go"}  # fmt: skip
_SBIN = ("/usr/sbin", "/usr/bin", "/usr/lib/go/bin")


def binary(package: str) -> str | None:
    name = _BINARIES[package]
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def program(package: str) -> str:
    """The Debian package's program: its path when found, else its bare name for PATH."""
    return binary(package) or _BINARIES[package]


def install_apt(packages: tuple[str, ...]) -> None:
    """apt-get install the packages whose program is missing."""
    missing = [p for p in packages if binary(p) is None]
    if not missing:
        return
    apt_get_install(missing)
    still = [p for p in missing if binary(p) is None]
    if still:
        raise PeerUnavailable(f"{', '.join(still)} installed but its program is not found")


def apt_get_install(packages: Sequence[str]) -> None:
    """apt-get install (again after an update if the lists are stale), with services kept from
    starting: a policy-rc.d, removed afterwards. PeerUnavailable says why it could not."""
    if not shutil.which("apt-get"):
        raise PeerUnavailable(f"{', '.join(packages)} not installed and no apt-get here")
    if os.geteuid() != 0:
        raise PeerUnavailable(f"{', '.join(packages)} not installed (apt-get needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    policy = Path("/usr/sbin/policy-rc.d")
    added_policy = not policy.exists()
    if added_policy:  # Debian's packages would start their daemon on the default port
        policy.write_text("#!/bin/sh\n# range-conformance scorecard: no daemons\nexit 101\n")
        policy.chmod(0o755)
    try:
        cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
        try:
            _run(cmd, env=env)
        except PeerUnavailable:
            _run(["apt-get", "update", "-q"], env=env)
            _run(cmd, env=env)
    finally:
        if added_policy:
            policy.unlink(missing_ok=True)


def go_binary() -> Path:
    return cache_dir() / "go" / "fileserver"


def go_env() -> dict[str, str]:
    base = cache_dir() / "go"
    return {**os.environ, "GOCACHE": str(base / "cache"), "GOPATH": str(base / "gopath"),
            "GO111MODULE": "off", "CGO_ENABLED": "0"}  # fmt: skip


def install_go(peer: Peer) -> None:
    install_apt(peer.packages)
    out = go_binary()
    source = APPS / peer.app
    stamp = out.with_suffix(".src")
    if out.exists() and stamp.is_file() and stamp.read_text() == source.read_text():
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([program("golang-go"), "build", "-o", str(out), str(source)], env=go_env())
    stamp.write_text(source.read_text())


def install(peer: Peer) -> None:
    """Install what the peer needs; PeerUnavailable with the reason when that fails."""
    if peer.kind == "pypi":
        install_pypi(peer)
    elif peer.kind == "npm":
        install_npm(peer)
    elif peer.kind == "apt":
        install_apt(peer.packages)
    elif peer.kind == "go":
        install_go(peer)


# --- versions -------------------------------------------------------------------------------


def _first_version(text: str) -> str:
    found = re.search(r"(\d+\.\d+(?:\.\d+)?)", text)
    return found.group(1) if found else "?"


# Label package of an apt/go peer → (Debian package, the argument that prints its version).
_VERSION_ARGS = {"nginx": ("nginx-light", "-v"), "apache2": ("apache2", "-v"),
                 "lighttpd": ("lighttpd", "-v"), "caddy": ("caddy", "version"),
                 "go": ("golang-go", "version")}  # fmt: skip


def versions(peer: Peer) -> dict[str, str]:
    """Display name → version of what is graded (the column label is built from these)."""
    out: dict[str, str] = {}
    for display, package in peer.label_packages:
        if peer.kind == "pypi":
            code = f"import importlib.metadata as m; print(m.version({package!r}))"
            out[display] = _run([str(venv_python(peer)), "-c", code]).strip()
        elif peer.kind == "npm":
            path = node_dir() / "node_modules" / package / "package.json"
            out[display] = json.loads(path.read_text())["version"]
        elif peer.kind == "stdlib":
            out[display] = ".".join(map(str, sys.version_info[:3]))
        elif package in _VERSION_ARGS:
            debian, flag = _VERSION_ARGS[package]
            out[display] = _first_version(_run([program(debian), flag]))
    return out


def label(peer: Peer, found: dict[str, str]) -> str:
    """`Werkzeug 3.1.9 (Flask 3.1.3)`: the graded component first, helpers in brackets."""
    items = [f"{name} {version}" for name, version in found.items()]
    if not items:
        return peer.name
    return items[0] + (f" ({', '.join(items[1:])})" if len(items) > 1 else "")


# --- starting -------------------------------------------------------------------------------


def _fill(template: str, port: int, root: Path, tmp: Path) -> str:
    text = (APPS / template).read_text()
    return text.replace("@PORT@", str(port)).replace("@ROOT@", str(root)).replace("@TMP@", str(tmp))


def command(peer: Peer, port: int, root: Path, tmp: Path) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that start `peer` in the foreground (it is stopped by PID)."""
    env = {**os.environ}
    serve_root = root
    if peer.docroot:
        docroot = tmp / "docroot"
        docroot.mkdir()
        (docroot / "files").symlink_to(root, target_is_directory=True)
        serve_root = docroot
    if peer.kind == "pypi":
        return [str(venv_python(peer)), str(APPS / peer.app), str(port), str(serve_root)], env
    if peer.kind == "stdlib":
        return [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                "--directory", str(serve_root), str(port)], env  # fmt: skip
    if peer.kind == "npm":
        env["NODE_PATH"] = str(node_dir() / "node_modules")
        return ["node", str(APPS / peer.app), str(port), str(serve_root)], env
    if peer.kind == "go":
        return [str(go_binary()), str(port), str(serve_root)], env
    config = tmp / peer.app.removesuffix(".in")
    config.write_text(_fill(peer.app, port, root, tmp))
    if peer.name == "nginx":
        return [program("nginx-light"), "-p", str(tmp), "-e", str(tmp / "error.log"),
                "-c", str(config)], env  # fmt: skip
    if peer.name == "apache":
        return [program("apache2"), "-f", str(config), "-DFOREGROUND"], env
    if peer.name == "lighttpd":
        # lighttpd opens its error log after dropping to www-data.
        shutil.chown(tmp, "www-data", "www-data")
        return [program("lighttpd"), "-D", "-f", str(config)], env
    if peer.name == "caddy":
        env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"),
                   HOME=str(tmp))  # fmt: skip
        return [program("caddy"), "run", "--config", str(config),
                "--adapter", "caddyfile"], env  # fmt: skip
    raise PeerUnavailable(f"no way to start {peer.name}")
