"""The reports' SQL. Range figures come from the 15-minute rollups (migration 0004), grouped into the
employee's local days or hours with ``width_bucket`` over UTC boundaries computed in Python, so a
30-day report reads a few thousand rollup rows whatever the number of raw heartbeats."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.db import AsyncConn
from ingestion.reports.ranges import DayRange, local_midnight, zone

STATUSES = ("active", "idle", "locked", "offline")
MAX_SPAN = timedelta(seconds=86_400)  # validation's longest span: bounds the timeline's index scan
SYNC_WARNING = timedelta(hours=1)


async def employee_zone(conn: AsyncConn, emp_id: int) -> ZoneInfo:
    """The zone of the employee's latest heartbeat (UTC when there is none)."""
    row = await (await conn.execute("SELECT tz FROM device_state WHERE emp_id = %s ORDER BY last_seen_at DESC"
                                    " LIMIT 1", (emp_id,))).fetchone()
    return zone(row[0] if row else None)


async def device_ids(conn: AsyncConn, emp_id: int) -> list[int]:
    rows = await (await conn.execute("SELECT device_id FROM devices WHERE emp_id = %s ORDER BY device_id",
                                     (emp_id,))).fetchall()
    return [int(r[0]) for r in rows]


def _zero() -> dict[str, int]:
    return {f"{s}_seconds": 0 for s in STATUSES}


async def _status_by_bucket(conn: AsyncConn, emp_ids: list[int], bounds: list[datetime]) -> list[Any]:
    """(emp_id, index into bounds (1-based), status, seconds) for the slots inside the bounds."""
    cur = await conn.execute(
        "SELECT emp_id, width_bucket(bucket, %(b)s::timestamptz[]), status, sum(seconds)"
        " FROM status_quarters WHERE emp_id = ANY(%(e)s) AND bucket >= %(lo)s AND bucket < %(hi)s"
        " GROUP BY 1, 2, 3", {"b": bounds, "e": emp_ids, "lo": bounds[0], "hi": bounds[-1]})
    return await cur.fetchall()


async def days(conn: AsyncConn, emp_id: int, span: DayRange) -> list[dict[str, Any]]:
    """One row per local day: seconds by status, productivity and wellness figures."""
    out: dict[date, dict[str, Any]] = {d: {
        "date": d.isoformat(), **_zero(), "productivity_score": None, "productive_seconds": 0,
        "unproductive_seconds": 0, "neutral_seconds": 0, "break_count": 0,
               "longest_streak_seconds": 0, "overtime_seconds": 0} for d in span.days}
    day_list = span.days
    for _, index, status, seconds in await _status_by_bucket(conn, [emp_id], span.day_starts()):
        out[day_list[index - 1]][f"{status}_seconds"] += round(seconds)
    cur = await conn.execute(
        "SELECT date, avg(score), sum(productive_seconds), sum(unproductive_seconds), sum(neutral_seconds)"
        " FROM productivity WHERE emp_id = %s AND date BETWEEN %s AND %s GROUP BY date",
        (emp_id, span.first, span.last))
    for day, score, productive, unproductive, neutral in await cur.fetchall():
        out[day].update(productivity_score=round(float(score), 1), productive_seconds=int(productive),
                        unproductive_seconds=int(unproductive), neutral_seconds=int(neutral))
    cur = await conn.execute(
        "SELECT date, sum(break_count), max(longest_streak_seconds), sum(overtime_seconds)"
        " FROM wellness WHERE emp_id = %s AND date BETWEEN %s AND %s GROUP BY date", (emp_id, span.first, span.last))
    for day, breaks, streak, overtime in await cur.fetchall():
        out[day].update(break_count=int(breaks), longest_streak_seconds=int(streak), overtime_seconds=int(overtime))
    return list(out.values())


async def hours(conn: AsyncConn, emp_id: int, span: DayRange) -> list[dict[str, Any]]:
    """Seconds by status for each local hour of day (0-23), summed over the range."""
    bounds, local_hours = span.hour_starts()
    out = {h: {"hour": h, **_zero()} for h in range(24)}
    for _, index, status, seconds in await _status_by_bucket(conn, [emp_id], bounds):
        out[local_hours[index - 1]][f"{status}_seconds"] += round(seconds)
    return list(out.values())


