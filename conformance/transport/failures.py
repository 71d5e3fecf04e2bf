"""Transport failures in words that name the server's fault, not the HTTP library's exception."""

from __future__ import annotations

import http.client
import ssl
from typing import TYPE_CHECKING, Any

import requests
import urllib3

if TYPE_CHECKING:
    from conformance.transport.settings import ClientSettings
    from conformance.transport.watchdog import Watchdog

SHOWN_OCTETS = 40  # how much of a broken status line or of stray octets a message quotes


def count_octets(octets: int) -> str:
    return f"{octets} octet" if octets == 1 else f"{octets} octets"


def show_octets(octets: bytes) -> str:
    shown = repr(octets[:SHOWN_OCTETS])
    return shown + ("..." if len(octets) > SHOWN_OCTETS else "")


def causes(error: BaseException) -> list[BaseException]:
    """The error and every exception it wraps (cause, context, urllib3 reasons and args)."""
    found: list[BaseException] = []
    pending: list[BaseException] = [error]
    while pending and len(found) < 20:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        inner = [current.__cause__, current.__context__, getattr(current, "reason", None)]
        inner += list(current.args)
        pending += [e for e in inner if isinstance(e, BaseException)]
    return found


def partial_octets(error: BaseException) -> int:
    """How many body octets an IncompleteRead says arrived."""
    partial = getattr(error, "partial", 0)
    if isinstance(error, http.client.IncompleteRead) and isinstance(partial, bytes):
        return len(partial)
    return partial if isinstance(partial, int) else 0


def status_line_problem(line: str) -> str:
    shown = line.rstrip("\r\n").encode("latin-1", "replace")
    text = f"status line is not HTTP: {show_octets(shown)}"
    if not shown.startswith(b"HTTP/"):
        text += " (no HTTP/1.x status line at all: an HTTP/0.9-style answer, or not HTTP)"
    return text


def describe_error(error: BaseException, url: str, settings: ClientSettings | None = None) -> str:
    """A one-line, human explanation of a transport failure, naming the server's fault."""
    chain = causes(error)
    text = str(error)

    def first(kind: type[BaseException] | tuple[type[BaseException], ...]) -> Any:
        return next((e for e in chain if isinstance(e, kind)), None)

    connect_limit = settings.connect_timeout if settings is not None else 5.0
    read_limit = settings.read_timeout if settings is not None else 10.0
    if first(ConnectionRefusedError) is not None or "refused" in text.lower():
        return f"cannot reach {url}: connection refused. Is the server running?"
    connect_timeout = first((requests.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError))
    # urllib3's NewConnectionError is a ConnectTimeoutError too: it is not a timeout.
    if connect_timeout is not None and first(urllib3.exceptions.NewConnectionError) is None:
        return f"connecting to {url} timed out after {connect_limit:g} s"
    if first(ssl.SSLError) is not None:
        return f"TLS handshake with {url} failed: {last_reason(str(first(ssl.SSLError)))}"
    bad_line = first(http.client.BadStatusLine)
    if bad_line is not None and not isinstance(bad_line, http.client.RemoteDisconnected):
        return f"{url}: {status_line_problem(str(bad_line.args[0]) if bad_line.args else '')}"
    if first(http.client.LineTooLong) is not None:
        too_long = first(http.client.LineTooLong)
        return f"{url} sent a status line or header field that is too long: {too_long}"
    if first(http.client.RemoteDisconnected) is not None:
        return f"{url} closed the connection without answering"
    timeout = (requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)
    if first(timeout) is not None:
        return f"{url} accepted the request but sent no answer within {read_limit:g} s"
    if first(ConnectionResetError) is not None:
        return f"{url} reset the connection before answering"
    if first(http.client.HTTPException) is not None:
        inner = first(http.client.HTTPException)
        return f"{url} sent a response that is not valid HTTP/1.1: {type(inner).__name__} {inner}"
    if isinstance(error, requests.ConnectionError | ConnectionError):
        return f"connection to {url} failed: {last_reason(error)}"
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return f"{url} broke the response off: {last_reason(error)}"
    return f"{type(error).__name__}: {last_reason(error)}"


def last_reason(error: BaseException | str) -> str:
    """urllib3 nests reasons in parentheses; the innermost is the useful one."""
    text = str(error).strip()
    return text if len(text) < 200 else text[:197] + "..."


def body_error(
    error: BaseException, octets: int, declared: int | None, url: str, read_timeout: float
) -> str:
    """Name what went wrong with a body, counting the octets that arrived."""
    announced = f" of an announced {declared}" if declared is not None else ""
    chain = causes(error)
    octets = max([octets, *(partial_octets(e) for e in chain)])
    got = count_octets(octets)
    if any(isinstance(e, ConnectionResetError) for e in chain):
        return f"{url} reset the connection mid-body, after {got}{announced}"
    if any(isinstance(e, TimeoutError | urllib3.exceptions.ReadTimeoutError) for e in chain):
        return f"{url} sent {got} of the body{announced}, then nothing for {read_timeout:g} s"
    if any(isinstance(e, urllib3.exceptions.InvalidChunkLength) for e in chain):
        return f"{url} broke the chunked framing after {got}: {last_reason(error)}"
    incomplete = (urllib3.exceptions.IncompleteRead, http.client.IncompleteRead)
    if any(isinstance(e, incomplete) for e in chain):
        if declared is not None:
            return f"{url} sent {got}{announced}, then closed the connection"
        return f"{url} closed the connection in the middle of a chunk after {got}"
    return f"reading the body failed after {got}: {describe_error(error, url)}"


def head_error(
    error: BaseException | None, url: str, dog: Watchdog, settings: ClientSettings
) -> str:
    """Why no status line and header fields came: the deadline, or the error named."""
    if dog.fired:
        return (
            f"no complete status line and header fields from {url} within "
            f"{dog.seconds:g} s: they were still arriving (a trickling server)"
        )
    assert error is not None
    return describe_error(error, url, settings)


def body_failure(
    error: BaseException | None,
    octets: int,
    declared: int | None,
    url: str,
    dog: Watchdog,
    settings: ClientSettings,
) -> str:
    """What went wrong with the body, counting what arrived: the deadline, or the error."""
    if dog.fired:
        announced = f" of an announced {declared}" if declared is not None else ""
        return (
            f"{url} was still sending the body after {dog.seconds:g} s "
            f"({count_octets(octets)}{announced} so far); gave up"
        )
    assert error is not None
    return body_error(error, octets, declared, url, settings.read_timeout)
