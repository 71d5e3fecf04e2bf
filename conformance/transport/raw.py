"""The raw-socket path: a request head written octet for octet, for the cases whose header lines
must reach the wire exactly as written (duplicates, odd whitespace, obs-text), and for HEAD,
whose answer must be watched for octets that should not be there.

One new connection per request (`Connection: close`), under the same deadline watchdog as the
session path, through a proxy (a CONNECT tunnel for https) when one is set.
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
import urllib.request
from urllib.parse import urlsplit

from conformance.model import Exchange, SentRequest
from conformance.transport.body_reader import CHUNK
from conformance.transport.failures import body_failure, head_error
from conformance.transport.framing import content_length, head_octets, since
from conformance.transport.settings import ClientSettings, base_headers
from conformance.transport.watchdog import Watchdog

HEAD_GRACE = 0.5  # seconds to wait for octets a server wrongly sends after a HEAD answer


class RawPath:
    """Sends one request on a socket of its own and reads the answer with http.client."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings

    def send(
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
        base = [f"{name}: {value}" for name, value in base_headers(self.settings).items()]
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
                problem = head_error(error, url, dog, self.settings)
                return Exchange(sent, error=problem, elapsed=since(started))
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
                        sent,
                        error=head_error(None, url, dog, self.settings),
                        elapsed=since(started),
                    )
                if method == "HEAD":
                    return self._after_head(sent, response, sock, cap, started)
                declared = content_length(response.getheader("Content-Length"))
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
                    problem = head_error(error, url, dog, self.settings)
                    return Exchange(sent, error=problem, elapsed=since(started))
                declared = content_length(response.getheader("Content-Length"))
                problem = body_failure(error, size, declared, url, dog, self.settings)
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
        elapsed=since(started),
        error=error,
        received=received,
        head_octets=head_octets(response.status, response.reason, fields),
    )


def _split_line(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name, value.lstrip(" ") if value.startswith(" ") else value
