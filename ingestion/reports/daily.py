"""Seconds by status per local day, from the per-day rollups (migration 0005), exact in every case.

``status_days`` holds each slot under the local day of the heartbeat's own zone. For an employee
whose rows in reach (the range ± 2 days: no two zones are more than 26 hours apart) all carry the
zone the report uses, those rows are the answer: one row per day and status instead of 96 slots.
When another zone shows up (the employee travelled) that employee's days are summed from the
15-minute rollups instead, which fit any zone. The query runs once for a whole team.
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


_BY_DAY = """
SELECT m.emp_id, d.day, d.status,
       sum(d.seconds) FILTER (WHERE d.tz = m.tz AND d.day BETWEEN m.lo AND m.hi), bool_or(d.tz <> m.tz)
FROM unnest(%(e)s::integer[], %(z)s::text[], %(lo)s::date[], %(hi)s::date[]) AS m(emp_id, tz, lo, hi)
JOIN status_days d ON d.emp_id = m.emp_id AND d.day BETWEEN m.lo - 2 AND m.hi + 2
GROUP BY m.emp_id, d.day, d.status
"""
_BY_BUCKET = """
SELECT emp_id, width_bucket(bucket, %(b)s::timestamptz[]), status, sum(seconds)
FROM status_quarters WHERE emp_id = ANY(%(e)s) AND bucket >= %(lo)s AND bucket < %(hi)s GROUP BY 1, 2, 3
"""


def by_day_query(spans: list[Span]) -> tuple[str, dict[str, Any]]:
    return _BY_DAY, {"e": [s.emp_id for s in spans], "z": [s.tz.key for s in spans],
                     "lo": [s.first for s in spans], "hi": [s.last for s in spans]}


def by_bucket_query(emp_ids: list[int], bounds: list[datetime]) -> tuple[str, dict[str, Any]]:
    """(emp_id, index into bounds (1-based), status, seconds) for the slots inside the bounds."""
    return _BY_BUCKET, {"b": bounds, "e": emp_ids, "lo": bounds[0], "hi": bounds[-1]}


async def status_by_bucket(conn: AsyncConn, emp_ids: list[int], bounds: list[datetime]) -> list[Any]:
    sql, params = by_bucket_query(emp_ids, bounds)
    return await (await conn.execute(sql, params)).fetchall()


async def status_by_day(conn: AsyncConn, spans: list[Span]) -> dict[int, dict[date, Seconds]]:
    """Per employee of ``spans`` and local day of their span: seconds by status."""
    days = {s.emp_id: [s.first + timedelta(days=i) for i in range((s.last - s.first).days + 1)] for s in spans}
    sums: dict[int, dict[date, dict[str, float]]] = {e: {d: {} for d in ds} for e, ds in days.items()}
    mixed: set[int] = set()
    if spans:
        sql, params = by_day_query(spans)
        for emp_id, day, status, seconds, other_zone in await (await conn.execute(sql, params)).fetchall():
            if other_zone:
                mixed.add(emp_id)
            if seconds is not None:
                sums[emp_id][day][status] = sums[emp_id][day].get(status, 0.0) + seconds
    out = {e: {d: {**zero(), **{f"{k}_seconds": round(v) for k, v in per.items()}} for d, per in by_day.items()}
           for e, by_day in sums.items()}
    for span in spans:
        if span.emp_id in mixed:
            out[span.emp_id] = await _from_quarters(conn, span, days[span.emp_id])
    return out


async def _from_quarters(conn: AsyncConn, span: Span, days: list[date]) -> dict[date, Seconds]:
    out = {d: zero() for d in days}
    for _, index, status, seconds in await status_by_bucket(
            conn, [span.emp_id], DayRange(span.first, span.last, span.tz).day_starts()):
        out[days[index - 1]][f"{status}_seconds"] += round(seconds)
    return out
