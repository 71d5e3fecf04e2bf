"""Benchmark the reference server against flask.send_file and nginx, side by side.

    python benchmarks/reference_server_bench.py [--runs 5] [--duration 5] [--server granian]
        [--json out.json]

The reference server runs twice, as the Flask app (`reference`) and as the plain WSGI app
(`reference-wsgi`, same engine, no Flask per request); `flask.send_file` runs as a Flask app
(`send_file`). All three run under the same production WSGI server with the same options
(`reference_server.production.serve_production`: granian by default, `--server gunicorn`
for gthread workers), over the same fixture directory; nginx serves that directory too when it
is installed. The load generator is wrk, with
a Lua script per workload that sets the Range header. Each round measures every workload on every
server back to back (the server order rotates between rounds), so the ratios are taken side by
side; the figures printed are medians over the rounds.

Then 50 concurrent wrk clients ask the reference server for random single ranges and 10-range
multipart bodies of a 5 GiB sparse file, while the server's resident memory (master + workers)
is sampled: the peak is reported next to the idle baseline.

Needs wrk (Debian: `apt-get install wrk`), the `server` extra (granian, gunicorn), and
optionally nginx (`nginx-light`).
Every process it starts is stopped by its PID before it exits.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reference_server.fixtures import build_fixtures  # noqa: E402
from reference_server.production import ServerOptions, serve_production  # noqa: E402

GIB = 1 << 30
MIB = 1 << 20
KIB = 1 << 10
BIG_FILE = "large5gib.bin"
BIG_SIZE = 5 * GIB
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Workload:
    name: str
    path: str
    range_value: str
    payload: int  # octets of range data per response
    multipart: bool = False
    servers: tuple[str, ...] = ("reference", "reference-wsgi", "send_file", "nginx")


def _ranges(starts: list[int], size: int) -> str:
    return "bytes=" + ",".join(f"{start}-{start + size - 1}" for start in starts)


WORKLOADS = (
    Workload("single 1000 B", "/files/r10000.bin", "bytes=1000-1999", 1000),
    Workload("single 1 MiB", "/files/large.bin", f"bytes=0-{MIB - 1}", MIB),
    Workload("single 16 MiB", "/files/large.bin", f"bytes=0-{16 * MIB - 1}", 16 * MIB),
    # a seek: flask.send_file under gunicorn reads and drops every octet before the range
    Workload(
        "single 1 MiB @256 MiB",
        "/files/large.bin",
        f"bytes={256 * MIB}-{257 * MIB - 1}",
        MIB,
    ),
    # multipart of 10 ranges vs one range of the same total size (send_file has no multipart)
    Workload(
        "multipart 10x100 B",
        "/files/r10000.bin",
        _ranges([i * 1000 for i in range(10)], 100),
        1000,
        multipart=True,
        servers=("reference", "reference-wsgi", "nginx"),
    ),
    Workload(
        "single 640 KiB",
        "/files/large.bin",
        f"bytes={GIB}-{GIB + 640 * KIB - 1}",
        640 * KIB,
        servers=("reference", "reference-wsgi", "nginx"),
    ),
    Workload(
        "multipart 10x64 KiB",
        "/files/large.bin",
        _ranges([GIB + i * 100 * MIB for i in range(10)], 64 * KIB),
        640 * KIB,
        multipart=True,
        servers=("reference", "reference-wsgi", "nginx"),
    ),
)
# (multipart workload, single workload of the same total size)
MULTIPART_PAIRS = (
    ("multipart 10x100 B", "single 1000 B"),
    ("multipart 10x64 KiB", "single 640 KiB"),
)

WRK_SCRIPT = """
wrk.headers["Range"] = "{range_value}"
"""

DONE_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %d, "duration_us": %d, "bytes": %.0f, "p50_us": %d, "p99_us": %d, '
    .. '"socket_errors": %d, "status_errors": %d}\\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""

# 50 clients: odd requests one random 16 MiB range, even ones 10 random 1 MiB ranges (one per
# tenth of the file, so they never overlap), all over the 5 GiB file.
MEMORY_SCRIPT = """
local size = {size}
local counter = 0
local path = "{path}"
setup = function(thread) thread:set("id", counter); counter = counter + 1 end
init = function(args) math.randomseed(os.time() * 100 + id) end
local n = 0
request = function()
  n = n + 1
  local value
  if n % 2 == 1 then
    local first = math.floor(math.random() * (size - 16 * 1048576))
    value = string.format("bytes=%.0f-%.0f", first, first + 16 * 1048576 - 1)
  else
    local parts = {{}}
    local slot = size / 10
    for i = 0, 9 do
      local first = math.floor(i * slot + math.random() * (slot - 1048576))
      parts[#parts + 1] = string.format("%.0f-%.0f", first, first + 1048575)
    end
    value = "bytes=" .. table.concat(parts, ",")
  end
  return wrk.format("GET", path, {{Range = value}})
end
"""

NGINX_CONF = """
daemon off;
master_process on;
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    # tcp_nopush (TCP_CORK) stalls keep-alive multipart answers ~40 ms each: left off, as
    # in nginx's own defaults.
    tcp_nopush off;
    keepalive_requests 1000000;
    default_type application/octet-stream;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /files/ {{ alias {directory}/; }}
    }}
}}
"""


# -- servers -----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    base_url: str
    pids_seen: set[int] = field(default_factory=set)

    def tree(self) -> list[int]:
        """The master and its live children; remembered so stop() can check each one."""
        pids = [self.process.pid, *_children(self.process.pid)]
        self.pids_seen.update(pids)
        return pids


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_url(process: subprocess.Popen[str], marker: str, timeout: float = 30) -> str:
    """The first http:// word of the first stdout line containing `marker`."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    result: list[str] = []

    def reader() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if marker in line:
                result.extend(word for word in line.split() if word.startswith("http://"))
                return

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(max(0.0, deadline - time.monotonic()))
    if not result:
        raise RuntimeError(f"server did not report its URL (exit code {process.poll()})")
    return result[0].removesuffix("/files/").rstrip("/")


