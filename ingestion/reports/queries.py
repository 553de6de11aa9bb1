"""The reports' SQL. Day figures come from the per-day rollups (migration 0005, ``daily``), hour
figures from the 15-minute rollups (migration 0004), grouped into the employee's local hours with
``width_bucket`` over UTC boundaries computed in Python, so a report reads a few hundred rollup rows
whatever the number of raw heartbeats. A page's independent queries go out together in one
pipeline (``fetch_all``): one round trip instead of one per query."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.db import AsyncConn
from ingestion.reports import categories, daily
from ingestion.reports.ranges import DayRange, local_midnight, zone

STATUSES = daily.STATUSES
MAX_SPAN = timedelta(seconds=86_400)  # validation's longest span: bounds the timeline's index scan
SYNC_WARNING = timedelta(hours=1)
Query = tuple[str, Any]
_DEVICES = "ARRAY(SELECT device_id FROM devices WHERE emp_id = %(e)s)"


async def fetch_all(conn: AsyncConn, queries: list[Query]) -> list[list[Any]]:
    """Run independent queries in one pipeline (one round trip) and return each one's rows."""
    async with conn.pipeline():
        cursors = [await conn.execute(sql, params) for sql, params in queries]
    return [await cursor.fetchall() for cursor in cursors]


async def employee_zone(conn: AsyncConn, emp_id: int) -> ZoneInfo:
    """The zone of the employee's latest heartbeat (UTC when there is none)."""
    row = await (await conn.execute("SELECT tz FROM device_state WHERE emp_id = %s ORDER BY last_seen_at DESC"
                                    " LIMIT 1", (emp_id,))).fetchone()
    return zone(row[0] if row else None)


def day_row(day: date) -> dict[str, Any]:
    """A day of the days report before any figure is added."""
    return {"date": day.isoformat(), **daily.zero(), "productivity_score": None, "productive_seconds": 0,
            "unproductive_seconds": 0, "neutral_seconds": 0, "break_count": 0, "longest_streak_seconds": 0,
            "overtime_seconds": 0}


def aggregates_query(emp_id: int, span: DayRange) -> Query:
    """Productivity and wellness per day (summed over the employee's devices), one statement."""
    return ("SELECT coalesce(p.date, w.date), p.score, p.productive, p.unproductive, p.neutral, w.breaks, w.streak,"
            " w.overtime FROM (SELECT date, avg(score) AS score, sum(productive_seconds) AS productive,"
            " sum(unproductive_seconds) AS unproductive, sum(neutral_seconds) AS neutral FROM productivity"
            " WHERE emp_id = %(e)s AND date BETWEEN %(lo)s AND %(hi)s GROUP BY date) p"
            " FULL JOIN (SELECT date, sum(break_count) AS breaks, max(longest_streak_seconds) AS streak,"
            " sum(overtime_seconds) AS overtime FROM wellness WHERE emp_id = %(e)s AND date BETWEEN %(lo)s"
            " AND %(hi)s GROUP BY date) w ON w.date = p.date", {"e": emp_id, "lo": span.first, "hi": span.last})


def add_aggregates(out: dict[date, dict[str, Any]], rows: list[Any]) -> None:
    for day, score, productive, unproductive, neutral, breaks, streak, overtime in rows:
        if score is not None:
            out[day].update(productivity_score=round(float(score), 1), productive_seconds=int(productive),
                            unproductive_seconds=int(unproductive), neutral_seconds=int(neutral))
        if breaks is not None:
            out[day].update(break_count=int(breaks), longest_streak_seconds=int(streak),
                            overtime_seconds=int(overtime))


async def days(conn: AsyncConn, emp_id: int, span: DayRange) -> list[dict[str, Any]]:
    """One row per local day: seconds by status, productivity and wellness figures."""
    out = {d: day_row(d) for d in span.days}
    by_day = await daily.status_by_day(conn, [daily.Span(emp_id, span.tz, span.first, span.last)])
    for day, seconds in by_day[emp_id].items():
        out[day].update(seconds)
    sql, params = aggregates_query(emp_id, span)
    add_aggregates(out, await (await conn.execute(sql, params)).fetchall())
    return list(out.values())


async def hours(conn: AsyncConn, emp_id: int, span: DayRange) -> list[dict[str, Any]]:
    """Seconds by status for each local hour of day (0-23), summed over the range."""
    bounds, local_hours = span.hour_starts()
    out = {h: {"hour": h, **daily.zero()} for h in range(24)}
    for _, index, status, seconds in await daily.status_by_bucket(conn, [emp_id], bounds):
        out[local_hours[index - 1]][f"{status}_seconds"] += round(seconds)
    return list(out.values())


