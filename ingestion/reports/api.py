"""``/api/v1/reports/...``: JSON, or CSV with a ``.csv`` suffix or ``Accept: text/csv``.

Authenticated by the web session cookie; each route checks what the session may see before reading.
Every table route is registered twice (``/x`` and ``/x.csv``), both in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from ingestion.accounts.authz import visible_employee, visible_team
from ingestion.context import app_state
from ingestion.db import AsyncConn
from ingestion.errors import ApiError, json_response
from ingestion.replica import primary_reading, reading
from ingestion.reports import daily, queries
from ingestion.reports.csvout import to_csv, wants_csv
from ingestion.reports.ranges import DayRange, day_range, zone
from ingestion.schemas import error_responses
from ingestion.web.session import api_viewer
from ingestion.worklog import report as logged

router = APIRouter()
Table = tuple[dict[str, Any], str, list[dict[str, Any]]]  # (JSON envelope, table key, rows)
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}, "description": "the table"},
    **error_responses(401, 403, 422, 503),
}
_STATUS_COLUMNS = [f"{s}_seconds" for s in queries.STATUSES]


def _answer(request: Request, table: Table, columns: list[str]) -> Response:
    envelope, key, rows = table
    if wants_csv(request.url.path, request.headers.get("accept")):
        return Response(to_csv(rows, columns), media_type="text/csv; charset=utf-8")
    return json_response(200, {**envelope, key: rows})


async def _employee_range(request: Request, conn: AsyncConn, emp_id: int, from_: str | None,
                          to: str | None) -> tuple[dict[str, Any], DayRange]:
    found = await api_viewer(request)
    await visible_employee(conn, found, emp_id)
    tz = await queries.employee_zone(conn, emp_id)
    span = day_range(from_, to, tz)
    return {"emp_id": emp_id, "tz": tz.key, "from": span.first.isoformat(), "to": span.last.isoformat()}, span


MAX_OFFSET = 10_000_000  # far beyond one day's spans; PostgreSQL's OFFSET is a bigint


def _limit(value: int) -> int:
    if not 1 <= value <= 1000:
        raise ApiError(422, "invalid_range", "limit must be between 1 and 1000")
    return value


def _table(path: str, columns: list[str], summary: str) -> Callable[[Callable[..., Awaitable[Table]]], None]:
    """Register ``fetch`` (returns a Table) at ``path`` and ``path.csv``."""
    def register(fetch: Callable[..., Awaitable[Table]]) -> None:
        async def endpoint(request: Request, **params: Any) -> Response:
            return _answer(request, await fetch(request, **params), columns)

        endpoint.__signature__ = _signature(fetch)  # type: ignore[attr-defined]
        for suffix in ("", ".csv"):
            router.add_api_route(path + suffix, endpoint, methods=["GET"],
                                 summary=summary + (" (CSV)" if suffix else ""), responses=_RESPONSES,
                                 name=f"{fetch.__name__}{suffix.replace('.', '_')}")
    return register


def _signature(fetch: Callable[..., Any]) -> Any:
    import inspect

    return inspect.signature(fetch)


Emp = int
From = Query(None, alias="from", description="first local day, YYYY-MM-DD (required)")
To = Query(None, alias="to", description="last local day (inclusive), YYYY-MM-DD (required); at most 400 days")

_DAY_COLUMNS = ["date", *_STATUS_COLUMNS, "productivity_score", "productive_seconds", "unproductive_seconds",
                "neutral_seconds", "break_count", "longest_streak_seconds", "overtime_seconds"]


@_table("/api/v1/reports/employees/{emp_id}/days", _DAY_COLUMNS,
        "Per local day: time by status, productivity score, wellness")
async def employee_days(request: Request, emp_id: Emp, from_: str | None = From, to: str | None = To) -> Table:
    async with reading(app_state(request)) as conn:
        envelope, span = await _employee_range(request, conn, emp_id, from_, to)
        return envelope, "days", await queries.days(conn, emp_id, span)


@_table("/api/v1/reports/employees/{emp_id}/hours", ["hour", *_STATUS_COLUMNS],
        "Per local hour of day (0-23), summed over the range: time by status")
async def employee_hours(request: Request, emp_id: Emp, from_: str | None = From, to: str | None = To) -> Table:
    async with reading(app_state(request)) as conn:
        envelope, span = await _employee_range(request, conn, emp_id, from_, to)
        return envelope, "hours", await queries.hours(conn, emp_id, span)


@_table("/api/v1/reports/employees/{emp_id}/apps", ["process_name", "active_seconds", "category", "category_name"],
        "Top applications by active time, with their category")
async def employee_apps(request: Request, emp_id: Emp, from_: str | None = From, to: str | None = To,
                        limit: int = Query(20)) -> Table:
    async with reading(app_state(request)) as conn:
        envelope, span = await _employee_range(request, conn, emp_id, from_, to)
        return envelope, "apps", await queries.apps(conn, emp_id, span, _limit(limit))


@_table("/api/v1/reports/employees/{emp_id}/domains", ["domain", "active_seconds", "category", "category_name"],
        "Top domains by active time, with their productivity category")
async def employee_domains(request: Request, emp_id: Emp, from_: str | None = From, to: str | None = To,
                           limit: int = Query(20)) -> Table:
    async with reading(app_state(request)) as conn:
        envelope, span = await _employee_range(request, conn, emp_id, from_, to)
        return envelope, "domains", await queries.domains(conn, emp_id, span, _limit(limit))


_SPAN_COLUMNS = ["started_at", "ended_at", "status", "process_name", "window_title", "domain", "url", "device_id"]


@_table("/api/v1/reports/employees/{emp_id}/timeline", _SPAN_COLUMNS, "One local day's spans, paged")
async def employee_timeline(request: Request, emp_id: Emp,
                            date: str | None = Query(None, description="YYYY-MM-DD (required)"),
                            offset: int = Query(0), limit: int = Query(500)) -> Table:
    if not 0 <= offset <= MAX_OFFSET:
        raise ApiError(422, "invalid_range", f"offset must be between 0 and {MAX_OFFSET}")
    async with reading(app_state(request)) as conn:
        envelope, span = await _employee_range(request, conn, emp_id, date, date)
        spans, next_offset = await queries.timeline(conn, emp_id, span.first, span.tz, offset, _limit(limit))
    for row in spans:
        row["started_at"] = row["started_at"].astimezone(UTC).isoformat()
        row["ended_at"] = row["ended_at"].astimezone(UTC).isoformat()
    return {**envelope, "date": span.first.isoformat(), "next_offset": next_offset}, "spans", spans


_SHOT_COLUMNS = ["captured_at", "device_id", "client_id", "width", "height", "format", "blurred_on_device",
                 "size_bytes", "url", "thumbnail_url"]


@_table("/api/v1/reports/employees/{emp_id}/screenshots", _SHOT_COLUMNS, "Screenshots taken in the range")
async def employee_screenshots(request: Request, emp_id: Emp, from_: str | None = From, to: str | None = To) -> Table:
    async with reading(app_state(request)) as conn:
        envelope, span = await _employee_range(request, conn, emp_id, from_, to)
        return envelope, "screenshots", await queries.screenshots(conn, emp_id, span)


def _summed(days: Any) -> dict[str, int]:
    return {key: sum(d[key] for d in days) for key in _STATUS_COLUMNS}


_TEAM_COLUMNS = ["emp_id", "name", "tz", *_STATUS_COLUMNS, "productivity_score", "last_seen_at"]


@_table("/api/v1/reports/teams/{team_id}/employees", _TEAM_COLUMNS,
        "Per employee of a team: totals for the range (each in their own time zone), last seen")
async def team_employees(request: Request, team_id: int, from_: str | None = From, to: str | None = To) -> Table:
    found = await api_viewer(request)
    span = day_range(from_, to, zone("UTC"))  # the same checks and 422s as the employee reports
    first, last = span.first, span.last
    async with reading(app_state(request)) as conn:
        name = await visible_team(conn, found, team_id)
        members = await queries.team_members(conn, team_id, first, last)
        by_day = await daily.status_by_day(conn, [daily.Span(m["emp_id"], m["tz"], first, last) for m in members])
    rows = [{"emp_id": m["emp_id"], "name": m["name"], "tz": m["tz"].key, **_summed(by_day[m["emp_id"]].values()),
             "productivity_score": m["score"],
             "last_seen_at": m["last_seen_at"].astimezone(UTC).isoformat() if m["last_seen_at"] else None}
            for m in members]
    return {"team_id": team_id, "team": name, "from": first.isoformat(), "to": last.isoformat()}, "employees", rows


_DEVICE_COLUMNS = ["emp_id", "device_id", "device", "last_ingest_at", "records_24h", "rejected_24h",
                   "agent_version", "stale"]


@_table("/api/v1/reports/teams/{team_id}/devices", _DEVICE_COLUMNS,
        "Sync health of a team's devices: last ingest, last 24 h records and rejections, agent version")
async def team_devices(request: Request, team_id: int) -> Table:
    found = await api_viewer(request)
    async with reading(app_state(request)) as conn:
        name = await visible_team(conn, found, team_id)
        rows = await queries.sync_health(conn, team_id, datetime.now(UTC))
    return {"team_id": team_id, "team": name}, "devices", rows


@_table("/api/v1/reports/employees/{emp_id}/logged-work", logged.COLUMNS,
        "Per week starting in the range: logged time, tasks, score, bonus, time limits, monitored active time")
async def employee_logged_work(request: Request, emp_id: Emp, from_: str | None = From,
                               to: str | None = To) -> Table:
    async with primary_reading(app_state(request)) as conn:
        envelope, span = await _employee_range(request, conn, emp_id, from_, to)
        return envelope, "weeks", await logged.logged_work(conn, {emp_id: span.tz}, span.first, span.last)


@_table("/api/v1/reports/teams/{team_id}/logged-work", ["name", *logged.COLUMNS],
        "Per employee of a team and week starting in the range: logged work next to monitored active time")
async def team_logged_work(request: Request, team_id: int, from_: str | None = From, to: str | None = To) -> Table:
    found = await api_viewer(request)
    span = day_range(from_, to, zone("UTC"))
    async with primary_reading(app_state(request)) as conn:
        name = await visible_team(conn, found, team_id)
        members = await queries.team_members(conn, team_id)
        rows = await logged.logged_work(conn, {m["emp_id"]: m["tz"] for m in members}, span.first, span.last)
    names = {m["emp_id"]: m["name"] for m in members}
    rows = [{"name": names[r["emp_id"]], **r} for r in rows]
    return ({"team_id": team_id, "team": name, "from": span.first.isoformat(), "to": span.last.isoformat()},
            "weeks", rows)
