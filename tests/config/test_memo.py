"""config.memo: a few seconds of per-process memory, shared rather than copied."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from config.memo import ProcessMemo


def test_a_value_is_shared_until_it_expires(monkeypatch):
    # The memo's own clock, moved by hand: a loaded machine may pause for longer than a
    # short expiry between setting a value and reading it back.
    clock = [1000.0]
    monkeypatch.setattr("config.memo.time", SimpleNamespace(monotonic=lambda: clock[0]))
    memo = ProcessMemo()
    value = ["not", "copied"]
    memo.set("k", value, 0.2)

    clock[0] += 0.19
    assert memo.get("k") is value
    clock[0] += 0.02
    assert memo.get("k") is None


def test_get_or_set_loads_once_per_period_and_never_remembers_with_zero_seconds():
    memo = ProcessMemo()
    loads: list[int] = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert [memo.get_or_set("k", load, 60) for _ in range(3)] == [1, 1, 1]
    assert [memo.get_or_set("z", load, 0) for _ in range(2)] == [2, 3]
    assert memo.get("z") is None


def test_a_load_that_raises_remembers_nothing():
    memo = ProcessMemo()

    def load() -> int:
        raise LookupError("gone")

    for _ in range(2):
        with pytest.raises(LookupError):
            memo.get_or_set("k", load, 60)
    assert memo.get("k") is None


def test_when_full_expired_entries_go_first_then_everything():
    memo = ProcessMemo(max_entries=3)
    memo.set("old", 1, 0.01)
    memo.set("a", 2, 60)
    memo.set("b", 3, 60)
    time.sleep(0.02)

    memo.set("c", 4, 60)  # full: the expired entry makes room
    assert [memo.get(k) for k in ("old", "a", "b", "c")] == [None, 2, 3, 4]

    memo.set("d", 5, 60)  # full of fresh entries: starts over, bounded
    assert [memo.get(k) for k in ("a", "b", "c", "d")] == [None, None, None, 5]


def test_clear_forgets_everything():
    memo = ProcessMemo()
    memo.set("k", 1, 60)
    memo.clear()
    assert memo.get("k") is None
