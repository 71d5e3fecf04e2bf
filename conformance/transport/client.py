"""The only network code: a SentRequest goes out, an Exchange of undecoded bytes comes back.

Two paths: one `requests.Session` (identity encoding, no redirects, timeouts, capped raw reads) for
ordinary cases, and a raw socket for the cases whose header lines must reach the wire exactly as
written (duplicates, odd whitespace, obs-text). Transport problems become `Exchange.error`, never
an exception.

Hostile servers are expected (a conformance tool is pointed at broken ones by design), so:

- every exchange has a total deadline (`ClientSettings.deadline`) enforced by a watchdog that shuts
  the socket down, because read timeouts are per socket read and a server trickling one octet a
  second would never trip them;
- bodies are read into one buffer up to the cap, never beyond, whatever length is announced;
- a connection goes back to the pool only when its answer ended exactly where its framing said and
  nothing follows; octets after the announced Content-Length are reported and the connection is
  dropped, so they cannot be taken for the next answer;
- transport errors are described by their fault ("sent 10 octets of an announced 1000, then
  closed"), not by the exception chain of the HTTP library.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3

from conformance import __version__
from conformance.model import Exchange, SentRequest
from conformance.transport.body_reader import CHUNK, BodyReader
from conformance.transport.failures import (
    body_error,
    count_octets,
    describe_error,
    show_octets,
)
from conformance.transport.watchdog import DeadlineAdapter, Watchdog

USER_AGENT = f"range-conformance/{__version__}"
IDEMPOTENT = ("GET", "HEAD", "OPTIONS")
HEAD_GRACE = 0.5  # seconds to wait for octets a server wrongly sends after a HEAD answer


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """How to talk to the target; the same for every case of a run."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    verify: bool | str = True
    extra_headers: tuple[tuple[str, str], ...] = ()
    user_agent: str = USER_AGENT
    cert: tuple[str] | tuple[str, str] | None = None  # client certificate (and key)
    proxy: str | None = None
    proxy_from_env: bool = False

    @property
    def deadline(self) -> float:
        """Longest a whole exchange may take, so a trickling server cannot hang the run."""
        return self.connect_timeout + 3 * self.read_timeout


class Traffic:
    """What a run cost the target: requests sent and octets received (thread-safe).

    Octets are the body octets read plus each answer's head as parsed (status line and field
    lines with their CRLFs): what a CDN bills, give or take its own framing.
    """

    def __init__(self) -> None:
        self.requests = 0
        self.octets = 0
        self._lock = threading.Lock()

    def count(self, requests: int, octets: int) -> None:
        with self._lock:
            self.requests += requests
            self.octets += octets