async def day_hours(conn: AsyncConn, emp_id: int, span: DayRange) -> list[dict[str, Any]]:
    """Seconds by status for each hour of one local day, in order (23 or 25 rows on DST days)."""
    bounds, local_hours = span.hour_starts()
    out = [{"hour": h, "starts_at": bounds[i].isoformat(), **_zero()} for i, h in enumerate(local_hours)]
    for _, index, status, seconds in await _status_by_bucket(conn, [emp_id], bounds):
        out[index - 1][f"{status}_seconds"] += round(seconds)
    return out


async def apps(conn: AsyncConn, emp_id: int, span: DayRange, limit: int) -> list[dict[str, Any]]:
    starts = span.day_starts()
    cur = await conn.execute(
        "SELECT process_name, sum(seconds) FROM app_quarters WHERE emp_id = %s AND bucket >= %s AND bucket < %s"
        " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %s", (emp_id, starts[0], starts[-1], limit))
    # Devices do not send a category for applications (only sites carry a productivity tag).
    return [{"process_name": name, "active_seconds": round(sec), "category": None}
            for name, sec in await cur.fetchall()]


async def domains(conn: AsyncConn, emp_id: int, span: DayRange, limit: int) -> list[dict[str, Any]]:
    """Top domains by active time, with the productivity tag the device gave the domain most recently."""
    starts = span.day_starts()
    cur = await conn.execute(
        "WITH top AS (SELECT domain, sum(seconds) AS seconds FROM domain_quarters WHERE emp_id = %(e)s"
        " AND bucket >= %(lo)s AND bucket < %(hi)s GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %(n)s)"
        " SELECT t.domain, t.seconds, (SELECT w.tag FROM website_usage w WHERE w.emp_id = %(e)s"
        " AND w.domain = t.domain AND w.date <= %(last)s ORDER BY w.date DESC LIMIT 1)"
        " FROM top t ORDER BY t.seconds DESC, t.domain",
        {"e": emp_id, "lo": starts[0], "hi": starts[-1], "n": limit, "last": span.last})
    return [{"domain": d, "active_seconds": round(sec), "category": tag} for d, sec, tag in await cur.fetchall()]


