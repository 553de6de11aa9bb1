"""Cost of the window's once-per-half-second check for other processes' writes (issue 15, task CLI).

Run: ``python tests/bench/bench_external_poll.py [TASKS]`` (offscreen, default 100,000 tasks in one week).
Times, on one profile in the same run: ``SELECT 1`` on the GUI connection (the baseline: one round trip
into SQLite), an idle ``ExternalChangeWatcher.poll`` (nothing changed: ``PRAGMA data_version`` only),
a poll after another connection wrote a non-task row (the monitor's case: ``data_version`` moved, the
one-row ``data_generation`` is read and found unchanged) and a poll after another connection wrote a
task (the CLI's case: the caches are dropped and a bulk ``Changes`` published; no view is connected).
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication  # noqa: E402

from app.profile import Profile  # noqa: E402
from app.services.cache import CacheService  # noqa: E402
from app.services.data_service import DataService  # noqa: E402
from app.ui.external_changes import ExternalChangeWatcher  # noqa: E402

ROUNDS = 2000


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main(tasks: int) -> int:
    app = QCoreApplication.instance() or QCoreApplication(sys.argv)
    with tempfile.TemporaryDirectory() as folder:
        profile = Profile.open(folder)
        data = DataService(profile.db, CacheService())
        week = data.create_week("2026-W48")
        data.write_tasks(week, [{"project_name": f"P{i % 7}", "duration_seconds": 60 + i % 900} for i in range(tasks)])
        watcher = ExternalChangeWatcher(data)
        conn = profile.db.get()
        other = sqlite3.connect(profile.paths.db_path, isolation_level=None)
        results: dict[str, list[float]] = {"baseline": [], "idle": [], "non_task": [], "task": []}
        for round_number in range(ROUNDS):
            start = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            results["baseline"].append(time.perf_counter() - start)
            start = time.perf_counter()
            watcher.poll()
            results["idle"].append(time.perf_counter() - start)
            other.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('bench', ?)", (str(round_number),))
            start = time.perf_counter()
            assert watcher.poll() is False
            results["non_task"].append(time.perf_counter() - start)
            if round_number % 20 == 0:
                other.execute("BEGIN IMMEDIATE")
                other.execute("UPDATE tasks_optimized SET feedback = ? WHERE id = 1", (str(round_number),))
                other.execute("UPDATE data_generation SET value = value + 1")
                other.execute("COMMIT")
                start = time.perf_counter()
                assert watcher.poll() is True
                results["task"].append(time.perf_counter() - start)
        other.close()
        profile.close()
    base = _median_us(results["baseline"])
    print(f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, {tasks:,} tasks, "
          f"load {os.getloadavg()[0]:.1f}")
    for name, samples in results.items():
        median = _median_us(samples)
        print(f"{name:<9} median {median:8.1f} µs  p99 {sorted(samples)[int(len(samples) * 0.99)] * 1e6:8.1f} µs  "
              f"x{median / base:6.1f} of SELECT 1  ({len(samples)} samples)")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
