"""The network: a request goes out, an Exchange of undecoded bytes comes back.

Two paths: one `requests.Session` (identity encoding, no redirects, timeouts, capped raw reads) for
ordinary cases (here), and a raw socket for the cases whose header lines must reach the wire
exactly as written (`raw`). Transport problems become `Exchange.error`, never an exception.

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
import time
import warnings

import requests
import urllib3

from conformance.model import Exchange, SentRequest
from conformance.transport.body_reader import BodyReader
from conformance.transport.failures import body_failure, head_error, show_octets
from conformance.transport.framing import content_length, head_octets, since
from conformance.transport.raw import RawPath
from conformance.transport.settings import USER_AGENT, ClientSettings, Traffic, base_headers
from conformance.transport.watchdog import DeadlineAdapter, Watchdog

__all__ = ["USER_AGENT", "Client", "ClientSettings", "Traffic"]

IDEMPOTENT = ("GET", "HEAD", "OPTIONS")


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
        return base_headers(self.settings)

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
        if method in IDEMPOTENT:
            exchange = self._send(self.session, method, url, headers, body, cap, window)
            if exchange.status is not None or not _maybe_stale(exchange.error):
                return exchange
            # A kept-alive connection the server closed just as the request went out looks like
            # this. RFC 9112 §9.3.1 lets a client retry an idempotent request once; a fresh
            # connection tells a race from a server that drops this request every time.
        # Any other method never goes on a kept-alive connection: one the server has just
        # closed would fail it, and RFC 9112 §9.3.1 forbids retrying it.
        with self._new_session() as fresh:
            return self._send(fresh, method, url, headers, body, cap, window)

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
                    sent, error=head_error(error, url, dog, self.settings), elapsed=since(started)
                )
            if dog.fired:  # the head was cut off mid-field and happened to parse
                response.close()
                return Exchange(
                    sent, error=head_error(None, url, dog, self.settings), elapsed=since(started)
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
            declared = content_length(response.headers.get("Content-Length"))
            if window is not None and declared is not None and declared > cap:
                cap = window
            read = BodyReader(response.raw, cap, method == "HEAD")
            problem: str | None = None
            try:
                read.run()
            except (urllib3.exceptions.HTTPError, OSError, http.client.HTTPException) as error:
                problem = body_failure(error, read.size, declared, url, dog, self.settings)
            if problem is None and dog.fired:
                problem = body_failure(None, read.size, declared, url, dog, self.settings)
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
                elapsed=since(started),
                error=problem,
                received=read.size,
                head_octets=head_octets(response.status_code, response.reason or "", fields),
            )

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
        """Write the request head octet for octet (U+0000-U+00FF → one octet) on a new socket
        (`raw.RawPath`); `cap` and `window` bound the body read as in `send`."""
        exchange = RawPath(self.settings).send(method, url, header_lines, body, cap, window)
        self.traffic.count(1, exchange.head_octets + exchange.body_octets)
        return exchange

    def proxy_for(self, url: str) -> str | None:
        """The proxy this URL goes through: --proxy, or the environment's with --proxy-from-env."""
        return RawPath(self.settings).proxy_for(url)


def _maybe_stale(error: str | None) -> bool:
    """Nothing came back because the connection ended first: the mark of a stale keep-alive."""
    return error is not None and (
        "closed the connection without answering" in error
        or "reset the connection before answering" in error
    )
