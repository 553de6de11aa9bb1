"""How every page starts: the session's viewer (else the login page), CSRF for every POST, and any
refusal (:class:`ApiError`) as an HTML error page instead of JSON."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from ingestion.accounts.sessions import Viewer
from ingestion.errors import ApiError
from ingestion.web.render import error_page, to_login
from ingestion.web.session import check_csrf, viewer

Handler = Callable[[Request, Viewer], Awaitable[Response]]


def page(router: APIRouter, path: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[Handler], Handler]:
    """Register ``handler(request, viewer)`` for logged-in users only; POSTs must carry the CSRF token."""
    def register(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            try:
                found = await viewer(request)
                if found is None:
                    return to_login(request)
                if request.method != "GET":
                    await check_csrf(request, found)
                return await handler(request, found)
            except ApiError as exc:
                return error_page(request, exc)

        endpoint.__name__ = handler.__name__
        router.add_api_route(path, endpoint, methods=list(methods), include_in_schema=False)
        return handler
    return register


def query_int(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(422, "invalid_range", f"{name} must be an integer") from None


def form_text(form: Any, name: str, limit: int = 1024) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        raise ApiError(422, "invalid_form", f"{name} is required")
    if len(value) > limit:
        raise ApiError(422, "invalid_form", f"{name} is too long")
    if "\x00" in value:
        raise ApiError(422, "invalid_form", f"{name} must not contain U+0000")
    return value
