"""Admin → Database: where the reports read from and the read replica's lag (issue 16)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ingestion.accounts.authz import require_admin
from ingestion.accounts.sessions import Viewer
from ingestion.context import app_state
from ingestion.replica import replica_status
from ingestion.web.guard import page
from ingestion.web.render import render

router = APIRouter()


@page(router, "/admin/database")
async def database_page(request: Request, found: Viewer) -> Response:
    require_admin(found)
    state = app_state(request)
    status = await replica_status(state)
    return render(request, "admin_database.html", replica=status, pool_mode=state.settings.db_pool_mode)
