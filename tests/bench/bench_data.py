"""Data-layer benchmark (issue 3). Run: ``python tests/bench/bench_data.py``.

Prints DataService figures next to the seed sketch's approach (a new sqlite3 connection per
call, no cache, dict rows) measured in the same run on the same file.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QCoreApplication  # noqa: E402

from app.profile import Profile  # noqa: E402
from app.services.cache import CacheService  # noqa: E402
from app.services.data_service import DataService  # noqa: E402
from app.storage.legacy_import import import_legacy  # noqa: E402
from tests.support.bigdb import standard_big_db  # noqa: E402
from tests.support.legacy import build_large_legacy_db  # noqa: E402


class SeedService:
    """The seed's DataService pattern: open a connection per call, no cache."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def get_week_tasks(self, week_id: int) -> list[dict[str, Any]]:
        with sqlite3.connect(self.path) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT id, week_id, attempt_id, duration_seconds, duration_display, project_id, project_name, "
                "operation_id, time_limit_seconds, time_limit_display, date_audited, score, feedback, locale, "
                "time_begin, time_end, created_at, updated_at FROM tasks_optimized WHERE week_id = ? "
                "ORDER BY created_at DESC", (week_id,)).fetchall()
            return [dict(r) for r in rows]

    def calculate_week_statistics(self, week_id: int) -> dict[str, Any]:
        with sqlite3.connect(self.path) as conn:
            conn.row_factory = sqlite3.Row
            stats = dict(conn.execute(
                "SELECT COUNT(*) AS total_tasks, SUM(duration_seconds) AS total_duration, AVG(duration_seconds) "
                "AS avg_duration, AVG(score) AS avg_score, GROUP_CONCAT(project_name) AS projects "
                "FROM tasks_optimized WHERE week_id = ?", (week_id,)).fetchone())
            breakdown = {r["project_name"]: {"duration": r[1], "task_count": r[2]} for r in conn.execute(
                "SELECT project_name, SUM(duration_seconds), COUNT(*) FROM tasks_optimized "
                "WHERE week_id = ? AND project_name IS NOT NULL GROUP BY project_name", (week_id,))}
            conn.execute("INSERT OR REPLACE INTO week_statistics (week_id, total_tasks, total_duration_seconds, "
                         "avg_task_duration, avg_score, project_breakdown) VALUES (?, ?, ?, ?, ?, ?)",
                         (week_id, stats["total_tasks"], stats["total_duration"] or 0, stats["avg_duration"] or 0,
                          stats["avg_score"] or 0, json.dumps(breakdown)))
            return {**stats, "project_breakdown": breakdown}

    def create_task(self, week_id: int) -> int:
        with sqlite3.connect(self.path) as conn:
            cur = conn.execute("INSERT INTO tasks_optimized (week_id, project_name, duration_seconds) "
                               "VALUES (?, 'Bench', 60)", (week_id,))
            task_id = int(cur.lastrowid or 0)
            conn.execute("INSERT INTO task_events (task_id, event_type, event_data) VALUES (?, 'task_created', '{}')",
                         (task_id,))
            return task_id


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def fmt(samples: list[float]) -> str:
    med = statistics.median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1] if len(samples) >= 20 else max(samples)
    unit, scale = ("µs", 1e6) if med < 1e-3 else ("ms", 1e3)
    return f"median {med * scale:8.2f} {unit}   p95 {p95 * scale:8.2f} {unit}   (n={len(samples)})"


def main() -> None:
    QCoreApplication([])
    tmp = Path(tempfile.mkdtemp(prefix="wfh-bench-"))
    profile = Profile.open(tmp / "profile")
    conn = profile.db.get()
    t0 = time.perf_counter()
    weeks = standard_big_db(conn)
    total = conn.execute("SELECT COUNT(*) FROM tasks_optimized").fetchone()[0]
    print(f"# Data layer benchmark — {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"data set: {len(weeks['normal'])} weeks x 100 tasks + 4 x 500 + 1 x 5,000 = {total:,} tasks "
          f"(generated in {time.perf_counter() - t0:.1f} s); DB {profile.paths.db_path.stat().st_size / 1e6:.1f} MB; "
          f"load average {os.getloadavg()[0]:.2f}")

    cache = CacheService()
    service = DataService(profile.db, cache)
    seed = SeedService(profile.paths.db_path)
    medium, huge = weeks["medium"], weeks["huge"][0]

    def cold_week() -> None:
        cache.invalidate_all()
        for week in medium:
            service.get_week_tasks(week)

    cold = [s / len(medium) for s in timed(cold_week, 50)]
    warm = timed(lambda: service.get_week_tasks(medium[0]), 2000)
    seed_week = timed(lambda: seed.get_week_tasks(medium[0]), 50)
    print("\nget_week_tasks, 500-task week")
    print(f"  DataService cold  {fmt(cold)}")
    print(f"  DataService warm  {fmt(warm)}")
    print(f"  seed approach     {fmt(seed_week)}")

    def cold_analytics() -> None:
        cache.invalidate_all()
        service.get_week_analytics(huge)

    cold_a = timed(cold_analytics, 200)
    warm_a = timed(lambda: service.get_week_analytics(huge), 2000)
    from app.storage.repositories import refresh_week_statistics

    recompute = timed(lambda: refresh_week_statistics(conn, huge), 50)
    seed_a = timed(lambda: seed.calculate_week_statistics(huge), 50)
    print("\nget_week_analytics, 5,000-task week")
    print(f"  DataService cold  {fmt(cold_a)}   (reads the week_statistics row kept by every write)")
    print(f"  DataService warm  {fmt(warm_a)}")
    print(f"  recompute on write (covering index) {fmt(recompute)}")
    print(f"  seed approach     {fmt(seed_a)}")

    n = 3000
    target = weeks["normal"][0]
    start = time.perf_counter()
    for i in range(n):
        service.create_task(target, {"project_name": "Bench", "duration_seconds": 60 + i % 100, "score": i % 100})
    ours = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(300):
        service.create_task(huge, {"project_name": "Bench", "duration_seconds": 60, "score": 50})
    ours_huge = 300 / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(n):
        seed.create_task(target)
    seed_rate = n / (time.perf_counter() - start)
    print("\ncreate_task throughput (each in its own transaction, with task_events + week_statistics)")
    print(f"  DataService, week of ~100 tasks:   {ours:8.0f} tasks/s")
    print(f"  DataService, week of 5,000 tasks:  {ours_huge:8.0f} tasks/s")
    print(f"  seed approach (no statistics):     {seed_rate:8.0f} tasks/s")

    legacy = tmp / "legacy.db"
    count = build_large_legacy_db(legacy, weeks=1000, tasks_per_week=100)
    fresh = Profile.open(tmp / "import-target")
    start = time.perf_counter()
    report = import_legacy(fresh.db.get(), legacy)
    elapsed = time.perf_counter() - start
    print(f"\nlegacy import of {count:,} tasks / 1,000 weeks: {elapsed:.2f} s "
          f"({report.tasks_imported:,} imported, verified={report.verified})")
    fresh.close()
    profile.close()


if __name__ == "__main__":
    main()
