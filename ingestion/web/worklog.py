"""The "Logged work" pages (issue 18): per employee and week, what was logged in the app next to the
monitored active time of the same week. Same authorization as every other page: a team's page for its
managers and admins, an employee's page for themselves, their managers and admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ingestion.accounts.authz import visible_employee, visible_team
from ingestion.accounts.sessions import Viewer
from ingestion.context import app_state
from ingestion.replica import primary_reading
from ingestion.reports import queries
from ingestion.reports.ranges import DayRange, day_range, zone
from ingestion.web.guard import page
from ingestion.web.render import render
from ingestion.worklog.report import logged_work

router = APIRouter()
DEFAULT_DAYS = 56  # eight weeks


def _range(request: Request) -> DayRange:
    """``from``/``to`` of the query (the reports' rules), by default the last eight weeks."""
    today = datetime.now(UTC).date()
    first = request.query_params.get("from") or (today - timedelta(days=DEFAULT_DAYS)).isoformat()
    last = request.query_params.get("to") or today.isoformat()
    return day_range(first, last, zone("UTC"))


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("logged_seconds", "tasks", "bonus_amount", "monitored_active_seconds", "limited_tasks",
            "within_limit_tasks")
    total: dict[str, Any] = {key: sum(r[key] for r in rows) for key in keys}
    total["bonus_amount"] = round(total["bonus_amount"], 2)
    return total


@page(router, "/teams/{team_id:int}/logged-work")
async def team_logged_work(request: Request, found: Viewer) -> Response:
    team_id = request.path_params["team_id"]
    span = _range(request)
    async with primary_reading(app_state(request)) as conn:
        name = await visible_team(conn, found, team_id)
        members = await queries.team_members(conn, team_id)
        rows = await logged_work(conn, {m["emp_id"]: m["tz"] for m in members}, span.first, span.last)
    names = {m["emp_id"]: m["name"] for m in members}
    for row in rows:
        row["name"] = names[row["emp_id"]]
    return render(request, "logged_work.html", title=f"Team {name}", rows=rows, total=_totals(rows), span=span,
                  csv=f"/api/v1/reports/teams/{team_id}/logged-work.csv", back=f"/teams/{team_id}", team=True)


@page(router, "/employees/{emp_id:int}/logged-work")
async def employee_logged_work(request: Request, found: Viewer) -> Response:
    emp_id = request.path_params["emp_id"]
    span = _range(request)
    async with primary_reading(app_state(request)) as conn:
        person = await visible_employee(conn, found, emp_id)
        tz = await queries.employee_zone(conn, emp_id)
        rows = await logged_work(conn, {emp_id: tz}, span.first, span.last)
    name = person.display_name or f"Employee {emp_id}"
    for row in rows:
        row["name"] = name
    return render(request, "logged_work.html", title=name, rows=rows, total=_totals(rows), span=span,
                  csv=f"/api/v1/reports/employees/{emp_id}/logged-work.csv", back=f"/employees/{emp_id}",
                  team=False)
