"""One employee's day (timeline bar, hour-by-hour chart, top apps and sites, screenshots) and week."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ingestion.accounts.authz import Employee, visible_employee
from ingestion.accounts.sessions import Viewer
from ingestion.context import app_state
from ingestion.db import AsyncConn
from ingestion.replica import reading
from ingestion.reports import categories, daily, queries
from ingestion.reports.ranges import DayRange, local_midnight, parse_day
from ingestion.web.guard import page

router = APIRouter()
TIMELINE_LIMIT = 5000
WIDTH = 1000  # SVG user units of the timeline bar and charts


async def _subject(conn: AsyncConn, request: Request, found: Viewer) -> tuple[Employee, ZoneInfo, date]:
    """The employee of the URL (if the viewer may see them), their zone and the asked day (default today)."""
    emp_id = request.path_params["emp_id"]
    person = await visible_employee(conn, found, emp_id)
    tz = await queries.employee_zone(conn, emp_id)
    raw = request.query_params.get("date")
    return person, tz, parse_day(raw, "date") if raw else datetime.now(tz).date()


def _bar_segments(spans: list[dict[str, Any]], start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Timeline bar: runs of touching spans with one status merged, as x/width in SVG units of the day
    (a day of minute heartbeats draws a few dozen rectangles, not hundreds)."""
    length = (end - start).total_seconds()
    runs: list[dict[str, Any]] = []
    for span in spans:
        s = max(span["started_at"], start)
        e = min(span["ended_at"], end)
        if e <= s:
            continue
        last = runs[-1] if runs else None
        if last is not None and last["status"] == span["status"] and s <= last["end"]:
            last["end"] = max(last["end"], e)
            last["spans"] += 1
        else:
            runs.append({"status": span["status"], "start": s, "end": e, "spans": 1})
    for run in runs:
        run["x"] = round((run["start"] - start).total_seconds() / length * WIDTH, 2)
        run["width"] = round(max((run["end"] - run["start"]).total_seconds() / length * WIDTH, 0.3), 2)
    return runs


def _axis(span: DayRange) -> list[tuple[float, str]]:
    """Timeline labels every 3 local hours, at the x of the instant they name (a DST day is 23 or 25
    hours long), and 24:00 at the end."""
    instants, hours = span.hour_starts()
    start, length = instants[0], (instants[-1] - instants[0]).total_seconds()
    ticks, seen = [], set()
    for moment, hour in zip(instants, hours, strict=False):
        if hour % 3 == 0 and hour not in seen:
            seen.add(hour)
            ticks.append((round((moment - start).total_seconds() / length * WIDTH, 2), f"{hour:02d}:00"))
    return [*ticks, (float(WIDTH), "24:00")]


def _stacks(rows: list[dict[str, Any]], height: float, scale: float) -> list[list[dict[str, Any]]]:
    """Per row, the stacked status rectangles (y from the bottom) of a bar chart."""
    stacks = []
    for row in rows:
        y = height
        parts = []
        for status in queries.STATUSES:
            h = row[f"{status}_seconds"] / scale * height if scale else 0
            if h > 0:
                y -= h
                parts.append({"status": status, "y": round(y, 2), "height": round(h, 2),
                              "seconds": row[f"{status}_seconds"]})
        stacks.append(parts)
    return stacks


def _day_totals(day: date, hour_rows: list[Any], aggregates: list[Any]) -> dict[str, Any]:
    """The day's figures (as in the days report) from its hour rows and its aggregates' row."""
    sums: dict[str, float] = {}
    for _, _, status, seconds in hour_rows:
        sums[status] = sums.get(status, 0.0) + seconds
    out = {day: queries.day_row(day)}
    out[day].update({f"{status}_seconds": round(seconds) for status, seconds in sums.items()})
    queries.add_aggregates(out, aggregates)
    return out[day]


@page(router, "/employees/{emp_id:int}")
async def employee_day(request: Request, found: Viewer) -> Response:
    async with reading(app_state(request)) as conn:
        person, tz, day = await _subject(conn, request, found)
        emp_id = person.emp_id
        span = DayRange(day, day, tz)
        hour_rows, aggregates, top_apps, top_domains, span_rows, shot_rows, rules = await queries.fetch_all(conn, [
            daily.by_bucket_query([emp_id], span.hour_starts()[0]), queries.aggregates_query(emp_id, span),
            queries.apps_query(emp_id, span, 10), queries.domains_query(emp_id, span, 10),
            queries.timeline_query(emp_id, day, tz, 0, TIMELINE_LIMIT), queries.screenshots_query(emp_id, span),
            (categories.RULES_SQL, None)])
    found_rules = categories.rules_from_rows(rules)
    hours = queries.day_hours_rows(span, hour_rows)
    totals = _day_totals(day, hour_rows, aggregates)
    apps, domains = queries.apps_rows(top_apps, found_rules), queries.domains_rows(top_domains, found_rules)
    spans, more = queries.timeline_rows(span_rows, 0, TIMELINE_LIMIT)
    shots = queries.screenshots_rows(shot_rows)
    start, end = local_midnight(day, tz), local_midnight(day + timedelta(days=1), tz)
    slot = WIDTH / max(len(hours), 1)
    return _render_employee(request, "day.html", person, tz, day=day, totals=totals, hours=hours,
                            hour_stacks=_stacks(hours, 160, 3600), slot=slot, apps=apps, domains=domains,
                            runs=_bar_segments(spans, start, end), axis=_axis(span), segments=spans,
                            truncated=more is not None,
                            shots=shots, prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1))


@page(router, "/employees/{emp_id:int}/week")
async def employee_week(request: Request, found: Viewer) -> Response:
    async with reading(app_state(request)) as conn:
        person, tz, day = await _subject(conn, request, found)
        emp_id = person.emp_id
        monday = day - timedelta(days=day.weekday())
        days = await queries.days(conn, emp_id, DayRange(monday, monday + timedelta(days=6), tz))
    total = {key: sum(d[key] for d in days) for key in days[0] if key.endswith("_seconds")}
    longest = max(sum(d[f"{s}_seconds"] for s in queries.STATUSES) for d in days)
    return _render_employee(request, "week.html", person, tz, monday=monday, days=days,
                            stacks=_stacks(days, 200, max(12 * 3600, longest)),
                            total=total, prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7))


def _render_employee(request: Request, template: str, person: Any, tz: Any, **context: Any) -> Response:
    from ingestion.web.render import render

    return render(request, template, person=person, tz=tz, statuses=queries.STATUSES, width=WIDTH, **context)
