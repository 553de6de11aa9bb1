"""Login, logout, set-password, the landing redirect and the team overview."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from ingestion.accounts import users
from ingestion.accounts.authz import visible_team, visible_teams
from ingestion.accounts.passwords import PasswordError
from ingestion.accounts.sessions import COOKIE, LoginLocked, Viewer, login, logout
from ingestion.context import app_state
from ingestion.errors import ApiError
from ingestion.reports import queries
from ingestion.reports.ranges import local_midnight
from ingestion.web import employee, mydata, shots, worklog
from ingestion.web.guard import page
from ingestion.web.render import STATIC, render, safe_next
from ingestion.web.session import (
    LOGIN_CSRF_COOKIE,
    check_csrf,
    clear_session_cookie,
    csrf_ok,
    secure,
    set_session_cookie,
    viewer,
)

router = APIRouter()


def _login_form(request: Request, status: int = 200, message: str = "") -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "login.html", status=status, viewer=None, message=message, login_csrf=token,
                      next=safe_next(request.query_params.get("next")))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, path="/", httponly=True, samesite="lax",
                        secure=secure(request))
    return response


@router.get("/login", include_in_schema=False)
async def login_page(request: Request) -> Response:
    return _login_form(request)


@router.post("/login", include_in_schema=False)
async def login_submit(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf_token") or "")):
        return _login_form(request, 403, "The form expired; please try again.")
    email, password = str(form.get("email") or "")[:254], str(form.get("password") or "")
    client = request.client.host if request.client else "unknown"
    try:
        async with app_state(request).db.connection() as conn:
            session_id = await login(conn, email, password, client, request.headers.get("user-agent"),
                                     request.cookies.get(COOKIE))
    except LoginLocked:
        return _login_form(request, 429, "Too many failed attempts: this account is locked for a minute."
                                         " Try again later.")
    except ApiError as exc:
        return _login_form(request, exc.status, "The server cannot check logins right now; try again soon.")
    if session_id is None:
        return _login_form(request, 401, "Wrong email or password.")
    response = RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)
    set_session_cookie(response, request, session_id)
    return response


@router.post("/logout", include_in_schema=False)
async def logout_submit(request: Request) -> Response:
    found = await viewer(request)
    if found is not None:
        try:
            await check_csrf(request, found)
        except ApiError as exc:
            return render(request, "error.html", status=403, title="Not allowed", detail=exc.detail or "")
        async with app_state(request).db.connection() as conn:
            await logout(conn, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/set-password", include_in_schema=False)
async def set_password_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    settings = app_state(request).settings
    valid = bool(token) and await asyncio.to_thread(_with_sync, settings, users.token_is_valid, token)
    return _password_form(request, token, 200 if valid else 410,
                          "" if valid else "This link is invalid, expired or already used.")


def _password_form(request: Request, token: str, status: int, message: str) -> Response:
    csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, "set_password.html", status=status, viewer=None, token=token, message=message,
                      login_csrf=csrf, minimum=10)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, max_age=3600, path="/", httponly=True, samesite="lax",
                        secure=secure(request))
    return response


def _with_sync(settings: Any, func: Any, *args: Any) -> Any:
    with users.open_sync(settings) as conn:
        return func(conn, *args)


@router.post("/set-password", include_in_schema=False)
async def set_password_submit(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token") or "")
    if not csrf_ok(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get("csrf_token") or "")):
        return _password_form(request, token, 403, "The form expired; please try again.")
    password, again = str(form.get("password") or ""), str(form.get("password_again") or "")
    if password != again:
        return _password_form(request, token, 422, "The two passwords differ.")
    try:
        await asyncio.to_thread(_with_sync, app_state(request).settings, users.redeem_token, token, password)
    except (PasswordError, ValueError) as exc:
        return _password_form(request, token, 422, str(exc))
    return RedirectResponse("/login", status_code=303)


@page(router, "/")
async def home(request: Request, found: Viewer) -> Response:
    if found.role == "employee":
        return RedirectResponse("/me", status_code=303)
    async with app_state(request).db.connection() as conn:
        teams = await visible_teams(conn, found)
    if len(teams) == 1:
        return RedirectResponse(f"/teams/{teams[0][0]}", status_code=303)
    return render(request, "teams.html", teams=teams)


@page(router, "/teams/{team_id:int}")
async def team_overview(request: Request, found: Viewer) -> Response:
    team_id = request.path_params["team_id"]
    now = datetime.now(UTC)
    async with app_state(request).db.connection() as conn:
        name = await visible_team(conn, found, team_id)
        members = await queries.team_members(conn, team_id)
        emp_ids = [m["emp_id"] for m in members]

        def bounds(tz: Any) -> list[datetime]:
            today = now.astimezone(tz).date()
            monday = today - timedelta(days=today.weekday())
            tomorrow = today + timedelta(days=1)
            return [local_midnight(monday, tz), local_midnight(today, tz), local_midnight(tomorrow, tz)]

        totals = await queries.totals_by_zone(conn, members, bounds)
        devices = await queries.sync_health(conn, emp_ids, now)
        week_scores = await queries.scores(conn, emp_ids, now.date() - timedelta(days=6), now.date())
    rows = []
    for m in members:
        week, today = totals[m["emp_id"]]
        mine = [d for d in devices if d["emp_id"] == m["emp_id"]]
        rows.append({**m, "today_active": today["active_seconds"],
                     "week_active": week["active_seconds"] + today["active_seconds"],
                     "score": week_scores.get(m["emp_id"]), "devices": mine,
                     "stale": [d for d in mine if d["stale"]]})
    return render(request, "team.html", team_id=team_id, team=name, rows=rows, now=now)


def mount(app: FastAPI) -> None:
    """Pages, the employee views, My data, screenshots and the static files (CSS only)."""
    for sub in (router, employee.router, mydata.router, shots.router, worklog.router):
        app.include_router(sub)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
