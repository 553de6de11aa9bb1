"""Full garbage-collection pause of the desktop app's heap, before and after ``freeze_startup_heap``.

Run: ``python tests/bench/bench_gc_pause.py`` (offscreen). Builds the real start-up heap (a
QApplication, a profile, the MainWindow with its services), then times ``gc.collect()`` (a full,
generation-2 collection, which holds the GIL and so stops the GUI thread) in wall and CPU time:
first as is (the same-run baseline), then after ``freeze_startup_heap`` as ``run_gui`` does. The
sync worker's allocations trigger such collections on their own; this was the 74 ms GUI stall of
``test_gui_stays_responsive_during_10000_record_sync``.
"""

from __future__ import annotations

import gc
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6 import __version__ as pyside_version  # noqa: E402

from app.ui.context import AppContext  # noqa: E402
from app.ui.gc_guard import freeze_startup_heap  # noqa: E402
from app.ui.launch import make_application  # noqa: E402
from app.ui.main_window import MainWindow  # noqa: E402

RUNS = 7


def collect_times() -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``RUNS`` full collections."""
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.thread_time()
        gc.collect()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.thread_time() - cpu) * 1000)
    return sorted(walls)[RUNS // 2], sorted(cpus)[RUNS // 2]


def main() -> None:
    app = make_application()
    with tempfile.TemporaryDirectory() as data_dir:
        context = AppContext.open(data_dir)
        window = MainWindow(context, use_tray=False)
        window.show()
        app.processEvents()
        tracked = len(gc.get_objects())
        before = collect_times()
        freeze_startup_heap()
        after = collect_times()
        frozen = gc.get_freeze_count()
        gc.unfreeze()
        window.timer._ticker.stop()
        window.close()
        context.profile.close()
    print(f"Python {platform.python_version()}, PySide6 {pyside_version}, {platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"tracked objects after start-up: {tracked:,}; frozen by freeze_startup_heap: {frozen:,}")
    print(f"full collection, start-up heap as is : wall {before[0]:8.2f} ms, CPU {before[1]:8.2f} ms (baseline)")
    print(f"full collection, after the freeze    : wall {after[0]:8.2f} ms, CPU {after[1]:8.2f} ms "
          f"(x{before[1] / max(after[1], 1e-6):,.0f} less CPU)")


if __name__ == "__main__":
    main()
