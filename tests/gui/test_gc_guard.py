"""Cyclic garbage is collected on the GUI thread only while the app runs (app.ui.gc_guard)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from app.ui.gc_guard import GuiThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The thread ident of every collection that starts while the test runs."""
    seen: list[int] = []

    def record(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(threading.get_ident())

    gc.callbacks.append(record)
    yield seen
    gc.callbacks.remove(record)


def _make_garbage_on_a_worker_thread(count: int) -> None:
    def work() -> None:
        for _ in range(count):
            _Cycle()

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()


def test_worker_garbage_is_collected_on_the_gui_thread(qtbot: Any, collections: list[int]) -> None:
    """Without the guard, a worker thread's allocations start collections on that worker thread
    (where a Qt object of the GUI thread could be freed)."""
    gui_thread = threading.get_ident()
    was_enabled = gc.isenabled()
    collector = GuiThreadCollector(interval_ms=20)
    gc.enable()  # as in the app before the guard starts (the test session keeps it off)
    collector.start()
    try:
        assert not gc.isenabled()
        _make_garbage_on_a_worker_thread(50_000)
        assert [ident for ident in collections if ident != gui_thread] == []
        qtbot.waitUntil(lambda: collector.collections > 0, timeout=5000)
        assert collections and set(collections) == {gui_thread}
    finally:
        collector.stop()
        if not was_enabled:
            gc.disable()
    assert gc.isenabled() or not was_enabled


def test_without_the_guard_a_worker_thread_collects(collections: list[int]) -> None:
    """The hazard the guard removes, shown: automatic collection runs on the allocating thread."""
    gui_thread = threading.get_ident()
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        _make_garbage_on_a_worker_thread(50_000)
    finally:
        if not was_enabled:
            gc.disable()
    assert [ident for ident in collections if ident != gui_thread], "a worker thread should have collected"
