"""The read side of the worklog (INGESTION_API.md §5.7): one employee's current weeks or tasks after a change
position, oldest change first, as JSON-ready records.

Both queries walk the (emp_id, change_seq) index and stop after ``limit`` rows. Tasks resolve their week to
the canonical UUID through the week or its alias; a task whose week is unknown is left out (it gets a new
position when the week arrives). Sync times are formatted by PostgreSQL in UTC with milliseconds, so the
answer carries exactly the strings the devices sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ingestion.db import AsyncConn
from ingestion.worklog.cursor import invalid
from ingestion.worklog.validation import TASKS, WEEKS

_UTC_MS = "to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
_SYNC_FIELDS = ("updated_at", "deleted_at")


def _select(alias: str, names: list[str]) -> str:
    parts = []
    for name in names:
        if name in _SYNC_FIELDS:
            parts.append(_UTC_MS.format(col=f"{alias}.{name}"))
        elif name in ("client_id", "week_client_id"):
            parts.append(f"{alias}.{name}::text")
        elif name == "start_date":
            parts.append(f"to_char({alias}.start_date, 'YYYY-MM-DD')")
        else:
            parts.append(f"{alias}.{name}")
    return ", ".join(parts)


WEEK_FIELDS = [f.name for f in WEEKS.fields]
TASK_FIELDS = [f.name for f in TASKS.fields]

_WEEKS_SQL = (
    f"SELECT {_select('w', WEEK_FIELDS)},"
    " coalesce((SELECT array_agg(a.alias_id::text ORDER BY a.alias_id) FROM worklog_week_aliases a"
    "           WHERE a.emp_id = w.emp_id AND a.canonical_id = w.client_id), '{}'),"
    " d.name, w.change_seq"
    " FROM worklog_weeks w JOIN devices d ON d.device_id = w.device_id"
    " WHERE w.emp_id = %s AND w.change_seq > %s ORDER BY w.change_seq LIMIT %s"
)
_TASK_SELECT = _select("t", TASK_FIELDS).replace("t.week_client_id::text", "r.canonical_id::text")
_TASKS_SQL = (
    f"SELECT {_TASK_SELECT}, d.name, t.change_seq"
    " FROM worklog_tasks t"
    " CROSS JOIN LATERAL (SELECT w.client_id AS canonical_id FROM worklog_weeks w"
    "                     WHERE w.emp_id = t.emp_id AND w.client_id = t.week_client_id"
    "                     UNION ALL"
    "                     SELECT a.canonical_id FROM worklog_week_aliases a"
    "                     WHERE a.emp_id = t.emp_id AND a.alias_id = t.week_client_id"
    "                     LIMIT 1) r"
    " JOIN devices d ON d.device_id = t.device_id"
    " WHERE t.emp_id = %s AND t.change_seq > %s ORDER BY t.change_seq LIMIT %s"
)
_ISSUED_SQL = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM worklog_change_seq"


@dataclass
class Page:
    """One answer: the records and the change position of the last one (None when empty)."""

    records: list[dict[str, Any]]
    last_position: int | None


async def check_issued(conn: AsyncConn, position: int) -> None:
    """400 ``invalid_cursor`` for a position beyond every one handed out so far (a cursor "from the future")."""
    row = await (await conn.execute(_ISSUED_SQL)).fetchone()
    issued = int(row[0]) if row else 0
    if position > issued:
        raise invalid("since is beyond every change this server has issued")


async def read_weeks(conn: AsyncConn, emp_id: int, after: int, limit: int) -> Page:
    cur = await conn.execute(_WEEKS_SQL, (emp_id, after, limit))
    width = len(WEEK_FIELDS)
    records = []
    last = None
    for row in await cur.fetchall():
        record = dict(zip(WEEK_FIELDS, row[:width], strict=True))
        record["aliases"] = list(row[width])
        record["device"] = row[width + 1]
        last = row[width + 2]
        records.append(record)
    return Page(records, last)


async def read_tasks(conn: AsyncConn, emp_id: int, after: int, limit: int) -> Page:
    cur = await conn.execute(_TASKS_SQL, (emp_id, after, limit))
    width = len(TASK_FIELDS)
    records = []
    last = None
    for row in await cur.fetchall():
        record = dict(zip(TASK_FIELDS, row[:width], strict=True))
        record["device"] = row[width]
        last = row[width + 1]
        records.append(record)
    return Page(records, last)


READERS = {"weeks": read_weeks, "tasks": read_tasks}
