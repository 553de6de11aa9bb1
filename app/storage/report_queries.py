"""SQL of range reports: tasks grouped by project, week, day or locale, per week (see ``app.domain.reports``).

One scan of the non-deleted tasks computes each task's report day once (``REPORT_DAY``) and groups in
SQLite, so Python only sees (group × week) rows, never one row per task.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from app.domain.reports import GroupCell, WeekInfo, check_grouping

_ISO_DAY = "'[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]*'"
# The report day of a task: date_audited, else the day of time_begin, else its week's start, else created_at.
REPORT_DAY = f"""CASE
    WHEN t.date_audited GLOB {_ISO_DAY} THEN substr(t.date_audited, 1, 10)
    WHEN t.time_begin GLOB {_ISO_DAY} THEN substr(t.time_begin, 1, 10)
    WHEN w.start_date GLOB {_ISO_DAY} THEN substr(w.start_date, 1, 10)
    ELSE substr(t.created_at, 1, 10) END"""

_GROUP_KEY = {
    "project": "COALESCE(t.project_name, '')",
    "week": "CAST(t.week_id AS TEXT)",
    "day": REPORT_DAY,
    "locale": "COALESCE(t.locale, '')",
}


def group_cells(conn: sqlite3.Connection, by: str, start: str, end: str) -> list[GroupCell]:
    """Aggregates per (group, week) of the tasks whose report day lies in ``start``..``end`` (ISO days)."""
    key = _GROUP_KEY[check_grouping(by)]
    sql = f"""
        SELECT key, week_id, COUNT(*), COALESCE(SUM(duration_seconds), 0), COALESCE(SUM(score), 0), COUNT(score),
               COALESCE(SUM(time_limit_seconds > 0), 0),
               COALESCE(SUM(time_limit_seconds > 0 AND COALESCE(duration_seconds, 0) <= time_limit_seconds), 0)
        FROM (
            SELECT {key} AS key, {REPORT_DAY} AS day, t.week_id, t.duration_seconds, t.score, t.time_limit_seconds
            FROM tasks_optimized t JOIN weeks w ON w.id = t.week_id
            WHERE t.deleted_at IS NULL
        )
        WHERE day BETWEEN ? AND ?
        GROUP BY key, week_id
    """
    cursor = conn.cursor()
    cursor.row_factory = None
    return [GroupCell(str(row[0]), *(int(v) for v in row[1:])) for row in cursor.execute(sql, (start, end))]


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
