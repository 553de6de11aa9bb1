"""The people session of a request (cookie ``wfh_session``), shared by the pages and the reports API,
plus CSRF checks and the security headers every page carries."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response

from ingestion.accounts.sessions import COOKIE, LIFETIME, Viewer, viewer_for
from ingestion.context import app_state
from ingestion.errors import ApiError

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
LOGIN_CSRF_COOKIE = "wfh_login_csrf"
# No inline script, no inline style, nothing from another origin; SVG presentation attributes only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self';"
       " form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


async def viewer(request: Request) -> Viewer | None:
    """The logged-in user, cached on the request; None without a valid session."""
    state = request.scope.setdefault("state", {})
    if "viewer" not in state:
        async with app_state(request).db.connection() as conn:
            state["viewer"] = await viewer_for(conn, request.cookies.get(COOKIE))
    found: Viewer | None = state["viewer"]
    return found


async def api_viewer(request: Request) -> Viewer:
    """For the reports API: the session's user, else 401."""
    found = await viewer(request)
    if found is None:
        raise ApiError(401, "unauthorized")
    return found


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    response.set_cookie(COOKIE, session_id, max_age=int(LIFETIME.total_seconds()), path="/", httponly=True,
                        samesite="lax", secure=secure(request))


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request))


def csrf_ok(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison of bytes: ``compare_digest`` refuses a non-ASCII str (a forged token)."""
    return bool(expected) and bool(given) and hmac.compare_digest(
        str(expected).encode("utf-8", "surrogatepass"), str(given).encode("utf-8", "surrogatepass"))


async def check_csrf(request: Request, found: Viewer) -> None:
    """Every state-changing request: the session's token in the form field or the header, else 403."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = str((await request.form()).get(CSRF_FIELD) or "")
    if not csrf_ok(found.csrf_token, given):
        raise ApiError(403, "csrf", "missing or wrong CSRF token; reload the page and try again")


def page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    return response
