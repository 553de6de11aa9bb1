"""Jinja2 environment (autoescape everywhere: device data is attacker-controlled) and the page
responses: templates, redirects to the login, and error pages for refused requests."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ingestion.accounts.sessions import Viewer
from ingestion.errors import ApiError
from ingestion.web.session import CSRF_FIELD, page_headers

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def duration(seconds: float | None) -> str:
    """``3h 05m`` / ``12m`` / ``0m``: compact like the desktop's Activity view."""
    total = int(round((seconds or 0) / 60))
    hours, minutes = divmod(total, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def local_time(moment: datetime | str | None, tz: ZoneInfo | None = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """In the page's zone, or in UTC saying so (pages that are nobody's own day: devices, keys)."""
    if moment is None:
        return "never"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(tz).strftime(fmt) if tz is not None else moment.astimezone(UTC).strftime(fmt) + " UTC"


def moment(value: date | datetime | None, tz: ZoneInfo | None = None) -> str:
    """A stored value that is a date or an instant (the first and last record of each table)."""
    if value is None:
        return "–"
    if isinstance(value, datetime):
        return local_time(value, tz)
    return value.isoformat()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _visible(value: Any) -> Any:
    """Control characters from devices become U+FFFD, so a title cannot carry invisible bytes."""
    if isinstance(value, str) and not isinstance(value, Markup):  # Markup: our own templates' output
        return _CONTROL.sub("\ufffd", value)
    return value


env = Environment(finalize=_visible, loader=FileSystemLoader(TEMPLATES),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
env.filters["duration"] = duration
env.filters["local_time"] = local_time
env.filters["moment"] = moment


def render(request: Request, template: str, status: int = 200, viewer: Viewer | None = None,
           **context: Any) -> Response:
    found = viewer or request.scope.get("state", {}).get("viewer")
    html = env.get_template(template).render(request_path=request.url.path, viewer=found,
                                             csrf_field=CSRF_FIELD, csrf_token=found.csrf_token if found else "",
                                             **context)
    return page_headers(HTMLResponse(html, status_code=status))


def to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def error_page(request: Request, exc: ApiError) -> Response:
    titles = {401: "Please log in", 403: "Not allowed", 404: "Not found", 422: "Invalid request",
              429: "Too many attempts", 503: "Temporarily unavailable"}
    response = render(request, "error.html", status=exc.status, title=titles.get(exc.status, "Error"),
                      detail=exc.detail or "")
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def safe_next(target: str | None) -> str:
    """Only a local path (never ``//host`` or a scheme) may be the target after login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
