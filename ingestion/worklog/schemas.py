"""OpenAPI models of the worklog (INGESTION_API.md §5.5, §5.7): upload records derived from the stream
descriptions (like every other stream) and the download answers."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model

from ingestion.schemas import record_model
from ingestion.worklog.validation import TASKS, WEEKS

WeekRecord = record_model(WEEKS)
TaskRecord = record_model(TASKS)
WORKLOG_RECORD_MODELS: dict[str, type[BaseModel]] = {"weeks": WeekRecord, "tasks": TaskRecord}


def _stored(name: str, upload: type[BaseModel], extra: dict[str, Any], doc: str) -> type[BaseModel]:
    fields: dict[str, Any] = {key: (info.annotation, ...) for key, info in upload.model_fields.items()
                              if key != "emp_id"}
    fields.update(extra)
    model: type[BaseModel] = create_model(name, __doc__=doc, **fields)
    return model


StoredWeek = _stored("StoredWeek", WeekRecord, {"aliases": (list[str], ...), "device": (str, ...)},
                     "A week as the server holds it: canonical client_id, merged aliases, the winning device.")
StoredTask = _stored("StoredTask", TaskRecord, {"device": (str, ...)},
                     "A task as the server holds it: week_client_id is the canonical week, device the winner's.")


class WeeksPage(BaseModel):
    """GET /api/v1/me/weeks: up to ``limit`` weeks after the cursor, and the cursor to continue from."""

    records: list[StoredWeek]  # type: ignore[valid-type]
    next_since: str | None


class TasksPage(BaseModel):
    """GET /api/v1/me/tasks: up to ``limit`` tasks after the cursor, and the cursor to continue from."""

    records: list[StoredTask]  # type: ignore[valid-type]
    next_since: str | None


WORKLOG_MODELS: list[type[BaseModel]] = [WeekRecord, TaskRecord, StoredWeek, StoredTask, WeeksPage, TasksPage]
