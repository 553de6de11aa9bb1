"""Admin pages: users and teams (create with a one-time set-password link, disable, team blur) and
device keys (create, shown once; revoke; last used). The same functions as the CLI, in a thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ingestion import keys
from ingestion.accounts import users
from ingestion.accounts.authz import require_admin
from ingestion.accounts.passwords import PasswordError
from ingestion.accounts.sessions import Viewer
from ingestion.context import app_state
from ingestion.errors import ApiError
from ingestion.web.guard import form_text, page
from ingestion.web.render import render

router = APIRouter()


async def _sync(request: Request, func: Callable[..., Any], *args: Any) -> Any:
    def run() -> Any:
        with users.open_sync(app_state(request).settings) as conn:
            return func(conn, *args)

    return await asyncio.to_thread(run)


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _users_page(request: Request, status: int = 200, **context: Any) -> Response:
    listing = await _sync(request, users.list_users)
    teams = await _sync(request, users.list_teams)
    return render(request, "admin_users.html", status=status, users=listing, teams=teams, roles=users.ROLES,
                  **{"created": None, "message": "", **context})


@page(router, "/admin/users")
async def users_page(request: Request, found: Viewer) -> Response:
    require_admin(found)
    return await _users_page(request)


def _optional_int(raw: str, name: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(422, "invalid_form", f"{name} must be a number") from None


@page(router, "/admin/users", methods=("POST",))
async def create_user(request: Request, found: Viewer) -> Response:
    require_admin(found)
    form = await request.form()
    try:
        emp_id = _optional_int(form_text(form, "emp_id", 12), "employee id")
        team = form_text(form, "team", 100).strip() or None
        created = await _sync(request, users.create_user, form_text(form, "email", 254), form_text(form, "role", 16),
                              emp_id, team)
    except (ValueError, PasswordError, ApiError) as exc:
        message = exc.detail if isinstance(exc, ApiError) else str(exc)
        return await _users_page(request, 422, message=message or "invalid form")
    return await _users_page(request, created=created, link=users.password_link(_base_url(request), created.token))


@page(router, "/admin/users/disable", methods=("POST",))
async def disable_user(request: Request, found: Viewer) -> Response:
    require_admin(found)
    form = await request.form()
    email = form_text(form, "email", 254)
    if email.strip().lower() == found.email:
        return await _users_page(request, 422, message="you cannot disable your own account")
    await _sync(request, users.disable_user, email)
    return RedirectResponse("/admin/users", status_code=303)


@page(router, "/admin/users/link", methods=("POST",))
async def new_link(request: Request, found: Viewer) -> Response:
    require_admin(found)
    form = await request.form()
    email = form_text(form, "email", 254)

    def issue(conn: Any) -> str | None:
        user_id = users.user_id_for(conn, email)
        return None if user_id is None else users.issue_token(conn, user_id)

    token = await _sync(request, issue)
    if token is None:
        return await _users_page(request, 422, message="no such user")
    return await _users_page(request, link=users.password_link(_base_url(request), token), link_for=email)


@page(router, "/admin/teams/blur", methods=("POST",))
async def team_blur(request: Request, found: Viewer) -> Response:
    require_admin(found)
    form = await request.form()
    team_id = _optional_int(form_text(form, "team_id", 12), "team")
    if team_id is None:
        raise ApiError(422, "invalid_form", "team is required")
    await _sync(request, users.set_team_blur, team_id, form.get("blur") == "on")
    return RedirectResponse("/admin/users", status_code=303)


@page(router, "/admin/teams", methods=("POST",))
async def create_team(request: Request, found: Viewer) -> Response:
    require_admin(found)
    form = await request.form()
    try:
        await _sync(request, users.ensure_team, form_text(form, "name", 100))
    except ValueError as exc:
        return await _users_page(request, 422, message=str(exc))
    return RedirectResponse("/admin/users", status_code=303)


async def _keys_page(request: Request, status: int = 200, **context: Any) -> Response:
    listing = await _sync(request, keys.list_keys, None, True)
    return render(request, "admin_keys.html", status=status, keys=listing,
                  **{"created": None, "message": "", **context})


@page(router, "/admin/keys")
async def keys_page(request: Request, found: Viewer) -> Response:
    require_admin(found)
    return await _keys_page(request)


@page(router, "/admin/keys", methods=("POST",))
async def create_key(request: Request, found: Viewer) -> Response:
    require_admin(found)
    form = await request.form()
    try:
        emp_id = _optional_int(form_text(form, "emp_id", 12), "employee id")
        if emp_id is None:
            raise ValueError("employee id is required")
        created = await _sync(request, keys.create_key, emp_id, form_text(form, "device", 128).strip())
    except (ValueError, ApiError) as exc:
        message = exc.detail if isinstance(exc, ApiError) else str(exc)
        return await _keys_page(request, 422, message=message or "invalid form")
    return await _keys_page(request, created=created)


@page(router, "/admin/keys/revoke", methods=("POST",))
async def revoke_key(request: Request, found: Viewer) -> Response:
    require_admin(found)
    form = await request.form()
    await _sync(request, keys.revoke_key, form_text(form, "prefix", 8))
    return RedirectResponse("/admin/keys", status_code=303)
