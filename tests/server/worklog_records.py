"""Valid worklog records (INGESTION_API.md §6.9-§6.10) and small helpers to send and read them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.testclient import TestClient

from tests.server.records import headers

BASE = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def clock(minutes: float = 0) -> str:
    """A sync time ``BASE + minutes`` in the contract's exact format."""
    moment = BASE + timedelta(minutes=minutes)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def week(client_id: str | None = None, label: str = "2026-W48", minutes: float = 0, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "client_id": client_id or str(uuid.uuid4()), "week_label": label, "start_date": "2026-11-23",
        "week_start_day": 0, "week_start_hour": 0, "week_end_day": 6, "week_end_hour": 23,
        "is_custom_duration": False, "is_bonus_week": False, "bonus_rate": 0.0, "bonus_threshold_seconds": 0,
        "notes": "", "created_at": "2026-11-23 08:00:00", "updated_at": clock(minutes), "deleted_at": None,
    }
    record.update(changes)
    return record


def task(week_id: str, client_id: str | None = None, minutes: float = 0, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "client_id": client_id or str(uuid.uuid4()), "week_client_id": week_id, "attempt_id": "att-1",
        "duration_seconds": 1800, "project_id": "P-1", "project_name": "Search relevance", "operation_id": None,
        "time_limit_seconds": 2400, "date_audited": "2026-11-24", "score": 4, "feedback": None, "locale": "en_US",
        "bonus_paid": False, "time_begin": "2026-11-24 09:00:00", "time_end": "2026-11-24 09:30:00",
        "created_at": "2026-11-24 09:00:00", "updated_at": clock(minutes), "deleted_at": None,
    }
    record.update(changes)
    return record


def send(client: TestClient, key: str, stream: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post(f"/api/v1/ingest/{stream}", json={"records": records}, headers=headers(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["accepted"] + body["duplicates"] + len(body["rejected"]) == len(records)
    return body


def fetch(client: TestClient, key: str, route: str, since: str | None = None, limit: int | None = None) -> Any:
    params: dict[str, Any] = {}
    if since is not None:
        params["since"] = since
    if limit is not None:
        params["limit"] = limit
    return client.get(f"/api/v1/me/{route}", params=params, headers={"X-Api-Key": key})


def read_all(client: TestClient, key: str, route: str, since: str | None = None,
             limit: int = 1000) -> tuple[list[dict[str, Any]], str | None]:
    """Page as the contract tells clients: until an answer holds fewer records than ``limit``."""
    records: list[dict[str, Any]] = []
    while True:
        response = fetch(client, key, route, since, limit)
        assert response.status_code == 200, response.text
        body = response.json()
        records += body["records"]
        since = body["next_since"]
        if len(body["records"]) < limit:
            return records, since
