"""``GET /api/v1/me``: the identity behind the key (INGESTION_API.md §5.2)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from starlette.responses import Response

from ingestion.context import Authorized
from ingestion.errors import json_response
from ingestion.schemas import Me, error_responses

router = APIRouter()


@router.get("/api/v1/me", response_model=Me, responses=error_responses(401, 429, 503))
async def me(identity: Authorized) -> Response:
    now = datetime.now(UTC)
    return json_response(200, {
        "emp_id": identity.emp_id,
        "device": identity.device,
        "key_prefix": identity.prefix,
        "server_time": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
    })
