"""Pydantic models: request shapes for ``/openapi.json`` and response bodies (INGESTION_API.md §5, §6).

Request records are validated by ``validation.py`` (exact §6.8 messages); their models here are derived
from the same stream descriptions (``record_model``), strict and with ``additionalProperties: false``,
under the component names of §5.5.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ingestion.validation import SCREENSHOT_META, STREAMS, Shape, Stream

Uuid = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
Percent = Annotated[float, Field(ge=0, le=100)]
Seconds = Annotated[int, Field(ge=0, le=86_400)]
# Optional but not nullable: when present it must be the key's employee (null is a 403, §4.4).
EmpId = Annotated[int, Field(default=None, ge=1, le=2_147_483_647, validate_default=False,
                             description="optional; must equal the key's employee")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Geo(_Strict):
    """A device position in degrees (optional on heartbeats)."""

    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


def _annotation(shape: Shape) -> Any:
    """The pydantic type of one validation ``Shape`` (the same bounds, options and pattern)."""
    if shape.kind == "geo":
        return Geo
    if shape.kind == "choice":
        return Literal[shape.options]
    simple = {"bool": bool, "datetime": datetime, "date": date}
    if shape.kind in simple:
        return simple[shape.kind]
    if shape.kind == "str":
        bounds: dict[str, Any] = {"min_length": int(shape.lo) if shape.lo else None,
                                  "max_length": int(shape.hi) if shape.hi is not None else None,
                                  "pattern": shape.pattern}
        return Annotated[str, Field(**{k: v for k, v in bounds.items() if v is not None})]
    kind = int if shape.kind == "int" else float
    return Annotated[kind, Field(ge=shape.lo, le=shape.hi)]


def record_model(stream: Stream) -> type[BaseModel]:
    """The strict pydantic model of a stream's record, derived from its description: ``client_id``, the
    optional ``emp_id``, then the fields in table order (nullable ones default to null)."""
    fields: dict[str, Any] = {}
    for index, field in enumerate(stream.fields):
        annotation = _annotation(field.shape)
        fields[field.name] = (annotation | None, None) if field.nullable else (annotation, ...)
        if index == 0:
            fields["emp_id"] = (EmpId, None)
    return create_model(stream.model, __base__=_Strict, **fields)


RECORD_MODELS: dict[str, type[BaseModel]] = {name: record_model(stream) for name, stream in STREAMS.items()}
ScreenshotMeta = record_model(SCREENSHOT_META)


class Rejection(BaseModel):
    """One record the server refused: its position in the batch, its client_id when readable, why."""

    index: int
    client_id: str | None
    error: str


class IngestResult(BaseModel):
    """The answer to a batch: every record is accepted, a duplicate, or rejected (§5.4)."""

    accepted: int
    duplicates: int
    rejected: list[Rejection]


class Error(BaseModel):
    """The contract's error body: a stable code and a human detail."""

    error: str
    detail: str | None = None


class Health(BaseModel):
    """GET /health: the service and whether its database answers."""

    status: Literal["healthy", "unhealthy"]
    service: str
    database: Literal["connected", "unavailable"]
    version: str


class Me(BaseModel):
    """GET /api/v1/me: what the key is bound to, and the server's clock for skew checks."""

    emp_id: int
    device: str
    key_prefix: str
    server_time: str


class ScreenshotResult(BaseModel):
    """The answer to a screenshot upload: created, or a duplicate of the same client_id and bytes."""

    result: Literal["created", "duplicate"]
    client_id: str
    sha256: str


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can give."""
    return {status: {"model": Error} for status in statuses}