def _wait_listening(base_url: str, timeout: float = 30) -> None:
    host, port = base_url.removeprefix("http://").rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def start_reference(
    directory: Path, options: ServerOptions, server_name: str, app: str = "flask"
) -> Server:
    command = [
        sys.executable, "-m", "reference_server", str(directory), "--server", server_name,
        "--app", app, "--port", "0", "--workers", str(options.workers),
        "--threads", str(options.threads),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    name = "reference" if app == "flask" else f"reference-{app}"
    server = Server(name, process, _read_url(process, "Serving"))
    _wait_listening(server.base_url)
    return server


def start_send_file(directory: Path, options: ServerOptions, server_name: str) -> Server:
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child-send-file", str(directory),
        "--server", server_name, "--workers", str(options.workers),
        "--threads", str(options.threads),
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    server = Server("send_file", process, _read_url(process, "Serving"))
    _wait_listening(server.base_url)
    return server


def start_nginx(directory: Path, workers: int, tmp: Path) -> Server | str:
    """nginx on a free loopback port, config/pid/logs in `tmp`; or why it could not start."""
    binary = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None
    )
    if binary is None:
        return "nginx is not installed (Debian: apt-get install nginx-light)"
    port = _free_port()
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read the fixture directory
    conf = tmp / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(workers=workers, tmp=tmp, user=user, port=port, directory=directory)
    )
    process = subprocess.Popen(
        [binary, "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "nginx-error.log")],
        stdout=subprocess.PIPE,
        text=True,
    )
    server = Server("nginx", process, f"http://127.0.0.1:{port}")
    try:
        _wait_listening(server.base_url, timeout=10)
    except OSError:
        stop(server)
        return "nginx did not start: " + (tmp / "nginx-error.log").read_text()[-500:]
    return server


def stop(server: Server) -> None:
    """SIGTERM the master by PID, wait; then make sure every PID it ever had is gone."""
    server.tree()
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)
    for pid in server.pids_seen - {server.process.pid}:
        for _ in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)


# -- measuring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    rps: float
    p50_ms: float
    p99_ms: float
    mb_per_s: float
    cpu_ms: float  # server CPU time (user + system, all its processes) per response


