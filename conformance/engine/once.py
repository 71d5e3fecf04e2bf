"""A value computed once per key, however many threads ask for it at the same time (the
concurrent cases of a run share each learned resource and each fetched oracle window)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OncePerKey(Generic[K, V]):
    """Threads asking for a key being computed wait for that one computation; a computation
    that raises leaves the key unset, so the next asker tries again."""

    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._gates: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                return self._values[key]
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = compute()
            with self._lock:
                self._values[key] = value
            return value

    def items(self) -> dict[K, V]:
        """Everything computed so far."""
        with self._lock:
            return dict(self._values)
