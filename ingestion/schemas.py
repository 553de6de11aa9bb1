"""Pydantic models: request shapes for ``/openapi.json`` and response bodies (INGESTION_API.md §5, §6).

Request records are validated by ``validation.py`` (exact §6.8 messages); these models document the
same shapes, strict and with ``additionalProperties: false``, under the component names of §5.5.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Uuid = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
Percent = Annotated[float, Field(ge=0, le=100)]
Seconds = Annotated[int, Field(ge=0, le=86_400)]
# Optional but not nullable: when present it must be the key's employee (null is a 403, §4.4).
EmpId = Annotated[int, Field(default=None, ge=1, le=2_147_483_647, validate_default=False,
                             description="optional; must equal the key's employee")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Geo(_Strict):
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class HeartbeatRecord(_Strict):
    client_id: Uuid
    emp_id: EmpId
    started_at: datetime
    ended_at: datetime
    tz: Annotated[str, Field(min_length=1, max_length=64)]
    status: Literal["active", "idle", "locked", "offline"]
    cpu_percent: Percent
    memory_percent: Percent
    process_name: Annotated[str, Field(max_length=256)]
    window_title: Annotated[str, Field(max_length=1024)]
    domain: Annotated[str, Field(min_length=1, max_length=253)] | None = None
    url: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    battery_level: Percent | None = None
    battery_plugged: bool | None = None
    geo: Geo | None = None


class TimelineRecord(_Strict):
    client_id: Uuid
    emp_id: EmpId
    started_at: datetime
    ended_at: datetime
    tz: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["app", "web", "idle", "task"]
    label: Annotated[str, Field(max_length=1024)]
    task_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class WebsiteUsageRecord(_Strict):
    client_id: Uuid
    emp_id: EmpId
    date: date
    domain: Annotated[str, Field(min_length=1, max_length=253)]
    duration_seconds: Seconds
    tag: Literal["productive", "unproductive", "neutral"]
    updated_at: datetime


class ProductivityRecord(_Strict):
    client_id: Uuid
    emp_id: EmpId
    date: date
    productive_seconds: Seconds
    unproductive_seconds: Seconds
    neutral_seconds: Seconds
    idle_seconds: Seconds
    score: Percent
    updated_at: datetime


class WellnessRecord(_Strict):
    client_id: Uuid
    emp_id: EmpId
    date: date
    active_seconds: Seconds
    break_count: Annotated[int, Field(ge=0, le=1440)]
    longest_streak_seconds: Seconds
    overtime_seconds: Seconds
    updated_at: datetime


class ScreenshotMeta(_Strict):
    client_id: Uuid
    emp_id: EmpId
    captured_at: datetime
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    width: Annotated[int, Field(ge=1, le=16_384)]
    height: Annotated[int, Field(ge=1, le=16_384)]
    format: Literal["png", "jpeg", "webp"]
    blurred: bool


RECORD_MODELS: dict[str, type[BaseModel]] = {
    "heartbeats": HeartbeatRecord,
    "timeline": TimelineRecord,
    "website_usage": WebsiteUsageRecord,
    "productivity": ProductivityRecord,
    "wellness": WellnessRecord,
}


class Rejection(BaseModel):
    index: int
    client_id: str | None
    error: str


class IngestResult(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejection]


class Error(BaseModel):
    error: str
    detail: str | None = None


class Health(BaseModel):
    status: Literal["healthy", "unhealthy"]
    service: str
    database: Literal["connected", "unavailable"]
    version: str


class Me(BaseModel):
    emp_id: int
    device: str
    key_prefix: str
    server_time: str


class ScreenshotResult(BaseModel):
    result: Literal["created", "duplicate"]
    client_id: str
    sha256: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can give."""
    return {status: {"model": Error} for status in statuses}
