"""Garbage collection only on the GUI thread (the approach of Anki's ``aqt.main.GarbageCollector``).

Python's cyclic collector runs on whichever thread happens to allocate past a threshold: the sync
worker, the monitor loop, a background read. When that collection frees a cycle holding a Qt wrapper
created on the GUI thread, the C++ object is destroyed on the wrong thread and the process can crash
(segfaults seen in the suite inside Qt's event processing, at random tests). So automatic collection
is switched off and this timer runs the same generational collections on the GUI thread instead.
The start-up heap is frozen first (``freeze``), so even a full collection walks only what was
allocated since, and costs a few milliseconds, not the 75–230 ms that stalled the window.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot

CHECK_MS = 1000


def freeze_startup_heap() -> None:
    """Take everything start-up allocated (modules, Qt wrappers, the window) out of the collector's
    walks; garbage is collected first."""
    gc.collect()
    gc.freeze()


class GuiThreadCollector(QObject):
    """Owns garbage collection while the app runs: ``gc.disable()`` plus a GUI-thread timer that
    collects each generation once its count passes Python's own threshold. ``stop`` gives the
    collector back to Python."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.collections = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Back to how it was before ``start`` (automatic collection on, in the app)."""
        self._timer.stop()
        if getattr(self, "_was_enabled", True):
            gc.enable()

    @Slot()
    def check(self) -> None:
        """One check: the oldest generation whose count is past its threshold is collected
        (with the younger ones), as the automatic collector would have done."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                self.collections += 1
                return
