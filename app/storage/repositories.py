"""Plain SQL for weeks, tasks, task events and week statistics. No validation, no signals.

Every function takes the connection of the calling thread; writers are called inside
``write_transaction`` by DataService.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from app.domain.models import TASK_COLUMNS, WEEK_COLUMNS, Task, Week, WeekSummary
from app.domain.stats import ProjectRow, WeekTotals, summarize

_TASK_SELECT = f"SELECT {', '.join(TASK_COLUMNS)} FROM tasks_optimized"
_WEEK_SELECT = f"SELECT {', '.join(WEEK_COLUMNS)} FROM weeks"


def _plain(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    """Run a query returning plain tuples (faster than sqlite3.Row for bulk reads)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    return cursor.execute(sql, tuple(params)).fetchall()


# ---- weeks -------------------------------------------------------------------------------
def get_week(conn: sqlite3.Connection, week_id: int) -> Week | None:
    rows = _plain(conn, _WEEK_SELECT + " WHERE id = ?", (week_id,))
    return Week(*rows[0]) if rows else None


def week_id_by_label(conn: sqlite3.Connection, label: str) -> int | None:
    """The week with this label, ignoring case (as the NOCASE unique index does)."""
    row = conn.execute("SELECT id FROM weeks WHERE week_label = ? COLLATE NOCASE", (label.strip(),)).fetchone()
    return int(row[0]) if row else None


def list_weeks(conn: sqlite3.Connection) -> list[WeekSummary]:
    """Chronological, newest first by start date; undated weeks after every dated one (newest created first)."""
    rows = _plain(conn, """
        SELECT w.id, w.week_label, COALESCE(s.total_duration_seconds, 0), COALESCE(s.total_tasks, 0),
               w.is_bonus_week, w.created_at, w.start_date
        FROM weeks w LEFT JOIN week_statistics s ON s.week_id = w.id
        ORDER BY w.start_date IS NULL, w.start_date DESC, w.created_at DESC, w.id DESC
    """)
    return [WeekSummary(*row) for row in rows]


def insert_week(conn: sqlite3.Connection, values: Mapping[str, Any]) -> int:
    columns = list(values)
    cursor = conn.execute(
        f"INSERT INTO weeks ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [values[c] for c in columns],
    )
    week_id = int(cursor.lastrowid or 0)
    refresh_week_statistics(conn, week_id)
    return week_id


def update_week(conn: sqlite3.Connection, week_id: int, values: Mapping[str, Any]) -> None:
    if not values:
        return
    assignments = ", ".join(f"{c} = ?" for c in values)
    conn.execute(
        f"UPDATE weeks SET {assignments}, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
        [*values.values(), week_id],
    )


def delete_week(conn: sqlite3.Connection, week_id: int) -> int:
    """Delete a week with its tasks (cascade); returns how many tasks went with it."""
    count = count_week_tasks(conn, week_id)
    conn.execute("DELETE FROM weeks WHERE id = ?", (week_id,))
    return count


def count_week_tasks(conn: sqlite3.Connection, week_id: int) -> int:
    row = conn.execute(
        "SELECT COUNT(*) FROM tasks_optimized WHERE week_id = ? AND deleted_at IS NULL", (week_id,)
    ).fetchone()
    return int(row[0])


def bump_generation(conn: sqlite3.Connection) -> tuple[int, int]:
    """Count one write of weeks/tasks (inside the caller's transaction); returns (before, after)."""
    row = conn.execute("UPDATE data_generation SET value = value + 1 WHERE id = 1 RETURNING value").fetchone()
    after = int(row[0])
    return after - 1, after


def read_generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM data_generation WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def restore_task(conn: sqlite3.Connection, task_id: int) -> bool:
    """Undo a delete: clear ``deleted_at``; False when the task was not deleted."""
    cursor = conn.execute(
        "UPDATE tasks_optimized SET deleted_at = NULL, updated_at = CURRENT_TIMESTAMP "
        "WHERE id = ? AND deleted_at IS NOT NULL", (task_id,))
    return cursor.rowcount == 1


def deleted_task_week(conn: sqlite3.Connection, task_id: int) -> int | None:
    row = conn.execute("SELECT week_id FROM tasks_optimized WHERE id = ? AND deleted_at IS NOT NULL",
                       (task_id,)).fetchone()
    return int(row[0]) if row else None


# ---- tasks -------------------------------------------------------------------------------
def get_task(conn: sqlite3.Connection, task_id: int) -> Task | None:
    rows = _plain(conn, _TASK_SELECT + " WHERE id = ? AND deleted_at IS NULL", (task_id,))
    return Task(*rows[0]) if rows else None


def week_tasks(conn: sqlite3.Connection, week_id: int, limit: int | None, offset: int) -> list[Task]:
    rows = _plain(
        conn,
        _TASK_SELECT + " WHERE week_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
        (week_id, -1 if limit is None else limit, offset),
    )
    return [Task(*row) for row in rows]