def day_hours_rows(span: DayRange, rows: list[Any]) -> list[dict[str, Any]]:
    """Seconds by status for each hour of one local day, in order (23 or 25 rows on DST days), from the
    rows of ``daily.by_bucket_query`` over ``span.hour_starts()``."""
    bounds, local_hours = span.hour_starts()
    out = [{"hour": h, "starts_at": bounds[i].isoformat(), **daily.zero()} for i, h in enumerate(local_hours)]
    for _, index, status, seconds in rows:
        out[index - 1][f"{status}_seconds"] += round(seconds)
    return out


def apps_query(emp_id: int, span: DayRange, limit: int) -> Query:
    starts = span.day_starts()
    return ("SELECT process_name, sum(seconds) FROM activity_quarters WHERE emp_id = %(e)s AND bucket >= %(lo)s"
            " AND bucket < %(hi)s AND status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %(n)s",
            {"e": emp_id, "lo": starts[0], "hi": starts[-1], "n": limit})


def apps_rows(rows: list[Any], rules: list[categories.Rule]) -> list[dict[str, Any]]:
    out = []
    for name, sec in rows:
        category, category_name = categories.categorize(rules, "app", name)
        out.append({"process_name": name, "active_seconds": round(sec), "category": category,
                    "category_name": category_name})
    return out


def domains_query(emp_id: int, span: DayRange, limit: int) -> Query:
    """Top domains by active time, with the productivity tag the device gave the domain most recently."""
    starts = span.day_starts()
    return ("WITH top AS (SELECT domain, sum(seconds) AS seconds FROM activity_quarters WHERE emp_id = %(e)s"
            " AND bucket >= %(lo)s AND bucket < %(hi)s AND status = 'active' AND domain IS NOT NULL"
            " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT %(n)s)"
            " SELECT t.domain, t.seconds, (SELECT w.tag FROM website_usage w WHERE w.emp_id = %(e)s"
            " AND w.domain = t.domain AND w.date <= %(last)s ORDER BY w.date DESC LIMIT 1)"
            " FROM top t ORDER BY t.seconds DESC, t.domain",
            {"e": emp_id, "lo": starts[0], "hi": starts[-1], "n": limit, "last": span.last})


def domains_rows(rows: list[Any], rules: list[categories.Rule]) -> list[dict[str, Any]]:
    """The device's own tag first; the server's rules when the device sent none."""
    out = []
    for domain, sec, tag in rows:
        category, category_name = categories.categorize(rules, "domain", domain)
        out.append({"domain": domain, "active_seconds": round(sec), "category": tag or category,
                    "category_name": category_name})
    return out


async def rules(conn: AsyncConn) -> list[categories.Rule]:
    return categories.rules_from_rows(await (await conn.execute(categories.RULES_SQL)).fetchall())


async def apps(conn: AsyncConn, emp_id: int, span: DayRange, limit: int) -> list[dict[str, Any]]:
    top, found = await fetch_all(conn, [apps_query(emp_id, span, limit), (categories.RULES_SQL, None)])
    return apps_rows(top, categories.rules_from_rows(found))


async def domains(conn: AsyncConn, emp_id: int, span: DayRange, limit: int) -> list[dict[str, Any]]:
    top, found = await fetch_all(conn, [domains_query(emp_id, span, limit), (categories.RULES_SQL, None)])
    return domains_rows(top, categories.rules_from_rows(found))


def timeline_query(emp_id: int, day: date, tz: ZoneInfo, offset: int, limit: int) -> Query:
    """The raw heartbeat spans overlapping one local day, in time order (one more than ``limit``)."""
    start, end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    return ("SELECT started_at, ended_at, status, process_name, window_title, domain, url, device_id FROM heartbeats"
            f" WHERE device_id = ANY({_DEVICES}) AND started_at >= %(lo)s AND started_at < %(hi)s"
            " AND ended_at > %(start)s ORDER BY started_at, device_id, client_id OFFSET %(o)s LIMIT %(n)s",
            {"e": emp_id, "lo": start - MAX_SPAN, "hi": end, "start": start, "o": offset, "n": limit + 1})


