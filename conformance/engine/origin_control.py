"""Cache mode's line to the tool's own origin: its control path (`POST /_rc/control`).

The origin may run in this process (`range-conformance cache --origin-port P`) or elsewhere
(an origin a CDN can reach); either way the judge drives it over HTTP, never through the cache.
"""

from __future__ import annotations

from typing import Any

import requests

from conformance.errors import TargetError
from conformance.model import Upstream

CONTROL_PATH = "/_rc/control"


class OriginGone(TargetError):
    """The origin's control path does not answer at all: no later cache case can be judged."""


class OriginControl:
    """Put, replace and break representations on the origin, and read what reached it."""

    def __init__(self, base: str, session: requests.Session, timeout: float = 10.0) -> None:
        self.base = base.rstrip("/")
        self.session = session
        self.timeout = timeout

    def _call(self, **op: Any) -> dict[str, Any]:
        try:
            answer = self.session.post(self.base + CONTROL_PATH, json=op, timeout=self.timeout)
        except requests.RequestException as error:
            raise OriginGone(f"the origin's control path {self.base} failed: {error}") from None
        try:
            data = answer.json()
        except ValueError:  # not the tool's origin, or not answering as one
            data = None
        if not isinstance(data, dict):
            data = {}
        if answer.status_code == 200 and data:
            return data
        if "error" in data:
            raise TargetError(f"the origin refused {op.get('op')!r}: {data['error']}")
        raise TargetError(
            f"{self.base} answered {op.get('op')!r} on {CONTROL_PATH} with HTTP "
            f"{answer.status_code} and no JSON object: it is not the tool's origin "
            "(`range-conformance origin --origin-port P` starts one)"
        )

    def put(self, path: str, **options: Any) -> dict[str, Any]:
        return self._call(op="put", path=path, **options)

    def replace(self, path: str, version: int) -> dict[str, Any]:
        return self._call(op="replace", path=path, version=version)

    def fault(
        self, path: str, kind: str, *, after: int = 0, status: int = 0, count: int = 1
    ) -> None:
        options: dict[str, Any] = {"kind": kind, "count": count}
        if kind == "cut":
            options["after"] = after
        if kind == "status":
            options["status"] = status
        self._call(op="fault", path=path, **options)

    def log(self, path: str) -> list[Upstream]:
        records = self._call(op="log", path=path).get("requests", [])
        return [
            Upstream(
                method=str(r.get("method", "")),
                range=r.get("range"),
                headers={str(k): str(v) for k, v in (r.get("headers") or {}).items()},
                status=int(r.get("status") or 0),
                octets=int(r.get("octets") or 0),
                complete=bool(r.get("complete")),
            )
            for r in records
        ]
