"""Who may see what, decided from the session's :class:`Viewer` alone (never from ids in the URL):
admin everything, manager the employees of their teams (and their own data), employee their own.
Unknown and forbidden ids get the same 403, so ids cannot be probed."""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.accounts.sessions import Viewer
from ingestion.db import AsyncConn
from ingestion.errors import ApiError


@dataclass(frozen=True)
class Employee:
    """An employee as the authorization checks see them: team, and whether managers see blurred screenshots."""

    emp_id: int
    display_name: str | None
    team_id: int | None
    team_name: str | None
    blur_screenshots: bool


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "not allowed for this account")


def require_admin(viewer: Viewer) -> None:
    if viewer.role != "admin":
        raise forbidden()


async def visible_employee(conn: AsyncConn, viewer: Viewer, emp_id: int) -> Employee:
    row = await (await conn.execute(
        "SELECT e.emp_id, e.display_name, e.team_id, t.name, coalesce(t.blur_screenshots, false)"
        " FROM employees e LEFT JOIN teams t ON t.team_id = e.team_id WHERE e.emp_id = %s", (emp_id,))).fetchone()
    if row is None:
        raise forbidden()
    employee = Employee(*row)
    allowed = (viewer.role == "admin" or viewer.emp_id == emp_id
               or (viewer.role == "manager" and employee.team_id in viewer.team_ids))
    if not allowed:
        raise forbidden()
    return employee


def blur_for(viewer: Viewer, employee: Employee) -> bool:
    """The team's blur applies to what managers see of others (the employee sees their own clearly)."""
    return employee.blur_screenshots and viewer.role == "manager" and viewer.emp_id != employee.emp_id


async def visible_team(conn: AsyncConn, viewer: Viewer, team_id: int) -> str:
    """The team's name when the viewer may see it (admin, or a manager of it)."""
    if not (viewer.role == "admin" or (viewer.role == "manager" and team_id in viewer.team_ids)):
        raise forbidden()
    row = await (await conn.execute("SELECT name FROM teams WHERE team_id = %s", (team_id,))).fetchone()
    if row is None:
        raise forbidden()
    return str(row[0])


async def visible_teams(conn: AsyncConn, viewer: Viewer) -> list[tuple[int, str]]:
    if viewer.role == "admin":
        rows = await (await conn.execute("SELECT team_id, name FROM teams ORDER BY name")).fetchall()
    elif viewer.role == "manager":
        rows = await (await conn.execute("SELECT team_id, name FROM teams WHERE team_id = ANY(%s) ORDER BY name",
                                         (list(viewer.team_ids),))).fetchall()
    else:
        rows = []
    return [(int(r[0]), str(r[1])) for r in rows]