def check_answer(server: Server, workload: Workload) -> None:
    """One request before timing: a 206 of the expected shape, or the numbers mean nothing."""
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", workload.path, headers={"Range": workload.range_value})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    content_type = response.getheader("Content-Type", "")
    problems = []
    if response.status != 206:
        problems.append(f"status {response.status}")
    if workload.multipart != content_type.startswith("multipart/byteranges"):
        problems.append(f"Content-Type {content_type}")
    if not workload.multipart and len(body) != workload.payload:
        problems.append(f"{len(body)} octets")
    if problems:
        raise RuntimeError(f"{server.name} answered {workload.name} wrongly: {problems}")


def run_wrk(
    url: str, script: str, duration: float, connections: int, threads: int, timeout: str = "10s"
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        command = [
            "wrk", f"-t{threads}", f"-c{connections}", f"-d{round(duration)}s",
            f"--timeout={timeout}", "-s", file.name, url,
        ]  # fmt: skip
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=duration + 60
        ).stdout
    finally:
        os.unlink(file.name)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict[str, float] = json.loads(line.removeprefix("RESULT "))
    return result


def measure(server: Server, workload: Workload, duration: float, connections: int) -> Measurement:
    script = WRK_SCRIPT.format(range_value=workload.range_value) + DONE_SCRIPT
    ticks = _cpu_ticks(server.tree())
    result = run_wrk(server.base_url + workload.path, script, duration, connections, 1)
    settle(server)  # work left over from this measurement is its cost, not the next one's
    ticks = _cpu_ticks(server.tree()) - ticks
    if result["socket_errors"] or result["status_errors"]:
        raise RuntimeError(f"{server.name} {workload.name}: errors {result}")
    seconds = result["duration_us"] / 1e6
    done = result["requests"] > 0  # else no answer came within the measurement
    return Measurement(
        rps=result["requests"] / seconds,
        p50_ms=result["p50_us"] / 1000 if done else math.inf,
        p99_ms=result["p99_us"] / 1000 if done else math.inf,
        mb_per_s=result["bytes"] / seconds / 1e6,
        cpu_ms=ticks * 1000 / CLOCK_TICKS / result["requests"] if done else math.inf,
    )


def _cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def settle(server: Server, timeout: float = 60) -> None:
    """Wait until the server stops burning CPU: wrk stops, but a server may still be working
    on the requests it abandoned (send_file reading up to a far range), which would slow the
    next measurement down, whatever server it is for."""
    deadline = time.monotonic() + timeout
    before = _cpu_ticks(server.tree())
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = _cpu_ticks(server.tree())
        if now - before <= 2:  # clock ticks, usually 1/100 s: under 10 % of a CPU
            return
        before = now


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def memory_test(server: Server, duration: float, clients: int) -> dict[str, float]:
    """Peak RSS (master + workers) while `clients` stream ranges of the 5 GiB file."""
    samples: list[int] = []
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.is_set():
            samples.append(rss_kib(server.tree()))
            time.sleep(0.1)

    script = MEMORY_SCRIPT.format(size=BIG_SIZE, path="/files/" + BIG_FILE) + DONE_SCRIPT
    # Warm-up: workers import lazily and threads start on demand; "idle" is after that.
    run_wrk(server.base_url + "/", script, 2, clients, 2, timeout="60s")
    settle(server)
    idle = rss_kib(server.tree())
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = run_wrk(server.base_url + "/", script, duration, clients, 2, timeout="60s")
    finally:
        stop_sampling.set()
        sampler.join()
    if result["status_errors"]:
        raise RuntimeError(f"memory test: errors {result}")
    seconds = result["duration_us"] / 1e6
    return {
        "clients": clients,
        "requests": result["requests"],
        "gb_served": result["bytes"] / 1e9,
        "mb_per_s": result["bytes"] / seconds / 1e6,
        "idle_rss_mib": idle / 1024,
        "peak_rss_mib": max(samples, default=idle) / 1024,
        "processes": len(server.tree()),
        "socket_errors": result["socket_errors"],  # e.g. a 60 s timeout under this load
    }


# -- the run -----------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for module in ("granian", "gunicorn", "flask", "werkzeug"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[module] = version(module)
    nginx = (
        subprocess.run(["nginx", "-v"], capture_output=True, text=True)
        if shutil.which("nginx")
        else None
    )
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "cpu": f"{model}, {os.cpu_count()} logical CPUs",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
        "nginx": (nginx.stderr.strip().split("/")[-1] if nginx else "not installed"),
        "wrk": (wrk.stdout + wrk.stderr).split()[1] if (wrk.stdout + wrk.stderr).split() else "?",
    }


