"""What every visitor of a viral campaign reads alike (its page, its public counter, the MEPs a
letter can go to), kept a few seconds in this process's memory: each web process asks the
database for it at most once per PAGE_CACHE_SECONDS (COUNTERS_CACHE_SECONDS for counters).

Values are shared, not copied (Django's local-memory cache pickles each one; unpickling twenty
MEPs with their roles cost a third of what loading them did), so callers must treat what they
get as read-only. campaign/signals.py clears it when the process itself saves what it shows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_MAX_ENTRIES = 2000


class ProcessMemo:
    def __init__(self, max_entries: int = _MAX_ENTRIES) -> None:
        self._entries: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def set(self, key: str, value: Any, seconds: float) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries = {k: e for k, e in self._entries.items() if e[0] > now}
                if len(self._entries) >= self._max_entries:  # all fresh: start over
                    self._entries.clear()
            self._entries[key] = (now + seconds, value)

    def get_or_set(self, key: str, load: Callable[[], T], seconds: float) -> T:
        """The remembered value, or `load()`'s, remembered for `seconds` (0: never)."""
        if seconds <= 0:
            return load()
        value: T | None = self.get(key)
        if value is None:
            value = load()
            self.set(key, value, seconds)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


memo = ProcessMemo()
