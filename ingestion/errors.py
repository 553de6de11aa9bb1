"""Error responses in the contract's format (§3.5): {"error": code, "detail": text}."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

MAX_DETAIL = 1024


class ApiError(Exception):
    """Raised anywhere in a request to answer with one of the contract's error codes."""

    def __init__(self, status: int, error: str, detail: str | None = None,
                 retry_after: int | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail
        self.retry_after = retry_after


def unauthorized() -> ApiError:
    """The one 401 every key failure gets: no detail, no WWW-Authenticate (§4.3)."""
    return ApiError(401, "unauthorized")


def unavailable(retry_after: int, detail: str = "database unavailable") -> ApiError:
    return ApiError(503, "unavailable", detail, retry_after=retry_after)


def safe_text(text: str, limit: int = MAX_DETAIL) -> str:
    """Text that always encodes as UTF-8 (lone surrogates escaped) and fits the limit."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def header_text(value: str | None, limit: int = 256) -> str | None:
    """A request header kept in a text column (the User-Agent): without NUL, which PostgreSQL text refuses
    (uvicorn's parser never passes one, other servers and the test client may), and at most ``limit``."""
    return None if value is None else value.replace("\x00", "")[:limit]


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json", headers=headers)


def error_response(exc: ApiError) -> Response:
    body: dict[str, str] = {"error": exc.error}
    if exc.detail is not None and exc.status != 401:
        body["detail"] = safe_text(exc.detail)
    headers = {"Retry-After": str(max(1, exc.retry_after))} if exc.retry_after is not None else None
    return json_response(exc.status, body, headers)