def timeline_rows(rows: list[Any], offset: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """(page, next offset). Times stay ``datetime`` (the day page draws them; the API formats them)."""
    page = [{"started_at": s, "ended_at": e, "status": st, "process_name": p, "window_title": t, "domain": d,
             "url": u, "device_id": dev}
            for s, e, st, p, t, d, u, dev in rows[:limit]]
    return page, (offset + limit if len(rows) > limit else None)


async def timeline(conn: AsyncConn, emp_id: int, day: date, tz: ZoneInfo, offset: int,
                   limit: int) -> tuple[list[dict[str, Any]], int | None]:
    sql, params = timeline_query(emp_id, day, tz, offset, limit)
    return timeline_rows(await (await conn.execute(sql, params)).fetchall(), offset, limit)


def screenshots_query(emp_id: int, span: DayRange) -> Query:
    starts = span.day_starts()
    return ("SELECT device_id, client_id, captured_at, width, height, format, blurred, size_bytes FROM screenshots"
            f" WHERE device_id = ANY({_DEVICES}) AND captured_at >= %(lo)s AND captured_at < %(hi)s"
            " ORDER BY captured_at, client_id", {"e": emp_id, "lo": starts[0], "hi": starts[-1]})


def screenshots_rows(rows: list[Any]) -> list[dict[str, Any]]:
    return [{"device_id": dev, "client_id": str(cid), "captured_at": at.astimezone(UTC).isoformat(),
             "width": w, "height": h, "format": f, "blurred_on_device": b, "size_bytes": size,
             "url": f"/screenshots/{dev}/{cid}", "thumbnail_url": f"/screenshots/{dev}/{cid}?size=thumb"}
            for dev, cid, at, w, h, f, b, size in rows]


async def screenshots(conn: AsyncConn, emp_id: int, span: DayRange) -> list[dict[str, Any]]:
    sql, params = screenshots_query(emp_id, span)
    return screenshots_rows(await (await conn.execute(sql, params)).fetchall())


# Members with their latest zone and last seen, and the week's productivity score, in one statement.
_TEAM = """
SELECT e.emp_id, e.display_name, u.email, s.tz, s.last_seen_at,
       (SELECT avg(p.score) FROM productivity p WHERE p.emp_id = e.emp_id AND p.date BETWEEN %(lo)s AND %(hi)s)
FROM employees e LEFT JOIN users u ON u.emp_id = e.emp_id
LEFT JOIN LATERAL (SELECT s.tz, max(s.last_seen_at) OVER () AS last_seen_at FROM device_state s
                   WHERE s.emp_id = e.emp_id ORDER BY s.last_seen_at DESC LIMIT 1) s ON true
WHERE e.team_id = %(t)s ORDER BY coalesce(e.display_name, u.email, e.emp_id::text), e.emp_id
"""

_SYNC = """
SELECT d.device_id, d.emp_id, d.name, l.received_at, l.user_agent, c.records, c.rejected
FROM devices d
LEFT JOIN LATERAL (SELECT received_at, user_agent FROM ingest_log x WHERE x.device_id = d.device_id
                   ORDER BY x.ingest_id DESC LIMIT 1) l ON true
CROSS JOIN LATERAL (SELECT coalesce(sum(x.record_count), 0) AS records, coalesce(sum(x.rejected), 0) AS rejected
                    FROM ingest_log x WHERE x.device_id = d.device_id AND x.received_at > %(now)s - interval '24 hours'
                   ) c
WHERE d.emp_id IN (SELECT emp_id FROM employees WHERE team_id = %(t)s) ORDER BY d.emp_id, d.name
"""


async def team_members(conn: AsyncConn, team_id: int, first: date | None = None,
                       last: date | None = None) -> list[dict[str, Any]]:
    """The team's employees: name, zone, last seen, and the mean productivity score over first..last."""
    rows = await (await conn.execute(_TEAM, {"t": team_id, "lo": first, "hi": last})).fetchall()
    return [{"emp_id": emp, "name": name or email or f"Employee {emp}", "tz": zone(tz), "last_seen_at": seen,
             "score": round(float(score), 1) if score is not None else None}
            for emp, name, email, tz, seen, score in rows]


def sync_query(team_id: int, now: datetime) -> Query:
    """Per device of the team: last ingest, records and rejections in the 24 h before ``now``, User-Agent."""
    return _SYNC, {"t": team_id, "now": now}


def sync_rows(rows: list[Any], now: datetime) -> list[dict[str, Any]]:
    return [{"emp_id": emp, "device_id": dev, "device": name,
             "last_ingest_at": last.astimezone(UTC).isoformat() if last else None,
             "records_24h": int(records), "rejected_24h": int(rejected), "agent_version": ua,
             "stale": last is None or now - last > SYNC_WARNING}
            for dev, emp, name, last, ua, records, rejected in rows]


async def sync_health(conn: AsyncConn, team_id: int, now: datetime) -> list[dict[str, Any]]:
    sql, params = sync_query(team_id, now)
    return sync_rows(await (await conn.execute(sql, params)).fetchall(), now)
