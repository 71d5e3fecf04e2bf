"""Real HTTP caches in front of an origin, for the cache scorecard: install, start, stop, name.

Each cache runs one configuration, the one its own documentation gives for caching large
media and Range requests (`Cache.docs` says which), from a template under `cache_configs/`
that is published beside the results. `running` starts it in the foreground on 127.0.0.1 and a
free port as a reverse proxy for `http://127.0.0.1:ORIGIN_PORT`, with its config, storage, pid
and logs under a work directory, and stops it by its PID (the process group it leads).

Varnish (its default Unix jail), Squid, Traffic Server, nginx's and Apache's workers drop from
root to their Debian user (varnish, proxy, trafficserver, www-data), so the work directory is
given to that user and every folder above it gains o+x (search, not listing) where it lacks it:
a work directory under /tmp (tempfile.mkdtemp) needs no such change.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import peers

CONFIGS = Path(__file__).with_name("cache_configs")
START_TIMEOUT = 40.0
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL


class CacheUnavailable(Exception):
    """The cache cannot be installed or started here; the message says why."""


@dataclass(frozen=True)
class Cache:
    name: str  # folder and --only name
    title: str  # what is graded, for the report
    packages: tuple[str, ...]  # Debian packages
    config: str  # template file (or folder, for Traffic Server) under cache_configs/
    docs: str  # the documentation's recommendation the configuration follows


CACHES: tuple[Cache, ...] = (
    Cache("varnish", "Varnish (default VCL)", ("varnish",), "varnish.vcl.in",
          "Varnish builtin VCL: a miss fetches the whole object (Range dropped) and streams it "
          "while storing (beresp.do_stream), Range served from the stored object "
          "(http_range_support)"),
    Cache("squid", "Squid (accelerator, range_offset_limit none)", ("squid",), "squid.conf.in",
          "Squid reverse-proxy accelerator (wiki Basic Accelerator) with range_offset_limit none, "
          "quick_abort_min -1 KB and maximum_object_size 4 GB (Squid configuration reference on "
          "caching objects fetched by Range)"),
    Cache("trafficserver", "Apache Traffic Server (background_fetch)", ("trafficserver",),
          "trafficserver",
          "ATS admin guide: cache.range.lookup 1 (Range from a whole cached object) and the "
          "background_fetch plugin for Range-heavy clients; the slice plugin + "
          "cache_range_requests recipe is unavailable (Debian ships no slice.so)"),
    Cache("nginx", "nginx proxy_cache", ("nginx-light",), "nginx.conf.in",
          "NGINX admin guide Content Caching: proxy_cache_path (keys_zone, max_size, inactive, "
          "use_temp_path=off) + proxy_cache; the whole response is fetched, Range served from "
          "the cache"),
    Cache("nginx-slice", "nginx proxy_cache + slice 1m", ("nginx-light",),
          "nginx-slice.conf.in",
          "ngx_http_slice_module docs: slice 1m, proxy_cache_key with $slice_range, "
          "proxy_set_header Range $slice_range, proxy_cache_valid 200 206 1h"),
    Cache("apache", "Apache httpd mod_cache + mod_cache_disk", ("apache2",), "apache.conf.in",
          "httpd Caching Guide and mod_cache/mod_cache_disk docs: CacheEnable disk /, "
          "CacheQuickHandler on, CacheLock on, CacheMaxFileSize raised from 1 MB for large "
          "media (partial content is not cached)"),
)  # fmt: skip

BY_NAME = {cache.name: cache for cache in CACHES}

# Cache name → (program, the argument that prints its version, the name it is shown under).
_PROGRAMS = {
    "varnish": ("varnishd", "-V", "Varnish"),
    "squid": ("squid", "-v", "Squid"),
    "trafficserver": ("traffic_server", "-V", "Apache Traffic Server"),
    "nginx": ("nginx", "-v", "nginx"),
    "nginx-slice": ("nginx", "-v", "nginx"),
    "apache": ("apache2", "-v", "Apache httpd"),
}
# The user the cache drops to from root (its workers, for nginx and Apache).
_USERS = {"varnish": "varnish", "squid": "proxy", "trafficserver": "trafficserver",
          "nginx": "www-data", "nginx-slice": "www-data", "apache": "www-data"}  # fmt: skip
_SBIN = ("/usr/sbin", "/usr/bin", "/sbin", "/bin")


def program(cache: Cache) -> str | None:
    """The path of the cache's program, None when it is not installed."""
    name = _PROGRAMS[cache.name][0]
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def _run(cmd: list[str], *, env: dict[str, str] | None = None, timeout: float = 900) -> str:
    """The scorecard's command runner (`peers._run`), its failure said as CacheUnavailable."""
    try:
        return peers._run(cmd, env=env, timeout=timeout)  # noqa: SLF001 - one runner, shared
    except peers.PeerUnavailable as exc:
        raise CacheUnavailable(str(exc)) from exc


