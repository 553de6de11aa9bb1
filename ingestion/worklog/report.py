"""Logged work for the team view (issue 18): per employee and week, what the employee logged in the app
(time, tasks, average score, bonus, time-limit compliance) next to the monitored active time of the same
week from the rollups (migration 0004).

A week's period is the app's own: ``start_date`` at ``week_start_hour`` in the employee's time zone, to
``week_end_day``/``week_end_hour`` (inclusive hour), so a custom Tuesday-10:00-to-Friday-18:00 week compares
with the monitoring of exactly that period. Weeks without a ``start_date`` have no period and are not in
date-range reports (they are in the My data export). Deleted weeks and tasks are left out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.db import AsyncConn
from ingestion.reports.ranges import local_midnight

COLUMNS = ["emp_id", "week_client_id", "week_label", "start_date", "logged_seconds", "tasks", "avg_score",
           "scored_tasks", "is_bonus_week", "bonus_eligible_seconds", "bonus_amount", "limited_tasks",
           "within_limit_tasks", "within_limit_percent", "monitored_active_seconds"]  # CSV; JSON adds "projects"
TOP_PROJECTS = 3  # per week, by logged time (no project: null)

_WEEKS_SQL = """
SELECT w.emp_id, w.client_id::text, w.week_label, w.start_date, w.week_start_day, w.week_start_hour,
       w.week_end_day, w.week_end_hour, w.is_bonus_week, w.bonus_rate, w.bonus_threshold_seconds,
       count(t.client_id), coalesce(sum(t.duration_seconds), 0), avg(t.score), count(t.score),
       count(t.client_id) FILTER (WHERE t.time_limit_seconds > 0),
       count(t.client_id) FILTER (WHERE t.time_limit_seconds > 0 AND t.duration_seconds <= t.time_limit_seconds),
       (SELECT coalesce(json_agg(json_build_object('project_name', p.name, 'logged_seconds', p.seconds)
                                 ORDER BY p.seconds DESC, p.name), '[]')
        FROM (SELECT nullif(x.project_name, '') AS name, sum(x.duration_seconds) AS seconds FROM worklog_tasks x
              WHERE x.emp_id = w.emp_id AND x.deleted_at IS NULL AND x.week_client_id = ANY(ids.all_ids)
              GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST LIMIT %s) p)
FROM worklog_weeks w
CROSS JOIN LATERAL (SELECT ARRAY(SELECT a.alias_id FROM worklog_week_aliases a
                                 WHERE a.emp_id = w.emp_id AND a.canonical_id = w.client_id) || w.client_id
                    AS all_ids) ids
LEFT JOIN worklog_tasks t
       ON t.emp_id = w.emp_id AND t.deleted_at IS NULL AND t.week_client_id = ANY(ids.all_ids)
WHERE w.emp_id = ANY(%s) AND w.deleted_at IS NULL AND w.start_date BETWEEN %s AND %s
GROUP BY w.emp_id, w.client_id, ids.all_ids
ORDER BY w.emp_id, w.start_date DESC, w.label_key, w.client_id
"""
_ACTIVE_SQL = """
SELECT r.i, coalesce(sum(s.seconds), 0)
FROM unnest(%s::int4[], %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY AS r(emp_id, lo, hi, i)
LEFT JOIN activity_quarters s ON s.emp_id = r.emp_id AND s.bucket >= r.lo AND s.bucket < r.hi AND s.status = 'active'
GROUP BY r.i
"""


def week_period(start: date, start_day: int, start_hour: int, end_day: int, end_hour: int,
                tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start and end of a week as the app defines it (end hour inclusive; DST-correct)."""
    days = (end_day - start_day) % 7
    begin = local_midnight(start, tz) + timedelta(hours=start_hour)
    end = local_midnight(start + timedelta(days=days), tz) + timedelta(hours=end_hour + 1)
    if end <= begin:  # e.g. Monday 18:00 to Monday 09:00: the next Monday
        end = local_midnight(start + timedelta(days=days + 7), tz) + timedelta(hours=end_hour + 1)
    return begin, end


def bonus(logged: int, is_bonus_week: bool, threshold: int, rate: float) -> tuple[int, float]:
    """The app's rule (``app.domain.stats.bonus``): the rate per hour beyond the threshold, bonus weeks only."""
    if not is_bonus_week:
        return 0, 0.0
    eligible = max(0, logged - max(0, threshold))
    return eligible, round(eligible / 3600 * rate, 2)


async def logged_work(conn: AsyncConn, zones: dict[int, ZoneInfo], first: date, last: date) -> list[dict[str, Any]]:
    """One row per (employee, week starting in [first, last]), newest week first per employee."""
    rows = await (await conn.execute(_WEEKS_SQL, (TOP_PROJECTS, list(zones), first, last))).fetchall()
    out: list[dict[str, Any]] = []
    periods: list[tuple[int, datetime, datetime]] = []
    for (emp_id, week_id, label, start, start_day, start_hour, end_day, end_hour, is_bonus, rate, threshold,
         tasks, logged, avg_score, scored, limited, within, projects) in rows:
        eligible, amount = bonus(int(logged), is_bonus, threshold, rate)
        periods.append((emp_id, *week_period(start, start_day, start_hour, end_day, end_hour, zones[emp_id])))
        out.append({
            "emp_id": emp_id, "week_client_id": week_id, "week_label": label, "start_date": start.isoformat(),
            "logged_seconds": int(logged), "tasks": int(tasks),
            "avg_score": round(float(avg_score), 1) if avg_score is not None else None, "scored_tasks": int(scored),
            "is_bonus_week": is_bonus, "bonus_eligible_seconds": eligible, "bonus_amount": amount,
            "limited_tasks": int(limited), "within_limit_tasks": int(within),
            "within_limit_percent": round(100 * within / limited, 1) if limited else None,
            "monitored_active_seconds": 0,
            "projects": [{"project_name": p["project_name"], "logged_seconds": int(p["logged_seconds"])}
                         for p in projects],
        })
    if periods:
        cur = await conn.execute(_ACTIVE_SQL, ([p[0] for p in periods], [p[1] for p in periods],
                                               [p[2] for p in periods]))
        for index, seconds in await cur.fetchall():
            out[index - 1]["monitored_active_seconds"] = round(seconds)
    return out