async def timeline(conn: AsyncConn, emp_id: int, day: date, tz: ZoneInfo, offset: int,
                   limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """The raw heartbeat spans overlapping one local day, in time order; returns (page, next offset).
    Times stay ``datetime`` (the day page draws them; the API formats them)."""
    start, end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    cur = await conn.execute(
        "SELECT started_at, ended_at, status, process_name, window_title, domain, url, device_id FROM heartbeats"
        " WHERE device_id = ANY(%(d)s) AND started_at >= %(lo)s AND started_at < %(hi)s AND ended_at > %(start)s"
        " ORDER BY started_at, device_id, client_id OFFSET %(o)s LIMIT %(n)s",
        {"d": await device_ids(conn, emp_id), "lo": start - MAX_SPAN, "hi": end, "start": start,
         "o": offset, "n": limit + 1})
    rows = await cur.fetchall()
    page = [{"started_at": s, "ended_at": e, "status": st, "process_name": p, "window_title": t, "domain": d,
             "url": u, "device_id": dev}
            for s, e, st, p, t, d, u, dev in rows[:limit]]
    return page, (offset + limit if len(rows) > limit else None)


async def screenshots(conn: AsyncConn, emp_id: int, span: DayRange) -> list[dict[str, Any]]:
    starts = span.day_starts()
    cur = await conn.execute(
        "SELECT device_id, client_id, captured_at, width, height, format, blurred, size_bytes FROM screenshots"
        " WHERE device_id = ANY(%s) AND captured_at >= %s AND captured_at < %s ORDER BY captured_at, client_id",
        (await device_ids(conn, emp_id), starts[0], starts[-1]))
    return [{"device_id": dev, "client_id": str(cid), "captured_at": at.astimezone(UTC).isoformat(),
             "width": w, "height": h, "format": f, "blurred_on_device": b, "size_bytes": size,
             "url": f"/screenshots/{dev}/{cid}", "thumbnail_url": f"/screenshots/{dev}/{cid}?size=thumb"}
            for dev, cid, at, w, h, f, b, size in await cur.fetchall()]


_TEAM = """
SELECT e.emp_id, e.display_name, u.email,
       (SELECT s.tz FROM device_state s WHERE s.emp_id = e.emp_id ORDER BY s.last_seen_at DESC LIMIT 1),
       (SELECT max(s.last_seen_at) FROM device_state s WHERE s.emp_id = e.emp_id)
FROM employees e LEFT JOIN users u ON u.emp_id = e.emp_id
WHERE e.team_id = %s ORDER BY coalesce(e.display_name, u.email, e.emp_id::text), e.emp_id
"""

_SYNC = """
SELECT d.device_id, d.emp_id, d.name, l.received_at, l.user_agent,
       (SELECT coalesce(sum(x.record_count), 0) FROM ingest_log x WHERE x.device_id = d.device_id
          AND x.received_at > now() - interval '24 hours'),
       (SELECT coalesce(sum(x.rejected), 0) FROM ingest_log x WHERE x.device_id = d.device_id
          AND x.received_at > now() - interval '24 hours')
FROM devices d
LEFT JOIN LATERAL (SELECT received_at, user_agent FROM ingest_log x WHERE x.device_id = d.device_id
                   ORDER BY x.ingest_id DESC LIMIT 1) l ON true
WHERE d.emp_id = ANY(%s) ORDER BY d.emp_id, d.name
"""


async def team_members(conn: AsyncConn, team_id: int) -> list[dict[str, Any]]:
    rows = await (await conn.execute(_TEAM, (team_id,))).fetchall()
    return [{"emp_id": emp, "name": name or email or f"Employee {emp}", "tz": zone(tz), "last_seen_at": seen}
            for emp, name, email, tz, seen in rows]


async def sync_health(conn: AsyncConn, emp_ids: list[int], now: datetime) -> list[dict[str, Any]]:
    """Per device: last ingest, records and rejections in the last 24 h, agent version (User-Agent)."""
    rows = await (await conn.execute(_SYNC, (emp_ids,))).fetchall()
    return [{"emp_id": emp, "device_id": dev, "device": name,
             "last_ingest_at": last.astimezone(UTC).isoformat() if last else None,
             "records_24h": int(records), "rejected_24h": int(rejected), "agent_version": ua,
             "stale": last is None or now - last > SYNC_WARNING}
            for dev, emp, name, last, ua, records, rejected in rows]


async def totals_by_zone(conn: AsyncConn, members: list[dict[str, Any]],
                         bounds_for: Any) -> dict[int, list[dict[str, int]]]:
    """Status seconds per member and per interval of ``bounds_for(tz)``; one query per distinct zone."""
    by_zone: dict[str, list[int]] = {}
    for member in members:
        by_zone.setdefault(member["tz"].key, []).append(member["emp_id"])
    out: dict[int, list[dict[str, int]]] = {}
    for key, emp_ids in by_zone.items():
        bounds = bounds_for(ZoneInfo(key))
        for emp_id in emp_ids:
            out[emp_id] = [_zero() for _ in bounds[:-1]]
        for emp_id, index, status, seconds in await _status_by_bucket(conn, emp_ids, bounds):
            out[emp_id][index - 1][f"{status}_seconds"] += round(seconds)
    return out


async def scores(conn: AsyncConn, emp_ids: list[int], first: date, last: date) -> dict[int, float]:
    cur = await conn.execute("SELECT emp_id, avg(score) FROM productivity WHERE emp_id = ANY(%s)"
                             " AND date BETWEEN %s AND %s GROUP BY emp_id", (emp_ids, first, last))
    return {int(e): round(float(s), 1) for e, s in await cur.fetchall()}