# --- installation and version ---------------------------------------------------------------


def install(cache: Cache) -> None:
    """apt-get install the cache's packages when its program is missing (no daemon started)."""
    if program(cache) is not None:
        return
    try:
        peers.apt_get_install(cache.packages)
    except peers.PeerUnavailable as exc:
        raise CacheUnavailable(str(exc)) from exc
    if program(cache) is None:
        raise CacheUnavailable(
            f"{', '.join(cache.packages)} installed but its program is not found"
        )


def version(cache: Cache) -> str:
    """`Varnish 7.1.1`: the name it is shown under and the version its program prints."""
    name, flag, shown = _PROGRAMS[cache.name]
    found = re.search(r"(\d+\.\d+(?:\.\d+)?)", _run([program(cache) or name, flag]))
    return f"{shown} {found.group(1) if found else '?'}"


# --- configuration --------------------------------------------------------------------------


def _fill(text: str, port: int, origin_port: int, workdir: Path) -> str:
    return (
        text.replace("@ORIGIN_PORT@", str(origin_port))
        .replace("@PORT@", str(port))
        .replace("@WORKDIR@", str(workdir))
    )


def _templates(cache: Cache) -> list[Path]:
    path = CONFIGS / cache.config
    return sorted(path.glob("*.in")) if path.is_dir() else [path]


def published_config(cache: Cache) -> str:
    """The template text as published beside the results, placeholders left in (a folder's
    files one after the other, each under a `# --- NAME ---` line)."""
    paths = _templates(cache)
    if len(paths) == 1 and not (CONFIGS / cache.config).is_dir():
        return paths[0].read_text()
    return "".join(f"# --- {p.name.removesuffix('.in')} ---\n{p.read_text()}" for p in paths)


def _write_configs(cache: Cache, port: int, origin_port: int, workdir: Path) -> Path:
    """Fill the templates into `workdir` (a folder's into workdir/etc); the file, or that folder."""
    folder = (CONFIGS / cache.config).is_dir()
    target = workdir / "etc" if folder else workdir
    target.mkdir(parents=True, exist_ok=True)
    out = target
    for template in _templates(cache):
        out = target / template.name.removesuffix(".in")
        out.write_text(_fill(template.read_text(), port, origin_port, workdir))
    return target if folder else out


def _reachable(workdir: Path, user: str) -> None:
    """Give `workdir` to `user` and let every user search the folders above it (o+x added where
    it lacks; nothing removed), so a cache that drops to `user` can reach its files."""
    try:
        for path in workdir.parents:
            mode = path.stat().st_mode
            if not mode & 0o001:
                path.chmod((mode & 0o7777) | 0o001)
        for path in (workdir, *workdir.rglob("*")):
            shutil.chown(path, user, user)
    except (LookupError, OSError) as exc:  # no such user, or not root
        raise CacheUnavailable(f"cannot give {workdir} to user {user}: {exc}") from exc


# --- starting and stopping ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(cache: Cache, exe: str, port: int, origin_port: int, workdir: Path) -> list[str]:
    """Write the configuration and prepare `workdir`; the argv that runs the cache in the
    foreground."""
    config = _write_configs(cache, port, origin_port, workdir)
    if cache.name == "varnish":
        # Default Unix jail (root drops to varnish, the cache process to vcache); -n is its
        # working directory, made by varnishd.
        _reachable(workdir, _USERS[cache.name])
        return [exe, "-F", "-a", f"127.0.0.1:{port}", "-T", "127.0.0.1:0", "-n",
                str(workdir / "varnish"), "-s", "malloc,256m", "-f", str(config)]  # fmt: skip
    if cache.name == "squid":
        (workdir / "cache").mkdir(exist_ok=True)
        _reachable(workdir, _USERS[cache.name])
        _run([exe, "-N", "-z", "-f", str(config)], timeout=60)  # create the cache_dir's folders
        return [exe, "-N", "-f", str(config)]
    if cache.name == "trafficserver":
        for folder in ("cache", "log", "run", "var"):
            (workdir / folder).mkdir(exist_ok=True)
        _reachable(workdir, _USERS[cache.name])
        return [exe, f"--run-root={workdir / 'etc' / 'runroot.yaml'}"]
    if cache.name in ("nginx", "nginx-slice"):
        _reachable(workdir, _USERS[cache.name])
        return [exe, "-p", str(workdir), "-e", str(workdir / "error.log"), "-c", str(config),
                "-g", "daemon off;"]  # fmt: skip
    if cache.name == "apache":
        (workdir / "cache").mkdir(exist_ok=True)
        _reachable(workdir, _USERS[cache.name])
        return [exe, "-f", str(config), "-DFOREGROUND"]
    raise CacheUnavailable(f"no way to start {cache.name}")