def _divide(top: float, bottom: float) -> float:
    if bottom == 0 or math.isinf(bottom):
        return math.inf if top and not math.isinf(top) else math.nan
    return top / bottom


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=5, help="rounds (medians are over these); 0: memory only"
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument(
        "--server",
        choices=("granian", "gunicorn"),
        default="granian",
        help="the production WSGI server every Flask and WSGI app runs under",
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes (every app)")
    parser.add_argument(
        "--threads",
        type=int,
        default=4,
        help="threads per worker (more only add GIL contention at -c8: noisier)",
    )
    parser.add_argument("--memory-clients", type=int, default=50)
    parser.add_argument(
        "--memory-threads", type=int, default=32, help="per worker: every client in flight"
    )
    parser.add_argument("--memory-duration", type=int, default=15)
    parser.add_argument("--no-nginx", action="store_true")
    parser.add_argument(
        "--workload",
        action="append",
        choices=[w.name for w in WORKLOADS],
        help="measure only this workload (repeatable); default: all",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the 50-client memory run")
    parser.add_argument("--json", type=Path, help="write every figure here too")
    parser.add_argument("--child-send-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    options = ServerOptions(workers=args.workers, threads=args.threads)

    if args.child_send_file is not None:  # the flask.send_file app, under the same server
        from examples.flask_send_file_app import create_app

        serve_production(
            create_app(args.child_send_file), "127.0.0.1", 0, server=args.server, options=options
        )
        return 0

    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="range-bench-") as tmp_name:
        tmp = Path(tmp_name)
        directory = tmp / "files"
        build_fixtures(directory)
        with (directory / BIG_FILE).open("wb") as big:
            big.truncate(BIG_SIZE)  # sparse, like large.bin
        for path in (tmp, directory):
            path.chmod(0o755)  # nginx workers read it too
        servers: dict[str, Server] = {}
        notes: list[str] = []
        try:
            servers["reference"] = start_reference(directory, options, args.server)
            servers["reference-wsgi"] = start_reference(directory, options, args.server, "wsgi")
            servers["send_file"] = start_send_file(directory, options, args.server)
            if args.no_nginx:
                notes.append("nginx: skipped (--no-nginx)")
            else:
                nginx_dir = tmp / "nginx"
                nginx_dir.mkdir()
                started = start_nginx(directory, args.workers, nginx_dir)
                if isinstance(started, Server):
                    servers["nginx"] = started
                else:
                    notes.append(started)
            return _run(args, servers, notes, directory)
        finally:
            for server in servers.values():
                stop(server)


def _run(
    args: argparse.Namespace, servers: dict[str, Server], notes: list[str], directory: Path
) -> int:
    info = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()))
    print(
        f"load: wrk -t1 -c{args.connections} -d{args.duration}s, {args.runs} rounds; "
        f"{args.server} {args.workers} workers x {args.threads} threads for every app; "
        f"nginx {args.workers} workers, sendfile on, tcp_nopush off"
    )
    for note in notes:
        print("note: " + note)
    report: dict[str, object] = {
        "machine": info,
        "notes": notes,
        "args": vars(args)
        | {"json": str(args.json) if args.json else None, "child_send_file": None},
    }
    if args.runs > 0:
        _rates(args, servers, report)

    if not args.no_memory:
        report["memory"] = _memory(args, servers, directory)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _memory(
    args: argparse.Namespace, servers: dict[str, Server], directory: Path
) -> dict[str, float]:
    # A reference server of its own, with threads enough to serve every client at once.
    stop(servers.pop("reference"))
    memory_options = ServerOptions(workers=args.workers, threads=args.memory_threads)
    servers["reference"] = start_reference(directory, memory_options, args.server)
    memory = memory_test(servers["reference"], args.memory_duration, args.memory_clients)
    print(
        f"\nmemory ({args.workers} workers x {args.memory_threads} threads): "
        f"{memory['clients']:.0f} clients x random 16 MiB ranges and 10 x 1 MiB "
        f"multipart of a 5 GiB file for {args.memory_duration:.0f} s: "
        f"{memory['requests']:.0f} responses, {memory['gb_served']:.1f} GB "
        f"({memory['mb_per_s']:.0f} MB/s); RSS of {memory['processes']:.0f} processes "
        f"idle {memory['idle_rss_mib']:.1f} MiB, peak {memory['peak_rss_mib']:.1f} MiB "
        f"(x{memory['peak_rss_mib'] / memory['idle_rss_mib']:.2f}); "
        f"{memory['socket_errors']:.0f} socket errors"
    )
    return memory