class Client:
    """Sends requests for one run; owns the session and closes it."""

    def __init__(self, settings: ClientSettings | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.session = self._new_session()
        self.traffic = Traffic()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        for prefix in ("http://", "https://"):
            session.mount(prefix, DeadlineAdapter())
        # Proxies only when asked: loopback and CI traffic must not take a detour by surprise.
        session.trust_env = self.settings.proxy_from_env
        if self.settings.proxy:
            session.proxies = {"http": self.settings.proxy, "https": self.settings.proxy}
        if self.settings.cert:
            cert = self.settings.cert
            session.cert = cert[0] if len(cert) == 1 else (cert[0], cert[1])
        # Replace requests' defaults: identity encoding so slices are compared on coded octets.
        session.headers.clear()
        session.headers.update(self.base_headers())
        session.verify = self.settings.verify
        return session

    def base_headers(self) -> dict[str, str]:
        headers = {
            "User-Agent": self.settings.user_agent,
            "Accept-Encoding": "identity",
            "Accept": "*/*",
        }
        headers.update(self.settings.extra_headers)
        return headers

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        *,
        body: bytes = b"",
        cap: int,
        window: int | None = None,
    ) -> Exchange:
        """Send through the session; read at most `cap` octets of the body, undecoded.

        When the declared Content-Length exceeds `cap` and a `window` is given, only the first
        `window` octets are read (none for 0) and the connection is closed, not drained. The
        whole exchange ends by `settings.deadline`, however slowly the server answers.
        """
        if method not in IDEMPOTENT:
            # Never on a kept-alive connection: one the server has just closed would fail the
            # request, and RFC 9112 §9.3.1 forbids retrying a method that is not idempotent.
            with self._new_session() as fresh:
                return self._send(fresh, method, url, headers, body, cap, window)
        exchange = self._send(self.session, method, url, headers, body, cap, window)
        if exchange.status is None and method in IDEMPOTENT and _maybe_stale(exchange.error):
            # A kept-alive connection the server closed just as the request went out looks like
            # this. RFC 9112 §9.3.1 lets a client retry an idempotent request once; a fresh
            # connection tells a race from a server that drops this request every time.
            with self._new_session() as fresh:
                return self._send(fresh, method, url, headers, body, cap, window)
        return exchange

    def _send(
        self,
        session: requests.Session,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        cap: int,
        window: int | None,
    ) -> Exchange:
        exchange = self._exchange(session, method, url, headers, body, cap, window)
        self.traffic.count(1, exchange.head_octets + exchange.body_octets)
        return exchange

    def _exchange(
        self,
        session: requests.Session,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        cap: int,
        window: int | None,
    ) -> Exchange:
        with Watchdog(self.settings.deadline) as dog:  # the pools hand it each connection
            merged = {**self.base_headers(), **dict(headers)}
            sent = SentRequest(method, url, tuple(merged.items()), body=body)
            started = time.monotonic()
            try:
                # Straight to the adapter: Session.send reads (and decodes) the body of a 3xx to
                # prepare a redirect even with allow_redirects=False, which would hide its octets.
                prepared = session.prepare_request(
                    requests.Request(method, url, headers=dict(headers), data=body or None)
                )
                settings = session.merge_environment_settings(
                    prepared.url, {}, True, session.verify, session.cert
                )
                with warnings.catch_warnings():
                    if self.settings.verify is False:  # --insecure: the user asked for it
                        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                    response = session.get_adapter(prepared.url or url).send(
                        prepared,
                        stream=True,
                        timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                        verify=settings["verify"] if settings["verify"] is not None else True,
                        cert=settings["cert"],
                        proxies=settings["proxies"],
                    )
            except requests.RequestException as error:
                return Exchange(
                    sent, error=self._head_error(error, url, dog), elapsed=_since(started)
                )
            if dog.fired:  # the head was cut off mid-field and happened to parse
                response.close()
                return Exchange(
                    sent, error=self._head_error(None, url, dog), elapsed=_since(started)
                )
            prepared = response.request
            if prepared is not None:
                sent = SentRequest(
                    method,
                    url,
                    tuple(
                        (k, v if isinstance(v, str) else v.decode("latin-1"))
                        for k, v in prepared.headers.items()
                    ),
                    body=body,
                )
            declared = _length(response.headers.get("Content-Length"))
            if window is not None and declared is not None and declared > cap:
                cap = window
            read = BodyReader(response.raw, cap, method == "HEAD")
            problem: str | None = None
            try:
                read.run()
            except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException) as error:
                problem = self._body_error(error, read.size, declared, url, dog)
            if problem is None and dog.fired:
                problem = self._body_error(None, read.size, declared, url, dog)
            if problem is not None or read.capped or read.follows:
                response.close()  # leftover octets must not reach the next case
            else:
                response.raw.release_conn()
            if problem is None and read.stray.strip(b"\r\n"):
                problem = (
                    f"{url} sent octets after the {declared} its Content-Length announced, on "
                    f"a kept-alive connection: {show_octets(read.stray)}; the connection was "
                    "dropped so they cannot be taken for the next answer"
                )
            fields = tuple(response.raw.headers.items())
            return Exchange(
                sent,
                status=response.status_code,
                reason=response.reason or "",
                headers=fields,
                body=read.data,
                body_capped=read.capped,
                elapsed=_since(started),
                error=problem,
                received=read.size,
                head_octets=head_octets(response.status_code, response.reason or "", fields),
            )

    def _head_error(self, error: BaseException | None, url: str, dog: Watchdog) -> str:
        if dog.fired:
            return (
                f"no complete status line and header fields from {url} within "
                f"{dog.seconds:g} s: they were still arriving (a trickling server)"
            )
        assert error is not None
        return describe_error(error, url, self.settings)

    def _body_error(
        self,
        error: BaseException | None,
        octets: int,
        declared: int | None,
        url: str,
        dog: Watchdog,
    ) -> str:
        """Name what went wrong with the body, counting what arrived."""
        if dog.fired:
            announced = f" of an announced {declared}" if declared is not None else ""
            return (
                f"{url} was still sending the body after {dog.seconds:g} s "
                f"({count_octets(octets)}{announced} so far); gave up"
            )
        assert error is not None
        return body_error(error, octets, declared, url, self.settings.read_timeout)

    def send_raw(
        self,
        method: str,
        url: str,
        header_lines: list[str],
        *,
        body: bytes = b"",
        cap: int,
        window: int | None = None,
    ) -> Exchange:
        """Write the request head octet for octet (U+0000-U+00FF → one octet) on a new socket.

        `cap` and `window` bound the body read as in `send`.
        """
        exchange = self._send_raw(method, url, header_lines, body, cap, window)
        self.traffic.count(1, exchange.head_octets + exchange.body_octets)
        return exchange

    def _send_raw(
        self,
        method: str,
        url: str,
        header_lines: list[str],
        body: bytes,
        cap: int,
        window: int | None,
    ) -> Exchange:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        authority = parts.netloc.rpartition("@")[2]
        proxy = self.proxy_for(url)
        if proxy is not None and parts.scheme == "http":
            path = url  # absolute-form request-target, for a forward proxy (RFC 9112 §3.2.2)
        base = [f"{name}: {value}" for name, value in self.base_headers().items()]
        lines = [f"Host: {authority}", *base, "Connection: close", *header_lines]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n"
        sent = SentRequest(
            method, url, tuple(_split_line(line) for line in lines), raw=True, body=body
        )
        started = time.monotonic()
        response: http.client.HTTPResponse | None = None
        size = 0
        with Watchdog(self.settings.deadline) as dog:
            try:
                sock = self._open_socket(parts.scheme, host, port, proxy, dog)
            except (OSError, http.client.HTTPException) as error:
                problem = self._head_error(error, url, dog)
                return Exchange(sent, error=problem, elapsed=_since(started))
            try:
                sock.settimeout(self.settings.read_timeout)
                if parts.scheme == "https":
                    sock = self._tls_context().wrap_socket(sock, server_hostname=host)
                    dog.watch(sock)  # the wrapped socket took over the descriptor watched so far
                sock.sendall(head.encode("latin-1") + body)
                response = http.client.HTTPResponse(sock, method=method)
                response.begin()
                if dog.fired:  # the head was cut off mid-field and happened to parse
                    return Exchange(
                        sent, error=self._head_error(None, url, dog), elapsed=_since(started)
                    )
                if method == "HEAD":
                    return self._after_head(sent, response, sock, cap, started)
                declared = _length(response.getheader("Content-Length"))
                if window is not None and declared is not None and declared > cap:
                    cap = window
                buffer = io.BytesIO()
                while size <= cap:
                    chunk = response.read(min(CHUNK, cap + 1 - size))
                    buffer.write(chunk)  # counted even when the deadline cut the read short
                    size += len(chunk)
                    if dog.fired:
                        raise TimeoutError("deadline")
                    if not chunk:
                        break
                capped = size > cap
                if not capped and response.length and declared is not None:
                    # http.client ends a short Content-Length body quietly; it is a broken answer.
                    raise http.client.IncompleteRead(b"", response.length)
                buffer.truncate(cap)
                return _raw_exchange(
                    sent, response, started, body=buffer.getvalue(), body_capped=capped,
                    received=size,
                )  # fmt: skip
            except (OSError, http.client.HTTPException, ssl.SSLError) as error:
                if response is None or response.status is None or not response.headers:
                    problem = self._head_error(error, url, dog)
                    return Exchange(sent, error=problem, elapsed=_since(started))
                declared = _length(response.getheader("Content-Length"))
                problem = self._body_error(error, size, declared, url, dog)
                return _raw_exchange(sent, response, started, error=problem, received=size)
            finally:
                sock.close()

    def _after_head(
        self,
        sent: SentRequest,
        response: http.client.HTTPResponse,
        sock: socket.socket,
        cap: int,
        started: float,
    ) -> Exchange:
        """A HEAD answer has no content (RFC 9110 §9.3.2): keep whatever octets follow it.

        The request asked for `Connection: close`, so anything before EOF is content the server
        should not have sent; a server that keeps the connection open gets a short grace period.
        """
        sock.settimeout(HEAD_GRACE)
        leftover = io.BytesIO()
        size = 0
        grace_ends = time.monotonic() + HEAD_GRACE
        try:
            while size <= cap and time.monotonic() < grace_ends:
                chunk = response.fp.read1(CHUNK) if response.fp is not None else b""
                if not chunk:
                    break
                leftover.write(chunk)
                size += len(chunk)
        except (TimeoutError, OSError, ValueError):
            pass
        leftover.truncate(cap)
        return _raw_exchange(
            sent, response, started, body=leftover.getvalue(), body_capped=size > cap,
            received=size,
        )  # fmt: skip

    def proxy_for(self, url: str) -> str | None:
        """The proxy this URL goes through: --proxy, or the environment's with --proxy-from-env."""
        if self.settings.proxy:
            return self.settings.proxy
        if not self.settings.proxy_from_env:
            return None
        host = urlsplit(url).hostname or ""
        if urllib.request.proxy_bypass(host):
            return None
        return urllib.request.getproxies().get(urlsplit(url).scheme)

    def _open_socket(
        self, scheme: str, host: str, port: int, proxy: str | None, dog: Watchdog
    ) -> socket.socket:
        """A connection to the origin, or through the proxy (CONNECT tunnel for https), watched
        by `dog` from the moment it exists."""
        timeout = self.settings.connect_timeout
        if proxy is None:
            sock = socket.create_connection((host, port), timeout=timeout)
            dog.watch(sock)
            return sock
        via = urlsplit(proxy if "://" in proxy else "http://" + proxy)
        sock = socket.create_connection((via.hostname or "", via.port or 8080), timeout=timeout)
        dog.watch(sock)
        if scheme == "https":
            try:
                sock.settimeout(self.settings.read_timeout)
                sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
                             .encode("latin-1"))  # fmt: skip
                answer = http.client.HTTPResponse(sock, method="CONNECT")
                answer.begin()
                if answer.status != 200:
                    raise ConnectionError(f"proxy {proxy} refused CONNECT: {answer.status}")
            except BaseException:
                sock.close()
                raise
        return sock

    def _tls_context(self) -> ssl.SSLContext:
        verify = self.settings.verify
        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.settings.cert:
            context.load_cert_chain(*self.settings.cert)
        return context


