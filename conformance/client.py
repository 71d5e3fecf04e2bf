"""The only network code: a SentRequest goes out, an Exchange of undecoded bytes comes back.

Two paths: one `requests.Session` (identity encoding, no redirects, timeouts, capped raw reads) for
ordinary cases, and a raw socket for the cases whose header lines must reach the wire exactly as
written (duplicates, odd whitespace, obs-text). Transport problems become `Exchange.error`, never
an exception.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3

from . import __version__
from .model import Exchange, SentRequest

USER_AGENT = f"range-conformance/{__version__}"
CHUNK = 64 * 1024
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


class Client:
    """Sends requests for one run; owns the session and closes it."""

    def __init__(self, settings: ClientSettings | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.session = requests.Session()
        # Proxies only when asked: loopback and CI traffic must not take a detour by surprise.
        self.session.trust_env = self.settings.proxy_from_env
        if self.settings.proxy:
            self.session.proxies = {"http": self.settings.proxy, "https": self.settings.proxy}
        if self.settings.cert:
            cert = self.settings.cert
            self.session.cert = cert[0] if len(cert) == 1 else (cert[0], cert[1])
        # Replace requests' defaults: identity encoding so slices are compared on coded octets.
        self.session.headers.clear()
        self.session.headers.update(self.base_headers())
        self.session.verify = self.settings.verify

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
        whole_or_nothing: bool = False,
    ) -> Exchange:
        """Send through the session; read at most `cap` octets of the body, undecoded.

        With `whole_or_nothing`, a body whose declared length exceeds `cap` is not read at all.
        """
        merged = {**self.base_headers(), **dict(headers)}
        sent = SentRequest(method, url, tuple(merged.items()), body=body)
        started = time.monotonic()
        try:
            # Straight to the adapter: Session.send reads (and decodes) the body of a 3xx to
            # prepare a redirect even with allow_redirects=False, which would hide its octets.
            prepared = self.session.prepare_request(
                requests.Request(method, url, headers=dict(headers), data=body or None)
            )
            settings = self.session.merge_environment_settings(
                prepared.url, {}, True, self.session.verify, self.session.cert
            )
            response = self.session.get_adapter(prepared.url or url).send(
                prepared,
                stream=True,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                verify=settings["verify"] if settings["verify"] is not None else True,
                cert=settings["cert"],
                proxies=settings["proxies"],
            )
        except requests.RequestException as error:
            return Exchange(sent, error=describe_error(error, url), elapsed=_since(started))
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
        declared = response.headers.get("Content-Length", "")
        if whole_or_nothing and declared.isdigit() and int(declared) > cap:
            cap = 0
        try:
            data, capped = self._read(response.raw, cap, started)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            response.close()
            return Exchange(
                sent,
                status=response.status_code,
                reason=response.reason or "",
                headers=tuple(response.raw.headers.items()),
                error=f"reading the body failed: {describe_error(error, url)}",
                elapsed=_since(started),
            )
        if capped:
            response.close()  # leftover octets must not reach the next case
        else:
            response.raw.release_conn()
        return Exchange(
            sent,
            status=response.status_code,
            reason=response.reason or "",
            headers=tuple(response.raw.headers.items()),
            body=data,
            body_capped=capped,
            elapsed=_since(started),
        )

    def _read(self, raw: urllib3.BaseHTTPResponse, cap: int, started: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        while size <= cap:
            if time.monotonic() - started > self.settings.deadline:
                raise TimeoutError(f"body still arriving after {self.settings.deadline:.0f} s")
            chunk = raw.read(min(CHUNK, cap + 1 - size), decode_content=False)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)[:cap], True

    def send_raw(
        self,
        method: str,
        url: str,
        header_lines: list[str],
        *,
        body: bytes = b"",
        cap: int,
    ) -> Exchange:
        """Write the request head octet for octet (U+0000-U+00FF → one octet) on a new socket."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        authority = parts.netloc.rpartition("@")[2]
        base = [f"{name}: {value}" for name, value in self.base_headers().items()]
        lines = [f"Host: {authority}", *base, "Connection: close", *header_lines]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{line}\r\n" for line in lines) + "\r\n"
        sent = SentRequest(
            method, url, tuple(_split_line(line) for line in lines), raw=True, body=body
        )
        started = time.monotonic()
        try:
            sock = socket.create_connection((host, port), timeout=self.settings.connect_timeout)
        except OSError as error:
            return Exchange(sent, error=describe_error(error, url), elapsed=_since(started))
        try:
            sock.settimeout(self.settings.read_timeout)
            if parts.scheme == "https":
                sock = self._tls_context().wrap_socket(sock, server_hostname=host)
            sock.sendall(head.encode("latin-1") + body)
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            if method == "HEAD":
                return self._after_head(sent, response, sock, cap, started)
            chunks: list[bytes] = []
            size = 0
            capped = False
            while True:
                if time.monotonic() - started > self.settings.deadline:
                    raise TimeoutError(f"body still arriving after {self.settings.deadline:.0f} s")
                chunk = response.read(min(CHUNK, cap + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > cap:
                    capped = True
                    break
            return Exchange(
                sent,
                status=response.status,
                reason=response.reason,
                headers=tuple(response.getheaders()),
                body=b"".join(chunks)[:cap],
                body_capped=capped,
                elapsed=_since(started),
            )
        except (OSError, http.client.HTTPException, ssl.SSLError) as error:
            return Exchange(sent, error=describe_error(error, url), elapsed=_since(started))
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
        leftover = b""
        try:
            while len(leftover) <= cap:
                chunk = response.fp.read1(CHUNK) if response.fp is not None else b""
                if not chunk:
                    break
                leftover += chunk
        except (TimeoutError, OSError):
            pass
        return Exchange(
            sent,
            status=response.status,
            reason=response.reason,
            headers=tuple(response.getheaders()),
            body=leftover[:cap],
            body_capped=len(leftover) > cap,
            elapsed=_since(started),
        )

    def _tls_context(self) -> ssl.SSLContext:
        verify = self.settings.verify
        context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
        if verify is False:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.settings.cert:
            context.load_cert_chain(*self.settings.cert)
        return context


def _split_line(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name, value.lstrip(" ") if value.startswith(" ") else value


def _since(started: float) -> float:
    return time.monotonic() - started


def describe_error(error: BaseException, url: str) -> str:
    """A one-line, human explanation of a transport failure."""
    text = str(error)
    if isinstance(error, requests.ConnectTimeout | socket.timeout | TimeoutError):
        if isinstance(error, requests.ConnectTimeout):
            return f"connecting to {url} timed out"
        return f"timed out waiting for {url}: {text or 'no answer'}"
    if isinstance(error, requests.ReadTimeout):
        return f"{url} accepted the request but sent no answer in time"
    if isinstance(error, requests.ConnectionError | ConnectionError):
        if "refused" in text.lower():
            return f"cannot reach {url}: connection refused. Is the server running?"
        if "reset" in text.lower():
            return f"{url} reset the connection"
        return f"connection to {url} failed: {_last_reason(text)}"
    if isinstance(error, ssl.SSLError | requests.exceptions.SSLError):
        return f"TLS with {url} failed: {_last_reason(text)}"
    if isinstance(error, http.client.HTTPException):
        return f"{url} sent a response that is not valid HTTP/1.1: {type(error).__name__} {text}"
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return f"{url} broke the response off: {_last_reason(text)}"
    return f"{type(error).__name__}: {_last_reason(text)}"


def _last_reason(text: str) -> str:
    """urllib3 nests reasons in parentheses; the innermost is the useful one."""
    text = text.strip()
    return text if len(text) < 200 else text[:197] + "..."