# The cache's own log, where it says why it did not start (beside its stdout and stderr).
_LOGS = {"squid": "cache.log", "trafficserver": "log/diags.log", "nginx": "error.log",
         "nginx-slice": "error.log", "apache": "error.log"}  # fmt: skip


def _log_tail(cache: Cache, workdir: Path, lines: int = 4) -> str:
    tails = []
    for path in (workdir / f"{cache.name}.out", workdir / _LOGS.get(cache.name, "-")):
        if path.is_file():
            text = path.read_text(errors="replace").strip().splitlines()[-lines:]
            tails += [line.strip() for line in text if line.strip()]
    return " | ".join(tails) or "no output"


def _answers(port: int) -> str | None:
    """None when an HTTP answer to `GET /` comes back (any status), else what went wrong."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", "/")
        conn.getresponse().read()
        return None
    except (OSError, http.client.HTTPException) as exc:
        return str(exc) or type(exc).__name__
    finally:
        conn.close()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_ready(cache: Cache, proc: subprocess.Popen[bytes], port: int, workdir: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CacheUnavailable(
                f"{cache.name} exited {proc.returncode} on start: {_log_tail(cache, workdir)}"
            )
        problem = _answers(port)
        if problem is None:
            return
        last = problem
        time.sleep(0.2)
    raise CacheUnavailable(
        f"{cache.name} not answering on port {port} after {START_TIMEOUT:.0f} s ({last}): "
        f"{_log_tail(cache, workdir)}"
    )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group the cache leads, SIGKILL what is left after STOP_GRACE."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=STOP_GRACE)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their parent
    if proc.poll() is None:
        proc.wait(timeout=10)


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def _stand_in(origin_port: int) -> Iterator[None]:
    """A 404 answerer on the origin port while the cache starts, unless an origin is up there
    already: the readiness GET goes through to the origin, and Squid marks a parent that refused
    10 connections dead (cache_peer connect-fail-limit), so every later request got a 502."""
    try:
        server = http.server.HTTPServer(("127.0.0.1", origin_port), _NotFound)
    except OSError:  # taken: the origin (or something) answers there already
        yield
        return
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def running(cache: Cache, origin_port: int, workdir: Path) -> Iterator[str]:
    """Start `cache` on a free 127.0.0.1 port as a reverse proxy/cache for
    http://127.0.0.1:{origin_port}, in the foreground as a child process (own session) with its
    config, storage, pid and logs under `workdir`; wait until it answers `GET /` (any status;
    while nothing listens on the origin port a stand-in answers there); yield its base URL;
    stop it by PID (SIGTERM, then SIGKILL) and check that nothing of it still listens.
    CacheUnavailable when it does not start."""
    exe = program(cache)
    if exe is None:
        raise CacheUnavailable(f"{_PROGRAMS[cache.name][0]} is not installed")
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    argv = _command(cache, exe, port, origin_port, workdir)
    with (workdir / f"{cache.name}.out").open("wb") as sink:
        try:
            proc = subprocess.Popen(  # noqa: S603
                argv, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                cwd=workdir, start_new_session=True,
            )  # fmt: skip
        except OSError as exc:
            raise CacheUnavailable(f"{cache.name} cannot be started: {exc}") from exc
    try:
        with _stand_in(origin_port):
            _wait_ready(cache, proc, port, workdir)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(proc)
    deadline = time.monotonic() + STOP_GRACE
    while _listening(port):
        if time.monotonic() > deadline:
            raise CacheUnavailable(f"{cache.name} stopped but port {port} still accepts")
        time.sleep(0.1)
