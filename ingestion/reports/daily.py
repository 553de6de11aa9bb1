"""Seconds by status per local day and per slot, summed from the 15-minute rollup (migration 0009).

Every UTC offset is a multiple of 15 minutes, so a local day in any zone is a whole number of slots
and its seconds are exact: a traveller's days follow the zone the report uses, whatever zone each
heartbeat was recorded in. The day boundaries come from Python's zone database (DST-correct), so a
zone PostgreSQL does not know still reports right. A team is one query per zone among its members.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.db import AsyncConn
from ingestion.reports.ranges import DayRange

STATUSES = ("active", "idle", "locked", "offline")
Seconds = dict[str, int]


def zero() -> Seconds:
    return {f"{s}_seconds": 0 for s in STATUSES}


@dataclass(frozen=True)
class Span:
    """One employee's inclusive local day range in the zone the report uses."""

    emp_id: int
    tz: ZoneInfo
    first: date
    last: date


_BY_BUCKET = """
SELECT emp_id, width_bucket(bucket, %(b)s::timestamptz[]), status, sum(seconds)
FROM activity_quarters WHERE emp_id = ANY(%(e)s) AND bucket >= %(lo)s AND bucket < %(hi)s GROUP BY 1, 2, 3
"""


def by_bucket_query(emp_ids: list[int], bounds: list[datetime]) -> tuple[str, dict[str, Any]]:
    """(emp_id, index into bounds (1-based), status, seconds) for the slots inside the bounds."""
    return _BY_BUCKET, {"b": bounds, "e": emp_ids, "lo": bounds[0], "hi": bounds[-1]}


async def status_by_bucket(conn: AsyncConn, emp_ids: list[int], bounds: list[datetime]) -> list[Any]:
    sql, params = by_bucket_query(emp_ids, bounds)
    return await (await conn.execute(sql, params)).fetchall()


async def status_by_day(conn: AsyncConn, spans: list[Span]) -> dict[int, dict[date, Seconds]]:
    """Per employee of ``spans`` and local day of their span: seconds by status; one query per
    distinct zone and range (a team nearly always shares one)."""
    groups: dict[tuple[ZoneInfo, date, date], list[int]] = {}
    for span in spans:
        groups.setdefault((span.tz, span.first, span.last), []).append(span.emp_id)
    out: dict[int, dict[date, Seconds]] = {}
    for (tz, first, last), emp_ids in groups.items():
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        out.update({emp_id: {d: zero() for d in days} for emp_id in emp_ids})
        for emp_id, index, status, seconds in await status_by_bucket(
                conn, emp_ids, DayRange(first, last, tz).day_starts()):
            out[emp_id][days[index - 1]][f"{status}_seconds"] += round(seconds)
    return out
