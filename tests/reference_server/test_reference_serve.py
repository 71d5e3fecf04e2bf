"""serve_in_thread and serve_bundled serve over a real socket on 127.0.0.1, then stop."""

from __future__ import annotations

import http.client
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from reference_server import FIXTURE_ROLES, serve_bundled, serve_in_thread


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    status, lines, body = _get_lines(url, headers)
    return status, dict(lines), body


def _get_lines(
    url: str, headers: dict[str, str] | None = None
) -> tuple[int, list[tuple[str, str]], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", parts.path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def test_serve_in_thread_serves_and_stops(app: Flask, files_dir: Path) -> None:
    with serve_in_thread(app) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        status, headers, body = _get(base_url + FIXTURE_ROLES["main"], {"Range": "bytes=0-9"})
        assert status == 206
        assert headers["Content-Range"] == "bytes 0-9/1000"
        assert body == (files_dir / "r1000.bin").read_bytes()[:10]
        status, _, body = _get(base_url + FIXTURE_ROLES["main"], {"Range": "bytes=0-0,-1"})
        assert status == 206
        status, headers, body = _get(base_url + FIXTURE_ROLES["main"], {"If-None-Match": "*"})
        assert (status, body) == (304, b"")
        assert "Content-Length" not in headers  # Werkzeug must not add "Content-Length: 0"
        assert "Transfer-Encoding" not in headers
        assert "ETag" in headers
        for status_wanted, request_headers in ((206, {"Range": "bytes=0-9"}), (200, {})):
            status, lines, _ = _get_lines(base_url + FIXTURE_ROLES["main"], request_headers)
            assert status == status_wanted
            # exactly one Date line: the HTTP server's (RFC 9110 §5.3, §6.6.1)
            assert [name for name, _ in lines].count("Date") == 1
        port = urlsplit(base_url).port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port or 0), timeout=2).close()


def test_serve_bundled(tmp_path: Path) -> None:
    with serve_bundled(tmp_path) as server:
        assert set(server.urls) == set(FIXTURE_ROLES)
        assert server.urls["main"] == server.base_url + "/files/r1000.bin"
        assert set(server.files) == {"main", "r10000", "one", "empty", "text", "gzip", "large"}
        status, headers, body = _get(server.urls["one"])
        assert (status, body) == (200, server.files["one"].read_bytes())
        assert headers["Last-Modified"] == "Wed, 01 Jan 2020 00:00:00 GMT"
        assert _get(server.urls["missing"])[0] == 404