def _rates(args: argparse.Namespace, servers: dict[str, Server], report: dict[str, object]) -> None:
    chosen = [w for w in WORKLOADS if not args.workload or w.name in args.workload]
    for workload in chosen:
        for name in workload.servers:
            if name in servers:
                check_answer(servers[name], workload)
    for server in servers.values():  # warm-up: imports, page cache, keep-alive
        for workload in chosen:
            if server.name in workload.servers:
                measure(server, workload, 1, args.connections)

    results: dict[str, dict[str, list[Measurement]]] = {w.name: {} for w in chosen}
    for round_number in range(args.runs):
        for workload in chosen:
            names = [n for n in workload.servers if n in servers]
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                figure = measure(servers[name], workload, args.duration, args.connections)
                results[workload.name].setdefault(name, []).append(figure)
        print(f"round {round_number + 1}/{args.runs} done", flush=True)

    print()
    print(
        f"{'workload':<23}{'server':<16}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'MB/s':>7}"
        f"{'CPU ms/req':>11}"
    )
    table = {}
    for workload in chosen:
        for name, figures in results[workload.name].items():
            row = {
                key: _median([getattr(f, key) for f in figures])
                for key in ("rps", "p50_ms", "p99_ms", "mb_per_s", "cpu_ms")
            }
            table[f"{workload.name} / {name}"] = row
            print(
                f"{workload.name:<23}{name:<16}{row['rps']:>8.0f}{row['p50_ms']:>9.2f}"
                f"{row['p99_ms']:>9.2f}{row['mb_per_s']:>7.0f}{row['cpu_ms']:>11.3f}"
            )
    report["medians"] = table

    def ratio(workload: str, top: str, bottom: str, attr: str) -> float:
        tops, bottoms = results[workload].get(top), results[workload].get(bottom)
        if not tops or not bottoms:
            return float("nan")
        pairs = zip(tops, bottoms, strict=True)
        return _median([_divide(getattr(a, attr), getattr(b, attr)) for a, b in pairs])

    print("\nratios (median of per-round ratios; each round measures every server back to back)")
    ratios: dict[str, float] = {}
    ours = [name for name in ("reference", "reference-wsgi") if name in servers]
    for workload in chosen:
        for name in ours:
            if "send_file" in workload.servers:
                key = f"{workload.name}: req/s {name} / send_file (goal >= 1.0)"
                ratios[key] = ratio(workload.name, name, "send_file", "rps")
                key = f"{workload.name}: p50 send_file / {name}"
                ratios[key] = ratio(workload.name, "send_file", name, "p50_ms")
                key = f"{workload.name}: CPU/req send_file / {name}"
                ratios[key] = ratio(workload.name, "send_file", name, "cpu_ms")
            key = f"{workload.name}: req/s nginx / {name} (goal <= 2.0)"
            ratios[key] = ratio(workload.name, "nginx", name, "rps")
    for multipart, single in MULTIPART_PAIRS:
        if not (results.get(multipart) and results.get(single)):
            continue  # a pair left out by --workload
        for name in ours:
            pairs = list(zip(results[multipart][name], results[single][name], strict=True))
            key = f"{name} {multipart} vs {single}: cost by req/s (goal <= 1.5)"
            ratios[key] = _median([_divide(s.rps, m.rps) for m, s in pairs])
            key = f"{name} {multipart} vs {single}: cost by CPU/req (goal <= 1.5)"
            ratios[key] = _median([_divide(m.cpu_ms, s.cpu_ms) for m, s in pairs])
    for key, value in ratios.items():
        print(f"  {key:<84}{value:>7.2f}")
    report["ratios"] = ratios


if __name__ == "__main__":
    raise SystemExit(main())