def _raw_exchange(
    sent: SentRequest,
    response: http.client.HTTPResponse,
    started: float,
    *,
    body: bytes = b"",
    body_capped: bool = False,
    error: str | None = None,
    received: int | None = None,
) -> Exchange:
    """An Exchange from an http.client answer (the raw-socket path): its status line and
    fields, with what became of the body."""
    fields = tuple(response.getheaders())
    return Exchange(
        sent,
        status=response.status,
        reason=response.reason,
        headers=fields,
        body=body,
        body_capped=body_capped,
        elapsed=_since(started),
        error=error,
        received=received,
        head_octets=head_octets(response.status, response.reason, fields),
    )


def head_octets(status: int, reason: str, fields: tuple[tuple[str, str], ...]) -> int:
    """Octets of an answer's head as parsed: `HTTP/1.1 status reason`, each `name: value`, and
    their CRLFs (an estimate only where the server padded with whitespace or folded lines)."""
    line = len(f"HTTP/1.1 {status} {reason}") + 2
    return line + sum(len(name) + 2 + len(value) + 2 for name, value in fields) + 2


def _length(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def _split_line(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name, value.lstrip(" ") if value.startswith(" ") else value


def _since(started: float) -> float:
    return time.monotonic() - started


def _maybe_stale(error: str | None) -> bool:
    """Nothing came back because the connection ended first: the mark of a stale keep-alive."""
    return error is not None and (
        "closed the connection without answering" in error
        or "reset the connection before answering" in error
    )
