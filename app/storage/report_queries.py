"""SQL of range reports: tasks grouped by project, week, day or locale, per week (see ``app.domain.reports``).

SQLite groups and sums, so Python only sees (group × week) rows, never one row per task; the days of a range
are read from a covering index, so a week's report does not scan a year of tasks.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from app.domain.reports import GroupCell, WeekInfo, check_grouping

_ISO_DAY = "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*'"
# A task's own day: date_audited, else the day of time_begin, else NULL. Spelled exactly as in the migration
# that indexes it (task_report_day), without a table alias, or SQLite would not use that index.
OWN_DAY = f"""(CASE
        WHEN date_audited GLOB {_ISO_DAY} THEN substr(date_audited, 1, 10)
        WHEN time_begin GLOB {_ISO_DAY} THEN substr(time_begin, 1, 10)
    END)"""
# For the few tasks without one: the week's start date, else the day the task was created.
FALLBACK_DAY = f"""COALESCE(CASE WHEN weeks.start_date GLOB {_ISO_DAY} THEN substr(weeks.start_date, 1, 10) END,
                            substr(tasks_optimized.created_at, 1, 10))"""

_GROUP_KEY = {
    "project": "COALESCE(project_name, '')",
    "week": "CAST(week_id AS TEXT)",
    "day": "day",
    "locale": "COALESCE(locale, '')",
}


def group_cells(conn: sqlite3.Connection, by: str, start: str, end: str) -> list[GroupCell]:
    """Aggregates per (group, week) of the tasks whose report day lies in ``start``..``end`` (ISO days).

    Two parts: tasks with their own day (a range scan of the covering index ``idx_tasks_report_day``), and
    tasks without one (the NULL end of that index) dated by their week or creation.
    """
    key = _GROUP_KEY[check_grouping(by)]
    columns = "week_id, project_name, locale, duration_seconds, score, time_limit_seconds"
    sql = f"""
        SELECT {key} AS key, week_id, COUNT(*), COALESCE(SUM(duration_seconds), 0), COALESCE(SUM(score), 0),
               COUNT(score), COALESCE(SUM(time_limit_seconds > 0), 0),
               COALESCE(SUM(time_limit_seconds > 0 AND COALESCE(duration_seconds, 0) <= time_limit_seconds), 0)
        FROM (
            SELECT {OWN_DAY} AS day, {columns}
            FROM tasks_optimized
            WHERE deleted_at IS NULL AND {OWN_DAY} BETWEEN :start AND :end
            UNION ALL
            SELECT day, {columns} FROM (
                SELECT {FALLBACK_DAY} AS day, tasks_optimized.week_id, project_name, locale, duration_seconds,
                       score, time_limit_seconds
                FROM tasks_optimized JOIN weeks ON weeks.id = tasks_optimized.week_id
                WHERE tasks_optimized.deleted_at IS NULL AND {OWN_DAY} IS NULL
            ) WHERE day BETWEEN :start AND :end
        )
        GROUP BY key, week_id
    """
    cursor = conn.cursor()
    cursor.row_factory = None
    rows = cursor.execute(sql, {"start": start, "end": end})
    return [GroupCell(str(row[0]), *(int(v) for v in row[1:])) for row in rows]


def week_infos(conn: sqlite3.Connection, week_ids: Iterable[int]) -> dict[int, WeekInfo]:
    """Label, start date, bonus settings and whole total of the given weeks."""
    ids = sorted(set(week_ids))
    found: dict[int, WeekInfo] = {}
    cursor = conn.cursor()
    cursor.row_factory = None
    for offset in range(0, len(ids), 500):  # stay far below SQLite's bound-parameter limit
        chunk = ids[offset:offset + 500]
        rows = cursor.execute(
            f"""SELECT w.id, w.week_label, w.start_date, w.is_bonus_week, w.bonus_threshold_seconds, w.bonus_rate,
                       COALESCE(s.total_duration_seconds, 0)
                FROM weeks w LEFT JOIN week_statistics s ON s.week_id = w.id
                WHERE w.id IN ({', '.join('?' for _ in chunk)})""", chunk).fetchall()
        for row in rows:
            found[int(row[0])] = WeekInfo(int(row[0]), str(row[1]), row[2], bool(row[3]), int(row[4] or 0),
                                          float(row[5] or 0.0), int(row[6] or 0))
    return found
