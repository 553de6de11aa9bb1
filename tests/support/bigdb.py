"""Generate a large profile database fast (benchmarks): weeks of tasks written with executemany."""

from __future__ import annotations

import random
import sqlite3

from app.domain.timeparse import format_duration
from app.storage.db import write_transaction
from app.storage.repositories import refresh_week_statistics

PROJECT_NAMES = ["Alpha", "Beta", "Gamma", "Delta", "Ünïcødé", "Search QA", "Ads", "Maps"]


def fill_weeks(
    conn: sqlite3.Connection, week_sizes: list[int], seed: int = 11, label_prefix: str = "Week"
) -> list[int]:
    """Create one week per entry of ``week_sizes`` with that many tasks; returns the week ids."""
    rng = random.Random(seed)
    week_ids: list[int] = []
    with write_transaction(conn):
        start = conn.execute("SELECT COALESCE(MAX(id), 0) FROM weeks").fetchone()[0]
        conn.executemany(
            "INSERT INTO weeks (id, week_label) VALUES (?, ?)",
            [(start + i + 1, f"{label_prefix} {start + i + 1}") for i in range(len(week_sizes))],
        )
        week_ids = [start + i + 1 for i in range(len(week_sizes))]
        rows = []
        for week_id, size in zip(week_ids, week_sizes, strict=True):
            for n in range(size):
                seconds = rng.randint(60, 3 * 3600)
                limit = rng.choice([0, 1800, 3600, 7200])
                rows.append((week_id, f"att-{week_id}-{n}", seconds, format_duration(seconds), f"p{n % 8}",
                             PROJECT_NAMES[n % 8], f"op-{n}", limit, format_duration(limit), "2026-11-02",
                             rng.randint(0, 100), "feedback text", "en_US", 0))
        conn.executemany(
            "INSERT INTO tasks_optimized (week_id, attempt_id, duration_seconds, duration_display, project_id, "
            "project_name, operation_id, time_limit_seconds, time_limit_display, date_audited, score, feedback, "
            "locale, bonus_paid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        for week_id in week_ids:
            refresh_week_statistics(conn, week_id)
    conn.execute("ANALYZE")
    return week_ids


def standard_big_db(conn: sqlite3.Connection) -> dict[str, list[int]]:
    """The benchmark data set: 1,000 weeks × 100 tasks, four 500-task weeks, one 5,000-task week."""
    normal = fill_weeks(conn, [100] * 1000)
    medium = fill_weeks(conn, [500] * 4, seed=12, label_prefix="Medium week")
    huge = fill_weeks(conn, [5000], seed=13, label_prefix="Huge week")
    return {"normal": normal, "medium": medium, "huge": huge}
