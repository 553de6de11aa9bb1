"""The read side of the worklog (INGESTION_API.md §5.7): one employee's current weeks or tasks after a change
position, oldest change first.

Both queries walk the (emp_id, change_seq) index and stop after ``limit`` rows. Tasks resolve their week to
the canonical UUID through the week or its alias; a task whose week is unknown is left out (it gets a new
position when the week arrives). PostgreSQL renders each record as JSON text (``json_build_object``; sync
times in UTC with milliseconds, so the answer carries exactly the strings the devices sent) and the route
only joins them: a 5,000-record page costs no Python object per field (the bench: ``bench_worklog.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.db import AsyncConn
from ingestion.worklog.cursor import invalid
from ingestion.worklog.validation import TASKS, WEEKS

_UTC_MS = "to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"


def _value(alias: str, name: str) -> str:
    column = f"{alias}.{name}"
    if name in ("updated_at", "deleted_at"):
        return _UTC_MS.format(col=column)
    if name == "start_date":
        return f"to_char({column}, 'YYYY-MM-DD')"
    return column


def _object(alias: str, names: list[str], extra: dict[str, str]) -> str:
    pairs = [f"'{name}', {extra.get(name) or _value(alias, name)}" for name in names]
    pairs += [f"'{name}', {sql}" for name, sql in extra.items() if name not in names]
    return "json_build_object(" + ", ".join(pairs) + ")::text"


WEEK_FIELDS = [f.name for f in WEEKS.fields]
TASK_FIELDS = [f.name for f in TASKS.fields]

# The page is chosen first (narrow rows, the change-position index, LIMIT), and only its rows are rendered.
_WEEKS_SQL = (
    "SELECT " + _object("w", WEEK_FIELDS, {
        "aliases": "coalesce((SELECT json_agg(a.alias_id ORDER BY a.alias_id) FROM worklog_week_aliases a"
                   " WHERE a.emp_id = w.emp_id AND a.canonical_id = w.client_id), '[]'::json)",
        "device": "d.name"}) + ", w.change_seq"
    " FROM (SELECT * FROM worklog_weeks x WHERE x.emp_id = %s AND x.change_seq > %s ORDER BY x.change_seq LIMIT %s) w"
    " JOIN devices d ON d.device_id = w.device_id ORDER BY w.change_seq"
)
_TASKS_SQL = (
    "SELECT " + _object("t", TASK_FIELDS, {"week_client_id": "t.canonical_id", "device": "d.name"}) + ", t.change_seq"
    " FROM (SELECT x.*, r.canonical_id FROM worklog_tasks x"
    "       CROSS JOIN LATERAL (SELECT w.client_id AS canonical_id FROM worklog_weeks w"
    "                           WHERE w.emp_id = x.emp_id AND w.client_id = x.week_client_id"
    "                           UNION ALL"
    "                           SELECT a.canonical_id FROM worklog_week_aliases a"
    "                           WHERE a.emp_id = x.emp_id AND a.alias_id = x.week_client_id LIMIT 1) r"
    "       WHERE x.emp_id = %s AND x.change_seq > %s ORDER BY x.change_seq LIMIT %s) t"
    " JOIN devices d ON d.device_id = t.device_id ORDER BY t.change_seq"
)
# Keyset paging must walk the (emp_id, change_seq) index and stop after the page. Right after a bulk upload
# the statistics are stale (the planner expects ~100 rows and picks bitmap scan + sort of every later row,
# 2.8 s a page at 100,000 tasks), so the page query runs with the unordered scans switched off.
_ORDERED_SCAN = "SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off"
_SQL = {"weeks": _WEEKS_SQL, "tasks": _TASKS_SQL}
_ISSUED_SQL = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM worklog_change_seq"


@dataclass
class Page:
    """One answer: each record as JSON text, and the change position of the last one (None when empty)."""

    records: list[str]
    last_position: int | None


async def check_issued(conn: AsyncConn, position: int) -> None:
    """400 ``invalid_cursor`` for a position beyond every one handed out so far (a cursor "from the future")."""
    row = await (await conn.execute(_ISSUED_SQL)).fetchone()
    issued = int(row[0]) if row else 0
    if position > issued:
        raise invalid("since is beyond every change this server has issued")


async def read_page(conn: AsyncConn, route: str, emp_id: int, after: int, limit: int) -> Page:
    """Up to ``limit`` records of ``route`` (weeks or tasks) changed after position ``after``."""
    async with conn.transaction():
        await conn.execute(_ORDERED_SCAN)
        rows = await (await conn.execute(_SQL[route], (emp_id, after, limit))).fetchall()
    return Page([row[0] for row in rows], rows[-1][1] if rows else None)