def recent_tasks(conn: sqlite3.Connection, limit: int) -> list[Task]:
    """Tasks most recently created, edited or timed (from the newest events, by rowid: no scan), newest first."""
    ids = [int(r[0]) for r in conn.execute(
        "SELECT task_id FROM (SELECT task_id, id FROM task_events ORDER BY id DESC LIMIT ?) "
        "GROUP BY task_id ORDER BY MAX(id) DESC", (max(50, limit * 20),))]
    tasks = [task for task in (get_task(conn, task_id) for task_id in ids) if task is not None]
    return tasks[:limit]


def insert_task(conn: sqlite3.Connection, week_id: int, values: Mapping[str, Any]) -> int:
    columns = ["week_id", *values]
    cursor = conn.execute(
        f"INSERT INTO tasks_optimized ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [week_id, *values.values()],
    )
    return int(cursor.lastrowid or 0)


def update_task(conn: sqlite3.Connection, task_id: int, values: Mapping[str, Any]) -> None:
    assignments = ", ".join(f"{c} = ?" for c in values)
    conn.execute(
        f"UPDATE tasks_optimized SET {assignments}, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
        [*values.values(), task_id],
    )


def delete_task(conn: sqlite3.Connection, task_id: int) -> None:
    """Mark the task deleted; its row stays so its events (task_deleted included) keep their task."""
    conn.execute(
        "UPDATE tasks_optimized SET deleted_at = CURRENT_TIMESTAMP, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
        (task_id,),
    )


def log_event(
    conn: sqlite3.Connection, task_id: int, event_type: str, data: Mapping[str, Any],
    duration_change: int = 0, user_action: str = "manual",
) -> None:
    conn.execute(
        "INSERT INTO task_events (task_id, event_type, event_data, duration_change, user_action) "
        "VALUES (?, ?, ?, ?, ?)",
        (task_id, event_type, json.dumps(data, ensure_ascii=False, default=str), duration_change, user_action),
    )


# ---- statistics --------------------------------------------------------------------------
# Reads only idx_tasks_week_aggregate (a covering index): no table rows are touched.
WEEK_AGGREGATE_SQL = """
    SELECT project_name, COUNT(*), COALESCE(SUM(duration_seconds), 0), COALESCE(SUM(score), 0),
           SUM(time_limit_seconds > 0 AND duration_seconds > time_limit_seconds), COUNT(score)
    FROM tasks_optimized WHERE week_id = ? AND deleted_at IS NULL GROUP BY project_name
"""


def week_limit_counts(conn: sqlite3.Connection, week_id: int) -> tuple[int, int]:
    """(tasks with a time limit, of those within it) of a week; reads only idx_tasks_week_aggregate."""
    row = conn.execute(
        "SELECT COALESCE(SUM(time_limit_seconds > 0), 0), "
        "COALESCE(SUM(time_limit_seconds > 0 AND duration_seconds <= time_limit_seconds), 0) "
        "FROM tasks_optimized WHERE week_id = ? AND deleted_at IS NULL", (week_id,)).fetchone()
    return int(row[0]), int(row[1])


def compute_week_totals(conn: sqlite3.Connection, week_id: int) -> WeekTotals:
    return summarize(ProjectRow(*row) for row in _plain(conn, WEEK_AGGREGATE_SQL, (week_id,)))


def refresh_week_statistics(conn: sqlite3.Connection, week_id: int) -> WeekTotals:
    """Recompute one week's row of ``week_statistics`` (inside the caller's transaction)."""
    totals = compute_week_totals(conn, week_id)
    breakdown = {p.project_name: {"duration": p.duration_seconds, "task_count": p.task_count}
                 for p in totals.projects}
    conn.execute(
        """
        INSERT INTO week_statistics (week_id, total_tasks, total_duration_seconds, avg_task_duration, avg_score,
                                     project_breakdown, productivity_score, on_time_tasks, last_calculated)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))
        ON CONFLICT(week_id) DO UPDATE SET
            total_tasks = excluded.total_tasks,
            total_duration_seconds = excluded.total_duration_seconds,
            avg_task_duration = excluded.avg_task_duration,
            avg_score = excluded.avg_score,
            project_breakdown = excluded.project_breakdown,
            productivity_score = excluded.productivity_score,
            on_time_tasks = excluded.on_time_tasks,
            last_calculated = excluded.last_calculated
        """,
        (week_id, totals.total_tasks, totals.total_duration_seconds, totals.avg_task_duration, totals.avg_score,
         json.dumps(breakdown, ensure_ascii=False), totals.productivity_score, totals.on_time_tasks),
    )
    return totals


def read_week_statistics(conn: sqlite3.Connection, week_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM week_statistics WHERE week_id = ?", (week_id,)
    ).fetchone()
    return row
